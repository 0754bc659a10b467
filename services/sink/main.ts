// The sink service: scored flows -> five_tuple_with_anomaly.csv and the plots (and with
// --serve the live dashboard); anomalies and incident reports -> incidents.jsonl,
// alerts.ecs.ndjson (--ecs) and the webhook (--webhook-url). Offsets are committed only
// after rows are fsynced; the files drop ids they already hold, so a crash and replay
// neither loses nor duplicates a line.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { num, pick, str } from '../../lib/config/index.ts';
import { consumerSettings, kafkaSettings, producerSettings, topicSettings } from '../../lib/config/common.ts';
import { alertSettings, dashboardSettings, plotSettings, siemSettings } from '../../lib/config/stages.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { createConsumer, createKafka, createProducer, requireTopics, runStage } from '../../lib/kafka/index.ts';
import { Counter, Gauge } from '../../lib/metrics/index.ts';
import type { Anomaly, Incident, ScoredFlow } from '../../lib/avro/records.ts';
import { CsvWriter, CSV_FILE } from '../../lib/pipeline/csv.ts';
import { atomicallyInto, PLOT_FILES, writePlots } from '../../lib/pipeline/plot.ts';
import { alertOfScored, DashboardFeed, type AlertRow } from '../../lib/dashboard/feed.ts';
import { startDashboard, type Dashboard } from '../../lib/dashboard/server.ts';
import { SiemOutputs } from '../../lib/pipeline/siem.ts';
import { WebhookAlerter } from '../../lib/alert/webhook.ts';

const spec = {
  out: str({ flag: 'out', env: 'NIDS_SINK_OUT', default: 'out/sink', metavar: 'dir', help: `Folder of ${CSV_FILE}, the plots (${PLOT_FILES.join(', ')}), incidents.jsonl and alerts.ecs.ndjson.` }),
  groupId: str({ flag: 'group-id', env: 'NIDS_SINK_GROUP', default: 'nids-sink', help: 'Kafka consumer group (one per output folder).' }),
  plotEveryS: num({ flag: 'plot-every', env: 'NIDS_SINK_PLOT_EVERY_S', default: 10, min: 1, help: 'Seconds between plot refreshes while rows arrive.' }),
  ...plotSettings,
  ...dashboardSettings,
  ...kafkaSettings,
  ...producerSettings,
  ...consumerSettings,
  scoredTopic: topicSettings.scoredTopic,
  anomaliesTopic: topicSettings.anomaliesTopic,
  incidentsTopic: topicSettings.incidentsTopic,
  dlqTopic: topicSettings.dlqTopic,
  ...siemSettings,
  ...alertSettings,
};

/** Milliseconds a stopping sink gives the webhook to send what is queued. */
const ALERT_GRACE_MS = 3000;

