// Properties of the Isolation Forest that hold for any data: the score range, determinism,
// feature-order invariance with names, and the scoring layout agreeing bit for bit with a
// plain walk of the fitted trees (NaN, infinities and values on a threshold included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { averagePathLength, IsolationForest, ParameterError } from '../../../lib/iforest/forest.ts';
import type { Trees } from '../../../lib/iforest/trees.ts';

/** A data set as fast-check draws it: rows of small integers (ties and constant columns are common). */
const dataset = fc
  .record({ rows: fc.integer({ min: 2, max: 120 }), cols: fc.integer({ min: 1, max: 6 }), spread: fc.integer({ min: 1, max: 50 }) })
  .chain(({ rows, cols, spread }) =>
    fc.record({
      cols: fc.constant(cols),
      X: fc.array(fc.integer({ min: -spread, max: spread }), { minLength: rows * cols, maxLength: rows * cols }).map((v) => Float64Array.from(v, (x) => x / 4)),
    }),
  );

const params = fc.record({
  nEstimators: fc.integer({ min: 1, max: 30 }),
  maxSamples: fc.oneof(fc.constant<'auto'>('auto'), fc.integer({ min: 2, max: 64 }), fc.double({ min: 0.05, max: 1, noNaN: true })),
  bootstrap: fc.boolean(),
  contamination: fc.oneof(fc.constant<'auto'>('auto'), fc.double({ min: 0.01, max: 0.5, noNaN: true })),
  seed: fc.integer({ min: 0, max: 1000 }),
});

/** The reference: each row down each fitted tree by its child pointers, as scikit-learn does. */
function referenceScores(forest: IsolationForest, X: Float64Array): Float64Array {
  const t: Trees = forest.trees!;
  const d = forest.nFeatures;
  const n = X.length / d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let r = 0; r < t.roots.length; r++) {
      let node = t.roots[r]!;
      while (t.feature[node]! >= 0) node = X[i * d + t.feature[node]!]! <= t.threshold[node]! ? t.left[node]! : t.right[node]!;
      sum += t.value[node]!;
    }
    out[i] = -Math.pow(2, -sum / (averagePathLength(forest.maxSamples_) * t.roots.length));
  }
  return out;
}

/** Rows that probe the edges: every split threshold exactly, just beside it, NaN, +-Infinity. */
function edgeRows(forest: IsolationForest): Float64Array {
  const t = forest.trees!;
  const d = forest.nFeatures;
  const values: number[] = [];
  for (let node = 0; node < t.feature.length; node++) {
    if (t.feature[node]! < 0) continue;
    const thr = t.threshold[node]!;
    const row = new Array<number>(d).fill(0);
    for (const v of [thr, thr - 1e-12, thr + 1e-12]) {
      row[t.feature[node]!] = v;
      values.push(...row);
    }
  }
  for (const v of [NaN, Infinity, -Infinity, 1e300, -1e300]) values.push(...new Array<number>(d).fill(v));
  return Float64Array.from(values);
}

test('scores lie in (-1, 0] and the scoring layout agrees bit for bit with a plain walk of the trees', () => {
  fc.assert(
    fc.property(dataset, params, ({ X, cols }, p) => {
      const forest = new IsolationForest(p).fit(X, cols);
      for (const rows of [X, edgeRows(forest)]) {
        const scores = forest.scoreSamples(rows);
        assert.deepEqual(scores, referenceScores(forest, rows));
        for (const s of scores) assert.ok(s > -1 && s <= 0, `score ${s} outside (-1, 0]`);
      }
    }),
    { numRuns: 150, seed: 11 },
  );
});

