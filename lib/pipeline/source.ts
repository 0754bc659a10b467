// The sensor stage, shared by the sensor service and the embedded mode: a capture file or
// a live interface through the decoder and flow table into flows, with the table's
// counters exported as Prometheus metrics.
import type { FlowSettings, LiveCaptureSettings } from '../config/stages.ts';
import { flowsFromPcap, type PcapFlowStats } from '../flow/from-pcap.ts';
import { LiveFlows } from '../flow/from-live.ts';
import type { LiveCapture, LiveCaptureOptions } from '../capture/live.ts';
import type { Flow } from '../flow/record.ts';
import { Counter, Gauge, type Registry } from '../metrics/index.ts';
import type { FlowTable } from '../flow/table.ts';
import type { Progress } from '../progress/index.ts';

/** The flow table's settings plus the name written into every flow. */
export type SourceSettings = FlowSettings & { sensorId: string };

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
  return flowsFromPcap(
    path,
    { sensorId: s.sensorId, idleTimeoutS: s.idleTimeoutS, activeTimeoutS: s.activeTimeoutS, maxFlows: s.maxFlows, contextWindowS: s.contextWindowS },
    onFlow,
    { drain: opts.drain, onProgress: opts.onProgress, replaySpeed: s.replaySpeed, signal: opts.signal },
    registry ? (table) => exportTableMetrics(table, registry) : undefined,
  );
}

export function liveCaptureOptions(live: LiveCaptureSettings & { iface: string }): Omit<LiveCaptureOptions, 'onError'> {
  return { iface: live.iface, filter: live.filter, snapLen: live.snaplen, promisc: live.promisc, bufferBytes: Math.round(live.bufferMb * 1024 * 1024) };
}

/**
 * A live interface into flows until stop() (which exports every open flow, 'shutdown'),
 * with the table's and the capture's counters on `registry`.
 */
export function captureFlows(
  live: LiveCaptureSettings & { iface: string },
  s: Omit<SourceSettings, 'replaySpeed'>,
  registry: Registry | null,
  onFlow: (f: Flow) => void,
): LiveFlows {
  return new LiveFlows(
    liveCaptureOptions(live),
    { sensorId: s.sensorId, idleTimeoutS: s.idleTimeoutS, activeTimeoutS: s.activeTimeoutS, maxFlows: s.maxFlows, contextWindowS: s.contextWindowS },
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

/**
 * The live capture's counters. cap 0.2.1 has no pcap_stats binding, so the kernel's drop
 * counts cannot be exported: packets and truncated packets are what there is.
 */
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
}

/**
 * The flow table's counters as Prometheus metrics, read at scrape time (the hot path only
 * bumps plain numbers). Gauges, since a scrape reads the table's own running totals.
 */
function exportTableMetrics(table: FlowTable, registry: Registry): void {
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

/** The reader's progress into a Progress (bar or summary line, lib/progress/). */
export const progressOf = (p: Progress): NonNullable<ReadFlowsOptions['onProgress']> => ({ bytesRead, totalBytes, packets }) => p.update({ done: bytesRead, total: totalBytes, packets });
