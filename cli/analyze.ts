// Embedded mode (like `zeek -r`): the sensor, trainer, scorer and sink stage code in one
// process, joined by in-process queues and an in-memory model store. No Kafka, registry
// or Redis. Writes the same CSV and plot as the distributed sink.
import { mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, helpText, loadConfig, num, optionalStr, pick, str, type ConfigOf } from '../lib/config/index.ts';
import { opsSettings } from '../lib/config/common.ts';
import { flowSettings, liveCaptureSettings, trainingSettings } from '../lib/config/stages.ts';
import { createLogger } from '../lib/log/index.ts';
import { MemoryModelStore } from '../lib/modelstore/index.ts';
import { BatchQueue } from '../lib/queue/index.ts';
import { Detector } from '../lib/detector/index.ts';
import type { Flow } from '../lib/flow/record.ts';
import type { Anomaly } from '../lib/avro/records.ts';
import { probeCapture } from '../lib/capture/live.ts';
import { nowMicros } from '../lib/time/index.ts';
import { captureFlows, liveCaptureOptions, readFlows, progressReporter } from '../lib/pipeline/source.ts';
import { modelMetaOf, trainOnBaseline } from '../lib/pipeline/train.ts';
import { ActiveModelHolder } from '../lib/pipeline/active-model.ts';
import { scoreFlows } from '../lib/pipeline/score.ts';
import { CsvWriter, CSV_FILE } from '../lib/pipeline/csv.ts';
import { PLOT_FILE, writePlot } from '../lib/pipeline/plot.ts';
import { IncidentTracker, type Incident } from '../lib/pipeline/incidents.ts';

export const ANOMALIES_FILE = 'anomalies.jsonl';
export const INCIDENTS_FILE = 'incidents.jsonl';
export const MODEL_FILE = 'model.nidsm';
const SCOPE = 'default';
const BATCH = 512;

export const analyzeSpec = {
  baseline: optionalStr({ flag: 'baseline', env: 'NIDS_ANALYZE_BASELINE', metavar: 'pcap', help: 'pcap/pcapng of normal traffic to learn from (or give --model).' }),
  input: optionalStr({ flag: 'input', env: 'NIDS_ANALYZE_INPUT', metavar: 'pcap', help: 'pcap/pcapng to score; or give --iface to score live traffic.' }),
  ...liveCaptureSettings,
  duration: num({ flag: 'duration', env: 'NIDS_ANALYZE_DURATION', default: 0, min: 0, help: 'Live capture (--iface): seconds to capture before writing the outputs; 0 = until Ctrl-C.' }),
  out: str({ flag: 'out', env: 'NIDS_ANALYZE_OUT', default: 'out/analyze', metavar: 'dir', help: `Output folder: ${CSV_FILE}, ${PLOT_FILE}, ${ANOMALIES_FILE}, ${INCIDENTS_FILE}, ${MODEL_FILE}.` }),
  model: optionalStr({ flag: 'model', env: 'NIDS_ANALYZE_MODEL', metavar: 'file', help: `Score with a saved model (e.g. a previous run's ${MODEL_FILE}) instead of training.` }),
  sensorId: str({ flag: 'sensor-id', env: 'NIDS_SENSOR_ID', default: 'embedded', help: 'sensor_id written into every flow.' }),
  ...flowSettings,
  ...trainingSettings,
  // Quieter than the services: stdout is the report, stderr the progress line.
  logLevel: { ...opsSettings.logLevel, default: 'warn' as const },
};

export type AnalyzeConfig = ConfigOf<typeof analyzeSpec>;

export interface AnalyzeResult {
  out: string;
  modelId: string;
  baselineFlows: number;
  flows: number;
  anomalies: Anomaly[];
  incidents: Incident[];
}

/** Exactly one source: a capture file or a live interface. */
function checkSources(config: AnalyzeConfig): void {
  if (!config.baseline && !config.model) throw new ConfigError('--baseline: required unless --model is given');
  if (config.input && config.iface) throw new ConfigError('--input and --iface: give one source to score, not both');
  if (!config.input && !config.iface) throw new ConfigError('--input or --iface: give a pcap/pcapng file or an interface to score');
  if (config.input && config.filter) throw new ConfigError('--filter: applies to live capture (--iface) only');
  if (config.input && config.duration) throw new ConfigError('--duration: applies to live capture (--iface) only');
}

