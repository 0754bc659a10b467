// Lines appended to a file through one reused buffer: each line is encoded into the buffer
// as it is made and the buffer is written out when full or on flush(), so a batch of rows
// never becomes one large joined string. (Joined per batch, a flood's CSV rows and anomaly
// JSON were half a megabyte per batch in V8's large-object space, which only a full
// collection frees: most of the heap's peak.)
import { fsyncSync, writeSync } from 'node:fs';

const BUFFER_BYTES = 1 << 20;

export class LineWriter {
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;

  constructor(private readonly fd: number) {}

  /** Adds `text` (one or more whole lines, each ending in \n). */
  add(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.used + text.length * 3 > BUFFER_BYTES) {
      this.writeOut();
      if (text.length * 3 > BUFFER_BYTES) {
        writeAll(this.fd, Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** Writes out what was added; durable when it returns if `sync`. */
  flush(sync: boolean): void {
    this.writeOut();
    if (sync) fsyncSync(this.fd);
  }

  private writeOut(): void {
    if (this.used === 0) return;
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}
