// Streaming reader of pcap and pcapng files. The file is read in fixed-size chunks into one
// buffer, so a multi-GB file uses constant memory; every complete record in the buffer is
// handed to the handler synchronously, as a view into that buffer, before the next read.
// Per packet there is no allocation and no promise: awaits happen once per chunk (back-
// pressure through `drain`, progress, abort) and, when pacing a replay, only when the
// next packet is due later than now.
//
// Formats: classic pcap in both byte orders with micro- or nanosecond timestamps; pcapng
// in either byte order with several sections and interfaces, each interface with its own
// link type, if_tsresol and if_tsoffset (Enhanced, Simple and obsolete Packet Blocks).
import { open } from 'node:fs/promises';
import type { PacketHandler } from './types.ts';
import { checkInputFile, compressedKind, PathError } from '../output/index.ts';

/** The file's structure is broken: the message names the file and the byte offset. */
export class PcapFormatError extends Error {
  override name = 'PcapFormatError';
  constructor(
    message: string,
    /** File offset of the record or block at fault, when known. */
    readonly offset = -1,
    /** The message without the file name. */
    readonly detail = message,
  ) {
    super(message);
  }
}

/** Where and why the reading stopped before the end of the file. */
export interface ReadDamage {
  /** File offset of the damaged record or block. */
  offset: number;
  reason: string;
}

export interface PcapReadOptions {
  /** Awaited between chunks: lets a slow consumer apply back-pressure. */
  drain?: () => Promise<void> | undefined;
  /** Called between chunks and once at the end. */
  onProgress?: (p: { bytesRead: number; totalBytes: number; packets: number }) => void;
  /** Checked between chunks; reading then rejects with an AbortError. */
  signal?: AbortSignal;
  /** 0 (default): as fast as possible; N: real time x N, paced by packet timestamps. */
  replaySpeed?: number;
  /** Bytes read at a time (default 1 MiB); the buffer grows only for a larger record. */
  chunkSize?: number;
}

export interface ReadResult {
  packets: number;
  /** Captured bytes handed to the handler. */
  bytes: number;
  /** A last record cut short (a capture that was killed): counted, not an error. */
  truncatedRecords: number;
  /** File offset where the cut-short last record starts (-1: none). */
  truncatedAt: number;
  /**
   * Damage in the middle of the file (a record or block whose lengths do not add up): the
   * reading stopped there; every packet before it was delivered. Null: read to the end.
   */
  damage: ReadDamage | null;
  /** Packets whose timestamp is earlier than the one before them. */
  timeWentBack: number;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_BOM_SWAPPED = 0x4d3c2b1a;
const BLOCK_IDB = 1;
const BLOCK_OPB = 2; // obsolete Packet Block
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
/** Larger records are corruption, not packets (libpcap's own ceiling is 256 KiB). */
const MAX_RECORD = 64 << 20;
const TWO32 = 4294967296;

const FMT_UNKNOWN = 0;
const FMT_PCAP = 1;
const FMT_PCAPNG = 2;

/**
 * The format state machine, fed windows of bytes. parse() consumes every complete record
 * in buf[start, end) and returns how many bytes it consumed; `need` then says how many
 * bytes the next record needs from the first unconsumed byte.
 */
class CaptureParser {
  format = FMT_UNKNOWN;
  /** The file header (pcap) or a first section header (pcapng) has been read. */
  headerDone = false;
  private le = true;
  private nanos = false;
  private linkType = 0;
  /** Largest caplen a record of this pcap may claim (from the header's snap length). */
  private snapLimit = MAX_RECORD;
  timeWentBack = 0;
  // pcapng interfaces of the current section: link type and timestamp conversion.
  private ifLink: number[] = [];
  /** Raw units per microsecond when >= 1 (exact integer division), else 0: use ifMul. */
  private ifDiv: number[] = [];
  private ifMul: number[] = [];
  private ifOffsetUs: number[] = [];
  private lastTs = 0;
  packets = 0;
  bytes = 0;
  need = 4;
  /** When pacing: milliseconds to wait before the next packet is due. */
  waitMs = 0;
  private paceTs = -1;
  private paceWall = 0;

  constructor(
    private readonly name: string,
    private readonly handler: PacketHandler,
    private readonly speed: number,
  ) {}

  private fail(what: string, fileOffset: number): never {
    throw new PcapFormatError(`${this.name}: ${what} at offset ${fileOffset}`, fileOffset, `${what} at offset ${fileOffset}`);
  }

