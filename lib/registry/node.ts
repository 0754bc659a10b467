// One registry instance: the state, the reader that keeps it in step with the topic, and,
// while this instance is the elected writer, the transactional writer. Reads are answered
// from local state by every instance. Writes run one at a time on the writer: plan against
// the state, append the records in one transaction, apply them, answer. A write therefore
// returns only after Kafka acknowledged it and the state shows it; if the outcome of a
// write is unknown (an error after the commit was sent), the writer re-reads the log up to
// a fresh barrier before the next write, so an id is never planned from stale state.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../log/index.ts';
import { Errors, RegistryError } from './errors.ts';
import { LeaderElection } from './election.ts';
import { ensureSchemasTopic, FencedError, SchemaLogReader, SchemaLogWriter } from './kafka-log.ts';
import type { CompatibilityLevel, SchemaRecord } from './records.ts';
import { RegistryState, type WritePlan } from './state.ts';

export interface RegistryNodeOptions {
  topic: string;
  /** Election group; also names the transactional id that fences older writers. */
  groupId: string;
  leaderEligible: boolean;
  defaultCompatibility: CompatibilityLevel;
  /** Bound on one write (transaction + apply) and on the start-up read. */
  timeoutMs: number;
  sessionTimeoutMs?: number;
}

export interface NodeHooks {
  onWrite?(ok: boolean, seconds: number): void;
  onRoleChange?(writer: boolean): void;
}

export class RegistryNode {
  readonly state: RegistryState;
  readonly instance = randomUUID();
  private readonly reader: SchemaLogReader;
  private election: LeaderElection | null = null;
  private writer: SchemaLogWriter | null = null;
  /** True once the writer has read its own barrier: its state is the whole log. */
  private writable = false;
  /** Records at or below this offset were applied by this writer itself. */
  private appliedThrough = -1n;
  private queue: Promise<unknown> = Promise.resolve();
  private electionGeneration = 0;
  private stopping = false;
  private advertisedUrl = '';

  constructor(
    private readonly kafka: Kafka,
    private readonly options: RegistryNodeOptions,
    private readonly log: Logger,
    private readonly hooks: NodeHooks = {},
  ) {
    this.state = new RegistryState(options.defaultCompatibility);
    this.reader = new SchemaLogReader(kafka, options.topic, log, (record, offset) => {
      if (offset > this.appliedThrough) this.state.apply(record);
    });
  }

  /** Creates the topic if needed and reads it to the end: from then on reads can be served. */
  async load(): Promise<void> {
    await ensureSchemasTopic(this.kafka, this.options.topic, this.log);
    await this.reader.start(this.options.timeoutMs);
    this.log.info({ schemas: this.state.schemaCount, maxId: this.state.maxId, offset: String(this.reader.applied) }, 'schemas topic read');
  }

  /**
   * Joins the writer election (when eligible), announcing `advertisedUrl` as where the
   * others forward writes: known only once the API listens (its port may have been 0).
   */
  async joinElection(advertisedUrl: string): Promise<void> {
    this.advertisedUrl = advertisedUrl;
    if (!this.options.leaderEligible) return;
    this.election = new LeaderElection(this.kafka, this.options.groupId, this.options.topic, this.log, {
      elected: () => void this.becomeWriter(++this.electionGeneration),
      demoted: () => {
        this.electionGeneration++;
        void this.dropWriter();
      },
    }, this.options.sessionTimeoutMs);
    await this.election.start();
  }

  /** True while this instance accepts writes itself. */
  get isWriter(): boolean {
    return this.writable;
  }

  /** Where a write should go when this instance is not the writer (null: unknown). */
  get leaderUrl(): string | null {
    const url = this.state.leaderUrl;
    return url && this.state.leaderInstance !== this.instance ? url : null;
  }

  /**
   * Runs one write: `plan` sees the state after every earlier write; its records are
   * appended in one transaction and applied before the answer is returned.
   */
  write<R>(plan: () => WritePlan<R>): Promise<R> {
    const run = async (): Promise<R> => {
      if (!this.writable || !this.writer) throw Errors.unknownLeader('this instance is not the elected writer');
      const t0 = performance.now();
      const p = plan();
      if (p.records.length === 0) return p.result;
      try {
        await this.append(p.records);
        this.hooks.onWrite?.(true, (performance.now() - t0) / 1000);
        return p.result;
      } catch (err) {
        this.hooks.onWrite?.(false, (performance.now() - t0) / 1000);
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async append(records: SchemaRecord[]): Promise<void> {
    const writer = this.writer!;
    let end: bigint;
    try {
      end = await withTimeout(writer.write(records), this.options.timeoutMs, 'writing to the schemas topic');
    } catch (err) {
      // The commit may or may not have happened: nothing more is planned until the log is re-read.
      this.writable = false;
      if (err instanceof FencedError) {
        this.log.warn({ err: err.message }, 'fenced by a newer schema writer');
        void this.dropWriter();
        throw Errors.unknownLeader('this instance was replaced as the schema writer; retry');
      }
      this.log.error({ err: (err as Error).message }, 'write to the schemas topic failed; reopening the writer and re-reading the log before the next write');
      if (this.election?.isLeader) void this.becomeWriter(this.electionGeneration);
      if (err instanceof TimeoutError) throw Errors.timeout(err.message);
      throw Errors.storeError((err as Error).message);
    }
    for (const record of records) this.state.apply(record);
    if (end - 1n > this.appliedThrough) this.appliedThrough = end - 1n;
  }

  private async becomeWriter(generation: number): Promise<void> {
    try {
      await this.dropWriter();
      if (generation !== this.electionGeneration || this.stopping) return;
      const transactionalId = `${this.options.groupId}.${this.options.topic}.writer`;
      this.writer = await SchemaLogWriter.open(this.kafka, this.options.topic, transactionalId, Math.max(this.options.timeoutMs, 10_000));
      await this.resync(generation);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not take over as schema writer');
    }
  }

  /**
   * Appends a NIDS_LEADER record (which also fences older writers on first use of the
   * transactional id) and waits until the reader has applied it: from then on the state
   * holds every record any writer ever committed.
   */
  private async resync(generation: number): Promise<void> {
    const writer = this.writer;
    if (!writer || generation !== this.electionGeneration) return;
    try {
      const end = await withTimeout(
        writer.write([{ key: { keytype: 'NIDS_LEADER' }, value: { url: this.advertisedUrl, instance: this.instance, elected_at: new Date().toISOString() } }]),
        this.options.timeoutMs,
        'announcing the writer',
      );
      await this.reader.waitFor(end, this.options.timeoutMs, 'reading the barrier');
      if (generation !== this.electionGeneration || this.writer !== writer) return;
      this.appliedThrough = end - 1n;
      this.writable = true;
      this.hooks.onRoleChange?.(true);
      this.log.info({ url: this.advertisedUrl, maxId: this.state.maxId }, 'accepting writes');
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not complete the writer barrier; writes refused until the next election');
      if (err instanceof FencedError) await this.dropWriter();
    }
  }

  private async dropWriter(): Promise<void> {
    const wasWritable = this.writable;
    this.writable = false;
    const w = this.writer;
    this.writer = null;
    if (wasWritable) this.hooks.onRoleChange?.(false);
    await w?.close();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue.catch(() => undefined);
    await this.election?.stop();
    await this.dropWriter();
    await this.reader.stop();
  }

  get malformedRecords(): number {
    return this.reader.malformed;
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`${what} took more than ${ms} ms`)), ms))),
  ]);
}

export { RegistryError };
