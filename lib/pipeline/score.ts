// The scorer stage: flows -> verdicts -> the two output records. Shared by the scorer
// service, the embedded mode and the benchmarks, so all label and explain a flow
// identically for the same model.
import type { Detector } from '../detector/index.ts';
import type { Flow } from '../flow/record.ts';
import { toAnomaly, type Anomaly, type ScoredFlow } from '../avro/records.ts';

export interface ActiveModel {
  id: string;
  detector: Detector;
}

export interface ScoredBatch {
  scored: ScoredFlow[];
  anomalies: Anomaly[];
}

export function scoreFlows(model: ActiveModel, flows: readonly Flow[], nowMicros: number): ScoredBatch {
  const verdicts = model.detector.score(flows);
  const scored: ScoredFlow[] = new Array(flows.length);
  const anomalies: Anomaly[] = [];
  for (let i = 0; i < flows.length; i++) {
    const v = verdicts[i]!;
    const s: ScoredFlow = {
      flow: flows[i]!,
      score: v.score,
      anomaly: v.anomaly,
      threshold: model.detector.threshold,
      model_id: model.id,
      feature_version: model.detector.featureVersion,
      reasons: v.anomaly === -1 ? v.reasons.map((r) => r.text) : [],
      scored_at: nowMicros,
    };
    scored[i] = s;
    if (v.anomaly === -1) anomalies.push(toAnomaly(s, v.severity, v.reasons, nowMicros));
  }
  return { scored, anomalies };
}
