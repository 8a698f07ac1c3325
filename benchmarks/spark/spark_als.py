#!/usr/bin/env python3
"""ALS trained by a distributed engine (Spark MLlib, local mode), for Kith's
`--factors` import path: what a site owner whose interactions outgrow one
machine would run on a cluster.

On the split `kith eval --save-split DIR` wrote, chooses Spark's rank,
regParam and alpha on validation folds of the training part (the same
validation split as benchmarks/peers/peers.py, never the test part), scores
the test part with NDCG@10 exactly as `kith eval` does, then trains once
more on every interaction of the catalog (`--interactions`, the CSV the
bundle is built from) and writes the item factors in the format
`kith build --factors` reads: header `item,f1,…,fd`, one row per item id.

    spark_als.py SPLIT_DIR --interactions CSV --factors-out CSV   # prints one JSON object
"""
import argparse
import csv
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
import numpy as np  # noqa: E402
from peers import evaluate, load, matrix, validation_split  # noqa: E402


def log(m):
    print(f"spark: {m}", file=sys.stderr, flush=True)


def spark_session():
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName("kith-als")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )


def fit(spark, x, rank, reg, alpha, seed, iters=15):
    """Spark's implicit ALS on the binary matrix x; returns (user, item) factors."""
    from pyspark.ml.recommendation import ALS

    coo = x.tocoo()
    rows = list(zip(coo.row.tolist(), coo.col.tolist(), [1.0] * coo.nnz))
    df = spark.createDataFrame(rows, ["user", "item", "rating"])
    als = ALS(
        rank=rank,
        regParam=reg,
        alpha=alpha,
        maxIter=iters,
        implicitPrefs=True,
        seed=seed,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        nonnegative=False,
        coldStartStrategy="drop",
    )
    model = als.fit(df)
    users = np.zeros((x.shape[0], rank), dtype=np.float32)
    items = np.zeros((x.shape[1], rank), dtype=np.float32)
    for r in model.userFactors.collect():
        users[r["id"]] = r["features"]
    for r in model.itemFactors.collect():
        items[r["id"]] = r["features"]
    return users, items


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("split", help="folder with train.tsv and test.tsv (kith eval --save-split)")
    ap.add_argument("--interactions", required=True, help="the catalog's interactions.csv (user,item,…)")
    ap.add_argument("--factors-out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()

    users, items = {}, {}
    tr = load(os.path.join(a.split, "train.tsv"), users, items)
    te = load(os.path.join(a.split, "test.tsv"), users, items)
    shape = (len(users), len(items))
    train, test = matrix(*tr, shape), matrix(*te, shape)
    fit_part, held = validation_split(train, a.seed)
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    import pyspark

    best = None
    t0 = time.time()
    # Spark scales regParam by each user's and item's count (ALS-WR), so its
    # useful range sits far below an unscaled λ.
    for reg in (0.01, 0.1, 1.0):
        for alpha in (1.0, 10.0, 40.0):
            u, i = fit(spark, fit_part, 32, reg, alpha, a.seed)
            v = evaluate(lambda us: u[us] @ i.T, fit_part, held, 10)
            log(f"rank 32 regParam {reg} alpha {alpha}: validation NDCG@10 {v:.4f}")
            if best is None or v > best[0]:
                best = (v, 32, reg, alpha)
    for rank in (16, 64):
        u, i = fit(spark, fit_part, rank, best[2], best[3], a.seed)
        v = evaluate(lambda us: u[us] @ i.T, fit_part, held, 10)
        log(f"rank {rank} regParam {best[2]} alpha {best[3]}: validation NDCG@10 {v:.4f}")
        if v > best[0]:
            best = (v, rank, best[2], best[3])
    search_s = time.time() - t0
    _, rank, reg, alpha = best

    t = time.time()
    u, i = fit(spark, train, rank, reg, alpha, a.seed)
    train_s = time.time() - t
    ndcg = evaluate(lambda us: u[us] @ i.T, train, test, 10)
    log(f"rank {rank} regParam {reg} alpha {alpha}: test NDCG@10 {ndcg:.4f}")

    # The bundle's factors: every interaction of the catalog.
    all_users, all_items = {}, {}
    rows, cols = [], []
    with open(a.interactions, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        for row in r:
            rows.append(all_users.setdefault(row["user"], len(all_users)))
            cols.append(all_items.setdefault(row["item"], len(all_items)))
    x = matrix(rows, cols, (len(all_users), len(all_items)))
    _, item_f = fit(spark, x, rank, reg, alpha, a.seed)
    with open(a.factors_out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item"] + [f"f{k + 1}" for k in range(rank)])
        for item_id, idx in all_items.items():
            w.writerow([item_id] + [f"{v:.6g}" for v in item_f[idx]])
    spark.stop()
    print(json.dumps({
        "engine": f"Spark MLlib {pyspark.__version__} ALS (implicitPrefs, local[2])",
        "ndcg@10": ndcg,
        "params": {"rank": rank, "regParam": reg, "alpha": alpha, "maxIter": 15},
        "validation_ndcg@10": best[0],
        "search_seconds": round(search_s, 1),
        "train_seconds": round(train_s, 1),
        "factors": {"items": len(all_items), "dim": rank, "users": len(all_users)},
        # Fold-in in the browser solves the same per-user system; Spark's λ is
        # per interaction, so the equivalent fixed λ is regParam × (mean
        # interactions per user).
        "fold_in_reg": reg * (x.nnz / max(x.shape[0], 1)),
    }))


if __name__ == "__main__":
    main()
