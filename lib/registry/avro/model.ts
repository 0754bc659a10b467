// The schema model shared by the parser, the canonical form and the compatibility checker:
// a validated Avro schema as a graph of nodes, with every name already a fullname (the
// namespace rules are applied once, in the parser, and nowhere else). Named types are one
// node each, shared by every place that uses them, so a recursive record is a cycle.
import type avro from 'avsc';

export type PrimitiveName = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export const PRIMITIVE_NAMES: ReadonlySet<string> = new Set<PrimitiveName>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** A logical type annotation, kept as given (the spec says to ignore invalid ones, not to reject them). */
export interface Logical {
  logicalType?: string;
  precision?: unknown;
  scale?: unknown;
}

export interface PrimitiveNode extends Logical {
  kind: PrimitiveName;
}

interface NamedBase extends Logical {
  /** Fullname. */
  name: string;
  /** Fullnames, sorted, without duplicates. */
  aliases: string[];
  doc?: string;
}

export interface FieldNode {
  name: string;
  type: Node;
  hasDefault: boolean;
  /** The JSON default as parsed (meaningful only when hasDefault). */
  default: unknown;
  /** Plain names (field aliases have no namespace), sorted, without duplicates. */
  aliases: string[];
  order: 'ascending' | 'descending' | 'ignore';
  doc?: string;
}

export interface RecordNode extends NamedBase {
  kind: 'record';
  /** Declared as "error" rather than "record" (same encoding and resolution). */
  error: boolean;
  fields: FieldNode[];
}

export interface EnumNode extends NamedBase {
  kind: 'enum';
  symbols: string[];
  default?: string;
}

export interface FixedNode extends NamedBase {
  kind: 'fixed';
  size: number;
}

export interface ArrayNode extends Logical {
  kind: 'array';
  items: Node;
}

export interface MapNode extends Logical {
  kind: 'map';
  values: Node;
}

export interface UnionNode {
  kind: 'union';
  branches: Node[];
}

export type NamedNode = RecordNode | EnumNode | FixedNode;
export type Node = PrimitiveNode | RecordNode | EnumNode | FixedNode | ArrayNode | MapNode | UnionNode;

export const isNamed = (n: Node): n is NamedNode => n.kind === 'record' || n.kind === 'enum' || n.kind === 'fixed';

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface ParsedSchema {
  /** Identity of the schema: two spellings of one schema give the same string (see canonical.ts). */
  readonly canonical: string;
  /** The compact JSON text the registry stores and returns for this schema (JSON.stringify of the parsed input, whitespace removed; NOT reordered). */
  readonly text: string;
  /** The avsc Type (named types of references resolved). */
  readonly type: avro.Type;
  /** The references this schema was registered with (as given), empty if none. */
  readonly references: readonly SchemaReference[];
}

export interface NamedEntry {
  node: NamedNode;
  type: avro.Type;
}

/** What the parser knows about a schema beyond the public ParsedSchema. */
export interface SchemaInternals {
  root: Node;
  /** Every named type visible to (and through) this schema: its own definitions and those of its references, transitively. */
  named: ReadonlyMap<string, NamedEntry>;
}

// Keyed by the avsc Type rather than by the ParsedSchema object so that a copy of a
// ParsedSchema ({ ...parsed }) still finds its model.
const internals = new WeakMap<avro.Type, SchemaInternals>();

export function attachInternals(type: avro.Type, i: SchemaInternals): void {
  internals.set(type, i);
}

/** The model of a schema returned by parseAvroSchema; anything else is a programming error. */
export function internalsOf(schema: ParsedSchema): SchemaInternals {
  const i = internals.get(schema.type);
  if (!i) throw new TypeError('schema was not produced by parseAvroSchema (its type has no model)');
  return i;
}

/** A short human description of a node: "int", "long (timestamp-micros)", "record nids.v1.Flow", "array<string>", ["null","string"]. */
export function describe(n: Node): string {
  switch (n.kind) {
    case 'record':
    case 'enum':
    case 'fixed':
      return n.kind === 'fixed' ? `fixed ${n.name} (size ${n.size})` : `${n.kind} ${n.name}`;
    case 'array':
      return `array<${describe(n.items)}>`;
    case 'map':
      return `map<${describe(n.values)}>`;
    case 'union':
      return `union [${n.branches.map(describe).join(', ')}]`;
    default:
      return n.logicalType === undefined ? n.kind : `${n.kind} (${n.logicalType})`;
  }
}

/**
 * The precision and scale of a valid decimal logical type on `n`, or undefined when `n` is
 * not a decimal or the annotation is invalid (the spec: an invalid logical type is
 * ignored and the underlying type used, so it must not be rejected either).
 */
export function decimalOf(n: Node): { precision: number; scale: number } | undefined {
  if (n.kind === 'union' || n.logicalType !== 'decimal') return undefined;
  if (n.kind !== 'bytes' && n.kind !== 'fixed') return undefined;
  const { precision, scale = 0 } = n;
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) return undefined;
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
  // A fixed of n bytes holds a two's-complement integer of at most 2^(8n-1) - 1.
  if (n.kind === 'fixed' && precision > Math.floor((8 * n.size - 1) * Math.log10(2))) return undefined;
  return { precision, scale };
}
