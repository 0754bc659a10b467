// The schema registry service: the Confluent Schema Registry REST API over the compacted
// `_schemas` topic (see lib/registry/). Several instances may run against one topic; one is
// elected writer, the others answer reads and forward writes to it.
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { bool, list, num, oneOf, optionalStr, str, ConfigError } from '../../lib/config/index.ts';
import { kafkaSettings } from '../../lib/config/common.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { createKafka } from '../../lib/kafka/index.ts';
import { Counter, Gauge, Histogram } from '../../lib/metrics/index.ts';
import { RegistryNode } from '../../lib/registry/node.ts';
import { buildHttpApi } from '../../lib/registry/http.ts';
import { COMPATIBILITY_LEVELS } from '../../lib/registry/state.ts';

const spec = {
  host: str({ flag: 'host', env: 'NIDS_REGISTRY_HOST', default: '127.0.0.1', help: 'Address the REST API binds to (0.0.0.0 to serve other hosts; then set --basic-auth).' }),
  port: num({ flag: 'port', env: 'NIDS_REGISTRY_PORT', default: 18081, integer: true, min: 0, max: 65535, help: 'Port of the REST API (0 = a free port, logged).' }),
  pathPrefixes: list({ flag: 'path-prefixes', env: 'NIDS_REGISTRY_PATH_PREFIXES', default: ['/apis/ccompat/v7'], metavar: 'path,...', help: 'Extra mount points of the same API besides /, for URLs written for other registries.' }),
  advertisedUrl: optionalStr({ flag: 'advertised-url', env: 'NIDS_REGISTRY_ADVERTISED_URL', metavar: 'url', help: 'URL other instances forward writes to while this one is the writer [default: http://<host>:<port>].' }),
  topic: str({ flag: 'topic', env: 'NIDS_REGISTRY_TOPIC', default: '_schemas', help: 'Compacted one-partition topic holding every schema, config and mode (created if absent).' }),
  groupId: str({ flag: 'group-id', env: 'NIDS_REGISTRY_GROUP', default: 'nids-registry', help: 'Election group of the instances sharing the topic; also names the transactional id that fences old writers.' }),
  leaderEligible: bool({ flag: 'leader-eligible', env: 'NIDS_REGISTRY_LEADER_ELIGIBLE', default: true, help: 'Take part in the writer election (--no-leader-eligible: serve reads, forward writes).' }),
  defaultCompatibility: oneOf(COMPATIBILITY_LEVELS, { flag: 'default-compatibility', env: 'NIDS_REGISTRY_DEFAULT_COMPATIBILITY', default: 'BACKWARD', help: 'Global compatibility level until PUT /config sets one.' }),
  basicAuth: optionalStr({ flag: 'basic-auth', env: 'NIDS_REGISTRY_BASIC_AUTH', metavar: 'user:password', secret: true, help: 'Require HTTP basic auth with these credentials on every request.' }),
  timeoutMs: num({ flag: 'timeout-ms', env: 'NIDS_REGISTRY_TIMEOUT_MS', default: 30_000, integer: true, min: 100, help: 'Bound on one write and on reading the topic at start-up.' }),
  sessionTimeoutMs: num({ flag: 'session-timeout-ms', env: 'NIDS_REGISTRY_SESSION_TIMEOUT_MS', default: 6000, integer: true, min: 6000, max: 300_000, help: 'How long a silent writer keeps its election before another instance takes over.' }),
  maxBodyBytes: num({ flag: 'max-body-bytes', env: 'NIDS_REGISTRY_MAX_BODY_BYTES', default: 4 * 1024 * 1024, integer: true, min: 1024, help: 'Largest request body accepted (413 above).' }),
  brokers: kafkaSettings.brokers,
  clientId: kafkaSettings.clientId,
};

export const registryService: ServiceDef<typeof spec> = {
  name: 'registry',
  usage: 'Usage: nids registry [options]',
  description:
    'Confluent-compatible schema registry (REST API, Avro) whose only state is the compacted _schemas topic in Kafka. ' +
    'Run several against one topic: one is elected writer, the others serve reads and forward writes.',
  spec,
  validate(config) {
    if (config.basicAuth !== undefined && !config.basicAuth.includes(':')) {
      throw new ConfigError('--basic-auth (NIDS_REGISTRY_BASIC_AUTH): expected user:password');
    }
    for (const p of config.pathPrefixes) {
      if (!/^\/[\w./-]*[^/]$/.test(p)) throw new ConfigError(`--path-prefixes (NIDS_REGISTRY_PATH_PREFIXES): "${p}" must start with / and not end with one`);
    }
  },
  async main({ config, log, metrics, stopped }) {
    const reg = [metrics.registry];
    const requests = new Histogram({
      name: 'nids_registry_request_seconds', help: 'REST requests by route and status', labelNames: ['method', 'route', 'status'], registers: reg,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
    });
    const writes = new Counter({ name: 'nids_registry_writes_total', help: 'Writes to the schemas topic by outcome', labelNames: ['outcome'], registers: reg });
    const writer = new Gauge({ name: 'nids_registry_is_writer', help: '1 while this instance is the elected writer', registers: reg });
    const kafka = createKafka(config.brokers, `${config.clientId}-registry`, log);
    const node = new RegistryNode(kafka, {
      topic: config.topic,
      groupId: config.groupId,
      leaderEligible: config.leaderEligible,
      defaultCompatibility: config.defaultCompatibility,
      timeoutMs: config.timeoutMs,
      sessionTimeoutMs: config.sessionTimeoutMs,
    }, log, {
      onWrite: (ok) => writes.inc({ outcome: ok ? 'ok' : 'failed' }),
      onRoleChange: (w) => writer.set(w ? 1 : 0),
    });
    new Gauge({ name: 'nids_registry_schemas', help: 'Schemas known by id', registers: reg, collect() { this.set(node.state.schemaCount); } });
    new Gauge({ name: 'nids_registry_malformed_records', help: 'Records of the topic skipped as malformed', registers: reg, collect() { this.set(node.malformedRecords); } });

    // Read the whole topic before answering anything: a registry that answers from half its
    // state would call known schemas unknown.
    const loaded = await Promise.race([node.load().then(() => 'loaded' as const), stopped.then(() => 'stopped' as const)]);
    if (loaded === 'stopped') {
      await node.stop();
      return 0;
    }
    const app = await buildHttpApi(node, {
      prefixes: config.pathPrefixes,
      basicAuth: config.basicAuth ?? null,
      writerWaitMs: Math.min(config.timeoutMs, 15_000),
      bodyLimitBytes: config.maxBodyBytes,
      onResponse: (method, route, status, seconds) => requests.observe({ method, route, status: String(status) }, seconds),
    });
    try {
      await app.listen({ host: config.host, port: config.port });
    } catch (err) {
      await node.stop();
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new Error(`--port: ${config.host}:${config.port} is already in use`);
      throw err;
    }
    const { port } = app.server.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    const advertisedUrl = config.advertisedUrl ?? (config.host === '0.0.0.0' || config.host === '::' ? `http://${hostname()}:${port}` : url);
    await node.joinElection(advertisedUrl);
    log.info({ url, advertisedUrl, prefixes: config.pathPrefixes, writerEligible: config.leaderEligible }, 'schema registry listening');
    // A line on stdout for scripts that started us on port 0.
    process.stdout.write(`nids registry listening on ${url}\n`);
    metrics.setReady(true);
    await stopped;
    await app.close();
    await node.stop();
    return 0;
  },
};

export const run = (argv: string[]): Promise<number> => runService(registryService, argv);
