// `nids eval`: how well a labeled CSV matches a simulation's ground truth, per flow:
// attack flows caught (recall, per attack), false alarms on benign flows, precision.
import { readFileSync } from 'node:fs';
import { ConfigError, helpText, loadConfig, str } from '../lib/config/index.ts';
import { CSV_COLUMNS, parseCsvLine } from '../lib/pipeline/csv.ts';
import { loadTruth, tupleKey } from '../lib/sim/pcap.ts';

export interface Evaluation {
  flows: number;
  attackFlows: number;
  benignFlows: number;
  truePositives: number;
  falsePositives: number;
  recall: number;
  falseAlarmRate: number;
  precision: number;
  byAttack: Record<string, { flows: number; caught: number }>;
}

export function evaluate(csvText: string, truthText: string): Evaluation {
  const truth = loadTruth(truthText);
  const lines = csvText.trimEnd().split('\n');
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  const e: Evaluation = { flows: 0, attackFlows: 0, benignFlows: 0, truePositives: 0, falsePositives: 0, recall: 0, falseAlarmRate: 0, precision: 0, byAttack: {} };
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const c = parseCsvLine(line);
    const key = tupleKey(c[col('src_ip')]!, Number(c[col('src_port')]), c[col('dst_ip')]!, Number(c[col('dst_port')]), Number(c[col('protocol')]));
    const t = truth.get(key);
    const flagged = c[col('anomaly')] === '-1';
    e.flows++;
    if (t) {
      e.attackFlows++;
      const a = (e.byAttack[t.attack] ??= { flows: 0, caught: 0 });
      a.flows++;
      if (flagged) {
        a.caught++;
        e.truePositives++;
      }
    } else {
      e.benignFlows++;
      if (flagged) e.falsePositives++;
    }
  }
  e.recall = e.attackFlows ? e.truePositives / e.attackFlows : 0;
  e.falseAlarmRate = e.benignFlows ? e.falsePositives / e.benignFlows : 0;
  e.precision = e.truePositives + e.falsePositives ? e.truePositives / (e.truePositives + e.falsePositives) : 0;
  return e;
}

export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = Object.entries(e.byAttack).map(([a, v]) => `  ${a.padEnd(10)} ${v.caught}/${v.flows} flows caught (${pct(v.caught / v.flows)})`);
  return [
    `attack flows caught: ${e.truePositives}/${e.attackFlows} (recall ${pct(e.recall)})`,
    ...rows,
    `false alarms: ${e.falsePositives}/${e.benignFlows} benign flows (${pct(e.falseAlarmRate)}); precision ${pct(e.precision)}`,
  ].join('\n') + '\n';
}

const spec = {
  csv: str({ flag: 'csv', env: 'NIDS_EVAL_CSV', metavar: 'file', help: 'A five_tuple_with_anomaly.csv (from analyze or the sink).' }),
  truth: str({ flag: 'truth', env: 'NIDS_EVAL_TRUTH', metavar: 'file', help: 'The ground truth written by nids simulate (<pcap>.truth.jsonl).' }),
};

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText('Usage: nids eval --csv <five_tuple_with_anomaly.csv> --truth <pcap.truth.jsonl>', 'Scores a labeled CSV against a simulation\'s ground truth: recall per attack, false alarms, precision.', spec));
    return 0;
  }
  try {
    const { config } = loadConfig(spec, argv);
    process.stdout.write(formatEvaluation(evaluate(readFileSync(config.csv, 'utf8'), readFileSync(config.truth, 'utf8'))));
    return 0;
  } catch (err) {
    process.stderr.write(`nids eval: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
