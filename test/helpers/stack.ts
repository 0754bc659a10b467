// Endpoints of the real local stack the integration tests run against. `npm test` starts
// it (scripts/stack.sh) and exports these; run alone, a test reads .stack/env.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

function fromEnvFile(): Record<string, string> {
  const path = `${process.env.NIDS_STACK_DIR ?? REPO + '.stack'}/env`;
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  return out;
}

export interface StackEndpoints {
  brokers: string;
  registry: string;
  redis: string;
}

export function stackEndpoints(): StackEndpoints {
  const file = fromEnvFile();
  const get = (k: string) => process.env[k] ?? file[k];
  const brokers = get('KAFKA_BROKERS');
  const registry = get('SCHEMA_REGISTRY_URL');
  const redis = get('REDIS_URL');
  if (!brokers || !redis || !registry) {
    throw new Error('the local stack (Kafka, schema registry, Redis) is not running: start it with `npm run stack:up` (npm test does this itself)');
  }
  return { brokers, registry, redis };
}

/** A unique name, so tests never see each other's topics, groups or scopes. */
export const uniqueName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export async function createTopics(brokers: string, topics: string[], partitions = 3): Promise<void> {
  const kafka = new Kafka({ brokers: brokers.split(','), clientId: 'nids-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
}
