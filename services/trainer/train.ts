// Baseline window -> fitted detector + the metadata stored beside it. Shared by the trainer
// service and the embedded mode. Flows are sorted first: Kafka hands them over in a
// partition-dependent order, and the forest's subsampling must not depend on that.
import { Detector, type TrainOptions } from '../../lib/detector/index.ts';
import type { Flow } from '../../lib/flow/record.ts';
import type { ModelMeta } from '../../lib/modelstore/index.ts';
import { isoMicros } from '../sink/csv.ts';

export const MIN_BASELINE_FLOWS = 32;

export function byStartThenId(a: Flow, b: Flow): number {
  return a.ts_start - b.ts_start || (a.flow_id < b.flow_id ? -1 : a.flow_id > b.flow_id ? 1 : 0);
}

export interface Trained {
  detector: Detector;
  bytes: Uint8Array;
  meta: Omit<ModelMeta, 'id'>;
}

export function trainOnBaseline(flows: readonly Flow[], scope: string, opts: TrainOptions = {}): Trained {
  if (flows.length < MIN_BASELINE_FLOWS) {
    throw new Error(
      `the baseline window holds ${flows.length} flows; at least ${MIN_BASELINE_FLOWS} are needed to learn what is normal. ` +
        'Capture longer, or widen the window.',
    );
  }
  const sorted = [...flows].sort(byStartThenId);
  const detector = Detector.train(sorted, opts);
  let end = sorted[0]!.ts_end;
  for (const f of sorted) if (f.ts_end > end) end = f.ts_end;
  return {
    detector,
    bytes: detector.serialize(),
    meta: {
      created_at: new Date().toISOString(),
      scope,
      feature_version: detector.featureVersion,
      n_samples: detector.nSamples,
      window: `${isoMicros(sorted[0]!.ts_start)}/${isoMicros(end)}`,
      threshold: detector.threshold,
      params: JSON.stringify(detector.params),
    },
  };
}
