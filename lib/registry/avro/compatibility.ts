// Whether a reader schema can read data written with a writer schema (the Avro spec's
// "Schema Resolution"), and Confluent's compatibility levels on top of it.
//
// Where the spec resolves at read time ("if the writer's union branch does not match, an
// error is signalled"), a compatibility check must answer for all data in advance: every
// branch of a writer union must be readable, and a reader union needs only one branch that
// reads the writer's type (the spec picks the first matching branch; any branch that
// resolves is enough to read the data).
//
// Record names match as the spec says, by unqualified name, or when the writer's fullname
// is one of the reader's aliases (as Avro Java). Namespaces alone never make records
// incompatible, so data checks against avsc need createResolver's `ignoreNamespaces`.
//
// Logical types do not change resolution (the spec resolves the underlying types), with
// one exception: two valid decimals must have the same scale, and the reader's precision
// must be at least the writer's. The bytes are the unscaled integer, so another scale
// silently multiplies every value by a power of ten, and a smaller precision makes values
// the writer may send unrepresentable to the reader. Avro Java's checker lets both
// through; we refuse them. A decimal read as plain bytes (or the reverse) is allowed.
//
// Reasons name a path: the reader's root name, `.field` per field, `[]` for array items,
// `{}` for map values.
import { decimalOf, describe, internalsOf, isNamed, type EnumNode, type FixedNode, type NamedNode, type Node, type ParsedSchema, type RecordNode } from './model.ts';