test('the layout agrees bit for bit with a plain walk on wide continuous data: many blocks of rows, many features, crowded thresholds', () => {
  fc.assert(
    fc.property(
      fc.record({ cols: fc.integer({ min: 1, max: 40 }), rows: fc.integer({ min: 300, max: 1100 }), seed: fc.integer({ min: 0, max: 1 << 30 }), maxSamples: fc.integer({ min: 2, max: 512 }) }),
      ({ cols, rows, seed, maxSamples }) => {
        let s = seed;
        const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
        // Per column a mix of scales: heavy tails, a crowded cluster (many thresholds in one
        // rank bucket), and exact repeats.
        const X = Float64Array.from({ length: rows * cols }, (_, i) => {
          const u = rnd();
          const kind = i % cols % 3;
          return kind === 0 ? Math.tan((u - 0.5) * 3.1) * 1e3 : kind === 1 ? (u < 0.9 ? 1 + u * 1e-9 : u * 1e6) : Math.floor(u * 5);
        });
        const forest = new IsolationForest({ nEstimators: 20, maxSamples: Math.min(maxSamples, rows), seed }).fit(X, cols);
        for (const probe of [X, edgeRows(forest)]) assert.deepEqual(forest.scoreSamples(probe), referenceScores(forest, probe));
      },
    ),
    { numRuns: 25, seed: 14 },
  );
});

test('a forest too deep for the layout (max_samples 8192) is walked and scores the same', () => {
  let seed = 5;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const X = Float64Array.from({ length: 10_000 * 3 }, rnd);
  const forest = new IsolationForest({ nEstimators: 5, maxSamples: 8192, seed: 1 }).fit(X, 3);
  const rows = X.subarray(0, 3000);
  assert.deepEqual(forest.scoreSamples(rows), referenceScores(forest, rows));
});

test('a fit is deterministic for a seed, and another seed grows another forest', () => {
  fc.assert(
    fc.property(dataset, params, ({ X, cols }, p) => {
      const a = new IsolationForest(p).fit(X, cols);
      const b = new IsolationForest(p).fit(X, cols);
      assert.deepEqual(a.trees, b.trees);
      assert.deepEqual(a.scoreSamples(X), b.scoreSamples(X));
    }),
    { numRuns: 60, seed: 12 },
  );
  const X = Float64Array.from({ length: 400 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
  assert.notDeepEqual(new IsolationForest({ seed: 1 }).fit(X, 4).trees, new IsolationForest({ seed: 2 }).fit(X, 4).trees);
});

test('with feature names, permuting the columns (and their names) leaves every score unchanged', () => {
  fc.assert(
    fc.property(
      dataset.chain((ds) => fc.record({ ds: fc.constant(ds), perm: fc.shuffledSubarray(Array.from({ length: ds.cols }, (_, i) => i), { minLength: ds.cols, maxLength: ds.cols }) })),
      params,
      fc.double({ min: 0.5, max: 1, noNaN: true }),
      ({ ds: { X, cols }, perm }, p, maxFeatures) => {
        const names = Array.from({ length: cols }, (_, i) => `feature_${String.fromCharCode(97 + ((i * 7) % 26))}${i}`);
        const permute = (M: Float64Array) => {
          const out = new Float64Array(M.length);
          for (let r = 0; r < M.length / cols; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = M[r * cols + perm[j]!]!;
          return out;
        };
        const a = new IsolationForest({ ...p, maxFeatures }).fit(X, cols, names);
        const b = new IsolationForest({ ...p, maxFeatures }).fit(permute(X), cols, perm.map((j) => names[j]!));
        assert.deepEqual(b.scoreSamples(permute(X)), a.scoreSamples(X));
        assert.equal(b.offset_, a.offset_);
      },
    ),
    { numRuns: 100, seed: 13 },
  );
});

test('feature names must match the columns and be unique', () => {
  const X = new Float64Array(20);
  assert.throws(() => new IsolationForest().fit(X, 2, ['a']), (e: Error) => e instanceof ParameterError && /feature_names: 1 names for 2 features/.test(e.message));
  assert.throws(() => new IsolationForest().fit(X, 2, ['a', 'a']), /feature_names: names must be unique/);
});

test('a non-finite value in X stops the fit, naming its row and column', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const X = Float64Array.from({ length: 40 }, (_, i) => i);
    X[3 * 4 + 1] = bad;
    assert.throws(() => new IsolationForest().fit(X, 4), (e: Error) => e instanceof ParameterError && e.message === `X: value ${bad} at row 3, column 1 is not finite`);
  }
});
