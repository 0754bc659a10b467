// Incidents: anomalies grouped per (source, behaviour, time span), so a flood is one
// incident rather than ten thousand alerts. The behaviour is the host tier's (a reason
// feature `host.<behaviour>`), grouped per source; or, for a flow judged anomalous on its
// own, `flow.<feature>` of its first reason, grouped per destination (a flood from spoofed
// sources has one victim and thousands of sources). An incident stays open while anomalies keep coming; one that has seen
// none for GAP_US of traffic time is closed and returned.
import type { Anomaly, Severity } from '../avro/records.ts';

export interface Incident {
  incident_id: string;
  /** The source (host behaviours), or the first source seen (flow anomalies, grouped per victim). */
  src_ip: string;
  /** Distinct sources (1 for host behaviours). */
  source_count: number;
  behaviour: string;
  ts_start: number;
  ts_end: number;
  flows: number;
  bytes: number;
  /** Distinct destination hosts (the first MAX_VICTIMS listed in `victims`). */
  victim_count: number;
  victims: string[];
  /** The most frequent first reasons (their feature), each with its latest text. */
  top_reasons: string[];
  severity: Severity;
  model_id: string;
}

const GAP_US = 120e6;
const MAX_VICTIMS = 20;
const TOP = 3;
const ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

interface Open {
  incident: Incident;
  victims: Set<string>;
  sources: Set<string>;
  reasons: Map<string, { n: number; text: string }>;
}

export const behaviourOf = (a: Anomaly): string => {
  const f = a.reasons[0]?.feature ?? 'score';
  return f.startsWith('host.') ? f.slice(5) : `flow.${f}`;
};

export class IncidentTracker {
  private readonly open = new Map<string, Open>();
  private now = 0;

  /** Adds anomalies; returns the incidents they closed (quiet for GAP_US of traffic time). */
  add(anomalies: readonly Anomaly[]): Incident[] {
    for (const a of anomalies) {
      if (a.ts_end > this.now) this.now = a.ts_end;
      const behaviour = behaviourOf(a);
      const key = behaviour.startsWith('flow.') ? `to ${a.dst_ip}|${behaviour}` : `${a.src_ip}|${behaviour}`;
      let o = this.open.get(key);
      if (!o) {
        o = {
          incident: { incident_id: `${key.replace('|', '/')}/${a.ts_start}`, src_ip: a.src_ip, source_count: 0, behaviour, ts_start: a.ts_start, ts_end: a.ts_end, flows: 0, bytes: 0, victim_count: 0, victims: [], top_reasons: [], severity: a.severity, model_id: a.model_id },
          victims: new Set(),
          sources: new Set(),
          reasons: new Map(),
        };
        this.open.set(key, o);
      }
      const inc = o.incident;
      inc.flows++;
      inc.bytes += a.bytes;
      if (a.ts_start < inc.ts_start) inc.ts_start = a.ts_start;
      if (a.ts_end > inc.ts_end) inc.ts_end = a.ts_end;
      if (ORDER.indexOf(a.severity) > ORDER.indexOf(inc.severity)) inc.severity = a.severity;
      o.victims.add(a.dst_ip);
      o.sources.add(a.src_ip);
      const r = a.reasons[0];
      if (r) {
        const seen = o.reasons.get(r.feature);
        if (seen) {
          seen.n++;
          seen.text = r.text;
        } else o.reasons.set(r.feature, { n: 1, text: r.text });
      }
    }
    return this.close((o) => o.incident.ts_end < this.now - GAP_US);
  }

  /**
   * The sources of the host-behaviour incidents still open: hosts the continuous trainer
   * keeps out of its baseline. Incidents grouped per victim (flow anomalies) are left out:
   * their sources are every host that touched the victim, and their flagged flows are
   * excluded one by one anyway.
   */
  openSources(): Set<string> {
    const out = new Set<string>();
    for (const o of this.open.values()) if (!o.incident.behaviour.startsWith('flow.')) out.add(o.incident.src_ip);
    return out;
  }

  /** Closes and returns every open incident (end of input, shutdown). */
  flush(): Incident[] {
    return this.close(() => true);
  }

  private close(done: (o: Open) => boolean): Incident[] {
    const out: Incident[] = [];
    for (const [key, o] of this.open) {
      if (!done(o)) continue;
      this.open.delete(key);
      const inc = o.incident;
      inc.victim_count = o.victims.size;
      inc.source_count = o.sources.size;
      inc.victims = [...o.victims].slice(0, MAX_VICTIMS);
      inc.top_reasons = [...o.reasons.values()].sort((a, b) => b.n - a.n).slice(0, TOP).map((r) => r.text);
      out.push(inc);
    }
    return out.sort((a, b) => a.ts_start - b.ts_start || (a.incident_id < b.incident_id ? -1 : 1));
  }
}
