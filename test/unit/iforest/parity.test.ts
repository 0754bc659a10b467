// Parity with scikit-learn's IsolationForest on three data sets: ROC AUC within 0.005 of
// sklearn's (both averaged over 5 seeds) and the predicted outlier share for each
// contamination setting. sklearn runs in the dev venv (bash scripts/install.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolationForest } from '../../../lib/iforest/forest.ts';
import { rocAuc } from '../../../lib/iforest/metrics.ts';
import { REPO } from '../../helpers/stack.ts';

interface RefSet { X: number[][]; y: number[]; d: number; auc: number; shares: Record<string, number> }

function reference(): Record<string, RefSet> {
  const python = join(REPO, '.venv/bin/python');
  assert.ok(existsSync(python), 'the dev Python venv with scikit-learn is missing: run `bash scripts/install.sh`');
  const out = join(mkdtempSync(join(tmpdir(), 'nids-parity-')), 'ref.json');
  const r = spawnSync(python, [join(REPO, 'test/unit/iforest/sklearn_reference.py'), out], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(out, 'utf8')) as Record<string, RefSet>;
}

const ref = reference();

for (const [name, set] of Object.entries(ref)) {
  test(`${name}: ROC AUC within 0.005 of scikit-learn, outlier shares match`, () => {
    const X = Float64Array.from(set.X.flat());
    const aucs = [0, 1, 2, 3, 4].map((seed) => {
      const f = new IsolationForest({ seed }).fit(X, set.d);
      return rocAuc(f.scoreSamples(X).map((s) => -s), set.y);
    });
    const auc = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    assert.ok(Math.abs(auc - set.auc) <= 0.005, `AUC nids ${auc.toFixed(4)} vs sklearn ${set.auc.toFixed(4)}`);
    for (const [c, share] of Object.entries(set.shares)) {
      const f = new IsolationForest({ seed: 0, contamination: c === 'auto' ? 'auto' : Number(c) }).fit(X, set.d);
      const ours = f.predict(X).reduce((n, p) => n + (p === -1 ? 1 : 0), 0) / set.y.length;
      // A quantile threshold pins the share; 'auto' (-0.5) depends on the trees, so allow sampling noise.
      const tol = c === 'auto' ? 0.03 : 0.002;
      assert.ok(Math.abs(ours - share) <= tol, `contamination ${c}: outlier share nids ${ours.toFixed(4)} vs sklearn ${share.toFixed(4)}`);
    }
  });
}
