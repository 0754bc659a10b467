// The registry's state in memory, rebuilt from the `_schemas` records and nothing else, and
// the rules of every write. A write is planned here against the current state (validation,
// compatibility, id and version allocation) into the records that express it; the caller
// writes them to Kafka and applies them back with `apply`, the one place state changes. So
// a leader, a follower and a restarted instance reach the same state from the same log.
import {
  checkCompatibility,
  InvalidSchemaError,
  parseAvroSchema,
  type ParsedSchema,
  type SchemaReference,
} from './avro/index.ts';
import { Errors } from './errors.ts';
import type { CompatibilityLevel, Mode, SchemaRecord, SchemaValue } from './records.ts';

export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = [
  'NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE',
];
export const MODES: readonly Mode[] = ['READWRITE', 'READONLY'];
export const SCHEMA_TYPES = ['AVRO'] as const;
const MAX_VERSION = 2 ** 31 - 1;

/** One schema text known by id, with everything derived from it once, at apply time. */
interface StoredSchema {
  id: number;
  text: string;
  schemaType: string;
  references: SchemaReference[];
  /** What makes two registrations "the same schema" (see avro/canonical.ts). */
  identity: string;
  /** Null when the text does not parse as Avro here (written by another tool): served, never compared. */
  parsed: ParsedSchema | null;
  /** `subject\u0000version` of every version (deleted or not) that uses this id. */
  usedBy: Set<string>;
}

interface VersionEntry {
  subject: string;
  version: number;
  id: number;
  deleted: boolean;
}

/** A version as the API shows it. */
export interface VersionView {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType: string;
  references: SchemaReference[];
  deleted: boolean;
}

export interface RegisterRequest {
  schema: string;
  schemaType?: string;
  references?: SchemaReference[];
}

/** Records to write and the answer to give once they are applied. */
export interface WritePlan<R> {
  records: SchemaRecord[];
  result: R;
}

export type VersionSpec = number | 'latest';

/** Parses a version path parameter the way the REST contract does: 1..2^31-1, "latest" or -1. */
export function parseVersion(raw: string): VersionSpec {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (!/^\d{1,10}$/.test(raw)) throw Errors.invalidVersion(raw);
  const n = Number(raw);
  if (n < 1 || n > MAX_VERSION) throw Errors.invalidVersion(raw);
  return n;
}

export function parseCompatibility(raw: unknown): CompatibilityLevel {
  const level = typeof raw === 'string' ? raw.toUpperCase() : raw;
  if (!COMPATIBILITY_LEVELS.includes(level as CompatibilityLevel)) throw Errors.invalidCompatibility(raw);
  return level as CompatibilityLevel;
}

export function parseMode(raw: unknown): Mode {
  const mode = typeof raw === 'string' ? raw.toUpperCase() : raw;
  if (!MODES.includes(mode as Mode)) throw Errors.invalidMode(raw);
  return mode as Mode;
}

const versionKey = (subject: string, version: number) => `${subject}\u0000${version}`;
const refKey = (r: SchemaReference) => versionKey(r.subject, r.version);

export class RegistryState {
  private readonly schemas = new Map<number, StoredSchema>();
  private readonly idByIdentity = new Map<string, number>();
  private readonly subjects = new Map<string, Map<number, VersionEntry>>();
  private readonly configs = new Map<string | null, CompatibilityLevel>();
  private readonly modes = new Map<string | null, Mode>();
  private maxIdSeen = 0;
  /** Counts applied records: anything cached from the state is valid while it is unchanged. */
  revision = 0;
  /** The elected writer's URL, from its NIDS_LEADER record. */
  leaderUrl: string | null = null;
  leaderInstance: string | null = null;

  constructor(readonly defaultCompatibility: CompatibilityLevel = 'BACKWARD') {}

  get maxId(): number {
    return this.maxIdSeen;
  }

  get schemaCount(): number {
    return this.schemas.size;
  }

  // ---- applying the log -------------------------------------------------------------

