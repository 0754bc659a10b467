// TEMPORARY stand-in until the real module lands (not committed).
import avro from 'avsc';
export class InvalidSchemaError extends Error {}
export interface SchemaReference { name: string; subject: string; version: number }
export interface ParsedSchema { readonly canonical: string; readonly text: string; readonly type: avro.Type; readonly references: readonly SchemaReference[] }
export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';
export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'];
export function parseAvroSchema(text: string, references: readonly SchemaReference[] = [], resolved: readonly ParsedSchema[] = []): ParsedSchema {
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { throw new InvalidSchemaError(`not JSON: ${(e as Error).message}`); }
  const registry: Record<string, avro.Type> = {};
  for (const r of resolved) avro.Type.forSchema(r.type.schema() as avro.Schema, { registry });
  let type: avro.Type;
  try { type = avro.Type.forSchema(json as avro.Schema, { registry }); } catch (e) { throw new InvalidSchemaError((e as Error).message); }
  return { canonical: JSON.stringify(type.schema({ exportAttrs: true })) + JSON.stringify(references), text: JSON.stringify(json), type, references };
}
export function readerCanRead(reader: ParsedSchema, writer: ParsedSchema): string[] {
  try { reader.type.createResolver(writer.type); return []; } catch (e) { return [(e as Error).message]; }
}
export function checkCompatibility(level: CompatibilityLevel, candidate: ParsedSchema, existing: readonly { version: number; schema: ParsedSchema }[]): string[] {
  if (level === 'NONE' || existing.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
  const out: string[] = [];
  for (const { version, schema } of against) {
    if (level.startsWith('BACKWARD') || level.startsWith('FULL')) out.push(...readerCanRead(candidate, schema).map((m) => `version ${version}: ${m}`));
    if (level.startsWith('FORWARD') || level.startsWith('FULL')) out.push(...readerCanRead(schema, candidate).map((m) => `version ${version}: ${m}`));
  }
  return out;
}
