// nids eval's per-attack report: which flows belong to which labeled episode, host recall,
// flow recall, false-positive rate, AUC by the detector's ordering, incidents per episode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSV_COLUMNS } from '../../../lib/pipeline/csv.ts';
import { attributeByLabels, BENIGN, parseLabels, parseRows, UNATTRIBUTED, EvalInputError } from '../../../lib/eval/attribution.ts';
import { markdownTable, measure } from '../../../lib/eval/report.ts';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function row(src: string, dst: string, s: number, score: number, anomaly: 1 | -1, dport = 80): string {
  const v: Record<string, string | number> = {
    flow_id: `${src}-${dst}-${s}-${dport}`, ts_start: at(s), ts_end: at(s + 0.5), sensor_id: 't', community_id: 'c', src_ip: src, dst_ip: dst,
    src_port: 40000 + s, dst_port: dport, protocol: 6, packets_fwd: 1, packets_rev: 1, bytes_fwd: 60, bytes_rev: 60, end_reason: 'fin',
    score, threshold: -0.6, anomaly, model_id: 'm', reasons: '',
  };
  return CSV_COLUMNS.map((c) => String(v[c])).join(',');
}

const labels = [
  { episode: 'scan', attack: 'tcpscan', attacker: '10.0.0.66', victim: '10.0.0.5', start: at(10), end: at(20) },
  { episode: 'sweep', attack: 'sweep', attacker: '10.0.0.66', victim: '10.0.0.0/28', start: at(30), end: at(40) },
  { episode: 'slow', attack: 'slowscan', attacker: '10.0.0.77', victim: '10.0.0.5', start: at(0), end: at(60) },
].map((l) => JSON.stringify(l)).join('\n');

const csv = [
  CSV_COLUMNS.join(','),
  row('10.0.0.66', '10.0.0.5', 11, -0.7, -1, 1),   // scan, caught
  row('10.0.0.66', '10.0.0.5', 12, -0.5, 1, 2),    // scan, missed
  row('10.0.0.66', '10.0.0.9', 31, -0.7, -1),      // sweep, caught
  row('10.0.0.9', '10.0.0.66', 32, -0.45, 1),      // sweep (the victim answering), missed
  row('10.0.0.66', '10.0.0.5', 50, -0.5, 1),       // the attacker between episodes: unattributed
  row('10.0.0.77', '10.0.0.5', 20, -0.55, 1),      // slow scan, missed
  row('10.0.0.2', '10.0.0.5', 5, -0.4, 1),         // benign
  row('10.0.0.3', '10.0.0.5', 6, -0.65, -1),       // benign, false alarm
  row('10.0.0.4', '10.0.0.5', 7, -0.42, 1),        // benign
].join('\n') + '\n';

test('flows go to the episode of their attacker, victim and time; the rest is benign or set aside', () => {
  const rows = parseRows(csv);
  const a = attributeByLabels(rows, parseLabels(labels));
  assert.deepEqual(Array.from(a.rowEpisode), [0, 0, 1, 1, UNATTRIBUTED, 2, BENIGN, BENIGN, BENIGN]);
});

test('host recall, flow recall, false-positive rate, AUC and incidents per attack and overall', () => {
  const rows = parseRows(csv);
  const q = measure(rows, attributeByLabels(rows, parseLabels(labels)), [
    { src_ip: '10.0.0.66', ts_start: (T0 + 11_000) * 1000, ts_end: (T0 + 12_000) * 1000 },
    { src_ip: '10.0.0.3', ts_start: (T0 + 6_000) * 1000, ts_end: (T0 + 6_000) * 1000 },
  ]);
  assert.deepEqual([q.byAttack.tcpscan!.episodesFlagged, q.byAttack.tcpscan!.flowsCaught, q.byAttack.tcpscan!.flows, q.byAttack.tcpscan!.incidents], [1, 1, 2, 1]);
  assert.equal(q.byAttack.slowscan!.hostRecall, 0);
  assert.equal(q.overall.hostRecall, 2 / 3);
  assert.equal(q.overall.flowRecall, 2 / 5);
  assert.deepEqual([q.benignFlows, q.falsePositives, q.benignIncidents, q.unattributedFlows], [3, 1, 1, 1]);
  // Ranked flagged first, then by score: attack flows -0.7f, -0.7f, -0.5, -0.45, -0.55 against
  // benign -0.4, -0.65f, -0.42. The two flagged attack flows outrank all three benign ones
  // (-0.7 < -0.65); the three unflagged ones beat -0.4 and -0.42 and lose to the flagged one.
  assert.equal(q.overall.auc, (3 + 3 + 2 + 2 + 2) / 15);
  const md = markdownTable({ nids: q, seed: q });
  assert.match(md, /\| tcpscan \| 1 \| 2 \| 1\/1 \/ 1\/1 \| 50\.0 % \/ 50\.0 % \|/);
  assert.match(md, /\| \*\*all\*\* \| 3 \| 5 \|.*\| 33\.3 % \(1\/3\) \/ 33\.3 % \(1\/3\) \|/);
});

test('a spoofed-source episode takes the flows to its victim from outside the lab\'s networks; the lab\'s own hosts stay benign', () => {
  const spoofed = JSON.stringify({ episode: 'spoof', attack: 'spoofedflood', attacker: '10.0.0.66', victim: '10.0.0.5', start: at(100), end: at(110), spoofed_outside: '10.0.0.0/24,198.51.100.0/24' });
  const rows = parseRows([
    CSV_COLUMNS.join(','),
    row('203.0.113.9', '10.0.0.5', 101, -0.7, -1), // a spoofed source
    row('45.1.2.3', '10.0.0.5', 102, -0.5, 1),     // another, missed
    row('10.0.0.2', '10.0.0.5', 103, -0.4, 1),     // a lab client meanwhile: benign
    row('45.1.2.3', '10.0.0.6', 104, -0.4, 1),     // not to the victim: benign
    row('45.1.2.4', '10.0.0.5', 130, -0.4, 1),     // after the episode: benign
  ].join('\n') + '\n');
  const a = attributeByLabels(rows, parseLabels(spoofed));
  assert.deepEqual(Array.from(a.rowEpisode), [0, 0, BENIGN, BENIGN, BENIGN]);
  assert.throws(() => parseLabels(JSON.stringify({ ...JSON.parse(spoofed), spoofed_outside: 7 })), /spoofed_outside is not a comma-separated list/);
});

test('a labels file or CSV that is not one is refused in one line', () => {
  assert.throws(() => parseLabels('{"episode":"x"}\n'), (e: Error) => e instanceof EvalInputError && /line 1 has no "attack"/.test(e.message));
  assert.throws(() => parseLabels('not json'), /line 1 is not JSON/);
  assert.throws(() => parseRows('a,b\n'), /not a five_tuple_with_anomaly.csv/);
});
