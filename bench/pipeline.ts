// pipeline.throughput, pipeline.latency_p50_ms, pipeline.latency_p99_ms: the embedded
// pipeline (`nids analyze`'s stages in one process: pcap -> flow table -> queue -> scorer ->
// CSV), on a simulated 10-minute capture with attacks, scored by a model trained on a
// benign one with the product's defaults (the same model `nids analyze` and the trainer
// service build: test/unit/pipeline/same-model.test.ts). Throughput is flows written to the
// CSV per second of the whole run; latency is from the moment the flow table exports a
// flow to the moment its CSV row is written. Then the same captures through the distributed
// pipeline on the local stack, impl "nids-kafka" (bench/pipeline-kafka.ts), when one runs.
// Two inputs: packet-heavy (the simulated office, mostly web sessions of tens of packets)
// and flow-heavy (a scan: 200,000 one-packet flows from 2,000 sources to 100 ports each,
// on top of nothing else).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Flow } from '../lib/flow/record.ts';
import { BatchQueue } from '../lib/queue/index.ts';
import { flowsFromPcap } from '../lib/flow/from-pcap.ts';
import { writeSimulatedPcap } from '../lib/sim/pcap.ts';
import { trainOnBaseline } from '../lib/pipeline/train.ts';
import { Detector } from '../lib/detector/index.ts';
import { scoreFlows, type ActiveModel } from '../lib/pipeline/score.ts';
import { CsvWriter } from '../lib/pipeline/csv.ts';
import { HoldBack } from '../lib/pipeline/hold-back.ts';
import { HOLD_BACK_DEFAULTS } from '../lib/config/stages.ts';
import type { ScoredFlow } from '../lib/avro/records.ts';
import { nowMicros } from '../lib/time/index.ts';
import { emit } from './util.ts';
import { createPcapWriter } from '../lib/pcap/writer.ts';
import { ethernet, ipv4, tcp } from '../lib/sim/frames.ts';
import { TcpFlag } from '../lib/packet/decode.ts';

/** `sources` x `ports` SYNs, each its own flow: sources 100.64.0.0 up, to 10.0.0.5 ports 1 up, 5 µs apart. */
async function writeScan(path: string, sources: number, ports: number, startMicros: number): Promise<void> {
  const frame = ethernet(ipv4([100, 64, 0, 0], [10, 0, 0, 5], 6, tcp(40000, 1, TcpFlag.SYN, 0, 1)));
  const SRC = 14 + 12;
  const DPORT = 14 + 20 + 2;
  const w = createPcapWriter(path);
  for (let i = 0; i < sources * ports; i++) {
    const a = 0x64400000 + (i % sources);
    const port = 1 + Math.floor(i / sources);
    frame[SRC + 2] = (a >>> 8) & 255;
    frame[SRC + 3] = a & 255;
    frame[DPORT] = port >> 8;
    frame[DPORT + 1] = port & 255;
    w.write(startMicros + 5 * i, frame);
  }
  await w.close();
}
import { measureKafkaPipeline } from './pipeline-kafka.ts';

const BATCH = 512;

/** The benchmark's model: trained on the baseline with no options, i.e. the product's defaults. */
export function benchModel(baseline: readonly Flow[]): ActiveModel {
  return { id: 'bench', detector: Detector.deserialize(trainOnBaseline(baseline, 'bench').bytes) };
}

