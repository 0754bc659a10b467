// The bidirectional flow table, the sensor's hot path. Flow state lives in typed-array
// columns indexed by slot (no object per open flow), found through an open-addressing
// hash index on the canonical 5-tuple, and kept in least-recently-seen lists (one per
// timeout class) so idle expiry and eviction of the oldest are O(1) per flow. Per packet:
// no allocation, no promise. A Flow object is built only when a flow is exported.
//
// Time is the packets' own (so a pcap replay is deterministic); advance() moves it for a
// live capture that goes quiet. Timeouts, in seconds of that time:
//   idle, TCP and protocols without ports   idleTimeoutS      (setting --idle-timeout)
//   idle, UDP                               udpIdleTimeoutS   (default 30, at most idleTimeoutS):
//                                           request/response traffic such as DNS ends fast
//   idle, ICMP / ICMPv6                     icmpIdleTimeoutS  (default 10, at most idleTimeoutS):
//                                           an echo and its reply are milliseconds apart
//   after FIN both ways or an RST           closeLingerS      (default 5, at most idleTimeoutS):
//                                           the last ACK and stray retransmissions still join
//                                           the flow (Zeek's tcp_close_delay); a new SYN on the
//                                           same 5-tuple ends it at once and starts a new flow
//   active: a flow open longer is exported  activeTimeoutS    (--active-timeout) and continues as a
//                                           new flow with the same orientation
// Memory: columns start small and double up to maxFlows; at maxFlows a new flow evicts the
// least recently seen one (counted in `evictions`, exported as 'evicted').
import type { PacketHandler } from '../pcap/types.ts';
import type { EndReason, Flow } from './record.ts';
import { END_REASONS } from './record.ts';
import { Decoder, DecodeStatus, PacketInfo, TcpFlag, DECODE_STATUS_NAMES } from '../packet/decode.ts';
import { DnsInfo, dnsName, parseDns } from '../packet/dns.ts';
import type { SourceContext } from './context.ts';
import type { HostTracker } from './host.ts';
import { FlowExporter } from './exporter.ts';
import * as R from './export-record.ts';
import { payloadSanity } from './sanity.ts';
import { FLOW_DEFAULTS } from '../config/stages.ts';

export interface FlowTableOptions {
  /** Written into every flow, and part of its flow_id. */
  sensorId: string;
  /** Unset: the defaults of the settings in lib/config/stages.ts (flowSettings). */
  idleTimeoutS?: number;
  udpIdleTimeoutS?: number;
  icmpIdleTimeoutS?: number;
  closeLingerS?: number;
  activeTimeoutS?: number;
  /** Open flows at most. */
  maxFlows?: number;
  /** Sliding window of the ctx_* fields, seconds. */
  contextWindowS?: number;
  /** Source hosts whose context and host statistics are tracked at most. */
  maxSources?: number;
  /** Each ended flow, built by the table's own exporter (context and host statistics included). */
  onExport?: (flow: Flow) => void;
  /**
   * Instead of onExport: each ended flow as a row (export-record.ts, valid only during the
   * call) and its DNS name, for an exporter elsewhere (lib/flowthread/). ctx_* and host
   * statistics are then that exporter's work.
   */
  onRecord?: (row: Float64Array, dnsName: string | null) => void;
}

export interface FlowTableStats {
  packets: number;
  /** IP bytes of decoded packets. */
  bytes: number;
  decodeErrors: Record<string, number>;
  fragments: number;
  /** Packets decoded into a flow. */
  decoded: number;
  /** Link type of the last packet whose link layer is not decoded (-1: none). */
  unsupportedLinkType: number;
  flowsOpen: number;
  flowsExported: Record<EndReason, number>;
  evictions: number;
  /** Active sources dropped at maxSources (the flow context's and the host tracker's, the larger). */
  sourceEvictions: number;
  /** Active destination services dropped at the same cap (the host tracker's victim-side statistics, lib/flow/service.ts). */
  serviceEvictions: number;
}

// Module-local copies: imported bindings can cost an accessor call per use on the hot path.
const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;
const PSH = TcpFlag.PSH;
const URG = TcpFlag.URG;
// Counters per slot: SYN, SYN-ACK, FIN, RST, PSH, URG, odd flag combinations.
const FLAG_COUNTERS = 7;
const OK = DecodeStatus.NONE;

