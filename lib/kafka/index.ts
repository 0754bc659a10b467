// Kafka plumbing shared by the services: one client factory (kafkajs logs routed to pino),
// an idempotent producer, and a consumer loop that is at-least-once by construction:
// a batch's offsets are committed only after everything produced from it is acknowledged.
import {
  Kafka,
  CompressionTypes,
  logLevel as KafkaLogLevel,
  type Consumer,
  type KafkaMessage,
  type Producer,
  type LogEntry,
  type IHeaders,
} from 'kafkajs';
import type { Logger } from '../log/index.ts';

export type { Consumer, KafkaMessage, Producer };

export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  const toPino = (level: KafkaLogLevel): 'error' | 'warn' | 'info' | 'debug' =>
    level === KafkaLogLevel.ERROR ? 'error' : level === KafkaLogLevel.WARN ? 'warn' : level === KafkaLogLevel.INFO ? 'info' : 'debug';
  return new Kafka({
    brokers,
    clientId,
    logLevel: KafkaLogLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200 },
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      log[toPino(entry.level)]({ kafka: entry.namespace, ...extra }, message);
    },
  });
}

/**
 * Idempotent (no duplicates from producer retries), acks=all, gzip (the only codec kafkajs
 * ships without native add-ons). One request in flight keeps ordering per partition.
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

export const COMPRESSION = CompressionTypes.GZIP;

export interface OutMessage {
  key: string | Buffer | null;
  value: Buffer;
  headers?: IHeaders;
}

/** Sends to several topics in one request and resolves once the broker acknowledged all. */
export async function sendAll(producer: Producer, byTopic: Map<string, OutMessage[]>): Promise<void> {
  const topicMessages = [...byTopic].filter(([, m]) => m.length > 0).map(([topic, messages]) => ({ topic, messages }));
  if (topicMessages.length === 0) return;
  await producer.sendBatch({ topicMessages, acks: -1, compression: COMPRESSION });
}

/** A record that could not be decoded goes to the DLQ as it came, with the reason in headers. */
export function toDeadLetter(topic: string, partition: number, message: KafkaMessage, error: string): OutMessage {
  return {
    key: message.key,
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...message.headers,
      'nids-error': error,
      'nids-source-topic': topic,
      'nids-source-partition': String(partition),
      'nids-source-offset': message.offset,
      'nids-failed-at': new Date().toISOString(),
    },
  };
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** Keeps the group session alive during long work. */
  heartbeat(): Promise<void>;
}

/**
 * Runs `handle` on each fetched batch. `handle` must resolve only once its outputs are
 * acknowledged; then the batch's last offset is resolved and committed. If it throws,
 * nothing is committed and the consumer restarts from the last commit (at-least-once).
 */
export async function runBatches(
  consumer: Consumer,
  handle: (messages: KafkaMessage[], ctx: BatchContext) => Promise<void>,
): Promise<void> {
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      await handle(batch.messages, { topic: batch.topic, partition: batch.partition, heartbeat });
      resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    },
  });
}

/** True once the consumer has fetched up to each partition's high watermark seen at the call. */
export async function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}
