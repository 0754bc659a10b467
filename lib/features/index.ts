// The one featurizer used by trainer, scorer and embedded mode: a Flow becomes a named,
// versioned numeric vector. Frequency tables learned at fit time (how common each
// destination port and DNS query type is in the baseline) travel inside the model.
// Every feature is documented in FEATURES.md beside this file.
import type { Flow } from '../flow/record.ts';
import { CidrSet, ipBytes } from './cidr.ts';
import { TRAINING_DEFAULTS } from '../config/stages.ts';

export type FeaturizerName = 'behavioral' | 'seed';

export interface FeatureDef {
  name: string;
  /** How the reason text names it, e.g. "dst ports contacted in 60 s". */
  label: string;
  /** The human-scale value shown in reasons. */
  raw(f: Flow, ctx: FitContext): number;
  /** log1p-scaled for counts and rates: isolation then splits on orders of magnitude. */
  log: boolean;
  /**
   * Describes the flow's source over the context window, not the flow: every flow of a
   * busy source shares the value, so it weighs in the forest only, never alone (see
   * lib/detector/range.ts).
   */
  sourceContext?: true;
  /**
   * A count over the context window that a sensor just started cannot have filled yet
   * (distinct ports and hosts seen in 10 s of a 60 s window). While the window is
   * incomplete (ctx_observed_s < ctx_window_s) the model sees at least the baseline's
   * median: a low count proves nothing then, a high one (a scan) still shows in full.
   */
  warmUpFloor?: true;
}

export interface FitState {
  internalCidrs: string[];
  /** `${protocol}/${dst_port}` -> flows in the baseline. */
  portCounts: Record<string, number>;
  /** DNS qtype -> DNS flows in the baseline. */
  qtypeCounts: Record<string, number>;
  flows: number;
  dnsFlows: number;
  /** Per warmUpFloor feature, the baseline's median over flows with a complete window. */
  warmUpFloors?: Record<string, number>;
}

export interface FitContext {
  state: FitState;
  internal: CidrSet;
}

const packets = (f: Flow) => f.packets_fwd + f.packets_rev;
const share = (n: number, f: Flow) => n / Math.max(1, packets(f));
const isDns = (f: Flow) => f.dns_qtype >= 0;
/** The sensor had not yet observed a whole context window when it exported the flow. */
const warmingUp = (f: Flow) => f.ctx_observed_s >= 0 && f.ctx_observed_s < f.ctx_window_s;
/** -log10 of the (smoothed) share in the baseline: 0 for the most common, ~log10(N) for unseen. */
const rarity = (count: number, total: number) => -Math.log10((count + 1) / (total + 2));

// Kept deliberately short: an isolation tree draws one feature per split, so every weak
// feature dilutes the strong ones. Each feature here separates some attack family.
const BEHAVIORAL: FeatureDef[] = [
  { name: 'duration_s', label: 'flow duration (s)', log: true, raw: (f) => (f.ts_end - f.ts_start) / 1e6 },
  { name: 'packets', label: 'packets (both directions)', log: true, raw: (f) => packets(f) },
  { name: 'bytes', label: 'bytes (both directions)', log: true, raw: (f) => f.bytes_fwd + f.bytes_rev },
  { name: 'mean_packet_size', label: 'mean packet size (bytes)', log: true, raw: (f) => f.pkt_size_mean },
  { name: 'rev_fwd_byte_ratio', label: 'responder/initiator byte ratio', log: true, raw: (f) => (f.bytes_rev + 1) / (f.bytes_fwd + 1) },
  { name: 'syn_share', label: 'share of SYN packets', log: false, raw: (f) => share(f.syn_count, f) },
  { name: 'rst_share', label: 'share of RST packets', log: false, raw: (f) => share(f.rst_count, f) },
  { name: 'tcp_handshake_incomplete', label: 'TCP handshake incomplete (1 = yes)', log: false, raw: (f) => (f.protocol === 6 && !f.handshake_complete ? 1 : 0) },
  { name: 'dst_port_rarity', label: 'rarity of the dst port in the baseline (-log10 share)', log: false, raw: (f, c) => rarity(c.state.portCounts[`${f.protocol}/${f.dst_port}`] ?? 0, c.state.flows) },
  { name: 'direction', label: 'direction (0 internal, 1 outbound, 2 inbound, 3 external)', log: false, raw: (f, c) => (c.internal.has(f.src_ip) ? (c.internal.has(f.dst_ip) ? 0 : 1) : c.internal.has(f.dst_ip) ? 2 : 3) },
  { name: 'src_distinct_dst_ports', label: 'dst ports contacted by the source in the window', log: true, raw: (f) => f.ctx_src_distinct_dst_ports, sourceContext: true, warmUpFloor: true },
  { name: 'src_distinct_dst_hosts', label: 'hosts contacted by the source in the window', log: true, raw: (f) => f.ctx_src_distinct_dst_hosts, sourceContext: true, warmUpFloor: true },
  { name: 'src_syn_only_share', label: "share of the source's flows that were SYN-only", log: false, raw: (f) => f.ctx_src_syn_only_share, sourceContext: true },
  { name: 'src_flows_per_s', label: 'flows per second from the source', log: true, raw: (f) => f.ctx_src_flows_per_s, sourceContext: true },
  { name: 'dns_qname_len', label: 'DNS query name length', log: false, raw: (f) => (isDns(f) ? f.dns_qname_len : 0) },
  { name: 'dns_qname_entropy', label: 'DNS query name entropy (bits/char)', log: false, raw: (f) => (isDns(f) ? f.dns_qname_entropy : 0) },
  { name: 'dns_qtype_rarity', label: 'rarity of the DNS query type in the baseline (-log10 share)', log: false, raw: (f, c) => (isDns(f) ? rarity(c.state.qtypeCounts[String(f.dns_qtype)] ?? 0, c.state.dnsFlows) : 0) },
];

