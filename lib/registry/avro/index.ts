// Avro schema logic of the schema registry: parsing and validation (parse.ts), identity
// (canonical.ts) and compatibility (compatibility.ts). Pure: no I/O, no state beyond the
// model each parsed schema carries.
export { InvalidSchemaError, parseAvroSchema } from './parse.ts';
export type { ParsedSchema, SchemaReference } from './model.ts';
export { COMPATIBILITY_LEVELS, checkCompatibility, readerCanRead, type CompatibilityLevel } from './compatibility.ts';
