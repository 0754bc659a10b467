// pipeline.throughput, pipeline.latency_p50_ms, pipeline.latency_p99_ms: the embedded
// pipeline (`nids analyze`'s stages in one process: pcap -> flow table -> queue -> scorer ->
// CSV), on a simulated 10-minute capture with attacks, scored by a model trained on a
// benign one. Throughput is flows written to the CSV per second of the whole run; latency
// is from the moment the flow table exports a flow to the moment its CSV row is written.
// The distributed pipeline (Kafka, registry) is not measured here: no schema registry can
// be installed on this project's machines yet (scripts/README.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Flow } from '../lib/flow/record.ts';
import { BatchQueue } from '../lib/queue/index.ts';
import { flowsFromPcap } from '../lib/flow/from-pcap.ts';
import { writeSimulatedPcap } from '../services/simulator/pcap.ts';
import { trainOnBaseline } from '../services/trainer/train.ts';
import { Detector } from '../lib/detector/index.ts';
import { nowMicros, scoreFlows } from '../services/scorer/score.ts';
import { CsvWriter } from '../services/sink/csv.ts';
import { emit } from './util.ts';

const BATCH = 512;
const dir = mkdtempSync(join(tmpdir(), 'nids-bench-pipeline-'));
const baselinePcap = join(dir, 'baseline.pcap');
const inputPcap = join(dir, 'input.pcap');
await writeSimulatedPcap(baselinePcap, { seed: 1, durationS: 600, startMicros: 1.7e15, hosts: 50, flowsPerSecond: 40, attacks: [] });
await writeSimulatedPcap(inputPcap, { seed: 2, durationS: 600, startMicros: 1.7e15 + 700e6, hosts: 50, flowsPerSecond: 40, attacks: ['portscan', 'synflood', 'dnstunnel', 'external', 'udpflood'] });
const baseline: Flow[] = [];
await flowsFromPcap(baselinePcap, { sensorId: 'bench' }, (f) => baseline.push(f));
const model = { id: 'bench', detector: Detector.deserialize(trainOnBaseline(baseline, 'bench').bytes) };

async function run(): Promise<{ flows: number; seconds: number; latencies: Float64Array }> {
  const queue = new BatchQueue<Flow>(BATCH * 8);
  const exportedAt: number[] = []; // FIFO: the queue keeps the table's export order
  const latencies: number[] = [];
  const csvPath = join(dir, 'out.csv');
  rmSync(csvPath, { force: true });
  const csv = new CsvWriter(csvPath, false); // as nids analyze: synced once, at the end
  let flows = 0;
  const started = performance.now();
  const consume = (async () => {
    for await (const batch of queue.batches(BATCH)) {
      csv.write(scoreFlows(model, batch, nowMicros()).scored);
      const written = performance.now();
      for (let i = 0; i < batch.length; i++) latencies.push(written - exportedAt[flows + i]!);
      flows += batch.length;
    }
  })();
  await flowsFromPcap(inputPcap, { sensorId: 'bench' }, (f) => {
    exportedAt.push(performance.now());
    queue.push(f);
  }, { drain: () => queue.drain() });
  queue.close();
  await consume;
  csv.close();
  return { flows, seconds: (performance.now() - started) / 1000, latencies: Float64Array.from(latencies).sort() };
}

await run(); // warm-up
const r = await run();
const q = (p: number) => r.latencies[Math.min(r.latencies.length - 1, Math.floor(p * r.latencies.length))]!;
emit('pipeline.throughput', 'nids-embedded', r.flows / r.seconds, 'flows/s');
emit('pipeline.latency_p50_ms', 'nids-embedded', q(0.5), 'ms');
emit('pipeline.latency_p99_ms', 'nids-embedded', q(0.99), 'ms');
rmSync(dir, { recursive: true, force: true });
