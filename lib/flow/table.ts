// The bidirectional flow table, the sensor's hot path. Flow state lives in typed-array
// columns indexed by slot (no object per flow while it is open), found through an
// open-addressing hash index on the canonical 5-tuple, and kept in a least-recently-seen
// list so idle expiry and eviction of the oldest are O(1) per flow. Per packet: no
// allocation, no promise. A Flow object is built only when a flow is exported.
import type { PacketHandler } from '../pcap/types.ts';
import type { EndReason, Flow } from './record.ts';
import { END_REASONS } from './record.ts';
import { Decoder, DecodeError, PacketInfo, TcpFlag, formatAddress, DECODE_ERROR_NAMES } from '../packet/decode.ts';
import { DnsInfo, dnsName, entropy, parseDns } from '../packet/dns.ts';
import { communityId } from './community-id.ts';
import { SourceContext, type ContextValues } from './context.ts';

export interface FlowTableOptions {
  sensorId: string;
  /** Seconds without a packet before a flow is exported (idle). */
  idleTimeoutS?: number;
  /** Longest a flow stays open before it is exported (active) and continues as a new flow. */
  activeTimeoutS?: number;
  /** Open flows at most; a new flow beyond it evicts the least recently seen. */
  maxFlows?: number;
  contextWindowS?: number;
  onExport: (flow: Flow) => void;
}

export interface FlowTableStats {
  packets: number;
  bytes: number;
  decodeErrors: Record<string, number>;
  fragments: number;
  flowsOpen: number;
  flowsExported: Record<EndReason, number>;
  evictions: number;
}

const NIL = -1;
const ST_SYN = 1; // SYN from the initiator seen
const ST_SYNACK = 2;
const ST_HANDSHAKE = 4; // ACK after SYN-ACK from the initiator
const ST_FIN_FWD = 8;
const ST_FIN_REV = 16;
const ST_CLOSING = 32; // both FINs seen: export with the next packet or at idle
const ST_RST = 64;
const ST_DONE = 128; // the packet after both FINs arrived: export now

const REASON_INDEX: Record<EndReason, number> = Object.fromEntries(END_REASONS.map((r, i) => [r, i])) as Record<EndReason, number>;

export class FlowTable implements PacketHandler {
  readonly decoder = new Decoder();
  private readonly info = new PacketInfo();
  private readonly dns = new DnsInfo();
  private readonly ctxOut: ContextValues = { distinctDstPorts: 0, distinctDstHosts: 0, synOnlyShare: 0, flowsPerSecond: 0 };
  readonly context: SourceContext;

  private readonly cap: number;
  private readonly idleUs: number;
  private readonly activeUs: number;
  // Key: the initiator's endpoint is A (first packet's sender).
  private readonly addrA: Uint8Array;
  private readonly addrB: Uint8Array;
  private readonly portA: Uint16Array;
  private readonly portB: Uint16Array;
  private readonly proto: Uint8Array;
  private readonly ipVer: Uint8Array;
  private readonly state: Uint8Array;
  private readonly hash: Int32Array;
  // Counters.
  private readonly tsFirst: Float64Array;
  private readonly tsLast: Float64Array;
  private readonly pkts: Float64Array; // [2 * slot] fwd, [2 * slot + 1] rev
  private readonly bytes: Float64Array;
  private readonly payload: Float64Array;
  private readonly flags: Uint32Array; // 6 per slot: syn, synack, fin, rst, psh, urg
  private readonly sizeMin: Uint32Array;
  private readonly sizeMax: Uint32Array;
  private readonly sizeSum: Float64Array;
  private readonly iatMean: Float64Array;
  private readonly iatM2: Float64Array;
  private readonly dnsQtype: Int16Array;
  private readonly dnsRcode: Int16Array;
  private readonly dnsName: (string | null)[];
  // Least-recently-seen list and free list.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = NIL;
  private tail = NIL;
  private freeTop = 0;
  private readonly free: Int32Array;
  // Index: open addressing, linear probing, slot + 1 (0 = empty).
  private readonly index: Int32Array;
  private readonly mask: number;

