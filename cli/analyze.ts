// Embedded mode (like `zeek -r`): the sensor, trainer, scorer and sink stage code in one
// process, joined by in-process queues and an in-memory model store. No Kafka, registry
// or Redis. Writes the same CSV and plot as the distributed sink.
import { appendFileSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, helpText, loadConfig, num, optionalStr, pick, str, type ConfigOf } from '../lib/config/index.ts';
import { opsSettings } from '../lib/config/common.ts';
import { flowSettings, liveCaptureSettings, siemSettings, trainingSettings } from '../lib/config/stages.ts';
import { ECS_FILE, ecsOfAnomaly, ecsOfIncident, type EcsAlert } from '../lib/siem/ecs.ts';
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
import { IncidentTracker, INCIDENTS_FILE, latestEnd, type Incident } from '../lib/pipeline/incidents.ts';
export { INCIDENTS_FILE };
import type { FlowTableStats, PcapFlowStats } from '../lib/flow/from-pcap.ts';
import { checkOutDir, discardAllStaged, fsCall, PathError, StagedOutputs } from '../lib/output/index.ts';
import { checkCaptureFile } from '../lib/pcap/reader.ts';
import { EXIT, EXIT_HELP, exitCodeOf, signalExit } from './exit.ts';

export const ANOMALIES_FILE = 'anomalies.jsonl';
export const MODEL_FILE = 'model.nidsm';
const SCOPE = 'default';
const BATCH = 512;

export const analyzeSpec = {
  baseline: optionalStr({ flag: 'baseline', env: 'NIDS_ANALYZE_BASELINE', metavar: 'pcap', help: 'pcap/pcapng of normal traffic to learn from (or give --model).' }),
  input: optionalStr({ flag: 'input', env: 'NIDS_ANALYZE_INPUT', metavar: 'pcap', help: 'pcap/pcapng to score; or give --iface to score live traffic.' }),
  ...liveCaptureSettings,
  duration: num({ flag: 'duration', env: 'NIDS_ANALYZE_DURATION', default: 0, min: 0, help: 'Live capture (--iface): seconds to capture before writing the outputs; 0 = until Ctrl-C.' }),
  out: str({ flag: 'out', env: 'NIDS_ANALYZE_OUT', default: 'out/analyze', metavar: 'dir', help: `Output folder: ${CSV_FILE}, ${PLOT_FILE}, ${ANOMALIES_FILE}, ${INCIDENTS_FILE}, ${ECS_FILE} (--ecs), ${MODEL_FILE}, run.json.` }),
  model: optionalStr({ flag: 'model', env: 'NIDS_ANALYZE_MODEL', metavar: 'file', help: `Score with a saved model (e.g. a previous run's ${MODEL_FILE}) instead of training.` }),
  sensorId: str({ flag: 'sensor-id', env: 'NIDS_SENSOR_ID', default: 'embedded', help: 'sensor_id written into every flow.' }),
  ...flowSettings,
  ...trainingSettings,
  ...siemSettings,
  // Quieter than the services: stdout is the report, stderr the progress line.
  logLevel: { ...opsSettings.logLevel, default: 'warn' as const },
};

export type AnalyzeConfig = ConfigOf<typeof analyzeSpec>;

export const RUN_FILE = 'run.json';

/** Why the reading of the input stopped. */
export type StopReason = 'end of input' | 'damaged input' | 'SIGINT' | 'SIGTERM' | 'duration';

export interface AnalyzeResult {
  out: string;
  modelId: string;
  baselineFlows: number;
  /** Flows scored and written: the CSV's rows (a repeated flow id counts once). */
  flows: number;
  /** The anomalies among those rows: anomalies.jsonl's lines. */
  anomalies: Anomaly[];
  /** One record per (source, behaviour, time span) the anomalies form: incidents.jsonl's lines. */
  incidents: Incident[];
  /** Flows whose flow id repeated one already written (a capture with repeated packets): not written again. */
  duplicates: number;
  /** Packets read from the input (or captured). */
  packets: number;
  /** Packets decoded into flows. */
  decoded: number;
  /** Packets skipped by the decoder, by reason (only reasons that occurred). */
  drops: Record<string, number>;
  stopped: StopReason;
  /** Not every packet of the input was scored (damage, a signal): the outputs hold what was. */
  partial: boolean;
  warnings: string[];
  exitStatus: number;
  files: string[];
}

/** Raised when a signal arrives while the baseline is read: nothing is written. */
export class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`${signal} while reading the baseline: nothing written`);
  }
}

