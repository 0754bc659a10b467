// The reason a feature gives, remembered per feature for the last value it was given: the
// flows that make many anomalies at once (a flood, a scan) repeat the same few values, and
// formatting the text (number to string, twice, and the concatenation) for each of them was
// the largest single cost of scoring a flood. A remembered Reason is shared between the
// anomalies that quote it, so nothing may change one after it is made.
import type { Reason } from '../avro/records.ts';

export class ReasonMemo {
  private readonly values: Float64Array;
  private readonly reasons: (Reason | null)[];

  constructor(features: number) {
    this.values = new Float64Array(features);
    this.reasons = new Array<Reason | null>(features).fill(null);
  }

  /** The Reason last made for `feature` with `value`, or one newly made by `make` (then remembered). */
  get(feature: number, value: number, make: () => Reason): Reason {
    const last = this.reasons[feature];
    // Object.is: -0 and 0 print differently; NaN is never remembered as equal by ===.
    if (last && Object.is(this.values[feature], value)) return last;
    const made = make();
    this.values[feature] = value;
    this.reasons[feature] = made;
    return made;
  }
}