  private now = 0;
  private lastSweep = 0;
  packets = 0;
  bytesSeen = 0;
  open = 0;
  evictions = 0;
  readonly exported = new Float64Array(END_REASONS.length);

  constructor(private readonly opts: FlowTableOptions) {
    const cap = opts.maxFlows ?? 1_000_000;
    this.cap = cap;
    this.idleUs = (opts.idleTimeoutS ?? 60) * 1e6;
    this.activeUs = (opts.activeTimeoutS ?? 300) * 1e6;
    this.context = new SourceContext(opts.contextWindowS ?? 60);
    this.addrA = new Uint8Array(cap * 16);
    this.addrB = new Uint8Array(cap * 16);
    this.portA = new Uint16Array(cap);
    this.portB = new Uint16Array(cap);
    this.proto = new Uint8Array(cap);
    this.ipVer = new Uint8Array(cap);
    this.state = new Uint8Array(cap);
    this.hash = new Int32Array(cap);
    this.tsFirst = new Float64Array(cap);
    this.tsLast = new Float64Array(cap);
    this.pkts = new Float64Array(cap * 2);
    this.bytes = new Float64Array(cap * 2);
    this.payload = new Float64Array(cap * 2);
    this.flags = new Uint32Array(cap * 6);
    this.sizeMin = new Uint32Array(cap);
    this.sizeMax = new Uint32Array(cap);
    this.sizeSum = new Float64Array(cap);
    this.iatMean = new Float64Array(cap);
    this.iatM2 = new Float64Array(cap);
    this.dnsQtype = new Int16Array(cap);
    this.dnsRcode = new Int16Array(cap);
    this.dnsName = new Array<string | null>(cap).fill(null);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i;
    this.freeTop = cap;
    let size = 1;
    while (size < cap * 2) size <<= 1;
    this.index = new Int32Array(size);
    this.mask = size - 1;
  }

  onPacket(data: Uint8Array, offset: number, capturedLength: number, _wireLength: number, tsMicros: number, linkType: number): void {
    this.packets++;
    if (tsMicros > this.now) this.now = tsMicros;
    if (this.now - this.lastSweep >= 1e6) this.advance(this.now);
    const p = this.info;
    if (this.decoder.decode(data, offset, capturedLength, linkType, p) !== DecodeError.NONE) return;
    this.bytesSeen += p.ipLength;
    const h = this.hashOf(p);
    let slot = this.find(p, h);
    let fwd = true;
    if (slot !== NIL) {
      fwd = this.isForward(slot, p);
      if (tsMicros - this.tsFirst[slot]! >= this.activeUs) {
        this.export(slot, 'active');
        slot = NIL;
      }
    }
    if (slot === NIL) {
      slot = this.create(p, h, tsMicros);
      fwd = true;
    } else this.touch(slot);
    const st = this.update(slot, fwd, tsMicros, data);
    if (st & ST_RST) this.export(slot, 'rst');
    else if (st & ST_DONE) this.export(slot, 'fin');
  }

  /** Exports flows idle at `nowMicros` (live capture calls this on a timer). */
  advance(nowMicros: number): void {
    if (nowMicros > this.now) this.now = nowMicros;
    this.lastSweep = this.now;
    while (this.head !== NIL && this.now - this.tsLast[this.head]! >= this.idleUs) {
      const s = this.head;
      this.export(s, this.state[s]! & ST_CLOSING ? 'fin' : 'idle');
    }
  }

  /** Exports every open flow (end of input, or shutdown). */
  flush(reason: EndReason = 'shutdown'): void {
    while (this.head !== NIL) {
      const s = this.head;
      this.export(s, this.state[s]! & ST_CLOSING ? 'fin' : reason);
    }
  }

  stats(): FlowTableStats {
    const decodeErrors: Record<string, number> = {};
    DECODE_ERROR_NAMES.forEach((n, i) => {
      if (i > 0) decodeErrors[n] = this.decoder.errors[i]!;
    });
    const flowsExported = Object.fromEntries(END_REASONS.map((r, i) => [r, this.exported[i]!])) as Record<EndReason, number>;
    return { packets: this.packets, bytes: this.bytesSeen, decodeErrors, fragments: this.decoder.fragments, flowsOpen: this.open, flowsExported, evictions: this.evictions };
  }

