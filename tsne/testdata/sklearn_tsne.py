"""Reference t-SNE for tsne.TestAgainstScikitLearn.

usage: sklearn_tsne.py X.f32 N D METHOD Y_GO.f64 OUT.json

Reads N×D little-endian float32 points and the Go embedding (N×2
float64), runs scikit-learn's TSNE with the defaults the Go package
mirrors, and writes JSON with scikit-learn's embedding and KL, its joint
probabilities P (same k-NN and perplexity, for METHOD barnes_hut) and the
trustworthiness (k = 10) of both embeddings.
"""
import json
import sys

import numpy as np
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold import _t_sne
from sklearn.neighbors import NearestNeighbors


def main():
    xf, n, d, method, ygo, out = sys.argv[1:]
    n, d = int(n), int(d)
    x = np.fromfile(xf, dtype="<f4").reshape(n, d)
    y_go = np.fromfile(ygo, dtype="<f8").reshape(n, 2)
    perplexity = 30.0
    ts = TSNE(n_components=2, perplexity=perplexity, init="pca",
              learning_rate="auto", method=method, angle=0.5,
              random_state=0)
    y = ts.fit_transform(x)
    res = {
        "y": y.astype(float).ravel().tolist(),
        "kl": float(ts.kl_divergence_),
        "iters": int(ts.n_iter_),
        "tw_sklearn": float(trustworthiness(x, y, n_neighbors=10)),
        "tw_go": float(trustworthiness(x, y_go, n_neighbors=10)),
    }
    if method == "barnes_hut":
        k = min(n - 1, int(3.0 * perplexity + 1))
        nn = NearestNeighbors(n_neighbors=k, metric="euclidean").fit(x)
        dist = nn.kneighbors_graph(mode="distance")
        dist.data **= 2
        p = _t_sne._joint_probabilities_nn(dist, perplexity, 0)
        res["p"] = p.toarray().ravel().tolist()
    with open(out, "w") as f:
        json.dump(res, f)


main()
