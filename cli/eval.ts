// `nids eval`: how well a labeled CSV matches ground truth. With --truth (a simulation's),
// per flow: attack flows caught (recall, per attack), false alarms on benign flows,
// precision. With --labels (the real-tools lab's episodes) or --json/--markdown: host
// recall, flow recall, benign false-positive rate, ROC AUC and incidents per attack type,
// for nids and, with --seed-csv, the seed's method side by side (lib/eval/).
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, helpText, loadConfig, optionalStr } from '../lib/config/index.ts';
import { checkInputFile, fsCall } from '../lib/output/index.ts';
import type { TruthRecord } from '../lib/sim/scenario.ts';
import { EXIT, EXIT_HELP, exitCodeOf } from './exit.ts';
import { loadTruth } from '../lib/sim/pcap.ts';
import { attributeByLabels, attributeByTruth, EvalInputError, parseJsonLines, parseLabels, parseRows } from '../lib/eval/attribution.ts';
import { markdownTable, measure, type IncidentLike, type Quality } from '../lib/eval/report.ts';

export { EvalInputError };

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

const TRUTH_FIELDS = ['attack', 'src_ip', 'dst_ip', 'src_port', 'dst_port', 'protocol'] as const;

function parseTruth(text: string): Map<string, TruthRecord> {
  for (const { line, record: t } of parseJsonLines(text, '--truth', 'a truth file written by nids simulate')) {
    const bad = TRUTH_FIELDS.find((f) => t[f] === undefined);
    if (bad) throw new EvalInputError(`--truth: line ${line} has no "${bad}": not a truth file written by nids simulate`);
  }
  return loadTruth(text);
}

const iso = (us: number) => new Date(us / 1000).toISOString();

