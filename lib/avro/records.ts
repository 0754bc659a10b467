// Builders of the records that leave the scorer, shared by the distributed scorer and the
// embedded mode so both produce byte-identical output for the same flow and model.
import type { Flow } from '../flow/record.ts';
import type { Severity } from '../detector/severity.ts';

export type { Severity };

export interface ReasonRecord {
  feature: string;
  value: number;
  baseline: number | null;
  text: string;
}

export interface ScoredFlow {
  flow: Flow;
  score: number;
  anomaly: 1 | -1;
  threshold: number;
  model_id: string;
  feature_version: string;
  reasons: string[];
  scored_at: number;
}

export interface Anomaly {
  flow_id: string;
  community_id: string;
  sensor_id: string;
  ts_start: number;
  ts_end: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  protocol: number;
  packets: number;
  bytes: number;
  score: number;
  threshold: number;
  severity: Severity;
  reasons: ReasonRecord[];
  model_id: string;
  detected_at: number;
}

export function toAnomaly(s: ScoredFlow, severity: Severity, reasons: ReasonRecord[], detectedAt: number): Anomaly {
  const f = s.flow;
  return {
    flow_id: f.flow_id,
    community_id: f.community_id,
    sensor_id: f.sensor_id,
    ts_start: f.ts_start,
    ts_end: f.ts_end,
    src_ip: f.src_ip,
    dst_ip: f.dst_ip,
    src_port: f.src_port,
    dst_port: f.dst_port,
    protocol: f.protocol,
    packets: f.packets_fwd + f.packets_rev,
    bytes: f.bytes_fwd + f.bytes_rev,
    score: s.score,
    threshold: s.threshold,
    severity,
    reasons,
    model_id: s.model_id,
    detected_at: detectedAt,
  };
}
