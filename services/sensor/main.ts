// The sensor service: packets (a pcap file now; live capture in lib/capture) -> flows ->
// Avro on the flows topic, keyed by community_id so both directions of a conversation
// land on one partition.
import { hostname } from 'node:os';
import { num, optionalStr, str } from '../../lib/config/index.ts';
import { kafkaSettings, topicSettings } from '../../lib/config/common.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { createKafka, createProducer } from '../../lib/kafka/index.ts';
import { Counter, Histogram } from '../../lib/metrics/index.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { FlowPublisher } from './publisher.ts';
import { readFlows, sensorFlowSettings, progressReporter } from './source.ts';

const spec = {
  input: optionalStr({ flag: 'input', env: 'NIDS_SENSOR_INPUT', metavar: 'pcap', help: 'pcap or pcapng file to read (offline sensor).' }),
  sensorId: str({ flag: 'sensor-id', env: 'NIDS_SENSOR_ID', default: hostname(), help: 'Name of this sensor in every flow record.' }),
  ...sensorFlowSettings,
  batchSize: num({ flag: 'batch-size', env: 'NIDS_SENSOR_BATCH', default: 500, integer: true, min: 1, help: 'Flows per Kafka request.' }),
  lingerMs: num({ flag: 'linger-ms', env: 'NIDS_SENSOR_LINGER_MS', default: 200, min: 0, help: 'Longest wait before sending a partial batch.' }),
  maxPending: num({ flag: 'max-pending', env: 'NIDS_SENSOR_MAX_PENDING', default: 8, integer: true, min: 1, help: 'Unacknowledged batches before capture slows down.' }),
  ...kafkaSettings,
  flowsTopic: topicSettings.flowsTopic,
};

export const sensorService: ServiceDef<typeof spec> = {
  name: 'sensor',
  usage: 'Usage: nids sensor --input <pcap> [options]',
  description: 'Turns packets into bidirectional flows and publishes them as Avro to Kafka.',
  spec,
  async main({ config, log, metrics }) {
    if (!config.input) throw new Error('--input (NIDS_SENSOR_INPUT): give a pcap/pcapng file to read');
    const published = new Counter({ name: 'nids_sensor_flows_published_total', help: 'Flows acknowledged by Kafka', registers: [metrics.registry] });
    const publishedBytes = new Counter({ name: 'nids_sensor_published_bytes_total', help: 'Avro bytes acknowledged by Kafka', registers: [metrics.registry] });
    const latency = new Histogram({
      name: 'nids_sensor_publish_latency_seconds',
      help: 'Time from send to acknowledgement of a batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    });

    const registry = connectRegistry(config.registry);
    const codec = await AvroCodec.forTopic<Flow>(registry, config.flowsTopic, 'flow');
    const kafka = createKafka(config.brokers, `${config.clientId}-sensor`, log);
    const producer = await createProducer(kafka);
    try {
      const publisher = new FlowPublisher(producer, codec, {
        topic: config.flowsTopic,
        batchSize: config.batchSize,
        lingerMs: config.lingerMs,
        maxPendingBatches: config.maxPending,
        onSent: (n, bytes, ms) => {
          published.inc(n);
          publishedBytes.inc(bytes);
          latency.observe(ms / 1000);
        },
      });
      metrics.setReady(true);
      const stats = await readFlows(config.input, config, metrics.registry, (f) => publisher.push(f), {
        drain: () => publisher.drain(),
        onProgress: progressReporter(config.input),
      });
      await publisher.flush();
      log.info({ ...stats, published: publisher.published, topic: config.flowsTopic }, 'input read; all flows acknowledged');
      return 0;
    } finally {
      await producer.disconnect();
    }
  },
};

export const run = (argv: string[]): Promise<number> => runService(sensorService, argv);
