// Parsing and validating an Avro schema text into the model (model.ts), its identity
// (canonical.ts) and an avsc Type.
//
// Validation is ours rather than avsc's so that every rejection says what is wrong and
// where, as a path: the root record's fullname, then `.field` per field, `[]` for array
// items, `{}` for map values and `[i]` for the i-th branch of a union, e.g.
// "nids.v1.Flow.dns_qname[1]". The rules are the Avro specification's, with the choices
// of the Java implementation (which Confluent's registry runs) where the spec leaves room:
//
// - A name reference without a dot is looked up in the enclosing namespace, then in the
//   null namespace (Java does; the spec only names the first).
// - {"type": "SomeName"} is accepted as a reference to a named type, as Java does.
// - "error" is accepted as a record (Java's parser does; its canonical form says "record").
// - A union field's default must match the union's first branch (spec, Java, avsc).
// - "doc": null, "namespace": null and an enum's "default": null mean none.
// - Invalid logical types (a decimal whose scale exceeds its precision, ...) are kept but
//   ignored, as the spec requires, rather than rejected.
//
// We are stricter than Java where it would hand avsc something it cannot build, or data
// nobody can write: empty enums and unions, bytes/fixed defaults with characters above
// \u00ff, fixed defaults of the wrong length, long defaults beyond 2^53 (JSON numbers lose
// them), and doc attributes that are neither strings nor null.
//
// The avsc Type is built from the model rather than from the input (names spelled out as
// fullnames), so avsc and we can never disagree on what a name refers to.
import avro from 'avsc';
import { identity, canonicalForm } from './canonical.ts';
import {
  PRIMITIVE_NAMES,
  attachInternals,
  internalsOf,
  isNamed,
  type FieldNode,
  type Logical,
  type NamedNode,
  type Node,
  type ParsedSchema,
  type PrimitiveName,
  type NamedEntry,
  type SchemaReference,
} from './model.ts';

export class InvalidSchemaError extends Error {
  override name = 'InvalidSchemaError';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
// avsc encodes longs through doubles and accepts only magnitudes up to 2^53 - 2.
const LONG_MAX = 2 ** 53 - 2;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/**
 * Parses and validates an Avro schema text. `resolved` are the already-parsed schemas the
 * references point to (in the given reference order; each may itself have references,
 * already resolved into its `type`): their named types are visible to this schema.
 * Throws InvalidSchemaError on anything invalid, naming the problem and where it is.
 */
export function parseAvroSchema(text: string, references: readonly SchemaReference[] = [], resolved: readonly ParsedSchema[] = []): ParsedSchema {
  if (references.length !== resolved.length) throw new TypeError(`${references.length} references but ${resolved.length} resolved schemas`);
  const refs = references.map(checkReference);
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (e) {
    throw new InvalidSchemaError(`schema is not valid JSON: ${(e as Error).message}`);
  }
  const parser = new Parser(visibleThroughReferences(refs, resolved));
  const root = parser.schema(json, '', '');
  parser.checkDefaults();

  const registry: Record<string, avro.Type> = {};
  for (const [name, { type }] of parser.external) registry[name] = type;
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(avscSchema(root, new Set(parser.external.keys())) as avro.Schema, { registry });
  } catch (e) {
    // Our validation should have caught it first; say so rather than hide it.
    throw new InvalidSchemaError(`schema rejected by the Avro library: ${(e as Error).message}`);
  }
  const named = new Map(parser.external);
  for (const [name, node] of parser.defined) named.set(name, { node, type: registry[name]! });
  attachInternals(type, { root, named });
  return Object.freeze({
    canonical: identity(root, new Set(parser.external.keys()), refs),
    text: JSON.stringify(json),
    type,
    references: Object.freeze(refs),
  });
}

function checkReference(r: SchemaReference, i: number): SchemaReference {
  const bad = (what: string): never => {
    throw new InvalidSchemaError(`reference ${i} (${show(r)}): ${what}`);
  };
  if (!isObject(r)) bad('must be an object with name, subject and version');
  if (typeof r.name !== 'string' || r.name === '') bad('name must be a non-empty string');
  if (typeof r.subject !== 'string' || r.subject === '') bad('subject must be a non-empty string');
  if (!Number.isInteger(r.version)) bad('version must be a whole number');
  return Object.freeze({ name: r.name, subject: r.subject, version: r.version });
}

