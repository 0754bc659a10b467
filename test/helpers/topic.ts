// Reads a topic the way a consumer of nids' output would: from the beginning, in a fresh
// consumer group, each value decoded through the registry with our reader schema.
import { Kafka, logLevel } from 'kafkajs';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import type { SchemaName } from '../../lib/avro/schemas.ts';
import { waitFor } from './proc.ts';
import { stackEndpoints, uniqueName } from './stack.ts';

/**
 * The decoded records of `topic`, read until `enough` holds (bounded by `timeoutMs`), then
 * `settleMs` longer so that records which must not arrive would be seen.
 */
export async function readTopic<T>(
  topic: string,
  schema: SchemaName,
  enough: (records: readonly T[]) => boolean,
  { timeoutMs = 60_000, settleMs = 1000 }: { timeoutMs?: number; settleMs?: number } = {},
): Promise<T[]> {
  const stack = stackEndpoints();
  const kafka = new Kafka({ brokers: stack.brokers.split(','), clientId: 'nids-test-reader', logLevel: logLevel.NOTHING });
  const codec = await AvroCodec.forTopic<T>(connectRegistry(stack.registry), topic, schema);
  const consumer = kafka.consumer({ groupId: uniqueName('test-reader') });
  const out: T[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void out.push(await codec.decode(message.value)) });
  try {
    await waitFor(`the records expected on ${topic}`, () => (enough(out) ? true : undefined), timeoutMs, 200);
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    await consumer.disconnect();
  }
  return out;
}
