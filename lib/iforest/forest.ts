// Isolation Forest (Liu, Ting & Zhou 2008) with scikit-learn's semantics: the same
// parameters, score_samples (negated anomaly score, lower = more abnormal, with the
// average path length c(n) and the leaf-size correction), decision_function
// (score - offset_) and predict (1 / -1). Trees live in flat typed arrays; scoring walks
// them without allocating.
import { Random } from './random.ts';
import { addPathLengths, buildLayout, type ScoringLayout } from './layout.ts';
import type { Trees } from './trees.ts';

export interface IsolationForestParams {
  nEstimators: number;
  maxSamples: number | 'auto';
  /** Features drawn per tree: a count (>= 1) or a fraction in (0, 1]. */
  maxFeatures: number;
  bootstrap: boolean;
  contamination: number | 'auto';
  seed: number;
}

export const DEFAULT_PARAMS: IsolationForestParams = {
  nEstimators: 100,
  maxSamples: 'auto',
  maxFeatures: 1.0,
  bootstrap: false,
  contamination: 'auto',
  seed: 42,
};

export class ParameterError extends Error {
  override name = 'ParameterError';
}

export function validateParams(p: Partial<IsolationForestParams>): IsolationForestParams {
  const q = { ...DEFAULT_PARAMS, ...p };
  const bad = (name: string, msg: string): never => {
    throw new ParameterError(`${name}: ${msg}`);
  };
  if (!Number.isInteger(q.nEstimators) || q.nEstimators < 1) bad('n_estimators', `must be a whole number >= 1, got ${q.nEstimators}`);
  if (q.maxSamples !== 'auto' && !(Number.isInteger(q.maxSamples) && q.maxSamples >= 2) && !(q.maxSamples > 0 && q.maxSamples <= 1))
    bad('max_samples', `must be 'auto', a whole number >= 2 or a fraction in (0, 1], got ${q.maxSamples}`);
  if (!(q.maxFeatures > 0) || (q.maxFeatures > 1 && !Number.isInteger(q.maxFeatures))) bad('max_features', `must be a whole number >= 1 or a fraction in (0, 1], got ${q.maxFeatures}`);
  if (q.contamination !== 'auto' && !(q.contamination > 0 && q.contamination <= 0.5)) bad('contamination', `must be 'auto' or in (0, 0.5], got ${q.contamination}`);
  if (!Number.isInteger(q.seed) || q.seed < 0) bad('random_state', `must be a whole number >= 0, got ${q.seed}`);
  return q;
}

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful search in a BST of n points: c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export class IsolationForest {
  readonly params: IsolationForestParams;
  nFeatures = 0;
  maxSamples_ = 0;
  offset_ = -0.5;
  trees: Trees | null = null;
  /** Derived from `trees` on first use, and again whenever `trees` is replaced. */
  private layout: ScoringLayout | null = null;
  private layoutFor: Trees | null = null;

  constructor(params: Partial<IsolationForestParams> = {}) {
    this.params = validateParams(params);
  }

  /**
   * Fits on `X`, row-major with `nFeatures` columns. With `featureNames`, features are drawn
   * in name order rather than column order, so the same data with its columns (and names)
   * permuted grows the same trees and gives the same scores.
   */
  fit(X: Float64Array, nFeatures: number, featureNames?: readonly string[]): this {
    const n = X.length / nFeatures;
    if (!Number.isInteger(n) || n < 2) throw new ParameterError(`X: needs at least 2 rows of ${nFeatures} features, got ${X.length} values`);
    const columnOrder = drawOrder(nFeatures, featureNames);
    // 0 * v is NaN exactly when v is NaN or infinite: one branch-free pass, then a second
    // one only to name the culprit.
    let poison = 0;
    for (let i = 0; i < X.length; i++) poison += 0 * X[i]!;
    if (poison !== 0) {
      const i = X.findIndex((v) => !Number.isFinite(v));
      throw new ParameterError(`X: value ${X[i]} at row ${Math.floor(i / nFeatures)}, column ${i % nFeatures} is not finite`);
    }
    const p = this.params;
    this.nFeatures = nFeatures;
    const ms = p.maxSamples === 'auto' ? Math.min(256, n) : p.maxSamples <= 1 && !Number.isInteger(p.maxSamples) ? Math.max(2, Math.floor(p.maxSamples * n)) : Math.min(p.maxSamples, n);
    this.maxSamples_ = ms;
    const nTreeFeatures = p.maxFeatures <= 1 && !Number.isInteger(p.maxFeatures) ? Math.max(1, Math.floor(p.maxFeatures * nFeatures)) : Math.min(nFeatures, p.maxFeatures === 1 ? nFeatures : p.maxFeatures);
    const maxDepth = Math.ceil(Math.log2(Math.max(ms, 2)));
    const rng = new Random(p.seed);
    const b = new TreeBuilder(X, nFeatures, maxDepth, rng);
    const roots = new Int32Array(p.nEstimators);
    const rows = new Int32Array(ms);
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    const feats = new Int32Array(nFeatures);
    for (let t = 0; t < p.nEstimators; t++) {
      if (p.bootstrap) for (let i = 0; i < ms; i++) rows[i] = rng.int(n);
      else {
        // Partial Fisher-Yates: the first ms of a random permutation, without replacement.
        // `all` is left as the previous tree's permutation: shuffling any permutation gives
        // a uniform sample, and resetting it would cost n writes per tree.
        for (let i = 0; i < ms; i++) {
          const j = i + rng.int(n - i);
          const chosen = all[j]!;
          all[j] = all[i]!;
          all[i] = chosen;
          rows[i] = chosen;
        }
      }
      feats.set(columnOrder);
      for (let f = 0; f < nTreeFeatures; f++) {
        const j = f + rng.int(nFeatures - f);
        const tmp = feats[f]!;
        feats[f] = feats[j]!;
        feats[j] = tmp;
      }
      roots[t] = b.build(rows, feats.subarray(0, nTreeFeatures));
    }
    this.trees = b.finish(roots);
    this.offset_ = -0.5;
    if (p.contamination !== 'auto') this.offset_ = percentile(this.scoreSamples(X), 100 * p.contamination);
    return this;
  }

  /** scikit-learn's score_samples: -2^(-E[h(x)] / c(max_samples)), in (-1, 0]. */
  scoreSamples(X: Float64Array, out = new Float64Array(X.length / this.nFeatures)): Float64Array {
    const tr = this.requireFitted();
    const nTrees = tr.roots.length;
    const d = this.nFeatures;
    const norm = averagePathLength(this.maxSamples_) * nTrees;
    const n = X.length / d;
    out.fill(0, 0, n);
    const layout = this.scoringLayout(tr);
    if (layout) addPathLengths(layout, X, n, out);
    else walkTrees(tr, X, d, n, out);
    for (let i = 0; i < n; i++) out[i] = -Math.pow(2, -out[i]! / norm);
    return out;
  }

  decisionFunction(X: Float64Array): Float64Array {
    const s = this.scoreSamples(X);
    for (let i = 0; i < s.length; i++) s[i]! -= this.offset_;
    return s;
  }

  predict(X: Float64Array): Int8Array {
    const d = this.decisionFunction(X);
    const out = new Int8Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i]! < 0 ? -1 : 1;
    return out;
  }

  /**
   * Per-feature contribution to isolating row `row` (DIFFI-style): each split on the
   * path adds 1/depth-of-path to its feature, so features that isolate early weigh most.
   */
  pathImportance(X: Float64Array, row: number, out: Float64Array): Float64Array {
    const { feature, threshold, left, right, value, roots } = this.requireFitted();
    out.fill(0);
    const base = row * this.nFeatures;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]!;
      while (feature[node]! >= 0) node = X[base + feature[node]!]! <= threshold[node]! ? left[node]! : right[node]!;
      const w = 1 / Math.max(value[node]!, 1);
      node = roots[t]!;
      while (feature[node]! >= 0) {
        const f = feature[node]!;
        out[f]! += w;
        node = X[base + f]! <= threshold[node]! ? left[node]! : right[node]!;
      }
    }
    return out;
  }

  private scoringLayout(trees: Trees): ScoringLayout | null {
    if (this.layoutFor !== trees) {
      this.layout = buildLayout(trees, this.nFeatures);
      this.layoutFor = trees;
    }
    return this.layout;
  }

  private requireFitted(): Trees {
    if (!this.trees) throw new Error('IsolationForest: call fit() before scoring');
    return this.trees;
  }
}