  /** Applies one record of the log; idempotent, so a record applied twice changes nothing. */
  apply(record: SchemaRecord): void {
    this.revision++;
    switch (record.key.keytype) {
      case 'SCHEMA':
        if (record.value === null) this.removeVersion(record.key.subject, record.key.version);
        else this.putVersion(record.value as SchemaValue);
        return;
      case 'CONFIG':
        if (record.value === null) this.configs.delete(record.key.subject);
        else this.configs.set(record.key.subject, (record.value as { compatibilityLevel: CompatibilityLevel }).compatibilityLevel);
        return;
      case 'MODE':
        if (record.value === null) this.modes.delete(record.key.subject);
        else this.modes.set(record.key.subject, (record.value as { mode: Mode }).mode);
        return;
      case 'NIDS_LEADER': {
        const v = record.value as { url: string; instance: string } | null;
        this.leaderUrl = v?.url ?? null;
        this.leaderInstance = v?.instance ?? null;
        return;
      }
      case 'NIDS_ID_HIGH_WATER': {
        const v = record.value as { max_id: number } | null;
        if (v) this.maxIdSeen = Math.max(this.maxIdSeen, v.max_id);
        return;
      }
    }
  }

  private putVersion(v: SchemaValue): void {
    this.maxIdSeen = Math.max(this.maxIdSeen, v.id);
    let versions = this.subjects.get(v.subject);
    if (!versions) this.subjects.set(v.subject, (versions = new Map()));
    const previous = versions.get(v.version);
    if (previous && previous.id !== v.id) this.release(previous);
    versions.set(v.version, { subject: v.subject, version: v.version, id: v.id, deleted: v.deleted });
    let stored = this.schemas.get(v.id);
    if (!stored) {
      stored = this.storeSchema(v.id, v.schema, v.schemaType ?? 'AVRO', v.references ?? []);
      this.schemas.set(v.id, stored);
      if (!this.idByIdentity.has(stored.identity)) this.idByIdentity.set(stored.identity, v.id);
    }
    stored.usedBy.add(versionKey(v.subject, v.version));
  }

  private storeSchema(id: number, text: string, schemaType: string, references: SchemaReference[]): StoredSchema {
    let parsed: ParsedSchema | null = null;
    if (schemaType === 'AVRO') {
      try {
        parsed = parseAvroSchema(text, references, this.resolveReferences(references));
      } catch {
        parsed = null;
      }
    }
    const identity = parsed?.canonical ?? `${schemaType}\u0000${text}\u0000${JSON.stringify(references)}`;
    return { id, text, schemaType, references, identity, parsed, usedBy: new Set() };
  }

  private removeVersion(subject: string, version: number): void {
    const versions = this.subjects.get(subject);
    const entry = versions?.get(version);
    if (!versions || !entry) return;
    versions.delete(version);
    if (versions.size === 0) this.subjects.delete(subject);
    this.release(entry);
  }

  /** Forgets a schema text once no version uses it; its id is never handed out again. */
  private release(entry: VersionEntry): void {
    const stored = this.schemas.get(entry.id);
    if (!stored) return;
    stored.usedBy.delete(versionKey(entry.subject, entry.version));
    if (stored.usedBy.size > 0) return;
    this.schemas.delete(entry.id);
    if (this.idByIdentity.get(stored.identity) === entry.id) this.idByIdentity.delete(stored.identity);
  }

  // ---- reads ------------------------------------------------------------------------

  listSubjects(includeDeleted: boolean, prefix = ''): string[] {
    const out: string[] = [];
    for (const [subject, versions] of this.subjects) {
      if (!subject.startsWith(prefix)) continue;
      if (includeDeleted || [...versions.values()].some((v) => !v.deleted)) out.push(subject);
    }
    return out.sort();
  }

