// One turn of the continuous trainer, free of Kafka: choose the baseline window, fit on it
// less a held-back slice, put the model through the promotion guard, store it with the
// verdict, promote it only if it passed, and prune the scope to its retention.
import type { Flow } from '../flow/record.ts';
import type { GuardSettings, WindowSettings } from '../config/loop.ts';
import type { TrainingSettings } from '../config/stages.ts';
import type { BaselineMark, ModelMeta } from '../modelstore/index.ts';
import type { RedisModelStore } from '../modelstore/redis.ts';
import { trainOnBaseline } from '../pipeline/train.ts';
import { canaryFlows } from './canaries.ts';
import { judge, splitHoldback, type GuardResult } from './guard.ts';
import { selectWindow, type Verdicts, type WindowCounts } from './window.ts';
import { sensorScope } from '../pipeline/sensor-models.ts';

export interface CycleOptions {
  scope: string;
  window: Pick<WindowSettings, 'windowS' | 'maxFlows' | 'minFlows' | 'excludeFlagged' | 'excludeIncidentHosts'>;
  /** null: no guard (the model is fitted on the whole window and promoted as it is). */
  guard: GuardSettings | null;
  training: TrainingSettings;
  promote: boolean;
  retain: number;
}

export type CycleOutcome =
  | { status: 'skipped'; reason: string; counts: WindowCounts }
  | { status: 'promoted' | 'refused' | 'stored'; model: ModelMeta; guard: GuardResult | null; counts: WindowCounts; pruned: string[] };

type LoopStore = Pick<RedisModelStore, 'save' | 'promote' | 'prune'>;

export async function trainCycle(flows: readonly Flow[], verdicts: Verdicts, marks: readonly BaselineMark[], store: LoopStore, o: CycleOptions): Promise<CycleOutcome> {
  const { flows: window, counts } = selectWindow(flows, verdicts, marks, o.window);
  if (window.length < o.window.minFlows) {
    return { status: 'skipped', reason: `the baseline window holds ${window.length} usable flows, fewer than --min-flows ${o.window.minFlows}`, counts };
  }
  let fitOn: Flow[] = window;
  let guard: GuardResult | null = null;
  let trained;
  if (o.guard) {
    const split = splitHoldback(window, o.guard.holdbackShare);
    fitOn = split.train;
    trained = trainOnBaseline(fitOn, o.scope, o.training);
    let newest = 0;
    for (const f of window) if (f.ts_end > newest) newest = f.ts_end;
    guard = judge(trained.detector, split.holdback, canaryFlows(o.guard.canaries, o.training.internalCidrs, newest), o.guard);
  } else {
    trained = trainOnBaseline(fitOn, o.scope, o.training);
  }
  const status = guard && !guard.passed ? 'refused' : o.promote ? 'promoted' : 'stored';
  const model = await store.save(trained.bytes, {
    ...trained.meta,
    status,
    ...(guard && !guard.passed ? { refused_reason: guard.reason } : {}),
    guard: JSON.stringify({ ...(guard ?? { passed: null }), window: counts }),
  });
  if (status === 'promoted') await store.promote(o.scope, model.id);
  const pruned = await store.prune(o.scope, o.retain);
  return { status, model, guard, counts, pruned };
}

/** The flows of each scope a turn trains: all under `scope`, or each sensor's under `<scope>@<sensor_id>`. */
export function flowsByScope(flows: Flow[], scope: string, scopeBy: 'global' | 'sensor'): Map<string, Flow[]> {
  if (scopeBy === 'global') return new Map([[scope, flows]]);
  const out = new Map<string, Flow[]>();
  for (const f of flows) {
    const key = sensorScope(scope, f.sensor_id);
    let group = out.get(key);
    if (!group) out.set(key, (group = []));
    group.push(f);
  }
  return out;
}