  private hashOf(p: PacketInfo): number {
    // Symmetric: combine both endpoints order-independently, so either direction hashes alike.
    let ha = 0x811c9dc5;
    let hb = 0x811c9dc5;
    const n = p.ipVersion === 4 ? 4 : 16;
    for (let i = 0; i < n; i++) {
      ha = Math.imul(ha ^ p.src[i]!, 0x01000193);
      hb = Math.imul(hb ^ p.dst[i]!, 0x01000193);
    }
    ha = Math.imul(ha ^ p.srcPort, 0x01000193);
    hb = Math.imul(hb ^ p.dstPort, 0x01000193);
    let h = (ha ^ hb) + Math.imul(ha + hb, 0x9e3779b1);
    h = Math.imul(h ^ p.protocol ^ (h >>> 15), 0x85ebca6b);
    return (h ^ (h >>> 13)) | 0;
  }

  private matches(slot: number, p: PacketInfo): boolean {
    if (this.proto[slot] !== p.protocol || this.ipVer[slot] !== p.ipVersion) return false;
    const n = p.ipVersion === 4 ? 4 : 16;
    const o = slot * 16;
    let same = this.portA[slot] === p.srcPort && this.portB[slot] === p.dstPort;
    for (let i = 0; same && i < n; i++) same = this.addrA[o + i] === p.src[i] && this.addrB[o + i] === p.dst[i];
    if (same) return true;
    if (this.portA[slot] !== p.dstPort || this.portB[slot] !== p.srcPort) return false;
    for (let i = 0; i < n; i++) if (this.addrA[o + i] !== p.dst[i] || this.addrB[o + i] !== p.src[i]) return false;
    return true;
  }

  private isForward(slot: number, p: PacketInfo): boolean {
    if (this.portA[slot] !== p.srcPort) return false;
    const n = p.ipVersion === 4 ? 4 : 16;
    const o = slot * 16;
    for (let i = 0; i < n; i++) if (this.addrA[o + i] !== p.src[i]) return false;
    // Same address and port on both ends (a host talking to itself on one port): forward.
    return true;
  }

  private find(p: PacketInfo, h: number): number {
    let i = h & this.mask;
    for (;;) {
      const e = this.index[i]!;
      if (e === 0) return NIL;
      const s = e - 1;
      if (this.hash[s] === h && this.matches(s, p)) return s;
      i = (i + 1) & this.mask;
    }
  }

  private create(p: PacketInfo, h: number, ts: number): number {
    if (this.freeTop === 0) {
      this.evictions++;
      this.export(this.head, 'evicted');
    }
    const s = this.free[--this.freeTop]!;
    const o = s * 16;
    this.addrA.fill(0, o, o + 16);
    this.addrB.fill(0, o, o + 16);
    const n = p.ipVersion === 4 ? 4 : 16;
    for (let i = 0; i < n; i++) {
      this.addrA[o + i] = p.src[i]!;
      this.addrB[o + i] = p.dst[i]!;
    }
    this.portA[s] = p.srcPort;
    this.portB[s] = p.dstPort;
    this.proto[s] = p.protocol;
    this.ipVer[s] = p.ipVersion;
    this.state[s] = 0;
    this.hash[s] = h;
    this.tsFirst[s] = ts;
    this.tsLast[s] = ts;
    this.pkts[2 * s] = this.pkts[2 * s + 1] = 0;
    this.bytes[2 * s] = this.bytes[2 * s + 1] = 0;
    this.payload[2 * s] = this.payload[2 * s + 1] = 0;
    this.flags.fill(0, s * 6, s * 6 + 6);
    this.sizeMin[s] = 0xffffffff;
    this.sizeMax[s] = 0;
    this.sizeSum[s] = 0;
    this.iatMean[s] = 0;
    this.iatM2[s] = 0;
    this.dnsQtype[s] = -1;
    this.dnsRcode[s] = -1;
    this.dnsName[s] = null;
    let i = h & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = s + 1;
    // Append to the tail of the recency list.
    this.prev[s] = this.tail;
    this.next[s] = NIL;
    if (this.tail !== NIL) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
    this.open++;
    return s;
  }

