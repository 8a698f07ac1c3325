#!/usr/bin/env bash
# Occasions, moods and audiences (issue: conversation). Says each catalog's
# occasion requests (goodbooks.json, movielens.json: "something light", "a
# book to read on the beach this summer", "for my 10 year old", "nothing too
# dark", …) to a fresh profile and prints `kith requests`' measures of the
# first list: precision@10 on the tags a visitor would accept for the
# request (written by hand per catalog, before measuring, not read off the
# learned facets), the share carrying a tag the request rules out, and
# whether every explanation was true; then the tags the build learned for
# each facet. Popularity's precision on the same tags gives the scale.
#
#   benchmarks/occasions/run.sh                  # both catalogs
#   KITH_BIN=/other/kith KITH_BUNDLES=/other/models benchmarks/occasions/run.sh
#       # another build (e.g. a checkout from before facets) on its own bundles
# Bundles: models/goodbooks.kith and models/ml100k.kith (./scripts/test builds
# both). Writes benchmarks/occasions/results/latest.json.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
if [ -z "${KITH_BIN:-}" ]; then
  source scripts/setup.sh
  kith_setup_toolchains
  cargo build --release --bin kith
fi
BIN="${KITH_BIN:-target/release/kith}"
BUNDLES="${KITH_BUNDLES:-models}"
mkdir -p "$HERE/results"
out="$HERE/results/latest.json"
echo "{" > "$out"
first=1
for pair in goodbooks:goodbooks ml100k:movielens; do
  bundle="$BUNDLES/${pair%%:*}.kith"
  requests="$HERE/${pair##*:}.json"
  echo "== ${pair##*:} ($bundle)"
  "$BIN" requests --bundle "$bundle" --requests "$requests"
  [ $first = 1 ] || echo "," >> "$out"
  first=0
  printf '"%s": ' "${pair##*:}" >> "$out"
  "$BIN" requests --bundle "$bundle" --requests "$requests" --json >> "$out"
done
echo "}" >> "$out"
echo "wrote $out"
