#!/usr/bin/env bash
# Catalog benchmark (issue: any catalog): for each catalog, build a bundle with
# default options (MF settings and bridge penalty chosen on the catalog's own
# data), then print
#   - `kith requests`: precision@10 on wanted tags, avoided share, truthful
#     explanations and the kinds given, over the catalog's committed request file;
#   - `kith eval`: NDCG@10 of popularity, the self-calibrated ALS and BPR on
#     the standard per-user 75/25 split, and on exactly that split (written by
#     `--save-split`) two peers: the `implicit` library's ALS (stock and
#     validated settings) and EASE (benchmarks/peers/peers.py).
# Catalogs: goodbooks-10k (embedded); MovieLens 100K read through --format csv
# (converted at run time from ../shared/data into a temporary folder, never
# into the project); Debian's software archive through --format csv
# (benchmarks/catalogs/debian.py, downloaded from the Debian registry and
# checked against the release's SHA-256). Prints JSON lines to stdout and
# writes results/latest.json.
#
#   benchmarks/requests/run.sh                 # all three (about 40 minutes on 2 cores)
#   benchmarks/requests/run.sh debian ml100k   # some of them
#   KITH_DATA=/path/to/data benchmarks/requests/run.sh
#   KITH_KEEP=/some/dir benchmarks/requests/run.sh   # keep bundles, logs and raw JSON there
#   KITH_BUDGET=900 benchmarks/requests/run.sh       # the MF search's --budget (default 240 s)
#   KITH_REUSE=/some/dir benchmarks/requests/run.sh  # take NAME.kith from there instead of
#       building it (a KITH_KEEP folder of an earlier run; Debian's build spends
#       most of its 40 minutes embedding 22,000 descriptions)
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
VENV="$REPO/target/peers-venv"
kith_python_venv "$VENV" "$HERE/../peers/requirements.txt"
DATA="${KITH_DATA:-$REPO/../shared/data}"
tmp=$(mktemp -d)
if [ -n "${KITH_KEEP:-}" ]; then
  mkdir -p "$KITH_KEEP"
  trap 'cp -r "$tmp"/. "$KITH_KEEP"/; rm -rf "$tmp"' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
fi

# MovieLens 100K as a site owner's CSV folder: genres as tags, years.
python3 "$HERE/../catalogs/ml100k.py" "$DATA/ml-100k" "$tmp/ml100k"

run_catalog() { # name, format, data, requests, build flags…
  local name=$1 format=$2 data=$3 requests=$4
  shift 4
  if [ -n "${KITH_REUSE:-}" ] && [ -f "$KITH_REUSE/$name.kith" ]; then
    kith_log "$name: reusing $KITH_REUSE/$name.kith"
    cp "$KITH_REUSE/$name.kith" "$tmp/$name.kith"
  else
    kith_log "$name: build with default options"
    $KITH build --format "$format" --data "$data" --out "$tmp/$name.kith" --budget "${KITH_BUDGET:-240}" "$@" 2>"$tmp/$name.build.log"
    grep -E "MF settings|bridge penalty|wrote" "$tmp/$name.build.log" >&2
  fi
  kith_log "$name: requests"
  $KITH requests --bundle "$tmp/$name.kith" --requests "$requests" --json > "$tmp/$name.requests.json"
  kith_log "$name: eval (popularity, self-calibrated ALS, BPR)"
  $KITH eval --format "$format" --data "$data" --models popularity,als,bpr --calibrate --json --budget "${KITH_BUDGET:-240}" \
    --save-split "$tmp/$name.split" > "$tmp/$name.eval.json"
  kith_log "$name: peers on the same split (implicit ALS, EASE)"
  "$VENV/bin/python" "$HERE/../peers/peers.py" "$tmp/$name.split" > "$tmp/$name.peers.json"
  python3 - "$name" "$tmp/$name.requests.json" "$tmp/$name.eval.json" "$tmp/$name.peers.json" <<'PY'
import json, os, sys
name, rq, ev, pe = sys.argv[1:5]
r, e, p = json.load(open(rq)), json.load(open(ev)), json.load(open(pe))
kith = {m: v["ndcg@10"] for m, v in e["models"].items() if m != "popularity"}
peers = {m: v["ndcg@10"] for m, v in p["models"].items()}
print(json.dumps({
    "catalog": name,
    "requests": r["requests"], "precision@10": round(r["precision"], 3),
    "popularity_precision@10": round(r["popularity_precision"], 3),
    "avoided_share": round(r["avoided"], 3), "truthful": r["truthful"],
    "explanation_kinds": r["explanation_kinds"],
    "ndcg@10": {m: round(v["ndcg@10"], 4) for m, v in e["models"].items()},
    "peers_ndcg@10": {m: round(v, 4) for m, v in peers.items()},
    "peer_params": {m: v["params"] for m, v in p["models"].items()},
    "kith_best_over_best_peer": round(max(kith.values()) / max(peers.values()), 3),
    "als_search": e["protocol"].get("als_search"),
    "budget_seconds": float(os.environ.get("KITH_BUDGET", "240")),
}))
PY
}

wanted=("${@:-goodbooks ml100k debian}")
wanted=" ${wanted[*]} "
{
  if [[ $wanted == *" goodbooks "* ]]; then
    run_catalog goodbooks goodbooks data/goodbooks "$HERE/goodbooks.json"
  fi
  if [[ $wanted == *" ml100k "* ]]; then
    run_catalog ml100k-csv csv "$tmp/ml100k" "$HERE/movielens.json" --noun film,films --verb watched --creator-verb directed
  fi
  if [[ $wanted == *" debian "* ]]; then
    python3 "$HERE/../catalogs/debian.py" "$tmp/debian"
    run_catalog debian-csv csv "$tmp/debian" "$HERE/debian.json" --noun package,packages --verb used --creator-verb maintained
  fi
} | tee "$tmp/lines.json"
mkdir -p "$HERE/results"
# Catalogs run now replace their earlier lines; the others are kept.
python3 - "$tmp/lines.json" "$HERE/results/latest.json" <<'PY'
import json, os, sys
new = [json.loads(l) for l in open(sys.argv[1])]
old = json.load(open(sys.argv[2])) if os.path.exists(sys.argv[2]) else []
names = {r["catalog"] for r in new}
rows = [r for r in old if r["catalog"] not in names] + new
json.dump(rows, open(sys.argv[2], "w"), indent=1)
PY
