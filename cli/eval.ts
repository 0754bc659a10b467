// `nids eval`: how well a labeled CSV matches a simulation's ground truth, per flow:
// attack flows caught (recall, per attack), false alarms on benign flows, precision.
import { readFileSync } from 'node:fs';
import { helpText, loadConfig, str } from '../lib/config/index.ts';
import { checkInputFile, fsCall } from '../lib/output/index.ts';
import type { TruthRecord } from '../lib/sim/scenario.ts';
import { EXIT, EXIT_HELP, exitCodeOf } from './exit.ts';
import { CSV_COLUMNS, parseCsvLine } from '../lib/pipeline/csv.ts';
import { loadTruth, tupleKey } from '../lib/sim/pcap.ts';

export interface Evaluation {
  /** CSV rows. */
  flows: number;
  /** Attack flows in the truth file (recall is over these, whether the CSV holds them or not). */
  attackFlows: number;
  benignFlows: number;
  /** Truth attack flows with a row flagged -1 in the CSV. */
  truePositives: number;
  falsePositives: number;
  /** Truth attack flows with no row in the CSV at all: counted as missed. */
  missing: number;
  recall: number;
  falseAlarmRate: number;
  precision: number;
  byAttack: Record<string, { flows: number; caught: number; missing: number }>;
  /** The two files do not fit together well (nothing matches, different time spans). */
  warnings: string[];
}

/** A --csv or --truth that is not what it should be: the message names the file's problem. */
export class EvalInputError extends Error {}

const TRUTH_FIELDS = ['attack', 'src_ip', 'dst_ip', 'src_port', 'dst_port', 'protocol'] as const;

function parseTruth(text: string): Map<string, TruthRecord> {
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let t: Record<string, unknown>;
    try {
      t = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new EvalInputError(`--truth: line ${i + 1} is not JSON: not a truth file written by nids simulate`);
    }
    const bad = t === null || typeof t !== 'object' ? 'attack' : TRUTH_FIELDS.find((f) => t[f] === undefined);
    if (bad) throw new EvalInputError(`--truth: line ${i + 1} has no "${bad}": not a truth file written by nids simulate`);
  });
  return loadTruth(text);
}

const iso = (us: number) => new Date(us / 1000).toISOString();

export function evaluate(csvText: string, truthText: string): Evaluation {
  const truth = parseTruth(truthText);
  const lines = csvText.trimEnd().split('\n');
  if (lines[0] !== CSV_COLUMNS.join(',')) throw new EvalInputError('--csv: not a five_tuple_with_anomaly.csv (its first line is not the nids header)');
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  const e: Evaluation = { flows: 0, attackFlows: truth.size, benignFlows: 0, truePositives: 0, falsePositives: 0, missing: 0, recall: 0, falseAlarmRate: 0, precision: 0, byAttack: {}, warnings: [] };
  const inCsv = new Set<string>();
  const caught = new Set<string>();
  let csvFrom = Infinity;
  let csvTo = -Infinity;
  lines.slice(1).forEach((line, i) => {
    if (!line) return;
    const c = parseCsvLine(line);
    const anomaly = c[col('anomaly')];
    if (c.length !== CSV_COLUMNS.length || (anomaly !== '1' && anomaly !== '-1')) throw new EvalInputError(`--csv: line ${i + 2} is not a row of a nids CSV`);
    const key = tupleKey(c[col('src_ip')]!, Number(c[col('src_port')]), c[col('dst_ip')]!, Number(c[col('dst_port')]), Number(c[col('protocol')]));
    const from = Date.parse(c[col('ts_start')]!) * 1000;
    const to = Date.parse(c[col('ts_end')]!) * 1000;
    if (from < csvFrom) csvFrom = from;
    if (to > csvTo) csvTo = to;
    const flagged = anomaly === '-1';
    e.flows++;
    if (truth.has(key)) {
      inCsv.add(key);
      if (flagged) caught.add(key);
    } else {
      e.benignFlows++;
      if (flagged) e.falsePositives++;
    }
  });
  let truthFrom = Infinity;
  let truthTo = -Infinity;
  for (const [key, t] of truth) {
    const a = (e.byAttack[t.attack] ??= { flows: 0, caught: 0, missing: 0 });
    a.flows++;
    if (caught.has(key)) a.caught++;
    else if (!inCsv.has(key)) a.missing++;
    if (typeof t.ts === 'number') {
      truthFrom = Math.min(truthFrom, t.ts);
      truthTo = Math.max(truthTo, t.ts);
    }
  }
  e.truePositives = caught.size;
  e.missing = truth.size - inCsv.size;
  if (truth.size > 0 && inCsv.size === 0) e.warnings.push(`the truth file's ${truth.size} attack flows match no row of the CSV (the truth of another capture?)`);
  else if (truth.size === 0) e.warnings.push('the truth file holds no attack flow: recall is undefined');
  // A second of slack: a flow's first packet may precede the truth's stamp by a little.
  if (truthFrom <= truthTo && csvFrom <= csvTo && (truthFrom < csvFrom - 1e6 || truthTo > csvTo + 1e6)) {
    e.warnings.push(`the truth covers ${iso(truthFrom)} to ${iso(truthTo)}, the CSV ${iso(csvFrom)} to ${iso(csvTo)}: attack flows outside the CSV's span count as missed`);
  }
  e.recall = e.attackFlows ? e.truePositives / e.attackFlows : 0;
  e.falseAlarmRate = e.benignFlows ? e.falsePositives / e.benignFlows : 0;
  e.precision = e.truePositives + e.falsePositives ? e.truePositives / (e.truePositives + e.falsePositives) : 0;
  return e;
}

export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const missing = (n: number) => (n ? `; ${n} not in the CSV, counted as missed` : '');
  const rows = Object.entries(e.byAttack).map(([a, v]) => `  ${a.padEnd(10)} ${v.caught}/${v.flows} flows caught (${pct(v.caught / v.flows)})${missing(v.missing)}`);
  return [
    `attack flows caught: ${e.truePositives}/${e.attackFlows} (recall ${pct(e.recall)})${missing(e.missing)}`,
    ...rows,
    `false alarms: ${e.falsePositives}/${e.benignFlows} benign flows (${pct(e.falseAlarmRate)}); precision ${pct(e.precision)}`,
    ...e.warnings.map((w) => `warning: ${w}`),
  ].join('\n') + '\n';
}

const spec = {
  csv: str({ flag: 'csv', env: 'NIDS_EVAL_CSV', metavar: 'file', help: 'A five_tuple_with_anomaly.csv (from analyze or the sink).' }),
  truth: str({ flag: 'truth', env: 'NIDS_EVAL_TRUTH', metavar: 'file', help: 'The ground truth written by nids simulate (<pcap>.truth.jsonl).' }),
};

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText('Usage: nids eval --csv <five_tuple_with_anomaly.csv> --truth <pcap.truth.jsonl>', 'Scores a labeled CSV against a simulation\'s ground truth: recall per attack over the truth file\'s attack flows (those missing from the CSV count as missed), false alarms, precision. ' + EXIT_HELP, spec));
    return 0;
  }
  try {
    const { config } = loadConfig(spec, argv);
    const read = (path: string, flag: string) => {
      checkInputFile(path, flag);
      return fsCall(path, () => readFileSync(path, 'utf8'));
    };
    process.stdout.write(formatEvaluation(evaluate(read(config.csv, '--csv'), read(config.truth, '--truth'))));
    return EXIT.OK;
  } catch (err) {
    process.stderr.write(`nids eval: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
}
