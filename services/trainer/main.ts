// The trainer service: reads a baseline window of flows from Kafka, fits the detector and
// stores it in Redis, then (unless told not to) makes it the active model of its scope,
// which every scorer picks up without a restart.
import { num, optionalIsoTime, pick } from '../../lib/config/index.ts';
import { kafkaSettings, redisSettings, topicSettings } from '../../lib/config/common.ts';
import { promoteSetting, trainingSettings } from '../../lib/config/stages.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry, DecodeError } from '../../lib/avro/codec.ts';
import { createKafka, readToHighWatermarks } from '../../lib/kafka/index.ts';
import { Counter } from '../../lib/metrics/index.ts';
import { RedisModelStore } from '../../lib/modelstore/redis.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { trainOnBaseline } from '../../lib/pipeline/train.ts';

const spec = {
  windowStart: optionalIsoTime({ flag: 'window-start', env: 'NIDS_WINDOW_START', help: 'Only flows starting at or after this time (default: the oldest in the topic).' }),
  windowEnd: optionalIsoTime({ flag: 'window-end', env: 'NIDS_WINDOW_END', help: 'Only flows starting before this time (default: all flows in the topic when the trainer starts).' }),
  maxFlows: num({ flag: 'max-flows', env: 'NIDS_MAX_FLOWS', default: 1_000_000, integer: true, min: 1, help: 'Stop reading after this many flows in the window.' }),
  promote: promoteSetting,
  ...trainingSettings,
  ...kafkaSettings,
  flowsTopic: topicSettings.flowsTopic,
  ...redisSettings,
};

export const trainerService: ServiceDef<typeof spec> = {
  name: 'trainer',
  usage: 'Usage: nids trainer [--window-start <iso>] [--window-end <iso>] [options]',
  description: 'Fits an Isolation Forest on a baseline window of flows from Kafka and stores it in Redis as the active model.',
  spec,
  async main({ config, log, metrics, isStopping }) {
    const start = config.windowStart ?? -Infinity;
    const end = config.windowEnd ?? Infinity;
    const read = new Counter({ name: 'nids_trainer_flows_read_total', help: 'Flows read from Kafka', registers: [metrics.registry] });
    const undecodable = new Counter({ name: 'nids_trainer_undecodable_total', help: 'Records skipped as undecodable (the scorer dead-letters them)', registers: [metrics.registry] });

    const store = await new RedisModelStore(config.redis).connect();
    const codec = await AvroCodec.forTopic<Flow>(connectRegistry(config.registry), config.flowsTopic, 'flow');
    const kafka = createKafka(config.brokers, `${config.clientId}-trainer`, log);
    const window: Flow[] = [];
    // A fresh group each run: a training run reads its window from the start and owns no offsets.
    await readToHighWatermarks(kafka, config.flowsTopic, `nids-trainer-${config.scope}-${process.pid}-${Date.now()}`, async (m) => {
      read.inc();
      try {
        const flow = await codec.decode(m.value);
        if (flow.ts_start >= start && flow.ts_start < end) window.push(flow);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        undecodable.inc();
      }
      return window.length < config.maxFlows && !isStopping();
    });
    log.info({ flows: window.length, topic: config.flowsTopic }, 'baseline window read; fitting');
    try {
      const trained = trainOnBaseline(window, config.scope, pick(trainingSettings, config));
      const meta = await store.save(trained.bytes, trained.meta);
      if (config.promote) await store.promote(config.scope, meta.id);
      log.info({ model: meta.id, promoted: config.promote, scope: config.scope, threshold: meta.threshold, window: meta.window, bytes: trained.bytes.length }, 'model stored');
      process.stdout.write(`${meta.id}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

export const run = (argv: string[]): Promise<number> => runService(trainerService, argv);
