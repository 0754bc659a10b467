// Schema resolution (Avro spec, "Schema Resolution") and Confluent's compatibility levels.
// Expectations come from the spec and Confluent's docs: BACKWARD = the new schema reads
// data of the latest version, FORWARD = the latest version reads data of the new schema,
// FULL = both, *_TRANSITIVE = against every version, not only the latest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkCompatibility, COMPATIBILITY_LEVELS, parseAvroSchema, readerCanRead, type CompatibilityLevel, type ParsedSchema } from '../../../lib/registry/avro/index.ts';

const P = (s: unknown): ParsedSchema => parseAvroSchema(JSON.stringify(s));
const can = (reader: unknown, writer: unknown): string[] => readerCanRead(P(reader), P(writer));
const ok = (reader: unknown, writer: unknown): void => assert.deepEqual(can(reader, writer), []);
const refused = (reader: unknown, writer: unknown, ...patterns: RegExp[]): string[] => {
  const reasons = can(reader, writer);
  assert.ok(reasons.length > 0, `expected ${JSON.stringify(reader)} to be unable to read ${JSON.stringify(writer)}`);
  for (const p of patterns) assert.ok(reasons.some((r) => p.test(r)), `no reason matches ${p}: ${JSON.stringify(reasons)}`);
  return reasons;
};
const rec = (fields: unknown[], name = 'nids.v1.Flow', extra: object = {}) => ({ type: 'record', name, ...extra, fields });
const f = (name: string, type: unknown, extra: object = {}) => ({ name, type, ...extra });

/** checkCompatibility of `candidate` against versions 1..n given oldest first. */
const level = (l: CompatibilityLevel, candidate: unknown, ...versions: unknown[]): string[] =>
  checkCompatibility(l, P(candidate), versions.map((s, i) => ({ version: i + 1, schema: P(s) })));

// The spec's promotions: a writer's int may be read as long, float or double; long as
// float or double; float as double; string as bytes and bytes as string.
const PRIMITIVES = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'];
const PROMOTED: Record<string, string[]> = { int: ['long', 'float', 'double'], long: ['float', 'double'], float: ['double'], string: ['bytes'], bytes: ['string'] };

test('primitives: every pair, readable exactly when equal or a promotion', () => {
  for (const w of PRIMITIVES)
    for (const r of PRIMITIVES) {
      const expected = r === w || (PROMOTED[w] ?? []).includes(r);
      const reasons = can(r, w);
      assert.equal(reasons.length === 0, expected, `reader ${r}, writer ${w}: ${JSON.stringify(reasons)}`);
      if (!expected) assert.match(reasons[0]!, new RegExp(`^\\(root\\): reader expects ${r}, writer has ${w}$`));
    }
});

test('a type change inside a record names the field, the reader\'s type and the writer\'s', () => {
  refused(rec([f('a', 'int')]), rec([f('a', 'string')]), /^nids\.v1\.Flow\.a: reader expects int, writer has string$/);
});

test('field added with a default: BACKWARD, FORWARD and FULL', () => {
  const v1 = rec([f('a', 'int')]);
  const v2 = rec([f('a', 'int'), f('b', 'string', { default: '' })]);
  for (const l of COMPATIBILITY_LEVELS) assert.deepEqual(level(l, v2, v1), [], l);
});

test('field added without a default: refused BACKWARD (new reader, old data), fine FORWARD', () => {
  const v1 = rec([f('a', 'int')]);
  const v2 = rec([f('a', 'int'), f('b', 'string')]);
  assert.deepEqual(level('BACKWARD', v2, v1), ["version 1: reader field 'b' (nids.v1.Flow.b) has no default and is missing from the writer"]);
  assert.deepEqual(level('FORWARD', v2, v1), []);
  assert.deepEqual(level('FULL', v2, v1), ["version 1 (backward): reader field 'b' (nids.v1.Flow.b) has no default and is missing from the writer"]);
});

test('field removed: fine BACKWARD; FORWARD only when the old schema gave it a default', () => {
  const withDefault = rec([f('a', 'int'), f('b', 'string', { default: 'x' })]);
  const without = rec([f('a', 'int'), f('b', 'string')]);
  const removed = rec([f('a', 'int')]);
  assert.deepEqual(level('BACKWARD', removed, without), []);
  assert.deepEqual(level('FORWARD', removed, without), ["version 1: reader field 'b' (nids.v1.Flow.b) has no default and is missing from the writer"]);
  assert.equal(level('FULL', removed, without).length, 1);
  assert.deepEqual(level('FORWARD', removed, withDefault), []);
  assert.deepEqual(level('FULL', removed, withDefault), []);
});

