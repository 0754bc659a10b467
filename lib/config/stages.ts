// Settings of the pipeline's stages, shared by the services, the embedded mode, the
// benchmarks and the libraries behind them: the one place their defaults are written.
// FlowTable and Detector.train take their defaults from here, so a stage run with no
// options (a benchmark, a test) behaves as the product does.
import { ConfigError, bool, defaultsOf, list, num, oneOf, optionalStr, str, type ConfigOf, type Setting } from './index.ts';
import { SEVERITIES } from '../avro/records.ts';

/** The sensor stage: packets -> flows (lib/flow/table.ts). */
export const flowSettings = {
  idleTimeoutS: num({ flag: 'idle-timeout', env: 'NIDS_IDLE_TIMEOUT_S', default: 60, min: 1, help: 'Seconds without a packet before a flow is exported.' }),
  activeTimeoutS: num({ flag: 'active-timeout', env: 'NIDS_ACTIVE_TIMEOUT_S', default: 300, min: 1, help: 'Longest a flow stays open before it is exported (and continues as a new one).' }),
  maxFlows: num({ flag: 'max-flows-open', env: 'NIDS_MAX_FLOWS_OPEN', default: 1_000_000, integer: true, min: 1, help: 'Open flows at most; beyond it the oldest is evicted (counted).' }),
  maxSources: num({ flag: 'max-sources', env: 'NIDS_MAX_SOURCES', default: 65_536, integer: true, min: 1, help: 'Source hosts whose behaviour (ctx_* and host statistics) is tracked at most; beyond it the least recently active is dropped (counted). A flood of spoofed sources stays within it.' }),
  contextWindowS: num({ flag: 'context-window', env: 'NIDS_CONTEXT_WINDOW_S', default: 60, min: 1, help: 'Sliding window of the per-source behavioral context.' }),
  threads: num({ flag: 'threads', env: 'NIDS_THREADS', default: 1, integer: true, min: 1, max: 2, help: 'Threads reading a capture file: 1, or 2 (one reads, decodes and keeps the flow table, the other builds the flow records; the same flows in the same order). A live capture has its own capture thread.' }),
  replaySpeed: num({ flag: 'replay-speed', env: 'NIDS_REPLAY_SPEED', default: 0, min: 0, help: 'pcap pacing: 0 as fast as possible, N = real time x N.' }),
};
export type FlowSettings = ConfigOf<typeof flowSettings>;
export const FLOW_DEFAULTS: FlowSettings = defaultsOf(flowSettings);

/** Live capture (lib/capture/live.ts); the source is the interface when `iface` is set. */
export const liveCaptureSettings = {
  iface: optionalStr({ flag: 'iface', env: 'NIDS_SENSOR_IFACE', metavar: 'name', help: 'Network interface to capture on live (`any` for all); needs CAP_NET_RAW.' }),
  filter: optionalStr({ flag: 'filter', env: 'NIDS_SENSOR_FILTER', metavar: 'bpf', help: 'BPF filter of the live capture (pcap-filter syntax), e.g. "not port 9092".' }),
  snaplen: num({ flag: 'snaplen', env: 'NIDS_SENSOR_SNAPLEN', default: 65535, integer: true, min: 64, max: 65535, help: 'Bytes kept of each captured packet (headers are enough for flows).' }),
  promisc: bool({ flag: 'promisc', env: 'NIDS_SENSOR_PROMISC', default: true, help: 'Promiscuous mode; --no-promisc keeps only this host\'s own, broadcast and multicast frames.' }),
  bufferMb: num({ flag: 'buffer-mb', env: 'NIDS_SENSOR_BUFFER_MB', default: 64, min: 1, max: 2047, help: 'libpcap kernel buffer in MiB: absorbs bursts while the capture thread is busy (overflow: dropped, reason "kernel").' }),
  ringMb: num({ flag: 'ring-mb', env: 'NIDS_SENSOR_RING_MB', default: 64, min: 1, max: 2047, help: 'Ring in MiB between the capture thread and the flow table: absorbs bursts while flows are scored or published (overflow: dropped, reason "ring_full").' }),
  lossWarnPct: num({ flag: 'loss-warn-pct', env: 'NIDS_SENSOR_LOSS_WARN_PCT', default: 0.1, min: 0, max: 100, help: 'Warn when more than this share of packets, in %, is dropped by the capture over 5 s.' }),
};
export type LiveCaptureSettings = ConfigOf<typeof liveCaptureSettings>;
export const CAPTURE_DEFAULTS: LiveCaptureSettings = defaultsOf(liveCaptureSettings);

