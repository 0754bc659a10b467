// The Flow record as it travels between stages. Mirrors schemas/flow.avsc field for field
// (snake_case, so an Avro-decoded record *is* a Flow); timestamps are epoch microseconds.

export const END_REASONS = ['idle', 'active', 'fin', 'rst', 'evicted', 'shutdown'] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface Flow {
  sensor_id: string;
  flow_id: string;
  community_id: string;
  ts_start: number;
  ts_end: number;
  ip_version: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  protocol: number;
  packets_fwd: number;
  packets_rev: number;
  bytes_fwd: number;
  bytes_rev: number;
  payload_bytes_fwd: number;
  payload_bytes_rev: number;
  syn_count: number;
  synack_count: number;
  fin_count: number;
  rst_count: number;
  psh_count: number;
  urg_count: number;
  /** TCP packets with a flag combination no TCP stack sends (see schemas/flow.avsc). */
  odd_flags_count: number;
  handshake_complete: boolean;
  pkt_size_min: number;
  pkt_size_max: number;
  pkt_size_mean: number;
  iat_mean_us: number;
  iat_std_us: number;
  end_reason: EndReason;
  ctx_window_s: number;
  /** Seconds of the window observed at export: below ctx_window_s while the sensor warms up (-1: unknown). */
  ctx_observed_s: number;
  ctx_src_distinct_dst_ports: number;
  ctx_src_distinct_dst_hosts: number;
  ctx_src_syn_only_share: number;
  ctx_src_flows_per_s: number;
  dns_qname: string | null;
  dns_qname_len: number;
  dns_label_count: number;
  dns_qname_entropy: number;
  dns_qtype: number;
  dns_rcode: number;
  /** Whether the initiator's first payload parses as the protocol of its well-known port (lib/flow/sanity.ts): 0 unchecked, 1 ok, 2 mismatch. */
  payload_sanity: number;
  /** The source's behaviour at export (lib/flow/host.ts); null from sensors that predate it. */
  host: HostStats | null;
  /** The live capture lost packets while this flow was open (kernel, interface or ring drops): its counts may be short. Always false from files. */
  capture_loss: boolean;
}

/** Per statistic, its value over the last 1 s, 10 s and 60 s (HOST_SCALES_S in lib/flow/host.ts). */
export interface HostStats {
  flows: number[];
  probes: number[];
  unanswered: number[];
  ports: number[];
  hosts: number[];
  nonproto: number[];
  sessions: number[];
  stalled: number[];
}
