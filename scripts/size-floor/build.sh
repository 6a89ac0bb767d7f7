#!/usr/bin/env bash
# The size floor of the fixed stack (BENCHMARKS.md, "Download size", session 4): the smallest
# wasm that Yew, plotters and the engine make with the release build's settings (std rebuilt,
# panic=immediate-abort, wasm-opt -Oz with the page's flags), in three steps:
#   yew    : one function component with a button and a formatted float
#   plot   : + plotters / plotters-canvas drawing one line chart
#   engine : + every preset parsed, validated and relaxed (Graph, Session)
# Usage: scripts/size-floor/build.sh   (needs ./dev setup; about 3 minutes the first time)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
export PATH="$ROOT/e2e/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
export RUSTFLAGS="-C target-feature=+simd128 -Z unstable-options -C panic=immediate-abort -Z location-detail=none"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/pc-size-floor}"
cp "$ROOT/Cargo.lock" Cargo.lock
out=$(mktemp -d)
for step in "yew:" "plot:plot" "engine:plot engine"; do
  name=${step%%:*}; features=${step#*:}
  cargo build -q --release --target wasm32-unknown-unknown --features "$features"
  wasm-bindgen --target web --out-dir "$out/$name" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/floor.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-multivalue --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext --enable-simd \
    --strip-producers --strip-target-features "$out/$name/floor_bg.wasm" -o "$out/$name/opt.wasm"
  printf '%-7s wasm %7d B raw, %6d B gzip -9; JS glue %5d B gzip -9\n' "$name" \
    "$(stat -c %s "$out/$name/opt.wasm")" "$(gzip -9 -n -c "$out/$name/opt.wasm" | wc -c)" \
    "$(gzip -9 -n -c "$out/$name/floor.js" | wc -c)"
done
rm -f Cargo.lock
