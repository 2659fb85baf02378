#!/usr/bin/python3
"""Reference retrieval metrics in numpy, to cross-check package aeir/eval.

Usage: ref_metrics.py SIM.csv LABELS.csv [KMAX]

SIM.csv     nImg rows of nTxt comma-separated scores; sim[i, j] is the score
            of image i with text j.
LABELS.csv  nTxt integers (any mix of commas and newlines): the image index
            of every text.
KMAX        length of the recall curves (default 100).

Prints one JSON object with the fields of eval.Metrics ("i2t", "t2i",
"rsum", "n_img", "n_txt") plus the ranks and recall curves.

Rules (the same as the Go package, computed differently on purpose):
pessimistic ties, i.e. an item with a score equal to the correct one's is
counted ahead of it. Image->text ranks the best of an image's relevant
texts and ignores the other relevant texts; text->image ranks the text's
image. Recalls and mAP are percentages; ranks are 1-based; the median of an
even count is the mean of the two middle values.
"""
import json
import sys

import numpy as np


def i2t(sim, labels):
    n_img, n_txt = sim.shape
    ranks = np.empty(n_img, dtype=np.int64)
    ap = np.empty(n_img)
    for i in range(n_img):
        row = sim[i]
        rel = labels == i
        irr_sorted = np.sort(row[~rel])
        rel_desc = np.sort(row[rel])[::-1]
        # c[m]: irrelevant texts scoring >= the m-th best relevant score.
        c = len(irr_sorted) - np.searchsorted(irr_sorted, rel_desc, side="left")
        m = np.arange(1, len(rel_desc) + 1)
        ranks[i] = 1 + c[0]
        ap[i] = np.mean(m / (m + c))
    return ranks, ap


def t2i(sim, labels):
    n_img, n_txt = sim.shape
    cols = np.arange(n_txt)
    own = sim[labels, cols]
    others = np.ones_like(sim, dtype=bool)
    others[labels, cols] = False
    ahead = (sim >= own[None, :]) & others
    ranks = 1 + ahead.sum(axis=0)
    return ranks, 1.0 / ranks


def summary(ranks, ap, gallery):
    return {
        "r1": 100.0 * np.mean(ranks <= 1),
        "r5": 100.0 * np.mean(ranks <= 5),
        "r10": 100.0 * np.mean(ranks <= 10),
        "median_rank": float(np.median(ranks)),
        "mean_rank": float(np.mean(ranks)),
        "map": 100.0 * float(np.mean(ap)),
        "queries": int(len(ranks)),
        "gallery": int(gallery),
    }


def curve(ranks, kmax):
    ks = np.arange(1, kmax + 1)
    return [100.0 * float(np.mean(ranks <= k)) for k in ks]


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    sim = np.loadtxt(argv[1], delimiter=",", dtype=np.float64, ndmin=2)
    labels = np.loadtxt(argv[2], delimiter=",", dtype=np.int64, ndmin=1).ravel()
    kmax = int(argv[3]) if len(argv) == 4 else 100
    n_img, n_txt = sim.shape
    if labels.shape != (n_txt,):
        sys.exit("labels: %d entries, want %d" % (labels.size, n_txt))
    ri, api = i2t(sim, labels)
    rt, apt = t2i(sim, labels)
    out = {
        "i2t": summary(ri, api, n_txt),
        "t2i": summary(rt, apt, n_img),
        "n_img": n_img,
        "n_txt": n_txt,
        "i2t_ranks": ri.tolist(),
        "t2i_ranks": rt.tolist(),
        "i2t_curve": curve(ri, kmax),
        "t2i_curve": curve(rt, kmax),
    }
    out["rsum"] = sum(out[d][r] for d in ("i2t", "t2i") for r in ("r1", "r5", "r10"))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
