// The records of the `_schemas` topic: the registry's whole state, one compacted key per fact.
// Keys and values are JSON in the layout Confluent's registry uses for the same topic
// (`keytype`, `subject`, `version`, `magic`), so the log reads familiarly to an operator;
// two key types are ours (`NIDS_LEADER`, `NIDS_ID_HIGH_WATER`). A key is always serialized
// with its fields in one order, because compaction matches keys byte for byte. A null
// value (tombstone) removes the fact: a permanently deleted version, a dropped config.
import type { SchemaReference } from './avro/index.ts';

export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';
export type Mode = 'READWRITE' | 'READONLY';

export type RecordKey =
  | { keytype: 'SCHEMA'; subject: string; version: number }
  | { keytype: 'CONFIG'; subject: string | null }
  | { keytype: 'MODE'; subject: string | null }
  | { keytype: 'NIDS_LEADER' }
  | { keytype: 'NIDS_ID_HIGH_WATER' };

export interface SchemaValue {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
  references?: SchemaReference[];
  deleted: boolean;
}
export interface ConfigValue {
  compatibilityLevel: CompatibilityLevel;
}
export interface ModeValue {
  mode: Mode;
}
/** Written by each newly elected writer: where followers forward writes, and a read barrier. */
export interface LeaderValue {
  url: string;
  instance: string;
  elected_at: string;
}
/** The largest schema id ever handed out: ids stay unique after their versions are compacted away. */
export interface IdHighWaterValue {
  max_id: number;
}

export type SchemaRecord =
  | { key: Extract<RecordKey, { keytype: 'SCHEMA' }>; value: SchemaValue | null }
  | { key: Extract<RecordKey, { keytype: 'CONFIG' }>; value: ConfigValue | null }
  | { key: Extract<RecordKey, { keytype: 'MODE' }>; value: ModeValue | null }
  | { key: Extract<RecordKey, { keytype: 'NIDS_LEADER' }>; value: LeaderValue | null }
  | { key: Extract<RecordKey, { keytype: 'NIDS_ID_HIGH_WATER' }>; value: IdHighWaterValue | null };

/** Fixed field order per key type (compaction compares bytes). */
export function encodeKey(key: RecordKey): string {
  switch (key.keytype) {
    case 'SCHEMA':
      return JSON.stringify({ keytype: key.keytype, subject: key.subject, version: key.version, magic: 1 });
    case 'CONFIG':
    case 'MODE':
      return JSON.stringify({ keytype: key.keytype, subject: key.subject, magic: 0 });
    default:
      return JSON.stringify({ keytype: key.keytype, magic: 0 });
  }
}

export function encodeRecord(record: SchemaRecord): { key: string; value: string | null } {
  return { key: encodeKey(record.key), value: record.value === null ? null : JSON.stringify(record.value) };
}

export class MalformedRecordError extends Error {
  override name = 'MalformedRecordError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses one record of the topic. Records of key types this registry does not know (for
 * example Confluent's `NOOP` or `DELETE_SUBJECT`) return null: they carry nothing we apply.
 * A record that claims a known key type but does not have its shape throws.
 */
export function decodeRecord(keyBytes: Buffer | null, valueBytes: Buffer | null): SchemaRecord | null {
  if (!keyBytes) throw new MalformedRecordError('record without a key');
  let key: unknown;
  let value: unknown = null;
  try {
    key = JSON.parse(keyBytes.toString('utf8'));
    if (valueBytes && valueBytes.length > 0) value = JSON.parse(valueBytes.toString('utf8'));
  } catch (err) {
    throw new MalformedRecordError(`record is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(key)) throw new MalformedRecordError('record key is not a JSON object');
  if (value !== null && !isObject(value)) throw new MalformedRecordError('record value is not a JSON object');
  const v = value as Record<string, unknown> | null;
  const subjectOrNull = (): string | null => {
    if (key.subject === null || key.subject === undefined) return null;
    if (typeof key.subject !== 'string') throw new MalformedRecordError(`${String(key.keytype)} key: subject is not a string`);
    return key.subject;
  };
  switch (key.keytype) {
    case 'SCHEMA': {
      if (typeof key.subject !== 'string' || !Number.isInteger(key.version)) {
        throw new MalformedRecordError('SCHEMA key without subject and version');
      }
      const k = { keytype: 'SCHEMA' as const, subject: key.subject, version: key.version as number };
      if (v === null) return { key: k, value: null };
      if (typeof v.schema !== 'string' || !Number.isInteger(v.id) || (v.id as number) < 1) {
        throw new MalformedRecordError(`SCHEMA ${k.subject}/${k.version}: value without schema text and id`);
      }
      const refs = Array.isArray(v.references) ? (v.references as SchemaReference[]) : [];
      return {
        key: k,
        value: {
          subject: k.subject,
          version: k.version,
          id: v.id as number,
          schema: v.schema,
          schemaType: typeof v.schemaType === 'string' ? v.schemaType : undefined,
          references: refs,
          deleted: v.deleted === true,
        },
      };
    }
    case 'CONFIG': {
      const k = { keytype: 'CONFIG' as const, subject: subjectOrNull() };
      if (v === null) return { key: k, value: null };
      if (typeof v.compatibilityLevel !== 'string') throw new MalformedRecordError('CONFIG value without compatibilityLevel');
      return { key: k, value: { compatibilityLevel: v.compatibilityLevel as CompatibilityLevel } };
    }
    case 'MODE': {
      const k = { keytype: 'MODE' as const, subject: subjectOrNull() };
      if (v === null) return { key: k, value: null };
      if (typeof v.mode !== 'string') throw new MalformedRecordError('MODE value without mode');
      return { key: k, value: { mode: v.mode as Mode } };
    }
    case 'NIDS_LEADER':
      if (v !== null && typeof v.url !== 'string') throw new MalformedRecordError('NIDS_LEADER value without url');
      return { key: { keytype: 'NIDS_LEADER' }, value: v as LeaderValue | null };
    case 'NIDS_ID_HIGH_WATER':
      if (v !== null && !Number.isInteger(v.max_id)) throw new MalformedRecordError('NIDS_ID_HIGH_WATER value without max_id');
      return { key: { keytype: 'NIDS_ID_HIGH_WATER' }, value: v as IdHighWaterValue | null };
    default:
      return null;
  }
}
