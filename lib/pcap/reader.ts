// Streaming reader of pcap and pcapng files: reads fixed-size chunks, so a multi-GB file
// uses constant memory, and hands each packet to the handler as a view into the chunk.
// Classic pcap in both byte orders with micro- or nanosecond timestamps; pcapng with
// several interfaces, each with its own link type and timestamp resolution.
import { open } from 'node:fs/promises';
import type { PacketHandler } from './types.ts';

export class PcapFormatError extends Error {
  override name = 'PcapFormatError';
}

export interface ReadOptions {
  /** Awaited between chunks: lets a slow consumer apply back-pressure. */
  drain?: () => Promise<void> | undefined;
  onProgress?: (p: { bytesRead: number; totalBytes: number; packets: number }) => void;
  signal?: AbortSignal;
  /** 0: as fast as possible; N: real time x N, paced by packet timestamps. */
  replaySpeed?: number;
  chunkSize?: number;
}

export interface ReadResult {
  packets: number;
  bytes: number;
  /** A last record cut short (a capture that was killed): counted, not an error. */
  truncatedRecords: number;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

interface Iface { linkType: number; /** multiply the raw timestamp by this to get microseconds */ tsToMicros: number }

export async function readPcapFile(path: string, handler: PacketHandler, opts: ReadOptions = {}): Promise<ReadResult> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new PcapFormatError(`${path}: cannot open (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
  });
  try {
    const totalBytes = (await fh.stat()).size;
    const chunkSize = opts.chunkSize ?? 1 << 20;
    let buf = Buffer.allocUnsafe(chunkSize * 2);
    let start = 0; // unread data in buf[start, end)
    let end = 0;
    let fileOffset = 0; // file offset of buf[0]
    let eof = false;
    const fill = async (need: number): Promise<boolean> => {
      if (end - start >= need) return true;
      if (eof) return false;
      if (start > 0) {
        buf.copy(buf, 0, start, end);
        fileOffset += start;
        end -= start;
        start = 0;
      }
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
      }
      while (end - start < need && !eof) {
        const { bytesRead } = await fh.read(buf, end, buf.length - end, fileOffset + end);
        if (bytesRead === 0) eof = true;
        end += bytesRead;
      }
      return end - start >= need;
    };

    if (!(await fill(4))) throw new PcapFormatError(`${path}: empty or too short to be a capture`);
    const magicLE = buf.readUInt32LE(0);
    const magicBE = buf.readUInt32BE(0);
    const result: ReadResult = { packets: 0, bytes: 0, truncatedRecords: 0 };
    let lastProgress = 0;
    let paceStartTs = -1;
    let paceStartWall = 0;
    const speed = opts.replaySpeed ?? 0;

    const betweenChunks = async () => {
      if (opts.signal?.aborted) throw new Error(`${path}: reading aborted`);
      const w = opts.drain?.();
      if (w) await w;
      if (opts.onProgress && result.packets - lastProgress >= 10_000) {
        lastProgress = result.packets;
        opts.onProgress({ bytesRead: fileOffset + start, totalBytes, packets: result.packets });
      }
    };
    const pace = async (ts: number) => {
      if (speed <= 0) return;
      if (paceStartTs < 0) {
        paceStartTs = ts;
        paceStartWall = performance.now();
        return;
      }
      const due = paceStartWall + (ts - paceStartTs) / 1000 / speed;
      const wait = due - performance.now();
      if (wait > 2) await new Promise((r) => setTimeout(r, wait));
    };
    const deliver = async (off: number, caplen: number, origLen: number, ts: number, linkType: number) => {
      if (speed > 0) await pace(ts);
      result.packets++;
      result.bytes += caplen;
      handler.onPacket(buf, off, caplen, origLen, ts, linkType);
    };

    if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS || magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
      const le = magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS;
      const ns = (le ? magicLE : magicBE) === PCAP_MAGIC_NS;
      if (!(await fill(24))) throw new PcapFormatError(`${path}: truncated pcap file header`);
      const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
      const linkType = u32(start + 20) & 0x0fffffff;
      start += 24;
      let sinceYield = 0;
      for (;;) {
        if (!(await fill(16))) {
          if (end > start) result.truncatedRecords++;
          break;
        }
        const sec = u32(start);
        const frac = u32(start + 4);
        const caplen = u32(start + 8);
        const origLen = u32(start + 12);
        if (caplen > 0x4000000) throw new PcapFormatError(`${path}: record at offset ${fileOffset + start} claims ${caplen} bytes: not a valid pcap record`);
        if (!(await fill(16 + caplen))) {
          result.truncatedRecords++;
          break;
        }
        const ts = sec * 1e6 + (ns ? Math.floor(frac / 1000) : frac);
        await deliver(start + 16, caplen, origLen, ts, linkType);
        start += 16 + caplen;
        if (++sinceYield >= 4096) {
          sinceYield = 0;
          await betweenChunks();
        }
      }
    } else if (magicLE === PCAPNG_SHB) {
      const ifaces: Iface[] = [];
      let le = true;
      let sinceYield = 0;
      for (;;) {
        if (!(await fill(12))) {
          if (end > start) result.truncatedRecords++;
          break;
        }
        let type = le ? buf.readUInt32LE(start) : buf.readUInt32BE(start);
        if (type === PCAPNG_SHB) {
          const bom = buf.readUInt32LE(start + 8);
          if (bom === PCAPNG_BOM) le = true;
          else if (bom === 0x4d3c2b1a) le = false;
          else throw new PcapFormatError(`${path}: bad pcapng byte-order magic at offset ${fileOffset + start}`);
          type = PCAPNG_SHB;
          ifaces.length = 0;
        }
        const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
        const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
        const len = u32(start + 4);
        if (len < 12 || len % 4 !== 0) throw new PcapFormatError(`${path}: bad pcapng block length ${len} at offset ${fileOffset + start}`);
        if (!(await fill(len))) {
          result.truncatedRecords++;
          break;
        }
        const body = start + 8;
        const bodyEnd = start + len - 4;
        if (type === 1) {
          // Interface Description Block: link type, then options (if_tsresol = 9).
          let tsToMicros = 1; // default resolution 10^-6
          let o = body + 8;
          while (o + 4 <= bodyEnd) {
            const code = u16(o);
            const olen = u16(o + 2);
            if (code === 0) break;
            if (code === 9 && olen >= 1) {
              const r = buf[o + 4]!;
              const unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** (r & 0x7f);
              tsToMicros = 1e6 / unitsPerSec;
            }
            o += 4 + ((olen + 3) & ~3);
          }
          ifaces.push({ linkType: u16(body), tsToMicros });
        } else if (type === 6) {
          // Enhanced Packet Block.
          const iface = ifaces[u32(body)];
          if (!iface) throw new PcapFormatError(`${path}: packet for undeclared interface ${u32(body)} at offset ${fileOffset + start}`);
          const raw = u32(body + 4) * 4294967296 + u32(body + 8);
          const caplen = u32(body + 12);
          const origLen = u32(body + 16);
          if (body + 20 + caplen > bodyEnd) throw new PcapFormatError(`${path}: packet longer than its block at offset ${fileOffset + start}`);
          await deliver(body + 20, caplen, origLen, Math.floor(raw * iface.tsToMicros), iface.linkType);
        } else if (type === 3) {
          // Simple Packet Block: no timestamp; interface 0.
          const iface = ifaces[0];
          if (!iface) throw new PcapFormatError(`${path}: simple packet before any interface at offset ${fileOffset + start}`);
          const origLen = u32(body);
          const caplen = Math.min(origLen, bodyEnd - body - 4);
          await deliver(body + 4, caplen, origLen, 0, iface.linkType);
        }
        start += len;
        if (++sinceYield >= 4096) {
          sinceYield = 0;
          await betweenChunks();
        }
      }
    } else {
      throw new PcapFormatError(`${path}: not a pcap or pcapng file (magic 0x${magicBE.toString(16).padStart(8, '0')})`);
    }
    opts.onProgress?.({ bytesRead: totalBytes, totalBytes, packets: result.packets });
    return result;
  } finally {
    await fh.close();
  }
}
