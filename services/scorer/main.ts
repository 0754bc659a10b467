// The scorer service: one member of a consumer group over the flows topic. Scores each
// batch with the model in force and produces every flow to the scored topic and the
// anomalous ones to the anomalies topic; commits only after both are acknowledged.
import { bool, pick, str } from '../../lib/config/index.ts';
import { consumerSettings, kafkaSettings, producerSettings, redisSettings, topicSettings } from '../../lib/config/common.ts';
import { incidentCapSettings, incidentSettings } from '../../lib/config/stages.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { createConsumer, createKafka, createProducer, requireTopics, runStage, sendAll, type OutMessage } from '../../lib/kafka/index.ts';
import { Counter, Gauge, Histogram } from '../../lib/metrics/index.ts';
import { RedisModelStore } from '../../lib/modelstore/redis.ts';
import type { Flow } from '../../lib/flow/record.ts';
import type { Anomaly, Incident, ScoredFlow } from '../../lib/avro/records.ts';
import { SensorModels } from '../../lib/pipeline/sensor-models.ts';
import { scoreFlows } from '../../lib/pipeline/score.ts';
import { IncidentTracker, latestEnd } from '../../lib/pipeline/incidents.ts';
import { nowMicros } from '../../lib/time/index.ts';

const spec = {
  groupId: str({ flag: 'group-id', env: 'NIDS_SCORER_GROUP', default: 'nids-scorer', help: 'Kafka consumer group shared by all scorers.' }),
  fromBeginning: bool({ flag: 'from-beginning', env: 'NIDS_SCORER_FROM_BEGINNING', default: true, help: 'A new group starts at the oldest flow (false: only new flows).' }),
  ...kafkaSettings,
  ...producerSettings,
  ...consumerSettings,
  ...topicSettings,
  ...redisSettings,
  ...incidentSettings,
};

/** One metric update per distinct key of a batch, not one per record. */
function countBy<T>(items: readonly T[], key: (x: T) => string, add: (key: string, n: number) => void): void {
  const counts = new Map<string, number>();
  for (const x of items) counts.set(key(x), (counts.get(key(x)) ?? 0) + 1);
  for (const [k, n] of counts) add(k, n);
}

