// Host behaviour statistics, computed where every flow of a source passes (the sensor's
// flow table, at export), at three time scales: what the source did in the last 1 s, 10 s
// and 60 s. The detector's host tier (lib/detector/host.ts) compares them with what the
// baseline's hosts did. Computing them here rather than in a scorer matters: scorers split
// the flows by Community ID, so no scorer sees all of a source's flows.
//
// Per source and scale:
//   flows       flows started
//   probes      small flows: at most 3 initiator packets, at most 512 payload bytes
//               (scan probes, flood packets, lone queries)
//   unanswered  TCP without a SYN-ACK, UDP without a reply, ICMP echo/timestamp without a reply
//   ports       distinct (protocol, destination port) among the probes
//   hosts       distinct destination hosts among the probes
//   nonproto    flows whose first payload did not parse as the port's protocol (sanity.ts)
//   sessions    short complete TCP sessions (handshake, data both ways, the client sending at
//               least a quarter of what it gets, under 30 s) to this
//               flow's (destination, protocol, port): repeated logins
//   stalled     established TCP connections held open for seconds while carrying almost
//               nothing, to this flow's (destination, protocol, port): a slow DoS (slowloris,
//               slow read) holds hundreds at once, a user a few
//
// A flow counts at its start time, made monotone per source (a long flow exported late
// counts at the source's latest time). Memory is bounded: at most maxEventsPerHost events per
// source (beyond, the oldest drop and counts saturate low), at most maxHosts sources, least
// recently active dropped first, idle ones swept.
import type { Flow, HostStats } from './record.ts';
import { Sanity } from './sanity.ts';
import { RecencyEntry, RecencyList } from './recency.ts';
import { FLOW_DEFAULTS } from '../config/stages.ts';

export const HOST_SCALES_S = [1, 10, 60] as const;
const NS = HOST_SCALES_S.length;
// observe() writes each statistic as a literal of three: a fourth scale must change it too.
const SCALE_COUNT: 3 = NS;
void SCALE_COUNT;
const SESSION_MAX_US = 30e6;

const F_PROBE = 1;
const F_UNANSWERED = 2;
const F_NONPROTO = 4;
const F_SESSION = 8;
const F_STALLED = 16;

interface Ev {
  t: number;
  flags: number;
  port: number;
  host: string;
  pair: string;
}

class ScaleWindow {
  flows = 0;
  probes = 0;
  unanswered = 0;
  nonproto = 0;
  readonly ports = new Map<number, number>();
  readonly hosts = new Map<string, number>();
  readonly sessions = new Map<string, number>();
  readonly stalled = new Map<string, number>();
  /** Index (into the source's events) of the oldest event inside this window. */
  cursor = 0;

  clear(): void {
    this.flows = this.probes = this.unanswered = this.nonproto = this.cursor = 0;
    this.ports.clear();
    this.hosts.clear();
    this.sessions.clear();
    this.stalled.clear();
  }

  add(e: Ev, sign: 1 | -1): void {
    this.flows += sign;
    if (e.flags & F_UNANSWERED) this.unanswered += sign;
    if (e.flags & F_NONPROTO) this.nonproto += sign;
    if (e.flags & F_PROBE) {
      this.probes += sign;
      bump(this.ports, e.port, sign);
      bump(this.hosts, e.host, sign);
    }
    if (e.flags & F_SESSION) bump(this.sessions, e.pair, sign);
    if (e.flags & F_STALLED) bump(this.stalled, e.pair, sign);
  }
}

class SourceWindows extends RecencyEntry {
  events: Ev[] = [];
  readonly scales = HOST_SCALES_S.map(() => new ScaleWindow());
  lastT = 0;

  /** As new: a dropped source's windows are reused for the next new source (less garbage under a flood). */
  clear(): void {
    this.events.length = 0;
    for (const s of this.scales) s.clear();
    this.lastT = 0;
  }
}

function bump<K>(m: Map<K, number>, k: K, sign: 1 | -1): void {
  const n = (m.get(k) ?? 0) + sign;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}

/**
 * A SYN scan's probe: the responder's SYN-ACK was answered with a reset instead of the
 * handshake's ACK, and nothing was sent. An ordinary TCP stack completes the handshake;
 * a half-open scanner (nmap -sS, at any speed) never does, so one such flow is telling.
 */
export const isHalfOpen = (f: Flow): boolean =>
  f.protocol === 6 && f.synack_count > 0 && !f.handshake_complete && f.rst_count > 0 && f.payload_bytes_fwd === 0 && f.payload_bytes_rev === 0;

/** A TCP flow that carried flags no stack sends (the flow table's odd_flags_count: stealth scans, OS fingerprinting). */
export const hasOddFlags = (f: Flow): boolean => f.protocol === 6 && f.odd_flags_count > 0;

export const isProbe = (f: Flow): boolean => f.packets_fwd <= 3 && f.payload_bytes_fwd <= 512;

export function isUnanswered(f: Flow): boolean {
  if (f.protocol === 6) return f.synack_count === 0 && !f.handshake_complete;
  if (f.protocol === 17) return f.packets_rev === 0;
  // ICMP echo (8) and timestamp (13), ICMPv6 echo (128): requests that expect a reply.
  if (f.protocol === 1) return (f.src_port === 8 || f.src_port === 13) && f.packets_rev === 0;
  if (f.protocol === 58) return f.src_port === 128 && f.packets_rev === 0;
  return false;
}

// A login exchange is a conversation: the client sends about as much as it gets (a key or a
// password, then the server's answers). A download (a request, then the data) is not one,
// so a client fetching many files in a row is not taken for a brute force.
const LOGIN_MIN_FWD_SHARE = 0.25;

