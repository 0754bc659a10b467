// Which flows of a labeled CSV belong to which attack episode. Two sources of ground truth:
// the lab's labels (episode, attack, attacker, victim address or CIDR, time range), and the
// simulator's truth file (one record per attack flow). Flows touching no attacker are
// benign; flows of an attacker outside every episode are set aside (unattributed).
import { CSV_COLUMNS, parseCsvLine } from '../pipeline/csv.ts';
import { CidrSet } from '../features/cidr.ts';
import { loadTruth, tupleKey } from '../sim/pcap.ts';

export interface ScoredRow {
  src: string;
  dst: string;
  startUs: number;
  endUs: number;
  /** The forest's score_samples (lower = more abnormal). */
  score: number;
  flagged: boolean;
  key: string;
}

export interface Label {
  episode: string;
  attack: string;
  attacker: string;
  victim: string;
  startUs: number;
  endUs: number;
  /** A spoofed-source attack: its flows come from any address outside these networks (the lab's own). */
  spoofedOutside?: CidrSet;
}

/** What each row is: an episode index, BENIGN, or UNATTRIBUTED. */
export const BENIGN = -1;
export const UNATTRIBUTED = -2;

export interface Attribution {
  episodes: Label[];
  /** Per row: index into `episodes`, BENIGN or UNATTRIBUTED. */
  rowEpisode: Int32Array;
  /** Attack flows the truth names that the CSV does not hold (simulator truth only). */
  missingByEpisode: number[];
}

export class EvalInputError extends Error {}

export function parseRows(csvText: string): ScoredRow[] {
  const lines = csvText.trimEnd().split('\n');
  if (lines[0] !== CSV_COLUMNS.join(',')) throw new EvalInputError('--csv: not a five_tuple_with_anomaly.csv (its first line is not the nids header)');
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  const rows: ScoredRow[] = [];
  lines.slice(1).forEach((line, i) => {
    if (!line) return;
    const c = parseCsvLine(line);
    const anomaly = c[col('anomaly')];
    if (c.length !== CSV_COLUMNS.length || (anomaly !== '1' && anomaly !== '-1')) throw new EvalInputError(`--csv: line ${i + 2} is not a row of a nids CSV`);
    const src = c[col('src_ip')]!;
    const dst = c[col('dst_ip')]!;
    rows.push({
      src, dst,
      startUs: Date.parse(c[col('ts_start')]!) * 1000,
      endUs: Date.parse(c[col('ts_end')]!) * 1000,
      score: Number(c[col('score')]),
      flagged: anomaly === '-1',
      key: tupleKey(src, Number(c[col('src_port')]), dst, Number(c[col('dst_port')]), Number(c[col('protocol')])),
    });
  });
  return rows;
}

const LABEL_FIELDS = ['episode', 'attack', 'attacker', 'victim', 'start', 'end'] as const;

/** The JSON objects of a JSON-lines file, each with its line number; `what` names the file in errors. */
export function parseJsonLines(text: string, flag: string, what: string): { line: number; record: Record<string, unknown> }[] {
  const out: { line: number; record: Record<string, unknown> }[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new EvalInputError(`${flag}: line ${i + 1} is not JSON: not ${what}`);
    }
    if (record === null || typeof record !== 'object') throw new EvalInputError(`${flag}: line ${i + 1} is not a JSON object: not ${what}`);
    out.push({ line: i + 1, record: record as Record<string, unknown> });
  });
  return out;
}

export function parseLabels(text: string): Label[] {
  const out = parseJsonLines(text, '--labels', 'a labels file written by the lab').map(({ line, record: t }) => {
    const bad = LABEL_FIELDS.find((f) => typeof t[f] !== 'string');
    if (bad) throw new EvalInputError(`--labels: line ${line} has no "${bad}": not a labels file written by the lab`);
    const startUs = Date.parse(t.start as string) * 1000;
    const endUs = Date.parse(t.end as string) * 1000;
    if (!(startUs <= endUs)) throw new EvalInputError(`--labels: line ${line}: start and end are not an ISO-8601 time range`);
    const label: Label = { episode: t.episode as string, attack: t.attack as string, attacker: t.attacker as string, victim: t.victim as string, startUs, endUs };
    if (t.spoofed_outside !== undefined) {
      if (typeof t.spoofed_outside !== 'string') throw new EvalInputError(`--labels: line ${line}: spoofed_outside is not a comma-separated list of networks`);
      label.spoofedOutside = new CidrSet(t.spoofed_outside.split(','));
    }
    return label;
  });
  if (out.length === 0) throw new EvalInputError('--labels: holds no episode');
  return out;
}

/** A flow's first packet may precede a label's start, and its last reply follow its end, by a little. */
const SLACK_US = 1e6;

export function attributeByLabels(rows: ScoredRow[], labels: Label[]): Attribution {
  const attackers = new Set(labels.map((l) => l.attacker));
  const victims = labels.map((l) => new CidrSet([l.victim.includes('/') ? l.victim : `${l.victim}/32`]));
  const rowEpisode = new Int32Array(rows.length);
  const overlaps = (r: ScoredRow, l: Label) => r.startUs <= l.endUs + SLACK_US && r.endUs >= l.startUs - SLACK_US;
  rows.forEach((r, i) => {
    const spoofed = labels.findIndex((l, e) => l.spoofedOutside && victims[e]!.has(r.dst) && !l.spoofedOutside.has(r.src) && overlaps(r, l));
    if (spoofed >= 0) return void (rowEpisode[i] = spoofed);
    if (!attackers.has(r.src) && !attackers.has(r.dst)) return void (rowEpisode[i] = BENIGN);
    rowEpisode[i] = UNATTRIBUTED;
    labels.forEach((l, e) => {
      if (rowEpisode[i] !== UNATTRIBUTED) return;
      const other = r.src === l.attacker ? r.dst : r.dst === l.attacker ? r.src : null;
      if (other === null || !victims[e]!.has(other)) return;
      if (overlaps(r, l)) rowEpisode[i] = e;
    });
  });
  return { episodes: labels, rowEpisode, missingByEpisode: labels.map(() => 0) };
}

/** The simulator's truth: one episode per (attack, attacking source), spanning its flows. */
export function attributeByTruth(rows: ScoredRow[], truthText: string): Attribution {
  const truth = loadTruth(truthText);
  const episodes: Label[] = [];
  const index = new Map<string, number>();
  const episodeOfKey = new Map<string, number>();
  for (const [key, t] of truth) {
    const name = `${t.attack}:${t.src_ip}`;
    let e = index.get(name);
    if (e === undefined) {
      e = episodes.push({ episode: name, attack: t.attack, attacker: t.src_ip, victim: t.dst_ip, startUs: t.ts, endUs: t.ts }) - 1;
      index.set(name, e);
    }
    const ep = episodes[e]!;
    ep.startUs = Math.min(ep.startUs, t.ts);
    ep.endUs = Math.max(ep.endUs, t.ts);
    episodeOfKey.set(key, e);
  }
  if (episodes.length === 0) throw new EvalInputError('--truth: holds no attack flow');
  const rowEpisode = new Int32Array(rows.length);
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const e = episodeOfKey.get(r.key);
    rowEpisode[i] = e ?? BENIGN;
    if (e !== undefined) seen.add(r.key);
  });
  const missingByEpisode = episodes.map(() => 0);
  for (const [key, e] of episodeOfKey) if (!seen.has(key)) missingByEpisode[e]!++;
  return { episodes, rowEpisode, missingByEpisode };
}
