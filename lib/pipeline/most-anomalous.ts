// The few lowest-scored anomalies of a run, for its summary, kept without holding every
// anomaly: a flood of new sources makes millions of them (they are in anomalies.jsonl).
import type { Anomaly } from '../avro/records.ts';

export class MostAnomalous {
  /** Sorted by score, lowest first; ties keep arrival order (as a stable sort of all would). */
  private readonly kept: Anomaly[] = [];

  constructor(private readonly size: number) {}

  offer(a: Anomaly): void {
    const k = this.kept;
    if (k.length === this.size && a.score >= k[k.length - 1]!.score) return;
    let i = k.length;
    while (i > 0 && k[i - 1]!.score > a.score) i--;
    k.splice(i, 0, a);
    if (k.length > this.size) k.pop();
  }

  lowestFirst(): Anomaly[] {
    return [...this.kept];
  }
}
