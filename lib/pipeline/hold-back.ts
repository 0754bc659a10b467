// The hold-back stage, between scoring and writing, in the scorer and the embedded mode: a
// flow judged normal waits a bounded time before it is written, because a flow is labelled
// when it is written and the host tier judges a source only once its statistics cross a
// threshold: the first probes of a scan and the first sessions of a brute force are exported
// before that. When a host behaviour fires for a source, its held flows that took part in it
// (lib/detector/host.ts takesPart) are flagged with the trigger's reasons and severity, so
// they join the same incident. For `holdS` after it fired, the behaviour also flags the
// source's new flows that take part in it but that the host rule does not count itself (a
// slow scan's probes to closed ports after its half-open probe to an open one).
//
// Bounded three ways: by capture time (a flow is released once the traffic has gone on
// `holdS` past its end), by count (beyond `maxHeld` the oldest is released at once, counted
// as overflow) and by the caller, who releases everything at the end of input, on a signal
// and when the model changes (a held flow is never judged by two models).
//
// Anomalous flows pass at once: they are already flagged. Output order therefore differs from
// input order by up to `holdS` of capture time; every flow comes out exactly once.
import type { Anomaly, ScoredFlow } from '../avro/records.ts';
import { toAnomaly } from '../avro/records.ts';
import { BEHAVIOURS, takesPart, type Behaviour } from '../detector/host.ts';
import { HOLD_BACK_DEFAULTS, type HoldBackSettings } from '../config/stages.ts';
import { behaviourOf } from './incidents.ts';
import type { ScoredBatch } from './score.ts';

export interface HoldBackStats {
  /** Flows held now. */
  held: number;
  /** Held flows flagged after the fact by a host behaviour of their source. */
  flagged: number;
  /** Flows released early because `maxHeld` was reached. */
  overflow: number;
}

/** One source's held flows, oldest first (null: released or flagged). */
interface SourceQueue {
  flows: (ScoredFlow | null)[];
  head: number;
  /** Per behaviour and victim, how far `flows` was checked already: a flood's thousands of triggers check each held flow once. */
  checked: Map<string, number>;
}

/** A host behaviour that fired for a source, in force until `until` (capture time). */
interface Fired {
  behaviour: Behaviour;
  trigger: ScoredFlow;
  anomaly: Anomaly;
  until: number;
}

const HOST_BEHAVIOURS: ReadonlySet<string> = new Set(BEHAVIOURS);
/** Sources with a behaviour in force at most (a spoofed flood's sources): beyond, the first to fire is forgotten. */
const MAX_FIRED_SOURCES = 65_536;
/** Behaviour-victim pairs in force per source at most (a sweep-like scan of many victims): beyond, the first to fire is forgotten. */
const MAX_FIRED_PER_SOURCE = 64;

export class HoldBack {
  private readonly holdUs: number;
  private readonly maxHeld: number;
  /** Every held flow in arrival order (flagged ones are skipped when their turn comes). */
  private queue: ScoredFlow[] = [];
  private readonly flaggedHeld = new Set<ScoredFlow>();
  private head = 0;
  private readonly bySource = new Map<string, SourceQueue>();
  /** Per source, per behaviour and victim (firedKey), the latest flow that showed it. */
  private readonly fired = new Map<string, Map<string, Fired>>();
  private trafficNow = 0;
  readonly stats: HoldBackStats = { held: 0, flagged: 0, overflow: 0 };

  constructor(settings: Partial<HoldBackSettings> = {}) {
    const s = { ...HOLD_BACK_DEFAULTS, ...settings };
    this.holdUs = s.holdS * 1e6;
    this.maxHeld = s.maxHeld;
  }

  /**
   * Takes a scored batch; returns what may be written now: its anomalies, held flows they
   * flag (now anomalous, with their Anomaly records), and held flows whose time is up.
   */
  take(batch: ScoredBatch, detectedAt: number): ScoredBatch {
    const out: ScoredBatch = { scored: [], anomalies: [] };
    const byId = new Map<string, Anomaly>();
    for (const a of batch.anomalies) byId.set(a.flow_id, a);
    for (const s of batch.scored) {
      if (s.flow.ts_end > this.trafficNow) this.trafficNow = s.flow.ts_end;
      const a = s.anomaly === -1 ? byId.get(s.flow.flow_id) : undefined;
      if (a) {
        out.scored.push(s);
        out.anomalies.push(a);
        const behaviour = behaviourOf(a);
        if (HOST_BEHAVIOURS.has(behaviour)) {
          const key = firedKey(behaviour as Behaviour, s);
          this.remember(s, a, behaviour as Behaviour, key);
          this.flagEarlier(s, a, behaviour as Behaviour, key, detectedAt, out);
        }
      } else if (this.flagLater(s, detectedAt, out)) {
        // flagged: written at once, as an anomaly
      } else if (this.holdUs === 0 || this.maxHeld === 0) {
        out.scored.push(s);
      } else {
        this.hold(s);
      }
    }
    this.release(out, false);
    return out;
  }

