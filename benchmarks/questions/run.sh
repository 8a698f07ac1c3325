#!/usr/bin/env bash
# Do questions earn their place? (issue: conversation.) For each catalog,
# `kith simulate` over several seeds — each seed its own 75/25 split, its own
# retrained MF and bridge, its own 200 sampled visitors — and a summary per
# question strategy (list gain, information gain, random, none): mean and 95% t-interval
# over the seeds of success within 5 turns, mean HR@10 over the lists after
# the opening (turns 1–5), mean turn of the first hit and questions asked;
# then the paired difference information gain − random (same seed, same
# visitors) with its interval. A difference whose interval excludes 0 is a
# margin outside noise. Then the vague openings (openings.json: greetings,
# thanks, "I don't know", emoji, "any suggestions?"): the share whose first
# reply is useful (a list, an easy question, nothing read into the words;
# `kith requests`, src/offline/requests.rs).
#
#   benchmarks/questions/run.sh                      # goodbooks and ml100k, seeds 1-5
#   KITH_SEEDS="1 2 3" benchmarks/questions/run.sh ml100k
#   KITH_DATA=/path/to/data benchmarks/questions/run.sh
# Bundles: models/goodbooks.kith and models/ml100k.kith (./scripts/test builds
# both). Writes benchmarks/questions/results/latest.json.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
source scripts/setup.sh
kith_setup_toolchains
cargo build --release --bin kith
DATA="${KITH_DATA:-$REPO/../shared/data}"
SEEDS="${KITH_SEEDS:-1 2 3 4 5}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_catalog() { # name format data bundle
  local name=$1 format=$2 data=$3 bundle=$4
  for s in $SEEDS; do
    kith_log "$name: seed $s"
    target/release/kith simulate --format "$format" --data "$data" --bundle "$bundle" \
      --seed "$s" --json > "$tmp/$name.$s.json"
  done
  target/release/kith requests --bundle "$bundle" --requests "$HERE/openings.json" --json > "$tmp/$name.openings"
  python3 "$HERE/summarize.py" "$name" "$tmp/$name.openings" "$tmp"/"$name".*.json
}

wanted=("${@:-goodbooks ml100k}")
wanted=" ${wanted[*]} "
{
  if [[ $wanted == *" goodbooks "* ]]; then
    run_catalog goodbooks goodbooks data/goodbooks models/goodbooks.kith
  fi
  if [[ $wanted == *" ml100k "* ]]; then
    run_catalog ml100k ml100k "$DATA/ml-100k" models/ml100k.kith
  fi
} | tee "$tmp/lines.json"
mkdir -p "$HERE/results"
python3 - "$tmp/lines.json" "$HERE/results/latest.json" <<'PY'
import json, os, sys
new = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
old = json.load(open(sys.argv[2])) if os.path.exists(sys.argv[2]) else []
names = {r["catalog"] for r in new}
rows = [r for r in old if r["catalog"] not in names] + new
json.dump(rows, open(sys.argv[2], "w"), indent=1)
PY
