// The sensor service: packets (a pcap file, or a live interface through lib/capture) ->
// flows -> Avro on the flows topic, keyed by community_id so both directions of a
// conversation land on one partition.
//
// Back-pressure: reading a file simply waits while Kafka is behind (publisher.drain()).
// A live capture cannot slow the wire. libpcap's kernel buffer (--buffer-mb) absorbs
// packet bursts while the process is busy, but once flows are made the only choices are
// unbounded memory or dropping: while --max-pending batches are unacknowledged, flows the
// table exports are dropped and counted (nids_sensor_flows_dropped_total{reason=
// "backpressure"}, and a warning per episode). Stopping the reads instead would make the
// capture thread wait and then drop packets (counted too, in
// nids_sensor_capture_dropped_total, but a flow dropped whole is cheaper to explain than
// flows with holes). At shutdown nothing is dropped: the capture is closed first, then
// every open flow is exported and published.
import { checkCaptureFile } from '../../lib/pcap/reader.ts';
import { hostname } from 'node:os';
import { ConfigError, num, optionalStr, redactUrl, str } from '../../lib/config/index.ts';
import { kafkaSettings, producerSettings, topicSettings } from '../../lib/config/common.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { compressionOf, createKafka, createProducer } from '../../lib/kafka/index.ts';
import { Counter, Histogram } from '../../lib/metrics/index.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { FlowPublisher } from './publisher.ts';
import { flowSettings, liveCaptureSettings } from '../../lib/config/stages.ts';
import { captureFlows, liveCaptureOptions, progressOf, readFlows, watchCaptureLoss } from '../../lib/pipeline/source.ts';
import { Progress } from '../../lib/progress/index.ts';
import { probeCapture } from '../../lib/capture/live.ts';

const spec = {
  input: optionalStr({ flag: 'input', env: 'NIDS_SENSOR_INPUT', metavar: 'pcap', help: 'pcap or pcapng file to read (offline sensor); or give --iface.' }),
  ...liveCaptureSettings,
  sensorId: str({ flag: 'sensor-id', env: 'NIDS_SENSOR_ID', default: hostname(), help: 'Name of this sensor in every flow record.' }),
  ...flowSettings,
  // A full batch goes at once; a partial one after --linger-ms. 2,000 flows (~0.5 MB of Avro)
  // keep the request rate low when flows pour in; 20 ms is a tenth of the 200 ms budget from
  // a flow's export to its anomaly (bench/RESULTS.md).
  batchSize: num({ flag: 'batch-size', env: 'NIDS_SENSOR_BATCH', default: 2000, integer: true, min: 1, help: 'Flows per Kafka request.' }),
  lingerMs: num({ flag: 'linger-ms', env: 'NIDS_SENSOR_LINGER_MS', default: 20, min: 0, help: 'Longest wait before sending a partial batch.' }),
  maxPending: num({ flag: 'max-pending', env: 'NIDS_SENSOR_MAX_PENDING', default: 8, integer: true, min: 1, help: 'Unacknowledged batches before a file read waits (live: flows beyond it are dropped, counted).' }),
  ...kafkaSettings,
  ...producerSettings,
  flowsTopic: topicSettings.flowsTopic,
};

