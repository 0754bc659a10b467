// The sink stage's SIEM-facing outputs, beside the CSV: incidents.jsonl (each incident's
// closing report, once), alerts.ecs.ndjson (ECS alerts, with --ecs) and the webhook
// (lib/alert/). Files are written once per id and durable before a batch is committed, as
// the CSV is; the webhook only ever enqueues, so a slow receiver never holds up the sink.
import { join } from 'node:path';
import type { Anomaly, Incident } from '../avro/records.ts';
import { ECS_FILE, ecsOfAnomaly, ecsOfIncident, type EcsAlert } from '../siem/ecs.ts';
import { alertOfAnomaly, alertOfIncident } from '../alert/message.ts';
import type { WebhookAlerter } from '../alert/webhook.ts';
import { INCIDENTS_FILE } from './incidents.ts';
import { JsonlWriter } from './jsonl.ts';

export interface SiemOutputOptions {
  ecs: boolean;
  alerter: WebhookAlerter | null;
  /** fsync each batch before returning (the sink); false for a run that can simply be repeated. */
  syncEachBatch?: boolean;
}

/** An ECS alert's id in the file: an incident is written when it opens and when it closes. */
const ecsIdOf = (e: EcsAlert): string => {
  const event = e.event as { id: string; dataset: string };
  const status = (e.nids as { incident?: { status: string } }).incident?.status;
  return status ? `${event.id}#${status}` : event.id;
};

export class SiemOutputs {
  readonly incidents: JsonlWriter<Incident>;
  readonly ecs: JsonlWriter<EcsAlert> | null;

  constructor(
    readonly dir: string,
    private readonly opts: SiemOutputOptions,
  ) {
    const sync = opts.syncEachBatch ?? true;
    this.incidents = new JsonlWriter<Incident>(join(dir, INCIDENTS_FILE), (i) => i.incident_id, sync);
    this.ecs = opts.ecs ? new JsonlWriter<EcsAlert>(join(dir, ECS_FILE), ecsIdOf, sync) : null;
  }

  onAnomalies(anomalies: readonly Anomaly[]): void {
    this.ecs?.write(anomalies.map(ecsOfAnomaly));
    if (this.opts.alerter) for (const a of anomalies) this.opts.alerter.offer(alertOfAnomaly(a));
  }

  /** Incident reports: every one may alert; the file takes the closing report, ECS the first and the closing one. */
  onIncidents(reports: readonly Incident[]): void {
    this.incidents.write(reports.filter((i) => i.status === 'closed'));
    this.ecs?.write(reports.map(ecsOfIncident));
    if (this.opts.alerter) for (const i of reports) this.opts.alerter.offer(alertOfIncident(i));
  }

  close(): void {
    this.incidents.close();
    this.ecs?.close();
  }
}
