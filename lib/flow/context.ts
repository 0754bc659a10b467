// Behavioral context per source host over a sliding window, computed as flows are
// exported: how many distinct ports and hosts it reached, how many of its flows were
// SYN-only, how many flows per second. Counts are kept incrementally (add on export,
// subtract on expiry), so each export costs O(1) amortized; memory is capped by host.

interface Event { ts: number; dstHost: string; dstPort: string; synOnly: boolean }

class HostWindow {
  events: Event[] = [];
  head = 0;
  ports = new Map<string, number>();
  hosts = new Map<string, number>();
  synOnly = 0;
  lastTs = 0;
}

const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
const dec = (m: Map<string, number>, k: string) => {
  const n = (m.get(k) ?? 1) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
};

export interface ContextValues {
  distinctDstPorts: number;
  distinctDstHosts: number;
  synOnlyShare: number;
  flowsPerSecond: number;
}

export class SourceContext {
  private hosts = new Map<string, HostWindow>();

  constructor(
    readonly windowS: number,
    private readonly maxHosts = 100_000,
  ) {}

  /** Records one exported flow of `src` at `tsMicros` and returns src's context including it. */
  observe(src: string, dstHost: string, dstPort: string, synOnly: boolean, tsMicros: number, out: ContextValues): void {
    let w = this.hosts.get(src);
    if (!w) {
      if (this.hosts.size >= this.maxHosts) this.evictStalest();
      w = new HostWindow();
      this.hosts.set(src, w);
    }
    w.events.push({ ts: tsMicros, dstHost, dstPort, synOnly });
    inc(w.ports, dstPort);
    inc(w.hosts, dstHost);
    if (synOnly) w.synOnly++;
    w.lastTs = Math.max(w.lastTs, tsMicros);
    const horizon = w.lastTs - this.windowS * 1e6;
    while (w.head < w.events.length && w.events[w.head]!.ts < horizon) {
      const e = w.events[w.head++]!;
      dec(w.ports, e.dstPort);
      dec(w.hosts, e.dstHost);
      if (e.synOnly) w.synOnly--;
    }
    if (w.head > 1024 && w.head * 2 > w.events.length) {
      w.events = w.events.slice(w.head);
      w.head = 0;
    }
    const n = w.events.length - w.head;
    out.distinctDstPorts = w.ports.size;
    out.distinctDstHosts = w.hosts.size;
    out.synOnlyShare = n > 0 ? w.synOnly / n : 0;
    out.flowsPerSecond = n / this.windowS;
  }

  get trackedHosts(): number {
    return this.hosts.size;
  }

  private evictStalest(): void {
    let oldestKey: string | null = null;
    let oldest = Infinity;
    for (const [k, w] of this.hosts) {
      if (w.lastTs < oldest) {
        oldest = w.lastTs;
        oldestKey = k;
      }
    }
    if (oldestKey !== null) this.hosts.delete(oldestKey);
  }
}
