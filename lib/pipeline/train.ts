// The trainer stage: a baseline window -> a fitted detector and the metadata stored beside
// it. Shared by the trainer service, the embedded mode and the benchmarks. Flows are sorted
// first: Kafka hands them over in a partition-dependent order, and the forest's subsampling
// must not depend on that.
import { Detector, type TrainOptions } from '../detector/index.ts';
import type { Flow } from '../flow/record.ts';
import type { ModelMeta } from '../modelstore/index.ts';
import { formatIsoMicros } from '../time/index.ts';

const MIN_BASELINE_FLOWS = 32;

function byStartThenId(a: Flow, b: Flow): number {
  return a.ts_start - b.ts_start || (a.flow_id < b.flow_id ? -1 : a.flow_id > b.flow_id ? 1 : 0);
}

export interface Trained {
  detector: Detector;
  bytes: Uint8Array;
  meta: Omit<ModelMeta, 'id'>;
}

/** What the model store keeps beside a model's bytes. `window` says where the model came from. */
export function modelMetaOf(detector: Detector, scope: string, window: string): Omit<ModelMeta, 'id'> {
  return {
    created_at: new Date().toISOString(),
    scope,
    feature_version: detector.featureVersion,
    n_samples: detector.nSamples,
    window,
    threshold: detector.threshold,
    params: JSON.stringify(detector.params),
  };
}

/** Unset options take the product's defaults (lib/config/stages.ts), as in every mode. */
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
  const window = `${formatIsoMicros(sorted[0]!.ts_start)}/${formatIsoMicros(end)}`;
  return { detector, bytes: detector.serialize(), meta: modelMetaOf(detector, scope, window) };
}