test('int to long: fine BACKWARD (promotion), refused FORWARD (long cannot be read as int); int to string refused both ways', () => {
  const v1 = rec([f('n', 'int')]);
  assert.deepEqual(level('BACKWARD', rec([f('n', 'long')]), v1), []);
  assert.deepEqual(level('FORWARD', rec([f('n', 'long')]), v1), ['version 1: nids.v1.Flow.n: reader expects int, writer has long']);
  assert.ok(level('BACKWARD', rec([f('n', 'string')]), v1).length > 0);
  assert.ok(level('FORWARD', rec([f('n', 'string')]), v1).length > 0);
});

test('field renamed with an alias of the old name: BACKWARD fine, FORWARD refused (the old reader knows no alias)', () => {
  const v1 = rec([f('src', 'string')]);
  const v2 = rec([f('src_ip', 'string', { aliases: ['src'] })]);
  assert.deepEqual(level('BACKWARD', v2, v1), []);
  assert.deepEqual(level('FORWARD', v2, v1), ["version 1: reader field 'src' (nids.v1.Flow.src) has no default and is missing from the writer"]);
  // Without the alias the rename is a new field without default.
  assert.ok(level('BACKWARD', rec([f('src_ip', 'string')]), v1).length > 0);
});

test('a writer field matching the reader field by name wins over one matching an alias', () => {
  ok(rec([f('a', 'int', { aliases: ['b'] })]), rec([f('b', 'string'), f('a', 'int')]));
});

test('enum symbol added: BACKWARD fine; FORWARD refused unless the old reader has a default symbol', () => {
  const e = (symbols: string[], extra: object = {}) => rec([f('reason', { type: 'enum', name: 'EndReason', symbols, ...extra })]);
  assert.deepEqual(level('BACKWARD', e(['idle', 'fin', 'rst']), e(['idle', 'fin'])), []);
  const reasons = level('FORWARD', e(['idle', 'fin', 'rst']), e(['idle', 'fin']));
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /^version 1: nids\.v1\.Flow\.reason: writer's enum nids\.v1\.EndReason has symbols \["rst"\] that the reader's enum nids\.v1\.EndReason lacks, and the reader has no default symbol$/);
  assert.deepEqual(level('FORWARD', e(['idle', 'fin', 'rst'], { default: 'idle' }), e(['idle', 'fin'], { default: 'idle' })), []);
  // Symbol removed: the mirror image.
  assert.ok(level('BACKWARD', e(['idle']), e(['idle', 'fin'])).length > 0);
  assert.deepEqual(level('FORWARD', e(['idle']), e(['idle', 'fin'])), []);
});

test('enums: names must match, or the writer\'s be an alias of the reader\'s', () => {
  refused({ type: 'enum', name: 'A', symbols: ['X'] }, { type: 'enum', name: 'B', symbols: ['X'] }, /reader expects enum A, writer has enum B \(names differ and B is not an alias of A\)/);
  ok({ type: 'enum', name: 'A', aliases: ['B'], symbols: ['X'] }, { type: 'enum', name: 'B', symbols: ['X'] });
});

