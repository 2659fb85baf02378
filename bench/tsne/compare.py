"""scikit-learn side of bench/tsne/run.sh.

  compare.py gen X.f32 N D CLUSTERS SEED      clustered points, float32
  compare.py sklearn X.f32 N D Y.f64 THREADS  time scikit-learn's TSNE
  compare.py report X.f32 N D RESULTS.jsonl   score every embedding listed

Every embedding is scored the same way: KL(P || Q) with scikit-learn's own
P (k-NN, perplexity 30) and Q summed exactly over all pairs, and
scikit-learn's trustworthiness with k = 10.
"""
import json
import sys
import time

import numpy as np


def load(path, n, d, dtype):
    return np.fromfile(path, dtype=dtype).reshape(n, d)


def gen(out, n, d, c, seed):
    rng = np.random.default_rng(int(seed))
    n, d, c = int(n), int(d), int(c)
    centres = rng.normal(size=(c, d))
    lab = rng.integers(0, c, n)
    x = (centres[lab] + 0.8 * rng.normal(size=(n, d))).astype("<f4")
    x.tofile(out)


def sklearn(xf, n, d, yf, threads):
    from threadpoolctl import threadpool_limits
    from sklearn.manifold import TSNE
    x = load(xf, int(n), int(d), "<f4")
    with threadpool_limits(int(threads)):
        t0 = time.perf_counter()
        ts = TSNE(n_components=2, perplexity=30.0, init="pca",
                  learning_rate="auto", method="barnes_hut", angle=0.5,
                  random_state=0)
        y = ts.fit_transform(x)
        sec = time.perf_counter() - t0
    y.astype("<f8").tofile(yf)
    print(json.dumps({"seconds": sec, "kl": float(ts.kl_divergence_),
                      "iters": int(ts.n_iter_) + 1, "threads": int(threads)}))


def exact_kl(p, y):
    """KL(P || Q) for sparse P and Q over all pairs of y."""
    n = y.shape[0]
    sq = (y * y).sum(1)
    z = 0.0
    for lo in range(0, n, 500):
        hi = min(n, lo + 500)
        d2 = sq[lo:hi, None] + sq[None, :] - 2 * y[lo:hi] @ y.T
        np.maximum(d2, 0, out=d2)
        w = 1.0 / (1.0 + d2)
        w[np.arange(hi - lo), np.arange(lo, hi)] = 0
        z += w.sum()
    coo = p.tocoo()
    diff = y[coo.row] - y[coo.col]
    w = 1.0 / (1.0 + (diff * diff).sum(1))
    v = coo.data
    return float((v * np.log(v)).sum() - (v * np.log(w)).sum() + np.log(z))


def report(xf, n, d, results):
    from sklearn.manifold import _t_sne, trustworthiness
    from sklearn.neighbors import NearestNeighbors
    n, d = int(n), int(d)
    x = load(xf, n, d, "<f4")
    k = min(n - 1, 91)
    nn = NearestNeighbors(n_neighbors=k).fit(x)
    dist = nn.kneighbors_graph(mode="distance")
    dist.data **= 2
    p = _t_sne._joint_probabilities_nn(dist, 30.0, 0)
    rows = [json.loads(line) for line in open(results) if line.strip()]
    for r in rows:
        y = load(r["y"], n, 2, "<f8")
        r["kl_exact"] = exact_kl(p, y)
        r["trust"] = float(trustworthiness(x, y, n_neighbors=10))
    print(f"t-SNE of {n}×{d} clustered float32 points, perplexity 30, "
          "Barnes–Hut θ 0.5, 1000 iterations, PCA init")
    print("KL: reported by each tool; exact = same P (scikit-learn's), "
          "Q over all pairs. trust = trustworthiness k=10\n")
    print(f"{'run':<28} {'threads':>7} {'seconds':>8} {'KL':>7} "
          f"{'KL exact':>8} {'trust':>6}")
    for r in rows:
        print(f"{r['name']:<28} {r['threads']:>7} {r['seconds']:>8.2f} "
              f"{r['kl']:>7.4f} {r['kl_exact']:>8.4f} {r['trust']:>6.4f}")
    print()
    by = {(r["tool"], r["threads"]): r for r in rows}
    for th in sorted({r["threads"] for r in rows}, reverse=True):
        g, s = by.get(("go", th)), by.get(("sklearn", th))
        if g and s:
            print(f"{th} thread(s): scikit-learn / Go time = "
                  f"{s['seconds'] / g['seconds']:.2f}x; "
                  f"exact KL Go {g['kl_exact']:.4f} vs scikit-learn "
                  f"{s['kl_exact']:.4f}; trustworthiness Go {g['trust']:.4f} "
                  f"vs scikit-learn {s['trust']:.4f}")


cmd, args = sys.argv[1], sys.argv[2:]
{"gen": gen, "sklearn": sklearn, "report": report}[cmd](*args)
