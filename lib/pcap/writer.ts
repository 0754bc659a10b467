// Writes classic pcap files (microsecond or nanosecond timestamps), streamed to disk: records
// are packed into one reused 1 MiB buffer and written with positioned synchronous writes, so
// memory does not grow with the file and the file may pass 4 GiB (positions are numbers).
import { closeSync, openSync, writeSync } from 'node:fs';
import { LinkType } from './types.ts';

export interface PcapWriter {
  write(tsMicros: number, frame: Uint8Array): void;
  close(): Promise<void>;
  readonly packets: number;
  /** Bytes written so far, the file header included. */
  readonly bytes: number;
}

const CHUNK = 1 << 20;

export function createPcapWriter(path: string, opts: { linkType?: number; nanosecond?: boolean; snapLen?: number } = {}): PcapWriter {
  const fd = openSync(path, 'w');
  const ns = opts.nanosecond ?? false;
  const buf = Buffer.allocUnsafeSlow(CHUNK);
  let used = 0;
  let position = 0;
  let packets = 0;
  const flush = (): void => {
    let done = 0;
    while (done < used) done += writeSync(fd, buf, done, used - done, position + done);
    position += used;
    used = 0;
  };
  buf.writeUInt32LE(ns ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt32LE(opts.snapLen ?? 262144, 16);
  buf.writeUInt32LE(opts.linkType ?? LinkType.ETHERNET, 20);
  used = 24;
  let closed = false;
  return {
    write(tsMicros, frame) {
      if (used + 16 + frame.length > CHUNK) flush();
      if (16 + frame.length > CHUNK) throw new Error(`${path}: a ${frame.length}-byte frame does not fit a pcap record buffer`);
      const sec = Math.floor(tsMicros / 1e6);
      const frac = tsMicros - sec * 1e6;
      buf.writeUInt32LE(sec, used);
      buf.writeUInt32LE(ns ? frac * 1000 : frac, used + 4);
      buf.writeUInt32LE(frame.length, used + 8);
      buf.writeUInt32LE(frame.length, used + 12);
      buf.set(frame, used + 16);
      used += 16 + frame.length;
      packets++;
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      try {
        flush();
      } finally {
        closeSync(fd);
      }
      return Promise.resolve();
    },
    get packets() {
      return packets;
    },
    get bytes() {
      return position + used;
    },
  };
}