// The seed's method, per flow: the raw numeric 5-tuple, for side-by-side evaluations.
const ipNumber = (ip: string): number => {
  const b = ipBytes(ip);
  if (!b) return 0;
  let v = 0;
  for (let i = Math.max(0, b.length - 4); i < b.length; i++) v = v * 256 + b[i]!;
  return v;
};
const SEED: FeatureDef[] = [
  { name: 'src_ip', label: 'source address (as a number)', log: false, raw: (f) => ipNumber(f.src_ip) },
  { name: 'dst_ip', label: 'destination address (as a number)', log: false, raw: (f) => ipNumber(f.dst_ip) },
  { name: 'src_port', label: 'source port', log: false, raw: (f) => f.src_port },
  { name: 'dst_port', label: 'destination port', log: false, raw: (f) => f.dst_port },
  { name: 'protocol', label: 'protocol number', log: false, raw: (f) => f.protocol },
];

const DEFS: Record<FeaturizerName, FeatureDef[]> = { behavioral: BEHAVIORAL, seed: SEED };

/** Changes whenever the feature list changes, so a model never meets vectors it was not trained on. */
export const FEATURE_VERSIONS: Record<FeaturizerName, string> = {
  behavioral: `behavioral-3:${BEHAVIORAL.length}`,
  seed: `seed-1:${SEED.length}`,
};

export class Featurizer {
  readonly defs: readonly FeatureDef[];
  readonly version: string;
  private ctx: FitContext;

  private constructor(readonly name: FeaturizerName, state: FitState) {
    this.defs = DEFS[name];
    this.version = FEATURE_VERSIONS[name];
    this.ctx = { state, internal: new CidrSet(state.internalCidrs) };
  }

  get names(): string[] {
    return this.defs.map((d) => d.name);
  }

  get state(): FitState {
    return this.ctx.state;
  }

  static fit(name: FeaturizerName, flows: readonly Flow[], internalCidrs: readonly string[] = TRAINING_DEFAULTS.internalCidrs): Featurizer {
    const state: FitState = { internalCidrs: [...internalCidrs], portCounts: {}, qtypeCounts: {}, flows: flows.length, dnsFlows: 0 };
    for (const f of flows) {
      const k = `${f.protocol}/${f.dst_port}`;
      state.portCounts[k] = (state.portCounts[k] ?? 0) + 1;
      if (isDns(f)) {
        state.dnsFlows++;
        state.qtypeCounts[String(f.dns_qtype)] = (state.qtypeCounts[String(f.dns_qtype)] ?? 0) + 1;
      }
    }
    const featurizer = new Featurizer(name, state);
    state.warmUpFloors = featurizer.warmUpFloors(flows);
    return featurizer;
  }

  /** Medians of the warm-up-floored features over the flows with a complete window (all flows if none has one). */
  private warmUpFloors(flows: readonly Flow[]): Record<string, number> {
    const complete = flows.filter((f) => !warmingUp(f));
    const from = complete.length > 0 ? complete : flows;
    const floors: Record<string, number> = {};
    for (const def of this.defs) {
      if (!def.warmUpFloor) continue;
      const values = from.map((f) => def.raw(f, this.ctx)).sort((a, b) => a - b);
      floors[def.name] = values.length ? values[Math.floor((values.length - 1) / 2)]! : 0;
    }
    return floors;
  }

  static restore(name: string, version: string, state: FitState): Featurizer {
    if (name !== 'behavioral' && name !== 'seed') throw new Error(`model uses an unknown featurizer "${name}"`);
    if (FEATURE_VERSIONS[name] !== version) {
      throw new Error(`model feature version ${version} does not match this nids's featurizer ${FEATURE_VERSIONS[name]}: retrain the model (nids trainer)`);
    }
    return new Featurizer(name, state);
  }

  /** Raw (human-scale) values of every feature for one flow. */
  raw(f: Flow, out: Float64Array, offset = 0): void {
    for (let i = 0; i < this.defs.length; i++) out[offset + i] = this.defs[i]!.raw(f, this.ctx);
  }

  /** The model's input: raw values, log1p-scaled where the feature says so. */
  transform(flows: readonly Flow[]): Float64Array {
    const d = this.defs.length;
    const X = new Float64Array(flows.length * d);
    const floors = this.ctx.state.warmUpFloors;
    for (let r = 0; r < flows.length; r++) {
      const f = flows[r]!;
      this.raw(f, X, r * d);
      const floored = floors !== undefined && warmingUp(f);
      for (let i = 0; i < d; i++) {
        let v = X[r * d + i]!;
        if (floored && this.defs[i]!.warmUpFloor) v = Math.max(v, floors[this.defs[i]!.name] ?? v);
        X[r * d + i] = Number.isFinite(v) ? (this.defs[i]!.log ? Math.log1p(Math.max(0, v)) : v) : 0;
      }
    }
    return X;
  }
}