  private touch(s: number): void {
    if (this.tail === s) return;
    const pv = this.prev[s]!;
    const nx = this.next[s]!;
    if (pv !== NIL) this.next[pv] = nx;
    else this.head = nx;
    this.prev[nx] = pv;
    this.prev[s] = this.tail;
    this.next[s] = NIL;
    this.next[this.tail] = s;
    this.tail = s;
  }

  /** Adds the packet to slot `s`; returns the new state (ST_RST / ST_DONE: export now). */
  private update(s: number, fwd: boolean, ts: number, data: Uint8Array): number {
    const p = this.info;
    const d = fwd ? 0 : 1;
    const n = this.pkts[2 * s]! + this.pkts[2 * s + 1]!;
    if (n > 0) {
      // Welford's running mean and variance of inter-arrival times.
      const gap = ts - this.tsLast[s]!;
      const delta = gap - this.iatMean[s]!;
      this.iatMean[s]! += delta / n;
      this.iatM2[s]! += delta * (gap - this.iatMean[s]!);
    }
    if (ts > this.tsLast[s]!) this.tsLast[s] = ts;
    this.pkts[2 * s + d]!++;
    this.bytes[2 * s + d]! += p.ipLength;
    this.payload[2 * s + d]! += p.payloadLength;
    if (p.ipLength < this.sizeMin[s]!) this.sizeMin[s] = p.ipLength;
    if (p.ipLength > this.sizeMax[s]!) this.sizeMax[s] = p.ipLength;
    this.sizeSum[s]! += p.ipLength;
    let st = this.state[s]!;
    // The packet after both FINs (the last ACK) still belongs to the flow, then it is done.
    if (st & ST_CLOSING) st |= ST_DONE;
    if (p.protocol === 6) {
      const f = p.tcpFlags;
      const o = s * 6;
      if (f & TcpFlag.SYN) {
        if (f & TcpFlag.ACK) {
          this.flags[o + 1]!++;
          if (!fwd && st & ST_SYN) st |= ST_SYNACK;
        } else {
          this.flags[o]!++;
          if (fwd) st |= ST_SYN;
        }
      } else if (fwd && f & TcpFlag.ACK && st & ST_SYNACK) st |= ST_HANDSHAKE;
      if (f & TcpFlag.FIN) {
        this.flags[o + 2]!++;
        st |= fwd ? ST_FIN_FWD : ST_FIN_REV;
      }
      if (f & TcpFlag.RST) {
        this.flags[o + 3]!++;
        st |= ST_RST;
      }
      if (f & TcpFlag.PSH) this.flags[o + 4]!++;
      if (f & TcpFlag.URG) this.flags[o + 5]!++;
    }
    if ((p.protocol === 17 || p.protocol === 6) && (p.srcPort === 53 || p.dstPort === 53) && p.payloadCaptured > 0) {
      if (parseDns(data, p.payloadOffset, p.payloadCaptured, this.dns, p.protocol === 6)) {
        if (!this.dns.isResponse && this.dnsName[s] === null) {
          this.dnsName[s] = dnsName(data, this.dns);
          this.dnsQtype[s] = this.dns.qtype;
        } else if (this.dns.isResponse) {
          if (this.dnsRcode[s]! < 0) this.dnsRcode[s] = this.dns.rcode;
          if (this.dnsName[s] === null) {
            this.dnsName[s] = dnsName(data, this.dns);
            this.dnsQtype[s] = this.dns.qtype;
          }
        }
      }
    }
    if ((st & (ST_FIN_FWD | ST_FIN_REV)) === (ST_FIN_FWD | ST_FIN_REV)) st |= ST_CLOSING;
    this.state[s] = st;
    return st;
  }

