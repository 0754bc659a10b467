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

/** Loopback only: the conformance suites must never talk to anything but this machine. */
function loopbackUrl(name: string, url: string): string {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`${name}=${url}: the tests only talk to 127.0.0.1`);
  }
  return url.replace(/\/+$/, '');
}

/**
 * The schema registry URL, REQUIRED: the registry conformance suite fails (never skips)
 * when it is absent. From SCHEMA_REGISTRY_URL, else the running stack's env file.
 */
export function requireRegistry(): string {
  const url = process.env.SCHEMA_REGISTRY_URL ?? fromEnvFile().SCHEMA_REGISTRY_URL;
  if (!url) {
    throw new Error(
      'no schema registry: SCHEMA_REGISTRY_URL is not set and the local stack (.stack/env) has none. ' +
        'The registry conformance suite needs one: start `nids registry` (or `npm run stack:up`) and export SCHEMA_REGISTRY_URL=http://127.0.0.1:PORT',
    );
  }
  return loopbackUrl('SCHEMA_REGISTRY_URL', url);
}

/**
 * The same registry served under a base path (e.g. http://127.0.0.1:PORT/apis/ccompat/v7),
 * REQUIRED by the path-prefix conformance test: NIDS_TEST_REGISTRY_PREFIXED_URL.
 */
export function requirePrefixedRegistry(): string {
  const url = process.env.NIDS_TEST_REGISTRY_PREFIXED_URL;
  if (!url) {
    throw new Error(
      'NIDS_TEST_REGISTRY_PREFIXED_URL is not set: the path-prefix conformance test needs the registry started with a base path ' +
        'and this variable pointing at it, e.g. NIDS_TEST_REGISTRY_PREFIXED_URL=http://127.0.0.1:PORT/apis/ccompat/v7',
    );
  }
  const clean = loopbackUrl('NIDS_TEST_REGISTRY_PREFIXED_URL', url);
  if (new URL(clean).pathname.replace(/\/+$/, '') === '') {
    throw new Error(`NIDS_TEST_REGISTRY_PREFIXED_URL=${url} has no path prefix: give the base path, e.g. /apis/ccompat/v7`);
  }
  return clean;
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