export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = Object.freeze(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

/** Reasons `reader` cannot read data written with `writer` per the Avro spec's schema-resolution rules; [] when it can. */
export function readerCanRead(reader: ParsedSchema, writer: ParsedSchema): string[] {
  const r = internalsOf(reader).root;
  const w = internalsOf(writer).root;
  return new Resolution().resolve(r, w, isNamed(r) ? r.name : '(root)');
}

/**
 * Confluent semantics: `candidate` is the schema being registered, `existing` the subject's
 * live (not deleted) versions, oldest first. BACKWARD: candidate (reader) reads the latest
 * (writer). FORWARD: latest (reader) reads candidate (writer). FULL: both. *_TRANSITIVE: the
 * same against every existing version. NONE, or no existing versions: [].
 * Each reason names the version it failed against ("version 2: ..."); under FULL levels
 * also the direction ("version 2 (backward): ...", where the new schema is the reader).
 */
export function checkCompatibility(level: CompatibilityLevel, candidate: ParsedSchema, existing: readonly { version: number; schema: ParsedSchema }[]): string[] {
  if (!COMPATIBILITY_LEVELS.includes(level)) throw new TypeError(`unknown compatibility level ${JSON.stringify(level)}`);
  if (level === 'NONE' || existing.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
  const backward = !level.startsWith('FORWARD');
  const forward = !level.startsWith('BACKWARD');
  const both = backward && forward;
  const out: string[] = [];
  for (const { version, schema } of against) {
    if (backward) for (const r of readerCanRead(candidate, schema)) out.push(`version ${version}${both ? ' (backward)' : ''}: ${r}`);
    if (forward) for (const r of readerCanRead(schema, candidate)) out.push(`version ${version}${both ? ' (forward)' : ''}: ${r}`);
  }
  return out;
}

const unqualified = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/** The spec's name rule for records, enums and fixed (see the header). */
const namesMatch = (r: NamedNode, w: NamedNode): boolean => unqualified(r.name) === unqualified(w.name) || r.aliases.includes(w.name);

const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

/**
 * The spec's "match" (used to pick a union branch): same primitive or a promotion, both
 * arrays, both maps, or named types of one kind whose names match. Deeper differences are
 * left to the recursive resolution.
 */
function matches(r: Node, w: Node): boolean {
  if (r.kind !== w.kind) return PROMOTIONS[w.kind]?.includes(r.kind) ?? false;
  return !isNamed(r) || namesMatch(r, w as NamedNode);
}

class Resolution {
  // Record pairs under check: meeting one again (a recursive record) assumes it resolves;
  // the check already under way decides.
  private readonly pending = new Map<RecordNode, Set<RecordNode>>();
  // Record pairs known not to resolve, with their reasons, so a record used in many places
  // is explained in full once and summarized elsewhere.
  private readonly failed = new Map<RecordNode, Map<RecordNode, string[]>>();

  resolve(r: Node, w: Node, path: string): string[] {
    if (w.kind === 'union') return this.writerUnion(r, w.branches, path);
    if (r.kind === 'union') return this.readerUnion(r.branches, w, path, describe(r));
    if (!matches(r, w)) return [`${path}: reader expects ${describe(r)}, writer has ${describe(w)}${isNamed(r) && isNamed(w) && r.kind === w.kind ? ` (names differ and ${w.name} is not an alias of ${r.name})` : ''}`];
    switch (r.kind) {
      case 'record':
        return this.record(r, w as RecordNode, path);
      case 'enum':
        return enumReasons(r, w as EnumNode, path);
      case 'fixed':
        return (r.size === (w as FixedNode).size ? [] : [`${path}: reader expects ${describe(r)}, writer has ${describe(w)}`]).concat(decimalReasons(r, w, path));
      case 'array':
        return this.resolve(r.items, (w as typeof r).items, `${path}[]`);
      case 'map':
        return this.resolve(r.values, (w as typeof r).values, `${path}{}`);
      default:
        return r.kind === w.kind ? decimalReasons(r, w, path) : [];
    }
  }

  private writerUnion(r: Node, branches: readonly Node[], path: string): string[] {
    const out: string[] = [];
    for (const wb of branches) {
      if (r.kind === 'union') {
        const reasons = this.readerUnion(r.branches, wb, path, describe(r), `the writer's union branch ${describe(wb)}`);
        out.push(...reasons);
      } else if (!matches(r, wb)) {
        out.push(`${path}: reader expects ${describe(r)}, writer has ${describe({ kind: 'union', branches: [...branches] })} whose branch ${describe(wb)} it cannot read`);
      } else out.push(...this.resolve(r, wb, path));
    }
    return out;
  }

  private readerUnion(branches: readonly Node[], w: Node, path: string, readerDesc: string, writerDesc = describe(w)): string[] {
    let firstMatchReasons: string[] | undefined;
    for (const rb of branches) {
      if (!matches(rb, w)) continue;
      const reasons = this.resolve(rb, w, path);
      if (reasons.length === 0) return [];
      firstMatchReasons ??= reasons;
    }
    // A branch of the right kind that fails deeper explains more than "no branch matches".
    return firstMatchReasons ?? [`${path}: reader expects ${readerDesc}, no branch of which can read ${writerDesc}`];
  }

  private record(r: RecordNode, w: RecordNode, path: string): string[] {
    const known = this.failed.get(r)?.get(w);
    if (known) return [`${path}: reader's record ${r.name} cannot read writer's record ${w.name}: ${known[0]}${known.length > 1 ? ` (and ${known.length - 1} more)` : ''}`];
    let under = this.pending.get(r);
    if (under?.has(w)) return [];
    if (!under) this.pending.set(r, (under = new Set()));
    under.add(w);
    const out: string[] = [];
    for (const f of r.fields) {
      const fp = `${path}.${f.name}`;
      const wf = w.fields.find((x) => x.name === f.name) ?? w.fields.find((x) => f.aliases.includes(x.name));
      if (wf) out.push(...this.resolve(f.type, wf.type, fp));
      else if (!f.hasDefault) out.push(`reader field '${f.name}' (${fp}) has no default and is missing from the writer`);
      // Writer fields the reader lacks are skipped when reading: nothing to check.
    }
    under.delete(w);
    if (out.length > 0) {
      let m = this.failed.get(r);
      if (!m) this.failed.set(r, (m = new Map()));
      m.set(w, out);
    }
    return out;
  }
}

function enumReasons(r: EnumNode, w: EnumNode, path: string): string[] {
  if (r.default !== undefined) return [];
  const reader = new Set(r.symbols);
  const missing = w.symbols.filter((s) => !reader.has(s));
  if (missing.length === 0) return [];
  return [`${path}: writer's enum ${w.name} has symbols ${JSON.stringify(missing)} that the reader's enum ${r.name} lacks, and the reader has no default symbol`];
}

function decimalReasons(r: Node, w: Node, path: string): string[] {
  const rd = decimalOf(r);
  const wd = decimalOf(w);
  if (!rd || !wd) return [];
  const out: string[] = [];
  if (rd.scale !== wd.scale) out.push(`${path}: reader expects decimal scale ${rd.scale}, writer has scale ${wd.scale}`);
  if (rd.precision < wd.precision) out.push(`${path}: reader expects decimal precision ${rd.precision}, below the writer's ${wd.precision}`);
  return out;
}
