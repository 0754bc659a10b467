// An ended flow's row (export-record.ts) into a Flow: addresses and ids as text, the
// per-source context (ctx_*) and the host statistics. Context and host state are per
// source and order-dependent, so one exporter must see every flow of a sensor, in the
// order the flow table ended them: the table's own exporter when it runs alone, the
// main thread's when the table runs in a worker (lib/flowthread/).
import { formatAddress } from '../packet/decode.ts';
import { entropy } from '../packet/dns.ts';
import { communityId } from './community-id.ts';
import { SourceContext, type ContextValues } from './context.ts';
import { HostTracker } from './host.ts';
import { END_REASONS, type Flow } from './record.ts';
import { flowId } from './flow-id.ts';
import { FLOW_DEFAULTS } from '../config/stages.ts';
import * as R from './export-record.ts';

export class FlowExporter {
  readonly context: SourceContext;
  /** Per-source behaviour statistics at three time scales (the host tier's input). */
  readonly hostTracker: HostTracker;
  private readonly ctxOut: ContextValues = { observedS: 0, distinctDstPorts: 0, distinctDstHosts: 0, synOnlyShare: 0, flowsPerSecond: 0 };

  constructor(
    private readonly sensorId: string,
    contextWindowS = FLOW_DEFAULTS.contextWindowS,
    maxSources = FLOW_DEFAULTS.maxSources,
  ) {
    this.context = new SourceContext(contextWindowS, maxSources);
    this.hostTracker = new HostTracker(maxSources);
  }

  /** Active sources dropped at maxSources (the context's and the host tracker's, the larger). */
  get sourceEvictions(): number {
    return Math.max(this.context.evictions, this.hostTracker.evictions);
  }

  /** Active destination services dropped at the same cap (the host tracker's victim-side statistics). */
  get serviceEvictions(): number {
    return this.hostTracker.serviceEvictions;
  }

  /**
   * The Flow of a row; `dnsName`: the first query's name (null: none seen); `cid` and `id`:
   * the row's conversationIds() when another thread computed them already.
   */
  build(r: Float64Array, dnsName: string | null, cid = communityIdOf(r), id = flowId(this.sensorId, cid, r[R.R_TS_FIRST]!)): Flow {
    const v = r[R.R_IP_VERSION]!;
    const bytes8 = R.recordAddresses(r);
    const n = v === 4 ? 4 : 16;
    const proto = r[R.R_PROTOCOL]!;
    const dport = r[R.R_DST_PORT]!;
    const srcIp = formatAddress(bytes8.subarray(0, n), v);
    const dstIp = formatAddress(bytes8.subarray(16, 16 + n), v);
    const o = R.R_FLAGS;
    const pf = r[R.R_PKTS_FWD]!;
    const pr = r[R.R_PKTS_REV]!;
    const packets = pf + pr;
    const tsStart = r[R.R_TS_FIRST]!;
    this.context.observe(srcIp, dstIp, (proto << 16) | dport, r[R.R_SYN_ONLY] === 1, tsStart, this.ctxOut);
    const dns = r[R.R_DNS] === 1;
    const name = dnsName;
    const flow: Flow = {
      sensor_id: this.sensorId,
      flow_id: id,
      community_id: cid,
      ts_start: tsStart,
      ts_end: r[R.R_TS_LAST]!,
      ip_version: v,
      src_ip: srcIp,
      dst_ip: dstIp,
      src_port: r[R.R_SRC_PORT]!,
      dst_port: dport,
      protocol: proto,
      packets_fwd: pf,
      packets_rev: pr,
      bytes_fwd: r[R.R_BYTES_FWD]!,
      bytes_rev: r[R.R_BYTES_REV]!,
      payload_bytes_fwd: r[R.R_PAYLOAD_FWD]!,
      payload_bytes_rev: r[R.R_PAYLOAD_REV]!,
      syn_count: r[o]!,
      synack_count: r[o + 1]!,
      fin_count: r[o + 2]!,
      rst_count: r[o + 3]!,
      psh_count: r[o + 4]!,
      urg_count: r[o + 5]!,
      odd_flags_count: r[o + 6]!,
      handshake_complete: r[R.R_HANDSHAKE] === 1,
      pkt_size_min: packets > 0 ? r[R.R_SIZE_MIN]! : 0,
      pkt_size_max: r[R.R_SIZE_MAX]!,
      pkt_size_mean: packets > 0 ? (r[R.R_BYTES_FWD]! + r[R.R_BYTES_REV]!) / packets : 0,
      iat_mean_us: packets > 1 ? r[R.R_IAT_MEAN]! : 0,
      // Population standard deviation of the packets - 1 gaps.
      iat_std_us: packets > 2 ? Math.sqrt(r[R.R_IAT_M2]! / (packets - 1)) : 0,
      end_reason: END_REASONS[r[R.R_REASON]!]!,
      ctx_window_s: this.context.windowS,
      ctx_observed_s: this.ctxOut.observedS,
      ctx_src_distinct_dst_ports: this.ctxOut.distinctDstPorts,
      ctx_src_distinct_dst_hosts: this.ctxOut.distinctDstHosts,
      ctx_src_syn_only_share: this.ctxOut.synOnlyShare,
      ctx_src_flows_per_s: this.ctxOut.flowsPerSecond,
      dns_qname: name,
      dns_qname_len: name && name !== '.' ? name.length : 0,
      dns_label_count: name && name !== '.' ? name.split('.').length : 0,
      dns_qname_entropy: name && name !== '.' ? entropy(name) : 0,
      dns_qtype: dns ? r[R.R_DNS_QTYPE]! : -1,
      dns_rcode: dns ? r[R.R_DNS_RCODE]! : -1,
      payload_sanity: r[R.R_SANITY]!,
      capture_loss: false,
      host: null,
    };
    flow.host = this.hostTracker.observe(flow);
    return flow;
  }
}

/** The row's Community ID: order-free, so the flow thread computes it (with flowId) beside the table. */
export function communityIdOf(r: Float64Array): string {
  const bytes8 = R.recordAddresses(r);
  const n = r[R.R_IP_VERSION] === 4 ? 4 : 16;
  return communityId(bytes8.subarray(0, n), bytes8.subarray(16, 16 + n), r[R.R_PROTOCOL]!, r[R.R_SRC_PORT]!, r[R.R_DST_PORT]!);
}
