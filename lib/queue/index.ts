// A bounded in-process queue of items consumed in batches: the embedded mode's stand-in
// for a Kafka topic between two stages. push() is synchronous (callable from the packet
// loop); drain() tells the producer to wait while the queue is full.

export class BatchQueue<T> {
  private items: T[] = [];
  private closed = false;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducers: Array<() => void> = [];

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.closed) throw new Error('push after close');
    this.items.push(item);
    this.wakeConsumer?.();
  }

  drain(): Promise<void> | undefined {
    if (this.items.length < this.capacity) return undefined;
    return new Promise((resolve) => this.wakeProducers.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
  }

  /** Yields batches of up to `max` items until the queue is closed and empty. */
  async *batches(max: number): AsyncGenerator<T[]> {
    for (;;) {
      if (this.items.length === 0) {
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        this.wakeConsumer = null;
        continue;
      }
      const batch = this.items.splice(0, max);
      if (this.items.length < this.capacity) for (const w of this.wakeProducers.splice(0)) w();
      yield batch;
    }
  }
}
