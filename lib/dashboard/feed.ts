// What the live dashboard shows, kept as it arrives: the plot data (shared with the CSV
// writer), the latest anomalies and incidents, and the subscribers (server-sent event
// streams) each new one is pushed to.
import type { Anomaly, ScoredFlow, Severity } from '../avro/records.ts';
import { severityOf } from '../detector/severity.ts';
import type { Incident } from '../pipeline/incidents.ts';
import type { PlotData } from '../plot/data.ts';
import { scatterSpec, timelineSpec, topSourcesSpec } from '../plot/specs.ts';

/** One anomalous flow as the dashboard lists it. */
export interface AlertRow {
  flow_id: string;
  ts: number;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  protocol: number;
  score: number;
  severity: Severity;
  reasons: string[];
}

export const alertOfAnomaly = (a: Anomaly): AlertRow => ({
  flow_id: a.flow_id, ts: a.ts_start, src_ip: a.src_ip, src_port: a.src_port, dst_ip: a.dst_ip, dst_port: a.dst_port,
  protocol: a.protocol, score: a.score, severity: a.severity, reasons: a.reasons.map((r) => r.text),
});

/**
 * The sink reads scored flows, which carry no severity: it is taken from the score's margin
 * below the threshold (a flow flagged by a feature beyond the baseline, not by its score, shows as low).
 */
export const alertOfScored = (s: ScoredFlow): AlertRow => ({
  flow_id: s.flow.flow_id, ts: s.flow.ts_start, src_ip: s.flow.src_ip, src_port: s.flow.src_port, dst_ip: s.flow.dst_ip, dst_port: s.flow.dst_port,
  protocol: s.flow.protocol, score: s.score, severity: severityOf(s.score, s.threshold), reasons: s.reasons,
});

/** Anomalies and incidents kept for a page that opens late (older ones are in the files). */
const KEEP_ALERTS = 5000;
const KEEP_INCIDENTS = 500;

export type FeedEvent = { type: 'anomalies'; rows: AlertRow[] } | { type: 'incidents'; rows: Incident[] } | { type: 'counts'; counts: Counts };

export interface Counts {
  flows: number;
  anomalies: number;
  incidents: number;
  sources: number;
}

export class DashboardFeed {
  private alerts: AlertRow[] = [];
  private incidentRows: Incident[] = [];
  private incidentCount = 0;
  private readonly listeners = new Set<(e: FeedEvent) => void>();

  constructor(readonly plot: PlotData) {}

  addAnomalies(rows: AlertRow[]): void {
    if (rows.length > 0) {
      this.alerts = this.alerts.concat(rows).slice(-KEEP_ALERTS);
      this.emit({ type: 'anomalies', rows });
    }
    this.emit({ type: 'counts', counts: this.counts() });
  }

  addIncidents(rows: Incident[]): void {
    if (rows.length === 0) return;
    this.incidentCount += rows.length;
    this.incidentRows = this.incidentRows.concat(rows).slice(-KEEP_INCIDENTS);
    this.emit({ type: 'incidents', rows });
    this.emit({ type: 'counts', counts: this.counts() });
  }

  counts(): Counts {
    return { flows: this.plot.flows, anomalies: this.plot.anomalies, incidents: this.incidentCount, sources: this.plot.sources.size };
  }

  /** The page's first load: everything kept so far, and how much the page keeps (the same). */
  snapshot() {
    return { counts: this.counts(), anomalies: this.alerts, incidents: this.incidentRows, keep: { anomalies: KEEP_ALERTS, incidents: KEEP_INCIDENTS } };
  }

  /** The same specs the PNG files are drawn from. */
  specs() {
    return { scatter: scatterSpec(this.plot), timeline: timelineSpec(this.plot), topSources: topSourcesSpec(this.plot) };
  }

  subscribe(listener: (e: FeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: FeedEvent): void {
    for (const l of this.listeners) l(e);
  }
}
