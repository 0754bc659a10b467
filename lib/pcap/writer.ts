// Writes classic pcap files (microsecond or nanosecond timestamps), streamed to disk.
import { createWriteStream, type WriteStream } from 'node:fs';
import { LinkType } from './types.ts';

export interface PcapWriter {
  write(tsMicros: number, frame: Uint8Array): void;
  close(): Promise<void>;
  readonly packets: number;
}

export function createPcapWriter(path: string, opts: { linkType?: number; nanosecond?: boolean; snapLen?: number } = {}): PcapWriter {
  const out: WriteStream = createWriteStream(path);
  const ns = opts.nanosecond ?? false;
  const header = Buffer.alloc(24);
  header.writeUInt32LE(ns ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(opts.snapLen ?? 262144, 16);
  header.writeUInt32LE(opts.linkType ?? LinkType.ETHERNET, 20);
  out.write(header);
  let packets = 0;
  let failure: Error | null = null;
  out.on('error', (e) => (failure = e));
  return {
    write(tsMicros, frame) {
      const rec = Buffer.alloc(16 + frame.length);
      const sec = Math.floor(tsMicros / 1e6);
      const frac = tsMicros - sec * 1e6;
      rec.writeUInt32LE(sec, 0);
      rec.writeUInt32LE(ns ? frac * 1000 : frac, 4);
      rec.writeUInt32LE(frame.length, 8);
      rec.writeUInt32LE(frame.length, 12);
      rec.set(frame, 16);
      out.write(rec);
      packets++;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        out.end(() => (failure ? reject(failure) : resolve()));
      }),
    get packets() {
      return packets;
    },
  };
}
