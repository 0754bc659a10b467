// The wire contract: loads the .avsc files in schemas/ as self-contained schemas (named
// types used across files are inlined, so the registry and third-party clients need no
// schema references) and as avsc Types for encoding.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export type RawSchema = { type: 'record'; name: string; namespace?: string; fields: Array<{ name: string; type: unknown }> };

const read = (file: string): RawSchema => JSON.parse(readFileSync(SCHEMA_DIR + file, 'utf8')) as RawSchema;

function inline(schema: RawSchema, named: Record<string, RawSchema>): RawSchema {
  return {
    ...schema,
    fields: schema.fields.map((f) => (typeof f.type === 'string' && named[f.type] ? { ...f, type: named[f.type] } : f)),
  };
}

const flow = read('flow.avsc');
const named = { 'nids.v1.Flow': flow };

export const SCHEMAS = {
  flow,
  scoredFlow: inline(read('scored-flow.avsc'), named),
  anomaly: read('anomaly.avsc'),
  incident: read('incident.avsc'),
} as const;

export type SchemaName = keyof typeof SCHEMAS;

export const avroType = (name: SchemaName): avro.Type => avro.Type.forSchema(SCHEMAS[name] as avro.Schema);