/**
 * @param stop live capture ends when it aborts (the command wires it to SIGINT/SIGTERM),
 *   or after --duration; then every open flow is exported, scored and written.
 */
export async function analyze(config: AnalyzeConfig, stop?: AbortSignal): Promise<AnalyzeResult> {
  const log = createLogger('analyze', config.logLevel);
  checkSources(config);
  // Before training: cap loads, the interface exists, we may capture on it, the filter compiles.
  if (config.iface) probeCapture(liveCaptureOptions({ ...config, iface: config.iface }));
  mkdirSync(config.out, { recursive: true });
  for (const f of [CSV_FILE, PLOT_FILE, ANOMALIES_FILE, INCIDENTS_FILE]) rmSync(join(config.out, f), { force: true });

  // Trainer stage, into the in-memory model store.
  const store = new MemoryModelStore();
  let baselineFlows = 0;
  let modelId: string;
  if (config.model) {
    const bytes = new Uint8Array(readFileSync(config.model));
    ({ id: modelId } = await store.save(bytes, modelMetaOf(Detector.deserialize(bytes), SCOPE, `loaded from ${config.model}`)));
  } else {
    const baseline: Flow[] = [];
    await readFlows(config.baseline!, config, null, (f) => baseline.push(f), { onProgress: progressReporter(`baseline ${config.baseline}`) });
    baselineFlows = baseline.length;
    const trained = trainOnBaseline(baseline, SCOPE, pick(trainingSettings, config));
    ({ id: modelId } = await store.save(trained.bytes, trained.meta));
    writeFileSync(join(config.out, MODEL_FILE), trained.bytes);
  }
  const model = new ActiveModelHolder(store, SCOPE, log);
  await model.start();
  await store.promote(SCOPE, modelId);
  const active = await model.ready();

  // Sensor stage -> queue -> scorer + sink stages.
  const queue = new BatchQueue<Flow>(BATCH * 8);
  const csv = new CsvWriter(join(config.out, CSV_FILE), false);
  const anomaliesPath = join(config.out, ANOMALIES_FILE);
  writeFileSync(anomaliesPath, '');
  const incidentsPath = join(config.out, INCIDENTS_FILE);
  writeFileSync(incidentsPath, '');
  const tracker = new IncidentTracker();
  const incidents: Incident[] = [];
  const writeIncidents = (closed: Incident[]) => {
    if (closed.length === 0) return;
    appendFileSync(incidentsPath, closed.map((i) => JSON.stringify(i) + '\n').join(''));
    incidents.push(...closed);
  };
  const anomalies: Anomaly[] = [];
  let flows = 0;
  const consume = (async () => {
    for await (const batch of queue.batches(BATCH)) {
      const { scored, anomalies: found } = scoreFlows(model.current ?? active, batch, nowMicros());
      csv.write(scored);
      if (found.length > 0) appendFileSync(anomaliesPath, found.map((a) => JSON.stringify(a) + '\n').join(''));
      anomalies.push(...found);
      writeIncidents(tracker.add(found));
      flows += batch.length;
    }
  })();
  try {
    if (config.input) await readFlows(config.input, config, null, (f) => queue.push(f), { drain: () => queue.drain(), onProgress: progressReporter(`input ${config.input}`) });
    else await captureUntilStopped({ ...config, iface: config.iface! }, (f) => queue.push(f), () => ({ flows, anomalies: anomalies.length }), stop);
  } finally {
    queue.close();
    await consume;
    csv.close();
    writeIncidents(tracker.flush());
    await model.stop();
  }
  writePlot(join(config.out, PLOT_FILE), csv.points);
  return { out: config.out, modelId, baselineFlows, flows, anomalies, incidents };
}

/**
 * Live flows into `onFlow` until `stop` aborts or --duration passes. A live capture cannot
 * be slowed down, so flows queue in memory while scoring catches up (it keeps up with any
 * link one process can capture).
 */