/** The named types the references make visible; a name two references define differently is an error. */
function visibleThroughReferences(refs: readonly SchemaReference[], resolved: readonly ParsedSchema[]): Map<string, NamedEntry> {
  const out = new Map<string, NamedEntry>();
  resolved.forEach((schema, i) => {
    for (const [name, entry] of internalsOf(schema).named) {
      const seen = out.get(name);
      // Diamonds (two references that both import a third) see one definition twice.
      if (seen && seen.node !== entry.node && canonicalForm(seen.node) !== canonicalForm(entry.node))
        throw new InvalidSchemaError(`reference '${refs[i]!.name}' (subject ${refs[i]!.subject} version ${refs[i]!.version}) defines ${name} differently from an earlier reference`);
      if (!seen) out.set(name, entry);
    }
  });
  return out;
}

const namespaceOf = (fullname: string): string => {
  const dot = fullname.lastIndexOf('.');
  return dot < 0 ? '' : fullname.slice(0, dot);
};

class Parser {
  /** Named types this schema defines, by fullname, in definition order. */
  readonly defined = new Map<string, NamedNode>();
  /** Defaults are checked once every type is complete (a field may use its own record). */
  private defaults: Array<{ type: Node; value: Json; path: string }> = [];

  constructor(readonly external: ReadonlyMap<string, NamedEntry>) {}

  private fail(path: string, what: string): never {
    // Paths inside an unnamed root (a union, an array, a map) start at "(root)".
    throw new InvalidSchemaError(path === '' ? what : `${/^[[{]/.test(path) ? '(root)' : ''}${path}: ${what}`);
  }

  /** A schema: a type name, a type object or a union. `ns` is the enclosing namespace. */
  schema(s: Json, ns: string, path: string): Node {
    if (typeof s === 'string') return this.reference(s, ns, path);
    if (Array.isArray(s)) return this.union(s, ns, path);
    if (!isObject(s)) this.fail(path, `a schema must be a type name, an object or an array (union), got ${show(s)}`);
    const t = s.type;
    if (t === undefined) this.fail(path, `schema object has no "type": ${show(s)}`);
    if (typeof t !== 'string') this.fail(path, `"type" must be a string naming a type, got ${show(t)}`);
    const lt = this.logical(s, path);
    if (PRIMITIVE_NAMES.has(t)) return { kind: t as PrimitiveName, ...lt };
    switch (t) {
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return this.named(s, t, ns, path, lt);
      case 'array':
        if (!('items' in s)) this.fail(path, 'array has no "items"');
        return { kind: 'array', items: this.schema(s.items!, ns, `${path}[]`), ...lt };
      case 'map':
        if (!('values' in s)) this.fail(path, 'map has no "values"');
        return { kind: 'map', values: this.schema(s.values!, ns, `${path}{}`), ...lt };
      default:
        // Java accepts {"type": "SomeRecord"} as a reference to a defined name.
        if (this.lookup(t, ns)) return this.reference(t, ns, path);
        return this.fail(path, `unknown type ${show(t)} (not a primitive, record, enum, fixed, array or map, nor a defined name)`);
    }
  }

  private logical(s: JsonObject, path: string): Logical {
    const lt = s.logicalType;
    if (lt === undefined) return {};
    if (typeof lt !== 'string') this.fail(path, `"logicalType" must be a string, got ${show(lt)}`);
    const out: Logical = { logicalType: lt };
    if (s.precision !== undefined) out.precision = s.precision;
    if (s.scale !== undefined) out.scale = s.scale;
    return out;
  }

  private lookup(name: string, ns: string): NamedNode | undefined {
    const candidates = name.includes('.') ? [name] : ns ? [`${ns}.${name}`, name] : [name];
    for (const c of candidates) {
      const n = this.defined.get(c) ?? this.external.get(c)?.node;
      if (n) return n;
    }
    return undefined;
  }

