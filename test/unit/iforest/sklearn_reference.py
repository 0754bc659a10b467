"""Reference side of the scikit-learn parity test: makes the data sets (deterministic),
fits sklearn's IsolationForest on each for several seeds, and prints JSON with the data,
labels and sklearn's ROC AUC and predicted outlier shares. Dev/test tool only.

usage: sklearn_reference.py <out.json>
"""
import json
import sys

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

SEEDS = [0, 1, 2, 3, 4]


def blobs():
    rng = np.random.RandomState(42)
    inliers, _ = make_blobs(n_samples=900, centers=[[0, 0], [4, 4]], cluster_std=0.6, random_state=42)
    outliers = rng.uniform(low=-6, high=10, size=(100, 2))
    return np.vstack([inliers, outliers]), np.r_[np.zeros(900), np.ones(100)]


def flow_like():
    # Log-scaled counts and shares like the flow features: benign web/DNS vs scans/floods.
    rng = np.random.RandomState(7)
    n = 1500
    benign = np.column_stack([
        rng.normal(3.0, 0.8, n), rng.normal(8.0, 1.2, n), rng.normal(9.0, 1.5, n),
        rng.beta(2, 30, n), rng.normal(1.0, 0.3, n), rng.poisson(3, n).astype(float),
    ])
    m = 80
    attacks = np.column_stack([
        rng.normal(0.7, 0.1, m), rng.normal(4.0, 0.3, m), rng.normal(3.5, 2.0, m),
        rng.beta(20, 2, m), rng.normal(6.0, 0.5, m), rng.poisson(200, m).astype(float),
    ])
    return np.vstack([benign, attacks]), np.r_[np.zeros(n), np.ones(m)]


def high_dim():
    rng = np.random.RandomState(3)
    n, d = 1000, 40
    inliers = rng.normal(0, 1, (n, d))
    outliers = rng.normal(0, 1, (50, d))
    outliers[:, :5] += rng.choice([-4, 4], size=(50, 5))
    return np.vstack([inliers, outliers]), np.r_[np.zeros(n), np.ones(50)]


def main():
    out = {}
    for name, make in [("blobs", blobs), ("flow_like", flow_like), ("high_dim", high_dim)]:
        X, y = make()
        aucs = []
        for s in SEEDS:
            clf = IsolationForest(n_estimators=100, random_state=s, n_jobs=1).fit(X)
            aucs.append(roc_auc_score(y, -clf.score_samples(X)))
        shares = {}
        for c in ["auto", 0.01, 0.05]:
            clf = IsolationForest(n_estimators=100, contamination=c, random_state=0, n_jobs=1).fit(X)
            shares[str(c)] = float(np.mean(clf.predict(X) == -1))
        out[name] = {"X": X.tolist(), "y": y.tolist(), "d": X.shape[1], "auc": float(np.mean(aucs)), "shares": shares}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