const contamination: Setting<number | 'auto'> = {
  flag: 'contamination',
  env: 'NIDS_CONTAMINATION',
  // Not scikit-learn's 'auto': on flow features many normal flows score near -0.5, so a
  // threshold learned as a baseline quantile gives far fewer false alarms.
  default: 0.005,
  metavar: "fraction|'auto'",
  help: "Share of the baseline allowed below the threshold, a fraction in (0, 0.5], or 'auto' (scikit-learn's fixed offset -0.5).",
  parse: (raw, name) => {
    if (raw === 'auto') return 'auto';
    const v = Number(raw);
    if (raw.trim() === '' || !(v > 0 && v <= 0.5)) throw new Error(`${name}: expected 'auto' or a fraction in (0, 0.5], got "${raw}"`);
    return v;
  },
};

/** The trainer stage: baseline flows -> detector (lib/detector). */
export const trainingSettings = {
  featurizer: oneOf(['behavioral', 'seed'] as const, { flag: 'featurizer', env: 'NIDS_FEATURIZER', default: 'behavioral', help: "Feature set: 'behavioral' (nids) or 'seed' (raw 5-tuple, for comparison)." }),
  nEstimators: num({ flag: 'n-estimators', env: 'NIDS_N_ESTIMATORS', default: 100, integer: true, min: 1, help: 'Trees in the forest.' }),
  maxSamples: num({ flag: 'max-samples', env: 'NIDS_MAX_SAMPLES', default: 256, integer: true, min: 2, help: 'Flows per tree (capped at the window size).' }),
  contamination,
  seed: num({ flag: 'seed', env: 'NIDS_SEED', default: 42, integer: true, min: 0, help: 'Random seed: the same window and seed give the same model.' }),
  internalCidrs: list({
    flag: 'internal-cidrs',
    env: 'NIDS_INTERNAL_CIDRS',
    default: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', 'fc00::/7', '::1/128', 'fe80::/10'],
    help: 'Address ranges counted as internal (private, loopback and link-local by default).',
  }),
};
export type TrainingSettings = ConfigOf<typeof trainingSettings>;
export const TRAINING_DEFAULTS: TrainingSettings = defaultsOf(trainingSettings);

/** Whether a newly stored model becomes the active one (trainer, nids model import). */
export const promoteSetting = bool({ flag: 'promote', env: 'NIDS_PROMOTE', default: true, help: 'Make the new model active (--no-promote: store only).' });

