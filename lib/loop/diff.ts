// `nids model diff`: what changed between two stored models, as lines an operator reads:
// threshold, size and window of the baseline, guard verdicts, and each feature's range.
import { Detector } from '../detector/index.ts';
import type { StoredModel } from '../modelstore/index.ts';

const guardSummary = (json: string | undefined): string => {
  if (!json) return 'none';
  const g = JSON.parse(json) as { passed: boolean | null; false_alarm_rate?: number; canary_recall?: Record<string, number> };
  if (g.passed === null) return 'not run';
  const recall = Object.entries(g.canary_recall ?? {}).map(([a, r]) => `${a} ${(r * 100).toFixed(1)}%`).join(', ');
  return `${g.passed ? 'passed' : 'refused'}: false alarms ${((g.false_alarm_rate ?? 0) * 100).toFixed(2)}%${recall ? `; canaries ${recall}` : ''}`;
};

export function diffModels(a: StoredModel, b: StoredModel): string[] {
  const rows: Array<[string, string, string]> = [
    ['scope', a.meta.scope, b.meta.scope],
    ['status', a.meta.status ?? 'unknown', b.meta.status ?? 'unknown'],
    ['created_at', a.meta.created_at, b.meta.created_at],
    ['threshold', String(a.meta.threshold), String(b.meta.threshold)],
    ['n_samples', String(a.meta.n_samples), String(b.meta.n_samples)],
    ['window', a.meta.window, b.meta.window],
    ['feature_version', a.meta.feature_version, b.meta.feature_version],
    ['guard', guardSummary(a.meta.guard), guardSummary(b.meta.guard)],
    ['refused_reason', a.meta.refused_reason ?? '', b.meta.refused_reason ?? ''],
  ];
  const ra = Detector.deserialize(a.bytes).featureRanges();
  const rb = new Map(Detector.deserialize(b.bytes).featureRanges().map((r) => [r.name, r]));
  for (const x of ra) {
    const y = rb.get(x.name);
    rows.push([`range ${x.name}`, `[${x.min}, ${x.max}]`, y ? `[${y.min}, ${y.max}]` : 'absent']);
    rb.delete(x.name);
  }
  for (const y of rb.values()) rows.push([`range ${y.name}`, 'absent', `[${y.min}, ${y.max}]`]);
  const width = Math.max(...rows.map((r) => r[0].length));
  const out = [`${''.padEnd(width)}  ${a.meta.id}  ->  ${b.meta.id}`];
  for (const [what, x, y] of rows) out.push(`${x === y ? ' ' : '*'}${what.padEnd(width)}  ${x}${x === y ? '' : `  ->  ${y}`}`);
  return out;
}
