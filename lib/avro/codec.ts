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

  encode(value: T): Buffer {
    const body = this.type.toBuffer(value);
    const out = Buffer.allocUnsafe(HEADER + body.length);
    out[0] = MAGIC;
    out.writeUInt32BE(this.schemaId, 1);
    body.copy(out, HEADER);
    return out;
  }

  async decode(buf: Buffer | null): Promise<T> {
    if (!buf || buf.length < HEADER) throw new DecodeError(`value too short for the Confluent wire format (${buf?.length ?? 0} bytes)`);
    if (buf[0] !== MAGIC) throw new DecodeError(`unknown magic byte ${buf[0]} (expected 0: Confluent wire format)`);
    const id = buf.readUInt32BE(1);
    let reader = this.readers.get(id);
    if (reader === undefined) {
      let writer: avro.Type;
      try {
        writer = (await this.registry.getSchema(id)) as unknown as avro.Type;
      } catch (err) {
        throw new DecodeError(`schema id ${id} not found in the registry: ${(err as Error).message}`);
      }
      try {
        reader = this.type.createResolver(writer);
      } catch (err) {
        throw new DecodeError(`writer schema id ${id} cannot be read as ${this.subject}: ${(err as Error).message}`);
      }
      this.readers.set(id, reader);
    }
    try {
      return this.type.fromBuffer(buf.subarray(HEADER), reader ?? undefined) as T;
    } catch (err) {
      throw new DecodeError(`Avro body does not decode with schema id ${id}: ${(err as Error).message}`);
    }
  }
}
