// Settings shared by the distributed services, so every service names them the same way.
// The defaults match `npm run stack:up` (scripts/stack.sh).
import { list, num, str, oneOf } from './index.ts';

export const kafkaSettings = {
  brokers: list({ flag: 'brokers', env: 'KAFKA_BROKERS', default: ['127.0.0.1:19092'], metavar: 'host:port,...', help: 'Kafka bootstrap brokers.' }),
  clientId: str({ flag: 'client-id', env: 'KAFKA_CLIENT_ID', default: 'nids', help: 'Kafka client id prefix.' }),
  registry: str({ flag: 'registry', env: 'SCHEMA_REGISTRY_URL', default: 'http://127.0.0.1:18081', metavar: 'url', help: 'Confluent-compatible schema registry URL (nids registry, Confluent, Karapace, Apicurio ccompat; a path prefix is fine).' }),
};

/**
 * How the services' producers send. Compression is off by default: on the local stack and a
 * LAN the brokers are not bandwidth-bound, and gzip (the only codec kafkajs ships without
 * native add-ons) cost the sensor 8 % of its CPU in the pipeline bench (bench/RESULTS.md).
 */
export const producerSettings = {
  compression: oneOf(['none', 'gzip'] as const, { flag: 'kafka-compression', env: 'NIDS_KAFKA_COMPRESSION', default: 'none', help: 'Codec of produced record batches (gzip: less network and disk, more CPU).' }),
  // A broker refuses a record batch above its message.max.bytes (1 MiB by default), and
  // kafkajs does not split one: a stage's outputs are sent in requests of at most this much.
  produceMaxBytes: num({ flag: 'produce-max-bytes', env: 'NIDS_KAFKA_PRODUCE_MAX_BYTES', default: 900_000, integer: true, min: 1024, help: "Most record bytes per produce request (below the brokers' message.max.bytes)." }),
};

/**
 * How the scorer and the sink fetch. The broker answers a fetch as soon as `fetchMinBytes`
 * are there or `fetchMaxWaitMs` passed, so with 1 byte a record is handed over as soon as it
 * lands (latency) and a busy topic still comes back in large batches (throughput);
 * `fetchMaxWaitMs` only bounds how long an idle fetch is parked at the broker. Partitions
 * are handled concurrently (each batch still commits its own offsets after its outputs are
 * acknowledged), so one partition's produce round trip does not hold up the others.
 */
export const consumerSettings = {
  fetchMaxWaitMs: num({ flag: 'fetch-max-wait-ms', env: 'NIDS_KAFKA_FETCH_MAX_WAIT_MS', default: 100, integer: true, min: 0, help: 'Longest a fetch waits at the broker for fetch-min-bytes.' }),
  fetchMinBytes: num({ flag: 'fetch-min-bytes', env: 'NIDS_KAFKA_FETCH_MIN_BYTES', default: 1, integer: true, min: 1, help: 'Bytes a fetch waits for (up to fetch-max-wait-ms) before the broker answers.' }),
  fetchMaxBytesPerPartition: num({ flag: 'fetch-max-partition-bytes', env: 'NIDS_KAFKA_FETCH_MAX_PARTITION_BYTES', default: 4 * 1024 * 1024, integer: true, min: 1024, help: 'Most bytes of one partition per fetch: bounds a batch (and its memory).' }),
  partitionsConcurrently: num({ flag: 'partitions-concurrently', env: 'NIDS_KAFKA_PARTITIONS_CONCURRENTLY', default: 6, integer: true, min: 1, help: 'Partition batches handled at once by this consumer.' }),
};

export const topicSettings = {
  flowsTopic: str({ flag: 'flows-topic', env: 'NIDS_TOPIC_FLOWS', default: 'nids.flows.v1', help: 'Topic of Flow records.' }),
  scoredTopic: str({ flag: 'scored-topic', env: 'NIDS_TOPIC_SCORED', default: 'nids.scored.v1', help: 'Topic of ScoredFlow records.' }),
  anomaliesTopic: str({ flag: 'anomalies-topic', env: 'NIDS_TOPIC_ANOMALIES', default: 'nids.anomalies.v1', help: 'Topic of Anomaly records (for the SIEM).' }),
  incidentsTopic: str({ flag: 'incidents-topic', env: 'NIDS_TOPIC_INCIDENTS', default: 'nids.incidents.v1', help: 'Topic of Incident reports (for the SIEM).' }),
  dlqTopic: str({ flag: 'dlq-topic', env: 'NIDS_TOPIC_DLQ', default: 'nids.dlq.v1', help: 'Dead-letter topic for records that cannot be decoded.' }),
};

export const redisSettings = {
  redis: str({ flag: 'redis', env: 'REDIS_URL', default: 'redis://127.0.0.1:16379', metavar: 'url', secret: false, help: 'Redis URL of the model store (a password in the URL is redacted in logs).' }),
  scope: str({ flag: 'scope', env: 'NIDS_MODEL_SCOPE', default: 'default', help: 'Model scope: which active model this service trains or uses.' }),
};

export const opsSettings = {
  metricsPort: num({ flag: 'metrics-port', env: 'NIDS_METRICS_PORT', default: 0, integer: true, min: 0, max: 65535, help: 'Port of /metrics, /healthz, /readyz (0 = pick a free port; -1 is not allowed).' }),
  metricsHost: str({ flag: 'metrics-host', env: 'NIDS_METRICS_HOST', default: '127.0.0.1', help: 'Address the metrics server binds to (0.0.0.0 in containers).' }),
  logLevel: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, { flag: 'log-level', env: 'NIDS_LOG_LEVEL', default: 'info', help: 'Log level (JSON logs on stderr).' }),
};

/** Partitions of each topic when scripts/create-topics.ts creates it (an existing topic keeps its own). */
export const partitionSettings = {
  flowsPartitions: num({ flag: 'flows-partitions', env: 'NIDS_FLOWS_PARTITIONS', default: 6, integer: true, min: 1, help: 'Partitions of the flows topic: at most this many scorers share the work.' }),
  scoredPartitions: num({ flag: 'scored-partitions', env: 'NIDS_SCORED_PARTITIONS', default: 6, integer: true, min: 1, help: 'Partitions of the scored topic.' }),
  anomaliesPartitions: num({ flag: 'anomalies-partitions', env: 'NIDS_ANOMALIES_PARTITIONS', default: 3, integer: true, min: 1, help: 'Partitions of the anomalies topic.' }),
  incidentsPartitions: num({ flag: 'incidents-partitions', env: 'NIDS_INCIDENTS_PARTITIONS', default: 3, integer: true, min: 1, help: 'Partitions of the incidents topic.' }),
  dlqPartitions: num({ flag: 'dlq-partitions', env: 'NIDS_DLQ_PARTITIONS', default: 1, integer: true, min: 1, help: 'Partitions of the dead-letter topic.' }),
};