/** Exactly one source: a capture file or a live interface. */
function checkSources(config: AnalyzeConfig): void {
  if (!config.baseline && !config.model) throw new ConfigError('--baseline: required unless --model is given');
  if (config.baseline && config.model) throw new ConfigError('--baseline and --model: give one (a saved model is used as it is, not retrained)');
  if (config.input && config.iface) throw new ConfigError('--input and --iface: give one source to score, not both');
  if (!config.input && !config.iface) throw new ConfigError('--input or --iface: give a pcap/pcapng file or an interface to score');
  if (config.input && config.filter) throw new ConfigError('--filter: applies to live capture (--iface) only');
  if (config.input && config.duration) throw new ConfigError('--duration: applies to live capture (--iface) only');
}

const LINK_NAMES: Record<number, string> = { 0: 'BSD loopback', 105: '802.11', 127: '802.11 radiotap', 119: 'Prism 802.11', 163: 'AVS 802.11', 192: 'PPI', 9: 'PPP', 50: 'PPP over HDLC', 104: 'Cisco HDLC', 113: 'Linux cooked', 195: '802.15.4', 201: 'Bluetooth', 220: 'USB' };
export const linkTypeName = (t: number): string => `link type ${t}${LINK_NAMES[t] ? ` (${LINK_NAMES[t]})` : ''}`;

/** The decoder's skips that occurred, by reason. */
function dropsOf(stats: FlowTableStats): Record<string, number> {
  return Object.fromEntries(Object.entries(stats.decodeErrors).filter(([, n]) => n > 0));
}

/** A capture with packets but none decodable is an error naming why (usually the link type). */
function checkDecodable(stats: PcapFlowStats, flag: string, path: string): void {
  if (stats.packets === 0 || stats.decoded > 0) return;
  const drops = dropsOf(stats);
  const why = drops.unsupported_link ? `${linkTypeName(stats.unsupportedLinkType)} is not decoded (nids decodes Ethernet, Linux cooked v1/v2, raw IP and BSD loopback)` : `skipped: ${formatDrops(drops)}`;
  throw new PathError(`${flag} ${path}: ${stats.packets} packets, none decodable: ${why}`);
}

export const formatDrops = (drops: Record<string, number>): string =>
  Object.entries(drops)
    .map(([r, n]) => `${r.replace(/_/g, ' ')} ${n}`)
    .join(', ');

/** Warnings about how a capture was read (damage, a cut tail, time going back). */
function readWarnings(stats: PcapFlowStats, flag: string, path: string): string[] {
  const w: string[] = [];
  if (stats.damage) w.push(`${flag} ${path}: damaged: ${stats.damage.reason}; stopped there, ${stats.packets} packets before it were read and scored`);
  if (stats.truncatedRecords) w.push(`${flag} ${path}: the last record is cut short at offset ${stats.truncatedAt} (a capture that was stopped?); ${stats.packets} packets read`);
  if (stats.timeWentBack) w.push(`${flag} ${path}: ${stats.timeWentBack} packets are stamped earlier than the packet before them (a merged or reordered capture?)`);
  return w;
}

/**
 * Everything that can be checked before a byte is written: the command line, the output
 * folder, the capture files, the model. Returns the model's bytes when --model is given.
 */
function validate(config: AnalyzeConfig, warnings: string[]): Uint8Array | null {
  checkSources(config);
  checkOutDir(config.out);
  if (config.baseline) checkCaptureFile(config.baseline, '--baseline');
  if (config.input) checkCaptureFile(config.input, '--input');
  if (config.baseline && config.input && realpathSync(config.baseline) === realpathSync(config.input)) {
    warnings.push(`--baseline and --input are the same file: every flow is scored against itself`);
  }
  if (!config.model) return null;
  const path = config.model;
  const st = fsCall(path, () => statSync(path));
  if (!st.isFile()) throw new PathError(`--model ${path}: ${st.isDirectory() ? 'is a folder' : 'is not a regular file'}`);
  const bytes = new Uint8Array(fsCall(path, () => readFileSync(path)));
  try {
    Detector.deserialize(bytes);
  } catch (err) {
    throw new PathError(`--model ${path}: not a usable nids model (${(err as Error).message})`);
  }
  return bytes;
}

/**
 * @param stop ends the reading when it aborts (the command wires it to SIGINT/SIGTERM, with
 *   the signal's name as the reason): the flows read so far are scored and the outputs
 *   written, marked partial (a live capture without --duration ends this way normally);
 *   a live capture also ends after --duration.
 */
