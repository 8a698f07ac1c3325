#!/usr/bin/env python3
"""Peer baselines on exactly the split `kith eval --save-split DIR` wrote.

Scores two well-known implicit-feedback recommenders the way `kith eval`
scores Kith (src/offline/eval.rs, src/offline/metrics.rs): every training interaction is a
positive, the user's training items are excluded, the full catalog is
ranked, NDCG@K = DCG / IDCG with DCG = sum 1/log2(rank+1) over hits and
IDCG over min(|test|, K) hits, averaged over users with test items.

- `implicit` ALS (Hu, Koren & Volinsky), once with the library's stock
  settings and once with settings chosen on validation folds of the
  training part (never the test part);
- EASE (Steck 2019), the closed-form item-item model, its regulariser
  chosen the same way.

The validation split mirrors Kith's (src/offline/validation.rs): one fold of users
hold out 10% of their training items (at most 5,000 users, so small catalogs
are not judged on a handful), everyone else keeps all of theirs.

    peers.py DIR [--k 10] [--seed 42]     # prints one JSON object
"""
import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit asks for it
import numpy as np
import scipy.sparse as sp


def load(path, users, items):
    rows, cols = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 2:
                continue
            rows.append(users.setdefault(p[0], len(users)))
            cols.append(items.setdefault(p[1], len(items)))
    return rows, cols


def matrix(rows, cols, shape):
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    m.data[:] = 1.0  # duplicates count once
    return m


def ndcg_at(top, truth_rows, k):
    """Mean NDCG@k of ranked lists `top` (users x k) against sets of items."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    total = 0.0
    for lst, truth in zip(top, truth_rows):
        hits = np.fromiter((1.0 if i in truth else 0.0 for i in lst), float, len(lst))
        ideal = disc[: min(len(truth), k)].sum()
        total += (hits * disc[: len(lst)]).sum() / ideal
    return total / max(len(truth_rows), 1)


def top_k(scores, seen, k):
    """Top k of each row of dense `scores`, items in csr `seen` excluded."""
    scores = scores.copy()
    for r in range(scores.shape[0]):
        scores[r, seen.indices[seen.indptr[r] : seen.indptr[r + 1]]] = -np.inf
    part = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, 1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, 1)


def evaluate(score_rows, train, test, k, batch=2048):
    """NDCG@k over users with test items; score_rows(users) -> dense scores."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    total = 0.0
    for s in range(0, len(users), batch):
        u = users[s : s + batch]
        top = top_k(score_rows(u), train[u], k)
        truth = [set(test.indices[test.indptr[x] : test.indptr[x + 1]]) for x in u]
        total += ndcg_at(top, truth, k) * len(u)
    return total / max(len(users), 1)


