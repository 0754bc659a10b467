// The sensor stage, shared by the sensor service and the embedded mode: a capture file or
// a live interface through the decoder and flow table into flows, with the table's
// counters exported as Prometheus metrics.
import type { FlowSettings, LiveCaptureSettings } from '../config/stages.ts';
import { flowsFromPcap, type PcapFlowStats } from '../flow/from-pcap.ts';
import { flowsFromPcapInThread, type FlowStatsSource } from '../flowthread/from-pcap.ts';
import { LiveFlows } from '../flow/from-live.ts';
import { DROP_REASONS, lossRate, type LiveCapture, type LiveCaptureOptions, type LiveCaptureStats } from '../capture/live.ts';
import type { Flow } from '../flow/record.ts';
import { Counter, Gauge, type Registry } from '../metrics/index.ts';
import type { Progress } from '../progress/index.ts';

/** The flow table's settings plus the name written into every flow. */
export type SourceSettings = FlowSettings & { sensorId: string };

/** The flow table's options from the stage's settings (files and interfaces alike). */
const tableOptions = (s: Omit<SourceSettings, 'replaySpeed' | 'threads'>) => ({ sensorId: s.sensorId, idleTimeoutS: s.idleTimeoutS, activeTimeoutS: s.activeTimeoutS, maxFlows: s.maxFlows, maxSources: s.maxSources, contextWindowS: s.contextWindowS });

export interface ReadFlowsOptions {
  drain?: () => Promise<void> | undefined;
  onProgress?: (p: { bytesRead: number; totalBytes: number; packets: number }) => void;
  /** Stops the reading (graceful shutdown): the flows read so far are still exported. */
  signal?: AbortSignal;
}

export async function readFlows(
  path: string,
  s: SourceSettings,
  registry: Registry | null,
  onFlow: (f: Flow) => void,
  opts: ReadFlowsOptions = {},
): Promise<PcapFlowStats> {
  const read = s.threads > 1 ? flowsFromPcapInThread : flowsFromPcap;
  return read(
    path,
    tableOptions(s),
    onFlow,
    { drain: opts.drain, onProgress: opts.onProgress, replaySpeed: s.replaySpeed, signal: opts.signal },
    registry ? (table) => exportTableMetrics(table, registry) : undefined,
  );
}

export function liveCaptureOptions(live: LiveCaptureSettings & { iface: string }): Omit<LiveCaptureOptions, 'onError'> {
  return {
    iface: live.iface,
    filter: live.filter,
    snapLen: live.snaplen,
    promisc: live.promisc,
    bufferBytes: Math.round(live.bufferMb * 1024 * 1024),
    ringBytes: Math.round(live.ringMb * 1024 * 1024),
  };
}

/**
 * A live interface into flows until stop() (which exports every open flow, 'shutdown'),
 * with the table's and the capture's counters on `registry`.
 */
export function captureFlows(
  live: LiveCaptureSettings & { iface: string },
  s: Omit<SourceSettings, 'replaySpeed' | 'threads'>,
  registry: Registry | null,
  onFlow: (f: Flow) => void,
): LiveFlows {
  return new LiveFlows(
    liveCaptureOptions(live),
    tableOptions(s),
    onFlow,
    {
      onTable: registry
        ? (table, capture) => {
            exportTableMetrics(table, registry);
            exportCaptureMetrics(capture, registry);
          }
        : undefined,
    },
  );
}

/** The live capture's counters: packets handed over, truncated, and dropped by where. */
function exportCaptureMetrics(capture: LiveCapture, registry: Registry): void {
  const reg = [registry];
  // Counters fed from the capture's running totals at scrape time.
  const fromTotal = (read: () => number) => {
    let last = 0;
    return function (this: Counter) {
      const now = read();
      if (now > last) this.inc(now - last);
      last = now;
    };
  };
  new Counter({ name: 'nids_sensor_capture_packets_total', help: 'Packets received from the live capture', registers: reg, collect: fromTotal(() => capture.stats().packets) });
  new Counter({ name: 'nids_sensor_capture_truncated_total', help: 'Live packets cut at the snap length', registers: reg, collect: fromTotal(() => capture.stats().truncated) });
  const reported: Record<string, number> = {};
  new Counter({
    name: 'nids_sensor_capture_dropped_total',
    help: 'Live packets lost before the flow table: ring_full (the sensor was behind), kernel (libpcap\'s buffer overflowed), interface (the NIC or driver dropped them)',
    labelNames: ['reason'],
    registers: reg,
    collect() {
      const dropped = capture.stats().dropped;
      for (const reason of DROP_REASONS) {
        this.inc({ reason }, dropped[reason] - (reported[reason] ?? 0)); // 0 too: every reason is on /metrics from the start
        reported[reason] = dropped[reason];
      }
    },
  });
}

/** How often the loss rate is checked against --loss-warn-pct. */
const LOSS_WATCH_MS = 5000;

/**
 * Calls `warn` when more than `thresholdPct` % of the packets offered in the last
 * LOSS_WATCH_MS were dropped, once per episode, and `recovered` when it falls back.
 * Returns the stopper.
 */
export function watchCaptureLoss(
  capture: LiveCapture,
  thresholdPct: number,
  warn: (msg: string, s: { lossPct: number; dropped: LiveCaptureStats['dropped'] }) => void,
  recovered: () => void = () => {},
): () => void {
  let last = capture.stats();
  let warned = false;
  const timer = setInterval(() => {
    const now = capture.stats();
    const window = {
      packets: now.packets - last.packets,
      dropped: { ring_full: now.dropped.ring_full - last.dropped.ring_full, kernel: now.dropped.kernel - last.dropped.kernel, interface: now.dropped.interface - last.dropped.interface },
    };
    last = now;
    const pct = 100 * lossRate(window);
    if (pct > thresholdPct) {
      if (!warned) {
        const why = DROP_REASONS.filter((r) => window.dropped[r] > 0).map((r) => `${window.dropped[r]} ${r}`).join(', ');
        warn(`live capture is losing packets: ${pct.toFixed(2)} % over the last ${LOSS_WATCH_MS / 1000} s (${why}); flows open meanwhile are marked capture_loss`, { lossPct: pct, dropped: window.dropped });
      }
      warned = true;
    } else if (warned && pct === 0) {
      warned = false;
      recovered();
    }
  }, LOSS_WATCH_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The flow table's counters as Prometheus metrics, read at scrape time (the hot path only
 * bumps plain numbers). Gauges, since a scrape reads the table's own running totals.
 */
function exportTableMetrics(table: FlowStatsSource, registry: Registry): void {
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
  new Gauge({ name: 'nids_sensor_source_evictions', help: 'Active sources whose behaviour state was dropped at --max-sources (ctx_* and host statistics restart for them)', registers: reg, collect() { this.set(table.stats().sourceEvictions); } });
  new Gauge({ name: 'nids_sensor_service_evictions', help: 'Active destination services whose victim-side statistics (host.service_*) were dropped at --max-sources', registers: reg, collect() { this.set(table.stats().serviceEvictions); } });
}

/** The reader's progress into a Progress (bar or summary line, lib/progress/). */
export const progressOf = (p: Progress): NonNullable<ReadFlowsOptions['onProgress']> => ({ bytesRead, totalBytes, packets }) => p.update({ done: bytesRead, total: totalBytes, packets });
