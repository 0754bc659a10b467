// forest.fit_ms, forest.score, forest.auc: nids beside scikit-learn (n_jobs=1) on the
// same matrix in the same run. A flow-like matrix: 100k rows, 17 features, 2% outliers.
import { spawnSync } from 'node:child_process';
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

const fits: number[] = [];
let forest = new IsolationForest({ seed: 0 });
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
