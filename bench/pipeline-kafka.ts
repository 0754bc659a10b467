// pipeline.* for impl "nids-kafka": the distributed pipeline as an operator runs it, each
// stage its own `nids` process on the local stack (npm run stack:up; KAFKA_BROKERS,
// SCHEMA_REGISTRY_URL, REDIS_URL as in .stack/env): sensor (pcap, as fast as it goes) ->
// nids.flows (6 partitions) -> two scorers -> nids.scored -> sink -> CSV. Throughput is CSV
// rows per second from the sensor's start to the last row, for the packet-heavy capture and
// the flow-heavy scan (200 k flows: the sensor's start-up weighs less). Latency is measured at
// a fixed offered load (the capture replayed so that flows are exported at ~10 k/s): from a
// flow's Kafka record timestamp (stamped by the sensor when the flow table exports it, so the
// producer's linger counts) to its anomaly's record timestamp on the anomalies topic.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, connectRegistry } from '../lib/avro/codec.ts';
import type { SchemaName } from '../lib/avro/schemas.ts';
import { CSV_FILE } from '../lib/pipeline/csv.ts';
import { REPO } from './util.ts';

const OFFERED_FLOWS_PER_S = 10_000;
const SCORERS = 2;
const STAGE_TIMEOUT_MS = 300_000;

export interface KafkaFigures {
  /** Flows/s of each throughput input, from the sensor process's start to its last CSV row. */
  throughput: Record<string, number>;
  latencyMs: Float64Array;
}

interface Stack {
  brokers: string;
  registry: string;
  redis: string;
}

const stackOf = (): Stack => ({
  brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092',
  registry: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081',
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:16379',
});

// NIDS_BENCH_CPU_PROF=<dir>: every stage process writes a V8 CPU profile there when it exits
// (node refuses --cpu-prof in NODE_OPTIONS, so it goes on the command line).
const PROFILE_DIR = process.env.NIDS_BENCH_CPU_PROF;
let spawned = 0;
const profileArgs = (stage: string): string[] => (PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${++spawned}-${stage}.cpuprofile`] : []);

function nids(args: string[]): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(process.execPath, [...profileArgs(args[0]!), join(REPO, 'bin/nids'), ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NIDS_LOG_LEVEL: 'error', KAFKAJS_NO_PARTITIONER_WARNING: '1' } });
  return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function runToEnd(args: string[]): Promise<void> {
  const code = await nids(args).done;
  if (code !== 0) throw new Error(`nids ${args[0]} exited ${code}`);
}

async function waitUntil(what: string, probe: () => boolean, everyMs = 20): Promise<void> {
  const deadline = Date.now() + STAGE_TIMEOUT_MS;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function waitUntilAsync(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STAGE_TIMEOUT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Kafka record timestamp of every record of `topic`, by the flow id in its value. */
async function timestamps(kafka: Kafka, registry: string, topic: string, schema: SchemaName, flowIdOf: (v: never) => string, expect: number): Promise<Map<string, number>> {
  const codec = await AvroCodec.forTopic<never>(connectRegistry(registry), topic, schema);
  const out = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `${topic}-bench-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void out.set(flowIdOf(await codec.decode(message.value)), Number(message.timestamp)) });
  try {
    await waitUntil(`${expect} records on ${topic}`, () => out.size >= expect, 100);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Counts the CSV's rows as the sink appends them, reading only what was added since the last
 * call: re-reading the whole file every poll would take CPU from the pipeline it measures.
 */
function csvRowCounter(path: string): { rows: () => number; close: () => void } {
  const chunk = Buffer.allocUnsafe(1 << 20);
  let fd = -1;
  let position = 0;
  let newlines = 0;
  const rows = (): number => {
    if (fd < 0) {
      if (!existsSync(path)) return 0;
      fd = openSync(path, 'r');
    }
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, position)) > 0; position += n) {
      for (let i = 0; i < n; i++) if (chunk[i] === 10) newlines++;
    }
    return Math.max(0, newlines - 1); // the header line
  };
  return { rows, close: () => fd >= 0 && closeSync(fd) };
}

