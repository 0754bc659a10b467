// Victim-side statistics: per destination service (destination, protocol, port), what it
// received in the last 1 s and 10 s. A SYN flood from spoofed sources (hping3
// --rand-source) or from many bots sends one or two packets per source, so no source's
// statistics (lib/flow/host.ts) move; only the service receiving them sees the flood.
//
// Per service and scale:
//   flows             flows started toward the service
//   sources           distinct initiators (estimated, see below)
//   unserved          flows the service never served (isUnserved): a TCP handshake begun (a
//                     SYN seen) that did not complete and carried nothing (no SYN-ACK, or a
//                     SYN-ACK left unacknowledged or reset: half-open), a UDP or ICMP request
//                     without reply
//   unserved_sources  distinct initiators of the unserved flows (estimated)
//
// Memory and time are fixed per service: each scale is 5 buckets (1 s: 200 ms each, 10 s:
// 2 s each; the window covers the current bucket and the 4 before it, so 80 to 100 % of
// the scale), each bucket a flow count, an unserved count and two 32-register
// HyperLogLog-style sketches of the sources (about 20 % error: enough to tell one host from
// hundreds). The window's sketch is kept merged (register maxima) as flows arrive and is
// rebuilt only when a bucket is dropped, so a flow costs a string hash and a few array
// writes: no allocation. Services are capped like sources (least recently active dropped
// first, counted in `evictions`).
import type { Flow } from './record.ts';
import { isUnanswered } from './host.ts';
import { RecencyEntry, RecencyList } from './recency.ts';
import { FLOW_DEFAULTS } from '../config/stages.ts';

export const SERVICE_SCALES_S = [1, 10] as const;
const NSCALES = SERVICE_SCALES_S.length;
const BUCKETS = 5;
const REGISTERS = 32;
const REGISTER_BITS = 5;
/** Sketch kinds: all sources, sources of unserved flows. */
const KINDS = 2;
const HLL_ALPHA = 0.697; // the HyperLogLog bias constant for 32 registers
/** 2^-rank for every register value: the estimate sums them for every flow. */
const INVERSE_POWERS = Float64Array.from({ length: 256 }, (_, r) => 2 ** -r);

/** A flow its destination service never served: see the file comment. */
export function isUnserved(f: Flow): boolean {
  // A SYN is required: a connection first seen mid-stream (open before the capture) is not a flood.
  if (f.protocol === 6) return f.syn_count > 0 && !f.handshake_complete && f.payload_bytes_fwd === 0 && f.payload_bytes_rev === 0;
  return isUnanswered(f);
}