export async function analyze(config: AnalyzeConfig, stop?: AbortSignal): Promise<AnalyzeResult> {
  const log = createLogger('analyze', config.logLevel);
  const warnings: string[] = [];
  const modelBytes = validate(config, warnings);
  // Before training: cap loads, the interface exists, we may capture on it, the filter compiles.
  if (config.iface) probeCapture(liveCaptureOptions({ ...config, iface: config.iface }));

  // Nothing in --out is touched until here; every file is staged and renamed into place at the end.
  const outputs = new StagedOutputs(config.out);
  try {
    return await analyzeInto(config, outputs, modelBytes, warnings, log, stop);
  } finally {
    outputs.discard();
  }
}

async function analyzeInto(config: AnalyzeConfig, outputs: StagedOutputs, modelBytes: Uint8Array | null, warnings: string[], log: ReturnType<typeof createLogger>, stop?: AbortSignal): Promise<AnalyzeResult> {
  // Trainer stage, into the in-memory model store.
  const store = new MemoryModelStore();
  let baselineFlows = 0;
  let modelId: string;
  let partial = false;
  let exitStatus: number = EXIT.OK;
  if (modelBytes) {
    ({ id: modelId } = await store.save(modelBytes, modelMetaOf(Detector.deserialize(modelBytes), SCOPE, `loaded from ${config.model}`)));
  } else {
    const baseline: Flow[] = [];
    const path = config.baseline!;
    const stats = await readFlows(path, config, null, (f) => baseline.push(f), { onProgress: progressReporter(`baseline ${path}`), signal: stop });
    if (stats.aborted) throw new InterruptedError(signalOf(stop));
    checkDecodable(stats, '--baseline', path);
    warnings.push(...readWarnings(stats, '--baseline', path));
    if (stats.damage) {
      partial = true;
      exitStatus = EXIT.DAMAGED;
    }
    baselineFlows = baseline.length;
    const trained = trainOnBaseline(baseline, SCOPE, pick(trainingSettings, config));
    ({ id: modelId } = await store.save(trained.bytes, trained.meta));
    outputs.prepare();
    const modelTmp = outputs.path(MODEL_FILE);
    fsCall(join(config.out, MODEL_FILE), () => writeFileSync(modelTmp, trained.bytes));
  }
  outputs.prepare();
  const model = new ActiveModelHolder(store, SCOPE, log);
  await model.start();
  await store.promote(SCOPE, modelId);
  const active = await model.ready();

  // Sensor stage -> queue -> scorer + sink stages, into the staged files.
  const queue = new BatchQueue<Flow>(BATCH * 8);
  const csvTmp = outputs.path(CSV_FILE);
  const csv = fsCall(join(config.out, CSV_FILE), () => new CsvWriter(csvTmp, false));
  const anomaliesTmp = outputs.path(ANOMALIES_FILE);
  fsCall(join(config.out, ANOMALIES_FILE), () => writeFileSync(anomaliesTmp, ''));
  const incidentsTmp = outputs.path(INCIDENTS_FILE);
  fsCall(join(config.out, INCIDENTS_FILE), () => writeFileSync(incidentsTmp, ''));
  const ecsTmp = config.ecs ? outputs.path(ECS_FILE) : null;
  if (ecsTmp) fsCall(join(config.out, ECS_FILE), () => writeFileSync(ecsTmp, ''));
  const writeEcs = (alerts: EcsAlert[]) => {
    if (ecsTmp && alerts.length > 0) fsCall(join(config.out, ECS_FILE), () => appendFileSync(ecsTmp, alerts.map((e) => JSON.stringify(e) + '\n').join('')));
  };
  const tracker = new IncidentTracker();
  const incidents: Incident[] = [];
  const writeIncidents = (closed: Incident[]) => {
    if (closed.length === 0) return;
    fsCall(join(config.out, INCIDENTS_FILE), () => appendFileSync(incidentsTmp, closed.map((i) => JSON.stringify(i) + '\n').join('')));
    writeEcs(closed.map(ecsOfIncident));
    incidents.push(...closed);
  };
  const anomalies: Anomaly[] = [];
  let flows = 0;
  const consume = (async () => {
    for await (const batch of queue.batches(BATCH)) {
      const { scored, anomalies: found } = scoreFlows(model.current ?? active, batch, nowMicros());
      const byId = new Map(found.map((a) => [a.flow_id, a]));
      const written: Anomaly[] = [];
      // Only rows the CSV takes (a repeated flow id is written once) count, everywhere.
      csv.write(scored, (s) => {
        flows++;
        const a = s.anomaly === -1 ? byId.get(s.flow.flow_id) : undefined;
        if (a) written.push(a);
      });
      if (written.length > 0) fsCall(join(config.out, ANOMALIES_FILE), () => appendFileSync(anomaliesTmp, written.map((a) => JSON.stringify(a) + '\n').join('')));
      writeEcs(written.map(ecsOfAnomaly));
      anomalies.push(...written);
      writeIncidents(tracker.add(written, nowMicros(), latestEnd(batch)));
    }
  })();
  let stopped: StopReason = 'end of input';
  let packets = 0;
  let decoded = 0;
  let drops: Record<string, number> = {};
  let failure: unknown = null;
  try {
    if (config.input) {
      const path = config.input;
      const stats = await readFlows(path, config, null, (f) => queue.push(f), { drain: () => queue.drain(), onProgress: progressReporter(`input ${path}`), signal: stop });
      ({ packets, decoded } = stats);
      drops = dropsOf(stats);
      checkDecodable(stats, '--input', path);
      warnings.push(...readWarnings(stats, '--input', path));
      if (stats.aborted) stopped = signalOf(stop);
      else if (stats.damage) stopped = 'damaged input';
    } else {
      const s = await captureUntilStopped({ ...config, iface: config.iface! }, (f) => queue.push(f), () => ({ flows, anomalies: anomalies.length }), stop);
      ({ packets, decoded } = s);
      drops = dropsOf(s);
      stopped = stop?.aborted ? signalOf(stop) : 'duration';
    }
  } catch (err) {
    failure = err;
  } finally {
    queue.close();
    await consume.catch((err: unknown) => (failure ??= err));
    try {
      csv.close();
      writeIncidents(tracker.flush(nowMicros()));
    } catch (err) {
      failure ??= err;
    }
    await model.stop();
  }
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  // A signal ends a live capture without --duration normally; anything else cut the input short.
  const signalled = stopped === 'SIGINT' || stopped === 'SIGTERM';
  const normalEnd = stopped === 'end of input' || stopped === 'duration' || (signalled && Boolean(config.iface) && config.duration === 0);
  if (!normalEnd) partial = true;
  if (stopped === 'damaged input') exitStatus = EXIT.DAMAGED;
  else if (signalled && !normalEnd) exitStatus = stopped === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT;
  const duplicates = csv.duplicatesDropped;
  if (duplicates > 0) warnings.push(`${duplicates} flows repeat the flow id of a flow already written (repeated packets in the capture?): each is written once`);
  fsCall(join(config.out, PLOT_FILE), () => writePlot(outputs.path(PLOT_FILE), csv.points));
  const files = [CSV_FILE, PLOT_FILE, ANOMALIES_FILE, INCIDENTS_FILE, ...(config.ecs ? [ECS_FILE] : []), ...(config.model ? [] : [MODEL_FILE]), RUN_FILE];
  const result: AnalyzeResult = { out: config.out, modelId, baselineFlows, flows, anomalies, incidents, duplicates, packets, decoded, drops, stopped, partial, warnings, exitStatus, files };
  fsCall(join(config.out, RUN_FILE), () => writeFileSync(outputs.path(RUN_FILE), JSON.stringify(runRecord(config, result), null, 2) + '\n'));
  outputs.commit();
  return result;
}

