// Creates the topics the services expect, with their partition counts; idempotent.
// `--check` only tells (by exit code) whether the broker answers: the stack's health probe.
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const TOPICS: { topic: string; numPartitions: number }[] = [
  { topic: process.env.NIDS_TOPIC_FLOWS ?? 'nids.flows.v1', numPartitions: 6 },
  { topic: process.env.NIDS_TOPIC_SCORED ?? 'nids.scored.v1', numPartitions: 6 },
  { topic: process.env.NIDS_TOPIC_ANOMALIES ?? 'nids.anomalies.v1', numPartitions: 3 },
  { topic: process.env.NIDS_TOPIC_DLQ ?? 'nids.dlq.v1', numPartitions: 1 },
];

const kafka = new Kafka({ brokers, clientId: 'nids-topics', logLevel: logLevel.NOTHING, retry: { retries: process.argv.includes('--check') ? 0 : 8 } });
const admin = kafka.admin();
try {
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  if (!process.argv.includes('--check')) {
    const missing = TOPICS.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ ...t, replicationFactor: 1 })) });
    for (const t of TOPICS) console.log(`  ${t.topic} (${t.numPartitions} partitions)${existing.has(t.topic) ? ' exists' : ' created'}`);
  }
} catch (err) {
  console.error(`cannot reach Kafka at ${brokers.join(',')}: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
