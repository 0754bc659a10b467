// Confluent wire format (magic 0, 4-byte big-endian schema id, Avro body) over a real
// schema registry. Encoding is synchronous with the registered schema; decoding resolves
// any writer schema id the registry knows (older or newer producers) to our reader schema.
import avro from 'avsc';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { SCHEMAS, type SchemaName } from './schemas.ts';

type Resolver = ReturnType<avro.Type['createResolver']>;

export class DecodeError extends Error {
  override name = 'DecodeError';
}

const MAGIC = 0;
const HEADER = 5;

/**
 * A client of the registry at `url`. Credentials in the URL (`http://user:pass@host:port`)
 * become HTTP basic auth, the way Confluent's clients take `basic.auth.user.info`.
 */
export function connectRegistry(url: string): SchemaRegistry {
  const u = new URL(url);
  const auth = u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : undefined;
  u.username = '';
  u.password = '';
  const host = u.toString().replace(/\/$/, '');
  return new SchemaRegistry({ host, auth, clientId: 'nids', retry: { retries: 5 } });
}

export class AvroCodec<T> {
  readonly type: avro.Type;
  // A missing entry means "not fetched yet"; null means "same schema as ours, no resolver".
  private readers = new Map<number, Resolver | null>();

  private constructor(
    private readonly registry: SchemaRegistry,
    readonly schemaId: number,
    readonly subject: string,
    name: SchemaName,
  ) {
    this.type = avro.Type.forSchema(SCHEMAS[name] as avro.Schema);
    this.readers.set(schemaId, null);
  }

  /** Registers (or finds) our schema under `<topic>-value` with BACKWARD compatibility. */
  static async forTopic<T>(registry: SchemaRegistry, topic: string, name: SchemaName): Promise<AvroCodec<T>> {
    const subject = `${topic}-value`;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(SCHEMAS[name]) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    return new AvroCodec<T>(registry, id, subject, name);
  }

  // Encoding writes into one scratch buffer that grows to the largest record seen, then copies
  // the record out once (avsc's toBuffer would copy twice, and we would copy again to frame it).
  private scratch = Buffer.allocUnsafe(4096);

  encode(value: T): Buffer {
    let end = this.type.encode(value, this.scratch, HEADER);
    if (end < 0) {
      this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, HEADER - end));
      end = this.type.encode(value, this.scratch, HEADER);
    }
    const out = Buffer.allocUnsafe(end);
    this.scratch.copy(out, 0, 0, end);
    out[0] = MAGIC;
    out.writeUInt32BE(this.schemaId, 1);
    return out;
  }

  /** Decodes one record value; throws a DecodeError when it cannot. */
  async decode(buf: Buffer | null): Promise<T> {
    const [value] = await this.decodeAll([buf]);
    if (value instanceof DecodeError) throw value;
    return value as T;
  }

  /**
   * Decodes a batch of record values in order, each to its value or the DecodeError that says
   * why it does not decode. The registry is asked only for a writer schema id not seen before
   * (once per id), so a batch of known ids decodes without awaiting anything per record.
   */
  async decodeAll(bufs: readonly (Buffer | null)[]): Promise<Array<T | DecodeError>> {
    const out = new Array<T | DecodeError>(bufs.length);
    for (let i = 0; i < bufs.length; i++) {
      const buf = bufs[i] ?? null;
      if (!buf || buf.length < HEADER) {
        out[i] = new DecodeError(`value too short for the Confluent wire format (${buf?.length ?? 0} bytes)`);
        continue;
      }
      if (buf[0] !== MAGIC) {
        out[i] = new DecodeError(`unknown magic byte ${buf[0]} (expected 0: Confluent wire format)`);
        continue;
      }
      const id = buf.readUInt32BE(1);
      let reader = this.readers.get(id);
      if (reader === undefined) {
        const resolved = await this.readerFor(id);
        if (resolved instanceof DecodeError) {
          out[i] = resolved;
          continue;
        }
        reader = resolved;
      }
      try {
        out[i] = this.type.fromBuffer(buf.subarray(HEADER), reader ?? undefined) as T;
      } catch (err) {
        out[i] = new DecodeError(`Avro body does not decode with schema id ${id}: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** The resolver from writer schema `id` to ours, fetched once and kept; a DecodeError if there is none. */
  private async readerFor(id: number): Promise<Resolver | null | DecodeError> {
    let writer: avro.Type;
    try {
      writer = (await this.registry.getSchema(id)) as unknown as avro.Type;
    } catch (err) {
      return new DecodeError(`schema id ${id} not found in the registry: ${(err as Error).message}`);
    }
    try {
      const reader = this.type.createResolver(writer);
      this.readers.set(id, reader);
      return reader;
    } catch (err) {
      return new DecodeError(`writer schema id ${id} cannot be read as ${this.subject}: ${(err as Error).message}`);
    }
  }
}
