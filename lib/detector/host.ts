// The host tier: judges a flow's *source* by the behaviour statistics the sensor attached
// to the flow (lib/flow/host.ts), against what the baseline's hosts did.
//
// Why a second tier: a UDP port scan, a flood or an SSH brute force is made of flows that
// each look normal; only the source's behaviour over seconds gives it away. The flow tier's
// forest cannot lift a flow over its threshold on a source-context value beyond the
// baseline's range (it isolates it no faster than the baseline's extreme), and its range
// check leaves source context out because a busy host would put all its flows out of range.
// Here a source is compared with a robust per-statistic baseline instead:
//
//   threshold(host, stat) = max(FLOOR, MARGIN * max(typical, own) + SLACK)
//
// typical: the median over the baseline's hosts of each host's highest value of the stat;
// own: the host's own highest value in the baseline (kept only for hosts above typical: the
// monitoring poller, the busy resolver, the backup job). So a busy host is measured against
// itself and every other host against an ordinary one.
//
// A flow is covered when its source exceeds a threshold *and* the flow takes part in that
// behaviour (a scan covers the source's probes, not its web sessions).
//
// One behaviour needs no volume: a half-open probe (isHalfOpen), which a slow scan (nmap
// -T1, one port every 15 s) sends too few of for any rate to notice. It is flagged unless
// its source made such flows in the baseline too (a scanner-based monitor).
//
// Nor does a probe with flags no TCP stack sends (odd_flags_count: FIN, NULL and XMAS scans,
// nmap -O's SYN+FIN): one is telling, unless its source sent such packets in the baseline.
//
// And a flood can have no source at all: hping3 --rand-source or a botnet sends one or two
// packets from each of thousands of addresses, so no source's statistics move. The victim's
// do (lib/flow/service.ts): service_flood compares the distinct sources of the flows a
// service never served (unserved: handshake not completed, request not answered) with the
// baseline, per service (dst, protocol, port) like the hosts: threshold = MARGIN x
// max(typical service, this service's own) + slack, and only while such flows are most of
// what the service receives. Answered flows never count, so a busy resolver or a web server
// with many clients stays quiet. Multicast and broadcast destinations are left out: many
// hosts announcing themselves there unanswered is ordinary.
//
// And a flood can be one flow: hping3 -1 or ping -f keep one ICMP id, so thousands of echo
// requests are a single flow that no per-source count sees. Per non-TCP protocol, a flow's
// packet rate is compared with the fastest baseline flow of that protocol (TCP is left out:
// bulk transfers are fast and legitimate).
import type { Flow, HostStats } from '../flow/record.ts';
import { SERVICE_SCALES_S, isUnserved } from '../flow/service.ts';
import { HOST_SCALES_S, hasOddFlags, isHalfOpen, isProbe, isSession, isStalled, isUnanswered, serviceKey } from '../flow/host.ts';
import { Sanity } from '../flow/sanity.ts';
import type { Severity } from '../avro/records.ts';

