// The trainer service: reads a baseline window of flows from Kafka, fits the detector and
// stores it in Redis, then (unless told not to) makes it the active model of its scope,
// which every scorer picks up without a restart.
import { bool, list, num, oneOf, optionalStr } from '../../lib/config/index.ts';
import { kafkaSettings, redisSettings, topicSettings } from '../../lib/config/common.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry, DecodeError } from '../../lib/avro/codec.ts';
import { createKafka, highWatermarks } from '../../lib/kafka/index.ts';
import { Counter } from '../../lib/metrics/index.ts';
import { RedisModelStore } from '../../lib/modelstore/redis.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { trainOnBaseline } from './train.ts';

const isoMicrosOf = (raw: string, name: string): number => {
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new Error(`${name}: not an ISO-8601 time: "${raw}"`);
  return ms * 1000;
};

export const DEFAULT_CONTAMINATION = 0.005;

export const trainingSettings = {
  featurizer: oneOf(['behavioral', 'seed'] as const, { flag: 'featurizer', env: 'NIDS_FEATURIZER', default: 'behavioral', help: "Feature set: 'behavioral' (nids) or 'seed' (raw 5-tuple, for comparison)." }),
  nEstimators: num({ flag: 'n-estimators', env: 'NIDS_N_ESTIMATORS', default: 100, integer: true, min: 1, help: 'Trees in the forest.' }),
  maxSamples: num({ flag: 'max-samples', env: 'NIDS_MAX_SAMPLES', default: 256, integer: true, min: 2, help: 'Flows per tree (capped at the window size).' }),
  // Not scikit-learn's 'auto' by default: on flow features many normal flows score near
  // -0.5, so a threshold learned as a baseline quantile gives far fewer false alarms.
  contamination: {
    ...optionalStr({ flag: 'contamination', env: 'NIDS_CONTAMINATION', help: "Share of the baseline allowed above the threshold, e.g. 0.01 [default: 0.005], or 'auto' (sklearn's fixed -0.5)." }),
    parse: (raw: string, name: string): string | undefined => {
      if (raw === '' || raw === 'auto') return 'auto';
      const v = Number(raw);
      if (!(v > 0 && v <= 0.5)) throw new Error(`${name}: expected 'auto' or a fraction in (0, 0.5], got "${raw}"`);
      return raw;
    },
  },
  seed: num({ flag: 'seed', env: 'NIDS_SEED', default: 42, integer: true, min: 0, help: 'Random seed: the same window and seed give the same model.' }),
  internalCidrs: list({ flag: 'internal-cidrs', env: 'NIDS_INTERNAL_CIDRS', default: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'], help: 'Address ranges counted as internal.' }),
};

export type TrainingConfig = { [K in keyof typeof trainingSettings]: ReturnType<(typeof trainingSettings)[K]['parse']> };

export const trainOptionsOf = (c: TrainingConfig) => ({
  featurizer: c.featurizer,
  nEstimators: c.nEstimators,
  maxSamples: c.maxSamples,
  contamination: c.contamination === 'auto' ? ('auto' as const) : Number(c.contamination ?? DEFAULT_CONTAMINATION),
  seed: c.seed,
  internalCidrs: c.internalCidrs,
});

const spec = {
  windowStart: optionalStr({ flag: 'window-start', env: 'NIDS_WINDOW_START', metavar: 'iso-time', help: 'Only flows starting at or after this time (default: the oldest in the topic).' }),
  windowEnd: optionalStr({ flag: 'window-end', env: 'NIDS_WINDOW_END', metavar: 'iso-time', help: 'Only flows starting before this time (default: all flows in the topic when the trainer starts).' }),
  maxFlows: num({ flag: 'max-flows', env: 'NIDS_MAX_FLOWS', default: 1_000_000, integer: true, min: 1, help: 'Stop reading after this many flows in the window.' }),
  promote: bool({ flag: 'promote', env: 'NIDS_PROMOTE', default: true, help: 'Make the new model active (--no-promote: store only).' }),
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
    const start = config.windowStart ? isoMicrosOf(config.windowStart, '--window-start') : -Infinity;
    const end = config.windowEnd ? isoMicrosOf(config.windowEnd, '--window-end') : Infinity;
    const read = new Counter({ name: 'nids_trainer_flows_read_total', help: 'Flows read from Kafka', registers: [metrics.registry] });
    const undecodable = new Counter({ name: 'nids_trainer_undecodable_total', help: 'Records skipped as undecodable (the scorer dead-letters them)', registers: [metrics.registry] });

    const store = await new RedisModelStore(config.redis).connect();
    const codec = await AvroCodec.forTopic<Flow>(connectRegistry(config.registry), config.flowsTopic, 'flow');
    const kafka = createKafka(config.brokers, `${config.clientId}-trainer`, log);
    const targets = await highWatermarks(kafka, config.flowsTopic);
    const remaining = new Set([...targets].filter(([, hw]) => hw > 0n).map(([p]) => p));
    const window: Flow[] = [];
    // A fresh group each run: a training run reads its window from the start and owns no offsets.
    const consumer = kafka.consumer({ groupId: `nids-trainer-${config.scope}-${process.pid}-${Date.now()}` });
    try {
      if (remaining.size > 0) {
        await consumer.connect();
        await consumer.subscribe({ topic: config.flowsTopic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          consumer
            .run({
              eachBatch: async ({ batch }) => {
                for (const m of batch.messages) {
                  if (BigInt(m.offset) >= targets.get(batch.partition)!) break;
                  read.inc();
                  let flow: Flow;
                  try {
                    flow = await codec.decode(m.value);
                  } catch (err) {
                    if (!(err instanceof DecodeError)) throw err;
                    undecodable.inc();
                    continue;
                  }
                  if (flow.ts_start >= start && flow.ts_start < end && window.length < config.maxFlows) window.push(flow);
                }
                const last = batch.messages[batch.messages.length - 1];
                if (last && BigInt(last.offset) + 1n >= targets.get(batch.partition)!) remaining.delete(batch.partition);
                if (remaining.size === 0 || window.length >= config.maxFlows || isStopping()) resolve();
              },
            })
            .catch(reject);
        });
      }
    } finally {
      await consumer.disconnect();
    }
    log.info({ flows: window.length, topic: config.flowsTopic }, 'baseline window read; fitting');
    try {
      const trained = trainOnBaseline(window, config.scope, trainOptionsOf(config));
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
