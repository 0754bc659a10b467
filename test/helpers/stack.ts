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

/** The schema registry URL (required, like the whole stack), loopback only. */
export const requireRegistry = (): string => loopbackUrl('SCHEMA_REGISTRY_URL', stackEndpoints().registry);

/**
 * The same registry under a base path: NIDS_TEST_REGISTRY_PREFIXED_URL, or the stack's
 * registry under /apis/ccompat/v7 (a mount point nids registry serves by default).
 */
export function requirePrefixedRegistry(): string {
  const url = process.env.NIDS_TEST_REGISTRY_PREFIXED_URL ?? `${requireRegistry()}/apis/ccompat/v7`;
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
    await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
    // Wait for every partition's leader ourselves: kafkajs' own wait gives up at once when the
    // broker does not list a new topic yet (UNKNOWN_TOPIC_OR_PARTITION), which a loaded machine shows.
    const deadline = Date.now() + 60_000;
    for (let ready = false; !ready; ) {
      try {
        const meta = await admin.fetchTopicMetadata({ topics });
        ready = meta.topics.length === topics.length && meta.topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0));
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (!ready && Date.now() > deadline) throw new Error(`topics ${topics.join(', ')}: no leader after 60 s`);
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * `nids trainer` as the one-shot fit these tests compare with `nids analyze`: one turn, the
 * whole baseline topic (no guard slice held back), no exclusions read from the shared
 * scored/anomalies topics (other tests fill them with the same deterministic flow ids).
 */
export const ONE_SHOT_TRAINER = ['trainer', '--every', '0', '--no-guard', '--min-flows', '32', '--no-exclude-flagged', '--no-exclude-incident-hosts'];