  /** Everything held, oldest first: end of input, a signal, a model change. */
  flush(): ScoredFlow[] {
    const out: ScoredBatch = { scored: [], anomalies: [] };
    this.release(out, true);
    return out.scored;
  }

  private hold(s: ScoredFlow): void {
    this.queue.push(s);
    let q = this.bySource.get(s.flow.src_ip);
    if (!q) this.bySource.set(s.flow.src_ip, (q = { flows: [], head: 0, checked: new Map() }));
    q.flows.push(s);
    this.stats.held++;
  }

  private remember(trigger: ScoredFlow, anomaly: Anomaly, behaviour: Behaviour, key: string): void {
    if (this.holdUs === 0) return;
    const src = trigger.flow.src_ip;
    const until = trigger.flow.ts_end + this.holdUs;
    let bySrc = this.fired.get(src);
    if (!bySrc) {
      if (this.fired.size >= MAX_FIRED_SOURCES) this.fired.delete(this.fired.keys().next().value!);
      this.fired.set(src, (bySrc = new Map()));
    }
    const f = bySrc.get(key);
    // In place: a flood fires for every one of its flows.
    if (f) {
      f.trigger = trigger;
      f.anomaly = anomaly;
      f.until = until;
    } else {
      if (bySrc.size >= MAX_FIRED_PER_SOURCE) bySrc.delete(bySrc.keys().next().value!);
      bySrc.set(key, { behaviour, trigger, anomaly, until });
    }
  }

  /** Flags `s` when a behaviour in force for its source takes it in; true if it did. */
  private flagLater(s: ScoredFlow, detectedAt: number, out: ScoredBatch): boolean {
    const bySrc = this.fired.get(s.flow.src_ip);
    if (!bySrc) return false;
    for (const [key, f] of bySrc) {
      if (f.until < this.trafficNow) {
        bySrc.delete(key);
        continue;
      }
      if (!takesPart(f.behaviour, f.trigger.flow, s.flow)) continue;
      this.flag(s, f.trigger, f.anomaly, detectedAt, out);
      return true;
    }
    if (bySrc.size === 0) this.fired.delete(s.flow.src_ip);
    return false;
  }

  private flag(s: ScoredFlow, trigger: ScoredFlow, a: Anomaly, detectedAt: number, out: ScoredBatch): void {
    this.stats.flagged++;
    const flagged: ScoredFlow = { ...s, anomaly: -1, reasons: trigger.reasons };
    out.scored.push(flagged);
    out.anomalies.push(toAnomaly(flagged, a.severity, a.reasons, detectedAt));
  }

  private flagEarlier(trigger: ScoredFlow, a: Anomaly, behaviour: Behaviour, key: string, detectedAt: number, out: ScoredBatch): void {
    const q = this.bySource.get(trigger.flow.src_ip);
    if (!q) return;
    const from = Math.max(q.head, q.checked.get(key) ?? 0);
    q.checked.set(key, q.flows.length);
    for (let i = from; i < q.flows.length; i++) {
      const s = q.flows[i];
      if (!s || !takesPart(behaviour, trigger.flow, s.flow)) continue;
      q.flows[i] = null;
      this.flaggedHeld.add(s);
      this.stats.held--;
      this.flag(s, trigger, a, detectedAt, out);
    }
    while (q.head < q.flows.length && q.flows[q.head] === null) q.head++;
    if (q.head === q.flows.length) this.bySource.delete(trigger.flow.src_ip);
  }

  /** Releases the oldest flows whose time is up (all of them when `all`), and beyond `maxHeld`. */
  private release(out: ScoredBatch, all: boolean): void {
    while (this.head < this.queue.length) {
      const s = this.queue[this.head]!;
      if (!this.flaggedHeld.delete(s)) {
        const due = all || s.flow.ts_end + this.holdUs <= this.trafficNow;
        if (!due && this.stats.held <= this.maxHeld) break;
        if (!due) this.stats.overflow++;
        this.stats.held--;
        out.scored.push(s);
        this.dropFromSource(s);
      }
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** `s` is its source's oldest held flow (flows leave a source's queue in arrival order). */
  private dropFromSource(s: ScoredFlow): void {
    const q = this.bySource.get(s.flow.src_ip)!;
    while (q.head < q.flows.length && q.flows[q.head] !== s) q.head++;
    q.flows[q.head++] = null;
    while (q.head < q.flows.length && q.flows[q.head] === null) q.head++;
    if (q.head === q.flows.length) this.bySource.delete(s.flow.src_ip);
    else if (q.head > 64 && q.head * 2 > q.flows.length) {
      q.flows = q.flows.slice(q.head);
      q.head = 0;
      q.checked.clear();
    }
  }
}

/** What the flows of a behaviour share (as takesPart tests it): the victim, its service for a brute force or a slow DoS, nothing for a host sweep. */
function firedKey(behaviour: Behaviour, trigger: ScoredFlow): string {
  const f = trigger.flow;
  if (behaviour === 'host_sweep') return behaviour;
  if (behaviour === 'brute_force' || behaviour === 'slow_dos') return `${behaviour}|${f.dst_ip}|${f.protocol}|${f.dst_port}`;
  return `${behaviour}|${f.dst_ip}`;
}
