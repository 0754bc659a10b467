// The baseline window of one training: the newest flows within `windowS` of traffic time,
// minus what must not be learned as normal: flows the active model flagged, every flow of
// a host with an open incident, and time ranges an operator excluded. Ranges marked
// known-clean are kept whole: the operator vouches for them.
import type { Flow } from '../flow/record.ts';
import type { WindowSettings } from '../config/loop.ts';
import type { BaselineMark } from '../modelstore/index.ts';

/** What the scorers said about the flows: ids labeled anomalous, sources with an open incident. */
export interface Verdicts {
  flagged: ReadonlySet<string>;
  incidentHosts: ReadonlySet<string>;
}

export interface WindowCounts {
  read: number;
  outside: number;
  flagged: number;
  incident_hosts: number;
  excluded_ranges: number;
  over_cap: number;
  kept: number;
}

export interface SelectedWindow {
  flows: Flow[];
  counts: WindowCounts;
}

const within = (marks: readonly BaselineMark[], kind: BaselineMark['kind'], ts: number): boolean => marks.some((m) => m.kind === kind && ts >= m.from && ts < m.to);

export function selectWindow(flows: readonly Flow[], verdicts: Verdicts, marks: readonly BaselineMark[], s: Pick<WindowSettings, 'windowS' | 'maxFlows' | 'excludeFlagged' | 'excludeIncidentHosts'>): SelectedWindow {
  const counts: WindowCounts = { read: flows.length, outside: 0, flagged: 0, incident_hosts: 0, excluded_ranges: 0, over_cap: 0, kept: 0 };
  let newest = -Infinity;
  for (const f of flows) if (f.ts_start > newest) newest = f.ts_start;
  const from = newest - s.windowS * 1e6;
  const kept: Flow[] = [];
  for (const f of flows) {
    if (f.ts_start < from) counts.outside++;
    else if (within(marks, 'exclude', f.ts_start)) counts.excluded_ranges++;
    else if (within(marks, 'clean', f.ts_start)) kept.push(f);
    else if (s.excludeFlagged && verdicts.flagged.has(f.flow_id)) counts.flagged++;
    else if (s.excludeIncidentHosts && verdicts.incidentHosts.has(f.src_ip)) counts.incident_hosts++;
    else kept.push(f);
  }
  if (kept.length > s.maxFlows) {
    kept.sort((a, b) => b.ts_start - a.ts_start);
    counts.over_cap = kept.length - s.maxFlows;
    kept.length = s.maxFlows;
  }
  counts.kept = kept.length;
  return { flows: kept, counts };
}
