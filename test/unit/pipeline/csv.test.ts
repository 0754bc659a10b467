import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_COLUMNS, CsvWriter, parseCsvLine } from '../../../lib/pipeline/csv.ts';
import { formatIsoMicros, parseIsoMicros } from '../../../lib/time/index.ts';
import type { ScoredFlow } from '../../../lib/avro/records.ts';
import { makeFlow } from '../../helpers/flows.ts';

const scored = (id: string, anomaly: 1 | -1, reasons: string[] = []): ScoredFlow => ({
  flow: makeFlow({ flow_id: id, src_port: 40000 + id.length, dst_port: anomaly === -1 ? 4444 : 443 }),
  score: anomaly === -1 ? -0.71 : -0.42,
  anomaly,
  threshold: -0.5,
  model_id: 'm-1',
  feature_version: 'v1',
  reasons,
  scored_at: 0,
});

const rows = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n').map(parseCsvLine);

test('timestamps are ISO-8601 UTC with microseconds', () => {
  assert.equal(formatIsoMicros(1_700_000_000_123_456), '2023-11-14T22:13:20.123456Z');
  assert.equal(formatIsoMicros(0), '1970-01-01T00:00:00.000000Z');
  assert.equal(parseIsoMicros('2023-11-14T22:13:20.123Z'), 1_700_000_000_123_000);
  assert.equal(parseIsoMicros('yesterday'), null);
});

test('writes a header and one row per flow, anomaly 1 / -1, quoting reasons', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'nids-csv-')), 'out.csv');
  const w = new CsvWriter(path);
  assert.equal(w.write([scored('a', 1), scored('b', -1, ['dst port 4444, rare', 'x "y"'])]), 2);
  w.close();
  const [header, a, b] = rows(path);
  assert.deepEqual(header, [...CSV_COLUMNS]);
  const col = (r: string[], c: (typeof CSV_COLUMNS)[number]) => r[CSV_COLUMNS.indexOf(c)];
  assert.equal(col(a!, 'anomaly'), '1');
  assert.equal(col(b!, 'anomaly'), '-1');
  assert.equal(col(b!, 'dst_port'), '4444');
  assert.equal(col(b!, 'score'), '-0.71');
  assert.equal(col(b!, 'reasons'), 'dst port 4444, rare; x "y"');
});

test('a replay after restart duplicates nothing, and a torn last line is repaired', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'nids-csv-')), 'out.csv');
  const w1 = new CsvWriter(path);
  w1.write([scored('a', 1), scored('b', -1, ['dst port 4444, rare'])]);
  w1.close();
  appendFileSync(path, 'c,2023-11-14T22:1'); // crash in the middle of a row
  const w2 = new CsvWriter(path);
  // The plots' data is restored from the rows: counts, port pairs, the source and its reason.
  assert.equal(w2.plot.flows, 2);
  assert.equal(w2.plot.anomalies, 1);
  assert.deepEqual([...w2.plot.anomalousPairs.keys()], [(40000 + 1) * 65536 + 4444]);
  assert.deepEqual(w2.plot.topSources(5, 3).map((s) => s.reasons), [['dst port 4444, rare']]);
  assert.equal(w2.anomalyRows, 1);
  assert.equal(w2.write([scored('a', 1), scored('b', -1), scored('c', 1)]), 1);
  assert.equal(w2.duplicatesDropped, 2);
  w2.close();
  const ids = rows(path).slice(1).map((r) => r[0]);
  assert.deepEqual(ids, ['a', 'b', 'c']);
});

test('refuses to append to a file that is not its own CSV', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'nids-csv-')), 'other.csv');
  writeFileSync(path, 'name,value\nx,1\n');
  assert.throws(() => new CsvWriter(path), /not a nids CSV/);
});