export function evaluate(csvText: string, truthText: string): Evaluation {
  const truth = parseTruth(truthText);
  const rows = parseRows(csvText);
  const e: Evaluation = { flows: rows.length, attackFlows: truth.size, benignFlows: 0, truePositives: 0, falsePositives: 0, missing: 0, recall: 0, falseAlarmRate: 0, precision: 0, byAttack: {}, warnings: [] };
  const inCsv = new Set<string>();
  const caught = new Set<string>();
  let csvFrom = Infinity;
  let csvTo = -Infinity;
  for (const r of rows) {
    if (r.startUs < csvFrom) csvFrom = r.startUs;
    if (r.endUs > csvTo) csvTo = r.endUs;
    if (truth.has(r.key)) {
      inCsv.add(r.key);
      if (r.flagged) caught.add(r.key);
    } else {
      e.benignFlows++;
      if (r.flagged) e.falsePositives++;
    }
  }
  for (const [key, t] of truth) {
    const a = (e.byAttack[t.attack] ??= { flows: 0, caught: 0, missing: 0 });
    a.flows++;
    if (caught.has(key)) a.caught++;
    else if (!inCsv.has(key)) a.missing++;
  }
  let truthFrom = Infinity;
  let truthTo = -Infinity;
  for (const t of truth.values()) {
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
  csv: optionalStr({ flag: 'csv', env: 'NIDS_EVAL_CSV', metavar: 'file', help: 'A five_tuple_with_anomaly.csv (from analyze or the sink).' }),
  truth: optionalStr({ flag: 'truth', env: 'NIDS_EVAL_TRUTH', metavar: 'file', help: 'The ground truth written by nids simulate (<pcap>.truth.jsonl).' }),
  labels: optionalStr({ flag: 'labels', env: 'NIDS_EVAL_LABELS', metavar: 'file', help: "The real-tools lab's labels.jsonl (episode, attack, attacker, victim, start, end; spoofed_outside for a spoofed-source attack) instead of --truth." }),
  incidents: optionalStr({ flag: 'incidents', env: 'NIDS_EVAL_INCIDENTS', metavar: 'file', help: "The run's incidents.jsonl, to count incidents per attack." }),
  seedCsv: optionalStr({ flag: 'seed-csv', env: 'NIDS_EVAL_SEED_CSV', metavar: 'file', help: 'The same input scored with --featurizer seed: reported beside nids.' }),
  seedIncidents: optionalStr({ flag: 'seed-incidents', env: 'NIDS_EVAL_SEED_INCIDENTS', metavar: 'file', help: "That run's incidents.jsonl." }),
  json: optionalStr({ flag: 'json', env: 'NIDS_EVAL_JSON', metavar: 'file', help: 'Write the per-attack report as JSON here.' }),
  markdown: optionalStr({ flag: 'markdown', env: 'NIDS_EVAL_MARKDOWN', metavar: 'file', help: 'Write the per-attack report as a Markdown table here.' }),
};

const read = (path: string, flag: string) => {
  checkInputFile(path, flag);
  return fsCall(path, () => readFileSync(path, 'utf8'));
};

function parseIncidents(text: string, flag: string): IncidentLike[] {
  return parseJsonLines(text, flag, 'an incidents.jsonl written by nids analyze').map(({ line, record: x }) => {
    if (typeof x.src_ip === 'string' && typeof x.ts_start === 'number' && typeof x.ts_end === 'number') return x as unknown as IncidentLike;
    throw new EvalInputError(`${flag}: line ${line} is not an incident record written by nids analyze`);
  });
}

/** The per-attack report of one method: its CSV, optionally its incidents, against the ground truth. */
function qualityOf(csvFlag: string, csvPath: string, incidentsFlag: string, incidentsPath: string | undefined, truth: { labels?: string; truth?: string }): Quality {
  const rows = parseRows(read(csvPath, csvFlag));
  const attribution = truth.labels !== undefined ? attributeByLabels(rows, parseLabels(truth.labels)) : attributeByTruth(rows, truth.truth!);
  return measure(rows, attribution, incidentsPath ? parseIncidents(read(incidentsPath, incidentsFlag), incidentsFlag) : []);
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText('Usage: nids eval --csv <five_tuple_with_anomaly.csv> (--truth <pcap.truth.jsonl> | --labels <labels.jsonl>) [--seed-csv <csv>] [--json <file>] [--markdown <file>]', 'Scores a labeled CSV against ground truth. With --truth: recall per attack over the truth file\'s attack flows (those missing from the CSV count as missed), false alarms, precision. With --labels, or with --json/--markdown: per attack type and overall, host recall (the attacker flagged in every episode), flow recall, benign false-positive rate, ROC AUC and incidents, with the seed method beside nids when --seed-csv is given. ' + EXIT_HELP, spec));
    return 0;
  }
  try {
    const { config } = loadConfig(spec, argv);
    if (!config.csv) throw new ConfigError('--csv is required');
    if ((config.truth === undefined) === (config.labels === undefined)) throw new ConfigError('give exactly one of --truth and --labels');
    const truth = { labels: config.labels && read(config.labels, '--labels'), truth: config.truth && read(config.truth, '--truth') };
    if (config.truth && !config.labels && !config.json && !config.markdown && !config.seedCsv) {
      process.stdout.write(formatEvaluation(evaluate(read(config.csv, '--csv'), truth.truth!)));
      return EXIT.OK;
    }
    if (config.truth) parseTruth(truth.truth!);
    const methods: Record<string, Quality> = { nids: qualityOf('--csv', config.csv, '--incidents', config.incidents, truth) };
    if (config.seedCsv) methods.seed = qualityOf('--seed-csv', config.seedCsv, '--seed-incidents', config.seedIncidents, truth);
    const table = markdownTable(methods);
    if (config.json) fsCall(config.json, () => writeFileSync(config.json!, JSON.stringify(methods, null, 2) + '\n'));
    if (config.markdown) fsCall(config.markdown, () => writeFileSync(config.markdown!, table));
    process.stdout.write(table);
    return EXIT.OK;
  } catch (err) {
    process.stderr.write(`nids eval: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
}