  private reference(name: string, ns: string, path: string): Node {
    if (PRIMITIVE_NAMES.has(name)) return { kind: name as PrimitiveName };
    const n = this.lookup(name, ns);
    if (n) return n;
    if (!name.split('.').every((p) => NAME.test(p))) this.fail(path, `${show(name)} is not a valid type name`);
    const where = name.includes('.') || !ns ? name : `${ns}.${name}`;
    return this.fail(path, `undefined type name ${show(name)}: ${where} is not a primitive type, not defined earlier in the schema and not defined by a reference`);
  }

  private union(s: Json[], ns: string, path: string): Node {
    if (s.length === 0) this.fail(path, 'a union must have at least one branch');
    const seen = new Map<string, number>();
    const branches = s.map((b, i) => {
      const p = `${path}[${i}]`;
      const n = this.schema(b, ns, p);
      if (n.kind === 'union') this.fail(p, 'a union may not immediately contain another union');
      // Unnamed types may appear once per kind (logical types do not count); named ones once per name.
      const key = isNamed(n) ? `${n.kind} ${n.name}` : n.kind;
      const prev = seen.get(key);
      if (prev !== undefined) this.fail(p, `duplicate ${isNamed(n) ? key : show(key)} in union (already branch ${prev})`);
      seen.set(key, i);
      return n;
    });
    return { kind: 'union', branches };
  }

  private name(v: Json | undefined, what: string, path: string): string {
    if (typeof v !== 'string') this.fail(path, `${what} must be a string, got ${show(v)}`);
    if (!v.split('.').every((p) => NAME.test(p))) this.fail(path, `${what} ${show(v)} is not a valid name (each dot-separated part must match [A-Za-z_][A-Za-z0-9_]*)`);
    return v;
  }

  private doc(s: JsonObject, path: string): { doc?: string } {
    // null is no doc, as in Java's parser.
    if (s.doc === undefined || s.doc === null) return {};
    if (typeof s.doc !== 'string') this.fail(path, `"doc" must be a string, got ${show(s.doc)}`);
    return { doc: s.doc };
  }

  private aliases(s: JsonObject, path: string, qualify: (a: string) => string, dotted: boolean): string[] {
    if (s.aliases === undefined) return [];
    if (!Array.isArray(s.aliases)) this.fail(path, `"aliases" must be an array of names, got ${show(s.aliases)}`);
    const out = s.aliases.map((a) => {
      const n = this.name(a, 'alias', path);
      if (!dotted && n.includes('.')) this.fail(path, `field alias ${show(n)} may not contain a dot`);
      return qualify(n);
    });
    return [...new Set(out)].sort();
  }

