#!/usr/bin/env bash
# Builds the browser bundle into web/pkg: wasm-pack (release, --target web) for the
# page's module and, into web/pkg/sanitizer, for the HTML sanitizer it loads on first
# use; then wasm-opt from the npm binaryen that scripts/setup.sh installs. Debian's binaryen 108
# silently corrupts wasm-bindgen 0.2.13x output, so wasm-pack's own wasm-opt step is
# off (web/Cargo.toml) and this script runs a known-good one.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tools="${POSTERN_TOOLS:-$HOME/.cache/postern-tools}"
cd "$here"

wasm-pack build web --release --target web --out-dir pkg --no-pack --mode no-install >&2
wasm-pack build web/sanitizer --release --target web --out-dir ../pkg/sanitizer --no-pack --mode no-install >&2

wasm_opt="$tools/node_modules/.bin/wasm-opt"
for wasm in web/pkg/postern_web_bg.wasm web/pkg/sanitizer/postern_sanitizer_bg.wasm; do
  if [ -x "$wasm_opt" ]; then
    # The features rustc enables by default for wasm32-unknown-unknown.
    "$wasm_opt" -Oz --strip-debug --strip-producers \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$wasm" -o "$wasm.opt"
    mv "$wasm.opt" "$wasm"
  else
    echo "[build-web] $wasm_opt not found: bundle left unoptimised (run scripts/setup.sh)" >&2
  fi
  printf '[build-web] %s: %s bytes, %s gzipped\n' "$wasm" "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)" >&2
done