const signalOf = (stop: AbortSignal | undefined): 'SIGINT' | 'SIGTERM' => (stop?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');

/** run.json: what this run read, why it stopped, and what it wrote (the summary's counts). */
function runRecord(config: AnalyzeConfig, r: AnalyzeResult): Record<string, unknown> {
  return {
    command: 'analyze',
    input: config.input ?? null,
    iface: config.iface ?? null,
    baseline: config.baseline ?? null,
    model: config.model ?? null,
    model_id: r.modelId,
    finished_at: new Date().toISOString(),
    packets_read: r.packets,
    packets_decoded: r.decoded,
    packets_skipped: r.drops,
    flows: r.flows,
    anomalies: r.anomalies.length,
    incidents: r.incidents.length,
    repeated_flow_ids: r.duplicates,
    stopped: r.stopped,
    partial: r.partial,
    warnings: r.warnings,
    exit_status: r.exitStatus,
    files: r.files,
  };
}

/**
 * Live flows into `onFlow` until `stop` aborts or --duration passes. A live capture cannot
 * be slowed down, so flows queue in memory while scoring catches up (it keeps up with any
 * link one process can capture).
 */
async function captureUntilStopped(config: AnalyzeConfig & { iface: string }, onFlow: (f: Flow) => void, progress: () => { flows: number; anomalies: number }, stop?: AbortSignal): Promise<FlowTableStats> {
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
  let stats: ReturnType<typeof live.stop>;
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
    stats = live.stop();
    process.stderr.write(`capture stopped: ${stats.capture.packets.toLocaleString()} packets, ${stats.flowsOpen} flows open, all exported\n`);
  }
  return stats;
}

