// Parsing and validation: what the Avro specification accepts, what it rejects, and
// that a rejection says what is wrong and where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InvalidSchemaError, parseAvroSchema, type ParsedSchema, type SchemaReference } from '../../../lib/registry/avro/index.ts';

const parse = (s: unknown, refs?: SchemaReference[], resolved?: ParsedSchema[]): ParsedSchema => parseAvroSchema(typeof s === 'string' ? s : JSON.stringify(s), refs, resolved);
const record = (name: string, fields: unknown[], extra: object = {}) => ({ type: 'record', name, ...extra, fields });

test('the nids wire schemas parse, and their types encode a record', () => {
  const flow = parse(readFileSync(new URL('../../../schemas/flow.avsc', import.meta.url), 'utf8'));
  assert.equal(flow.type.name, 'nids.v1.Flow');
  assert.deepEqual(flow.references, []);
  const anomaly = parse(readFileSync(new URL('../../../schemas/anomaly.avsc', import.meta.url), 'utf8'));
  const value = anomaly.type.random();
  assert.ok(anomaly.type.isValid(anomaly.type.fromBuffer(anomaly.type.toBuffer(value))));
});

test('text is the input without whitespace, attributes in their given order', () => {
  const text = '{ "type" : "record", "namespace": "a", "name" : "R",\n "fields" : [ {"type": "int", "name": "x", "doc": "a b"} ] }';
  assert.equal(parse(text).text, '{"type":"record","namespace":"a","name":"R","fields":[{"type":"int","name":"x","doc":"a b"}]}');
});

test('every primitive, alone and as {"type": ...}', () => {
  for (const p of ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']) {
    assert.equal(parse(JSON.stringify(p)).type.typeName, p);
    assert.equal(parse({ type: p }).type.typeName, p);
  }
});

test('a recursive record (linked list) parses and round-trips', () => {
  const s = parse(record('ns.Node', [{ name: 'value', type: 'int' }, { name: 'next', type: ['null', 'Node'], default: null }]));
  const v = { value: 1, next: { value: 2, next: null } };
  assert.deepEqual(JSON.parse(JSON.stringify(s.type.fromBuffer(s.type.toBuffer(v)))), v);
});

test('names: nested types inherit the namespace; a dotted name wins over "namespace"; short references look in the enclosing namespace, then the null one', () => {
  const s = parse({
    type: 'record',
    name: 'R',
    namespace: 'a.b',
    fields: [
      { name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'] } },
      { name: 'f', type: { type: 'fixed', name: 'c.F', namespace: 'ignored', size: 2 } },
      { name: 'g', type: { type: 'record', name: 'G', namespace: '', fields: [] } },
      { name: 'e2', type: 'E' },
      { name: 'f2', type: 'c.F' },
      { name: 'g2', type: 'G' }, // a.b.G is not defined: the null namespace's G is
    ],
  });
  const names = (s.type as unknown as { fields: { type: { name?: string } }[] }).fields.map((f) => f.type.name);
  assert.deepEqual(names, ['a.b.E', 'c.F', 'G', 'a.b.E', 'c.F', 'G']);
});

test('{"type": "Name"} refers to a defined named type; "error" is a record', () => {
  const s = parse({ type: 'error', name: 'Err', fields: [{ name: 'self', type: ['null', { type: 'Err' }], default: null }] });
  assert.equal(s.type.name, 'Err');
});

test('invalid logical types are ignored, not rejected (spec), and valid ones leave the encoding alone', () => {
  parse({ type: 'bytes', logicalType: 'decimal', precision: 2, scale: 5 });
  parse({ type: 'string', logicalType: 'no-such-logical-type' });
  parse({ type: 'fixed', name: 'D', size: 2, logicalType: 'decimal', precision: 40 });
  const t = parse({ type: 'long', logicalType: 'timestamp-micros' }).type;
  assert.equal(t.typeName, 'long');
});

test('defaults valid for their types are accepted', () => {
  parse(
    record('R', [
      { name: 'n', type: 'null', default: null },
      { name: 'b', type: 'boolean', default: true },
      { name: 'i', type: 'int', default: -2147483648 },
      { name: 'l', type: 'long', default: 9007199254740990 },
      { name: 'f', type: 'float', default: 1.5 },
      { name: 'd', type: 'double', default: -1 },
      { name: 'y', type: 'bytes', default: '\u00ff\u0000' },
      { name: 's', type: 'string', default: 'é' },
      { name: 'x', type: { type: 'fixed', name: 'F', size: 2 }, default: 'ab' },
      { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] }, default: 'B' },
      { name: 'a', type: { type: 'array', items: 'int' }, default: [1, 2] },
      { name: 'm', type: { type: 'map', values: 'string' }, default: { k: 'v' } },
      { name: 'u', type: ['string', 'null'], default: 'x' },
      { name: 'r', type: record('In', [{ name: 'p', type: 'int' }, { name: 'q', type: 'int', default: 3 }]), default: { p: 1 } },
    ]),
  );
});