test('unions: widening is BACKWARD, narrowing is FORWARD', () => {
  const v1 = rec([f('q', ['null', 'string'], { default: null })]);
  const wide = rec([f('q', ['null', 'string', 'long'], { default: null })]);
  assert.deepEqual(level('BACKWARD', wide, v1), []);
  assert.match(level('FORWARD', wide, v1).join('\n'), /version 1: nids\.v1\.Flow\.q: reader expects union \[null, string\], no branch of which can read the writer's union branch long/);
  assert.deepEqual(level('FORWARD', v1, wide), []);
  assert.ok(level('BACKWARD', v1, wide).length > 0);
});

test('unions against single types: a reader union reads a writer type one branch reads; a writer union needs every branch readable', () => {
  ok(['null', 'string'], 'string');
  ok(['null', 'long'], 'int'); // through a promotion
  refused(['null', 'string'], 'int', /reader expects union \[null, string\], no branch of which can read int/);
  ok('long', ['int', 'long']);
  refused('string', ['null', 'string'], /reader expects string, writer has union \[null, string\] whose branch null it cannot read/);
  // Making a field optional: the new schema reads the old data, not the other way round.
  assert.deepEqual(level('BACKWARD', rec([f('a', ['null', 'int'], { default: null })]), rec([f('a', 'int')])), []);
  assert.ok(level('FORWARD', rec([f('a', ['null', 'int'], { default: null })]), rec([f('a', 'int')])).length > 0);
});

test('a record inside a union is checked in depth, and the reason comes from that branch', () => {
  const inner = (fields: unknown[]) => ['null', rec(fields, 'Dns')];
  refused(rec([f('dns', inner([f('qname', 'string'), f('qtype', 'int')]))]), rec([f('dns', inner([f('qname', 'string')]))]), /^reader field 'qtype' \(nids\.v1\.Flow\.dns\.qtype\) has no default/);
});

test('nested records: the path goes through every level', () => {
  const v = (t: string) => rec([f('ctx', rec([f('window', rec([f('seconds', t)], 'Window'))], 'Context'))]);
  ok(v('long'), v('int'));
  refused(v('int'), v('long'), /^nids\.v1\.Flow\.ctx\.window\.seconds: reader expects int, writer has long$/);
});

test('records: unqualified names match (spec), and so does a reader alias of the writer\'s fullname; other names do not', () => {
  ok(rec([f('a', 'int')], 'a.R'), rec([f('a', 'int')], 'b.R'));
  ok(rec([f('a', 'int')], 'new.Name', { aliases: ['old.Name2'] }), rec([f('a', 'int')], 'old.Name2'));
  refused(rec([f('a', 'int')], 'x.A'), rec([f('a', 'int')], 'x.B'), /^x\.A: reader expects record x\.A, writer has record x\.B \(names differ/);
});

test('arrays and maps: items and values resolve like anything else', () => {
  ok({ type: 'array', items: 'double' }, { type: 'array', items: 'int' });
  refused(rec([f('xs', { type: 'array', items: 'int' })]), rec([f('xs', { type: 'array', items: 'string' })]), /^nids\.v1\.Flow\.xs\[\]: reader expects int, writer has string$/);
  ok({ type: 'map', values: 'bytes' }, { type: 'map', values: 'string' });
  refused(rec([f('m', { type: 'map', values: 'int' })]), rec([f('m', { type: 'map', values: 'boolean' })]), /^nids\.v1\.Flow\.m\{\}: reader expects int, writer has boolean$/);
  refused({ type: 'array', items: 'int' }, { type: 'map', values: 'int' }, /reader expects array<int>, writer has map<int>/);
});

test('fixed: same name and size; a size change is refused both ways', () => {
  const fx = (size: number) => rec([f('id', { type: 'fixed', name: 'Id', size })]);
  ok(fx(16), fx(16));
  refused(fx(16), fx(8), /^nids\.v1\.Flow\.id: reader expects fixed nids\.v1\.Id \(size 16\), writer has fixed nids\.v1\.Id \(size 8\)$/);
  assert.ok(level('FORWARD', fx(20), fx(16)).length > 0);
  refused({ type: 'fixed', name: 'A', size: 4 }, { type: 'fixed', name: 'B', size: 4 }, /names differ/);
  refused({ type: 'fixed', name: 'A', size: 4 }, 'bytes', /reader expects fixed A \(size 4\), writer has bytes/);
});

test('recursive records: resolution terminates, and finds a difference deep in the recursion', () => {
  const list = (extra: unknown[] = []) => rec([f('value', 'int'), ...extra, f('next', ['null', 'Node'], { default: null })], 'Node');
  ok(list(), list());
  ok(list([f('label', 'string', { default: '' })]), list());
  refused(list([f('label', 'string')]), list(), /reader field 'label' \(Node\.label\) has no default/);
  // Mutual recursion through a map and an array.
  const tree = (leaf: string) => rec([f('leaf', leaf), f('kids', { type: 'array', items: rec([f('children', { type: 'map', values: 'T' })], 'Kid') })], 'T');
  ok(tree('long'), tree('int'));
  refused(tree('int'), tree('long'), /^T\.leaf: reader expects int, writer has long$/);
});

test('logical types resolve as their underlying types; decimals must keep their scale and not lose precision', () => {
  ok({ type: 'long', logicalType: 'timestamp-micros' }, 'long');
  ok('long', { type: 'long', logicalType: 'timestamp-millis' });
  ok({ type: 'long', logicalType: 'timestamp-micros' }, { type: 'int', logicalType: 'date' }); // int promoted to long
  const dec = (precision: number, scale: number) => rec([f('amount', { type: 'bytes', logicalType: 'decimal', precision, scale })]);
  ok(dec(10, 2), dec(8, 2));
  refused(dec(10, 3), dec(10, 2), /^nids\.v1\.Flow\.amount: reader expects decimal scale 3, writer has scale 2$/);
  refused(dec(6, 2), dec(8, 2), /reader expects decimal precision 6, below the writer's 8/);
  ok(rec([f('amount', 'bytes')]), dec(8, 2)); // a decimal read as its bytes
  ok(dec(8, 2), rec([f('amount', { type: 'bytes', logicalType: 'decimal', precision: 8, scale: 9 })])); // an invalid decimal is plain bytes
});

test('transitive levels check every version, non-transitive only the latest', () => {
  // v3 reads v2 (b is there) but not v1 (b missing, no default).
  const v1 = rec([f('a', 'int')]);
  const v2 = rec([f('a', 'int'), f('b', 'int', { default: 0 })]);
  const v3 = rec([f('a', 'int'), f('b', 'int')]);
  assert.deepEqual(level('BACKWARD', v3, v1, v2), []);
  assert.deepEqual(level('BACKWARD_TRANSITIVE', v3, v1, v2), ["version 1: reader field 'b' (nids.v1.Flow.b) has no default and is missing from the writer"]);
  // FORWARD: v2 (with b's default) reads data without b; v1 (b without default) does not.
  const w1 = rec([f('a', 'int'), f('b', 'int')]);
  const w2 = rec([f('a', 'int'), f('b', 'int', { default: 0 })]);
  const w3 = rec([f('a', 'int')]);
  assert.deepEqual(level('FORWARD', w3, w1, w2), []);
  assert.deepEqual(level('FORWARD_TRANSITIVE', w3, w1, w2), ["version 1: reader field 'b' (nids.v1.Flow.b) has no default and is missing from the writer"]);
  assert.deepEqual(level('FULL', w3, w1, w2), []);
  assert.deepEqual(level('FULL_TRANSITIVE', w3, w1, w2), ["version 1 (forward): reader field 'b' (nids.v1.Flow.b) has no default and is missing from the writer"]);
});

test('NONE and an empty subject accept anything; unknown levels are a caller bug', () => {
  assert.deepEqual(level('NONE', 'string', 'int'), []);
  for (const l of COMPATIBILITY_LEVELS) assert.deepEqual(level(l, 'string'), []);
  assert.throws(() => level('SIDEWAYS' as CompatibilityLevel, 'string', 'int'), TypeError);
});

test('versions are named as given (deleted versions leave gaps)', () => {
  const r = checkCompatibility('BACKWARD_TRANSITIVE', P('int'), [
    { version: 2, schema: P('string') },
    { version: 5, schema: P('long') },
  ]);
  assert.deepEqual(r, ['version 2: (root): reader expects int, writer has string', 'version 5: (root): reader expects int, writer has long']);
});

test('every reason is reported, not only the first', () => {
  const reasons = can(rec([f('a', 'int'), f('b', 'string'), f('c', 'boolean')]), rec([f('a', 'string'), f('c', 'int')]));
  assert.equal(reasons.length, 3);
});

test('the nids Flow schema: a defaulted field added is FULL compatible, a default dropped too, a field dropped only BACKWARD', () => {
  const flow = JSON.parse(readFileSync(new URL('../../../schemas/flow.avsc', import.meta.url), 'utf8')) as { fields: { name: string; default?: unknown }[] };
  const v1 = P(flow);
  const added = { ...flow, fields: [...flow.fields, { name: 'tls_sni', type: ['null', 'string'], default: null }] };
  assert.deepEqual(checkCompatibility('FULL_TRANSITIVE', P(added), [{ version: 1, schema: v1 }]), []);
  const required = { ...flow, fields: flow.fields.map((x) => (x.name === 'dns_qtype' ? { name: x.name, type: 'int' } : x)) };
  // The field is written on both sides, so neither reader needs its default.
  assert.deepEqual(checkCompatibility('FULL', P(required), [{ version: 1, schema: v1 }]), []);
  const dropped = { ...flow, fields: flow.fields.filter((x) => x.name !== 'src_ip') };
  assert.deepEqual(checkCompatibility('BACKWARD', P(dropped), [{ version: 1, schema: v1 }]), []);
  assert.deepEqual(checkCompatibility('FORWARD', P(dropped), [{ version: 1, schema: v1 }]), ["version 1: reader field 'src_ip' (nids.v1.Flow.src_ip) has no default and is missing from the writer"]);
});

test('schemas with references resolve through the referenced types', () => {
  const addr1 = parseAvroSchema(JSON.stringify(rec([f('city', 'string')], 'com.acme.Address')));
  const addr2 = parseAvroSchema(JSON.stringify(rec([f('city', 'string'), f('zip', 'string')], 'com.acme.Address')));
  const person = rec([f('home', 'com.acme.Address')], 'com.acme.Person');
  const p1 = parseAvroSchema(JSON.stringify(person), [{ name: 'com.acme.Address', subject: 'address', version: 1 }], [addr1]);
  const p2 = parseAvroSchema(JSON.stringify(person), [{ name: 'com.acme.Address', subject: 'address', version: 2 }], [addr2]);
  assert.notEqual(p1.canonical, p2.canonical);
  assert.deepEqual(checkCompatibility('FORWARD', p2, [{ version: 1, schema: p1 }]), []);
  assert.deepEqual(checkCompatibility('BACKWARD', p2, [{ version: 1, schema: p1 }]), ["version 1: reader field 'zip' (com.acme.Person.home.zip) has no default and is missing from the writer"]);
});
