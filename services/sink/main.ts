// The sink service: scored flows -> five_tuple_with_anomaly.csv and anomaly_plot.png;
// anomalies and incident reports -> incidents.jsonl, alerts.ecs.ndjson (--ecs) and the
// webhook (--webhook-url). Offsets are committed only after rows are fsynced; the files
// drop ids they already hold, so a crash and replay neither loses nor duplicates a line.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { num, str } from '../../lib/config/index.ts';
import { kafkaSettings, topicSettings } from '../../lib/config/common.ts';
import { alertSettings, siemSettings } from '../../lib/config/stages.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { createKafka, createProducer, runStage } from '../../lib/kafka/index.ts';
import { Counter, Gauge } from '../../lib/metrics/index.ts';
import type { Anomaly, Incident, ScoredFlow } from '../../lib/avro/records.ts';
import { CsvWriter, CSV_FILE } from '../../lib/pipeline/csv.ts';
import { PLOT_FILE, writePlot } from '../../lib/pipeline/plot.ts';
import { SiemOutputs } from '../../lib/pipeline/siem.ts';
import { WebhookAlerter } from '../../lib/alert/webhook.ts';

const spec = {
  out: str({ flag: 'out', env: 'NIDS_SINK_OUT', default: 'out/sink', metavar: 'dir', help: `Folder of ${CSV_FILE}, ${PLOT_FILE}, incidents.jsonl and alerts.ecs.ndjson.` }),
  groupId: str({ flag: 'group-id', env: 'NIDS_SINK_GROUP', default: 'nids-sink', help: 'Kafka consumer group (one per output folder).' }),
  plotEveryS: num({ flag: 'plot-every', env: 'NIDS_SINK_PLOT_EVERY_S', default: 10, min: 1, help: 'Seconds between plot refreshes while rows arrive.' }),
  ...kafkaSettings,
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
  usage: 'Usage: nids sink [--out <dir>] [options]',
  description: `Consumes scored flows, anomalies and incidents; writes ${CSV_FILE} (anomaly 1 normal / -1 anomalous), ${PLOT_FILE}, incidents.jsonl, ECS alerts (--ecs), and posts alerts to a webhook (--webhook-url).`,
  spec,
  async main({ config, log, metrics, stopped }) {
    const rows = new Counter({ name: 'nids_sink_rows_written_total', help: 'CSV rows written', registers: [metrics.registry] });
    const dups = new Counter({ name: 'nids_sink_duplicates_dropped_total', help: 'Replayed flows already in the CSV', registers: [metrics.registry] });
    const dlq = new Counter({ name: 'nids_sink_dead_letters_total', help: 'Records sent to the DLQ', registers: [metrics.registry] });
    const anomalies = new Gauge({ name: 'nids_sink_anomalies', help: 'Anomalous rows in the CSV', registers: [metrics.registry] });

    mkdirSync(config.out, { recursive: true });
    const csv = new CsvWriter(join(config.out, CSV_FILE));
    log.info({ path: csv.path, existingRows: csv.points.length }, 'CSV open');
    anomalies.set(csv.anomalyRows);
    const plotPath = join(config.out, PLOT_FILE);
    let plotted = -1;
    const refreshPlot = () => {
      if (plotted === csv.points.length) return;
      writePlot(plotPath, csv.points);
      plotted = csv.points.length;
    };
    const alerter = config.webhookUrl ? new WebhookAlerter({ ...config, webhookUrl: config.webhookUrl }, metrics.registry, log) : null;
    const siem = new SiemOutputs(config.out, { ecs: config.ecs, alerter });

    const registry = connectRegistry(config.registry);
    const [scoredCodec, anomalyCodec, incidentCodec] = await Promise.all([
      AvroCodec.forTopic<ScoredFlow>(registry, config.scoredTopic, 'scoredFlow'),
      AvroCodec.forTopic<Anomaly>(registry, config.anomaliesTopic, 'anomaly'),
      AvroCodec.forTopic<Incident>(registry, config.incidentsTopic, 'incident'),
    ]);
    const codecOf = (topic: string) => (topic === config.scoredTopic ? scoredCodec : topic === config.anomaliesTopic ? anomalyCodec : incidentCodec);
    const kafka = createKafka(config.brokers, `${config.clientId}-sink`, log);
    const producer = await createProducer(kafka);
    const consumer = kafka.consumer({ groupId: config.groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [config.scoredTopic, config.anomaliesTopic, config.incidentsTopic], fromBeginning: true });
    const timer = setInterval(refreshPlot, config.plotEveryS * 1000);
    try {
      const stage = { decode: (v: Buffer | null, topic: string) => codecOf(topic).decode(v), dlqTopic: config.dlqTopic, log, deadLetters: dlq };
      await runStage<ScoredFlow | Anomaly | Incident>(consumer, producer, stage, (batch, { topic }) => {
        if (topic === config.anomaliesTopic) siem.onAnomalies(batch as Anomaly[]);
        else if (topic === config.incidentsTopic) siem.onIncidents(batch as Incident[]);
        else {
          const before = csv.duplicatesDropped;
          rows.inc(csv.write(batch as ScoredFlow[]));
          dups.inc(csv.duplicatesDropped - before);
          anomalies.set(csv.anomalyRows);
        }
        return new Map();
      });
      metrics.setReady(true);
      await stopped;
    } finally {
      clearInterval(timer);
      await consumer.disconnect();
      await producer.disconnect();
      refreshPlot();
      csv.close();
      siem.close();
      await alerter?.close(ALERT_GRACE_MS);
      log.info({ rows: csv.points.length, duplicatesDropped: csv.duplicatesDropped, plot: plotPath, incidents: siem.incidents.linesWritten }, 'outputs final');
    }
    return 0;
  },
};

export const run = (argv: string[]): Promise<number> => runService(sinkService, argv);
