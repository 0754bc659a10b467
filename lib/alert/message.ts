// What an alert says, and the two bodies a webhook receives: nids' own JSON (the record
// included, for automation) and a Slack incoming-webhook message (for people; Mattermost,
// Rocket.Chat and Teams' Slack-compatible hooks take it too).
import { behaviourOf } from '../pipeline/incidents.ts';
import { formatIsoMicros } from '../time/index.ts';
import type { Anomaly, Incident, Severity } from '../avro/records.ts';

export interface Alert {
  kind: 'anomaly' | 'incident';
  /** flow_id or incident_id. */
  id: string;
  source: string;
  behaviour: string;
  severity: Severity;
  /** One line: severity, who, what. */
  title: string;
  /** The reasons, one per line. */
  text: string;
  /** Epoch microseconds: when the scorer flagged it (anomaly) or reported it (incident). */
  at: number;
  record: Anomaly | Incident;
}

export function alertOfAnomaly(a: Anomaly): Alert {
  const behaviour = behaviourOf(a);
  return {
    kind: 'anomaly',
    id: a.flow_id,
    source: a.src_ip,
    behaviour,
    severity: a.severity,
    title: `${a.severity} anomaly: ${a.src_ip} -> ${a.dst_ip}:${a.dst_port} (${behaviour})`,
    text: a.reasons.map((r) => r.text).join('\n'),
    at: a.detected_at,
    record: a,
  };
}

export function alertOfIncident(i: Incident): Alert {
  const who = i.source_count > 1 ? `${i.source_count} sources` : i.src_ip;
  return {
    kind: 'incident',
    id: i.incident_id,
    source: i.src_ip,
    behaviour: i.behaviour,
    severity: i.severity,
    title: `${i.severity} incident (${i.status}): ${who} ${i.behaviour}, ${i.flows} flows, ${i.victim_count} victim(s)`,
    text: i.top_reasons.join('\n'),
    at: i.reported_at,
    record: i,
  };
}

export type WebhookFormat = 'json' | 'slack';

/** The POST body; `suppressed` counts the alerts dropped (duplicates, rate limit) since the last one sent. */
export function webhookBody(alert: Alert, format: WebhookFormat, suppressed: number): unknown {
  const note = suppressed > 0 ? `(${suppressed} more alert(s) suppressed since the last one)` : '';
  if (format === 'slack') {
    const text = `*${alert.title}*\n${alert.text}${note ? `\n_${note}_` : ''}`;
    return { text: `${alert.title}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  return {
    kind: alert.kind,
    id: alert.id,
    severity: alert.severity,
    source: alert.source,
    behaviour: alert.behaviour,
    title: alert.title,
    reasons: alert.text ? alert.text.split('\n') : [],
    at: formatIsoMicros(alert.at),
    suppressed,
    record: alert.record,
  };
}
