// The `_schemas` topic as the registry's only storage: a reader that tails it from the
// first offset and hands every committed record to the state, and a writer that appends
// records in Kafka transactions under one transactional id per topic. Initializing a
// transactional producer bumps the id's epoch, so a newly elected writer fences every
// older one: a writer that lost its election and does not know it yet cannot commit.
import { randomUUID } from 'node:crypto';
import kafkajs, { type Consumer, type Kafka, type Producer } from 'kafkajs';

// kafkajs is CommonJS: named runtime exports other than the main classes are not visible to ESM.
const { ConfigResourceTypes } = kafkajs;
import type { Logger } from '../log/index.ts';
import { decodeRecord, encodeRecord, MalformedRecordError, type SchemaRecord } from './records.ts';

/**
 * Creates the topic (one partition, compacted) when absent, and refuses one that would
 * lose or reorder state: more than one partition, or a delete cleanup policy.
 */
export async function ensureSchemasTopic(kafka: Kafka, topic: string, log: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      log.info({ topic }, 'creating the schemas topic (1 partition, cleanup.policy=compact)');
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      return;
    }
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = meta.topics[0]?.partitions.length ?? 0;
    if (partitions !== 1) {
      throw new Error(`--topic: ${topic} has ${partitions} partitions; the schemas topic must have exactly 1 (order is the registry's state)`);
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
    });
    const policy = described.resources[0]?.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue ?? '';
    if (!policy.split(',').includes('compact') || policy.includes('delete')) {
      throw new Error(`--topic: ${topic} has cleanup.policy=${policy}; the schemas topic must be compact-only, or old schemas would expire`);
    }
  } finally {
    await admin.disconnect();
  }
}

type Apply = (record: SchemaRecord, offset: bigint) => void;

/**
 * Tails the topic from its first offset with a private consumer group (never committed:
 * every start reads the whole log), applying each committed record in order.
 */
export class SchemaLogReader {
  private consumer: Consumer | null = null;
  /** The next offset to read: everything below it is applied. */
  private position = 0n;
  private waiters: { offset: bigint; resolve: () => void }[] = [];
  malformed = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly apply: Apply,
  ) {}

  /** Starts tailing; resolves once every record that existed at the call is applied. */
  async start(timeoutMs: number): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `nids-registry-reader-${randomUUID()}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      readUncommitted: false,
    });
    this.consumer = consumer;
    // Batches of only transaction markers never reach eachBatch, but they move the position.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => this.advance(BigInt(e.payload.lastOffset) + 1n));
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    const end = await this.endOffset();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          try {
            const record = decodeRecord(message.key, message.value);
            if (record) this.apply(record, offset);
          } catch (err) {
            if (!(err instanceof MalformedRecordError)) throw err;
            this.malformed++;
            this.log.warn({ offset: message.offset, err: err.message }, 'skipping a malformed record in the schemas topic');
          }
          resolveOffset(message.offset);
          this.advance(offset + 1n);
        }
      },
    });
    await this.waitFor(end, timeoutMs, 'reading the schemas topic at start-up');
  }

  /** The topic's end offset now (the high watermark). */
  async endOffset(): Promise<bigint> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      return BigInt(offsets[0]?.high ?? '0');
    } finally {
      await admin.disconnect();
    }
  }

  /** Resolves once the record at `offset - 1` is applied (position >= offset). */
  waitFor(offset: bigint, timeoutMs: number, what: string): Promise<void> {
    if (this.position >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms ${what} (at offset ${this.position} of ${offset})`));
      }, timeoutMs);
      const waiter = { offset, resolve: () => (clearTimeout(timer), resolve()) };
      this.waiters.push(waiter);
    });
  }

  get applied(): bigint {
    return this.position;
  }

  private advance(next: bigint): void {
    if (next <= this.position) return;
    this.position = next;
    const ready = this.waiters.filter((w) => w.offset <= next);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.offset > next);
    for (const w of ready) w.resolve();
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}

/** Thrown when another instance was elected and fenced this one's producer. */
export class FencedError extends Error {
  override name = 'FencedError';
}

/**
 * Appends records in transactions under `transactionalId`. Opening one fences every writer
 * that used the id before; after a fencing error this writer is useless and must be closed.
 */
export class SchemaLogWriter {
  private constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  static async open(kafka: Kafka, topic: string, transactionalId: string, transactionTimeoutMs: number): Promise<SchemaLogWriter> {
    const producer = kafka.producer({
      transactionalId,
      transactionTimeout: transactionTimeoutMs,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Right after a commit the coordinator is still writing its markers and answers the next
      // transaction with CONCURRENT_TRANSACTIONS for a few milliseconds: retry that quickly
      // (kafkajs' default first wait of ~300 ms made it the p99 of registration).
      retry: { initialRetryTime: 5, maxRetryTime: 1000, factor: 0.2, multiplier: 2, retries: 12 },
    });
    await producer.connect();
    return new SchemaLogWriter(producer, topic);
  }

  /** Appends `records` atomically; resolves with the offset after the last one, once committed. */
  async write(records: SchemaRecord[]): Promise<bigint> {
    const tx = await this.producer.transaction().catch(rethrowFenced);
    try {
      const meta = await tx.send({ topic: this.topic, acks: -1, messages: records.map(encodeRecord) });
      await tx.commit();
      const base = BigInt(meta[0]?.baseOffset ?? '-1');
      if (base < 0n) throw new Error('the broker returned no offset for the write');
      return base + BigInt(records.length);
    } catch (err) {
      if (tx.isActive()) await tx.abort().catch(() => undefined);
      return rethrowFenced(err);
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

function rethrowFenced(err: unknown): never {
  const e = err as { type?: string; message?: string; cause?: { type?: string } };
  const type = e.type ?? e.cause?.type ?? '';
  if (/FENCED|INVALID_PRODUCER_EPOCH|INVALID_PRODUCER_ID_MAPPING/.test(type) || /fenced/i.test(e.message ?? '')) {
    throw new FencedError(`another registry instance took over writing: ${e.message ?? type}`);
  }
  throw err;
}
