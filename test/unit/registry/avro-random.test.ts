// readerCanRead against an independent implementation: avsc's resolver. On random schema
// pairs (a random schema and a random evolution of it, both directions), whenever we say
// the reader can read the writer, avsc must build a resolver and decode random data of
// the writer into valid values of the reader. And whenever we say it cannot, avsc must
// refuse to build the resolver or fail on one of the values (the generator makes no
// decimals, which avsc does not check, and no namespace changes, which avsc's resolver
// only ignores on request).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import avro from 'avsc';
import { parseAvroSchema, readerCanRead, type ParsedSchema } from '../../../lib/registry/avro/index.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const PRIMS = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'];

/** Small seeded generator (mulberry32). */
function random(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof random>;

/** A random schema: records (possibly recursive), enums, fixed, arrays, maps, unions, primitives. */
function genSchema(rng: Rng): Json {
  let names = 0;
  const gen = (depth: number, inRecord: string | null): Json => {
    const k = rng.int(depth > 0 ? 10 : 5);
    if (k <= 2 || depth <= 0) return rng.pick(PRIMS.slice(1));
    if (k === 3) return { type: 'enum', name: `E${names++}`, symbols: ['A', 'B', 'C'].slice(0, 1 + rng.int(3)) };
    if (k === 4) return { type: 'fixed', name: `F${names++}`, size: 1 + rng.int(4) };
    if (k === 5) return { type: 'array', items: gen(depth - 1, inRecord) };
    if (k === 6) return { type: 'map', values: gen(depth - 1, inRecord) };
    if (k === 7) {
      const branches: Json[] = ['null'];
      for (const p of ['int', 'string', 'double']) if (rng.next() < 0.5) branches.push(p);
      if (rng.next() < 0.4) branches.push(record(depth - 1));
      return branches.length > 1 ? branches : ['null', 'long'];
    }
    return record(depth - 1);
  };
  const record = (depth: number): Json => {
    const name = `R${names++}`;
    const fields: Json[] = [];
    const n = 1 + rng.int(4);
    for (let i = 0; i < n; i++) fields.push({ name: `f${i}`, type: gen(depth, name) });
    // One self-reference at most: avsc's random() recurses through it with probability 1/2.
    if (rng.next() < 0.3) fields.push({ name: 'next', type: ['null', name], default: null });
    return { type: 'record', name: `ns.${name}`, fields };
  };
  return record(2);
}

const clone = (j: Json): Json => JSON.parse(JSON.stringify(j)) as Json;
const isObj = (j: Json): j is Obj => typeof j === 'object' && j !== null && !Array.isArray(j);

/** A random evolution: at each node, with some probability, one change a schema author might make. */
function mutate(schema: Json, rng: Rng): Json {
  const walk = (s: Json): Json => {
    if (typeof s === 'string') return PRIMS.includes(s) && rng.next() < 0.15 ? rng.pick(PRIMS.slice(1)) : s;
    if (Array.isArray(s)) {
      let out = s.map(walk);
      const r = rng.next();
      if (r < 0.1 && out.length > 1) out.splice(1 + rng.int(out.length - 1), 1);
      else if (r < 0.2) {
        const p = rng.pick(['int', 'long', 'string', 'bytes', 'boolean']);
        if (!out.includes(p)) out.push(p);
      } else if (r < 0.25) {
        // A union narrowed to one branch; never to a bare self-reference, which no finite value has.
        const one = out[rng.int(out.length)]!;
        if (typeof one !== 'string' || PRIMS.includes(one)) return one;
      }
      // Primitive mutations above may have produced duplicates: keep the first of each.
      out = out.filter((b, i) => typeof b !== 'string' || out.indexOf(b) === i);
      return out;
    }
    if (!isObj(s)) return s;
    const o: Obj = { ...s };
    if (o.type === 'record') {
      const fields: Obj[] = (o.fields as Obj[]).map((f) => ({ ...f, type: walk(f.type!) }));
      const r = rng.next();
      if (r < 0.15) fields.push({ name: `g${rng.int(100)}`, type: rng.pick(PRIMS.slice(1)), ...(rng.next() < 0.5 ? { default: null } : {}) });
      else if (r < 0.3 && fields.length > 1) fields.splice(rng.int(fields.length), 1);
      else if (r < 0.4) {
        const fld = rng.pick(fields);
        if ('default' in fld) delete fld.default;
        else fld.default = null;
      } else if (r < 0.5) {
        const fld = rng.pick(fields);
        fld.aliases = [fld.name as string];
        fld.name = `${fld.name as string}_renamed`;
      }
      o.fields = fields.filter((f, i) => fields.findIndex((g) => g.name === f.name) === i);
      // A record renamed, keeping the old name as an alias (not when fields refer to it by name).
      if (rng.next() < 0.1 && !fields.some((f) => f.name === 'next')) {
        o.aliases = [o.name as string];
        o.name = `${o.name as string}_renamed`;
      }
    } else if (o.type === 'enum') {
      const symbols = [...(o.symbols as string[])];
      const r = rng.next();
      if (r < 0.2) symbols.push(`S${rng.int(5)}`);
      else if (r < 0.35 && symbols.length > 1) symbols.splice(rng.int(symbols.length), 1);
      else if (r < 0.5) o.default = symbols[0]!;
      o.symbols = [...new Set(symbols)];
      if (o.default !== undefined && !o.symbols.includes(o.default)) o.default = o.symbols[0]!;
    } else if (o.type === 'fixed') {
      if (rng.next() < 0.2) o.size = (o.size as number) + 1;
    } else if (o.type === 'array') o.items = walk(o.items!);
    else if (o.type === 'map') o.values = walk(o.values!);
    if (rng.next() < 0.05) return ['null', o];
    return o;
  };
  return fixDefaults(walk(clone(schema)));
}

/** Every field that has a default gets a valid one for its (possibly changed) type. */
function fixDefaults(schema: Json): Json {
  const defs = new Map<string, Obj>();
  const collect = (s: Json): void => {
    if (Array.isArray(s)) s.forEach(collect);
    else if (isObj(s)) {
      if (typeof s.name === 'string' && (s.type === 'record' || s.type === 'enum' || s.type === 'fixed')) {
        defs.set(s.name, s);
        defs.set(s.name.replace(/^ns\./, ''), s);
      }
      if (s.type === 'record') for (const f of s.fields as Obj[]) collect(f.type!);
      if (s.items) collect(s.items);
      if (s.values) collect(s.values);
    }
  };
  collect(schema);
  const value = (t: Json): Json => {
    if (typeof t === 'string') {
      switch (t) {
        case 'null':
          return null;
        case 'boolean':
          return true;
        case 'int':
        case 'long':
          return 7;
        case 'float':
        case 'double':
          return 0.5;
        case 'bytes':
        case 'string':
          return 'ab';
      }
      return value(defs.get(t)!);
    }
    if (Array.isArray(t)) return value(t[0]!);
    const o = t as Obj;
    if (o.type === 'enum') return (o.symbols as string[])[0]!;
    if (o.type === 'fixed') return 'x'.repeat(o.size as number);
    if (o.type === 'array') return [];
    if (o.type === 'map') return {};
    const out: Obj = {};
    for (const f of o.fields as Obj[]) out[f.name as string] = value(f.type!);
    return out;
  };
  const walk = (s: Json): void => {
    if (Array.isArray(s)) s.forEach(walk);
    else if (isObj(s)) {
      if (s.type === 'record')
        for (const f of s.fields as Obj[]) {
          walk(f.type!);
          if ('default' in f) f.default = value(f.type!);
        }
      if (s.items) walk(s.items);
      if (s.values) walk(s.values);
    }
  };
  walk(schema);
  return schema;
}

const tryParse = (s: Json): ParsedSchema | null => {
  try {
    return parseAvroSchema(JSON.stringify(s));
  } catch {
    return null;
  }
};

/** Whether avsc reads `samples` random values of the writer through a resolver into valid reader values; the first error otherwise. */
function avscReads(reader: avro.Type, writer: avro.Type, samples: number): string {
  let resolver;
  try {
    resolver = reader.createResolver(writer, { ignoreNamespaces: true });
  } catch (e) {
    return `createResolver: ${(e as Error).message}`;
  }
  for (let i = 0; i < samples; i++) {
    const v = writer.random();
    try {
      const out = reader.fromBuffer(writer.toBuffer(v), resolver);
      if (!reader.isValid(out)) return `decoded ${JSON.stringify(out)} is not valid for the reader`;
    } catch (e) {
      return `decoding ${JSON.stringify(v)}: ${(e as Error).message}`;
    }
  }
  return '';
}

test('whenever readerCanRead says yes, avsc resolves and decodes random writer data; when it says no, avsc does not', () => {
  const stats = { pairs: 0, compatible: 0, incompatible: 0, invalid: 0 };
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = random(seed);
      const base = fixDefaults(genSchema(rng));
      const a = tryParse(base);
      assert.ok(a, `generated schema is invalid: ${JSON.stringify(base)}`);
      const evolved = mutate(base, rng);
      const b = tryParse(evolved);
      if (!b) {
        stats.invalid++;
        return;
      }
      for (const [r, w] of [[a, b], [b, a]] as const) {
        stats.pairs++;
        const reasons = readerCanRead(r, w);
        const avscError = avscReads(r.type, w.type, 10);
        if (reasons.length === 0) {
          stats.compatible++;
          assert.equal(avscError, '', `we say ${r.text} reads ${w.text}, avsc: ${avscError}`);
        } else {
          stats.incompatible++;
          assert.notEqual(avscError, '', `we say ${r.text} cannot read ${w.text} (${reasons.join('; ')}), avsc read 10 random values`);
        }
      }
    }),
    { numRuns: 400, seed: 20240601, includeErrorInReport: true },
  );
  // Not vacuous: both answers occur often.
  assert.ok(stats.compatible > 150 && stats.incompatible > 100, JSON.stringify(stats));
});

