// Embedded mode (like `zeek -r`): the sensor, trainer, scorer and sink stage code in one
// process, joined by in-process queues and an in-memory model store. No Kafka, registry
// or Redis. Writes the same CSV and plot as the distributed sink.
import { mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, helpText, loadConfig, optionalStr, str, type ConfigOf } from '../lib/config/index.ts';
import { createLogger } from '../lib/log/index.ts';
import { MemoryModelStore } from '../lib/modelstore/index.ts';
import { BatchQueue } from '../lib/queue/index.ts';
import { Detector } from '../lib/detector/index.ts';
import type { Flow } from '../lib/flow/record.ts';
import type { Anomaly } from '../lib/avro/records.ts';
import { readFlows, sensorFlowSettings, progressReporter } from '../services/sensor/source.ts';
import { trainOnBaseline } from '../services/trainer/train.ts';
import { trainingSettings, trainOptionsOf } from '../services/trainer/main.ts';
import { ActiveModelHolder } from '../services/scorer/model.ts';
import { nowMicros, scoreFlows } from '../services/scorer/score.ts';
import { CsvWriter, CSV_FILE } from '../services/sink/csv.ts';
import { PLOT_FILE, writePlot } from '../services/sink/plot.ts';

export const ANOMALIES_FILE = 'anomalies.jsonl';
export const MODEL_FILE = 'model.nidsm';
const SCOPE = 'default';
const BATCH = 512;

export const analyzeSpec = {
  baseline: optionalStr({ flag: 'baseline', metavar: 'pcap', help: 'pcap/pcapng of normal traffic to learn from (or give --model).' }),
  input: str({ flag: 'input', metavar: 'pcap', help: 'pcap/pcapng to score.' }),
  out: str({ flag: 'out', default: 'out/analyze', metavar: 'dir', help: `Output folder: ${CSV_FILE}, ${PLOT_FILE}, ${ANOMALIES_FILE}, ${MODEL_FILE}.` }),
  model: optionalStr({ flag: 'model', metavar: 'file', help: `Score with a saved model (e.g. a previous run's ${MODEL_FILE}) instead of training.` }),
  sensorId: str({ flag: 'sensor-id', env: 'NIDS_SENSOR_ID', default: 'embedded', help: 'sensor_id written into every flow.' }),
  ...sensorFlowSettings,
  ...trainingSettings,
  logLevel: str({ flag: 'log-level', env: 'NIDS_LOG_LEVEL', default: 'warn', help: 'Log level of the JSON logs on stderr.' }),
};

export type AnalyzeConfig = ConfigOf<typeof analyzeSpec>;

export interface AnalyzeResult {
  out: string;
  modelId: string;
  baselineFlows: number;
  flows: number;
  anomalies: Anomaly[];
}

export async function analyze(config: AnalyzeConfig): Promise<AnalyzeResult> {
  const log = createLogger('analyze', config.logLevel);
  if (!config.baseline && !config.model) throw new ConfigError('--baseline: required unless --model is given');
  mkdirSync(config.out, { recursive: true });
  for (const f of [CSV_FILE, PLOT_FILE, ANOMALIES_FILE]) rmSync(join(config.out, f), { force: true });

  // Trainer stage, into the in-memory model store.
  const store = new MemoryModelStore();
  let baselineFlows = 0;
  let modelId: string;
  if (config.model) {
    const bytes = new Uint8Array(readFileSync(config.model));
    const d = Detector.deserialize(bytes);
    ({ id: modelId } = await store.save(bytes, { created_at: new Date().toISOString(), scope: SCOPE, feature_version: d.featureVersion, n_samples: d.nSamples, window: 'loaded', threshold: d.threshold, params: JSON.stringify(d.params) }));
  } else {
    const baseline: Flow[] = [];
    await readFlows(config.baseline!, config, null, (f) => baseline.push(f), { onProgress: progressReporter(`baseline ${config.baseline}`) });
    baselineFlows = baseline.length;
    const trained = trainOnBaseline(baseline, SCOPE, trainOptionsOf(config));
    ({ id: modelId } = await store.save(trained.bytes, trained.meta));
    writeFileSync(join(config.out, MODEL_FILE), trained.bytes);
  }
  const model = new ActiveModelHolder(store, SCOPE, log);
  await model.start();
  await store.promote(SCOPE, modelId);
  const active = await model.ready();

  // Sensor stage -> queue -> scorer + sink stages.
  const queue = new BatchQueue<Flow>(BATCH * 8);
  const csv = new CsvWriter(join(config.out, CSV_FILE));
  const anomaliesPath = join(config.out, ANOMALIES_FILE);
  writeFileSync(anomaliesPath, '');
  const anomalies: Anomaly[] = [];
  let flows = 0;
  const consume = (async () => {
    for await (const batch of queue.batches(BATCH)) {
      const { scored, anomalies: found } = scoreFlows(model.current ?? active, batch, nowMicros());
      csv.write(scored);
      if (found.length > 0) appendFileSync(anomaliesPath, found.map((a) => JSON.stringify(a) + '\n').join(''));
      anomalies.push(...found);
      flows += batch.length;
    }
  })();
  try {
    await readFlows(config.input, config, null, (f) => queue.push(f), { drain: () => queue.drain(), onProgress: progressReporter(`input ${config.input}`) });
  } finally {
    queue.close();
    await consume;
    csv.close();
    await model.stop();
  }
  writePlot(join(config.out, PLOT_FILE), csv.points);
  return { out: config.out, modelId, baselineFlows, flows, anomalies };
}

export function summary(r: AnalyzeResult): string {
  const bySeverity = new Map<string, number>();
  for (const a of r.anomalies) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
  const top = [...r.anomalies].sort((a, b) => a.score - b.score).slice(0, 10);
  const lines = [
    `model ${r.modelId}${r.baselineFlows ? ` trained on ${r.baselineFlows} baseline flows` : ''}`,
    `scored ${r.flows} flows: ${r.anomalies.length} anomalous (${r.flows ? ((100 * r.anomalies.length) / r.flows).toFixed(1) : '0'}%)` +
      (bySeverity.size ? ` — ${[...bySeverity].map(([s, n]) => `${s} ${n}`).join(', ')}` : ''),
    ...(top.length ? ['most anomalous:'] : []),
    ...top.map(
      (a) =>
        `  ${a.score.toFixed(3)} ${a.severity.padEnd(8)} ${a.src_ip}:${a.src_port} -> ${a.dst_ip}:${a.dst_port} proto ${a.protocol}` +
        (a.reasons.length ? `\n      ${a.reasons.map((x) => x.text).join('; ')}` : ''),
    ),
    `wrote ${join(r.out, CSV_FILE)}, ${join(r.out, PLOT_FILE)}, ${join(r.out, ANOMALIES_FILE)}`,
  ];
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      helpText('Usage: nids analyze --baseline <pcap> --input <pcap> --out <dir> [options]', 'Embedded mode: learns normal from the baseline capture, scores every flow of the input capture, writes the labeled CSV and plot. Needs no Kafka, registry or Redis.', analyzeSpec),
    );
    return 0;
  }
  try {
    const { config } = loadConfig(analyzeSpec, argv);
    process.stdout.write(summary(await analyze(config)));
    return 0;
  } catch (err) {
    process.stderr.write(`nids analyze: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