const NIL = -1;
// Per-slot TCP state bits.
const ST_SYN = 1; // SYN from the initiator
const ST_SYNACK = 2; // SYN-ACK from the responder after it
const ST_HANDSHAKE = 4; // ACK from the initiator after that
const ST_FIN_FWD = 8;
const ST_FIN_REV = 16;
const ST_RST = 32;
const ST_CLOSED_BY_RST = 64; // in the linger class because of an RST (else both FINs)
// Timeout classes, one recency list each.
const C_TCP = 0;
const C_UDP = 1;
const C_ICMP = 2;
const C_OTHER = 3;
const C_CLOSED = 4;
const CLASSES = 5;
const FREE = 255;

const REASON = Object.fromEntries(END_REASONS.map((r, i) => [r, i])) as Record<EndReason, number>;
const SWEEP_INTERVAL_US = 1e6;
const INITIAL_CAPACITY = 4096;

interface DnsState {
  name: string | null;
  qtype: number;
  rcode: number;
}

type Column = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;
function resized<T extends Column>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** murmur3's finalizer: spreads every input bit over the 32-bit result. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class FlowTable implements PacketHandler {
  readonly decoder = new Decoder();
  /** Builds the Flow of each ended flow (unused with onRecord). */
  readonly exporter: FlowExporter;
  // Counters, plain numbers for a metrics module to read.
  /** Packets handed to the table, decodable or not. */
  packets = 0;
  /** IP bytes of the packets that decoded. */
  bytesSeen = 0;
  /** Flows open now. */
  open = 0;
  /** Flows exported to make room at maxFlows. */
  evictions = 0;
  /** Flows exported, by END_REASONS index. */
  readonly exported = new Float64Array(END_REASONS.length);

  private readonly info = new PacketInfo();
  private readonly srcW: Uint32Array;
  private readonly dstW: Uint32Array;
  private readonly dns = new DnsInfo();
  private readonly dnsState = new Map<number, DnsState>();
  /** The row of the flow being exported, reused. */
  private readonly row = new Float64Array(R.RECORD_SLOTS);
  private readonly rowAddrW = new Uint32Array(this.row.buffer, 0, R.ADDR_SLOTS * 2);
  private readonly onRecord: (row: Float64Array, dnsName: string | null) => void;
  private readonly timeoutUs = new Float64Array(CLASSES);
  private readonly activeUs: number;
  private readonly maxFlows: number;
  private cap = 0;

  // Key columns. Addresses: 8 words per slot, initiator (A) then responder (B), IPv4 in word 0.
  private addrW = new Uint32Array(0);
  private ports = new Uint16Array(0); // [2s] A, [2s + 1] B
  private proto = new Uint8Array(0);
  private ipVer = new Uint8Array(0);
  private hash = new Int32Array(0);
  // State columns.
  private state = new Uint8Array(0);
  private cls = new Uint8Array(0); // timeout class, FREE when the slot is unused
  private tsFirst = new Float64Array(0);
  private tsLast = new Float64Array(0);
  private pkts = new Uint32Array(0); // [2s] forward (A to B), [2s + 1] reverse
  private bytes = new Float64Array(0);
  private payload = new Float64Array(0);
  private flags = new Uint32Array(0); // FLAG_COUNTERS per slot
  private sizeMin = new Uint16Array(0);
  private sizeMax = new Uint16Array(0);
  private iatMean = new Float64Array(0);
  private iatM2 = new Float64Array(0);
  private sanity = new Uint8Array(0); // Flow.payload_sanity of the first initiator payload
  // Recency lists (doubly linked through prev/next) per class; free slots chain through next.
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private readonly head = new Int32Array(CLASSES).fill(NIL);
  private readonly tail = new Int32Array(CLASSES).fill(NIL);
  private freeHead = NIL;
  // Index: open addressing, linear probing; entries are slot + 1 (0 = empty).
  private index = new Int32Array(0);
  private mask = 0;

  private now = 0;
  private lastSweep = 0;

  constructor(private readonly opts: FlowTableOptions) {
    const idle = opts.idleTimeoutS ?? FLOW_DEFAULTS.idleTimeoutS;
    this.timeoutUs[C_TCP] = idle * 1e6;
    this.timeoutUs[C_OTHER] = idle * 1e6;
    this.timeoutUs[C_UDP] = (opts.udpIdleTimeoutS ?? Math.min(30, idle)) * 1e6;
    this.timeoutUs[C_ICMP] = (opts.icmpIdleTimeoutS ?? Math.min(10, idle)) * 1e6;
    this.timeoutUs[C_CLOSED] = (opts.closeLingerS ?? Math.min(5, idle)) * 1e6;
    this.activeUs = (opts.activeTimeoutS ?? FLOW_DEFAULTS.activeTimeoutS) * 1e6;
    this.maxFlows = Math.max(1, Math.floor(opts.maxFlows ?? FLOW_DEFAULTS.maxFlows));
    this.exporter = new FlowExporter(opts.sensorId, opts.contextWindowS, opts.maxSources);
    const onExport = opts.onExport;
    if (opts.onRecord) this.onRecord = opts.onRecord;
    else if (onExport) this.onRecord = (row, dnsName) => onExport(this.exporter.build(row, dnsName));
    else throw new Error('FlowTable: onExport or onRecord is needed');
    this.srcW = new Uint32Array(this.info.src.buffer, this.info.src.byteOffset, 4);
    this.dstW = new Uint32Array(this.info.dst.buffer, this.info.dst.byteOffset, 4);
    this.grow(Math.min(this.maxFlows, INITIAL_CAPACITY));
  }

  /** Per-source behavioral context (the ctx_* fields), kept by the exporter. */
  get context(): SourceContext {
    return this.exporter.context;
  }

  /** Per-source behaviour statistics at three time scales (the host tier's input). */
  get hostTracker(): HostTracker {
    return this.exporter.hostTracker;
  }

  /** Slots allocated (open flows fit without growing). */
  get capacity(): number {
    return this.cap;
  }

  onPacket(data: Uint8Array, offset: number, capturedLength: number, _wireLength: number, tsMicros: number, linkType: number): void {
    this.packets++;
    if (tsMicros > this.now) {
      this.now = tsMicros;
      if (tsMicros - this.lastSweep >= SWEEP_INTERVAL_US) this.sweep();
    }
    const p = this.info;
    if (this.decoder.decode(data, offset, capturedLength, linkType, p) !== OK) return;
    this.bytesSeen += p.ipLength;
    const h = this.hashOf(p);
    let s = this.find(p, h);
    let fwd = true;
    if (s !== NIL) {
      fwd = this.isForward(s, p);
      const st = this.state[s]!;
      if (p.protocol === 6 && (p.tcpFlags & (SYN | ACK)) === SYN && st & (ST_FIN_FWD | ST_FIN_REV | ST_RST)) {
        // A new connection on the 5-tuple of one that is closing or closed.
        this.export(s, this.cls[s] === C_CLOSED ? this.closeReason(s) : st & ST_RST ? 'rst' : 'fin');
        s = NIL;
        fwd = true;
      } else if (tsMicros - this.tsFirst[s]! >= this.activeUs) {
        this.export(s, 'active');
        // The continuation keeps the initiator of the flow it continues.
        s = this.create(p, h, tsMicros, !fwd);
      } else this.touch(s);
    }
    if (s === NIL) {
      // A TCP flow first seen mid-stream (the sensor started, or the capture began, after its
      // SYN) from a service port to an ephemeral one is the server speaking: its client is the
      // initiator. Oriented by the first packet, the server would look like a host opening
      // connections from port 22 to random high ports, which no baseline has.
      fwd = !(p.protocol === 6 && (p.tcpFlags & SYN) === 0 && p.srcPort < 1024 && p.dstPort >= 1024);
      s = this.create(p, h, tsMicros, !fwd);
    }
    this.update(s, fwd, tsMicros, data);
  }

  /** Moves time to `nowMicros` (if later) and exports what timed out: for a live capture's quiet times. */
  advance(nowMicros: number): void {
    if (nowMicros > this.now) this.now = nowMicros;
    this.sweep();
  }

  /**
   * Exports every open flow (at most `limit` of them: called again, it goes on in the same
   * order): end of input or shutdown. Flows already closed keep 'fin'/'rst'. Returns the
   * flows still open.
   */
  flush(reason: EndReason = 'shutdown', limit = Infinity): number {
    let n = 0;
    for (let c = 0; c < CLASSES; c++) {
      while (this.head[c] !== NIL && n++ < limit) {
        const s = this.head[c]!;
        this.export(s, c === C_CLOSED ? this.closeReason(s) : reason);
      }
    }
    return this.open;
  }

  stats(): FlowTableStats {
    const decodeErrors: Record<string, number> = {};
    DECODE_STATUS_NAMES.forEach((n, i) => {
      if (i > 0) decodeErrors[n] = this.decoder.errors[i]!;
    });
    const flowsExported = Object.fromEntries(END_REASONS.map((r, i) => [r, this.exported[i]!])) as Record<EndReason, number>;
    return { packets: this.packets, bytes: this.bytesSeen, decodeErrors, fragments: this.decoder.fragments, decoded: this.decoder.decoded, unsupportedLinkType: this.decoder.unsupportedLinkType, flowsOpen: this.open, flowsExported, evictions: this.evictions, sourceEvictions: this.exporter.sourceEvictions, serviceEvictions: this.exporter.serviceEvictions };
  }

  private sweep(): void {
    this.lastSweep = this.now;
    for (let c = 0; c < CLASSES; c++) {
      const limit = this.now - this.timeoutUs[c]!;
      while (this.head[c] !== NIL && this.tsLast[this.head[c]!]! <= limit) {
        const s = this.head[c]!;
        this.export(s, c === C_CLOSED ? this.closeReason(s) : 'idle');
      }
    }
  }

  private closeReason(s: number): EndReason {
    return this.state[s]! & ST_CLOSED_BY_RST ? 'rst' : 'fin';
  }

  /** Symmetric in the two endpoints, so both directions of a flow hash alike. */
  private hashOf(p: PacketInfo): number {
    const a = this.srcW;
    const b = this.dstW;
    let ea: number;
    let eb: number;
    if (p.ipVersion === 4) {
      ea = fmix(a[0]! + Math.imul(p.srcPort + 1, 0x9e3779b1));
      eb = fmix(b[0]! + Math.imul(p.dstPort + 1, 0x9e3779b1));
    } else {
      ea = fmix(a[0]! ^ fmix(a[1]! ^ fmix(a[2]! ^ fmix(a[3]! + Math.imul(p.srcPort + 1, 0x9e3779b1)))));
      eb = fmix(b[0]! ^ fmix(b[1]! ^ fmix(b[2]! ^ fmix(b[3]! + Math.imul(p.dstPort + 1, 0x9e3779b1)))));
    }
    return fmix((ea + eb) ^ Math.imul(p.protocol + 1, 0x27d4eb2d)) | 0;
  }

  private find(p: PacketInfo, h: number): number {
    const index = this.index;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) return NIL;
      if (this.hash[e - 1] === h && this.matches(e - 1, p)) return e - 1;
    }
  }

  private matches(s: number, p: PacketInfo): boolean {
    if (this.proto[s] !== p.protocol || this.ipVer[s] !== p.ipVersion) return false;
    const w = this.addrW;
    const o = s * 8;
    const pa = this.ports[2 * s]!;
    const pb = this.ports[2 * s + 1]!;
    const src = this.srcW;
    const dst = this.dstW;
    if (p.ipVersion === 4) {
      if (pa === p.srcPort && pb === p.dstPort && w[o] === src[0] && w[o + 4] === dst[0]) return true;
      return pa === p.dstPort && pb === p.srcPort && w[o] === dst[0] && w[o + 4] === src[0];
    }
    if (pa === p.srcPort && pb === p.dstPort && w[o] === src[0] && w[o + 1] === src[1] && w[o + 2] === src[2] && w[o + 3] === src[3] && w[o + 4] === dst[0] && w[o + 5] === dst[1] && w[o + 6] === dst[2] && w[o + 7] === dst[3]) return true;
    return pa === p.dstPort && pb === p.srcPort && w[o] === dst[0] && w[o + 1] === dst[1] && w[o + 2] === dst[2] && w[o + 3] === dst[3] && w[o + 4] === src[0] && w[o + 5] === src[1] && w[o + 6] === src[2] && w[o + 7] === src[3];
  }

  /** Whether the packet goes initiator to responder (a host talking to itself on one port: yes). */
  private isForward(s: number, p: PacketInfo): boolean {
    if (this.ports[2 * s] !== p.srcPort) return false;
    const w = this.addrW;
    const o = s * 8;
    const src = this.srcW;
    if (p.ipVersion === 4) return w[o] === src[0];
    return w[o] === src[0] && w[o + 1] === src[1] && w[o + 2] === src[2] && w[o + 3] === src[3];
  }

  /** A new flow for the packet in `p`; `reversed`: its receiver is the initiator. */
  private create(p: PacketInfo, h: number, ts: number, reversed: boolean): number {
    if (this.freeHead === NIL) {
      if (this.cap < this.maxFlows) this.grow(Math.min(this.maxFlows, this.cap * 2));
      else {
        this.evictions++;
        this.export(this.leastRecent(), 'evicted');
      }
    }
    const s = this.freeHead;
    this.freeHead = this.next[s]!;
    const w = this.addrW;
    const o = s * 8;
    const a = reversed ? this.dstW : this.srcW;
    const b = reversed ? this.srcW : this.dstW;
    w[o] = a[0]!;
    w[o + 4] = b[0]!;
    if (p.ipVersion === 6) {
      w[o + 1] = a[1]!;
      w[o + 2] = a[2]!;
      w[o + 3] = a[3]!;
      w[o + 5] = b[1]!;
      w[o + 6] = b[2]!;
      w[o + 7] = b[3]!;
    }
    this.ports[2 * s] = reversed ? p.dstPort : p.srcPort;
    this.ports[2 * s + 1] = reversed ? p.srcPort : p.dstPort;
    this.proto[s] = p.protocol;
    this.ipVer[s] = p.ipVersion;
    this.hash[s] = h;
    this.state[s] = 0;
    this.tsFirst[s] = ts;
    this.tsLast[s] = ts;
    this.pkts[2 * s] = this.pkts[2 * s + 1] = 0;
    this.bytes[2 * s] = this.bytes[2 * s + 1] = 0;
    this.payload[2 * s] = this.payload[2 * s + 1] = 0;
    this.flags.fill(0, s * FLAG_COUNTERS, s * FLAG_COUNTERS + FLAG_COUNTERS);
    this.sizeMin[s] = 0xffff;
    this.sizeMax[s] = 0;
    this.iatMean[s] = 0;
    this.iatM2[s] = 0;
    this.sanity[s] = 0;
    const index = this.index;
    let i = h & this.mask;
    while (index[i] !== 0) i = (i + 1) & this.mask;
    index[i] = s + 1;
    const c = p.protocol === 6 ? C_TCP : p.protocol === 17 ? C_UDP : p.protocol === 1 || p.protocol === 58 ? C_ICMP : C_OTHER;
    this.cls[s] = c;
    this.append(s, c);
    this.open++;
    return s;
  }

  private leastRecent(): number {
    let best = NIL;
    for (let c = 0; c < CLASSES; c++) {
      const s = this.head[c]!;
      if (s !== NIL && (best === NIL || this.tsLast[s]! < this.tsLast[best]!)) best = s;
    }
    return best;
  }

  private append(s: number, c: number): void {
    const t = this.tail[c]!;
    this.prev[s] = t;
    this.next[s] = NIL;
    if (t !== NIL) this.next[t] = s;
    else this.head[c] = s;
    this.tail[c] = s;
  }

  private unlink(s: number): void {
    const c = this.cls[s]!;
    const pv = this.prev[s]!;
    const nx = this.next[s]!;
    if (pv !== NIL) this.next[pv] = nx;
    else this.head[c] = nx;
    if (nx !== NIL) this.prev[nx] = pv;
    else this.tail[c] = pv;
  }

  /** Most recently seen: to the tail of its list. */
  private touch(s: number): void {
    if (this.tail[this.cls[s]!] === s) return;
    this.unlink(s);
    this.append(s, this.cls[s]!);
  }

  private update(s: number, fwd: boolean, ts: number, data: Uint8Array): void {
    const p = this.info;
    const d = fwd ? 0 : 1;
    const n = this.pkts[2 * s]! + this.pkts[2 * s + 1]!;
    if (n > 0) {
      // Welford's running mean and variance of inter-arrival times (reordered packets: gap 0).
      const last = this.tsLast[s]!;
      const gap = ts > last ? ts - last : 0;
      const mean = this.iatMean[s]!;
      const delta = gap - mean;
      const m = mean + delta / n;
      this.iatMean[s] = m;
      this.iatM2[s]! += delta * (gap - m);
      if (ts > last) this.tsLast[s] = ts;
    }
    this.pkts[2 * s + d]!++;
    this.bytes[2 * s + d]! += p.ipLength;
    this.payload[2 * s + d]! += p.payloadLength;
    if (fwd && this.sanity[s] === 0 && p.payloadCaptured > 0) this.sanity[s] = payloadSanity(p.protocol, this.ports[2 * s + 1]!, data, p.payloadOffset, p.payloadCaptured);
    const size = p.ipLength < 0xffff ? p.ipLength : 0xffff;
    if (size < this.sizeMin[s]!) this.sizeMin[s] = size;
    if (size > this.sizeMax[s]!) this.sizeMax[s] = size;
    if (p.protocol === 6) this.updateTcp(s, fwd);
    else if (p.protocol !== 17) return;
    if ((p.srcPort === 53 || p.dstPort === 53) && p.payloadCaptured > 0) this.updateDns(s, data);
  }

  private updateTcp(s: number, fwd: boolean): void {
    const f = this.info.tcpFlags;
    const o = s * FLAG_COUNTERS;
    let st = this.state[s]!;
    const before = st;
    if (f & SYN) {
      if (f & ACK) {
        this.flags[o + 1]!++;
        if (!fwd && st & ST_SYN) st |= ST_SYNACK;
      } else {
        this.flags[o]!++;
        if (fwd) st |= ST_SYN;
      }
    } else if (fwd && f & ACK && st & ST_SYNACK) st |= ST_HANDSHAKE;
    if (f & FIN) {
      this.flags[o + 2]!++;
      st |= fwd ? ST_FIN_FWD : ST_FIN_REV;
    }
    if (f & RST) {
      this.flags[o + 3]!++;
      st |= ST_RST;
    }
    if (f & PSH) this.flags[o + 4]!++;
    if (f & URG) this.flags[o + 5]!++;
    // Flags no TCP stack sends: a segment without SYN, ACK or RST (a FIN, NULL or XMAS scan's
    // probe), or SYN together with FIN or RST (OS fingerprinting, evasion).
    if ((f & (SYN | ACK | RST)) === 0 || (f & SYN && f & (FIN | RST))) this.flags[o + 6]!++;
    if (st !== before && this.cls[s] !== C_CLOSED && (st & ST_RST || (st & ST_FIN_FWD && st & ST_FIN_REV))) {
      // Closed: linger briefly for the last ACK, then export.
      if (st & ST_RST) st |= ST_CLOSED_BY_RST;
      this.unlink(s);
      this.cls[s] = C_CLOSED;
      this.append(s, C_CLOSED);
    }
    this.state[s] = st;
  }

  private updateDns(s: number, data: Uint8Array): void {
    const p = this.info;
    const dns = this.dns;
    if (!parseDns(data, p.payloadOffset, p.payloadCaptured, dns, p.protocol === 6)) return;
    let d = this.dnsState.get(s);
    if (!d) {
      d = { name: null, qtype: -1, rcode: -1 };
      this.dnsState.set(s, d);
    }
    // The first query's name and type (a response's question when the query was missed).
    if (d.name === null) {
      d.name = dnsName(data, dns);
      d.qtype = dns.qtype;
    }
    if (dns.isResponse && d.rcode < 0) d.rcode = dns.rcode;
  }

  private export(s: number, reason: EndReason): void {
    // Out of the index; backward-shift deletion keeps every probe chain intact.
    const index = this.index;
    const mask = this.mask;
    let i = this.hash[s]! & mask;
    while (index[i] !== s + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.hash[index[j]! - 1]! & mask;
      // Move the entry at j into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
    this.unlink(s);
    this.cls[s] = FREE;
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.open--;
    this.exported[REASON[reason]]!++;
    this.writeRow(s, reason);
    const dns = this.dnsState.get(s);
    this.dnsState.delete(s);
    this.onRecord(this.row, dns?.name ?? null);
  }

  /** The slot's state into `row` (layout: export-record.ts). */
  private writeRow(s: number, reason: EndReason): void {
    const r = this.row;
    const addr = this.addrW;
    const rowAddrW = this.rowAddrW;
    for (let i = 0; i < 8; i++) rowAddrW[i] = addr[s * 8 + i]!;
    const st = this.state[s]!;
    const proto = this.proto[s]!;
    r[R.R_IP_VERSION] = this.ipVer[s]!;
    r[R.R_PROTOCOL] = proto;
    r[R.R_SRC_PORT] = this.ports[2 * s]!;
    r[R.R_DST_PORT] = this.ports[2 * s + 1]!;
    r[R.R_TS_FIRST] = this.tsFirst[s]!;
    r[R.R_TS_LAST] = this.tsLast[s]!;
    r[R.R_PKTS_FWD] = this.pkts[2 * s]!;
    r[R.R_PKTS_REV] = this.pkts[2 * s + 1]!;
    r[R.R_BYTES_FWD] = this.bytes[2 * s]!;
    r[R.R_BYTES_REV] = this.bytes[2 * s + 1]!;
    r[R.R_PAYLOAD_FWD] = this.payload[2 * s]!;
    r[R.R_PAYLOAD_REV] = this.payload[2 * s + 1]!;
    for (let i = 0; i < FLAG_COUNTERS; i++) r[R.R_FLAGS + i] = this.flags[s * FLAG_COUNTERS + i]!;
    r[R.R_HANDSHAKE] = st & ST_HANDSHAKE ? 1 : 0;
    r[R.R_SYN_ONLY] = proto === 6 && (st & ST_SYN) !== 0 && (st & ST_SYNACK) === 0 ? 1 : 0;
    r[R.R_SIZE_MIN] = this.sizeMin[s]!;
    r[R.R_SIZE_MAX] = this.sizeMax[s]!;
    r[R.R_IAT_MEAN] = this.iatMean[s]!;
    r[R.R_IAT_M2] = this.iatM2[s]!;
    r[R.R_SANITY] = this.sanity[s]!;
    r[R.R_REASON] = REASON[reason];
    const dns = this.dnsState.get(s);
    r[R.R_DNS] = dns ? 1 : 0;
    r[R.R_DNS_QTYPE] = dns ? dns.qtype : -1;
    r[R.R_DNS_RCODE] = dns ? dns.rcode : -1;
  }

  /** Reallocates every column for `n` slots and rebuilds the index (load factor <= 1/2). */
  private grow(n: number): void {
    const old = this.cap;
    this.addrW = resized(this.addrW, n * 8);
    this.ports = resized(this.ports, n * 2);
    this.proto = resized(this.proto, n);
    this.ipVer = resized(this.ipVer, n);
    this.hash = resized(this.hash, n);
    this.state = resized(this.state, n);
    this.cls = resized(this.cls, n);
    this.tsFirst = resized(this.tsFirst, n);
    this.tsLast = resized(this.tsLast, n);
    this.pkts = resized(this.pkts, n * 2);
    this.bytes = resized(this.bytes, n * 2);
    this.payload = resized(this.payload, n * 2);
    this.flags = resized(this.flags, n * FLAG_COUNTERS);
    this.sizeMin = resized(this.sizeMin, n);
    this.sizeMax = resized(this.sizeMax, n);
    this.iatMean = resized(this.iatMean, n);
    this.iatM2 = resized(this.iatM2, n);
    this.sanity = resized(this.sanity, n);
    this.prev = resized(this.prev, n);
    this.next = resized(this.next, n);
    // New slots join the free list, lowest first.
    for (let s = n - 1; s >= old; s--) {
      this.cls[s] = FREE;
      this.next[s] = this.freeHead;
      this.freeHead = s;
    }
    this.cap = n;
    let size = 1;
    while (size < n * 2) size <<= 1;
    this.index = new Int32Array(size);
    this.mask = size - 1;
    for (let s = 0; s < old; s++) {
      if (this.cls[s] === FREE) continue;
      let i = this.hash[s]! & this.mask;
      while (this.index[i] !== 0) i = (i + 1) & this.mask;
      this.index[i] = s + 1;
    }
  }
}

export { flowId } from './flow-id.ts';