/** Columns in the order features are drawn: by name when names are given. */
function drawOrder(nFeatures: number, names: readonly string[] | undefined): Int32Array {
  const order = Int32Array.from({ length: nFeatures }, (_, i) => i);
  if (!names) return order;
  if (names.length !== nFeatures) throw new ParameterError(`feature_names: ${names.length} names for ${nFeatures} features`);
  if (new Set(names).size !== names.length) throw new ParameterError('feature_names: names must be unique');
  return order.sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
}

/** The plain pointer walk, for forests too deep for the scoring layout. Tree-major: one tree's nodes stay in cache while every row walks it. */
function walkTrees(trees: Trees, X: Float64Array, d: number, n: number, out: Float64Array): void {
  const { feature, threshold, left, right, value, roots } = trees;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!;
    for (let i = 0; i < n; i++) {
      const base = i * d;
      let node = root;
      let f = feature[node]!;
      while (f >= 0) {
        node = X[base + f]! <= threshold[node]! ? left[node]! : right[node]!;
        f = feature[node]!;
      }
      out[i]! += value[node]!;
    }
  }
}

/** Linear-interpolation percentile, as numpy.percentile's default. */
function percentile(values: Float64Array, q: number): number {
  const s = Float64Array.from(values).sort();
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Grows trees into growable typed arrays, node by node, depth first. */
class TreeBuilder {
  private feature = new Int32Array(1024);
  private threshold = new Float64Array(1024);
  private left = new Int32Array(1024);
  private right = new Int32Array(1024);
  private value = new Float64Array(1024);
  private count = 0;
  private scratch = new Int32Array(0);
  private candidates = new Int32Array(0);
  /** The tree's sample rows, copied side by side: growing a tree then reads 35 KB (256 x 17) in cache, not rows scattered over X. */
  private S = new Float64Array(0);

  constructor(
    private readonly X: Float64Array,
    private readonly d: number,
    private readonly maxDepth: number,
    private readonly rng: Random,
  ) {}

  build(rows: Int32Array, features: Int32Array): number {
    const d = this.d;
    if (this.scratch.length < rows.length) this.scratch = new Int32Array(rows.length);
    if (this.S.length < rows.length * d) this.S = new Float64Array(rows.length * d);
    if (this.candidates.length < features.length) this.candidates = new Int32Array(features.length);
    const idx = this.scratch;
    const X = this.X;
    const S = this.S;
    for (let i = 0; i < rows.length; i++) {
      const from = rows[i]! * d;
      for (let f = 0; f < d; f++) S[i * d + f] = X[from + f]!;
      idx[i] = i;
    }
    return this.grow(idx, 0, rows.length, 0, features);
  }

  private grow(idx: Int32Array, start: number, end: number, depth: number, features: Int32Array): number {
    const node = this.alloc();
    const n = end - start;
    if (depth >= this.maxDepth || n <= 1) return this.leaf(node, depth, n);
    // As scikit-learn's random splitter: draw among features not constant in this node.
    let nCand = 0;
    for (let k = 0; k < features.length; k++) {
      const f = features[k]!;
      const first = this.S[idx[start]! * this.d + f]!;
      for (let i = start + 1; i < end; i++) {
        if (this.S[idx[i]! * this.d + f] !== first) {
          this.candidates[nCand++] = f;
          break;
        }
      }
    }
    if (nCand === 0) return this.leaf(node, depth, n);
    const f = this.candidates[this.rng.int(nCand)]!;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const v = this.S[idx[i]! * this.d + f]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    let thr = lo + this.rng.next() * (hi - lo);
    if (thr >= hi) thr = lo; // keep at least one sample on each side
    let mid = start;
    for (let i = start; i < end; i++) {
      if (this.S[idx[i]! * this.d + f]! <= thr) {
        const tmp = idx[mid]!;
        idx[mid] = idx[i]!;
        idx[i] = tmp;
        mid++;
      }
    }
    this.feature[node] = f;
    this.threshold[node] = thr;
    const l = this.grow(idx, start, mid, depth + 1, features);
    const r = this.grow(idx, mid, end, depth + 1, features);
    this.left[node] = l;
    this.right[node] = r;
    return node;
  }

  private leaf(node: number, depth: number, n: number): number {
    this.feature[node] = -1;
    this.left[node] = -1;
    this.right[node] = -1;
    this.value[node] = depth + averagePathLength(n);
    return node;
  }

  private alloc(): number {
    if (this.count === this.feature.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.feature = grow(this.feature);
      this.threshold = grow(this.threshold);
      this.left = grow(this.left);
      this.right = grow(this.right);
      this.value = grow(this.value);
    }
    return this.count++;
  }

  finish(roots: Int32Array): Trees {
    const n = this.count;
    return {
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      value: this.value.slice(0, n),
      roots,
    };
  }
}
