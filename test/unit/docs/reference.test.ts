// The field references (docs/reference/) against what nids writes: every Avro field has a
// `doc`, and its page lists it with that doc as its meaning (and lists nothing else); the
// CSV page lists the CSV columns in order; the ECS page lists every field an alert can
// carry, with the ECS type the fixture gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REPO } from '../../helpers/stack.ts';
import { CSV_COLUMNS } from '../../../lib/pipeline/csv.ts';
import { ecsOfAnomaly, ecsOfIncident } from '../../../lib/siem/ecs.ts';
import type { Anomaly, Incident } from '../../../lib/avro/records.ts';

interface Row {
  name: string;
  type: string;
  unit: string;
  meaning: string;
}

/** The rows of a page's field tables: | `name` | type | unit-or-more | meaning-or-more | */
function rowsOf(page: string): Row[] {
  const text = readFileSync(`${REPO}docs/reference/${page}`, 'utf8');
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const m = /^\| `([^`]+)` \| (.*) \|$/.exec(line);
    if (!m) continue;
    const cells = m[2]!.split(' | ');
    rows.push({ name: m[1]!, type: cells[0]!, unit: cells[1] ?? '', meaning: cells.slice(2).join(' | ') });
  }
  return rows;
}

type AvroField = { name: string; type: unknown; doc?: string };

/** Every field, nested ones as `record.field` or `array[].field`, with its doc. */
function fieldsOf(fields: AvroField[], prefix = ''): { name: string; doc: string | undefined }[] {
  const out: { name: string; doc: string | undefined }[] = [];
  for (const f of fields) {
    const name = prefix + f.name;
    out.push({ name, doc: f.doc });
    const types = Array.isArray(f.type) ? f.type : [f.type];
    for (const t of types) {
      if (!t || typeof t !== 'object') continue;
      const o = t as { type: string; fields?: AvroField[]; items?: { type?: string; fields?: AvroField[] } };
      if (o.type === 'record') out.push(...fieldsOf(o.fields!, `${name}.`));
      if (o.type === 'array' && o.items?.type === 'record') out.push(...fieldsOf(o.items.fields!, `${name}[].`));
    }
  }
  return out;
}

const PAGES = { 'flow.avsc': 'flow.md', 'scored-flow.avsc': 'scored-flow.md', 'anomaly.avsc': 'anomaly.md', 'incident.avsc': 'incident.md' };

for (const [schema, page] of Object.entries(PAGES)) {
  test(`schemas/${schema}: every field has a doc, and docs/reference/${page} lists each with that doc`, () => {
    const raw = JSON.parse(readFileSync(`${REPO}schemas/${schema}`, 'utf8')) as { fields: AvroField[] };
    const fields = fieldsOf(raw.fields);
    assert.deepEqual(fields.filter((f) => !f.doc?.trim()).map((f) => f.name), [], 'fields without a doc');
    const rows = rowsOf(page);
    assert.deepEqual(rows.map((r) => r.name), fields.map((f) => f.name), `${page} lists the schema's fields, in its order, and nothing else`);
    for (const f of fields) {
      const row = rows.find((r) => r.name === f.name)!;
      assert.equal(row.meaning, f.doc, `${page}: ${f.name}'s meaning must be the schema's doc`);
      assert.ok(row.type && row.unit, `${page}: ${f.name} has a type and a unit ("—" when it has none)`);
    }
  });
}

test('docs/reference/csv.md lists every CSV column, in order', () => {
  assert.deepEqual(rowsOf('csv.md').map((r) => r.name), [...CSV_COLUMNS]);
});

/** Field names of an alert as the ECS page writes them (arrays of objects as `name[].field`). */
function ecsNames(o: Record<string, unknown>, prefix = '', out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(o)) {
    const name = prefix + k;
    if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'object') for (const x of v) ecsNames(x as Record<string, unknown>, `${name}[].`, out);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) ecsNames(v as Record<string, unknown>, `${name}.`, out);
    else out.add(name);
  }
  return out;
}

test('docs/reference/ecs.md lists every field an ECS alert carries, with the ECS type of the fixture', () => {
  const anomaly: Anomaly = {
    flow_id: 'f', community_id: '1:x', sensor_id: 's', ts_start: 1, ts_end: 2, src_ip: '10.0.0.1', dst_ip: '10.0.0.2', src_port: 1, dst_port: 2, protocol: 6,
    packets: 1, bytes: 1, score: -0.7, threshold: -0.6, severity: 'high', reasons: [{ feature: 'syn_share', value: 1, baseline: 0.1, text: 't' }], model_id: 'm', detected_at: 3,
  };
  const incident: Incident = {
    incident_id: 'i', status: 'open', src_ip: '10.0.0.1', source_count: 1, behaviour: 'flood', ts_start: 1, ts_end: 2, flows: 1, bytes: 1, victim_count: 1, victims: ['10.0.0.2'],
    top_reasons: ['t'], severity: 'high', model_id: 'm', reported_at: 3,
  };
  const emitted = new Set([...ecsNames(ecsOfAnomaly(anomaly)), ...ecsNames(ecsOfIncident(incident))]);
  const rows = rowsOf('ecs.md');
  const listed = new Set(rows.map((r) => r.name));
  assert.deepEqual([...emitted].filter((n) => !listed.has(n)).sort(), [], 'emitted but not on the page');
  assert.deepEqual([...listed].filter((n) => !emitted.has(n)).sort(), [], 'on the page but never emitted');
  const fixture = JSON.parse(readFileSync(`${REPO}test/fixtures/ecs-fields.json`, 'utf8')) as { fields: Record<string, string> };
  for (const r of rows.filter((r) => !r.name.startsWith('nids.'))) assert.equal(r.type, fixture.fields[r.name], `${r.name}: the page's ECS type`);
});

test('README and docs/architecture.md link the field references', () => {
  for (const file of ['README.md', 'docs/architecture.md']) assert.match(readFileSync(`${REPO}${file}`, 'utf8'), /docs\/reference\/|\(reference\//, file);
  const index = readFileSync(`${REPO}docs/reference/README.md`, 'utf8');
  for (const page of [...Object.values(PAGES), 'csv.md', 'ecs.md']) assert.ok(index.includes(`](${page})`), `docs/reference/README.md links ${page}`);
});
