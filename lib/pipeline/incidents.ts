// Incidents: anomalies grouped per (source, behaviour, time span), so a flood is one
// incident rather than ten thousand alerts. The behaviour is the host tier's (a reason
// feature `host.<behaviour>`), grouped per source; or, for a flow judged anomalous on its
// own, `flow.<feature>` of its first reason, grouped per destination (a flood from spoofed
// sources has one victim and thousands of sources). service_flood, the victim's side of
// such a flood, is grouped per victim service (destination, port, protocol) the same way.
// An incident stays open while anomalies keep coming; one that has seen none for GAP_US of
// traffic time is closed.
//
// One tracker serves the embedded mode (which writes the closed incidents) and the scorer
// (which also reports open incidents as they grow, under the same incident_id, so a SIEM
// hears of a flood while it lasts; docs/reference/incident.md).
import { severityRank, type Anomaly, type Incident } from '../avro/records.ts';
import { INCIDENT_CAP_DEFAULTS, type IncidentCaps } from '../config/stages.ts';
import { RecencyEntry, RecencyList } from '../flow/recency.ts';
import { DistinctCount } from './distinct-count.ts';

export type { Incident };

import { behaviourOf } from './incident-names.ts';

export { INCIDENTS_FILE, behaviourOf } from './incident-names.ts';

/** Traffic time without an anomaly after which an incident is closed. */
export const INCIDENT_GAP_US = 120e6;
const MAX_VICTIMS = 20;
const TOP = 3;

/** An open incident, kept least recently joined first (the first closed when too many are open). */
class Open extends RecencyEntry {
  /** Anomalies joined since the last report. */
  changed = true;
  /** reported_at of the last report (-Infinity: never reported). */
  lastReport = -Infinity;
  readonly reasons = new Map<string, { n: number; text: string }>();

  constructor(
    readonly incident: Incident,
    readonly victims: DistinctCount,
    readonly sources: DistinctCount,
  ) {
    super();
  }
}

/** The latest flow end of a batch: the traffic time IncidentTracker.add takes. */
export function latestEnd(flows: readonly { ts_end: number }[]): number {
  let t = 0;
  for (const f of flows) if (f.ts_end > t) t = f.ts_end;
  return t;
}

export class IncidentTracker {
  private readonly open = new RecencyList<Open>();
  private now = 0;
  /** No open incident ended before this: the quiet ones are looked for only once one can be. */
  private earliestEnd = Infinity;
  private evicted = 0;

  constructor(private readonly caps: IncidentCaps = INCIDENT_CAP_DEFAULTS) {}

  /** Incidents closed early because --max-open-incidents were open. */
  get evictions(): number {
    return this.evicted;
  }

  /**
   * Adds anomalies; returns the incidents now closed (quiet for INCIDENT_GAP_US of traffic
   * time, or the least recently joined when more than the cap are open), reported at
   * `reportedAt` (epoch microseconds). `trafficNow` is the latest flow end the caller has
   * seen (normal flows advance traffic time too, so an incident closes while the network
   * goes on without anomalies).
   */
  add(anomalies: readonly Anomaly[], reportedAt: number, trafficNow = 0): Incident[] {
    if (trafficNow > this.now) this.now = trafficNow;
    const evicted: Incident[] = [];
    for (const a of anomalies) {
      if (a.ts_end > this.now) this.now = a.ts_end;
      const behaviour = behaviourOf(a);
      const key = behaviour.startsWith('flow.') ? `to ${a.dst_ip}|${behaviour}` : behaviour === 'service_flood' ? `to ${a.dst_ip}:${a.dst_port}/${a.protocol}|${behaviour}` : `${a.src_ip}|${behaviour}`;
      let o = this.open.touch(key);
      if (!o) {
        if (this.open.size >= this.caps.maxOpenIncidents) {
          this.evicted++;
          evicted.push(snapshot(this.open.remove(this.open.leastRecent!), 'closed', reportedAt));
        }
        o = new Open(
          {
            incident_id: `${key.replace('|', '/')}/${a.ts_start}`, status: 'open', src_ip: a.src_ip, source_count: 0, behaviour, ts_start: a.ts_start, ts_end: a.ts_end,
            flows: 0, bytes: 0, victim_count: 0, victims: [], top_reasons: [], severity: a.severity, model_id: a.model_id, reported_at: 0,
          },
          new DistinctCount(this.caps.incidentExactHosts),
          new DistinctCount(this.caps.incidentExactHosts),
        );
        this.open.add(key, o);
      }
      const inc = o.incident;
      o.changed = true;
      inc.flows++;
      inc.bytes += a.bytes;
      if (a.ts_start < inc.ts_start) inc.ts_start = a.ts_start;
      if (a.ts_end > inc.ts_end) inc.ts_end = a.ts_end;
      if (inc.ts_end < this.earliestEnd) this.earliestEnd = inc.ts_end;
      if (severityRank(a.severity) > severityRank(inc.severity)) inc.severity = a.severity;
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
    const quietBefore = this.now - INCIDENT_GAP_US;
    // An incident's end only grows, so none can be quiet while the earliest end is recent:
    // no walk over every open incident per batch (a flood opens one per source).
    const quiet = this.earliestEnd < quietBefore ? this.close((o) => o.incident.ts_end < quietBefore, reportedAt) : [];
    return evicted.length > 0 ? sorted([...evicted, ...quiet]) : quiet;
  }

  /**
   * Open incidents that changed since their last report, if that report is at least
   * `minIntervalUs` old (a new incident is reported at once): status open.
   */
  updates(reportedAt: number, minIntervalUs: number): Incident[] {
    const out: Incident[] = [];
    for (const o of this.open.values()) {
      if (!o.changed || reportedAt - o.lastReport < minIntervalUs) continue;
      o.changed = false;
      o.lastReport = reportedAt;
      out.push(snapshot(o, 'open', reportedAt));
    }
    return sorted(out);
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
  flush(reportedAt: number): Incident[] {
    return this.close(() => true, reportedAt);
  }

  private close(done: (o: Open) => boolean, reportedAt: number): Incident[] {
    const closing: Open[] = [];
    let earliest = Infinity;
    for (const o of this.open.values()) {
      if (done(o)) closing.push(o);
      else if (o.incident.ts_end < earliest) earliest = o.incident.ts_end;
    }
    this.earliestEnd = earliest;
    return sorted(closing.map((o) => snapshot(this.open.remove(o), 'closed', reportedAt)));
  }
}

/** A copy of the incident as it stands: later anomalies do not change a report already made. */
function snapshot(o: Open, status: Incident['status'], reportedAt: number): Incident {
  return {
    ...o.incident,
    status,
    reported_at: reportedAt,
    victim_count: o.victims.size,
    source_count: o.sources.size,
    victims: o.victims.first(MAX_VICTIMS),
    top_reasons: [...o.reasons.values()].sort((a, b) => b.n - a.n).slice(0, TOP).map((r) => r.text),
  };
}

const sorted = (xs: Incident[]): Incident[] => xs.sort((a, b) => a.ts_start - b.ts_start || (a.incident_id < b.incident_id ? -1 : 1));