test('references: named types of the referenced schemas are visible, transitively, and the identity covers the references', () => {
  const addr = parse(record('com.acme.Address', [{ name: 'city', type: 'string' }]));
  const person = parse(record('com.acme.Person', [{ name: 'home', type: 'com.acme.Address' }]), [{ name: 'com.acme.Address', subject: 'address', version: 1 }], [addr]);
  const order = parse(
    record('com.acme.Order', [
      { name: 'buyer', type: 'Person' },
      { name: 'ship_to', type: 'Address' },
    ], { namespace: 'com.acme' }),
    [{ name: 'com.acme.Person', subject: 'person', version: 3 }],
    [person],
  );
  const v = { buyer: { home: { city: 'Oslo' } }, ship_to: { city: 'Bergen' } };
  assert.deepEqual(JSON.parse(JSON.stringify(order.type.fromBuffer(order.type.toBuffer(v)))), v);
  assert.deepEqual(order.references, [{ name: 'com.acme.Person', subject: 'person', version: 3 }]);
  // Referenced types are written by name: they are not part of this schema's text.
  assert.ok(!order.canonical.includes('"city"'));
});

test('references: a diamond (two references importing one schema) is fine', () => {
  const base = parse({ type: 'enum', name: 'k.Kind', symbols: ['A'] });
  const ref = (n: string): SchemaReference => ({ name: n, subject: n, version: 1 });
  const a = parse(record('k.A', [{ name: 'k', type: 'k.Kind' }]), [ref('k.Kind')], [base]);
  const b = parse(record('k.B', [{ name: 'k', type: 'k.Kind' }]), [ref('k.Kind')], [parse({ type: 'enum', name: 'k.Kind', symbols: ['A'] })]);
  parse(record('k.C', [{ name: 'a', type: 'k.A' }, { name: 'b', type: 'k.B' }]), [ref('k.A'), ref('k.B')], [a, b]);
});

test('a ParsedSchema copied with spread still works', async () => {
  const { readerCanRead } = await import('../../../lib/registry/avro/index.ts');
  const s = parse(record('R', [{ name: 'a', type: 'int' }]));
  assert.deepEqual(readerCanRead({ ...s }, { ...s }), []);
});

