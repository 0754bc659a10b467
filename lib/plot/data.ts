// What the plots and the dashboard draw, kept bounded however many flows go through: the
// distinct (source port, destination port) pairs per label up to a cap, flows and anomalies
// per time bucket (the bucket widens as the run lengthens), and per anomalous source its
// count and its most frequent reasons. Fed one row at a time by the CSV writer, so a 1 M
// flow run plots from a few thousand points and renders in the same time as a small one.
import type { Severity } from '../avro/records.ts';

/** Distinct port pairs kept per label; beyond it a pair is counted, not drawn. */
export const MAX_PAIRS = 4000;
/** Time buckets before the bucket width doubles. */
const MAX_BUCKETS = 240;
/** Incidents the timeline shades at most (the first ones; a flood of host incidents would otherwise grow this without bound). */
const MAX_SHADED_INCIDENTS = 1000;
/** Anomalous sources tracked (the most anomalous are drawn); beyond it counted only. */
const MAX_SOURCES = 10_000;
/** Distinct reasons kept per source. */
const MAX_REASONS = 16;

/** An incident as the timeline shades it (a subset of lib/pipeline/incidents.ts's Incident). */
export interface IncidentSpan {
  src_ip: string;
  behaviour: string;
  ts_start: number;
  ts_end: number;
  severity: Severity;
}

export interface SourceStats {
  anomalies: number;
  /** Reason, with its numbers masked, -> times seen and its latest text. */
  reasons: Map<string, { n: number; text: string }>;
}

/** A reason's kind: its text with the numbers masked, so `ports = 812` and `ports = 40` count together. */
const reasonKind = (text: string): string => text.replace(/[0-9][0-9.,]*/g, '#');

export class PlotData {
  flows = 0;
  anomalies = 0;
  /** Port pair (src * 65536 + dst) -> flows, per label. */
  readonly normalPairs = new Map<number, number>();
  readonly anomalousPairs = new Map<number, number>();
  /** Flows whose pair was not kept (the caps), per label: said on the plot. */
  normalNotDrawn = 0;
  anomalousNotDrawn = 0;
  /** Bucket start (µs) -> [flows, anomalies]. */
  readonly buckets = new Map<number, [number, number]>();
  bucketUs = 1e6;
  readonly sources = new Map<string, SourceStats>();
  readonly incidents: IncidentSpan[] = [];

  /** One written row. `reasons` are read only when the row is anomalous. */
  add(srcIp: string, srcPort: number, dstPort: number, tsStartUs: number, anomalous: boolean, reasons: readonly string[]): void {
    this.flows++;
    const pair = srcPort * 65536 + dstPort;
    const pairs = anomalous ? this.anomalousPairs : this.normalPairs;
    const n = pairs.get(pair);
    if (n !== undefined) pairs.set(pair, n + 1);
    else if (pairs.size < MAX_PAIRS) pairs.set(pair, 1);
    else if (anomalous) this.anomalousNotDrawn++;
    else this.normalNotDrawn++;
    this.addToBucket(tsStartUs, anomalous);
    if (anomalous) {
      this.anomalies++;
      this.addSource(srcIp, reasons);
    }
  }

  addIncidents(incidents: readonly IncidentSpan[]): void {
    for (const i of incidents) if (this.incidents.length < MAX_SHADED_INCIDENTS) this.incidents.push({ src_ip: i.src_ip, behaviour: i.behaviour, ts_start: i.ts_start, ts_end: i.ts_end, severity: i.severity });
  }

  private addToBucket(tsUs: number, anomalous: boolean): void {
    let key = Math.floor(tsUs / this.bucketUs) * this.bucketUs;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) {
        this.widenBuckets();
        key = Math.floor(tsUs / this.bucketUs) * this.bucketUs;
        b = this.buckets.get(key);
      }
      if (!b) {
        b = [0, 0];
        this.buckets.set(key, b);
      }
    }
    b[0]++;
    if (anomalous) b[1]++;
  }

  /** Doubles the bucket width until the buckets fit in half the cap. */
  private widenBuckets(): void {
    while (this.buckets.size >= MAX_BUCKETS / 2) {
      this.bucketUs *= 2;
      const merged = new Map<number, [number, number]>();
      for (const [k, [f, a]] of this.buckets) {
        const key = Math.floor(k / this.bucketUs) * this.bucketUs;
        const m = merged.get(key);
        if (m) {
          m[0] += f;
          m[1] += a;
        } else merged.set(key, [f, a]);
      }
      this.buckets.clear();
      for (const [k, v] of merged) this.buckets.set(k, v);
    }
  }

  private addSource(ip: string, reasons: readonly string[]): void {
    let s = this.sources.get(ip);
    if (!s) {
      if (this.sources.size >= MAX_SOURCES) return;
      s = { anomalies: 0, reasons: new Map() };
      this.sources.set(ip, s);
    }
    s.anomalies++;
    for (const text of reasons) {
      const kind = reasonKind(text);
      const r = s.reasons.get(kind);
      if (r) {
        r.n++;
        r.text = text;
      } else if (s.reasons.size < MAX_REASONS) s.reasons.set(kind, { n: 1, text });
    }
  }

  /** The `n` sources with the most anomalies, each with its `k` most frequent reasons. */
  topSources(n: number, k: number): { ip: string; anomalies: number; reasons: string[] }[] {
    return [...this.sources]
      .sort((a, b) => b[1].anomalies - a[1].anomalies || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([ip, s]) => ({
        ip,
        anomalies: s.anomalies,
        reasons: [...s.reasons.values()].sort((a, b) => b.n - a.n).slice(0, k).map((r) => r.text),
      }));
  }
}
