// The registry's identity of a schema: Avro's Parsing Canonical Form, extended.
//
// Parsing Canonical Form (PCF, Avro spec "Parsing Canonical Form for Schemas") makes the
// spellings of one schema equal: primitives as bare names ("string", not
// {"type":"string"}), fullnames everywhere and no "namespace", attributes in the order
// name, type, fields, symbols, items, values, size, only the attributes that shape the
// binary encoding, no whitespace. A named type is written out in full where it first
// appears and by its fullname afterwards.
//
// But PCF is an identity for *writers*: it strips everything a reader or a user of the
// registry still sees. Two schemas differing in a default, an alias, a sort order, a
// logical type or a doc would collapse into one id, and registering a schema that only
// adds a default (to make a later change BACKWARD compatible) or an alias (to rename a
// field) would silently return the old version, whose text lacks it: Confluent's registry
// creates a new version there, and so must we. So after PCF's attributes, in this fixed
// order, we also keep:
//
//   default      (fields, and an enum's default symbol) JSON value, object keys sorted
//   aliases      fullnames for named types, plain names for fields; sorted, deduplicated
//   order        only when not "ascending" (the default, so spelling it changes nothing)
//   logicalType  with precision and scale for decimals (scale 0 written out when omitted)
//   doc          as given
//
// Other attributes (custom properties such as "connect.name") are left out, as in PCF.
// A schema with references appends them, as given and in order, after the schema's form:
// the same text resolved against other subjects or versions is another schema.
import { decimalOf, type FieldNode, type Node, type SchemaReference } from './model.ts';

const str = JSON.stringify;

/**
 * The extended canonical form of `root`. Named types in `external` (defined by the
 * schema's references) are written by name only: they are not part of this schema's text.
 */
export function canonicalForm(root: Node, external: ReadonlySet<string> = new Set()): string {
  return emit(root, new Set(external));
}

/** The identity string: the canonical form, followed by the references when there are any. */
export function identity(root: Node, external: ReadonlySet<string>, references: readonly SchemaReference[]): string {
  const form = canonicalForm(root, external);
  if (references.length === 0) return form;
  // The form is one JSON value without whitespace, so a space cannot be part of it.
  return `${form} references=${str(references.map((r) => ({ name: r.name, subject: r.subject, version: r.version })))}`;
}

/** JSON with object keys sorted at every depth: one spelling per JSON value. */
export function sortedJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return str(v);
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${str(k)}:${sortedJson(o[k])}`)
    .join(',')}}`;
}

function logical(n: Node): string {
  if (n.kind === 'union' || n.logicalType === undefined) return '';
  let s = `,"logicalType":${str(n.logicalType)}`;
  const d = decimalOf(n);
  if (d) s += `,"precision":${d.precision},"scale":${d.scale}`;
  else {
    // Invalid or foreign parameters: kept as given, so that fixing them is a new schema.
    if (n.precision !== undefined) s += `,"precision":${sortedJson(n.precision)}`;
    if (n.scale !== undefined) s += `,"scale":${sortedJson(n.scale)}`;
  }
  return s;
}

const aliases = (a: readonly string[]): string => (a.length ? `,"aliases":${str(a)}` : '');
const doc = (d: string | undefined): string => (d === undefined ? '' : `,"doc":${str(d)}`);

function field(f: FieldNode, emitted: Set<string>): string {
  return (
    `{"name":${str(f.name)},"type":${emit(f.type, emitted)}` +
    (f.hasDefault ? `,"default":${sortedJson(f.default)}` : '') +
    aliases(f.aliases) +
    (f.order !== 'ascending' ? `,"order":${str(f.order)}` : '') +
    doc(f.doc) +
    '}'
  );
}

function emit(n: Node, emitted: Set<string>): string {
  switch (n.kind) {
    case 'union':
      return `[${n.branches.map((b) => emit(b, emitted)).join(',')}]`;
    case 'array':
      return `{"type":"array","items":${emit(n.items, emitted)}${logical(n)}}`;
    case 'map':
      return `{"type":"map","values":${emit(n.values, emitted)}${logical(n)}}`;
    case 'record':
    case 'enum':
    case 'fixed': {
      if (emitted.has(n.name)) return str(n.name);
      emitted.add(n.name);
      const head = `{"name":${str(n.name)},"type":"${n.kind}"`;
      const tail = aliases(n.aliases) + logical(n) + doc(n.doc) + '}';
      if (n.kind === 'fixed') return `${head},"size":${n.size}${tail}`;
      if (n.kind === 'enum') return `${head},"symbols":${str(n.symbols)}${n.default !== undefined ? `,"default":${str(n.default)}` : ''}${tail}`;
      return `${head},"fields":[${n.fields.map((f) => field(f, emitted)).join(',')}]${tail}`;
    }
    default:
      return n.logicalType === undefined ? `"${n.kind}"` : `{"type":"${n.kind}"${logical(n)}}`;
  }
}