/** The sink stage's plots (lib/plot/), in the sink service and the embedded mode. */
export const plotSettings = {
  plotFont: str({ flag: 'plot-font', env: 'NIDS_PLOT_FONT', default: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', metavar: 'ttf', help: "Font file the PNG plots' text is drawn with (Debian's fonts-dejavu-core); if missing, a system sans-serif." }),
};

/** The live dashboard (lib/dashboard/), served by the sink and by `nids analyze --serve`. */
export const dashboardSettings = {
  serve: bool({ flag: 'serve', env: 'NIDS_SERVE', default: false, help: 'Serve the live dashboard (counts, plots, anomalies and incidents as they arrive); the URL is printed.' }),
  dashboardHost: str({ flag: 'dashboard-host', env: 'NIDS_DASHBOARD_HOST', default: '127.0.0.1', help: 'Address the dashboard binds to; beyond loopback it needs --dashboard-token.' }),
  dashboardPort: num({ flag: 'dashboard-port', env: 'NIDS_DASHBOARD_PORT', default: 8787, integer: true, min: 0, max: 65535, help: 'Port of the dashboard (0 = pick a free port; the URL is printed).' }),
  dashboardToken: optionalStr({ flag: 'dashboard-token', env: 'NIDS_DASHBOARD_TOKEN', metavar: 'secret', secret: true, help: 'Token the dashboard asks for (?token= in the URL, or Authorization: Bearer); required to bind beyond loopback.' }),
};
export type DashboardSettings = ConfigOf<typeof dashboardSettings>;

/**
 * The memory bounds of incident tracking (the scorer and the embedded mode): an open
 * incident holds at most 2 x incident-exact-hosts host names plus two 16 KiB sketches
 * (about 1.5 MB at the default, a few hundred bytes for a typical incident), and at most
 * max-open-incidents are open.
 */
export const incidentCapSettings = {
  incidentExactHosts: num({ flag: 'incident-exact-hosts', env: 'NIDS_INCIDENT_EXACT_HOSTS', default: 10_000, integer: true, min: 20, help: 'Distinct sources and victims an incident counts exactly; beyond it they are estimated (HyperLogLog, about 1 %) in fixed memory, so a flood of spoofed sources does not grow it.' }),
  maxOpenIncidents: num({ flag: 'max-open-incidents', env: 'NIDS_MAX_OPEN_INCIDENTS', default: 100_000, integer: true, min: 1, help: 'Open incidents at most; beyond it the least recently joined is closed early (counted as an incident eviction).' }),
};
export type IncidentCaps = ConfigOf<typeof incidentCapSettings>;
export const INCIDENT_CAP_DEFAULTS: IncidentCaps = defaultsOf(incidentCapSettings);

/** Incident reports of the scorer (lib/pipeline/incidents.ts). */
export const incidentSettings = {
  incidentUpdateS: num({ flag: 'incident-update', env: 'NIDS_INCIDENT_UPDATE_S', default: 10, min: 0, help: 'Seconds between reports of an open incident that grew (0 = report every change); it is also reported when it opens and when it closes.' }),
  ...incidentCapSettings,
};

/** SIEM-shaped files of the sink and the embedded mode (lib/siem/ecs.ts). */
export const siemSettings = {
  ecs: bool({ flag: 'ecs', env: 'NIDS_ECS', default: false, help: 'Also write alerts.ecs.ndjson: anomalies and incidents as Elastic Common Schema alerts, one per line.' }),
};

const webhookUrl: Setting<string | undefined> = {
  flag: 'webhook-url',
  env: 'NIDS_WEBHOOK_URL',
  metavar: 'url',
  // Slack's and most chat webhooks carry their token in the URL.
  secret: true,
  help: 'POST alerts (anomalies and incidents at or above --alert-severity) to this http(s) URL; none by default.',
  default: undefined,
  parse: (raw, name) => {
    if (raw === '') return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`${name}: not a URL: "${raw}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name}: must be an http:// or https:// URL, got ${url.protocol}`);
    return raw;
  },
};

/** Webhook alerting of the sink (lib/alert/). */
export const alertSettings = {
  webhookUrl,
  webhookFormat: oneOf(['json', 'slack'] as const, { flag: 'webhook-format', env: 'NIDS_WEBHOOK_FORMAT', default: 'json', help: 'Body of each POST: json (nids\' own fields and the record) or slack (an incoming-webhook message).' }),
  alertSeverity: oneOf(SEVERITIES, { flag: 'alert-severity', env: 'NIDS_ALERT_SEVERITY', default: 'high', help: 'Lowest severity that is alerted.' }),
  alertDedupeS: num({ flag: 'alert-dedupe', env: 'NIDS_ALERT_DEDUPE_S', default: 300, min: 0, help: 'Seconds during which further alerts of the same kind, source and behaviour are suppressed (counted).' }),
  alertRatePerMin: num({ flag: 'alert-rate', env: 'NIDS_ALERT_RATE_PER_MIN', default: 30, integer: true, min: 1, help: 'Alerts sent per minute at most; beyond it they are dropped (counted).' }),
  alertQueue: num({ flag: 'alert-queue', env: 'NIDS_ALERT_QUEUE', default: 1000, integer: true, min: 1, help: 'Alerts waiting to be sent at most; beyond it new ones are dropped (counted), so a slow receiver never holds up the sink.' }),
  alertRetries: num({ flag: 'alert-retries', env: 'NIDS_ALERT_RETRIES', default: 4, integer: true, min: 0, help: 'Retries of a failed POST (network error, timeout, 5xx or 429), with exponential back-off.' }),
  alertBackoffMs: num({ flag: 'alert-backoff-ms', env: 'NIDS_ALERT_BACKOFF_MS', default: 500, min: 1, help: 'Wait before the first retry; doubled for each next one.' }),
  alertTimeoutMs: num({ flag: 'alert-timeout-ms', env: 'NIDS_ALERT_TIMEOUT_MS', default: 5000, min: 1, help: 'A POST not answered within this is abandoned (and retried).' }),
};
export type AlertSettings = ConfigOf<typeof alertSettings>;
export const ALERT_DEFAULTS: AlertSettings = defaultsOf(alertSettings);

/**
 * The hold-back stage (lib/pipeline/hold-back.ts), in the scorer and the embedded mode: a
 * flow judged normal waits this long in capture time before it is written, so a host
 * behaviour its source shows later (a brute force crossing its threshold at the fifth
 * login) can still flag it. The default is the host tier's longest window (60 s).
 */
export const holdBackSettings = {
  holdS: num({ flag: 'hold', env: 'NIDS_HOLD_S', default: 60, min: 0, help: 'Seconds of capture time a normal flow is held before it is written, so a host behaviour detected later still flags it (0 = write at once).' }),
  maxHeld: num({ flag: 'max-held', env: 'NIDS_MAX_HELD', default: 200_000, integer: true, min: 0, help: 'Flows held at most; beyond it the oldest is written at once (counted).' }),
};
export type HoldBackSettings = ConfigOf<typeof holdBackSettings>;
export const HOLD_BACK_DEFAULTS: HoldBackSettings = defaultsOf(holdBackSettings);
