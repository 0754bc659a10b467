// How serious an anomaly is, from the two ways a flow becomes one: how far its isolation
// score falls below the threshold, and how far a feature lies beyond the baseline's range.
import { severityRank, type Severity } from '../avro/records.ts';

/**
 * Severity from how far below the threshold the score falls. Isolation scores are
 * compressed: with a baseline-quantile threshold (about -0.65 on flow features) the most
 * isolated flows sit only 0.06-0.08 below it, so the bands are narrow.
 */
export function severityOf(score: number, threshold: number): Severity {
  const margin = threshold - score;
  if (margin >= 0.06) return 'critical';
  if (margin >= 0.04) return 'high';
  if (margin >= 0.02) return 'medium';
  return 'low';
}

/** Severity from a distance beyond the baseline range, in widths of the range (see range.ts). */
export function severityOfExcess(excess: number): Severity {
  if (excess >= 2) return 'critical';
  if (excess >= 1) return 'high';
  return 'medium';
}

export function worse(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}