// Each invalid schema, and a pattern its message must match: the problem and where.
const INVALID: Array<[string, unknown, RegExp, { refs?: SchemaReference[]; resolved?: ParsedSchema[] }?]> = [
  ['not JSON', '{"type": "record",', /not valid JSON/],
  ['JSON null', 'null', /a schema must be a type name, an object or an array/],
  ['unknown type name', '"strin"', /undefined type name "strin"/],
  ['unknown type in an object', { type: 'integer' }, /unknown type "integer"/],
  ['object without type', { name: 'x' }, /no "type"/],
  ['record without name', { type: 'record', fields: [] }, /record name must be a string/],
  ['record without fields', { type: 'record', name: 'R' }, /^R: record R: "fields" must be an array/],
  ['invalid record name', record('1R', []), /"1R" is not a valid name/],
  ['invalid namespace', record('R', [], { namespace: 'a..b' }), /namespace "a\.\.b" is not a valid name/],
  ['redefined primitive', record('int', []), /primitive type name cannot be redefined/],
  ['duplicate field', record('ns.R', [{ name: 'a', type: 'int' }, { name: 'a', type: 'long' }]), /^ns\.R\.a: duplicate field "a"/],
  ['invalid field name', record('R', [{ name: 'a-b', type: 'int' }]), /^R\.a-b: field name "a-b" is not a valid name/],
  ['field without type', record('R', [{ name: 'a' }]), /^R\.a: field "a" has no "type"/],
  ['field without name', record('R', [{ type: 'int' }]), /^R\.fields\[0\]: field has no name/],
  ['field alias with a dot', record('R', [{ name: 'a', type: 'int', aliases: ['x.y'] }]), /^R\.a: field alias "x\.y" may not contain a dot/],
  ['invalid order', record('R', [{ name: 'a', type: 'int', order: 'up' }]), /^R\.a: "order" must be/],
  ['undefined named type without a reference', record('ns.R', [{ name: 'a', type: 'Other' }]), /^ns\.R\.a: undefined type name "Other": ns\.Other is not .*defined by a reference/],
  ['int default of the wrong type', record('R', [{ name: 'a', type: 'int', default: 'x' }]), /^R\.a: invalid default "x" for int/],
  ['int default beyond 32 bits', record('R', [{ name: 'a', type: 'int', default: 2147483648 }]), /^R\.a: invalid default 2147483648 for int/],
  ['long default beyond 2^53', '{"type":"record","name":"R","fields":[{"name":"a","type":"long","default":9223372036854775807}]}', /^R\.a: invalid default .* for long: whole numbers beyond .*about 2\^53/],
  ['null default for a string', record('R', [{ name: 'a', type: 'string', default: null }]), /^R\.a: invalid default null for string/],
  ['union default not of the first branch', record('R', [{ name: 'a', type: ['null', 'string'], default: 'x' }]), /^R\.a: invalid default "x" for union \(default must match its first branch, null\)/],
  ['bytes default beyond \\u00ff', record('R', [{ name: 'a', type: 'bytes', default: 'Ā' }]), /^R\.a: invalid default "Ā" for bytes/],
  ['fixed default of the wrong length', record('R', [{ name: 'a', type: { type: 'fixed', name: 'F', size: 4 }, default: 'abc' }]), /^R\.a: invalid default "abc" for fixed F: expected 4 bytes, got 3/],
  ['record default missing a field without default', record('R', [{ name: 'a', type: record('In', [{ name: 'p', type: 'int' }]), default: {} }]), /^R\.a: invalid default \{\} for record In: field "p": missing/],
  ['array default item of the wrong type', record('R', [{ name: 'a', type: { type: 'array', items: 'int' }, default: [1, 'x'] }]), /^R\.a: invalid default .* item 1/],
  ['enum field default not a symbol', record('R', [{ name: 'a', type: { type: 'enum', name: 'E', symbols: ['A'] }, default: 'B' }]), /^R\.a: invalid default "B" for enum E/],
  ['enum default attribute not a symbol', { type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'C' }, /^E: enum E: default "C" is not one of its symbols/],
  ['enum without symbols', { type: 'enum', name: 'E', symbols: [] }, /enum E has no symbols/],
  ['enum duplicate symbol', { type: 'enum', name: 'E', symbols: ['A', 'A'] }, /enum E: duplicate symbol "A"/],
  ['enum invalid symbol', { type: 'enum', name: 'E', symbols: ['A', 'b c'] }, /enum E: symbol "b c" is not a valid name/],
  ['fixed without size', { type: 'fixed', name: 'F' }, /fixed F has no "size"/],
  ['fixed with a negative size', { type: 'fixed', name: 'F', size: -1 }, /"size" must be a whole number >= 0, got -1/],
  ['fixed with a fractional size', { type: 'fixed', name: 'F', size: 1.5 }, /"size" must be a whole number >= 0, got 1\.5/],
  ['array without items', { type: 'array' }, /array has no "items"/],
  ['map without values', { type: 'map' }, /map has no "values"/],
  ['empty union', [], /a union must have at least one branch/],
  ['union inside a union', ['null', ['int', 'string']], /^\(root\)\[1\]: a union may not immediately contain another union/],
  ['union with a primitive twice', record('R', [{ name: 'u', type: ['int', 'string', 'int'] }]), /^R\.u\[2\]: duplicate "int" in union \(already branch 0\)/],
  ['union with a logical type over a branch already there', ['long', { type: 'long', logicalType: 'timestamp-millis' }], /duplicate "long" in union/],
  ['union with two arrays', [{ type: 'array', items: 'int' }, { type: 'array', items: 'string' }], /duplicate "array" in union/],
  ['union with one record twice', [record('R', []), 'R'], /duplicate record R in union/],
  ['named type defined twice', record('R', [{ name: 'a', type: record('X', []) }, { name: 'b', type: record('X', []) }]), /^R\.b: X is defined twice/],
  ['non-string doc', record('R', [{ name: 'a', type: 'int', doc: 3 }]), /^R\.a: "doc" must be a string/],
  ['error nested deep names its path', record('a.R', [{ name: 'in', type: { type: 'array', items: record('I', [{ name: 'm', type: { type: 'map', values: ['null', 'nope'] } }]) } }]), /^a\.R\.in\[\]\.m\{\}\[1\]: undefined type name "nope"/],
  ['reference with an invalid version', 'int', /reference 0 .*version must be a whole number/, { refs: [{ name: 'x', subject: 's', version: 1.5 }] }],
];

for (const [what, schema, message, opts] of INVALID) {
  test(`invalid: ${what}`, () => {
    const resolved = opts?.resolved ?? (opts?.refs ? opts.refs.map(() => parse('"int"')) : undefined);
    assert.throws(
      () => parse(schema, opts?.refs, resolved),
      (e: unknown) => {
        assert.ok(e instanceof InvalidSchemaError, `not an InvalidSchemaError: ${String(e)}`);
        assert.match(e.message, message);
        return true;
      },
    );
  });
}

test('invalid: redefining a type that a reference defines', () => {
  const addr = parse(record('com.acme.Address', [{ name: 'city', type: 'string' }]));
  assert.throws(() => parse(record('com.acme.Address', [{ name: 'street', type: 'string' }]), [{ name: 'a', subject: 'address', version: 1 }], [addr]), /com\.acme\.Address is already defined by a reference/);
});

test('invalid: two references defining one name differently', () => {
  const one = parse({ type: 'enum', name: 'E', symbols: ['A'] });
  const other = parse({ type: 'enum', name: 'E', symbols: ['A', 'B'] });
  assert.throws(
    () => parse('"E"', [{ name: 'E', subject: 'one', version: 1 }, { name: 'E', subject: 'other', version: 1 }], [one, other]),
    (e: unknown) => e instanceof InvalidSchemaError && /reference 'E' \(subject other version 1\) defines E differently/.test(e.message),
  );
});

test('references and resolved schemas must pair up (a caller bug, not an invalid schema)', () => {
  assert.throws(() => parseAvroSchema('"int"', [{ name: 'x', subject: 's', version: 1 }], []), TypeError);
});