/** One run of the embedded stages; `holdS` is the hold-back stage's setting (0: flows written as scored). */
async function run(model: ActiveModel, inputPcap: string, csvPath: string, holdS: number): Promise<{ flows: number; seconds: number; cpuUs: number; latencies: Float64Array }> {
  const queue = new BatchQueue<Flow>(BATCH * 8);
  const exportedAt = new Map<Flow, number>(); // the hold-back stage reorders flows
  const latencies: number[] = [];
  rmSync(csvPath, { force: true });
  const csv = new CsvWriter(csvPath, false); // as nids analyze: synced once, at the end
  const holdBack = new HoldBack({ holdS });
  let flows = 0;
  const written = (scored: readonly ScoredFlow[]) => {
    csv.write(scored);
    const at = performance.now();
    for (const s of scored) {
      latencies.push(at - exportedAt.get(s.flow)!);
      exportedAt.delete(s.flow);
    }
    flows += scored.length;
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  const consume = (async () => {
    for await (const batch of queue.batches(BATCH)) written(holdBack.take(scoreFlows(model, batch, nowMicros()), nowMicros()).scored);
    written(holdBack.flush());
  })();
  await flowsFromPcap(inputPcap, { sensorId: 'bench' }, (f) => {
    exportedAt.set(f, performance.now());
    queue.push(f);
  }, { drain: () => queue.drain() });
  queue.close();
  await consume;
  csv.close();
  const used = process.cpuUsage(cpu);
  return { flows, seconds: (performance.now() - started) / 1000, cpuUs: used.user + used.system, latencies: Float64Array.from(latencies).sort() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nids-bench-pipeline-'));
  const baselinePcap = join(dir, 'baseline.pcap');
  const inputPcap = join(dir, 'input.pcap');
  await writeSimulatedPcap(baselinePcap, { seed: 1, durationS: 600, startMicros: 1.7e15, hosts: 50, flowsPerSecond: 40, attacks: [] });
  await writeSimulatedPcap(inputPcap, { seed: 2, durationS: 600, startMicros: 1.7e15 + 700e6, hosts: 50, flowsPerSecond: 40, attacks: ['portscan', 'synflood', 'dnstunnel', 'external', 'udpflood'] });
  const baseline: Flow[] = [];
  await flowsFromPcap(baselinePcap, { sensorId: 'bench' }, (f) => baseline.push(f));
  const model = benchModel(baseline);
  const scanPcap = join(dir, 'scan.pcap');
  await writeScan(scanPcap, 2000, 100, 1.7e15 + 700e6);
  const csvPath = join(dir, 'out.csv');
  for (const [input, pcap] of [['packet_heavy', inputPcap], ['flow_heavy', scanPcap]] as const) {
    // The product (hold-back at its default) beside the same stages writing each flow as
    // scored; both warmed up before either is measured, so neither profits from the other's JIT.
    const peers = [['nids-embedded', HOLD_BACK_DEFAULTS.holdS], ['nids-embedded-no-hold', 0]] as const;
    for (const [, holdS] of peers) await run(model, pcap, csvPath, holdS);
    for (const [impl, holdS] of peers) {
      const r = await run(model, pcap, csvPath, holdS);
      const q = (p: number) => r.latencies[Math.min(r.latencies.length - 1, Math.floor(p * r.latencies.length))]!;
      emit(`pipeline.throughput.${input}`, impl, r.flows / r.seconds, 'flows/s');
      emit(`pipeline.latency_p50_ms.${input}`, impl, q(0.5), 'ms');
      emit(`pipeline.latency_p99_ms.${input}`, impl, q(0.99), 'ms');
      // CPU time (user + system) per flow: what the machine's load distorts least.
      emit(`pipeline.cpu_us_per_flow.${input}`, impl, r.cpuUs / r.flows, 'µs');
    }
  }
  const latencyPcap = join(dir, 'latency.pcap');
  const latencySpanS = 600;
  const sim = await writeSimulatedPcap(latencyPcap, { seed: 3, durationS: latencySpanS, startMicros: 1.7e15 + 1400e6, hosts: 50, flowsPerSecond: 40, attacks: ['portscan', 'synflood', 'dnstunnel', 'external', 'udpflood'] });
  const k = await measureKafkaPipeline(dir, baselinePcap, { packet_heavy: inputPcap, flow_heavy: scanPcap }, latencyPcap, sim.benignFlows + sim.attackFlows, latencySpanS);
  if (k) {
    const kq = (p: number) => k.latencyMs[Math.min(k.latencyMs.length - 1, Math.floor(p * k.latencyMs.length))]!;
    for (const [input, flowsPerS] of Object.entries(k.throughput)) emit(`pipeline.throughput.${input}`, 'nids-kafka', flowsPerS, 'flows/s');
    emit('pipeline.latency_p50_ms', 'nids-kafka', kq(0.5), 'ms');
    emit('pipeline.latency_p99_ms', 'nids-kafka', kq(0.99), 'ms');
  }
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
