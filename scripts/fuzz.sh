#!/usr/bin/env bash
# Fuzz every parser of user-controlled text (not part of CI; takes a few minutes):
#   scripts/fuzz.sh [CASES]        default 1000000 inputs per parser
# Runs the #[ignore]d proptest fuzzers of tests/fuzz.rs with optimisations (the `native`
# profile, without LTO to keep the build short) and prints, per parser, the number of inputs,
# how many were accepted and the rate. A panic fails with the shrunk input: add it to
# tests/corpus/ (graph-*.txt or expr-*.txt) so CI keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:-${PROPTEST_CASES:-1000000}}"
export PROPTEST_CASES="$CASES"
export CARGO_PROFILE_NATIVE_LTO=off CARGO_PROFILE_NATIVE_CODEGEN_UNITS=16
mkdir -p target
log=target/fuzz.log
start=$(date +%s)
rc=0
cargo test --profile native --test fuzz -- --ignored --nocapture --test-threads=1 >"$log" 2>&1 || rc=$?
end=$(date +%s)
grep -oE 'fuzz .*inputs/s|panicked.*|minimal failing input.*' "$log" || true
echo "== $CASES cases per parser; $((end - start)) s including the build; full log: $log"
if [ "$rc" -ne 0 ]; then echo "FUZZING FAILED (exit $rc)" >&2; tail -40 "$log" >&2; exit "$rc"; fi
echo "0 panics"
