// Kafka plumbing shared by the services: one client factory (kafkajs logs routed to pino),
// an idempotent producer, a consumer loop that is at-least-once by construction (a batch's
// offsets are committed only after everything produced from it is acknowledged), the
// stage loop built on it (decode, dead-letter what does not decode, produce, commit), and
// a bounded read of a topic up to its high watermarks (the trainer's baseline window).
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
import { DecodeError } from '../avro/codec.ts';
import type { ConfigOf } from '../config/index.ts';
import type { consumerSettings, producerSettings } from '../config/common.ts';

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
 * Idempotent (no duplicates from producer retries), acks=all. One request in flight keeps
 * ordering per partition. The codec is chosen per send (producerSettings).
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

export type ProducerTuning = ConfigOf<typeof producerSettings>;
export type ConsumerTuning = ConfigOf<typeof consumerSettings>;

/** kafkajs's code of a producerSettings codec. */
export const compressionOf = (tuning: ProducerTuning): CompressionTypes =>
  tuning.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

/** A group member of a stage (scorer, sink) that fetches as consumerSettings say. */
export function createConsumer(kafka: Kafka, groupId: string, tuning: ConsumerTuning): Consumer {
  return kafka.consumer({
    groupId,
    maxWaitTimeInMs: tuning.fetchMaxWaitMs,
    minBytes: tuning.fetchMinBytes,
    maxBytesPerPartition: tuning.fetchMaxBytesPerPartition,
    maxBytes: tuning.fetchMaxBytesPerPartition * tuning.partitionsConcurrently,
  });
}

export interface OutMessage {
  key: string | Buffer | null;
  value: Buffer;
  headers?: IHeaders;
}

/** Bytes a record takes in a batch, near enough: key, value, headers and ~70 bytes of framing. */
function recordBytes(m: OutMessage): number {
  let n = 70 + m.value.length + (m.key?.length ?? 0);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + (typeof v === 'string' || Buffer.isBuffer(v) ? v.length : 0);
  return n;
}

/**
 * Sends to several topics, in as few requests as tuning.produceMaxBytes allows, and resolves
 * once the brokers acknowledged all. The requests are queued at once: the producer keeps
 * them in order (one in flight per broker), so no round trip waits on our side.
 */
export async function sendAll(producer: Producer, byTopic: Map<string, OutMessage[]>, tuning: ProducerTuning): Promise<void> {
  const requests: { topic: string; messages: OutMessage[] }[][] = [];
  let request: { topic: string; messages: OutMessage[] }[] = [];
  let bytes = 0;
  for (const [topic, messages] of byTopic) {
    let run: OutMessage[] = [];
    for (const m of messages) {
      const size = recordBytes(m);
      if (bytes + size > tuning.produceMaxBytes && bytes > 0) {
        if (run.length > 0) request.push({ topic, messages: run });
        requests.push(request);
        request = [];
        run = [];
        bytes = 0;
      }
      run.push(m);
      bytes += size;
    }
    if (run.length > 0) request.push({ topic, messages: run });
  }
  if (request.length > 0) requests.push(request);
  const compression = compressionOf(tuning);
  await Promise.all(requests.map((topicMessages) => producer.sendBatch({ topicMessages, acks: -1, compression })));
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
  /** Records of the partition after this batch not consumed yet (its consumer lag). */
  lag: number;
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
  partitionsConcurrently = 1,
): Promise<void> {
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    partitionsConsumedConcurrently: partitionsConcurrently,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      const lag = Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n));
      await handle(batch.messages, { topic: batch.topic, partition: batch.partition, lag, heartbeat });
      resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    },
  });
}

/** What a stage's consume loop needs besides the consumer and the producer. */
export interface StageOptions<T> {
  /** Decodes a batch of `topic`'s record values in order: each to its value or the DecodeError that dead-letters it. */
  decode: (values: (Buffer | null)[], topic: string) => Promise<Array<T | DecodeError>>;
  dlqTopic: string;
  log: Logger;
  /** Counts dead letters (a Prometheus counter). */
  deadLetters?: { inc(n: number): void };
  /** Times each batch, decode to acknowledgement (a Prometheus histogram). */
  batchSeconds?: { startTimer(): () => unknown };
  tuning: ProducerTuning & ConsumerTuning;
}

