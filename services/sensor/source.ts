// The sensor's packet side, shared by the sensor service and the embedded mode: a capture
// file through the decoder and flow table into flows, with the table's counters exported
// as Prometheus metrics and a progress line on a TTY.
import { num } from '../../lib/config/index.ts';
import { flowsFromPcap, type FlowTableStats } from '../../lib/flow/from-pcap.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { Gauge, type Registry } from '../../lib/metrics/index.ts';
import type { FlowTable } from '../../lib/flow/table.ts';

export const sensorFlowSettings = {
  idleTimeoutS: num({ flag: 'idle-timeout', env: 'NIDS_IDLE_TIMEOUT_S', default: 60, min: 1, help: 'Seconds without a packet before a flow is exported.' }),
  activeTimeoutS: num({ flag: 'active-timeout', env: 'NIDS_ACTIVE_TIMEOUT_S', default: 300, min: 1, help: 'Longest a flow stays open before it is exported (and continues as a new one).' }),
  maxFlows: num({ flag: 'max-flows-open', env: 'NIDS_MAX_FLOWS_OPEN', default: 1_000_000, integer: true, min: 1, help: 'Open flows at most; beyond it the oldest is evicted (counted).' }),
  contextWindowS: num({ flag: 'context-window', env: 'NIDS_CONTEXT_WINDOW_S', default: 60, min: 1, help: 'Sliding window of the per-source behavioral context.' }),
  replaySpeed: num({ flag: 'replay-speed', env: 'NIDS_REPLAY_SPEED', default: 0, min: 0, help: 'pcap pacing: 0 as fast as possible, N = real time x N.' }),
};

export interface FlowSettings {
  sensorId: string;
  idleTimeoutS: number;
  activeTimeoutS: number;
  maxFlows: number;
  contextWindowS: number;
  replaySpeed: number;
}

export interface ReadOptions {
  drain?: () => Promise<void> | undefined;
  onProgress?: (p: { bytesRead: number; totalBytes: number; packets: number }) => void;
}

export async function readFlows(
  path: string,
  s: FlowSettings,
  registry: Registry | null,
  onFlow: (f: Flow) => void,
  opts: ReadOptions = {},
): Promise<FlowTableStats> {
  return flowsFromPcap(
    path,
    { sensorId: s.sensorId, idleTimeoutS: s.idleTimeoutS, activeTimeoutS: s.activeTimeoutS, maxFlows: s.maxFlows, contextWindowS: s.contextWindowS },
    onFlow,
    { drain: opts.drain, onProgress: opts.onProgress, replaySpeed: s.replaySpeed },
    registry ? (table) => exportTableMetrics(table, registry) : undefined,
  );
}

/**
 * The flow table's counters as Prometheus metrics, read at scrape time (the hot path only
 * bumps plain numbers). Gauges, since a scrape reads the table's own running totals.
 */
export function exportTableMetrics(table: FlowTable, registry: Registry): void {
  const reg = [registry];
  new Gauge({ name: 'nids_sensor_packets_seen', help: 'Packets read from the source', registers: reg, collect() { this.set(table.stats().packets); } });
  new Gauge({ name: 'nids_sensor_ip_bytes_seen', help: 'IP bytes of decoded packets', registers: reg, collect() { this.set(table.stats().bytes); } });
  new Gauge({
    name: 'nids_sensor_packets_dropped', help: 'Packets skipped by the decoder, by reason', labelNames: ['reason'], registers: reg,
    collect() { for (const [reason, n] of Object.entries(table.stats().decodeErrors)) this.set({ reason }, n); },
  });
  new Gauge({ name: 'nids_sensor_flows_open', help: 'Flows open in the table', registers: reg, collect() { this.set(table.stats().flowsOpen); } });
  new Gauge({
    name: 'nids_sensor_flows_exported', help: 'Flows exported, by end reason', labelNames: ['reason'], registers: reg,
    collect() { for (const [reason, n] of Object.entries(table.stats().flowsExported)) this.set({ reason }, n); },
  });
  new Gauge({ name: 'nids_sensor_flow_evictions', help: 'Flows evicted because the table was full', registers: reg, collect() { this.set(table.stats().evictions); } });
}

/** A progress line on stderr when it is a terminal: rate, counts, ETA. */
export function progressReporter(label: string): ReadOptions['onProgress'] {
  if (!process.stderr.isTTY) return undefined;
  const started = performance.now();
  let last = 0;
  return ({ bytesRead, totalBytes, packets }) => {
    const now = performance.now();
    const done = totalBytes > 0 && bytesRead >= totalBytes;
    if (now - last < 250 && !done) return;
    last = now;
    const s = (now - started) / 1000;
    const pct = totalBytes > 0 ? (100 * bytesRead) / totalBytes : 0;
    const rate = s > 0 ? packets / s : 0;
    const eta = rate > 0 && pct > 0 ? s * (100 / pct - 1) : 0;
    process.stderr.write(`\r${label}: ${pct.toFixed(1)}%  ${packets.toLocaleString()} packets  ${Math.round(rate).toLocaleString()} pkt/s  ETA ${eta.toFixed(0)} s   ${done ? '\n' : ''}`);
  };
}
