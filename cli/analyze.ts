// Embedded mode (like `zeek -r`): the sensor, trainer, scorer and sink stage code in one
// process, joined by in-process queues and an in-memory model store. No Kafka, registry
// or Redis. Writes the same CSV and plots as the distributed sink; --serve shows them live.
import { appendFileSync, closeSync, openSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { LineWriter } from '../lib/output/line-writer.ts';
import { join } from 'node:path';
import { ConfigError, loadConfig, pick } from '../lib/config/index.ts';
import { dashboardSettings, holdBackSettings, incidentCapSettings, trainingSettings } from '../lib/config/stages.ts';
import { ECS_FILE, ecsOfAnomaly, ecsOfIncident, type EcsAlert } from '../lib/siem/ecs.ts';
import { createLogger } from '../lib/log/index.ts';
import { MemoryModelStore } from '../lib/modelstore/index.ts';
import { BatchQueue } from '../lib/queue/index.ts';
import { Detector } from '../lib/detector/index.ts';
import type { Flow } from '../lib/flow/record.ts';
import type { Anomaly } from '../lib/avro/records.ts';
import { DROP_REASONS, lossRate, probeCapture, type CaptureDrops } from '../lib/capture/live.ts';
import type { LiveFlowStats } from '../lib/flow/from-live.ts';
import { nowMicros } from '../lib/time/index.ts';
import { captureFlows, liveCaptureOptions, progressOf, readFlows, watchCaptureLoss } from '../lib/pipeline/source.ts';
import { Progress } from '../lib/progress/index.ts';
import { modelMetaOf, trainOnBaseline } from '../lib/pipeline/train.ts';
import { ActiveModelHolder } from '../lib/pipeline/active-model.ts';
import { scoreFlows, type ScoredBatch } from '../lib/pipeline/score.ts';
import { HoldBack } from '../lib/pipeline/hold-back.ts';
import { CsvWriter, CSV_FILE } from '../lib/pipeline/csv.ts';
import { PLOT_FILES, writePlots } from '../lib/pipeline/plot.ts';
import { alertOfAnomaly, DashboardFeed } from '../lib/dashboard/feed.ts';
import { startDashboard, type Dashboard } from '../lib/dashboard/server.ts';
import { PlotData } from '../lib/plot/data.ts';
import { IncidentTracker, latestEnd, type Incident } from '../lib/pipeline/incidents.ts';
import { MostAnomalous } from '../lib/pipeline/most-anomalous.ts';
import type { FlowTableStats, PcapFlowStats } from '../lib/flow/from-pcap.ts';
import { checkOutDir, discardAllStaged, fsCall, PathError, StagedOutputs } from '../lib/output/index.ts';
import { checkCaptureFile } from '../lib/pcap/reader.ts';
import { EXIT, exitCodeOf, signalExit } from './exit.ts';
import { analyzeHelp, analyzeSpec, ANOMALIES_FILE, INCIDENTS_FILE, MODEL_FILE, RUN_FILE, type AnalyzeConfig } from './analyze-spec.ts';

export { analyzeSpec, ANOMALIES_FILE, INCIDENTS_FILE, MODEL_FILE, RUN_FILE, type AnalyzeConfig } from './analyze-spec.ts';

const SCOPE = 'default';
/** Anomalies the summary lists under "most anomalous". */
const MOST_ANOMALOUS = 10;
const BATCH = 512;
/** Incidents the summary lists. */
const SUMMARY_INCIDENTS = 10;


/** Why the reading of the input stopped. */
export type StopReason = 'end of input' | 'damaged input' | 'SIGINT' | 'SIGTERM' | 'duration';

export interface AnalyzeResult {
  out: string;
  modelId: string;
  baselineFlows: number;
  /** Flows scored and written: the CSV's rows (a repeated flow id counts once). */
  flows: number;
  /** The anomalies among those rows: anomalies.jsonl's lines. */
  anomalies: number;
  /** Those anomalies by severity. */
  bySeverity: Record<string, number>;
  /** The MOST_ANOMALOUS lowest-scored anomalies, lowest first (all of them stay in anomalies.jsonl only: a flood has millions). */
  mostAnomalous: Anomaly[];
  /** The first SUMMARY_INCIDENTS incidents closed (all are in incidents.jsonl; a flood can make millions). */
  incidents: Incident[];
  /** Incidents written: incidents.jsonl's lines. */
  incidentCount: number;
  /** Flows whose flow id repeated one already written (a capture with repeated packets): not written again. */
  duplicates: number;
  /** Packets read from the input (or captured). */
  packets: number;
  /** Packets decoded into flows. */
  decoded: number;
  /** Packets skipped by the decoder, by reason (only reasons that occurred). */
  drops: Record<string, number>;
  /** Flows exported early because --max-flows-open were open. */
  flowEvictions: number;
  /** Active sources whose behaviour state was dropped because --max-sources were tracked. */
  sourceEvictions: number;
  /** Held normal flows a host behaviour of their source flagged later, and those written early because --max-held were waiting. */
  heldBack: { flagged: number; overflow: number };
  /** Incidents closed early at --max-open-incidents. */
  incidentEvictions: number;
  /** Live capture only: packets lost before the flow table, by where, and the flows marked capture_loss. */
  capture: { dropped: CaptureDrops; lossPct: number; lossFlows: number } | null;
  stopped: StopReason;
  /** Not every packet of the input was scored (damage, a signal): the outputs hold what was. */
  partial: boolean;
  warnings: string[];
  /** How fast each capture was read: `<baseline|input> <path>: N packets in S s (R pkt/s)`. */
  reading: string[];
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
export async function analyze(config: AnalyzeConfig, stop?: AbortSignal, feed?: DashboardFeed): Promise<AnalyzeResult> {
  const log = createLogger('analyze', config.logLevel);
  const warnings: string[] = [];
  const modelBytes = validate(config, warnings);
  // Before training: the libpcap binding loads, the interface exists, we may capture on it, the filter compiles.
  if (config.iface) probeCapture(liveCaptureOptions({ ...config, iface: config.iface }));

  // Nothing in --out is touched until here; every file is staged and renamed into place at the end.
  const outputs = new StagedOutputs(config.out);
  try {
    return await analyzeInto(config, outputs, modelBytes, warnings, log, stop, feed);
  } finally {
    outputs.discard();
  }
}

async function analyzeInto(config: AnalyzeConfig, outputs: StagedOutputs, modelBytes: Uint8Array | null, warnings: string[], log: ReturnType<typeof createLogger>, stop?: AbortSignal, feed?: DashboardFeed): Promise<AnalyzeResult> {
  // Trainer stage, into the in-memory model store.
  const store = new MemoryModelStore();
  const reading: string[] = [];
  let baselineFlows = 0;
  let modelId: string;
  let partial = false;
  let exitStatus: number = EXIT.OK;
  if (modelBytes) {
    ({ id: modelId } = await store.save(modelBytes, modelMetaOf(Detector.deserialize(modelBytes), SCOPE, `loaded from ${config.model}`)));
  } else {
    const baseline: Flow[] = [];
    const path = config.baseline!;
    const progress = new Progress(`baseline ${path}`);
    const stats = await readFlows(path, config, null, (f) => baseline.push(f), { onProgress: progressOf(progress), signal: stop });
    reading.push(progress.finish());
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
  const csv = fsCall(join(config.out, CSV_FILE), () => new CsvWriter(csvTmp, false, feed?.plot ?? new PlotData()));
  const anomaliesTmp = outputs.path(ANOMALIES_FILE);
  const anomaliesFd = fsCall(join(config.out, ANOMALIES_FILE), () => openSync(anomaliesTmp, 'w'));
  const anomalyLines = new LineWriter(anomaliesFd);
  const incidentsTmp = outputs.path(INCIDENTS_FILE);
  fsCall(join(config.out, INCIDENTS_FILE), () => writeFileSync(incidentsTmp, ''));
  const ecsTmp = config.ecs ? outputs.path(ECS_FILE) : null;
  if (ecsTmp) fsCall(join(config.out, ECS_FILE), () => writeFileSync(ecsTmp, ''));
  const writeEcs = (alerts: EcsAlert[]) => {
    if (ecsTmp && alerts.length > 0) fsCall(join(config.out, ECS_FILE), () => appendFileSync(ecsTmp, alerts.map((e) => JSON.stringify(e) + '\n').join('')));
  };
  const tracker = new IncidentTracker(pick(incidentCapSettings, config));
  const incidents: Incident[] = [];
  let incidentCount = 0;
  const writeIncidents = (closed: Incident[]) => {
    if (closed.length === 0) return;
    fsCall(join(config.out, INCIDENTS_FILE), () => appendFileSync(incidentsTmp, closed.map((i) => JSON.stringify(i) + '\n').join('')));
    writeEcs(closed.map(ecsOfIncident));
    for (const i of closed) if (incidents.length < SUMMARY_INCIDENTS) incidents.push(i);
    incidentCount += closed.length;
    csv.plot.addIncidents(closed);
    feed?.addIncidents(closed);
  };
  const top = new MostAnomalous(MOST_ANOMALOUS);
  const bySeverity: Record<string, number> = {};
  let anomalies = 0;
  let flows = 0;
  const holdBack = new HoldBack(pick(holdBackSettings, config));
  let heldModel = active;
  const consume = (async () => {
    for await (const batch of queue.batches(BATCH)) {
      const inForce = model.current ?? active;
      // A held flow is written as the model that scored it judged it: a reload releases them first.
      if (inForce !== heldModel) write({ scored: holdBack.flush(), anomalies: [] }, batch);
      heldModel = inForce;
      write(holdBack.take(scoreFlows(inForce, batch, nowMicros()), nowMicros()), batch);
    }
    write({ scored: holdBack.flush(), anomalies: [] }, []);
  })();
  function write({ scored, anomalies: found }: ScoredBatch, batch: readonly Flow[]): void {
    const byId = new Map(found.map((a) => [a.flow_id, a]));
    const written: Anomaly[] = [];
    // Only rows the CSV takes (a repeated flow id is written once) count, everywhere.
    csv.write(scored, (s) => {
      flows++;
      const a = s.anomaly === -1 ? byId.get(s.flow.flow_id) : undefined;
      if (a) written.push(a);
    });
    if (written.length > 0) {
      fsCall(join(config.out, ANOMALIES_FILE), () => {
        for (const a of written) anomalyLines.add(JSON.stringify(a) + '\n');
        anomalyLines.flush(false);
      });
    }
    anomalies += written.length;
    for (const a of written) {
      bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
      top.offer(a);
    }
    feed?.addAnomalies(written.map(alertOfAnomaly));
    if (ecsTmp) writeEcs(written.map(ecsOfAnomaly)); // not built at all without --ecs
    writeIncidents(tracker.add(written, nowMicros(), latestEnd(batch)));
  }
  let stopped: StopReason = 'end of input';
  let packets = 0;
  let decoded = 0;
  let drops: Record<string, number> = {};
  let flowEvictions = 0;
  let sourceEvictions = 0;
  let capture: AnalyzeResult['capture'] = null;
  let failure: unknown = null;
  try {
    if (config.input) {
      const path = config.input;
      const progress = new Progress(`input ${path}`);
      const stats = await readFlows(path, config, null, (f) => queue.push(f), { drain: () => queue.drain(), onProgress: progressOf(progress), signal: stop });
      reading.push(progress.finish());
      ({ packets, decoded, evictions: flowEvictions, sourceEvictions } = stats);
      drops = dropsOf(stats);
      checkDecodable(stats, '--input', path);
      warnings.push(...readWarnings(stats, '--input', path));
      if (stats.aborted) stopped = signalOf(stop);
      else if (stats.damage) stopped = 'damaged input';
    } else {
      let lossFlows = 0;
      const onFlow = (f: Flow) => {
        if (f.capture_loss) lossFlows++;
        queue.push(f);
      };
      const s = await captureUntilStopped({ ...config, iface: config.iface! }, onFlow, () => ({ flows, anomalies }), stop);
      ({ packets, decoded, evictions: flowEvictions, sourceEvictions } = s);
      drops = dropsOf(s);
      const lossPct = 100 * lossRate(s.capture);
      capture = { dropped: s.capture.dropped, lossPct, lossFlows };
      if (lossPct > config.lossWarnPct) warnings.push(`the live capture lost ${lossPct.toFixed(2)} % of the packets (${formatCaptureDrops(s.capture.dropped)}): ${lossFlows} flows open meanwhile are marked capture_loss; see --buffer-mb and --ring-mb`);
      stopped = stop?.aborted ? signalOf(stop) : 'duration';
    }
  } catch (err) {
    failure = err;
  } finally {
    queue.close();
    await consume.catch((err: unknown) => (failure ??= err));
    try {
      csv.close();
      fsCall(join(config.out, ANOMALIES_FILE), () => closeSync(anomaliesFd));
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
  if (holdBack.stats.overflow > 0) warnings.push(`${holdBack.stats.overflow} flows were written before their hold time was up (more than --max-held flows waited): a host behaviour detected later could not flag them`);
  const duplicates = csv.duplicatesDropped;
  if (duplicates > 0) warnings.push(`${duplicates} flows repeat the flow id of a flow already written (repeated packets in the capture?): each is written once`);
  await writePlots(csv.plot, (file, png) => fsCall(join(config.out, file), () => writeFileSync(outputs.path(file), png)), config.plotFont);
  const files = [CSV_FILE, ...PLOT_FILES, ANOMALIES_FILE, INCIDENTS_FILE, ...(config.ecs ? [ECS_FILE] : []), ...(config.model ? [] : [MODEL_FILE]), RUN_FILE];
  const result: AnalyzeResult = { out: config.out, modelId, baselineFlows, flows, anomalies, bySeverity, mostAnomalous: top.lowestFirst(), incidents, incidentCount, duplicates, packets, decoded, drops, flowEvictions, sourceEvictions, incidentEvictions: tracker.evictions, heldBack: { flagged: holdBack.stats.flagged, overflow: holdBack.stats.overflow }, capture, stopped, partial, warnings, reading, exitStatus, files };
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
    flow_evictions: r.flowEvictions,
    source_evictions: r.sourceEvictions,
    held_back_flagged: r.heldBack.flagged,
    held_back_overflow: r.heldBack.overflow,
    incident_evictions: r.incidentEvictions,
    ...(r.capture ? { capture_dropped: r.capture.dropped, capture_loss_pct: r.capture.lossPct, capture_loss_flows: r.capture.lossFlows } : {}),
    flows: r.flows,
    anomalies: r.anomalies,
    incidents: r.incidentCount,
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
async function captureUntilStopped(config: AnalyzeConfig & { iface: string }, onFlow: (f: Flow) => void, progress: () => { flows: number; anomalies: number }, stop?: AbortSignal): Promise<LiveFlowStats> {
  const live = captureFlows(config, config, null, onFlow);
  const unwatch = watchCaptureLoss(live.capture, config.lossWarnPct, (msg) => process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}warning: ${msg}\n`));
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
    unwatch();
    if (ticker) {
      clearInterval(ticker);
      process.stderr.write('\n');
    }
    stats = live.stop();
    const lost = stats.capture.dropped;
    process.stderr.write(`capture stopped: ${stats.capture.packets.toLocaleString()} packets, ${lost.ring_full + lost.kernel + lost.interface ? `${formatCaptureDrops(lost)} dropped` : 'none dropped'}, ${stats.flowsOpen} flows open, all exported\n`);
  }
  return stats;
}

/** "12 kernel, 3 ring_full": the reasons that occurred (or "0"). */
function formatCaptureDrops(d: CaptureDrops): string {
  return DROP_REASONS.filter((r) => d[r] > 0).map((r) => `${d[r]} ${r}`).join(', ') || '0';
}

export function summary(r: AnalyzeResult): string {
  const bySeverity = Object.entries(r.bySeverity);
  const top = r.mostAnomalous;
  const skipped = r.packets - r.decoded;
  const lines = [
    `model ${r.modelId}${r.baselineFlows ? ` trained on ${r.baselineFlows} baseline flows` : ''}`,
    `read ${r.packets} packets: ${r.decoded} decoded into flows` + (skipped > 0 ? `, ${skipped} skipped (${formatDrops(r.drops)})` : ''),
    ...(r.capture
      ? [
          r.capture.lossPct > 0
            ? `live capture dropped ${formatCaptureDrops(r.capture.dropped)} packets (${r.capture.lossPct.toFixed(2)} % of those offered); ${r.capture.lossFlows} flows marked capture_loss`
            : 'live capture dropped no packets',
        ]
      : []),
    `scored ${r.flows} flows: ${r.anomalies} anomalous (${r.flows ? ((100 * r.anomalies) / r.flows).toFixed(1) : '0'}%)` +
      (bySeverity.length ? ` — ${bySeverity.map(([s, n]) => `${s} ${n}`).join(', ')}` : '') +
      (r.duplicates ? `; ${r.duplicates} repeated flow ids written once` : '') +
      (r.heldBack.flagged ? `; ${r.heldBack.flagged} of them held back and flagged when their source's behaviour showed later` : ''),
    `${r.incidentCount} incident(s)` + (r.incidentCount ? ':' : ''),
    ...r.incidents.map((i) => `  ${i.severity.padEnd(8)} ${i.source_count > 1 ? `${i.source_count} sources` : i.src_ip} ${i.behaviour}: ${i.flows} flows, ${i.victim_count} victim(s), ${((i.ts_end - i.ts_start) / 1e6).toFixed(0)} s — ${i.top_reasons[0] ?? ''}`),
    ...(top.length ? ['most anomalous:'] : []),
    ...top.map(
      (a) =>
        `  ${a.score.toFixed(3)} ${a.severity.padEnd(8)} ${a.src_ip}:${a.src_port} -> ${a.dst_ip}:${a.dst_port} proto ${a.protocol}` +
        (a.reasons.length ? `\n      ${a.reasons.map((x) => x.text).join('; ')}` : ''),
    ),
    ...r.reading,
    ...(r.flowEvictions ? [`${r.flowEvictions} flows exported early: --max-flows-open were open`] : []),
    ...(r.sourceEvictions ? [`${r.sourceEvictions} active sources dropped from behaviour tracking (--max-sources reached: a flood of new sources?); their context restarts`] : []),
    ...(r.incidentEvictions ? [`${r.incidentEvictions} incidents closed early: --max-open-incidents were open`] : []),
    ...r.warnings.map((w) => `warning: ${w}`),
    ...(r.partial ? [`PARTIAL RESULT (${r.stopped}): the outputs hold only what was read before it stopped`] : []),
    `wrote ${r.files.map((f) => join(r.out, f)).join(', ')}`,
  ];
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(analyzeHelp());
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
  let dashboard: Dashboard | null = null;
  try {
    const { config } = loadConfig(analyzeSpec, argv);
    const feed = config.serve ? new DashboardFeed(new PlotData()) : undefined;
    if (feed) {
      dashboard = await startDashboard(feed, pick(dashboardSettings, config));
      process.stderr.write(`dashboard: ${dashboard.url}\n`);
    }
    const result = await analyze(config, stop.signal, feed);
    process.stdout.write(summary(result));
    if (dashboard && !stop.signal.aborted) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stderr.write(`dashboard: the run is done; still serving ${dashboard.url} until Ctrl-C\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
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
    await dashboard?.close();
  }
}