  parse(buf: Uint8Array, dv: DataView, start: number, end: number, fileOffset: number): number {
    let p = start;
    if (this.format === FMT_UNKNOWN) {
      if (end - p < 4) return 0;
      const magic = dv.getUint32(p, false);
      if (magic === PCAPNG_SHB) this.format = FMT_PCAPNG;
      else {
        if (end - p < 24) {
          this.need = 24;
          return 0;
        }
        const le = dv.getUint32(p, true);
        if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) this.le = true;
        else if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) this.le = false;
        else throw new PcapFormatError(`${this.name}: not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`);
        this.nanos = (this.le ? le : magic) === PCAP_MAGIC_NS;
        // The low 16 bits are the link type; the upper ones may carry FCS information.
        this.linkType = dv.getUint32(p + 20, this.le) & 0xffff;
        // libpcap never writes a caplen beyond the snap length; some writers put 0 or a
        // small value there, so allow at least 256 KiB (libpcap's own maximum).
        const snap = dv.getUint32(p + 16, this.le);
        this.snapLimit = Math.min(MAX_RECORD, Math.max(snap, 262144));
        this.format = FMT_PCAP;
        this.headerDone = true;
        p += 24;
      }
    }
    return (this.format === FMT_PCAP ? this.parsePcap(buf, dv, p, end, fileOffset) : this.parsePcapng(buf, dv, p, end, fileOffset)) - start;
  }

  private parsePcap(buf: Uint8Array, dv: DataView, p: number, end: number, fileOffset: number): number {
    const le = this.le;
    const nanos = this.nanos;
    const linkType = this.linkType;
    const handler = this.handler;
    for (;;) {
      if (end - p < 16) {
        this.need = 16;
        return p;
      }
      const caplen = dv.getUint32(p + 8, le);
      const wire = dv.getUint32(p + 12, le);
      // Damage, not a cut tail: a length no writer produces. Reading on would take packet
      // bytes for record headers.
      if (caplen > this.snapLimit) this.fail(`record claims ${caplen} captured bytes, beyond the snap length`, fileOffset + p);
      if (caplen > wire) this.fail(`record claims ${caplen} captured bytes of a ${wire}-byte packet`, fileOffset + p);
      if (caplen === 0 && wire > 0) this.fail(`record captured 0 bytes of a ${wire}-byte packet`, fileOffset + p);
      if (end - p - 16 < caplen) {
        this.need = 16 + caplen;
        return p;
      }
      const sec = dv.getUint32(p, le);
      const frac = dv.getUint32(p + 4, le);
      const ts = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
      if (this.speed > 0 && this.pace(ts)) return p;
      this.packets++;
      this.bytes += caplen;
      if (ts < this.lastTs) this.timeWentBack++;
      this.lastTs = ts;
      handler.onPacket(buf, p + 16, caplen, wire, ts, linkType);
      p += 16 + caplen;
    }
  }

  private parsePcapng(buf: Uint8Array, dv: DataView, p: number, end: number, fileOffset: number): number {
    for (;;) {
      if (end - p < 12) {
        this.need = 12;
        return p;
      }
      const type = dv.getUint32(p, this.le);
      if (type === PCAPNG_SHB) {
        // A new section: it brings its own byte order (the type itself is a palindrome).
        const bom = dv.getUint32(p + 8, true);
        if (bom === PCAPNG_BOM) this.le = true;
        else if (bom === PCAPNG_BOM_SWAPPED) this.le = false;
        else this.fail(`bad pcapng byte-order magic 0x${bom.toString(16)}`, fileOffset + p);
      }
      const le = this.le;
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) this.fail(`bad pcapng block length ${len}`, fileOffset + p);
      if (end - p < len) {
        this.need = len;
        return p;
      }
      if (dv.getUint32(p + len - 4, le) !== len) this.fail(`pcapng block length ${len} does not match its trailer`, fileOffset + p);
      const body = p + 8;
      const bodyEnd = p + len - 4;
      if (type === BLOCK_EPB || type === BLOCK_OPB) {
        // The obsolete Packet Block is laid out as the Enhanced one, but for a 16-bit interface id.
        if (len < 32) this.fail(type === BLOCK_EPB ? 'enhanced packet block too short' : 'packet block too short', fileOffset + p);
        const ifc = type === BLOCK_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const caplen = dv.getUint32(body + 12, le);
        if (ifc >= this.ifLink.length) this.fail(`packet for undeclared interface ${ifc}`, fileOffset + p);
        if (body + 20 + caplen > bodyEnd) this.fail(`packet of ${caplen} bytes longer than its ${len}-byte block`, fileOffset + p);
        const ts = this.timestamp(ifc, dv.getUint32(body + 4, le), dv.getUint32(body + 8, le));
        if (this.speed > 0 && this.pace(ts)) return p;
        this.deliver(buf, body + 20, caplen, dv.getUint32(body + 16, le), ts, this.ifLink[ifc]!);
      } else if (type === BLOCK_SPB) {
        if (len < 16) this.fail('simple packet block too short', fileOffset + p);
        if (this.ifLink.length === 0) this.fail('simple packet before any interface', fileOffset + p);
        const origLen = dv.getUint32(body, le);
        const room = bodyEnd - body - 4;
        // No timestamp in this block: carry the previous packet's, so flow timing stays sane.
        this.deliver(buf, body + 4, origLen < room ? origLen : room, origLen, this.lastTs, this.ifLink[0]!);
      } else if (type === BLOCK_IDB) {
        if (len < 20) this.fail('interface description block too short', fileOffset + p);
        this.addInterface(buf, dv, body, bodyEnd, fileOffset);
      } else if (type === PCAPNG_SHB) {
        if (len < 28) this.fail('section header block too short', fileOffset + p);
        const major = dv.getUint16(body + 4, le);
        if (major !== 1) this.fail(`unsupported pcapng version ${major}`, fileOffset + p);
        this.ifLink.length = this.ifDiv.length = this.ifMul.length = this.ifOffsetUs.length = 0;
        this.headerDone = true;
      }
      // Anything else (statistics, name resolution, secrets, custom): not needed here.
      p += len;
    }
  }

  private addInterface(buf: Uint8Array, dv: DataView, body: number, bodyEnd: number, fileOffset: number): void {
    const le = this.le;
    let div = 1; // default if_tsresol: microseconds
    let mul = 0;
    let offsetUs = 0;
    for (let o = body + 8; o + 4 <= bodyEnd; ) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === 0) break;
      if (o + 4 + olen > bodyEnd) this.fail('interface option runs past its block', fileOffset + o);
      if (code === 9 && olen >= 1) {
        // if_tsresol: 10^-r seconds, or 2^-r when the high bit is set.
        const r = buf[o + 4]!;
        if (r & 0x80) {
          div = 0;
          mul = 1e6 / 2 ** (r & 0x7f);
        } else if (r >= 6) {
          div = 10 ** (r - 6);
          mul = 0;
        } else {
          div = 0;
          mul = 10 ** (6 - r);
        }
      } else if (code === 14 && olen >= 8) {
        // if_tsoffset: seconds to add to every timestamp of the interface.
        offsetUs = Number(dv.getBigInt64(o + 4, le)) * 1e6;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.ifLink.push(dv.getUint16(body, le));
    this.ifDiv.push(div);
    this.ifMul.push(mul);
    this.ifOffsetUs.push(offsetUs);
  }

  /** A pcapng 64-bit timestamp in the interface's units, as epoch microseconds. */
  private timestamp(ifc: number, hi: number, lo: number): number {
    const div = this.ifDiv[ifc]!;
    let us: number;
    if (div === 1) us = hi * TWO32 + lo;
    else if (div > 1 && div <= 1e6) {
      // Split the division so nanosecond values (beyond 2^53) stay exact.
      const hq = Math.floor(hi / div);
      us = hq * TWO32 + Math.floor(((hi - hq * div) * TWO32 + lo) / div);
    } else if (div > 1) us = Math.floor((hi * TWO32 + lo) / div);
    else us = Math.floor((hi * TWO32 + lo) * this.ifMul[ifc]!);
    return us + this.ifOffsetUs[ifc]!;
  }

  private deliver(buf: Uint8Array, off: number, caplen: number, origLen: number, ts: number, linkType: number): void {
    this.packets++;
    this.bytes += caplen;
    if (ts < this.lastTs) this.timeWentBack++;
    this.lastTs = ts;
    this.handler.onPacket(buf, off, caplen, origLen, ts, linkType);
  }

  /** True when the packet stamped `ts` is not due yet (waitMs says how long to wait). */
  private pace(ts: number): boolean {
    if (this.paceTs < 0) {
      this.paceTs = ts;
      this.paceWall = performance.now();
      return false;
    }
    const wait = this.paceWall + (ts - this.paceTs) / 1000 / this.speed - performance.now();
    if (wait <= 1) return false;
    this.waitMs = wait;
    return true;
  }
}

