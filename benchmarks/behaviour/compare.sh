#!/usr/bin/env bash
# Same behaviour? Runs two kith binaries on the same bundles and data and
# compares their outputs byte for byte: `kith requests` on the request,
# occasion and opening files of both catalogs, `kith simulate` on MovieLens,
# every committed dialogue (tests/dialogues/*.json, the visitor's lines)
# through `kith chat --json`, and a MovieLens bundle built by each. For a
# change that must not change behaviour (issue 16's restructuring), with the
# old binary built from the commit before it:
#
#   git worktree add /tmp/old <commit> && (cd /tmp/old && CARGO_TARGET_DIR=/tmp/old-target cargo build --release --bin kith)
#   cargo build --release --bin kith
#   KITH_OLD=/tmp/old-target/release/kith benchmarks/behaviour/compare.sh
#
# Bundles: models/goodbooks.kith and models/ml100k.kith (./scripts/test
# builds both); data: ../shared/data/ml-100k (KITH_DATA). Prints SAME or
# DIFF per output; exits 1 on any DIFF. Outputs are kept in $KITH_OUT
# (default a temporary folder) for diffing.
set -uo pipefail
cd "$(dirname "$0")/../.."
OLD="${KITH_OLD:?set KITH_OLD to the other kith binary}"
NEW="${KITH_NEW:-target/release/kith}"
DATA="${KITH_DATA:-../shared/data}"
out="${KITH_OUT:-$(mktemp -d)}"
mkdir -p "$out/old" "$out/new"
status=0
verdict() { # name
  if cmp -s "$out/old/$1" "$out/new/$1"; then
    echo "SAME  $1 ($(wc -c < "$out/new/$1") bytes)"
  else
    echo "DIFF  $1 (diff $out/old/$1 $out/new/$1)"; status=1
  fi
}
run() { # name, args...
  local name=$1; shift
  "$OLD" "$@" > "$out/old/$name" 2>/dev/null; echo "exit $?" >> "$out/old/$name"
  "$NEW" "$@" > "$out/new/$name" 2>/dev/null; echo "exit $?" >> "$out/new/$name"
  verdict "$name"
}
for pair in goodbooks:goodbooks ml100k:movielens; do
  b="models/${pair%%:*}.kith"; n="${pair##*:}"
  run "requests-$n" requests --bundle "$b" --requests "benchmarks/requests/$n.json" --json
  run "occasions-$n" requests --bundle "$b" --requests "benchmarks/occasions/$n.json" --json
  run "openings-$n" requests --bundle "$b" --requests benchmarks/questions/openings.json --json
  mkdir -p "$out/lines-$n"
  python3 - "tests/dialogues/$n.json" "$out/lines-$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i, x in enumerate(d["dialogues"]):
    with open(f"{sys.argv[2]}/{i:03d}.jsonl", "w") as f:
        for t in x["turns"]:
            if "say" in t:
                f.write(json.dumps({"kind": "say", "text": t["say"]}) + "\n")
PY
  for v in old new; do
    bin=$OLD; [ $v = new ] && bin=$NEW
    : > "$out/$v/dialogues-$n"
    for l in "$out/lines-$n"/*.jsonl; do
      "$bin" chat --bundle "$b" --json < "$l" >> "$out/$v/dialogues-$n" 2>/dev/null
      echo "exit $?" >> "$out/$v/dialogues-$n"
    done
  done
  verdict "dialogues-$n"
done
run simulate-movielens simulate --format ml100k --data "$DATA/ml-100k" --bundle models/ml100k.kith --users 60 --json
"$OLD" build --format ml100k --data "$DATA/ml-100k" --out "$out/old/ml100k.kith" > /dev/null 2>&1
"$NEW" build --format ml100k --data "$DATA/ml-100k" --out "$out/new/ml100k.kith" > /dev/null 2>&1
verdict ml100k.kith
exit $status
