// Alerts shaped to the Elastic Common Schema (ECS 8.11), one JSON object per line, for a
// SIEM that ingests files (Filebeat, Elastic Agent, Vector): an Anomaly or an Incident
// becomes one `event.kind: alert`. ECS fields where ECS has one, our own figures under
// `nids.*`. The field-by-field mapping is docs/reference/ecs.md; the sink and `nids
// analyze --ecs` both write through this module.
import { behaviourOf } from '../pipeline/incident-names.ts';
import { formatIsoMicros } from '../time/index.ts';
import type { Anomaly, Incident, Severity } from '../avro/records.ts';

export const ECS_VERSION = '8.11.0';
export const ECS_FILE = 'alerts.ecs.ndjson';

/**
 * event.severity is a number in ECS; these are the values Elastic's detection rules give
 * their four severities, so our alerts sort with theirs.
 */
export const ECS_SEVERITY: Readonly<Record<Severity, number>> = { low: 21, medium: 47, high: 73, critical: 99 };

const TRANSPORT: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 132: 'sctp' };
/** Protocols whose Anomaly ports are ports (ICMP's hold type and code, which ECS does not call ports). */
const HAS_PORTS = new Set([6, 17, 132]);

export type EcsAlert = Record<string, unknown>;

const observer = { vendor: 'nids', product: 'nids', type: 'ids' };

/** One anomalous flow as an ECS alert (event.id = flow_id, so a replay writes nothing twice). */
export function ecsOfAnomaly(a: Anomaly): EcsAlert {
  const ports = HAS_PORTS.has(a.protocol);
  const behaviour = behaviourOf(a);
  return {
    '@timestamp': formatIsoMicros(a.detected_at),
    ecs: { version: ECS_VERSION },
    message: `${a.severity} anomaly ${a.src_ip} -> ${a.dst_ip}: ${a.reasons[0]?.text ?? 'isolated by the model'}`,
    event: {
      kind: 'alert',
      category: ['network'],
      type: ['connection'],
      id: a.flow_id,
      severity: ECS_SEVERITY[a.severity],
      reason: a.reasons.map((r) => r.text).join('; '),
      start: formatIsoMicros(a.ts_start),
      end: formatIsoMicros(a.ts_end),
      created: formatIsoMicros(a.detected_at),
      dataset: 'nids.anomaly',
    },
    source: { ip: a.src_ip, ...(ports ? { port: a.src_port } : {}) },
    destination: { ip: a.dst_ip, ...(ports ? { port: a.dst_port } : {}) },
    network: {
      transport: TRANSPORT[a.protocol] ?? String(a.protocol),
      iana_number: String(a.protocol),
      community_id: a.community_id,
      bytes: a.bytes,
      packets: a.packets,
    },
    rule: { name: `nids ${behaviour}`, category: behaviour.startsWith('flow.') ? 'flow' : 'host' },
    observer: { ...observer, name: a.sensor_id },
    related: { ip: [a.src_ip, a.dst_ip] },
    nids: {
      score: a.score,
      threshold: a.threshold,
      model_id: a.model_id,
      severity: a.severity,
      reasons: a.reasons.map((r) => ({ feature: r.feature, value: r.value, baseline: r.baseline, text: r.text })),
    },
  };
}

/** One incident report as an ECS alert (event.id = incident_id; the victims in related.ip). */
export function ecsOfIncident(i: Incident): EcsAlert {
  return {
    '@timestamp': formatIsoMicros(i.reported_at),
    ecs: { version: ECS_VERSION },
    message: `${i.severity} incident ${i.behaviour} from ${i.source_count > 1 ? `${i.source_count} sources` : i.src_ip}: ${i.flows} flows, ${i.victim_count} victim(s)`,
    event: {
      kind: 'alert',
      category: ['network'],
      type: ['connection'],
      id: i.incident_id,
      severity: ECS_SEVERITY[i.severity],
      reason: i.top_reasons.join('; '),
      start: formatIsoMicros(i.ts_start),
      end: formatIsoMicros(i.ts_end),
      created: formatIsoMicros(i.reported_at),
      dataset: 'nids.incident',
    },
    source: { ip: i.src_ip },
    ...(i.victims.length === 1 ? { destination: { ip: i.victims[0] } } : {}),
    network: { bytes: i.bytes },
    rule: { name: `nids ${i.behaviour}`, category: i.behaviour.startsWith('flow.') ? 'flow' : 'host' },
    related: { ip: [...new Set([i.src_ip, ...i.victims])] },
    observer,
    nids: {
      model_id: i.model_id,
      severity: i.severity,
      reasons: i.top_reasons.map((text) => ({ text })),
      incident: { status: i.status, flows: i.flows, victim_count: i.victim_count, source_count: i.source_count },
    },
  };
}
