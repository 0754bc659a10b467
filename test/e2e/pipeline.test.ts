// The walking skeleton over the real stack: the same two captures go through the embedded
// mode and through sensor -> Kafka -> trainer -> Redis -> scorer -> Kafka -> sink as
// separately started processes; both must produce the same model, the same CSV rows and
// the same anomalies. Then: undecodable input goes to the DLQ, and a third-party client
// (Confluent's Python client) reads our flows and anomalies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import type { Anomaly, Incident } from '../../lib/avro/records.ts';
import { CSV_COLUMNS, CSV_FILE } from '../../lib/pipeline/csv.ts';
import { PLOT_FILES } from '../../lib/pipeline/plot.ts';
import { PNG } from 'pngjs';
import { ANOMALIES_FILE } from '../../cli/analyze.ts';
import { INCIDENTS_FILE } from '../../lib/pipeline/incidents.ts';
import { ECS_FILE } from '../../lib/siem/ecs.ts';
import { runNids, startNids, waitFor, type Running } from '../helpers/proc.ts';
import { readTopic } from '../helpers/topic.ts';
import { createTopics, ONE_SHOT_TRAINER, stackEndpoints, uniqueName, REPO } from '../helpers/stack.ts';

const stack = stackEndpoints();
const run = uniqueName('e2e');
const topics = {
  baseline: `${run}.baseline`,
  flows: `${run}.flows`,
  scored: `${run}.scored`,
  anomalies: `${run}.anomalies`,
  incidents: `${run}.incidents`,
  dlq: `${run}.dlq`,
};
const dir = mkdtempSync(join(tmpdir(), 'nids-e2e-'));
const baselinePcap = join(dir, 'baseline.pcap');
const inputPcap = join(dir, 'input.pcap');
const common = ['--brokers', stack.brokers, '--registry', stack.registry];
const running: Running[] = [];

after(async () => {
  await Promise.all(running.map((p) => p.stop(5000)));
});

const csvBody = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .sort();

