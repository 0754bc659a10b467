// Identity (ParsedSchema.canonical): Parsing Canonical Form (Avro spec) for what shapes the
// encoding, extended with the attributes that change what a reader does or what the
// registry returns. Spellings of one schema must agree; different schemas must not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { parseAvroSchema, type SchemaReference } from '../../../lib/registry/avro/index.ts';

const canon = (s: unknown, refs?: SchemaReference[]): string => {
  const text = typeof s === 'string' ? s : JSON.stringify(s);
  return parseAvroSchema(text, refs, refs?.map(() => parseAvroSchema('{"type":"fixed","name":"Dep","size":1}'))).canonical;
};

// Pairs (and triples) of spellings of one schema.
const SAME: Array<[string, ...unknown[]]> = [
  ['whitespace', '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}', '{ "type" : "record" ,\n  "name" : "R",\t"fields" : [ { "name" : "a", "type" : "int" } ] }'],
  ['attribute order', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }, { fields: [{ type: 'int', name: 'a' }], name: 'R', type: 'record' }],
  ['{"type":"string"} vs "string"', { type: 'record', name: 'R', fields: [{ name: 'a', type: { type: 'string' } }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] }],
  ['primitive at the root', '"long"', '{"type":"long"}'],
  ['primitives inside unions, arrays and maps', ['null', { type: 'int' }, { type: 'array', items: { type: 'string' } }], ['null', 'int', { type: 'array', items: 'string' }]],
  ['namespace attribute vs dotted fullname', { type: 'record', name: 'R', namespace: 'a.b', fields: [] }, { type: 'record', name: 'a.b.R', fields: [] }, { type: 'record', name: 'a.b.R', namespace: 'ignored.ns', fields: [] }],
  [
    'nested type: inherited, explicit and dotted namespace',
    { type: 'record', name: 'a.R', fields: [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'] } }] },
    { type: 'record', name: 'a.R', fields: [{ name: 'e', type: { type: 'enum', name: 'E', namespace: 'a', symbols: ['X'] } }] },
    { type: 'record', name: 'R', namespace: 'a', fields: [{ name: 'e', type: { type: 'enum', name: 'a.E', symbols: ['X'] } }] },
  ],
  [
    'reference by short name vs fullname',
    { type: 'record', name: 'a.R', fields: [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'] } }, { name: 'f', type: 'E' }] },
    { type: 'record', name: 'a.R', fields: [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'] } }, { name: 'f', type: 'a.E' }] },
  ],
  ['root in the null namespace: namespace "" vs none', { type: 'fixed', name: 'F', namespace: '', size: 4 }, { type: 'fixed', name: 'F', size: 4 }],
  ['order "ascending" is the default', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', order: 'ascending' }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }],
  [
    'aliases: order, duplicates, short vs qualified',
    { type: 'record', name: 'a.R', aliases: ['Old', 'b.Older'], fields: [{ name: 'x', type: 'int', aliases: ['y', 'w'] }] },
    { type: 'record', name: 'a.R', aliases: ['b.Older', 'a.Old', 'Old'], fields: [{ name: 'x', type: 'int', aliases: ['w', 'y', 'w'] }] },
  ],
  ['null doc, namespace and enum default are none', { type: 'enum', name: 'E', namespace: null, doc: null, default: null, symbols: ['A'] }, { type: 'enum', name: 'E', symbols: ['A'] }],
  ['empty aliases are no aliases', { type: 'enum', name: 'E', symbols: ['A'], aliases: [] }, { type: 'enum', name: 'E', symbols: ['A'] }],
  ['custom attributes are not part of the identity', { type: 'record', name: 'R', 'connect.name': 'x', fields: [{ name: 'a', type: 'int', extra: 1 }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }],
  [
    'default object keys in any order',
    { type: 'record', name: 'R', fields: [{ name: 'm', type: { type: 'map', values: 'int' }, default: { a: 1, b: 2 } }] },
    { type: 'record', name: 'R', fields: [{ name: 'm', type: { type: 'map', values: 'int' }, default: { b: 2, a: 1 } }] },
  ],
  ['numbers spelled differently', '{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":1}]}', '{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":1.0}]}', '{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":1e0}]}'],
  ['fixed size 16 vs 16.0', '{"type":"fixed","name":"F","size":16}', '{"type":"fixed","name":"F","size":16.0}'],
  ['string escapes vs literal characters', '{"type":"enum","name":"E","symbols":["A"],"doc":"caf\\u00e9"}', '{"type":"enum","name":"E","symbols":["A"],"doc":"café"}'],
  ['decimal scale 0 written or omitted', { type: 'bytes', logicalType: 'decimal', precision: 9 }, { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 0 }],
  ['same references', [{ type: 'record', name: 'R', fields: [{ name: 'd', type: 'Dep' }] }, [{ name: 'Dep', subject: 'dep', version: 2 }]], [{ fields: [{ type: 'Dep', name: 'd' }], type: 'record', name: 'R' }, [{ name: 'Dep', subject: 'dep', version: 2 }]]],
];

// Pairs that must be different schemas.
const DIFFERENT: Array<[string, unknown, unknown]> = [
  ['default added', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', default: 0 }] }],
  ['default changed', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', default: 0 }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', default: 1 }] }],
  ['field alias added', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', aliases: ['old_a'] }] }],
  ['record alias added', { type: 'record', name: 'R', fields: [] }, { type: 'record', name: 'R', aliases: ['Old'], fields: [] }],
  ['doc changed', { type: 'record', name: 'R', doc: 'one', fields: [] }, { type: 'record', name: 'R', doc: 'two', fields: [] }],
  ['field doc added', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', doc: 'the a' }] }],
  ['logicalType added', { type: 'record', name: 'R', fields: [{ name: 't', type: 'long' }] }, { type: 'record', name: 'R', fields: [{ name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } }] }],
  ['decimal precision changed', { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 }, { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 }],
  ['order descending', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', order: 'descending' }] }],
  ['enum default added', { type: 'enum', name: 'E', symbols: ['A', 'B'] }, { type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'A' }],
  ['enum symbols reordered (the encoding is the index)', { type: 'enum', name: 'E', symbols: ['A', 'B'] }, { type: 'enum', name: 'E', symbols: ['B', 'A'] }],
  ['fields reordered (the encoding follows field order)', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }] }, { type: 'record', name: 'R', fields: [{ name: 'b', type: 'int' }, { name: 'a', type: 'int' }] }],
  ['namespace changed', { type: 'record', name: 'a.R', fields: [] }, { type: 'record', name: 'b.R', fields: [] }],
  ['union branches reordered', ['null', 'int'], ['int', 'null']],
];

for (const [what, ...spellings] of SAME) {
  test(`same identity: ${what}`, () => {
    const [first, ...rest] = spellings.map((s) => (what === 'same references' ? canon(...(s as [unknown, SchemaReference[]])) : canon(s)));
    for (const c of rest) assert.equal(c, first);
  });
}

for (const [what, a, b] of DIFFERENT) {
  test(`different identity: ${what}`, () => assert.notEqual(canon(a), canon(b)));
}

test('different identity: same text, different references (version, subject, or none)', () => {
  const s = { type: 'record', name: 'R', fields: [{ name: 'd', type: 'Dep' }] };
  const ids = [canon(s, [{ name: 'Dep', subject: 'dep', version: 1 }]), canon(s, [{ name: 'Dep', subject: 'dep', version: 2 }]), canon(s, [{ name: 'Dep', subject: 'other', version: 1 }])];
  assert.equal(new Set(ids).size, 3);
  assert.notEqual(canon({ type: 'record', name: 'R', fields: [] }), canon({ type: 'record', name: 'R', fields: [] }, [{ name: 'Dep', subject: 'dep', version: 1 }]));
});

test('without the extension attributes, the identity is exactly Parsing Canonical Form', () => {
  // PCF's rules applied by hand: fullnames, no namespace, attribute order name, type,
  // fields, symbols, items, values, size, primitives bare, a named type by name after its
  // first appearance, no whitespace.
  const schema = {
    fields: [
      { type: { type: 'int' }, name: 'i' },
      { name: 'e', type: { symbols: ['A', 'B'], type: 'enum', name: 'E', doc: 'dropped?' } },
      { name: 'f', type: { size: 16, type: 'fixed', name: 'F', namespace: 'other' } },
      { name: 'u', type: ['null', { values: 'E', type: 'map' }, { type: 'array', items: 'other.F' }] },
      { name: 'self', type: ['null', 'R'] },
    ],
    namespace: 'a.b',
    type: 'record',
    name: 'R',
  };
  const expected =
    '{"name":"a.b.R","type":"record","fields":[' +
    '{"name":"i","type":"int"},' +
    '{"name":"e","type":{"name":"a.b.E","type":"enum","symbols":["A","B"],"doc":"dropped?"}},' +
    '{"name":"f","type":{"name":"other.F","type":"fixed","size":16}},' +
    '{"name":"u","type":["null",{"type":"map","values":"a.b.E"},{"type":"array","items":"other.F"}]},' +
    '{"name":"self","type":["null","a.b.R"]}]}';
  // (The enum's doc is the one extension attribute here, kept after PCF's.)
  assert.equal(canon(schema), expected);
});

test('identity of schemas without extension attributes equals avsc\'s canonical schema (an independent PCF)', () => {
  const schemas: unknown[] = [
    { type: 'record', name: 'R', namespace: 'x.y', fields: [{ name: 'a', type: ['null', { type: 'record', name: 'I', fields: [{ name: 'z', type: { type: 'map', values: 'I' } }] }] }, { name: 'b', type: 'I' }] },
    { type: 'enum', name: 'q.E', symbols: ['A', 'B', 'C'] },
    ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string', { type: 'fixed', name: 'F', size: 0 }],
    { type: 'array', items: { type: 'map', values: { type: 'record', name: 'n.M', fields: [] } } },
  ];
  for (const s of schemas) assert.equal(canon(s), JSON.stringify(avro.Type.forSchema(s as avro.Schema).schema()));
});

test('the extension attributes come after PCF\'s, in a fixed order', () => {
  const s = {
    type: 'record',
    name: 'R',
    doc: 'record doc',
    aliases: ['Z', 'A'],
    fields: [
      { doc: 'field doc', order: 'descending', aliases: ['b'], default: { y: 1, x: 2 }, name: 'a', type: { type: 'map', values: ['int', 'null'] } },
      { name: 'd', type: { scale: 2, precision: 5, logicalType: 'decimal', type: 'bytes' } },
      { name: 'e', type: { default: 'B', symbols: ['A', 'B'], name: 'E', type: 'enum', aliases: ['F'] } },
    ],
  };
  assert.equal(
    canon(s),
    '{"name":"R","type":"record","fields":[' +
      '{"name":"a","type":{"type":"map","values":["int","null"]},"default":{"x":2,"y":1},"aliases":["b"],"order":"descending","doc":"field doc"},' +
      '{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}},' +
      '{"name":"e","type":{"name":"E","type":"enum","symbols":["A","B"],"default":"B","aliases":["F"]}}' +
      '],"aliases":["A","Z"],"doc":"record doc"}',
  );
});
