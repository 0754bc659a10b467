// The promotion guard: a model trained on the window is promoted only if (a) on a slice of
// the window held back from its training it raises no more false alarms than the target
// times a factor, and (b) it catches the canary attacks. The verdict, with its figures,
// is stored in the model's metadata whether it passes or not.
import type { Detector } from '../detector/index.ts';
import type { Flow } from '../flow/record.ts';
import type { GuardSettings } from '../config/loop.ts';
import type { Canary } from './canaries.ts';

export interface GuardResult {
  passed: boolean;
  /** Why the model was refused (empty when it passed): one short phrase per failed check. */
  reason: string;
  /** `holdback` | `canary:<attack>`: the failed checks, for the refusal metric's label. */
  failed: string[];
  holdback_flows: number;
  false_alarm_rate: number;
  false_alarm_limit: number;
  /** Per canary attack: the share of its flows flagged. */
  canary_recall: Record<string, number>;
}

/** FNV-1a of the flow id: which flows are held back depends on the flow only, not on read order. */
function heldBack(flowId: string, share: number): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < flowId.length; i++) h = Math.imul(h ^ flowId.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 0x1_0000_0000 < share;
}

export function splitHoldback(flows: readonly Flow[], share: number): { train: Flow[]; holdback: Flow[] } {
  const train: Flow[] = [];
  const holdback: Flow[] = [];
  for (const f of flows) (heldBack(f.flow_id, share) ? holdback : train).push(f);
  return { train, holdback };
}

const flaggedShare = (detector: Detector, flows: readonly Flow[]): number => {
  if (flows.length === 0) return 0;
  let n = 0;
  for (const v of detector.score(flows)) if (v.anomaly === -1) n++;
  return n / flows.length;
};

export function judge(detector: Detector, holdback: readonly Flow[], canaries: readonly Canary[], s: GuardSettings): GuardResult {
  const failed: string[] = [];
  const reasons: string[] = [];
  const falseAlarmRate = flaggedShare(detector, holdback);
  const limit = s.falseAlarmTarget * s.falseAlarmFactor;
  if (falseAlarmRate > limit) {
    failed.push('holdback');
    reasons.push(`false alarms on the held-back slice ${(falseAlarmRate * 100).toFixed(2)} % > ${(limit * 100).toFixed(2)} % (target x ${s.falseAlarmFactor})`);
  }
  const recall: Record<string, number> = {};
  for (const c of canaries) {
    const r = flaggedShare(detector, c.flows);
    recall[c.attack] = r;
    if (r < s.canaryMinRecall) {
      failed.push(`canary:${c.attack}`);
      reasons.push(`canary ${c.attack} caught ${(r * 100).toFixed(1)} % < ${(s.canaryMinRecall * 100).toFixed(0)} %`);
    }
  }
  return { passed: failed.length === 0, reason: reasons.join('; '), failed, holdback_flows: holdback.length, false_alarm_rate: falseAlarmRate, false_alarm_limit: limit, canary_recall: recall };
}