async function captureUntilStopped(config: AnalyzeConfig & { iface: string }, onFlow: (f: Flow) => void, progress: () => { flows: number; anomalies: number }, stop?: AbortSignal): Promise<void> {
  const live = captureFlows(config, config, null, onFlow);
  const until = config.duration > 0 ? `for ${config.duration} s` : 'until Ctrl-C';
  process.stderr.write(`capturing on ${config.iface}${config.filter ? ` (${config.filter})` : ''} ${until}\n`);
  const ticker = process.stderr.isTTY
    ? setInterval(() => {
        const p = progress();
        process.stderr.write(`\r${live.capture.stats().packets.toLocaleString()} packets, ${p.flows.toLocaleString()} flows scored, ${p.anomalies} anomalous   `);
      }, 1000)
    : null;
  let timer: NodeJS.Timeout | null = null;
  try {
    await Promise.race([
      live.failed,
      new Promise<void>((resolve) => {
        if (stop?.aborted) return resolve();
        stop?.addEventListener('abort', () => resolve(), { once: true });
        if (config.duration > 0) timer = setTimeout(resolve, config.duration * 1000);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
    if (ticker) {
      clearInterval(ticker);
      process.stderr.write('\n');
    }
    const stats = live.stop();
    process.stderr.write(`capture stopped: ${stats.capture.packets.toLocaleString()} packets, ${stats.flowsOpen} flows open, all exported\n`);
  }
}

export function summary(r: AnalyzeResult): string {
  const bySeverity = new Map<string, number>();
  for (const a of r.anomalies) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
  const top = [...r.anomalies].sort((a, b) => a.score - b.score).slice(0, 10);
  const lines = [
    `model ${r.modelId}${r.baselineFlows ? ` trained on ${r.baselineFlows} baseline flows` : ''}`,
    `scored ${r.flows} flows: ${r.anomalies.length} anomalous (${r.flows ? ((100 * r.anomalies.length) / r.flows).toFixed(1) : '0'}%)` +
      (bySeverity.size ? ` — ${[...bySeverity].map(([s, n]) => `${s} ${n}`).join(', ')}` : ''),
    `${r.incidents.length} incident(s)` + (r.incidents.length ? ':' : ''),
    ...r.incidents.slice(0, 10).map((i) => `  ${i.severity.padEnd(8)} ${i.source_count > 1 ? `${i.source_count} sources` : i.src_ip} ${i.behaviour}: ${i.flows} flows, ${i.victim_count} victim(s), ${((i.ts_end - i.ts_start) / 1e6).toFixed(0)} s — ${i.top_reasons[0] ?? ''}`),
    ...(top.length ? ['most anomalous:'] : []),
    ...top.map(
      (a) =>
        `  ${a.score.toFixed(3)} ${a.severity.padEnd(8)} ${a.src_ip}:${a.src_port} -> ${a.dst_ip}:${a.dst_port} proto ${a.protocol}` +
        (a.reasons.length ? `\n      ${a.reasons.map((x) => x.text).join('; ')}` : ''),
    ),
    `wrote ${join(r.out, CSV_FILE)}, ${join(r.out, PLOT_FILE)}, ${join(r.out, ANOMALIES_FILE)}, ${join(r.out, INCIDENTS_FILE)}`,
  ];
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      helpText(
        'Usage: nids analyze --baseline <pcap> --input <pcap> --out <dir> [options]\n       nids analyze (--baseline <pcap> | --model <file>) --iface <name> [--duration <s>] --out <dir> [options]',
        'Embedded mode: learns normal from the baseline capture (or loads a model), scores every flow of the input capture ' +
          'or of a live interface, writes the labeled CSV and plot. Needs no Kafka, registry or Redis. Live capture runs until ' +
          'Ctrl-C (or --duration), then scores the flows still open; it needs CAP_NET_RAW (root, or setcap on node).',
        analyzeSpec,
      ),
    );
    return 0;
  }
  try {
    const { config } = loadConfig(analyzeSpec, argv);
    // The first Ctrl-C ends a live capture cleanly (flows scored, outputs written); a second one kills.
    const stop = new AbortController();
    const onSignal = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      process.stdout.write(summary(await analyze(config, stop.signal)));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`nids analyze: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
