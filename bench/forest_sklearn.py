"""scikit-learn side of the forest benchmark: same matrix (read from a .npy file), n_jobs=1.
Prints JSON lines in the bench format. Dev tool only."""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

X = np.load(sys.argv[1])
y = np.load(sys.argv[2])
IsolationForest(n_estimators=100, max_samples=256, random_state=99, n_jobs=1).fit(X)  # warm-up, as the nids side
fits = []
for s in range(5):
    t = time.perf_counter()
    clf = IsolationForest(n_estimators=100, max_samples=256, random_state=s, n_jobs=1).fit(X)
    fits.append((time.perf_counter() - t) * 1000)
t = time.perf_counter()
scores = clf.score_samples(X)
dt = time.perf_counter() - t
print(json.dumps({"bench": "forest.fit_ms", "impl": "sklearn", "value": round(float(np.median(fits)), 2), "unit": "ms"}))
print(json.dumps({"bench": "forest.score", "impl": "sklearn", "value": round(len(X) / dt), "unit": "flows/s"}))
print(json.dumps({"bench": "forest.auc", "impl": "sklearn", "value": round(float(roc_auc_score(y, -scores)), 4), "unit": "auc"}))