export const isSession = (f: Flow): boolean =>
  f.protocol === 6 && f.handshake_complete && f.payload_bytes_fwd > 0 && f.payload_bytes_rev > 0 && f.payload_bytes_fwd >= LOGIN_MIN_FWD_SHARE * f.payload_bytes_rev && f.ts_end - f.ts_start < SESSION_MAX_US && (f.end_reason === 'fin' || f.end_reason === 'rst');

// A stalled connection: established, open a few seconds at least, and carrying a few hundred
// payload bytes per second at most (both ways): slowloris trickles header lines, a slow read
// takes a few bytes at a time (its request and first window included, 10 s of it average
// ~130 B/s). An idle terminal or a keep-alive pool stalls too, but a host holds a handful.
const STALLED_MIN_US = 4e6;
const STALLED_MAX_BYTES_PER_S = 256;

export const isStalled = (f: Flow): boolean =>
  f.protocol === 6 && f.handshake_complete && f.ts_end - f.ts_start >= STALLED_MIN_US &&
  (f.payload_bytes_fwd + f.payload_bytes_rev) * 1e6 < STALLED_MAX_BYTES_PER_S * (f.ts_end - f.ts_start);

export const serviceKey = (f: Flow): string => `${f.dst_ip}|${f.protocol}|${f.dst_port}`;

export class HostTracker {
  private readonly hosts = new RecencyList<SourceWindows>();
  private now = 0;
  private newHosts = 0;
  /** Sources dropped to stay within maxHosts while still active (not idle ones). */
  evictions = 0;
  private spare: SourceWindows | null = null;

  constructor(
    private readonly maxHosts = FLOW_DEFAULTS.maxSources,
    private readonly maxEventsPerHost = 50_000,
  ) {}

  get trackedHosts(): number {
    return this.hosts.size;
  }

  /** Records `f` (its payload_sanity already set) and returns its source's statistics, this flow included. */
  observe(f: Flow): HostStats {
    const src = f.src_ip;
    let w = this.hosts.touch(src);
    if (!w) {
      if (this.hosts.size >= this.maxHosts || (++this.newHosts & 255) === 0) this.expire();
      w = this.spare ?? new SourceWindows();
      this.spare = null;
      this.hosts.add(src, w);
    }
    const t = f.ts_start > w.lastT ? f.ts_start : w.lastT;
    w.lastT = t;
    if (t > this.now) this.now = t;

    const flags =
      (isProbe(f) ? F_PROBE : 0) | (isUnanswered(f) ? F_UNANSWERED : 0) | (f.payload_sanity === Sanity.MISMATCH ? F_NONPROTO : 0) | (isSession(f) ? F_SESSION : 0) | (isStalled(f) ? F_STALLED : 0);
    // The service key is built only when sessions or stalled connections are counted (most flows: never).
    const longest = w.scales[NS - 1]!;
    const pair = flags & (F_SESSION | F_STALLED) || longest.sessions.size > 0 || longest.stalled.size > 0 ? serviceKey(f) : '';
    const e: Ev = { t, flags, port: (f.protocol << 16) | f.dst_port, host: f.dst_ip, pair };
    const ev = w.events;
    ev.push(e);
    for (const s of w.scales) s.add(e, 1);

    // Slide each window; the longest one's oldest edge bounds what is kept.
    for (let k = 0; k < NS; k++) {
      const s = w.scales[k]!;
      const horizon = t - HOST_SCALES_S[k]! * 1e6;
      while (s.cursor < ev.length && ev[s.cursor]!.t <= horizon) s.add(ev[s.cursor++]!, -1);
    }
    while (ev.length - longest.cursor > this.maxEventsPerHost) {
      for (const s of w.scales) if (s.cursor === longest.cursor) s.add(ev[s.cursor++]!, -1);
    }
    if (longest.cursor > 1024 && longest.cursor * 2 > ev.length) {
      const cut = longest.cursor;
      w.events = ev.slice(cut);
      for (const s of w.scales) s.cursor -= cut;
    }

    // One literal per statistic (no pushes): this runs for every flow the sensor exports.
    const [a, b, c] = w.scales as [ScaleWindow, ScaleWindow, ScaleWindow];
    const stats: HostStats = {
      flows: [a.flows, b.flows, c.flows],
      probes: [a.probes, b.probes, c.probes],
      unanswered: [a.unanswered, b.unanswered, c.unanswered],
      ports: [a.ports.size, b.ports.size, c.ports.size],
      hosts: [a.hosts.size, b.hosts.size, c.hosts.size],
      nonproto: [a.nonproto, b.nonproto, c.nonproto],
      sessions: pair ? [a.sessions.get(pair) ?? 0, b.sessions.get(pair) ?? 0, c.sessions.get(pair) ?? 0] : [0, 0, 0],
      stalled: pair ? [a.stalled.get(pair) ?? 0, b.stalled.get(pair) ?? 0, c.stalled.get(pair) ?? 0] : [0, 0, 0],
    };
    return stats;
  }

  /** Drops the least recently active sources while they are idle beyond the longest scale or over maxHosts. */
  private expire(): void {
    const horizon = this.now - HOST_SCALES_S[NS - 1]! * 1e6;
    for (let w = this.hosts.leastRecent; w; w = this.hosts.leastRecent) {
      const over = this.hosts.size >= this.maxHosts;
      if (!over && w.lastT >= horizon) break;
      if (over && w.lastT >= horizon) this.evictions++;
      this.hosts.remove(w).clear();
      this.spare = w;
    }
  }
}

/** Runs flows (in export order) through a fresh tracker, setting each one's `host` statistics. */
export function withHostStats(flows: readonly Flow[]): Flow[] {
  const tracker = new HostTracker();
  return flows.map((f) => ({ ...f, host: tracker.observe(f) }));
}
