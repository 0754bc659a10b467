// Behavioral context per source host over a sliding window, computed as flows are
// exported: how many distinct destination ports and hosts the source reached, what share
// of its flows were SYN-only (TCP: a SYN, no SYN-ACK), and how many flows per second.
// A flow counts at its start time, so a long flow exported late still lands where it began
// (clamped to the window's oldest edge). Flows per second are counted over the part of the
// window that has been observed: in the first minute after the sensor starts, a window
// holding 10 s of traffic is divided by 10 s, not 60 (at least by one bucket, window/16),
// so a cold start does not make every host look unusually quiet.
//
// Memory is bounded three ways: per host, flow counts live in a fixed ring of BUCKETS time
// buckets (the window slides in steps of window/BUCKETS); distinct ports and hosts are maps
// of key -> last seen, oldest first, trimmed as the window moves and capped at
// maxKeysPerHost (beyond it the count saturates); and at most maxHosts hosts are tracked,
// the least recently active dropped first, as is any host idle longer than the window.

import { RecencyEntry, RecencyList } from './recency.ts';
import { FLOW_DEFAULTS } from '../config/stages.ts';

const BUCKETS = 16;

class HostWindow extends RecencyEntry {
  /** Flows and SYN-only flows per bucket; bucket of time t: floor(t / bucketUs) % BUCKETS. */
  readonly flows: number[] = new Array<number>(BUCKETS).fill(0);
  readonly synOnly: number[] = new Array<number>(BUCKETS).fill(0);
  /** Absolute index of the newest bucket in use. */
  newest = -1;
  totalFlows = 0;
  totalSynOnly = 0;
  /** Destination (protocol << 16 | port) and host -> last time seen, least recent first. */
  readonly ports = new Map<number, number>();
  readonly hosts = new Map<string, number>();
  lastTs = 0;
}

export interface ContextValues {
  /** Seconds of the window observed so far (the whole window once the sensor has run that long). */
  observedS: number;
  distinctDstPorts: number;
  distinctDstHosts: number;
  synOnlyShare: number;
  flowsPerSecond: number;
}

export class SourceContext {
  private readonly hosts = new RecencyList<HostWindow>();
  /** Sources dropped to stay within maxHosts while still active (not idle ones). */
  evictions = 0;
  private readonly windowUs: number;
  private readonly bucketUs: number;
  private now = 0;
  /** Start of the earliest flow observed: where the observed part of the window begins. */
  private start = Infinity;
  private newHosts = 0;

  constructor(
    readonly windowS: number,
    private readonly maxHosts = FLOW_DEFAULTS.maxSources,
    private readonly maxKeysPerHost = 16_384,
  ) {
    this.windowUs = windowS * 1e6;
    this.bucketUs = this.windowUs / BUCKETS;
  }

  get trackedHosts(): number {
    return this.hosts.size;
  }

  /** Records one flow of `src` started at `tsMicros` and writes src's context, this flow included, to `out`. */
  observe(src: string, dstHost: string, dstPortKey: number, synOnly: boolean, tsMicros: number, out: ContextValues): void {
    if (tsMicros > this.now) this.now = tsMicros;
    if (tsMicros < this.start) this.start = tsMicros;
    let w = this.hosts.touch(src);
    if (!w) {
      // Idle hosts only cost memory (a returning host's stale counts expire on its next
      // flow), so they are swept every so often, not on every new host.
      if (this.hosts.size >= this.maxHosts || (++this.newHosts & 255) === 0) this.expireHosts();
      w = new HostWindow();
      this.hosts.add(src, w);
    }
    if (tsMicros > w.lastTs) w.lastTs = tsMicros;
    const horizon = w.lastTs - this.windowUs;
    const t = tsMicros > horizon ? tsMicros : horizon;

    // Counts: move the ring forward to t's bucket, dropping buckets that leave the window.
    const b = Math.floor(t / this.bucketUs);
    if (b > w.newest) {
      const drop = w.newest < 0 ? 0 : Math.min(b - w.newest, BUCKETS);
      for (let i = 1; i <= drop; i++) {
        const k = (w.newest + i) % BUCKETS;
        w.totalFlows -= w.flows[k]!;
        w.totalSynOnly -= w.synOnly[k]!;
        w.flows[k] = 0;
        w.synOnly[k] = 0;
      }
      w.newest = b;
    }
    const k = (b > w.newest - BUCKETS ? b : w.newest - BUCKETS + 1) % BUCKETS;
    w.flows[k]!++;
    w.totalFlows++;
    if (synOnly) {
      w.synOnly[k]!++;
      w.totalSynOnly++;
    }

    touch(w.ports, dstPortKey, t, horizon, this.maxKeysPerHost);
    touch(w.hosts, dstHost, t, horizon, this.maxKeysPerHost);
    out.distinctDstPorts = w.ports.size;
    out.distinctDstHosts = w.hosts.size;
    out.synOnlyShare = w.totalFlows > 0 ? w.totalSynOnly / w.totalFlows : 0;
    const observedUs = Math.min(this.windowUs, Math.max(this.bucketUs, this.now - this.start));
    out.flowsPerSecond = w.totalFlows / (observedUs / 1e6);
    out.observedS = Math.min(this.windowUs, this.now - this.start) / 1e6;
  }

  /** Drops hosts idle for longer than the window, and the least recent ones beyond maxHosts. */
  private expireHosts(): void {
    for (let w = this.hosts.leastRecent; w; w = this.hosts.leastRecent) {
      const over = this.hosts.size >= this.maxHosts;
      const idle = w.lastTs < this.now - this.windowUs;
      if (!over && !idle) break;
      if (!idle) this.evictions++;
      this.hosts.remove(w);
    }
  }
}

/** Marks `key` seen at `t`, most recent last; trims keys older than `horizon` and beyond `cap`. */
function touch<K>(m: Map<K, number>, key: K, t: number, horizon: number, cap: number): void {
  const prev = m.get(key);
  if (prev === undefined || t >= prev) {
    m.delete(key);
    m.set(key, t);
  }
  for (const [k, seen] of m) {
    if (seen >= horizon && m.size <= cap) break;
    m.delete(k);
  }
}