  private named(s: JsonObject, t: 'record' | 'error' | 'enum' | 'fixed', ns: string, path: string, lt: Logical): NamedNode {
    const short = this.name(s.name, t === 'error' ? 'record name' : `${t} name`, path);
    let space = ns;
    if (short.includes('.')) space = namespaceOf(short);
    else if (s.namespace !== undefined && s.namespace !== null) {
      if (typeof s.namespace !== 'string') this.fail(path, `"namespace" must be a string, got ${show(s.namespace)}`);
      if (s.namespace !== '') this.name(s.namespace, 'namespace', path);
      space = s.namespace;
    }
    const fullname = short.includes('.') || !space ? short : `${space}.${short}`;
    const here = path || fullname;
    if (PRIMITIVE_NAMES.has(fullname.slice(fullname.lastIndexOf('.') + 1))) this.fail(here, `${show(fullname)}: a primitive type name cannot be redefined`);
    if (this.defined.has(fullname)) this.fail(here, `${fullname} is defined twice`);
    if (this.external.has(fullname)) this.fail(here, `${fullname} is already defined by a reference`);
    const base = {
      name: fullname,
      aliases: this.aliases(s, here, (a) => (a.includes('.') || !space ? a : `${space}.${a}`), true),
      ...this.doc(s, here),
      ...lt,
    };
    if (t === 'fixed') {
      const size = s.size;
      if (size === undefined) this.fail(here, `fixed ${fullname} has no "size"`);
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) this.fail(here, `fixed ${fullname}: "size" must be a whole number >= 0, got ${show(size)}`);
      const node: NamedNode = { kind: 'fixed', ...base, size };
      this.defined.set(fullname, node);
      return node;
    }
    if (t === 'enum') {
      const symbols = s.symbols;
      if (!Array.isArray(symbols)) this.fail(here, `enum ${fullname}: "symbols" must be an array of names, got ${show(symbols)}`);
      if (symbols.length === 0) this.fail(here, `enum ${fullname} has no symbols`);
      const seen = new Set<string>();
      for (const sym of symbols) {
        if (typeof sym !== 'string' || !NAME.test(sym)) this.fail(here, `enum ${fullname}: symbol ${show(sym)} is not a valid name ([A-Za-z_][A-Za-z0-9_]*)`);
        if (seen.has(sym)) this.fail(here, `enum ${fullname}: duplicate symbol ${show(sym)}`);
        seen.add(sym);
      }
      const node: NamedNode = { kind: 'enum', ...base, symbols: symbols as string[] };
      if (s.default !== undefined && s.default !== null) {
        if (typeof s.default !== 'string' || !seen.has(s.default)) this.fail(here, `enum ${fullname}: default ${show(s.default)} is not one of its symbols`);
        node.default = s.default;
      }
      this.defined.set(fullname, node);
      return node;
    }
    if (!Array.isArray(s.fields)) this.fail(here, `record ${fullname}: "fields" must be an array, got ${show(s.fields)}`);
    // Registered before its fields are parsed: a field may refer to its own record.
    const fields: FieldNode[] = [];
    const node: NamedNode = { kind: 'record', ...base, error: t === 'error', fields };
    this.defined.set(fullname, node);
    const names = new Set<string>();
    s.fields.forEach((f, i) => fields.push(this.field(f, i, names, space, here)));
    return node;
  }

  private field(f: Json, i: number, names: Set<string>, ns: string, recordPath: string): FieldNode {
    if (!isObject(f)) this.fail(`${recordPath}.fields[${i}]`, `a field must be an object, got ${show(f)}`);
    if (typeof f.name !== 'string') this.fail(`${recordPath}.fields[${i}]`, `field has no name (got ${show(f.name)})`);
    const path = `${recordPath}.${f.name}`;
    if (!NAME.test(f.name)) this.fail(path, `field name ${show(f.name)} is not a valid name ([A-Za-z_][A-Za-z0-9_]*)`);
    if (names.has(f.name)) this.fail(path, `duplicate field ${show(f.name)}`);
    names.add(f.name);
    if (f.type === undefined) this.fail(path, `field ${show(f.name)} has no "type"`);
    const type = this.schema(f.type, ns, path);
    const order = f.order ?? 'ascending';
    if (order !== 'ascending' && order !== 'descending' && order !== 'ignore') this.fail(path, `"order" must be "ascending", "descending" or "ignore", got ${show(order)}`);
    const hasDefault = 'default' in f;
    if (hasDefault) this.defaults.push({ type, value: f.default!, path });
    return { name: f.name, type, hasDefault, default: f.default, aliases: this.aliases(f, path, (a) => a, false), order, ...this.doc(f, path) };
  }

  checkDefaults(): void {
    for (const { type, value, path } of this.defaults) {
      const why = defaultError(type, value);
      if (why) this.fail(path, `invalid default ${show(value)} for ${describeShort(type)}: ${why}`);
    }
  }
}

const describeShort = (n: Node): string => (isNamed(n) ? `${n.kind} ${n.name}` : n.kind === 'union' ? `union (default must match its first branch, ${isNamed(n.branches[0]!) ? (n.branches[0] as NamedNode).name : n.branches[0]!.kind})` : n.kind);

const bytesLike = (v: string): boolean => {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0xff) return false;
  return true;
};