test('embedded and distributed modes agree on the same captures', { timeout: 300_000 }, async () => {
  await runNids(['simulate', '--out', baselinePcap, '--seed', '11', '--duration', '60']);
  await runNids(['simulate', '--out', inputPcap, '--seed', '12', '--duration', '60', '--attacks', 'portscan,synflood,dnstunnel,external']);
  await createTopics(stack.brokers, Object.values(topics));

  const embeddedOut = join(dir, 'embedded');
  const embedded = await runNids(['analyze', '--baseline', baselinePcap, '--input', inputPcap, '--out', embeddedOut, '--sensor-id', 'e2e-sensor']);
  const embeddedModel = /^model (m-[0-9a-f]+)/m.exec(embedded.stdout)?.[1];
  assert.ok(embeddedModel, `analyze printed no model id:\n${embedded.stdout}`);

  // Distributed: baseline flows -> trainer -> Redis.
  await runNids(['sensor', ...common, '--input', baselinePcap, '--flows-topic', topics.baseline, '--sensor-id', 'e2e-sensor']);
  const trained = await runNids([...ONE_SHOT_TRAINER, ...common, '--redis', stack.redis, '--scope', run, '--flows-topic', topics.baseline]);
  assert.equal(trained.stdout.trim(), embeddedModel, 'the trainer must fit the same model as the embedded mode');

  // The sink's webhook: a local receiver that records what it is sent.
  const hooks: { kind: string; source: string; behaviour: string; severity: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as (typeof hooks)[number]);
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  after(() => new Promise((r) => receiver.close(r)));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;

  const distOut = join(dir, 'distributed');
  const scorer = startNids(['scorer', ...common, '--redis', stack.redis, '--scope', run, '--group-id', `${run}-scorer`,
    '--flows-topic', topics.flows, '--scored-topic', topics.scored, '--anomalies-topic', topics.anomalies, '--incidents-topic', topics.incidents, '--dlq-topic', topics.dlq]);
  // With its live dashboard (info logs: the URL is logged), ECS alerts and a webhook.
  const sink = startNids(['sink', ...common, '--out', distOut, '--group-id', `${run}-sink`, '--scored-topic', topics.scored,
    '--anomalies-topic', topics.anomalies, '--incidents-topic', topics.incidents, '--dlq-topic', topics.dlq, '--ecs', '--webhook-url', hookUrl, '--alert-severity', 'high',
    '--serve', '--dashboard-port', '0', '--log-level', 'info']);
  running.push(scorer, sink);
  await runNids(['sensor', ...common, '--input', inputPcap, '--flows-topic', topics.flows, '--sensor-id', 'e2e-sensor']);

  const expectedRows = csvBody(join(embeddedOut, CSV_FILE));
  assert.ok(expectedRows.length > 50, `too few flows in the input capture: ${expectedRows.length}`);
  await waitFor('the sink to write every row', () => {
    const path = join(distOut, CSV_FILE);
    return existsSync(path) && csvBody(path).length >= expectedRows.length ? true : undefined;
  }, 90_000);
  // The sink's dashboard counts what its CSV holds.
  const dashboard = await waitFor('the sink dashboard URL', () => /"url":"(http:[^"]+)"/.exec(sink.output().stderr)?.[1]);
  const state = (await (await fetch(`${dashboard}api/state`)).json()) as { counts: { flows: number; anomalies: number }; anomalies: { flow_id: string }[] };
  const anomalousRows = expectedRows.filter((r) => r.split(',')[CSV_COLUMNS.indexOf('anomaly')] === '-1').length;
  assert.deepEqual([state.counts.flows, state.counts.anomalies, state.anomalies.length], [expectedRows.length, anomalousRows, anomalousRows]);
  // The scorer's stop closes its open incidents; the sink writes their closing reports.
  const embeddedIncidents = jsonLines<Incident>(join(embeddedOut, INCIDENTS_FILE));
  assert.ok(embeddedIncidents.length > 0, 'the attacks must form incidents');
  const s2 = await scorer.stop();
  assert.equal(s2.code, 0, s2.stderr);
  await waitFor('the sink to write every closed incident', () => {
    const path = join(distOut, INCIDENTS_FILE);
    return existsSync(path) && jsonLines(path).length >= embeddedIncidents.length ? true : undefined;
  }, 60_000);
  const s1 = await sink.stop();
  assert.equal(s1.code, 0, s1.stderr);

  assert.deepEqual(csvBody(join(distOut, CSV_FILE)), expectedRows, 'distributed CSV rows must equal the embedded ones');
  for (const file of PLOT_FILES) assert.ok(PNG.sync.read(readFileSync(join(distOut, file))).width > 500, `the sink writes ${file} on shutdown`);

  const embeddedAnomalies = readFileSync(join(embeddedOut, ANOMALIES_FILE), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Anomaly);
  assert.ok(embeddedAnomalies.length > 0, 'the attacks must raise anomalies');
  const fromKafka = await readTopic<Anomaly>(topics.anomalies, 'anomaly', (r) => r.length >= embeddedAnomalies.length);
  // Plain data on both sides: Kafka-decoded records are avsc record classes.
  const comparable = (xs: Anomaly[]) => xs.map(({ detected_at: _d, ...rest }) => JSON.parse(JSON.stringify(rest)) as Omit<Anomaly, "detected_at">).sort((a, b) => a.flow_id.localeCompare(b.flow_id));
  assert.deepEqual(comparable(fromKafka), comparable(embeddedAnomalies));

  // Incidents: the same logic in both modes. Which anomaly arrives first (and so the id and
  // the first source named) depends on the partitions' interleaving; the figures do not.
  const figures = (xs: Incident[]) => xs.map((i) => [i.behaviour, i.flows, i.bytes, i.victim_count, i.source_count, i.ts_start, i.ts_end, i.severity].join(' ')).sort();
  const sinkIncidents = jsonLines<Incident>(join(distOut, INCIDENTS_FILE));
  assert.ok(sinkIncidents.every((i) => i.status === 'closed'), 'incidents.jsonl holds closing reports');
  assert.deepEqual(figures(sinkIncidents), figures(embeddedIncidents), 'the sink\'s incidents.jsonl must match the embedded mode\'s');
  const reports = await readTopic<Incident>(topics.incidents, 'incident', (r) => r.filter((i) => i.status === 'closed').length >= embeddedIncidents.length);
  const closedIds = new Set(reports.filter((i) => i.status === 'closed').map((i) => i.incident_id));
  assert.equal(closedIds.size, embeddedIncidents.length, 'one closing report per incident');
  for (const open of reports.filter((i) => i.status === 'open')) assert.ok(closedIds.has(open.incident_id), `open report ${open.incident_id} is closed later under the same id`);

  // ECS alerts: one per anomaly, and an opening and a closing one per incident.
  const ecs = jsonLines<{ event: { kind: string; dataset: string } }>(join(distOut, ECS_FILE));
  assert.equal(ecs.filter((e) => e.event.dataset === 'nids.anomaly').length, embeddedAnomalies.length);
  assert.equal(ecs.filter((e) => e.event.dataset === 'nids.incident').length, 2 * embeddedIncidents.length);
  assert.ok(ecs.every((e) => e.event.kind === 'alert'));

  // Webhook: high and critical only, one alert per (kind, source, behaviour) in the 5-minute window.
  const expectedHigh = embeddedAnomalies.filter((a) => a.severity === 'high' || a.severity === 'critical');
  assert.ok(expectedHigh.length > 0 && hooks.length > 0, 'high-severity anomalies reach the webhook');
  assert.ok(hooks.every((h) => h.severity === 'high' || h.severity === 'critical'));
  const keys = hooks.map((h) => `${h.kind}|${h.source}|${h.behaviour}`);
  assert.equal(new Set(keys).size, keys.length, 'no duplicate alert');
  assert.ok(hooks.length < expectedHigh.length, `${hooks.length} alerts for ${expectedHigh.length} high-severity anomalies: de-duplicated`);
});