export const sinkService: ServiceDef<typeof spec> = {
  name: 'sink',
  usage: 'Usage: nids sink [--out <dir>] [--serve] [options]',
  description: `Consumes scored flows, anomalies and incidents; writes ${CSV_FILE} (anomaly 1 normal / -1 anomalous), the plots ${PLOT_FILES.join(', ')}, incidents.jsonl, ECS alerts (--ecs), posts alerts to a webhook (--webhook-url); --serve also serves the live dashboard.`,
  spec,
  async main({ config, log, metrics, stopped }) {
    const rows = new Counter({ name: 'nids_sink_rows_written_total', help: 'CSV rows written', registers: [metrics.registry] });
    const dups = new Counter({ name: 'nids_sink_duplicates_dropped_total', help: 'Replayed flows already in the CSV', registers: [metrics.registry] });
    const dlq = new Counter({ name: 'nids_sink_dead_letters_total', help: 'Records sent to the DLQ', registers: [metrics.registry] });
    const anomalies = new Gauge({ name: 'nids_sink_anomalies', help: 'Anomalous rows in the CSV', registers: [metrics.registry] });
    const plotFailures = new Counter({ name: 'nids_sink_plot_failures_total', help: 'Plot refreshes that failed (logged)', registers: [metrics.registry] });

    mkdirSync(config.out, { recursive: true });
    // Synced by csv.sync() before each batch commits: one fsync covers the partitions handled at once.
    const csv = new CsvWriter(join(config.out, CSV_FILE), false);
    log.info({ path: csv.path, existingRows: csv.plot.flows }, 'CSV open');
    anomalies.set(csv.anomalyRows);
    let plotted = -1;
    let plotting: Promise<void> | null = null;
    // One render at a time; a refresh while one runs is skipped (the next tick draws it).
    const refreshPlots = (): Promise<void> => {
      if (plotting || plotted === csv.plot.flows) return plotting ?? Promise.resolve();
      const rowsNow = csv.plot.flows;
      plotting = writePlots(csv.plot, atomicallyInto(config.out), config.plotFont)
        .then(() => void (plotted = rowsNow))
        .catch((err: unknown) => {
          plotFailures.inc();
          log.error({ err }, 'plot refresh failed; the CSV is unaffected');
        })
        .finally(() => (plotting = null));
      return plotting;
    };
    const alerter = config.webhookUrl ? new WebhookAlerter({ ...config, webhookUrl: config.webhookUrl }, metrics.registry, log) : null;
    const siem = new SiemOutputs(config.out, { ecs: config.ecs, alerter });

    const feed = new DashboardFeed(csv.plot);
    let dashboard: Dashboard | null = null;
    if (config.serve) {
      dashboard = await startDashboard(feed, pick(dashboardSettings, config));
      log.info({ url: dashboard.url.replace(/token=[^&]*/, 'token=[redacted]') }, 'dashboard serving');
    }

    const registry = connectRegistry(config.registry);
    const [scoredCodec, anomalyCodec, incidentCodec] = await Promise.all([
      AvroCodec.forTopic<ScoredFlow>(registry, config.scoredTopic, 'scoredFlow'),
      AvroCodec.forTopic<Anomaly>(registry, config.anomaliesTopic, 'anomaly'),
      AvroCodec.forTopic<Incident>(registry, config.incidentsTopic, 'incident'),
    ]);
    const codecOf = (topic: string) => (topic === config.scoredTopic ? scoredCodec : topic === config.anomaliesTopic ? anomalyCodec : incidentCodec);
    const kafka = createKafka(config.brokers, `${config.clientId}-sink`, log);
    await requireTopics(kafka, {
      [config.scoredTopic]: '--scored-topic',
      [config.anomaliesTopic]: '--anomalies-topic',
      [config.incidentsTopic]: '--incidents-topic',
      [config.dlqTopic]: '--dlq-topic',
    });
    const producer = await createProducer(kafka);
    const consumer = createConsumer(kafka, config.groupId, config);
    await consumer.connect();
    await consumer.subscribe({ topics: [config.scoredTopic, config.anomaliesTopic, config.incidentsTopic], fromBeginning: true });
    const timer = setInterval(() => void refreshPlots(), config.plotEveryS * 1000);
    try {
      const stage = { decode: (values: (Buffer | null)[], topic: string) => codecOf(topic).decodeAll(values), dlqTopic: config.dlqTopic, log, deadLetters: dlq, tuning: config };
      await runStage<ScoredFlow | Anomaly | Incident>(consumer, producer, stage, async (batch, { topic }) => {
        if (topic === config.anomaliesTopic) siem.onAnomalies(batch as Anomaly[]);
        else if (topic === config.incidentsTopic) {
          siem.onIncidents(batch as Incident[]);
          // The dashboard and the timeline's shading take an incident once, when it closes.
          const closed = (batch as Incident[]).filter((i) => i.status === 'closed');
          csv.plot.addIncidents(closed);
          feed.addIncidents(closed);
        }
        else {
          const before = csv.duplicatesDropped;
          const alerts: AlertRow[] = [];
          rows.inc(csv.write(batch as ScoredFlow[], (s) => {
            if (s.anomaly === -1) alerts.push(alertOfScored(s));
          }));
          dups.inc(csv.duplicatesDropped - before);
          anomalies.set(csv.anomalyRows);
          feed.addAnomalies(alerts);
          await csv.sync();
        }
        return new Map();
      });
      metrics.setReady(true);
      await stopped;
    } finally {
      clearInterval(timer);
      await consumer.disconnect();
      await producer.disconnect();
      await plotting;
      await refreshPlots();
      await dashboard?.close();
      csv.close();
      siem.close();
      await alerter?.close(ALERT_GRACE_MS);
      log.info({ rows: csv.plot.flows, duplicatesDropped: csv.duplicatesDropped, plots: PLOT_FILES, incidents: siem.incidents.linesWritten }, 'outputs final');
    }
    return 0;
  },
};

export const run = (argv: string[]): Promise<number> => runService(sinkService, argv);