export function summary(r: AnalyzeResult): string {
  const bySeverity = new Map<string, number>();
  for (const a of r.anomalies) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
  const top = [...r.anomalies].sort((a, b) => a.score - b.score).slice(0, 10);
  const skipped = r.packets - r.decoded;
  const lines = [
    `model ${r.modelId}${r.baselineFlows ? ` trained on ${r.baselineFlows} baseline flows` : ''}`,
    `read ${r.packets} packets: ${r.decoded} decoded into flows` + (skipped > 0 ? `, ${skipped} skipped (${formatDrops(r.drops)})` : ''),
    `scored ${r.flows} flows: ${r.anomalies.length} anomalous (${r.flows ? ((100 * r.anomalies.length) / r.flows).toFixed(1) : '0'}%)` +
      (bySeverity.size ? ` — ${[...bySeverity].map(([s, n]) => `${s} ${n}`).join(', ')}` : '') +
      (r.duplicates ? `; ${r.duplicates} repeated flow ids written once` : ''),
    `${r.incidents.length} incident(s)` + (r.incidents.length ? ':' : ''),
    ...r.incidents.slice(0, 10).map((i) => `  ${i.severity.padEnd(8)} ${i.source_count > 1 ? `${i.source_count} sources` : i.src_ip} ${i.behaviour}: ${i.flows} flows, ${i.victim_count} victim(s), ${((i.ts_end - i.ts_start) / 1e6).toFixed(0)} s — ${i.top_reasons[0] ?? ''}`),
    ...(top.length ? ['most anomalous:'] : []),
    ...top.map(
      (a) =>
        `  ${a.score.toFixed(3)} ${a.severity.padEnd(8)} ${a.src_ip}:${a.src_port} -> ${a.dst_ip}:${a.dst_port} proto ${a.protocol}` +
        (a.reasons.length ? `\n      ${a.reasons.map((x) => x.text).join('; ')}` : ''),
    ),
    ...r.warnings.map((w) => `warning: ${w}`),
    ...(r.partial ? [`PARTIAL RESULT (${r.stopped}): the outputs hold only what was read before it stopped`] : []),
    `wrote ${r.files.map((f) => join(r.out, f)).join(', ')}`,
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
          'Ctrl-C (or --duration), then scores the flows still open; it needs CAP_NET_RAW (root, or setcap on node). ' +
          `Outputs are written under temporary names and renamed into place when complete, with ${RUN_FILE} (input, packets read, ` +
          'why it stopped, exit status): a failed run leaves earlier results as they were. SIGINT/SIGTERM stop the reading, score what was ' +
          'read and write outputs marked partial; a second signal exits at once, writing nothing. ' + EXIT_HELP,
        analyzeSpec,
      ),
    );
    return 0;
  }
  const stop = new AbortController();
  // The first signal stops the reading (outputs written from what was read); a second exits at once, leaving no temporary files.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      discardAllStaged();
      process.stderr.write(`nids analyze: ${signal} again: exiting, nothing written\n`);
      process.exit(signalExit(signal));
    }
    process.stderr.write(`nids analyze: ${signal}: stopping the reading, scoring what was read (again to exit at once)\n`);
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { config } = loadConfig(analyzeSpec, argv);
    const result = await analyze(config, stop.signal);
    process.stdout.write(summary(result));
    return result.exitStatus;
  } catch (err) {
    if (err instanceof InterruptedError) {
      process.stderr.write(`nids analyze: ${err.message}; earlier results left as they were\n`);
      return signalExit(err.signal);
    }
    const kept = err instanceof ConfigError ? '' : '; earlier results in --out left as they were';
    process.stderr.write(`nids analyze: ${(err as Error).message}${kept}\n`);
    return exitCodeOf(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