const jsonLines = <T>(path: string): T[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

test('an undecodable record goes to the DLQ with the reason, and scoring goes on', { timeout: 120_000 }, async () => {
  const kafka = new Kafka({ brokers: stack.brokers.split(','), clientId: 'nids-e2e', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: topics.flows, messages: [{ key: 'garbage', value: Buffer.from('definitely not avro') }] });
  await producer.disconnect();
  const scorer = startNids(['scorer', ...common, '--redis', stack.redis, '--scope', run, '--group-id', `${run}-scorer`,
    '--flows-topic', topics.flows, '--scored-topic', topics.scored, '--anomalies-topic', topics.anomalies, '--incidents-topic', topics.incidents, '--dlq-topic', topics.dlq]);
  running.push(scorer);
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
  const dead: { key: string; value: string; error: string }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) =>
      void dead.push({ key: String(message.key), value: String(message.value), error: String(message.headers?.['nids-error']) }),
  });
  try {
    await waitFor('the dead letter', () => (dead.length > 0 ? true : undefined), 60_000);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(dead[0]!.key, 'garbage');
  assert.equal(dead[0]!.value, 'definitely not avro');
  assert.match(dead[0]!.error, /magic byte/);
  const r = await scorer.stop();
  assert.equal(r.code, 0, r.stderr);
});

/** `count` records of `topic` as Confluent's Python client and Avro deserializer decode them. */
function readWithPython(topic: string, count: number): { key: string; value: Record<string, unknown> }[] {
  const python = join(REPO, '.venv/bin/python');
  assert.ok(existsSync(python), 'the dev Python venv is missing: run `bash scripts/install.sh`');
  const r = spawnSync(python, [join(REPO, 'test/integration/read_topic.py'), stack.brokers, stack.registry, topic, String(count), '60'], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
  assert.equal(records.length, count);
  return records;
}

test('a third-party client (Confluent Python + Avro deserializer) decodes our flows', { timeout: 120_000 }, () => {
  for (const { key, value } of readWithPython(topics.flows, 3)) {
    assert.equal(value.sensor_id, 'e2e-sensor');
    assert.equal(key, value.community_id, 'flows are keyed by community_id');
    assert.match(String(value.community_id), /^1:[A-Za-z0-9+/]{27}=$/);
    assert.ok(['idle', 'active', 'fin', 'rst', 'evicted', 'shutdown'].includes(String(value.end_reason)));
  }
});

test('a third-party client (Confluent Python + Avro deserializer) decodes our anomalies, the SIEM\'s topic', { timeout: 120_000 }, () => {
  for (const { key, value } of readWithPython(topics.anomalies, 5)) {
    assert.equal(key, value.community_id, 'anomalies are keyed by community_id');
    assert.equal(value.sensor_id, 'e2e-sensor');
    assert.ok(['low', 'medium', 'high', 'critical'].includes(String(value.severity)), String(value.severity));
    assert.ok(Array.isArray(value.reasons) && value.reasons.length > 0, 'every anomaly says why');
    assert.equal(typeof value.score, 'number');
    assert.match(String(value.model_id), /^m-[0-9a-f]+$/);
  }
});

test('a third-party client (Confluent Python + Avro deserializer) decodes our incidents', { timeout: 120_000 }, () => {
  for (const { key, value } of readWithPython(topics.incidents, 2)) {
    assert.equal(key, value.incident_id, 'incident reports are keyed by incident_id');
    assert.ok(['open', 'closed'].includes(String(value.status)), String(value.status));
    assert.ok(['low', 'medium', 'high', 'critical'].includes(String(value.severity)), String(value.severity));
    assert.ok(Number(value.flows) >= 1 && Number(value.victim_count) >= 1);
    assert.ok(Array.isArray(value.top_reasons) && value.top_reasons.length > 0, 'every incident says why');
    assert.ok(Array.isArray(value.victims));
  }
});