/**
 * The consume loop of a stage (scorer, sink): each batch is decoded; records that do not
 * decode go to the DLQ as they came, with the reason in the `nids-error` header; the rest
 * go to `handle`, which returns what to produce (topic -> messages). Outputs and dead
 * letters are sent in one request, and the batch is committed only once the broker
 * acknowledged them (runBatches). Any other error stops the loop uncommitted.
 */
export async function runStage<T>(
  consumer: Consumer,
  producer: Producer,
  opts: StageOptions<T>,
  handle: (values: T[], ctx: BatchContext) => Promise<Map<string, OutMessage[]>> | Map<string, OutMessage[]>,
): Promise<void> {
  await runBatches(consumer, async (messages, ctx) => {
    const endTimer = opts.batchSeconds?.startTimer();
    const decoded = await opts.decode(messages.map((m) => m.value), ctx.topic);
    const values: T[] = [];
    const dead: OutMessage[] = [];
    for (let i = 0; i < decoded.length; i++) {
      const v = decoded[i]!;
      if (v instanceof DecodeError) dead.push(toDeadLetter(ctx.topic, ctx.partition, messages[i]!, v.message));
      else values.push(v);
    }
    const out = await handle(values, ctx);
    if (dead.length > 0) out.set(opts.dlqTopic, [...(out.get(opts.dlqTopic) ?? []), ...dead]);
    await sendAll(producer, out, opts.tuning);
    if (dead.length > 0) {
      opts.deadLetters?.inc(dead.length);
      opts.log.warn({ count: dead.length, reason: dead[0]!.headers!['nids-error'] }, 'undecodable records sent to the DLQ');
    }
    endTimer?.();
  }, opts.tuning.partitionsConcurrently);
}

/** Which of `topics` exist on the brokers. */
export async function existingTopics(kafka: Kafka, topics: readonly string[]): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const all = new Set(await admin.listTopics());
    return new Set(topics.filter((t) => all.has(t)));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Stops a service's start-up when a topic it reads or writes does not exist: the brokers do
 * not create topics on use (auto.create.topics.enable=false, as `npm run stack:up` and a
 * production cluster run), so a typo or a topic never created would otherwise fail every
 * batch later. `topics` maps each topic to the setting that names it.
 */
export async function requireTopics(kafka: Kafka, topics: Record<string, string>): Promise<void> {
  const present = await existingTopics(kafka, Object.keys(topics));
  const missing = Object.entries(topics).filter(([t]) => !present.has(t));
  if (missing.length > 0) {
    throw new Error(`${missing.map(([t, setting]) => `${setting} ${t}`).join(', ')}: no such topic on the brokers (create it first: \`npm run stack:up\` creates the default topics, scripts/create-topics.ts)`);
  }
}

/** Each partition's high watermark (the offset after its last record) now. */
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

/**
 * Reads `topic` from the oldest record up to each partition's high watermark as it is when
 * the call starts (records produced later are not read), in a fresh consumer group that
 * commits nothing. `onMessage` returns false to stop early. Resolves with the records read.
 */
export async function readToHighWatermarks(
  kafka: Kafka,
  topic: string,
  groupId: string,
  onMessage: (message: KafkaMessage) => Promise<boolean> | boolean,
): Promise<number> {
  const targets = await highWatermarks(kafka, topic);
  const remaining = new Set([...targets].filter(([, hw]) => hw > 0n).map(([p]) => p));
  if (remaining.size === 0) return 0;
  let read = 0;
  const consumer = kafka.consumer({ groupId });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let done = false;
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (done) return;
            const target = targets.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= target) break;
              read++;
              if (!(await onMessage(m))) {
                done = true;
                return resolve();
              }
            }
            const last = batch.messages[batch.messages.length - 1];
            if (last && BigInt(last.offset) + 1n >= target) remaining.delete(batch.partition);
            if (remaining.size === 0) {
              done = true;
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}