def validation_split(train, seed):
    """Up to 5,000 users hold out 10% of their items (at least one)."""
    rng = np.random.default_rng(seed)
    n_users = train.shape[0]
    eligible = np.flatnonzero(np.diff(train.indptr) >= 3)
    fold = rng.permutation(eligible)[:5000]
    keep = train.tolil(copy=True)
    held_rows, held_cols = [], []
    for u in fold:
        items = train.indices[train.indptr[u] : train.indptr[u + 1]]
        n = max(1, len(items) // 10)
        out = rng.choice(items, n, replace=False)
        for i in out:
            keep[u, i] = 0
            held_rows.append(u)
            held_cols.append(i)
    fit = keep.tocsr()
    fit.eliminate_zeros()
    held = matrix(held_rows, held_cols, train.shape)
    return fit, held


class Ease:
    """EASE over the items that have training interactions: an item nobody
    interacted with has an all-zero column, so its row and column of B are
    zero and it scores 0, exactly as in the full model; leaving it out keeps
    the dense item-item matrix to the active items."""

    def __init__(self, lam):
        self.lam = lam

    def fit(self, x):
        self.active = np.flatnonzero(np.asarray(x.sum(axis=0)).ravel() > 0)
        xa = x[:, self.active]
        g = (xa.T @ xa).toarray().astype(np.float32)
        g[np.diag_indices_from(g)] += self.lam
        p = np.linalg.inv(g)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        self.b = b
        self.x = xa
        self.n_items = x.shape[1]
        return self

    def scores(self, users):
        out = np.zeros((len(users), self.n_items), dtype=np.float32)
        out[:, self.active] = np.asarray(self.x[users] @ self.b)
        return out


class ImplicitAls:
    def __init__(self, seed, **params):
        from implicit.cpu.als import AlternatingLeastSquares

        self.model = AlternatingLeastSquares(random_state=seed, num_threads=0, **params)

    def fit(self, x):
        self.model.fit(x, show_progress=False)
        return self

    def scores(self, users):
        return self.model.user_factors[users] @ self.model.item_factors.T


def choose(name, make, grid, fit, held, log):
    """The grid point with the best validation NDCG@10."""
    best = None
    for params in grid:
        t = time.time()
        m = make(params).fit(fit)
        v = evaluate(m.scores, fit, held, 10)
        log(f"{name} {params}: validation NDCG@10 {v:.4f} ({time.time() - t:.1f} s)")
        if best is None or v > best[1]:
            best = (params, v)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="folder with train.tsv and test.tsv (kith eval --save-split)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    log = lambda m: print(f"peers: {m}", file=sys.stderr, flush=True)

    users, items = {}, {}
    tr = load(os.path.join(a.dir, "train.tsv"), users, items)
    te = load(os.path.join(a.dir, "test.tsv"), users, items)
    shape = (len(users), len(items))
    train, test = matrix(*tr, shape), matrix(*te, shape)
    log(f"{shape[0]} users, {shape[1]} items, {train.nnz} training and {test.nnz} test interactions")
    fit, held = validation_split(train, a.seed)

    out = {"k": a.k, "users": shape[0], "items": shape[1], "models": {}}

    def final(name, model, params, validation=None):
        t = time.time()
        model.fit(train)
        secs = time.time() - t
        ndcg = evaluate(model.scores, train, test, a.k)
        log(f"{name} {params}: test NDCG@{a.k} {ndcg:.4f}")
        out["models"][name] = {
            f"ndcg@{a.k}": ndcg,
            "params": params,
            "validation_ndcg@10": validation,
            "train_seconds": round(secs, 2),
        }

    import implicit

    out["implicit_version"] = implicit.__version__
    stock = {}
    final("implicit-als-stock", ImplicitAls(a.seed, **stock), stock)

    # Coarse grid at 64 factors, then the winner at 32 and 128.
    grid = [
        {"factors": 64, "regularization": r, "alpha": al, "iterations": 15}
        for r in (0.1, 1.0, 3.0, 10.0, 30.0, 100.0)
        for al in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    ]
    best, v = choose("implicit-als", lambda p: ImplicitAls(a.seed, **p), grid, fit, held, log)
    dims = [dict(best, factors=f) for f in (32, 128)]
    best2, v2 = choose("implicit-als", lambda p: ImplicitAls(a.seed, **p), dims, fit, held, log)
    if v2 > v:
        best, v = best2, v2
    final("implicit-als-validated", ImplicitAls(a.seed, **best), best, v)

    active = int((np.diff(train.tocsc().indptr) > 0).sum())
    if active <= 25000:  # a dense matrix of the active items: 25,000 is 2.5 GB
        lams = [{"lambda": l} for l in (10.0, 50.0, 200.0, 500.0, 1000.0, 3000.0)]
        best, v = choose("ease", lambda p: Ease(p["lambda"]), lams, fit, held, log)
        final("ease", Ease(best["lambda"]), best, v)
    else:
        log(f"ease skipped: {active} active items is too many for a dense item-item matrix")

    print(json.dumps(out))


if __name__ == "__main__":
    main()