export const BEHAVIOURS = ['port_scan', 'host_sweep', 'flood', 'non_protocol', 'brute_force', 'slow_dos', 'service_flood'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

type StatName = Exclude<keyof HostStats, `service_${string}`>;
interface Rule {
  behaviour: Behaviour;
  stat: StatName;
  /** Added to MARGIN x reference: small counts are noise. */
  slack: number;
  member(f: Flow): boolean;
}

const MARGIN = 2;
const RULES: readonly Rule[] = [
  { behaviour: 'port_scan', stat: 'ports', slack: 8, member: isProbe },
  { behaviour: 'host_sweep', stat: 'hosts', slack: 8, member: isProbe },
  { behaviour: 'flood', stat: 'unanswered', slack: 20, member: (f) => isUnanswered(f) || isProbe(f) },
  // A burst of small flows is a flood only in the flows that carry nothing or get nothing
  // back: a host resolving many names in a burst sends small flows too, all answered.
  { behaviour: 'flood', stat: 'probes', slack: 30, member: (f) => isProbe(f) && (isUnanswered(f) || f.payload_bytes_fwd === 0 || f.rst_count > 0) },
  { behaviour: 'non_protocol', stat: 'nonproto', slack: 5, member: (f) => f.payload_sanity === Sanity.MISMATCH },
  { behaviour: 'brute_force', stat: 'sessions', slack: 4, member: (f) => isSession(f) || (f.protocol === 6 && isProbe(f)) },
  // Many connections to one service held open while nearly idle: a slow DoS ties up the
  // server's connection slots; a user keeps a handful (terminals, a keep-alive pool).
  { behaviour: 'slow_dos', stat: 'stalled', slack: 8, member: isStalled },
];
/** Statistics added after the first models: a model without them gets zeros (slack alone decides). */
const LATER_STATS: readonly StatName[] = ['stalled'];
const STATS: readonly StatName[] = [...new Set(RULES.map((r) => r.stat))];
const NS = HOST_SCALES_S.length;

/** What the model stores: per stat and scale, the typical host's highest value, and the busy hosts' own. */
export interface HostBaselineState {
  typical: Record<string, number[]>;
  own: Record<string, Record<string, number[]>>;
  hosts: number;
  /** Sources that made half-open probes in the baseline (absent in models from before it was learned). */
  halfOpen?: string[];
  /** Sources whose flows carried flag combinations no TCP stack sends in the baseline (absent in older models). */
  oddFlags?: string[];
  /** Per non-TCP protocol, the highest packets/s of a baseline flow of FLOW_FLOOD_MIN_PACKETS or more. */
  flowRate?: Record<string, number>;
  /** Victim side, per service scale: distinct sources of unserved flows (absent in older models: service_flood never fires). */
  services?: ServiceBaselineState;
}

/** typical: the median over the baseline's services of each one's highest value; own: services well above it, by `dst|protocol|port`. */
export interface ServiceBaselineState {
  typical: number[];
  own: Record<string, number[]>;
}

/** Added to MARGIN x the baseline, per service scale (1 s, 10 s): a few clients retrying a down service are not a flood. */
const SERVICE_FLOOD_SLACK = [24, 48] as const;
/** A service's own baseline is kept only from this many unserved sources (below, the typical one does): the model stays small after a baseline port scan. */
const SERVICE_OWN_MIN = 4;
/** Unserved flows must be at least this share of the service's flows in the window. */
const SERVICE_FLOOD_MIN_SHARE = 0.5;
const NSS = SERVICE_SCALES_S.length;
/** IPv4 multicast (224/4), the limited broadcast, IPv6 multicast (ff00::/8). */
const isGroupAddress = (ip: string): boolean => {
  if (ip.startsWith('ff') || ip === '255.255.255.255') return true;
  const dot = ip.indexOf('.');
  const first = dot > 0 ? Number(ip.slice(0, dot)) : 0;
  return first >= 224 && first <= 239;
};

/** A one-flow flood needs volume: fewer packets are a ping, a stream, a retry. */
const FLOW_FLOOD_MIN_PACKETS = 100;
/** Added to MARGIN x the baseline's fastest flow, in packets/s (a ping is 1/s). */
const FLOW_RATE_SLACK = 50;
const flowRate = (f: Flow): number => f.packets_fwd / Math.max((f.ts_end - f.ts_start) / 1e6, 1e-3);

export interface HostVerdict {
  behaviour: Behaviour;
  stat: string;
  value: number;
  threshold: number;
  /** The baseline figure the value is compared with (typical or the host's own). */
  baseline: number;
  severity: Severity;
  text: string;
}

export class HostBaseline {
  private constructor(readonly state: HostBaselineState) {}

  /** From baseline flows that carry host statistics (flows without them are ignored). */
  static fit(flows: readonly Flow[]): HostBaseline {
    const perHost = new Map<string, Record<string, number[]>>();
    const halfOpen = new Set<string>();
    const oddFlags = new Set<string>();
    const rates: Record<string, number> = {};
    const perService = new Map<string, number[]>();
    for (const f of flows) {
      if (!f.host) continue;
      const us = f.host.service_unserved_sources;
      if (us?.length) {
        const key = serviceKey(f);
        let m = perService.get(key);
        if (!m) perService.set(key, (m = new Array<number>(NSS).fill(0)));
        for (let k = 0; k < NSS; k++) if ((us[k] ?? 0) > m[k]!) m[k] = us[k]!;
      }
      if (isHalfOpen(f)) halfOpen.add(f.src_ip);
      if (hasOddFlags(f)) oddFlags.add(f.src_ip);
      if (f.protocol !== 6 && f.packets_fwd >= FLOW_FLOOD_MIN_PACKETS) rates[f.protocol] = Math.max(rates[f.protocol] ?? 0, flowRate(f));
      let m = perHost.get(f.src_ip);
      if (!m) perHost.set(f.src_ip, (m = Object.fromEntries(STATS.map((s) => [s, new Array<number>(NS).fill(0)]))));
      for (const s of STATS) {
        const v = f.host[s];
        const mx = m[s]!;
        for (let k = 0; k < NS; k++) if ((v[k] ?? 0) > mx[k]!) mx[k] = v[k]!;
      }
    }
    const typical: Record<string, number[]> = {};
    for (const s of STATS) {
      typical[s] = Array.from({ length: NS }, (_, k) => median([...perHost.values()].map((m) => m[s]![k]!)));
    }
    const own: Record<string, Record<string, number[]>> = {};
    for (const [host, m] of perHost) {
      if (STATS.some((s) => m[s]!.some((v, k) => v > typical[s]![k]!))) own[host] = m;
    }
    const serviceTypical = Array.from({ length: NSS }, (_, k) => median([...perService.values()].map((m) => m[k]!)));
    const serviceOwn: Record<string, number[]> = {};
    for (const [key, m] of perService) if (m.some((v, k) => v >= SERVICE_OWN_MIN && v > serviceTypical[k]!)) serviceOwn[key] = m;
    const services = perService.size > 0 ? { typical: serviceTypical, own: serviceOwn } : undefined;
    return new HostBaseline({ typical, own, hosts: perHost.size, halfOpen: [...halfOpen].sort(), oddFlags: [...oddFlags].sort(), flowRate: rates, services });
  }

  static restore(state: HostBaselineState): HostBaseline {
    for (const s of LATER_STATS) state.typical[s] ??= new Array<number>(NS).fill(0);
    for (const s of STATS) if (!Array.isArray(state.typical[s]) || state.typical[s].length !== NS) throw new Error(`model host baseline is corrupted: no typical ${s}`);
    if (state.services && (!Array.isArray(state.services.typical) || state.services.typical.length !== NSS || typeof state.services.own !== 'object')) throw new Error('model host baseline is corrupted: bad service baseline');
    return new HostBaseline(state);
  }

  /** The strongest host behaviour `f` takes part in, or null. */
  judge(f: Flow): HostVerdict | null {
    const h = f.host;
    if (!h) return null;
    const own = this.state.own[f.src_ip];
    let best: HostVerdict | null = null;
    let bestRatio = 1;
    for (const r of RULES) {
      const values = h[r.stat];
      const typ = this.state.typical[r.stat]!;
      const mine = own?.[r.stat];
      for (let k = 0; k < NS; k++) {
        const v = values[k] ?? 0;
        const ref = Math.max(typ[k]!, mine?.[k] ?? 0);
        const threshold = MARGIN * ref + r.slack;
        const ratio = v / threshold;
        if (ratio <= bestRatio || !r.member(f)) continue;
        bestRatio = ratio;
        best = { behaviour: r.behaviour, stat: r.stat, value: v, threshold, baseline: ref, severity: severityOfRatio(ratio), text: describe(f, r, k, v, ref, mine !== undefined) };
      }
    }
    const victim = this.judgeService(f, h, bestRatio);
    if (victim) best = victim;
    if (!best && f.protocol !== 6 && f.packets_fwd >= FLOW_FLOOD_MIN_PACKETS) {
      const ref = this.state.flowRate?.[f.protocol] ?? 0;
      const rate = flowRate(f);
      const threshold = MARGIN * ref + FLOW_RATE_SLACK;
      if (rate > threshold) {
        const ratio = rate / threshold;
        best = { behaviour: 'flood', stat: 'flow_rate', value: Math.round(rate), threshold, baseline: Math.round(ref), severity: severityOfRatio(ratio), text: `${f.src_ip}: ${f.packets_fwd} packets in one flow to ${f.dst_ip} (proto ${f.protocol}) at ${Math.round(rate)}/s (baseline fastest flow of the protocol = ${Math.round(ref)}/s)` };
      }
    }
    if (!best && hasOddFlags(f) && !this.state.oddFlags?.includes(f.src_ip)) {
      best = { behaviour: 'port_scan', stat: 'odd_flags', value: f.odd_flags_count, threshold: 1, baseline: 0, severity: 'medium', text: `${f.src_ip}: ${f.odd_flags_count} TCP packet(s) to ${f.dst_ip}:${f.dst_port} with flags no TCP stack sends (a FIN, NULL or XMAS scan's probe, or SYN with FIN/RST; no baseline host sent such)` };
    }
    if (!best && isHalfOpen(f) && !this.state.halfOpen?.includes(f.src_ip)) {
      best = { behaviour: 'port_scan', stat: 'half_open', value: 1, threshold: 1, baseline: 0, severity: 'medium', text: `${f.src_ip}: reset ${f.dst_ip}'s SYN-ACK on TCP ${f.dst_port} without completing the handshake (a SYN scan's half-open probe; no baseline host did so)` };
    }
    return best;
  }

  /** service_flood for an unserved flow whose service received such flows from far more sources than in the baseline, if stronger than `beat`. */
  private judgeService(f: Flow, h: HostStats, beat: number): HostVerdict | null {
    const base = this.state.services;
    const sources = h.service_unserved_sources;
    if (!base || !sources?.length || !isUnserved(f) || isGroupAddress(f.dst_ip)) return null;
    const mine = base.own[serviceKey(f)];
    let best: HostVerdict | null = null;
    for (let k = 0; k < NSS; k++) {
      const v = sources[k] ?? 0;
      const unserved = h.service_unserved[k] ?? 0;
      const flows = h.service_flows[k] ?? 0;
      if (unserved < SERVICE_FLOOD_MIN_SHARE * flows) continue;
      const ref = Math.max(base.typical[k] ?? 0, mine?.[k] ?? 0);
      const threshold = MARGIN * ref + SERVICE_FLOOD_SLACK[k]!;
      const ratio = v / threshold;
      if (ratio <= beat) continue;
      beat = ratio;
      const proto = protocolName(f.protocol).toLowerCase();
      const what = f.protocol === 6 ? 'handshakes left unanswered or half-open' : 'requests left unanswered';
      const count = (n: number): string => n.toLocaleString('en-US');
      best = {
        behaviour: 'service_flood', stat: 'service_unserved_sources', value: v, threshold, baseline: ref, severity: severityOfRatio(ratio),
        text: `${f.dst_ip}:${f.dst_port}/${proto}: ${count(unserved)} ${what} from ~${count(v)} sources in ${SERVICE_SCALES_S[k]} s, ${Math.round((100 * unserved) / Math.max(flows, 1))} % of its flows (baseline ${mine ? 'max of this service' : 'typical service'} = ${ref} sources)`,
      };
    }
    return best;
  }
}

/** How reasons name a protocol: TCP, UDP, ICMP (v4 and v6), else its number. */
function protocolName(p: number): string {
  return p === 6 ? 'TCP' : p === 17 ? 'UDP' : p === 1 || p === 58 ? 'ICMP' : `proto ${p}`;
}

function describe(f: Flow, r: Rule, k: number, v: number, ref: number, own: boolean): string {
  const h = f.host!;
  const s = HOST_SCALES_S[k]!;
  const flows = h.flows[k] ?? 0;
  const unanswered = flows > 0 ? Math.round((100 * (h.unanswered[k] ?? 0)) / flows) : 0;
  const proto = protocolName(f.protocol);
  const base = `(baseline ${own ? 'max of this host' : 'typical host'} = ${ref})`;
  switch (r.behaviour) {
    case 'port_scan':
      return `${f.src_ip}: ${v} distinct ports probed on ${h.hosts[k] ?? 0} host(s) in ${s} s, ${unanswered} % unanswered ${base}`;
    case 'host_sweep':
      return `${f.src_ip}: ${v} distinct hosts probed in ${s} s, ${unanswered} % unanswered ${base}`;
    case 'flood':
      return `${f.src_ip}: ${v} ${r.stat === 'unanswered' ? 'unanswered flows' : 'small flows'} in ${s} s (${proto} to ${f.dst_ip}:${f.dst_port}), ${unanswered} % unanswered ${base}`;
    case 'non_protocol':
      return `${f.src_ip}: ${v} flows in ${s} s whose payload is not the protocol of their port (${proto} ${f.dst_port} on ${f.dst_ip}) ${base}`;
    case 'brute_force':
      return `${f.src_ip}: ${v} short sessions to ${f.dst_ip} ${proto} ${f.dst_port} in ${s} s ${base}`;
    case 'service_flood': // not a RULES behaviour: judgeService writes the victim's own text
      return `${f.dst_ip}:${f.dst_port}: ${v} sources in ${s} s ${base}`;
    case 'slow_dos':
      return `${f.src_ip}: ${v} nearly idle connections held open to ${f.dst_ip} ${proto} ${f.dst_port}, started in ${s} s ${base}`;
  }
}

/** How far over its threshold a host is: twice is medium, three times high, eight critical. */
const severityOfRatio = (ratio: number): Severity => (ratio >= 8 ? 'critical' : ratio >= 3 ? 'high' : 'medium');

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/**
 * Whether `other`, a flow of the same source judged normal on its own (sent before the
 * source's behaviour crossed its threshold, or shortly after but not one the rule counts),
 * takes part in the behaviour `trigger` was flagged for: the hold-back stage
 * (lib/pipeline/hold-back.ts) flags it then. Held to the same victim (and service, for
 * a brute force) as the trigger, except a host sweep, whose victims differ by definition;
 * and to the shape of the behaviour's flows (a probe for a scan, a stalled connection to the
 * service for a slow DoS, a TCP exchange with the service for a brute force, whatever its size: hydra's failed and cut-short attempts are
 * not all login-sized), so the source's ordinary traffic stays normal.
 */
export function takesPart(behaviour: Behaviour, trigger: Flow, other: Flow): boolean {
  if (other.src_ip !== trigger.src_ip) return false;
  if (behaviour === 'host_sweep') return isProbe(other);
  if (other.dst_ip !== trigger.dst_ip) return false;
  switch (behaviour) {
    case 'port_scan':
      return isProbe(other);
    case 'flood':
      return isProbe(other) || isUnanswered(other);
    case 'non_protocol':
      return other.payload_sanity === Sanity.MISMATCH;
    case 'brute_force':
      return other.protocol === trigger.protocol && other.dst_port === trigger.dst_port && other.protocol === 6;
    case 'slow_dos':
      return other.dst_port === trigger.dst_port && isStalled(other);
    case 'service_flood':
      return other.protocol === trigger.protocol && other.dst_port === trigger.dst_port && isUnserved(other);
  }
}