/** FNV-1a of the source address: spreads addresses over the registers without allocating. */
function hashAddress(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final mix: FNV's low bits (the register index) vary little between neighbouring addresses.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

const lastActive = (w: ServiceWindows): number => w.lastT;

class ServiceWindows extends RecencyEntry {
  /** Per scale, bucket and kind, the bucket's registers. */
  readonly regs = new Uint8Array(NSCALES * BUCKETS * KINDS * REGISTERS);
  /** Per scale and kind, the registers' maxima over the window's buckets. */
  readonly merged = new Uint8Array(NSCALES * KINDS * REGISTERS);
  /** Per scale and bucket: flows, unserved. */
  readonly counts = new Int32Array(NSCALES * BUCKETS * 2);
  /** Per scale: flows, unserved over the window. */
  readonly sums = new Int32Array(NSCALES * 2);
  /** Per scale and kind, the distinct-source estimate of `merged`, valid while its `stale` bit is clear. */
  readonly estimates = new Int32Array(NSCALES * KINDS);
  stale = 0;
  /** Per scale, the latest bucket's epoch (traffic time / bucket length). */
  readonly head = new Float64Array(NSCALES);
  lastT = 0;
  /** Where the tracker's index holds it: the destination, and protocol << 16 | port. */
  dst = '';
  port = 0;

  clear(): void {
    this.regs.fill(0);
    this.merged.fill(0);
    this.counts.fill(0);
    this.sums.fill(0);
    this.head.fill(0);
    this.estimates.fill(0);
    this.stale = 0;
    this.lastT = 0;
  }
}

/** The statistics of the service a flow went to, this flow included; each array is [1 s, 10 s]. */
export interface ServiceStats {
  flows: number[];
  sources: number[];
  unserved: number[];
  unservedSources: number[];
}

export class ServiceTracker {
  private readonly services = new RecencyList<ServiceWindows>();
  /** Destination, then protocol << 16 | port: found without building a key string per flow. */
  private readonly byDestination = new Map<string, Map<number, ServiceWindows>>();
  private now = 0;
  private newServices = 0;
  /** Services dropped to stay within maxServices while still active (not idle ones). */
  evictions = 0;
  private spare: ServiceWindows | null = null;

  constructor(private readonly maxServices = FLOW_DEFAULTS.maxSources) {}

  get trackedServices(): number {
    return this.services.size;
  }

  /** Records `f` toward its (destination, protocol, port) and returns that service's statistics. */
  observe(f: Flow): ServiceStats {
    const port = (f.protocol << 16) | f.dst_port;
    let ports = this.byDestination.get(f.dst_ip);
    let w = ports?.get(port);
    if (w) this.services.promote(w);
    else {
      if (this.services.size >= this.maxServices || (++this.newServices & 255) === 0) this.expire();
      w = this.spare ?? new ServiceWindows();
      this.spare = null;
      w.dst = f.dst_ip;
      w.port = port;
      // The recency list's key is built once per new service, never per flow.
      this.services.add(`${f.dst_ip}|${port}`, w);
      ports = this.byDestination.get(f.dst_ip);
      if (!ports) this.byDestination.set(f.dst_ip, (ports = new Map()));
      ports.set(port, w);
    }
    const t = f.ts_start > w.lastT ? f.ts_start : w.lastT;
    w.lastT = t;
    if (t > this.now) this.now = t;
    const unserved = isUnserved(f);
    const h = hashAddress(f.src_ip);
    const reg = h & (REGISTERS - 1);
    const rank = Math.min(Math.clz32(h >>> REGISTER_BITS) - REGISTER_BITS + 1, 255);

    for (let s = 0; s < NSCALES; s++) {
      const epoch = Math.floor(t / ((SERVICE_SCALES_S[s]! * 1e6) / BUCKETS));
      if (epoch > w.head[s]!) this.advance(w, s, epoch);
      const b = epoch % BUCKETS;
      const c = (s * BUCKETS + b) * 2;
      w.counts[c]!++;
      w.sums[s * 2]!++;
      if (unserved) {
        w.counts[c + 1]!++;
        w.sums[s * 2 + 1]!++;
      }
      for (let k = 0; k < (unserved ? KINDS : 1); k++) {
        const i = ((s * BUCKETS + b) * KINDS + k) * REGISTERS + reg;
        if (rank > w.regs[i]!) w.regs[i] = rank;
        const m = (s * KINDS + k) * REGISTERS + reg;
        if (rank > w.merged[m]!) {
          w.merged[m] = rank;
          w.stale |= 1 << (s * KINDS + k);
        }
      }
    }
    // A returning source rarely raises a register: most flows reuse the estimates.
    for (let i = 0; w.stale !== 0 && i < NSCALES * KINDS; i++) {
      if (w.stale & (1 << i)) w.estimates[i] = estimate(w.merged, i * REGISTERS);
    }
    w.stale = 0;
    const e = w.estimates;
    // One literal per statistic: this runs for every flow the sensor exports.
    return {
      flows: [w.sums[0]!, w.sums[2]!],
      sources: [e[0]!, e[2]!],
      unserved: [w.sums[1]!, w.sums[3]!],
      unservedSources: [e[1]!, e[3]!],
    };
  }

  /** Moves scale `s` of `w` to bucket epoch `epoch`: drops the buckets that fell out and rebuilds the merged sketches. */
  private advance(w: ServiceWindows, s: number, epoch: number): void {
    const from = Math.max(w.head[s]! + 1, epoch - BUCKETS + 1);
    for (let e = from; e <= epoch; e++) {
      const b = e % BUCKETS;
      const c = (s * BUCKETS + b) * 2;
      w.sums[s * 2] = w.sums[s * 2]! - w.counts[c]!;
      w.sums[s * 2 + 1] = w.sums[s * 2 + 1]! - w.counts[c + 1]!;
      w.counts[c] = w.counts[c + 1] = 0;
      const r0 = (s * BUCKETS + b) * KINDS * REGISTERS;
      w.regs.fill(0, r0, r0 + KINDS * REGISTERS);
    }
    w.head[s] = epoch;
    const m0 = s * KINDS * REGISTERS;
    w.merged.fill(0, m0, m0 + KINDS * REGISTERS);
    for (let b = 0; b < BUCKETS; b++) {
      const r0 = (s * BUCKETS + b) * KINDS * REGISTERS;
      for (let i = 0; i < KINDS * REGISTERS; i++) if (w.regs[r0 + i]! > w.merged[m0 + i]!) w.merged[m0 + i] = w.regs[r0 + i]!;
    }
    w.stale |= ((1 << KINDS) - 1) << (s * KINDS);
  }

  /** Drops the least recently active services while they are idle beyond the longest scale or over maxServices. */
  private expire(): void {
    const horizon = this.now - SERVICE_SCALES_S[NSCALES - 1]! * 1e6;
    this.evictions += this.services.dropIdle(horizon, this.maxServices, lastActive, (w) => {
      const ports = this.byDestination.get(w.dst);
      ports?.delete(w.port);
      if (ports?.size === 0) this.byDestination.delete(w.dst);
      w.clear();
      this.spare = w;
    });
  }
}

/** Distinct sources estimated from the REGISTERS registers at `at`: linear counting while registers are empty, HyperLogLog beyond. */
function estimate(regs: Uint8Array, at: number): number {
  let zeros = 0;
  let sum = 0;
  for (let i = at; i < at + REGISTERS; i++) {
    const r = regs[i]!;
    if (r === 0) zeros++;
    sum += INVERSE_POWERS[r]!;
  }
  if (zeros === REGISTERS) return 0;
  const raw = (HLL_ALPHA * REGISTERS * REGISTERS) / sum;
  return Math.round(raw <= 2.5 * REGISTERS && zeros > 0 ? REGISTERS * Math.log(REGISTERS / zeros) : raw);
}
