// The scorer service: one member of a consumer group over the flows topic. Scores each
// batch with the model in force and produces every flow to the scored topic and the
// anomalous ones to the anomalies topic; commits only after both are acknowledged.
import { str, bool } from '../../lib/config/index.ts';
import { kafkaSettings, redisSettings, topicSettings } from '../../lib/config/common.ts';
import { incidentSettings } from '../../lib/config/stages.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { createKafka, createProducer, runStage, sendAll, type OutMessage } from '../../lib/kafka/index.ts';
import { Counter, Gauge, Histogram } from '../../lib/metrics/index.ts';
import { RedisModelStore } from '../../lib/modelstore/redis.ts';
import type { Flow } from '../../lib/flow/record.ts';
import type { Anomaly, Incident, ScoredFlow } from '../../lib/avro/records.ts';
import { ActiveModelHolder } from '../../lib/pipeline/active-model.ts';
import { scoreFlows } from '../../lib/pipeline/score.ts';
import { IncidentTracker, latestEnd } from '../../lib/pipeline/incidents.ts';
import { nowMicros } from '../../lib/time/index.ts';

const spec = {
  groupId: str({ flag: 'group-id', env: 'NIDS_SCORER_GROUP', default: 'nids-scorer', help: 'Kafka consumer group shared by all scorers.' }),
  fromBeginning: bool({ flag: 'from-beginning', env: 'NIDS_SCORER_FROM_BEGINNING', default: true, help: 'A new group starts at the oldest flow (false: only new flows).' }),
  ...kafkaSettings,
  ...topicSettings,
  ...redisSettings,
  ...incidentSettings,
};

export const scorerService: ServiceDef<typeof spec> = {
  name: 'scorer',
  usage: 'Usage: nids scorer [options]',
  description: 'Scores flows with the active Isolation Forest (hot-reloaded from Redis) and emits scored flows and anomalies.',
  spec,
  async main({ config, log, metrics, stopped }) {
    const reg = [metrics.registry];
    const scoredTotal = new Counter({ name: 'nids_scorer_flows_scored_total', help: 'Flows scored', registers: reg });
    const anomalyTotal = new Counter({ name: 'nids_scorer_anomalies_total', help: 'Flows labeled anomalous', labelNames: ['severity'], registers: reg });
    const dlqTotal = new Counter({ name: 'nids_scorer_dead_letters_total', help: 'Records sent to the DLQ', registers: reg });
    const batchSeconds = new Histogram({ name: 'nids_scorer_batch_seconds', help: 'Decode + score + produce time per batch', registers: reg });
    const incidentTotal = new Counter({ name: 'nids_scorer_incident_reports_total', help: 'Incident reports produced', labelNames: ['status'], registers: reg });
    const modelInfo = new Gauge({ name: 'nids_scorer_model_info', help: 'The model in force (value 1)', labelNames: ['model_id', 'feature_version'], registers: reg });

    const store = await new RedisModelStore(config.redis).connect();
    const model = new ActiveModelHolder(store, config.scope, log, (m) => {
      modelInfo.reset();
      modelInfo.set({ model_id: m.id, feature_version: m.detector.featureVersion }, 1);
    });
    await model.start();
    if (!model.current) log.info({ scope: config.scope }, 'no active model yet: waiting for one (run `nids trainer`)');
    const waitForModel = model.ready();
    const first = await Promise.race([waitForModel, stopped.then(() => null)]);
    if (!first) {
      await model.stop();
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
    const incidents = new IncidentTracker();
    const incidentMessages = (reports: Incident[]): OutMessage[] => {
      for (const i of reports) incidentTotal.inc({ status: i.status });
      return reports.map((i) => ({ key: i.incident_id, value: incidentCodec.encode(i) }));
    };
    const kafka = createKafka(config.brokers, `${config.clientId}-scorer`, log);
    const producer = await createProducer(kafka);
    const consumer = kafka.consumer({ groupId: config.groupId });
    await consumer.connect();
    await consumer.subscribe({ topic: config.flowsTopic, fromBeginning: config.fromBeginning });
    consumer.on(consumer.events.GROUP_JOIN, () => metrics.setReady(true));
    try {
      const stage = { decode: (v: Buffer | null) => flowCodec.decode(v), dlqTopic: config.dlqTopic, log, deadLetters: dlqTotal, batchSeconds };
      await runStage<Flow>(consumer, producer, stage, (flows) => {
        const now = nowMicros();
        const { scored, anomalies } = scoreFlows(model.current!, flows, now);
        scoredTotal.inc(scored.length);
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
      await sendAll(producer, new Map([[config.incidentsTopic, incidentMessages(incidents.flush(nowMicros()))]]));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await model.stop();
      await store.close();
    }
    return 0;
  },
};

export const run = (argv: string[]): Promise<number> => runService(scorerService, argv);
