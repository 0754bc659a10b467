// Detection quality against attributed flows: per attack type and overall, host recall (an
// episode counts when its attacker has a flagged flow in it), flow recall, ROC AUC (attack
// flows against benign ones), incidents; and the benign false-positive rate. Rendered as
// JSON and as a Markdown table with two methods side by side.
import { rocAuc } from '../iforest/metrics.ts';
import { BENIGN, type Attribution, type ScoredRow } from './attribution.ts';

export interface IncidentLike {
  src_ip: string;
  ts_start: number;
  ts_end: number;
}

export interface AttackQuality {
  episodes: number;
  episodesFlagged: number;
  hostRecall: number;
  flows: number;
  flowsCaught: number;
  /** Attack flows of the truth that the CSV does not hold: counted as missed. */
  flowsMissing: number;
  flowRecall: number;
  /** Null when there is no benign flow to compare with. */
  auc: number | null;
  incidents: number;
}

export interface Quality {
  byAttack: Record<string, AttackQuality>;
  overall: AttackQuality;
  benignFlows: number;
  falsePositives: number;
  falsePositiveRate: number;
  /** Incidents of hosts that attacked in no episode. */
  benignIncidents: number;
  /** Flows of an attacker outside every labeled episode: in neither class. */
  unattributedFlows: number;
}

/**
 * One number per flow that orders flows as the detector does: every flagged flow before
 * every unflagged one (the host tier and the range check flag flows whatever their forest
 * score), then by the forest's score, lower = more abnormal.
 */
export function detectorRank(r: ScoredRow): number {
  return (r.flagged ? 4 : 0) - (Number.isFinite(r.score) ? r.score : 0);
}

const SLACK_US = 1e6;

export function measure(rows: ScoredRow[], a: Attribution, incidents: IncidentLike[] = []): Quality {
  const n = a.episodes.length;
  const flows = new Array<number>(n).fill(0);
  const caught = new Array<number>(n).fill(0);
  const attackerFlagged = new Array<boolean>(n).fill(false);
  let benignFlows = 0;
  let falsePositives = 0;
  let unattributed = 0;
  rows.forEach((r, i) => {
    const e = a.rowEpisode[i]!;
    if (e === BENIGN) {
      benignFlows++;
      if (r.flagged) falsePositives++;
    } else if (e < 0) unattributed++;
    else {
      flows[e]!++;
      if (r.flagged) {
        caught[e]!++;
        attackerFlagged[e] = true;
      }
    }
  });
  const incidentsOf = new Array<number>(n).fill(0);
  const attackers = new Set(a.episodes.map((e) => e.attacker));
  let benignIncidents = 0;
  for (const inc of incidents) {
    if (!attackers.has(inc.src_ip)) {
      benignIncidents++;
      continue;
    }
    const e = a.episodes.findIndex((l) => l.attacker === inc.src_ip && inc.ts_start <= l.endUs + SLACK_US && inc.ts_end >= l.startUs - SLACK_US);
    if (e >= 0) incidentsOf[e]!++;
  }
  const ranks = rows.map(detectorRank);
  const aucOf = (inClass: (e: number) => boolean): number | null => {
    const s: number[] = [];
    const y: number[] = [];
    rows.forEach((_, i) => {
      const e = a.rowEpisode[i]!;
      if (e === BENIGN || (e >= 0 && inClass(e))) {
        s.push(ranks[i]!);
        y.push(e === BENIGN ? 0 : 1);
      }
    });
    return y.includes(0) && y.includes(1) ? rocAuc(s, y) : null;
  };
  const quality = (inClass: (e: number) => boolean): AttackQuality => {
    const q: AttackQuality = { episodes: 0, episodesFlagged: 0, hostRecall: 0, flows: 0, flowsCaught: 0, flowsMissing: 0, flowRecall: 0, auc: aucOf(inClass), incidents: 0 };
    for (let e = 0; e < n; e++) {
      if (!inClass(e)) continue;
      q.episodes++;
      if (attackerFlagged[e]) q.episodesFlagged++;
      q.flows += flows[e]! + a.missingByEpisode[e]!;
      q.flowsMissing += a.missingByEpisode[e]!;
      q.flowsCaught += caught[e]!;
      q.incidents += incidentsOf[e]!;
    }
    q.hostRecall = q.episodes ? q.episodesFlagged / q.episodes : 0;
    q.flowRecall = q.flows ? q.flowsCaught / q.flows : 0;
    return q;
  };
  const byAttack: Record<string, AttackQuality> = {};
  for (const attack of [...new Set(a.episodes.map((e) => e.attack))].sort()) byAttack[attack] = quality((e) => a.episodes[e]!.attack === attack);
  return {
    byAttack,
    overall: quality(() => true),
    benignFlows,
    falsePositives,
    falsePositiveRate: benignFlows ? falsePositives / benignFlows : 0,
    benignIncidents,
    unattributedFlows: unattributed,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const auc = (x: number | null) => (x === null ? '–' : x.toFixed(3));

/** Methods side by side, one row per attack type and one overall; nids first. */
export function markdownTable(methods: Record<string, Quality>): string {
  const names = Object.keys(methods);
  const pair = (f: (q: Quality) => string) => names.map((m) => f(methods[m]!)).join(' / ');
  const attacks = [...new Set(names.flatMap((m) => Object.keys(methods[m]!.byAttack)))];
  const row = (label: string, pick: (q: Quality) => AttackQuality | undefined, fp: string) => {
    const cell = (f: (q: AttackQuality) => string) => pair((q) => { const x = pick(q); return x ? f(x) : '–'; });
    const first = pick(methods[names[0]!]!);
    return `| ${label} | ${first?.episodes ?? 0} | ${first?.flows ?? 0} | ${cell((q) => `${q.episodesFlagged}/${q.episodes}`)} | ${cell((q) => pct(q.flowRecall))} | ${cell((q) => auc(q.auc))} | ${cell((q) => String(q.incidents))} | ${fp} |`;
  };
  return [
    `| attack | episodes | attack flows | hosts flagged (${names.join(' / ')}) | flow recall | ROC AUC | incidents | benign FP rate |`,
    '|---|---|---|---|---|---|---|---|',
    ...attacks.map((a) => row(a, (q) => q.byAttack[a], '')),
    row('**all**', (q) => q.overall, `${pair((q) => `${pct(q.falsePositiveRate)} (${q.falsePositives}/${q.benignFlows})`)}`),
    '',
  ].join('\n');
}
