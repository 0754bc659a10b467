// The sink service: scored flows -> five_tuple_with_anomaly.csv and anomaly_plot.png.
// Offsets are committed only after rows are fsynced; the CSV drops flow_ids it already
// holds, so a crash and replay neither loses nor duplicates a row.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { num, str } from '../../lib/config/index.ts';
import { kafkaSettings, topicSettings } from '../../lib/config/common.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { createKafka, createProducer, runStage } from '../../lib/kafka/index.ts';
import { Counter, Gauge } from '../../lib/metrics/index.ts';
import type { ScoredFlow } from '../../lib/avro/records.ts';
import { CsvWriter, CSV_FILE } from '../../lib/pipeline/csv.ts';
import { PLOT_FILE, writePlot } from '../../lib/pipeline/plot.ts';

const spec = {
  out: str({ flag: 'out', env: 'NIDS_SINK_OUT', default: 'out/sink', metavar: 'dir', help: `Folder of ${CSV_FILE} and ${PLOT_FILE}.` }),
  groupId: str({ flag: 'group-id', env: 'NIDS_SINK_GROUP', default: 'nids-sink', help: 'Kafka consumer group (one per output folder).' }),
  plotEveryS: num({ flag: 'plot-every', env: 'NIDS_SINK_PLOT_EVERY_S', default: 10, min: 1, help: 'Seconds between plot refreshes while rows arrive.' }),
  ...kafkaSettings,
  scoredTopic: topicSettings.scoredTopic,
  dlqTopic: topicSettings.dlqTopic,
};

export const sinkService: ServiceDef<typeof spec> = {
  name: 'sink',
  usage: 'Usage: nids sink [--out <dir>] [options]',
  description: `Consumes scored flows and writes ${CSV_FILE} (anomaly 1 normal / -1 anomalous) and ${PLOT_FILE}.`,
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

    const codec = await AvroCodec.forTopic<ScoredFlow>(connectRegistry(config.registry), config.scoredTopic, 'scoredFlow');
    const kafka = createKafka(config.brokers, `${config.clientId}-sink`, log);
    const producer = await createProducer(kafka);
    const consumer = kafka.consumer({ groupId: config.groupId });
    await consumer.connect();
    await consumer.subscribe({ topic: config.scoredTopic, fromBeginning: true });
    const timer = setInterval(refreshPlot, config.plotEveryS * 1000);
    try {
      const stage = { decode: (v: Buffer | null) => codec.decode(v), dlqTopic: config.dlqTopic, log, deadLetters: dlq };
      await runStage<ScoredFlow>(consumer, producer, stage, (batch) => {
        const before = csv.duplicatesDropped;
        const n = csv.write(batch);
        rows.inc(n);
        dups.inc(csv.duplicatesDropped - before);
        anomalies.set(csv.anomalyRows);
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
      log.info({ rows: csv.points.length, duplicatesDropped: csv.duplicatesDropped, plot: plotPath }, 'CSV and plot final');
    }
    return 0;
  },
};

export const run = (argv: string[]): Promise<number> => runService(sinkService, argv);
