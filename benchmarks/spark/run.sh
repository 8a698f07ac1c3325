#!/usr/bin/env bash
# Kith's --factors import path with a distributed engine (issue: any catalog,
# "when interactions outgrow one machine"): Spark MLlib's ALS (pyspark in
# local mode, Java from Debian) trains on MovieLens 100K read as a site
# owner's CSV folder; its item factors go into a bundle through
# `kith build --factors`; the bundle answers the catalog's request file; and
# NDCG@10 of Spark's factors is printed next to Kith's own self-calibrated
# ALS on the same split. Not part of CI: pyspark is a 300 MB download.
#
#   benchmarks/spark/run.sh        # about 10 minutes on 2 cores; prints one JSON line
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
source scripts/setup.sh
kith_setup_toolchains
if ! command -v java >/dev/null; then
  kith_log "installing Java (Debian openjdk-17-jre-headless) for Spark"
  ${SUDO:-} apt-get update -q && DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -q openjdk-17-jre-headless
fi
cargo build --release --bin kith
target/release/kith model fetch
target/release/kith model convert
KITH=target/release/kith
VENV="$REPO/target/spark-venv"
kith_python_venv "$VENV" "$HERE/requirements.txt"
DATA="${KITH_DATA:-$REPO/../shared/data}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 "$HERE/../catalogs/ml100k.py" "$DATA/ml-100k" "$tmp/ml"
kith_log "Kith's own ALS (self-calibrated) on the 75/25 split"
$KITH eval --format csv --data "$tmp/ml" --models popularity,als --json --save-split "$tmp/split" > "$tmp/eval.json"
kith_log "Spark MLlib ALS on the same split, then on every interaction"
"$VENV/bin/python" "$HERE/spark_als.py" "$tmp/split" --interactions "$tmp/ml/interactions.csv" \
  --factors-out "$tmp/spark-items.csv" > "$tmp/spark.json"
reg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fold_in_reg"])' "$tmp/spark.json")
kith_log "a bundle from Spark's item factors (fold-in λ $reg)"
$KITH build --format csv --data "$tmp/ml" --factors "$tmp/spark-items.csv" \
  --als "{\"reg\": $reg, \"reg_exponent\": 0}" \
  --noun film,films --verb watched --creator-verb directed --out "$tmp/spark.kith" 2> "$tmp/build.log"
grep -E "wrote|factors" "$tmp/build.log" >&2 || true
$KITH requests --bundle "$tmp/spark.kith" --requests "$HERE/../requests/movielens.json" --json > "$tmp/requests.json"
python3 - "$tmp/eval.json" "$tmp/spark.json" "$tmp/requests.json" <<'PY'
import json, sys
e, s, r = (json.load(open(p)) for p in sys.argv[1:4])
print(json.dumps({
    "catalog": "ml100k-csv",
    "kith_als_ndcg@10": round(e["models"]["als"]["ndcg@10"], 4),
    "popularity_ndcg@10": round(e["models"]["popularity"]["ndcg@10"], 4),
    "spark_als_ndcg@10": round(s["ndcg@10"], 4),
    "spark": {k: s[k] for k in ("engine", "params", "validation_ndcg@10", "search_seconds", "train_seconds", "factors")},
    "bundle_from_spark_factors": {
        "precision@10": round(r["precision"], 3), "avoided_share": round(r["avoided"], 3),
        "truthful": r["truthful"], "requests": r["requests"]},
}))
PY
