// What the sink's idempotent files (the CSV, the JSON-lines outputs) share: a file of
// complete lines, appended to and synced before a batch is committed. A crash mid-write
// leaves a torn last line; it is cut off on open, and its record is written again on replay.
import { closeSync, existsSync, fsync, ftruncateSync, openSync, readFileSync } from 'node:fs';

/** The file's complete lines (none when it does not exist), after cutting off a torn last line. */
export function readCompleteLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) {
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, Buffer.byteLength(text.slice(0, complete)));
    closeSync(fd);
  }
  return complete === 0 ? [] : text.slice(0, complete - 1).split('\n');
}

/**
 * fsync on the thread pool, shared: a caller gets a promise that resolves once everything
 * written before its call is durable. Callers that arrive while an fsync runs share the one
 * after it, so the sink's partitions handled at once cost one or two fsyncs, not one each,
 * and the event loop goes on decoding while the disk works.
 */
export class GroupFsync {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly fd: number) {}

  sync(): Promise<void> {
    if (!this.running) {
      this.running = new Promise<void>((resolve, reject) => fsync(this.fd, (err) => (err ? reject(err) : resolve()))).finally(() => (this.running = null));
      return this.running;
    }
    this.queued ??= this.running.then(
      () => this.next(),
      () => this.next(),
    );
    return this.queued;
  }

  private next(): Promise<void> {
    this.queued = null;
    return this.sync();
  }
}
