// What the continuous trainer reads from Kafka at each turn, each topic up to its high
// watermarks in a fresh group that commits nothing: the flows (optionally one time range),
// and the scorers' verdicts on them: the flows they labeled anomalous (nids.scored.v1) and
// the hosts with an open incident (nids.anomalies.v1 grouped as lib/pipeline/incidents.ts does).
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { AvroCodec, DecodeError } from '../avro/codec.ts';
import type { Anomaly, ScoredFlow } from '../avro/records.ts';
import type { Flow } from '../flow/record.ts';
import { existingTopics, readToHighWatermarks } from '../kafka/index.ts';
import { IncidentTracker } from '../pipeline/incidents.ts';
import type { Verdicts } from './window.ts';

export interface LoopTopics {
  flowsTopic: string;
  scoredTopic: string;
  anomaliesTopic: string;
}

export interface LoopRead {
  flows: Flow[];
  verdicts: Verdicts;
  /** Records that did not decode (the scorer and sink dead-letter them). */
  undecodable: number;
}

export interface ReadOptions {
  /** Only flows starting in [start, end), epoch microseconds. */
  start: number;
  end: number;
  /** Whether to read the scored and anomalies topics at all (both exclusions off: no). */
  verdicts: boolean;
  groupPrefix: string;
  isStopping: () => boolean;
}

export async function readLoopInputs(kafka: Kafka, registry: SchemaRegistry, topics: LoopTopics, o: ReadOptions): Promise<LoopRead> {
  let undecodable = 0;
  const each = <T>(codec: AvroCodec<T>, use: (value: T) => void) => async (m: { value: Buffer | null }): Promise<boolean> => {
    try {
      use(await codec.decode(m.value));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      undecodable++;
    }
    return !o.isStopping();
  };
  const group = (topic: string) => `${o.groupPrefix}-${topic}-${process.pid}-${Date.now()}`;

  const flows: Flow[] = [];
  const flowCodec = await AvroCodec.forTopic<Flow>(registry, topics.flowsTopic, 'flow');
  await readToHighWatermarks(kafka, topics.flowsTopic, group(topics.flowsTopic), each(flowCodec, (f) => {
    if (f.ts_start >= o.start && f.ts_start < o.end) flows.push(f);
  }));

  const flagged = new Set<string>();
  const incidents = new IncidentTracker();
  if (o.verdicts) {
    // A deployment that never scored anything yet has neither topic: nothing to leave out.
    const present = await existingTopics(kafka, [topics.scoredTopic, topics.anomaliesTopic]);
    if (present.has(topics.scoredTopic)) {
      const scoredCodec = await AvroCodec.forTopic<ScoredFlow>(registry, topics.scoredTopic, 'scoredFlow');
      await readToHighWatermarks(kafka, topics.scoredTopic, group(topics.scoredTopic), each(scoredCodec, (s) => {
        if (s.anomaly === -1) flagged.add(s.flow.flow_id);
      }));
    }
    if (present.has(topics.anomaliesTopic)) {
      const anomalyCodec = await AvroCodec.forTopic<Anomaly>(registry, topics.anomaliesTopic, 'anomaly');
      await readToHighWatermarks(kafka, topics.anomaliesTopic, group(topics.anomaliesTopic), each(anomalyCodec, (a) => void incidents.add([a], a.detected_at)));
    }
  }
  return { flows, verdicts: { flagged, incidentHosts: incidents.openSources() }, undecodable };
}
