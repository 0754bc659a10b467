// forest.fit_ms, forest.score, forest.auc: nids beside scikit-learn (n_jobs=1) and the npm
// packages isolation-forest and ml-isolation-forest on the same matrix in the same run.
// A flow-like matrix: 100k rows, 17 features, 2% outliers; 100 trees of 256 samples.
import { spawnSync } from 'node:child_process';
import { IsolationForest as JsIsolationForest } from 'isolation-forest';
import mlIsolationForest from 'ml-isolation-forest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolationForest } from '../lib/iforest/forest.ts';
import { Random } from '../lib/iforest/random.ts';
import { rocAuc } from '../lib/iforest/metrics.ts';
import { emit, median, REPO } from './util.ts';

const N = 100_000;
const D = 17;
const rng = new Random(7);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const X = new Float64Array(N * D);
const y = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const outlier = rng.next() < 0.02;
  y[i] = outlier ? 1 : 0;
  for (let j = 0; j < D; j++) X[i * D + j] = gauss() + (outlier && j < 3 ? 4 : 0);
}

// One fit to warm up (JIT), as the scikit-learn side does, then the median of five.
const fits: number[] = [];
let forest = new IsolationForest({ seed: 99 }).fit(X, D);
for (let s = 0; s < 5; s++) {
  const t = performance.now();
  forest = new IsolationForest({ seed: s }).fit(X, D);
  fits.push(performance.now() - t);
}
const out = new Float64Array(N);
forest.scoreSamples(X, out); // warm-up
const t = performance.now();
forest.scoreSamples(X, out);
const dt = (performance.now() - t) / 1000;
emit('forest.fit_ms', 'nids', median(fits), 'ms');
emit('forest.score', 'nids', Math.round(N / dt), 'flows/s');
emit('forest.auc', 'nids', Number(rocAuc(Array.from(out, (s) => -s), y).toFixed(4)), 'auc');

// The npm peers take arrays of rows (objects for isolation-forest). They are slower by far,
// so they score the first PEER_ROWS rows (a rate per row is comparable all the same).
// ml-isolation-forest grows every tree on its whole training set: it gets a random 256-row
// sample, which is what the others draw per tree.
const PEER_ROWS = 20_000;
const rows: number[][] = Array.from({ length: N }, (_, i) => Array.from(X.subarray(i * D, (i + 1) * D)));
const peerY = Array.from(y.subarray(0, PEER_ROWS));
const peers: { name: string; fit: () => (rows: number[][]) => number[] }[] = [
  {
    name: 'isolation-forest',
    fit: () => {
      const objects = (rs: number[][]) => rs.map((r) => Object.fromEntries(r.map((v, j) => [`f${j}`, v])));
      const m = new JsIsolationForest(100, 256);
      m.fit(objects(rows));
      return (rs) => m.predict(objects(rs));
    },
  },
  {
    name: 'ml-isolation-forest',
    fit: () => {
      const sample = Array.from({ length: 256 }, () => rows[rng.int(N)]!);
      const m = new mlIsolationForest.IsolationForest({ nEstimators: 100 });
      m.train(sample);
      return (rs) => m.predict(rs);
    },
  },
];
for (const peer of peers) {
  // Up to three fits, fewer when one takes seconds (isolation-forest copies every row).
  const peerFits: number[] = [];
  let score: (rows: number[][]) => number[];
  do {
    const t0 = performance.now();
    score = peer.fit();
    peerFits.push(performance.now() - t0);
  } while (peerFits.length < 3 && peerFits.reduce((a, b) => a + b, 0) < 5000);
  const test = rows.slice(0, PEER_ROWS);
  const t0 = performance.now();
  const scores = score(test);
  const secs = (performance.now() - t0) / 1000;
  emit('forest.fit_ms', peer.name, median(peerFits), 'ms');
  emit('forest.score', peer.name, Math.round(PEER_ROWS / secs), 'flows/s');
  emit('forest.auc', peer.name, Number(rocAuc(scores, peerY).toFixed(4)), 'auc');
}

// The same matrix for scikit-learn, as .npy (float64, C order).
const dir = mkdtempSync(join(tmpdir(), 'nids-bench-'));
const npy = (data: Float64Array, shape: number[]) => {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const h = Buffer.alloc(10);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = 1;
  h.writeUInt16LE(header.length, 8);
  return Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
};
writeFileSync(join(dir, 'X.npy'), npy(X, [N, D]));
writeFileSync(join(dir, 'y.npy'), npy(y, [N]));
const r = spawnSync(join(REPO, '.venv/bin/python'), [join(REPO, 'bench/forest_sklearn.py'), join(dir, 'X.npy'), join(dir, 'y.npy')], { encoding: 'utf8' });
if (r.status !== 0) process.stderr.write(`sklearn side failed (run bash scripts/install.sh): ${r.stderr}\n`);
else process.stdout.write(r.stdout);
