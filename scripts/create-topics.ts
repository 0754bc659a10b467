// Creates the topics the services expect, with their partition counts; idempotent. Names,
// counts and brokers are the services' own settings (lib/config/common.ts): flags or env.
// `--check` only tells (by exit code) whether the broker answers: the stack's health probe.
import { Kafka, logLevel } from 'kafkajs';
import { bool, helpText, loadConfig } from '../lib/config/index.ts';
import { kafkaSettings, partitionSettings, topicSettings } from '../lib/config/common.ts';

const spec = {
  brokers: kafkaSettings.brokers,
  ...topicSettings,
  ...partitionSettings,
  check: bool({ flag: 'check', default: false, help: 'Only check that the broker answers (exit code 0 or 1).' }),
};
if (process.argv.includes('--help')) {
  process.stdout.write(helpText('Usage: node --import tsx scripts/create-topics.ts [--check] [options]', 'Creates the nids topics that do not exist yet.', spec));
  process.exit(0);
}
const { config } = loadConfig(spec, process.argv.slice(2));
const TOPICS: { topic: string; numPartitions: number }[] = [
  { topic: config.flowsTopic, numPartitions: config.flowsPartitions },
  { topic: config.scoredTopic, numPartitions: config.scoredPartitions },
  { topic: config.anomaliesTopic, numPartitions: config.anomaliesPartitions },
  { topic: config.incidentsTopic, numPartitions: config.incidentsPartitions },
  { topic: config.dlqTopic, numPartitions: config.dlqPartitions },
];

const kafka = new Kafka({ brokers: config.brokers, clientId: 'nids-topics', logLevel: logLevel.NOTHING, retry: { retries: config.check ? 0 : 8 } });
const admin = kafka.admin();
try {
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  if (!config.check) {
    const missing = TOPICS.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ ...t, replicationFactor: 1 })) });
    for (const t of TOPICS) console.log(`  ${t.topic} (${t.numPartitions} partitions)${existing.has(t.topic) ? ' exists' : ' created'}`);
  }
} catch (err) {
  console.error(`cannot reach Kafka at ${config.brokers.join(',')}: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
