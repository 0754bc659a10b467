// The baseline's range per feature, and how far a flow lies outside it.
//
// Why: Isolation Forest draws each split threshold inside the range of the samples at that
// node, so a value far beyond everything in the baseline lands in the same leaf as the
// baseline's own extreme and isolates no faster than it. A DNS tunnel's 80-character query
// names then score like the longest benign name, and the forest never flags them. The
// range check closes that blind spot without touching the forest's scikit-learn
// semantics: a flow with a feature beyond the baseline's range by more than
// RANGE_TOLERANCE of that range's width is anomalous, whatever its score.
//
// Only features of the flow itself are checked. Source-context features (flows per second
// from the source, ...) are shared by every flow of a source, so one busy host would put
// all its benign flows out of range; those weigh in the forest, together with the rest.

/** How far outside (in widths of the baseline range) a value may lie before it is anomalous. */
export const RANGE_TOLERANCE = 0.5;

export interface Excess {
  /** The feature that lies farthest outside, or -1 when every feature is inside. */
  feature: number;
  /** Its distance outside the range, in widths of the range (0 when inside). */
  excess: number;
}

export class BaselineRange {
  private constructor(
    /** Per feature, the baseline's lowest and highest model input (after log scaling). */
    readonly lo: Float64Array,
    readonly hi: Float64Array,
    /** Per feature, whether it is checked. */
    private readonly checked: readonly boolean[],
  ) {}

  /** From the baseline's model inputs `X`, row-major with one column per entry of `checked`. */
  static fit(X: Float64Array, checked: readonly boolean[]): BaselineRange {
    const d = checked.length;
    const lo = new Float64Array(d).fill(Infinity);
    const hi = new Float64Array(d).fill(-Infinity);
    for (let i = 0; i < X.length; i++) {
      const f = i % d;
      const v = X[i]!;
      if (v < lo[f]!) lo[f] = v;
      if (v > hi[f]!) hi[f] = v;
    }
    return new BaselineRange(lo, hi, checked);
  }

  static restore(lo: readonly number[], hi: readonly number[], checked: readonly boolean[]): BaselineRange {
    if (lo.length !== checked.length || hi.length !== checked.length) throw new Error(`model baseline range is corrupted: ${lo.length} lows, ${hi.length} highs for ${checked.length} features`);
    return new BaselineRange(Float64Array.from(lo), Float64Array.from(hi), checked);
  }

  /**
   * The feature of row `row` farthest outside the range. A feature constant in the
   * baseline (width 0, e.g. no DNS at all) is measured against its own magnitude.
   */
  excess(X: Float64Array, row: number, out: Excess): Excess {
    const d = this.lo.length;
    out.feature = -1;
    out.excess = 0;
    for (let f = 0; f < d; f++) {
      if (!this.checked[f]) continue;
      const v = X[row * d + f]!;
      const lo = this.lo[f]!;
      const hi = this.hi[f]!;
      const outside = v > hi ? v - hi : v < lo ? lo - v : 0;
      if (outside === 0) continue;
      const e = outside / (hi > lo ? hi - lo : Math.max(Math.abs(hi), 1));
      if (e > out.excess) {
        out.excess = e;
        out.feature = f;
      }
    }
    return out;
  }
}