  private export(s: number, reason: EndReason): void {
    // Unlink from the index (backward-shift deletion keeps probe chains intact).
    let i = this.hash[s]! & this.mask;
    while (this.index[i] !== s + 1) i = (i + 1) & this.mask;
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const e = this.index[j]!;
      if (e === 0) break;
      const k = this.hash[e - 1]! & this.mask;
      // Move e back into the hole at i if its home position does not lie in (i, j].
      if (i <= j ? k <= i || k > j : k <= i && k > j) {
        this.index[i] = e;
        i = j;
      }
    }
    this.index[i] = 0;
    const pv = this.prev[s]!;
    const nx = this.next[s]!;
    if (pv !== NIL) this.next[pv] = nx;
    else this.head = nx;
    if (nx !== NIL) this.prev[nx] = pv;
    else this.tail = pv;
    this.free[this.freeTop++] = s;
    this.open--;
    this.exported[REASON_INDEX[reason]]!++;
    this.opts.onExport(this.toFlow(s, reason));
  }

  private toFlow(s: number, reason: EndReason): Flow {
    const v = this.ipVer[s]!;
    const n = v === 4 ? 4 : 16;
    const a = this.addrA.slice(s * 16, s * 16 + n);
    const b = this.addrB.slice(s * 16, s * 16 + n);
    const proto = this.proto[s]!;
    const src_ip = formatAddress(a, v);
    const dst_ip = formatAddress(b, v);
    const cid = communityId(a, b, proto, this.portA[s]!, this.portB[s]!);
    const o = s * 6;
    const packetsTotal = this.pkts[2 * s]! + this.pkts[2 * s + 1]!;
    const st = this.state[s]!;
    const synOnly = proto === 6 && (st & ST_SYN) !== 0 && (st & ST_SYNACK) === 0;
    const ts_start = this.tsFirst[s]!;
    this.context.observe(src_ip, dst_ip, `${proto}/${this.portB[s]}`, synOnly, ts_start, this.ctxOut);
    const name = this.dnsName[s] ?? null;
    this.dnsName[s] = null;
    const iatN = packetsTotal - 1;
    return {
      sensor_id: this.opts.sensorId,
      flow_id: flowId(this.opts.sensorId, cid, ts_start),
      community_id: cid,
      ts_start,
      ts_end: this.tsLast[s]!,
      ip_version: v,
      src_ip,
      dst_ip,
      src_port: this.portA[s]!,
      dst_port: this.portB[s]!,
      protocol: proto,
      packets_fwd: this.pkts[2 * s]!,
      packets_rev: this.pkts[2 * s + 1]!,
      bytes_fwd: this.bytes[2 * s]!,
      bytes_rev: this.bytes[2 * s + 1]!,
      payload_bytes_fwd: this.payload[2 * s]!,
      payload_bytes_rev: this.payload[2 * s + 1]!,
      syn_count: this.flags[o]!,
      synack_count: this.flags[o + 1]!,
      fin_count: this.flags[o + 2]!,
      rst_count: this.flags[o + 3]!,
      psh_count: this.flags[o + 4]!,
      urg_count: this.flags[o + 5]!,
      handshake_complete: (st & ST_HANDSHAKE) !== 0,
      pkt_size_min: packetsTotal > 0 ? this.sizeMin[s]! : 0,
      pkt_size_max: this.sizeMax[s]!,
      pkt_size_mean: packetsTotal > 0 ? this.sizeSum[s]! / packetsTotal : 0,
      iat_mean_us: iatN > 0 ? this.iatMean[s]! : 0,
      iat_std_us: iatN > 1 ? Math.sqrt(this.iatM2[s]! / iatN) : 0,
      end_reason: reason,
      ctx_window_s: this.context.windowS,
      ctx_src_distinct_dst_ports: this.ctxOut.distinctDstPorts,
      ctx_src_distinct_dst_hosts: this.ctxOut.distinctDstHosts,
      ctx_src_syn_only_share: this.ctxOut.synOnlyShare,
      ctx_src_flows_per_s: this.ctxOut.flowsPerSecond,
      dns_qname: name,
      dns_qname_len: name ? name.length : 0,
      dns_label_count: name ? name.split('.').filter(Boolean).length : 0,
      dns_qname_entropy: name ? entropy(name) : 0,
      dns_qtype: this.dnsQtype[s]!,
      dns_rcode: this.dnsRcode[s]!,
    };
  }
}

/** Deterministic: the same sensor, conversation and start time give the same id. */
export function flowId(sensorId: string, cid: string, tsStart: number): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const s = `${sensorId}|${cid}|${tsStart}`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