/**
 * Another spelling of `schema` (generated above: every name in namespace "ns"): object
 * attributes shuffled, primitives as {"type": p} or not, fullnames written as short names
 * or with a "namespace" attribute, and another indentation.
 */
function respell(schema: Json, rng: Rng): string {
  const shortName = (n: string): string => (n.startsWith('ns.') && rng.next() < 0.5 ? n.slice(3) : n);
  const walk = (s: Json, root: boolean): Json => {
    if (typeof s === 'string') {
      if (PRIMS.includes(s)) return rng.next() < 0.5 ? { type: s } : s;
      return shortName(s.includes('.') ? s : `ns.${s}`);
    }
    if (Array.isArray(s)) return s.map((b) => walk(b, false));
    if (!isObj(s)) return s;
    const o: Obj = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === 'type' && typeof v === 'string' && !PRIMS.includes(v) && ['record', 'enum', 'fixed', 'array', 'map', 'error'].includes(v)) o[k] = v;
      else if (k === 'type' || k === 'items' || k === 'values') o[k] = walk(v, false);
      else if (k === 'fields') o[k] = (v as Obj[]).map((f) => shuffled({ ...f, type: walk(f.type!, false) }, rng));
      else o[k] = v;
    }
    if (typeof o.name === 'string' && (o.type === 'record' || o.type === 'enum' || o.type === 'fixed')) {
      const full = o.name.includes('.') ? o.name : `ns.${o.name}`;
      const r = rng.next();
      if (r < 0.4) {
        o.name = full.slice(3);
        o.namespace = 'ns';
      } else if (r < 0.7 || root) o.name = full;
      else o.name = full.slice(3); // inherits "ns" from the enclosing type
    }
    return shuffled(o, rng);
  };
  return JSON.stringify(walk(schema, true), null, rng.pick([0, 1, 2, '\t']));
}

function shuffled(o: Obj, rng: Rng): Obj {
  const keys = Object.keys(o);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const out: Obj = {};
  for (const k of keys) out[k] = o[k]!;
  return out;
}

test('random respellings of a random schema have its identity, and its identity parses back to itself', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = random(seed);
      const schema = fixDefaults(genSchema(rng));
      const p = parseAvroSchema(JSON.stringify(schema));
      const text = respell(schema, rng);
      assert.equal(parseAvroSchema(text).canonical, p.canonical, text);
      assert.equal(parseAvroSchema(p.canonical).canonical, p.canonical);
    }),
    { numRuns: 300, seed: 99, includeErrorInReport: true },
  );
});