function abortError(path: string, signal: AbortSignal): Error {
  const e = new Error(`${path}: reading aborted`, { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

/**
 * Reads a pcap or pcapng file, calling handler.onPacket synchronously for every packet.
 * Rejects with a PcapFormatError when the file is not a capture (or cannot be opened). Damage
 * after the header (a record or block whose lengths do not add up: caplen 0 of a non-empty
 * packet, beyond the snap length or the packet, a pcapng block length that disagrees with
 * its trailer) stops the reading there and is returned in `damage`; a last record cut short
 * (a capture that was killed) in `truncatedRecords` / `truncatedAt`.
 */
export async function readPcapFile(path: string, handler: PacketHandler, opts: PcapReadOptions = {}): Promise<ReadResult> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new PcapFormatError(`${path}: cannot open (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
  });
  try {
    const totalBytes = (await fh.stat()).size;
    const parser = new CaptureParser(path, handler, opts.replaySpeed ?? 0);
    let buf = Buffer.allocUnsafeSlow(Math.max(opts.chunkSize ?? 1 << 20, 64));
    let dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let start = 0; // unconsumed bytes are buf[start, end)
    let end = 0;
    let fileOffset = 0; // file offset of buf[0]
    let eof = false;
    const progress = () => opts.onProgress?.({ bytesRead: fileOffset + start, totalBytes, packets: parser.packets });
    let damage: ReadDamage | null = null;
    for (;;) {
      try {
        start += parser.parse(buf, dv, start, end, fileOffset);
      } catch (err) {
        damage = damageOf(parser, err);
        break;
      }
      if (parser.waitMs > 0) {
        const ms = parser.waitMs;
        parser.waitMs = 0;
        await new Promise((r) => setTimeout(r, ms));
        if (opts.signal?.aborted) throw abortError(path, opts.signal);
        continue;
      }
      if (eof) break;
      if (opts.signal?.aborted) throw abortError(path, opts.signal);
      const pending = opts.drain?.();
      if (pending) await pending;
      progress();
      if (start > 0) {
        buf.copy(buf, 0, start, end);
        fileOffset += start;
        end -= start;
        start = 0;
      }
      if (parser.need > buf.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(parser.need, buf.length * 2));
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
        dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      const { bytesRead } = await fh.read(buf, end, buf.length - end, fileOffset + end);
      if (bytesRead === 0) eof = true;
      end += bytesRead;
    }
    if (!parser.headerDone) {
      throw new PcapFormatError(`${path}: empty or too short to be a capture (${totalBytes} bytes)`);
    }
    const cut = !damage && end > start;
    opts.onProgress?.({ bytesRead: totalBytes, totalBytes, packets: parser.packets });
    return { packets: parser.packets, bytes: parser.bytes, truncatedRecords: cut ? 1 : 0, truncatedAt: cut ? fileOffset + start : -1, damage, timeWentBack: parser.timeWentBack };
  } finally {
    await fh.close();
  }
}

/** The same, over a capture already in memory (tests, benchmarks); synchronous, no pacing. */
export function readPcapBuffer(data: Uint8Array, handler: PacketHandler, name = '<buffer>'): ReadResult {
  const parser = new CaptureParser(name, handler, 0);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let used = 0;
  let damage: ReadDamage | null = null;
  try {
    used = parser.parse(data, dv, 0, data.length, 0);
  } catch (err) {
    damage = damageOf(parser, err);
  }
  if (!parser.headerDone) throw new PcapFormatError(`${name}: empty or too short to be a capture (${data.length} bytes)`);
  const cut = !damage && used < data.length;
  return { packets: parser.packets, bytes: parser.bytes, truncatedRecords: cut ? 1 : 0, truncatedAt: cut ? used : -1, damage, timeWentBack: parser.timeWentBack };
}

/**
 * A structural error after the file header is damage: what came before stands. Before the
 * header (not a capture at all), or any other error, it is rethrown.
 */
function damageOf(parser: CaptureParser, err: unknown): ReadDamage {
  if (!(err instanceof PcapFormatError) || !parser.headerDone || err.offset < 0) throw err;
  return { offset: err.offset, reason: err.detail };
}

const MAGICS = new Set([PCAP_MAGIC_US, PCAP_MAGIC_NS, 0xd4c3b2a1, 0x4d3cb2a1, PCAPNG_SHB]);

/**
 * Before anything else runs: `path` is a regular, readable file that starts like a pcap or
 * pcapng file. Throws a PathError naming `flag` and what the file is instead (a folder, a
 * pipe or device, gzip or another compression, something else).
 */
export function checkCaptureFile(path: string, flag: string): void {
  const head = checkInputFile(path, flag);
  const kind = compressedKind(head);
  if (kind) throw new PathError(`${flag} ${path}: is a ${kind}-compressed file; decompress it first`);
  if (head.length < 4 || !MAGICS.has(new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0, false))) {
    throw new PathError(`${flag} ${path}: not a pcap or pcapng file${head.length === 0 ? ' (empty)' : ''}`);
  }
}