/** Null when no stack answers (the embedded figures are printed anyway). */
export async function measureKafkaPipeline(dir: string, baselinePcap: string, throughputPcaps: Record<string, string>, latencyPcap: string, latencyFlows: number, latencySpanS: number): Promise<KafkaFigures | null> {
  const stack = stackOf();
  const kafka = new Kafka({ brokers: stack.brokers.split(','), clientId: 'nids-bench', logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch {
    process.stderr.write(`pipeline nids-kafka: no Kafka at ${stack.brokers} (npm run stack:up); skipped\n`);
    return null;
  }
  const run = `bench-${Date.now().toString(36)}`;
  const t = { baseline: `${run}.baseline`, flows: `${run}.flows`, scored: `${run}.scored`, anomalies: `${run}.anomalies`, incidents: `${run}.incidents`, dlq: `${run}.dlq` };
  await admin.createTopics({ waitForLeaders: true, topics: [[t.baseline, 1], [t.flows, 6], [t.scored, 6], [t.anomalies, 3], [t.incidents, 3], [t.dlq, 1]].map(([topic, n]) => ({ topic: topic as string, numPartitions: n as number, replicationFactor: 1 })) });
  const common = ['--brokers', stack.brokers, '--registry', stack.registry];
  const topicArgs = ['--flows-topic', t.flows, '--scored-topic', t.scored, '--anomalies-topic', t.anomalies, '--incidents-topic', t.incidents, '--dlq-topic', t.dlq];
  const out = join(dir, 'kafka-sink');
  const services: Array<ReturnType<typeof nids>> = [];
  const csv = csvRowCounter(join(out, CSV_FILE));
  const rows = csv.rows;
  try {
    await runToEnd(['sensor', ...common, '--input', baselinePcap, '--flows-topic', t.baseline, '--sensor-id', 'bench']);
    await runToEnd(['trainer', ...common, '--redis', stack.redis, '--scope', run, '--flows-topic', t.baseline, '--every', '0', '--no-guard', '--min-flows', '32', '--no-exclude-flagged', '--no-exclude-incident-hosts']);
    for (let i = 0; i < SCORERS; i++) services.push(nids(['scorer', ...common, ...topicArgs, '--redis', stack.redis, '--scope', run, '--group-id', `${run}-scorers`]));
    services.push(nids(['sink', ...common, '--out', out, '--group-id', `${run}-sink`, '--scored-topic', t.scored, '--anomalies-topic', t.anomalies, '--incidents-topic', t.incidents, '--dlq-topic', t.dlq]));
    // Timing starts once both scorers are in the group: start-up and rebalancing are not throughput.
    await waitUntilAsync('the scorers in their group', async () => {
      const [g] = (await admin.describeGroups([`${run}-scorers`])).groups;
      return g?.state === 'Stable' && g.members.length === SCORERS;
    });
    const total = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    const throughput: Record<string, number> = {};
    for (const [input, pcap] of Object.entries(throughputPcaps)) {
      const before = await total(t.flows);
      const started = performance.now();
      await runToEnd(['sensor', ...common, '--input', pcap, '--flows-topic', t.flows, '--sensor-id', `bench-${input}`]);
      const published = await total(t.flows);
      await waitUntil(`${published} CSV rows`, () => rows() >= published, 50);
      throughput[input] = (published - before) / ((performance.now() - started) / 1000);
    }

    // Latency at a fixed offered load: the latency capture replayed at the speed that exports ~10 k flows/s.
    const speed = (OFFERED_FLOWS_PER_S * latencySpanS) / latencyFlows;
    await runToEnd(['sensor', ...common, '--input', latencyPcap, '--flows-topic', t.flows, '--sensor-id', 'bench-latency', '--replay-speed', speed.toFixed(1)]);
    const allFlows = await total(t.flows);
    await waitUntil(`${allFlows} CSV rows`, () => rows() >= allFlows, 50);
    const flowTs = await timestamps(kafka, stack.registry, t.flows, 'flow', (f: { flow_id: string }) => f.flow_id, allFlows);
    // Flow ids include the sensor id, so the latency run's anomalies are told apart by it.
    const byAnomaly = await timestamps(kafka, stack.registry, t.anomalies, 'anomaly', (a: { flow_id: string; sensor_id: string }) => `${a.sensor_id}|${a.flow_id}`, await total(t.anomalies));
    const anomalyTs = new Map<string, number>();
    for (const [k, ts] of byAnomaly) if (k.startsWith('bench-latency|')) anomalyTs.set(k.slice('bench-latency|'.length), ts);
    const latencies: number[] = [];
    for (const [flowId, ts] of anomalyTs) {
      const exported = flowTs.get(flowId);
      if (exported !== undefined) latencies.push(ts - exported);
    }
    return { throughput, latencyMs: Float64Array.from(latencies).sort() };
  } finally {
    for (const s of services) s.child.kill('SIGTERM');
    await Promise.all(services.map((s) => s.done));
    await admin.deleteTopics({ topics: Object.values(t) }).catch(() => {});
    await admin.disconnect();
    csv.close();
  }
}
