// The records that leave the scorer (schemas/scored-flow.avsc, anomaly.avsc, incident.avsc) and
// their builder, shared by the distributed scorer and the embedded mode so both produce
// byte-identical output for the same flow and model. The detector speaks this vocabulary
// (Severity, Reason); the wire records depend on nothing but the Flow.
import type { Flow } from '../flow/record.ts';

/** How serious an anomaly is (the Avro enum nids.v1.Severity), least serious first. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Position of a severity in SEVERITIES: compare two with it. */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** Why a flow is anomalous: one feature, its value and the baseline figure it is compared with. */
export interface Reason {
  feature: string;
  value: number;
  /** The baseline's p99 of the feature, or its max / min when the value lies beyond the baseline's range. */
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
  reasons: Reason[];
  model_id: string;
  detected_at: number;
}

/** schemas/incident.avsc: one report of an incident (lib/pipeline/incidents.ts builds it). */
export interface Incident {
  incident_id: string;
  status: 'open' | 'closed';
  src_ip: string;
  source_count: number;
  behaviour: string;
  ts_start: number;
  ts_end: number;
  flows: number;
  bytes: number;
  victim_count: number;
  victims: string[];
  top_reasons: string[];
  severity: Severity;
  model_id: string;
  reported_at: number;
}

export function toAnomaly(s: ScoredFlow, severity: Severity, reasons: Reason[], detectedAt: number): Anomaly {
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