export const scorerService: ServiceDef<typeof spec> = {
  name: 'scorer',
  usage: 'Usage: nids scorer [options]',
  description: 'Scores flows with the active Isolation Forest (hot-reloaded from Redis) and emits scored flows and anomalies.',
  spec,
  async main({ config, log, metrics, stopped }) {
    const reg = [metrics.registry];
    const scoredTotal = new Counter({ name: 'nids_scorer_flows_scored_total', help: 'Flows scored (rate() of it: flows/s)', registers: reg });
    const sensorFlows = new Counter({ name: 'nids_scorer_sensor_flows_total', help: 'Flows scored, per sensor', labelNames: ['sensor_id'], registers: reg });
    const anomalyTotal = new Counter({ name: 'nids_scorer_anomalies_total', help: 'Flows labeled anomalous', labelNames: ['severity'], registers: reg });
    const sensorAnomalies = new Counter({ name: 'nids_scorer_sensor_anomalies_total', help: 'Flows labeled anomalous, per sensor', labelNames: ['sensor_id'], registers: reg });
    const dlqTotal = new Counter({ name: 'nids_scorer_dead_letters_total', help: 'Records sent to the DLQ', registers: reg });
    const batchSeconds = new Histogram({ name: 'nids_scorer_batch_seconds', help: 'Decode + score + produce time per batch', registers: reg });
    const incidentTotal = new Counter({ name: 'nids_scorer_incident_reports_total', help: 'Incident reports produced', labelNames: ['status'], registers: reg });
    const lag = new Gauge({ name: 'nids_scorer_consumer_lag', help: 'Records of a flows partition not consumed yet, after the last batch', labelNames: ['partition'], registers: reg });
    const modelInfo = new Gauge({ name: 'nids_scorer_model_info', help: 'The model in force per scope (value 1)', labelNames: ['scope', 'model_id', 'feature_version'], registers: reg });

    const store = await new RedisModelStore(config.redis).connect();
    const inForce = new Map<string, { scope: string; model_id: string; feature_version: string }>();
    const models = new SensorModels(store, config.scope, log, (scope, m) => {
      const before = inForce.get(scope);
      if (before) modelInfo.remove(before);
      const labels = { scope, model_id: m.id, feature_version: m.detector.featureVersion };
      inForce.set(scope, labels);
      modelInfo.set(labels, 1);
    });
    new Gauge({
      name: 'nids_scorer_model_age_seconds',
      help: 'Age of the model in force per scope (since it was trained)',
      labelNames: ['scope'],
      registers: reg,
      collect() {
        this.reset();
        for (const [scope, h] of models.holders()) if (h.currentMeta) this.set({ scope }, (Date.now() - Date.parse(h.currentMeta.created_at)) / 1000);
      },
    });
    new Gauge({
      name: 'nids_scorer_model_reload_failures',
      help: 'Promoted models that could not be loaded (the last good one kept scoring)',
      registers: reg,
      collect() {
        this.set(models.holders().reduce((n, [, h]) => n + h.reloadFailures, 0));
      },
    });
    await models.start();
    const model = models.global;
    if (!model.current) log.info({ scope: config.scope }, 'no active model yet: waiting for one (run `nids trainer`)');
    const waitForModel = model.ready();
    const first = await Promise.race([waitForModel, stopped.then(() => null)]);
    if (!first) {
      await models.stop();
      await store.close();
      return 0;
    }

    const registry = connectRegistry(config.registry);
    const [flowCodec, scoredCodec, anomalyCodec, incidentCodec] = await Promise.all([
      AvroCodec.forTopic<Flow>(registry, config.flowsTopic, 'flow'),
      AvroCodec.forTopic<ScoredFlow>(registry, config.scoredTopic, 'scoredFlow'),
      AvroCodec.forTopic<Anomaly>(registry, config.anomaliesTopic, 'anomaly'),
      AvroCodec.forTopic<Incident>(registry, config.incidentsTopic, 'incident'),
    ]);
    // Incidents over the flows this scorer receives (docs/reference/incident.md): the
    // tracker lives in memory, so a crash loses the open incidents' state, not their reports.
    const incidents = new IncidentTracker(pick(incidentCapSettings, config));
    const incidentMessages = (reports: Incident[]): OutMessage[] => {
      for (const i of reports) incidentTotal.inc({ status: i.status });
      return reports.map((i) => ({ key: i.incident_id, value: incidentCodec.encode(i) }));
    };
    const kafka = createKafka(config.brokers, `${config.clientId}-scorer`, log);
    await requireTopics(kafka, {
      [config.flowsTopic]: '--flows-topic',
      [config.scoredTopic]: '--scored-topic',
      [config.anomaliesTopic]: '--anomalies-topic',
      [config.incidentsTopic]: '--incidents-topic',
      [config.dlqTopic]: '--dlq-topic',
    });
    const producer = await createProducer(kafka);
    const consumer = createConsumer(kafka, config.groupId, config);
    await consumer.connect();
    await consumer.subscribe({ topic: config.flowsTopic, fromBeginning: config.fromBeginning });
    consumer.on(consumer.events.GROUP_JOIN, () => metrics.setReady(true));
    try {
      const stage = { decode: (values: (Buffer | null)[]) => flowCodec.decodeAll(values), dlqTopic: config.dlqTopic, log, deadLetters: dlqTotal, batchSeconds, tuning: config };
      await runStage<Flow>(consumer, producer, stage, async (flows, ctx) => {
        lag.set({ partition: ctx.partition }, ctx.lag);
        const scored: ScoredFlow[] = [];
        const anomalies: Anomaly[] = [];
        const now = nowMicros();
        for (const [m, group] of await models.assign(flows)) {
          const out = scoreFlows(m, group, now);
          for (const x of out.scored) scored.push(x);
          for (const x of out.anomalies) anomalies.push(x);
        }
        scoredTotal.inc(scored.length);
        countBy(scored, (x) => x.flow.sensor_id, (sensor_id, n) => sensorFlows.inc({ sensor_id }, n));
        countBy(anomalies, (a) => a.sensor_id, (sensor_id, n) => sensorAnomalies.inc({ sensor_id }, n));
        for (const a of anomalies) anomalyTotal.inc({ severity: a.severity });
        const closed = incidents.add(anomalies, now, latestEnd(flows));
        const reports = [...closed, ...incidents.updates(now, config.incidentUpdateS * 1e6)];
        return new Map<string, OutMessage[]>([
          [config.scoredTopic, scored.map((s) => ({ key: s.flow.community_id, value: scoredCodec.encode(s) }))],
          [config.anomaliesTopic, anomalies.map((a) => ({ key: a.community_id, value: anomalyCodec.encode(a) }))],
          [config.incidentsTopic, incidentMessages(reports)],
        ]);
      });
      await stopped;
      // Stopping closes what is open: once no batch is in flight, the final report of each incident.
      await consumer.disconnect();
      await sendAll(producer, new Map([[config.incidentsTopic, incidentMessages(incidents.flush(nowMicros()))]]), config);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await models.stop();
      await store.close();
    }
    return 0;
  },
};

export const run = (argv: string[]): Promise<number> => runService(scorerService, argv);