/** Why `v` is not a valid JSON default for `n` (Avro spec, "default" of record fields), or '' when it is. */
function defaultError(n: Node, v: Json): string {
  switch (n.kind) {
    case 'null':
      return v === null ? '' : 'expected null';
    case 'boolean':
      return typeof v === 'boolean' ? '' : 'expected true or false';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX ? '' : 'expected a whole number in the 32-bit range';
    case 'long':
      if (typeof v !== 'number' || !Number.isInteger(v)) return 'expected a whole number';
      return Math.abs(v) <= LONG_MAX ? '' : `whole numbers beyond ±${LONG_MAX} (about 2^53) are not exact in JSON`;
    case 'float':
    case 'double':
      return typeof v === 'number' ? '' : 'expected a number';
    case 'string':
      return typeof v === 'string' ? '' : 'expected a string';
    case 'bytes':
      return typeof v === 'string' && bytesLike(v) ? '' : 'expected a string of characters \\u0000-\\u00ff (one per byte)';
    case 'fixed':
      if (typeof v !== 'string' || !bytesLike(v)) return 'expected a string of characters \\u0000-\\u00ff (one per byte)';
      return v.length === n.size ? '' : `expected ${n.size} bytes, got ${v.length}`;
    case 'enum':
      return typeof v === 'string' && n.symbols.includes(v) ? '' : `expected one of the symbols ${show(n.symbols)}`;
    case 'array': {
      if (!Array.isArray(v)) return 'expected an array';
      for (let i = 0; i < v.length; i++) {
        const why = defaultError(n.items, v[i]!);
        if (why) return `item ${i}: ${why}`;
      }
      return '';
    }
    case 'map': {
      if (!isObject(v)) return 'expected an object';
      for (const [k, x] of Object.entries(v)) {
        const why = defaultError(n.values, x);
        if (why) return `value ${show(k)}: ${why}`;
      }
      return '';
    }
    case 'record': {
      if (!isObject(v)) return 'expected an object';
      for (const f of n.fields) {
        const why = f.name in v ? defaultError(f.type, v[f.name]!) : f.hasDefault ? '' : 'missing, and the field has no default';
        if (why) return `field ${show(f.name)}: ${why}`;
      }
      return '';
    }
    case 'union':
      return defaultError(n.branches[0]!, v);
  }
}

/**
 * The schema avsc builds the Type from: the model written out with every name a fullname
 * (a leading dot marks one in the null namespace, which avsc reads as absolute), named
 * types in full at their first use. Names in `external` are already in avsc's registry.
 */
function avscSchema(root: Node, external: ReadonlySet<string>): unknown {
  const done = new Set(external);
  const abs = (name: string): string => (name.includes('.') ? name : `.${name}`);
  const lt = (n: Logical): Logical => {
    const o: Logical = {};
    if (n.logicalType !== undefined) o.logicalType = n.logicalType;
    if (n.precision !== undefined) o.precision = n.precision;
    if (n.scale !== undefined) o.scale = n.scale;
    return o;
  };
  const out = (n: Node): unknown => {
    switch (n.kind) {
      case 'union':
        return n.branches.map(out);
      case 'array':
        return { type: 'array', items: out(n.items), ...lt(n) };
      case 'map':
        return { type: 'map', values: out(n.values), ...lt(n) };
      case 'record':
      case 'enum':
      case 'fixed': {
        if (done.has(n.name)) return abs(n.name);
        done.add(n.name);
        // namespace "" keeps a dotless fullname in the null namespace.
        const head = { type: n.kind === 'record' && n.error ? 'error' : n.kind, name: n.name, namespace: '', aliases: n.aliases.map(abs), ...lt(n), ...(n.doc !== undefined ? { doc: n.doc } : {}) };
        if (n.kind === 'fixed') return { ...head, size: n.size };
        if (n.kind === 'enum') return { ...head, symbols: n.symbols, ...(n.default !== undefined ? { default: n.default } : {}) };
        return {
          ...head,
          fields: n.fields.map((f) => ({
            name: f.name,
            type: out(f.type),
            ...(f.hasDefault ? { default: f.default } : {}),
            aliases: f.aliases,
            order: f.order,
            ...(f.doc !== undefined ? { doc: f.doc } : {}),
          })),
        };
      }
      default:
        return n.logicalType === undefined ? n.kind : { type: n.kind, ...lt(n) };
    }
  };
  return out(root);
}