export const sensorService: ServiceDef<typeof spec> = {
  name: 'sensor',
  usage: 'Usage: nids sensor --input <pcap> [options]\n       nids sensor --iface <name> [--filter <bpf>] [options]',
  description:
    'Turns packets into bidirectional flows and publishes them as Avro to Kafka. With --input it reads a pcap/pcapng ' +
    'file and exits at its end; with --iface it captures live until SIGINT/SIGTERM, then exports every open flow ' +
    '(end reason "shutdown") and exits. Live capture needs CAP_NET_RAW (root, or setcap on node) and the libpcap binding of native/pcap (built by npm ci).',
  spec,
  validate(config) {
    if (config.input && config.iface) {
      throw new ConfigError('--input (NIDS_SENSOR_INPUT) and --iface (NIDS_SENSOR_IFACE): give one source, not both');
    }
    if (!config.input && !config.iface) {
      throw new ConfigError('--input (NIDS_SENSOR_INPUT) or --iface (NIDS_SENSOR_IFACE): give a pcap/pcapng file or an interface');
    }
    if (config.input && config.filter) throw new ConfigError('--filter (NIDS_SENSOR_FILTER): applies to live capture (--iface) only');
  },
  async main({ config, log, metrics, stopped }) {
    // Before connecting anywhere: the libpcap binding loads, the interface exists, we may capture on it and
    // the filter compiles.
    if (config.iface) probeCapture(liveCaptureOptions({ ...config, iface: config.iface }));
    const published = new Counter({ name: 'nids_sensor_flows_published_total', help: 'Flows acknowledged by Kafka', registers: [metrics.registry] });
    const publishedBytes = new Counter({ name: 'nids_sensor_published_bytes_total', help: 'Avro bytes acknowledged by Kafka', registers: [metrics.registry] });
    const latency = new Histogram({
      name: 'nids_sensor_publish_latency_seconds',
      help: 'Time from send to acknowledgement of a batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    });

    // The input first: a missing or unreadable file is reported before any service is contacted.
    if (config.input) checkCaptureFile(config.input, '--input');
    const registry = connectRegistry(config.registry);
    const codec = await AvroCodec.forTopic<Flow>(registry, config.flowsTopic, 'flow').catch((err: Error) => {
      throw new Error(`schema registry ${redactUrl(config.registry)}: cannot register ${config.flowsTopic}-value (${err.message.replace(/^nids - Error, status \d+: /, '')})`);
    });
    const kafka = createKafka(config.brokers, `${config.clientId}-sensor`, log);
    const producer = await createProducer(kafka);
    try {
      let onPublishFailure: (err: Error) => void = () => {};
      const publisherFailed = new Promise<never>((_, reject) => (onPublishFailure = reject));
      publisherFailed.catch(() => {});
      const publisher = new FlowPublisher(producer, codec, {
        onFailure: (err) => onPublishFailure(err),
        topic: config.flowsTopic,
        compression: compressionOf(config),
        batchSize: config.batchSize,
        lingerMs: config.lingerMs,
        maxPendingBatches: config.maxPending,
        onSent: (n, bytes, ms) => {
          published.inc(n);
          publishedBytes.inc(bytes);
          latency.observe(ms / 1000);
        },
      });
      if (!config.input) {
        const iface = config.iface!;
        const dropped = new Counter({ name: 'nids_sensor_flows_dropped_total', help: 'Flows not published, by reason', labelNames: ['reason'], registers: [metrics.registry] });
        dropped.inc({ reason: 'backpressure' }, 0);
        let shuttingDown = false;
        let dropping = false;
        const live = captureFlows({ ...config, iface }, config, metrics.registry, (f) => {
          if (!shuttingDown && publisher.saturated) {
            dropped.inc({ reason: 'backpressure' });
            if (!dropping) log.warn({ maxPending: config.maxPending }, 'Kafka is behind: dropping flows until it catches up (counted in nids_sensor_flows_dropped_total)');
            dropping = true;
            return;
          }
          if (dropping) log.info('Kafka caught up: publishing flows again');
          dropping = false;
          publisher.push(f);
        });
        log.info({ iface, linkType: live.capture.linkType, filter: live.capture.filter || undefined }, 'capturing');
        const unwatch = watchCaptureLoss(live.capture, config.lossWarnPct, (msg, s) => log.warn(s, msg), () => log.info('live capture: no packets lost in the last check'));
        metrics.setReady(true);
        let failure: Error | null = null;
        await Promise.race([stopped, live.failed, publisherFailed]).catch((err: Error) => (failure = err));
        shuttingDown = true;
        unwatch();
        const stats = live.stop();
        if (failure) throw failure;
        await publisher.flush();
        log.info({ ...stats, dropped: (await dropped.get()).values.reduce((n, v) => n + v.value, 0), published: publisher.published, topic: config.flowsTopic },
          'capture stopped; all open flows exported and acknowledged');
        return 0;
      }
      metrics.setReady(true);
      // A signal stops the reading; the flows read so far are exported and acknowledged.
      const stop = new AbortController();
      void stopped.then((signal) => stop.abort(signal));
      // A bar on a terminal only: otherwise stderr is the JSON log, which says the same at the end.
      const progress = process.stderr.isTTY ? new Progress(config.input) : null;
      const stats = await readFlows(config.input, config, metrics.registry, (f) => publisher.push(f), {
        drain: () => publisher.drain(),
        onProgress: progress ? progressOf(progress) : undefined,
        signal: stop.signal,
      });
      progress?.finish();
      await publisher.flush();
      if (stats.damage) log.warn({ damage: stats.damage, packets: stats.packets }, `${config.input}: damaged: ${stats.damage.reason}; stopped there, the ${stats.packets} packets before it were published`);
      if (stats.truncatedRecords) log.warn({ offset: stats.truncatedAt, packets: stats.packets }, `${config.input}: the last record is cut short at offset ${stats.truncatedAt}`);
      if (stats.packets > 0 && stats.decoded === 0) log.error({ decodeErrors: stats.decodeErrors, linkType: stats.unsupportedLinkType }, `${config.input}: ${stats.packets} packets, none decodable`);
      log.info({ ...stats, published: publisher.published, topic: config.flowsTopic, partial: stats.aborted || Boolean(stats.damage) }, stats.aborted ? 'stopped by a signal; the flows read so far are acknowledged' : 'input read; all flows acknowledged');
      if (stats.aborted) return stop.signal.reason === 'SIGTERM' ? 143 : 130;
      if (stats.damage) return 3;
      if (stats.packets > 0 && stats.decoded === 0) return 1;
      return 0;
    } finally {
      await producer.disconnect();
    }
  },
};

export const run = (argv: string[]): Promise<number> => runService(sensorService, argv);
