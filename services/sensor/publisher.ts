// Flows -> Avro -> Kafka, in batches, with back-pressure: the packet loop calls push()
// synchronously and awaits drain() between chunks, which only blocks while too many
// batches are unacknowledged, so a slow broker slows a file read instead of growing memory.
// A live capture cannot slow the wire: it asks `saturated` and drops (and counts) flows
// while it is true (services/sensor/main.ts).
import type { CompressionTypes, Producer } from 'kafkajs';
import type { AvroCodec } from '../../lib/avro/codec.ts';
import type { Flow } from '../../lib/flow/record.ts';

export interface PublisherOptions {
  topic: string;
  compression: CompressionTypes;
  batchSize: number;
  lingerMs: number;
  maxPendingBatches: number;
  onSent?: (flows: number, bytes: number, latencyMs: number) => void;
  /** Called once, when a send fails for good (kafkajs has retried). */
  onFailure?: (err: Error) => void;
}

export class FlowPublisher {
  private buffer: { key: string; value: Buffer; timestamp: string }[] = [];
  private bufferBytes = 0;
  private pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  published = 0;

  constructor(
    private readonly producer: Producer,
    private readonly codec: AvroCodec<Flow>,
    private readonly opts: PublisherOptions,
  ) {}

  push(flow: Flow): void {
    const value = this.codec.encode(flow);
    // The record's timestamp is the flow's export, not the send after the linger: what a
    // consumer's lag or a latency measured from it counts starts when the flow was ready.
    this.buffer.push({ key: flow.community_id, value, timestamp: String(Date.now()) });
    this.bufferBytes += value.length;
    if (this.buffer.length >= this.opts.batchSize) this.send();
    else this.timer ??= setTimeout(() => this.send(), this.opts.lingerMs);
  }

  /** maxPendingBatches are unacknowledged: a push now only grows memory. */
  get saturated(): boolean {
    return this.pending.size >= this.opts.maxPendingBatches;
  }

  /** Resolves when the producer can take more; undefined (no wait) when it already can. */
  drain(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending.size < this.opts.maxPendingBatches) return undefined;
    return Promise.race(this.pending).then(() => this.drain());
  }

  /** Sends what is buffered and waits for every acknowledgement. */
  async flush(): Promise<void> {
    this.send();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    if (this.failure) throw this.failure;
  }

  private send(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.length === 0) return;
    const messages = this.buffer;
    const bytes = this.bufferBytes;
    this.buffer = [];
    this.bufferBytes = 0;
    const started = performance.now();
    const p: Promise<void> = this.producer
      .send({ topic: this.opts.topic, messages, acks: -1, compression: this.opts.compression })
      .then(() => {
        this.published += messages.length;
        this.opts.onSent?.(messages.length, bytes, performance.now() - started);
      })
      .catch((err: Error) => {
        if (this.failure) return;
        this.failure = new Error(`publishing to ${this.opts.topic} failed: ${err.message}`);
        this.opts.onFailure?.(this.failure);
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