  /** Version numbers of a subject, ascending; 40401 when it has none to show. */
  listVersions(subject: string, includeDeleted: boolean): number[] {
    const versions = this.entries(subject, includeDeleted);
    if (versions.length === 0) throw Errors.subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  getVersion(subject: string, spec: VersionSpec, includeDeleted = false): VersionView {
    const all = this.subjects.get(subject);
    if (!all || all.size === 0) throw Errors.subjectNotFound(subject);
    const visible = this.entries(subject, includeDeleted);
    if (visible.length === 0 && !includeDeleted) throw Errors.subjectNotFound(subject);
    const entry = spec === 'latest' ? visible[visible.length - 1] : visible.find((v) => v.version === spec);
    if (!entry) throw Errors.versionNotFound(spec);
    return this.view(entry);
  }

  schemaById(id: number): VersionView & { id: number } {
    const stored = this.schemas.get(id);
    if (!stored) throw Errors.schemaNotFound(id);
    return { subject: '', version: 0, id, schema: stored.text, schemaType: stored.schemaType, references: stored.references, deleted: false };
  }

  /** The (subject, version) pairs that use a schema id. */
  usagesOf(id: number, includeDeleted: boolean): VersionEntry[] {
    const stored = this.schemas.get(id);
    if (!stored) throw Errors.schemaNotFound(id);
    const out: VersionEntry[] = [];
    for (const key of stored.usedBy) {
      const [subject, version] = key.split('\u0000') as [string, string];
      const entry = this.subjects.get(subject)?.get(Number(version));
      if (entry && (includeDeleted || !entry.deleted)) out.push(entry);
    }
    return out.sort((a, b) => (a.subject === b.subject ? a.version - b.version : a.subject < b.subject ? -1 : 1));
  }

  /** Ids of the schemas whose references name this (subject, version). */
  referencedBy(subject: string, version: number): number[] {
    const target = versionKey(subject, version);
    const out: number[] = [];
    for (const stored of this.schemas.values()) {
      if (stored.references.some((r) => refKey(r) === target) && [...stored.usedBy].length > 0) out.push(stored.id);
    }
    return out.sort((a, b) => a - b);
  }

  /** `POST /subjects/{s}`: the version of `subject` holding this schema. */
  lookup(subject: string, request: RegisterRequest, includeDeleted: boolean): VersionView {
    if (!this.subjects.has(subject) || (!includeDeleted && this.entries(subject, false).length === 0)) {
      throw Errors.subjectNotFound(subject);
    }
    const parsed = this.parseRequest(request);
    const id = this.idByIdentity.get(parsed.canonical);
    const entry = id === undefined ? undefined : this.entries(subject, includeDeleted).find((v) => v.id === id);
    if (!entry) throw Errors.schemaNotFound();
    return this.view(entry);
  }

  subjectConfig(subject: string): CompatibilityLevel | undefined {
    return this.configs.get(subject);
  }

  globalConfig(): CompatibilityLevel {
    return this.configs.get(null) ?? this.defaultCompatibility;
  }

  /** The level a registration under `subject` is checked with. */
  effectiveConfig(subject: string): CompatibilityLevel {
    return this.configs.get(subject) ?? this.globalConfig();
  }

  subjectMode(subject: string): Mode | undefined {
    return this.modes.get(subject);
  }

  globalMode(): Mode {
    return this.modes.get(null) ?? 'READWRITE';
  }

  effectiveMode(subject: string): Mode {
    return this.modes.get(subject) ?? this.globalMode();
  }

  /**
   * `POST /compatibility/...`: reasons `request` could not be registered under `subject`
   * against one version (`spec`) or, without one, against what the subject's level compares.
   */
  testCompatibility(subject: string, spec: VersionSpec | null, request: RegisterRequest): string[] {
    const parsed = this.parseRequest(request);
    const live = this.entries(subject, false);
    // Against "the latest" of nothing, anything is compatible (as Confluent answers); a numbered
    // version of a subject that has none is not there.
    if (live.length === 0) {
      if (typeof spec === 'number') throw Errors.subjectNotFound(subject);
      return [];
    }
    let against = live;
    let level = this.effectiveConfig(subject);
    if (spec !== null) {
      const entry = spec === 'latest' ? live[live.length - 1] : live.find((v) => v.version === spec);
      if (!entry) throw Errors.versionNotFound(spec);
      against = [entry];
      level = level.replace('_TRANSITIVE', '') as CompatibilityLevel;
    }
    return checkCompatibility(level, parsed, this.comparable(against));
  }

  // ---- write plans (run by the elected writer only) -----------------------------------

  planRegister(subject: string, request: RegisterRequest): WritePlan<{ id: number; version: number; existed: boolean }> {
    validateSubject(subject);
    this.requireWritable(subject);
    const parsed = this.parseRequest(request);
    const versions = this.subjects.get(subject);
    const knownId = this.idByIdentity.get(parsed.canonical);
    if (knownId !== undefined) {
      const live = this.entries(subject, false).find((v) => v.id === knownId);
      if (live) return { records: [], result: { id: knownId, version: live.version, existed: true } };
    }
    const reasons = checkCompatibility(this.effectiveConfig(subject), parsed, this.comparable(this.entries(subject, false)));
    if (reasons.length > 0) {
      throw Errors.incompatible(
        `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: ${reasons.join('; ')}`,
      );
    }
    const records: SchemaRecord[] = [];
    let id = knownId;
    if (id === undefined) {
      id = this.maxIdSeen + 1;
      records.push({ key: { keytype: 'NIDS_ID_HIGH_WATER' }, value: { max_id: id } });
    }
    const version = Math.max(0, ...(versions?.keys() ?? [])) + 1;
    const value: SchemaValue = { subject, version, id, schema: parsed.text, deleted: false };
    if (parsed.references.length > 0) value.references = [...parsed.references];
    records.push({ key: { keytype: 'SCHEMA', subject, version }, value });
    return { records, result: { id, version, existed: false } };
  }

  planDeleteVersion(subject: string, spec: VersionSpec, permanent: boolean): WritePlan<number> {
    this.requireWritable(subject);
    const all = this.entries(subject, true);
    if (all.length === 0) throw Errors.subjectNotFound(subject);
    const candidates = permanent ? all : all.filter((v) => !v.deleted);
    const entry = spec === 'latest' ? candidates[candidates.length - 1] : all.find((v) => v.version === spec);
    if (!entry) throw Errors.versionNotFound(spec);
    if (!permanent && entry.deleted) throw Errors.versionSoftDeleted(subject, entry.version);
    if (permanent && !entry.deleted) throw Errors.versionNotSoftDeleted(subject, entry.version);
    this.requireUnreferenced(subject, [entry]);
    const key = { keytype: 'SCHEMA' as const, subject, version: entry.version };
    const record: SchemaRecord = permanent ? { key, value: null } : { key, value: { ...this.valueOf(entry), deleted: true } };
    return { records: [record], result: entry.version };
  }

  planDeleteSubject(subject: string, permanent: boolean): WritePlan<number[]> {
    this.requireWritable(subject);
    const all = this.entries(subject, true);
    if (all.length === 0) throw Errors.subjectNotFound(subject);
    const live = all.filter((v) => !v.deleted);
    if (!permanent && live.length === 0) throw Errors.subjectSoftDeleted(subject);
    if (permanent && live.length > 0) throw Errors.subjectNotSoftDeleted(subject);
    this.requireUnreferenced(subject, all);
    const records: SchemaRecord[] = (permanent ? all : live).map((entry) => {
      const key = { keytype: 'SCHEMA' as const, subject, version: entry.version };
      return permanent ? { key, value: null } : { key, value: { ...this.valueOf(entry), deleted: true } };
    });
    // A subject deleted for good takes its own config and mode with it, as Confluent does.
    if (permanent) {
      if (this.configs.has(subject)) records.push({ key: { keytype: 'CONFIG', subject }, value: null });
      if (this.modes.has(subject)) records.push({ key: { keytype: 'MODE', subject }, value: null });
    }
    return { records, result: (permanent ? all : live).map((v) => v.version) };
  }

  planSetConfig(subject: string | null, level: CompatibilityLevel): WritePlan<{ compatibility: CompatibilityLevel }> {
    if (subject !== null) validateSubject(subject);
    return { records: [{ key: { keytype: 'CONFIG', subject }, value: { compatibilityLevel: level } }], result: { compatibility: level } };
  }

  planDeleteConfig(subject: string | null): WritePlan<{ compatibilityLevel: CompatibilityLevel }> {
    if (subject !== null && !this.configs.has(subject)) {
      if (!this.subjects.has(subject)) throw Errors.subjectNotFound(subject);
      throw Errors.subjectCompatibilityNotConfigured(subject);
    }
    const previous = subject === null ? this.globalConfig() : this.configs.get(subject)!;
    return { records: [{ key: { keytype: 'CONFIG', subject }, value: null }], result: { compatibilityLevel: previous } };
  }

  planSetMode(subject: string | null, mode: Mode): WritePlan<{ mode: Mode }> {
    if (subject !== null) validateSubject(subject);
    return { records: [{ key: { keytype: 'MODE', subject }, value: { mode } }], result: { mode } };
  }

  planDeleteMode(subject: string): WritePlan<{ mode: Mode }> {
    const previous = this.modes.get(subject);
    if (previous === undefined) {
      if (!this.subjects.has(subject)) throw Errors.subjectNotFound(subject);
      throw Errors.subjectModeNotConfigured(subject);
    }
    return { records: [{ key: { keytype: 'MODE', subject }, value: null }], result: { mode: previous } };
  }

  // ---- helpers ----------------------------------------------------------------------

  /** Parses a request's schema with its references resolved; every failure is a 42201. */
  parseRequest(request: RegisterRequest): ParsedSchema {
    if (typeof request !== 'object' || request === null || typeof request.schema !== 'string') {
      throw Errors.invalidSchema('the request must be a JSON object with a "schema" string');
    }
    const type = (request.schemaType ?? 'AVRO').toUpperCase();
    if (type !== 'AVRO') {
      throw Errors.invalidSchema(
        type === 'JSON' || type === 'PROTOBUF'
          ? `schemaType ${type} is not supported: this registry stores Avro schemas only (schemaType AVRO, or no schemaType)`
          : `unknown schemaType ${JSON.stringify(request.schemaType)}: this registry stores Avro schemas only (AVRO)`,
      );
    }
    const references = validateReferences(request.references);
    try {
      return parseAvroSchema(request.schema, references, this.resolveReferences(references));
    } catch (err) {
      if (err instanceof InvalidSchemaError) throw Errors.invalidSchema(`Invalid schema: ${err.message}`);
      throw err;
    }
  }

  /** The parsed schemas `references` point to, in order; InvalidSchemaError for one that is not here. */
  private resolveReferences(references: readonly SchemaReference[]): ParsedSchema[] {
    return references.map((r) => {
      const entry = this.subjects.get(r.subject)?.get(r.version);
      const parsed = entry ? this.schemas.get(entry.id)?.parsed : undefined;
      if (!parsed) throw new InvalidSchemaError(`reference "${r.name}" names ${r.subject} version ${r.version}, which is not registered here as an Avro schema`);
      return parsed;
    });
  }

  private entries(subject: string, includeDeleted: boolean): VersionEntry[] {
    const versions = this.subjects.get(subject);
    if (!versions) return [];
    return [...versions.values()].filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
  }

  private comparable(entries: VersionEntry[]): { version: number; schema: ParsedSchema }[] {
    const out: { version: number; schema: ParsedSchema }[] = [];
    for (const e of entries) {
      const parsed = this.schemas.get(e.id)?.parsed;
      if (parsed) out.push({ version: e.version, schema: parsed });
    }
    return out;
  }

  private view(entry: VersionEntry): VersionView {
    const stored = this.schemas.get(entry.id);
    if (!stored) throw Errors.schemaNotFound(entry.id);
    return { ...entry, schema: stored.text, schemaType: stored.schemaType, references: stored.references };
  }

  private valueOf(entry: VersionEntry): SchemaValue {
    const stored = this.schemas.get(entry.id)!;
    const value: SchemaValue = { subject: entry.subject, version: entry.version, id: entry.id, schema: stored.text, deleted: entry.deleted };
    if (stored.schemaType !== 'AVRO') value.schemaType = stored.schemaType;
    if (stored.references.length > 0) value.references = stored.references;
    return value;
  }

  private requireWritable(subject: string): void {
    if (this.effectiveMode(subject) === 'READONLY') {
      throw Errors.notPermitted(`Subject ${subject} is in read-only mode`);
    }
  }

  private requireUnreferenced(subject: string, entries: VersionEntry[]): void {
    for (const e of entries) {
      const by = this.referencedBy(subject, e.version);
      if (by.length > 0) {
        throw Errors.referenceExists(`One or more references exist to the schema {subject=${subject}, version=${e.version}}: schema ids ${by.join(', ')}`);
      }
    }
  }
}

function validateSubject(subject: string): void {
  // Control characters make keys that no tool can show or type back.
  // eslint-disable-next-line no-control-regex
  if (subject.length === 0 || subject.length > 1024 || /[\u0000-\u001f]/.test(subject)) throw Errors.invalidSubject(subject);
}

function validateReferences(raw: unknown): SchemaReference[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw Errors.invalidSchema('"references" must be an array of {name, subject, version}');
  return raw.map((r: unknown, i) => {
    const ref = r as Partial<SchemaReference> | null;
    if (!ref || typeof ref.name !== 'string' || typeof ref.subject !== 'string' || !Number.isInteger(ref.version) || ref.version! < 1) {
      throw Errors.invalidSchema(`reference ${i} must be {"name": string, "subject": string, "version": positive integer}`);
    }
    return { name: ref.name, subject: ref.subject, version: ref.version! };
  });
}
