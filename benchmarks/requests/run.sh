#!/usr/bin/env bash
# Catalog benchmark (issue: any catalog): for each catalog, build a bundle with
# default options (MF settings and bridge penalty chosen on the catalog's own
# data), then print
#   - `kith requests`: precision@10 on wanted tags, avoided share, truthful
#     explanations and the kinds given, over the catalog's committed request file;
#   - `kith eval`: NDCG@10 of popularity and the self-calibrated ALS on the
#     standard per-user 75/25 split.
# Catalogs: goodbooks-10k (embedded), MovieLens 100K read through --format csv
# (converted at run time from ../shared/data into a temporary folder, never
# into the project). Prints JSON lines to stdout and writes results/latest.json.
#
#   benchmarks/requests/run.sh            # both catalogs (about 15 minutes on 2 cores)
#   KITH_DATA=/path/to/data benchmarks/requests/run.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
source scripts/setup.sh
kith_setup_toolchains
cargo build --release --bin kith
target/release/kith model fetch
target/release/kith model convert
KITH=target/release/kith
DATA="${KITH_DATA:-$REPO/../shared/data}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# MovieLens 100K as a site owner's CSV folder: genres as tags, years.
python3 - "$DATA/ml-100k" "$tmp/ml100k" <<'PY'
import csv, os, sys
src, out = sys.argv[1:3]
os.makedirs(out)
genres = [l.split('|')[0] for l in open(f'{src}/u.genre', encoding='latin-1') if l.strip()]
with open(f'{out}/items.csv', 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['id', 'title', 'tags', 'year'])
    for line in open(f'{src}/u.item', encoding='latin-1'):
        p = line.rstrip('\n').split('|')
        if len(p) < 24:
            continue
        tags = '|'.join(g for g, flag in zip(genres, p[5:24]) if flag == '1' and g != 'unknown')
        w.writerow([p[0], p[1], tags, p[2][-4:] if p[2][-4:].isdigit() else ''])
with open(f'{out}/interactions.csv', 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['user', 'item', 'rating', 'timestamp'])
    for line in open(f'{src}/u.data'):
        u, i, r, t = line.split('\t'); w.writerow([u, i, r, t.strip()])
PY

run_catalog() { # name, format, data, requests, build flags…
  local name=$1 format=$2 data=$3 requests=$4
  shift 4
  kith_log "$name: build with default options"
  $KITH build --format "$format" --data "$data" --out "$tmp/$name.kith" "$@" 2>"$tmp/$name.build.log"
  grep -E "MF settings|bridge penalty|wrote" "$tmp/$name.build.log" >&2
  kith_log "$name: requests"
  $KITH requests --bundle "$tmp/$name.kith" --requests "$requests" --json > "$tmp/$name.requests.json"
  kith_log "$name: eval (popularity, self-calibrated ALS)"
  $KITH eval --format "$format" --data "$data" --models popularity,als --calibrate --json > "$tmp/$name.eval.json"
  python3 - "$name" "$tmp/$name.requests.json" "$tmp/$name.eval.json" <<'PY'
import json, sys
name, rq, ev = sys.argv[1:4]
r, e = json.load(open(rq)), json.load(open(ev))
print(json.dumps({
    "catalog": name,
    "requests": r["requests"], "precision@10": round(r["precision"], 3),
    "popularity_precision@10": round(r["popularity_precision"], 3),
    "avoided_share": round(r["avoided"], 3), "truthful": r["truthful"],
    "explanation_kinds": r["explanation_kinds"],
    "ndcg@10": {m: round(v["ndcg@10"], 4) for m, v in e["models"].items()},
    "als_search": e["protocol"].get("als_search"),
}))
PY
}

{
  run_catalog goodbooks goodbooks data/goodbooks "$HERE/goodbooks.json"
  run_catalog ml100k-csv csv "$tmp/ml100k" "$HERE/movielens.json" --noun film,films --verb watched
} | tee "$tmp/lines.json"
mkdir -p "$HERE/results"
python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])], indent=1))' "$tmp/lines.json" > "$HERE/results/latest.json"
