#!/usr/bin/env bash
# `diagnose` on the benchmark capture with and without `--keylog` (the key log
# scripts/bench_capture.sh makes beside it: a line for every connection's client random, so
# every TLS connection is matched and its keys tried). Prints both wall times and their ratio
# (the target: within 1.5x). One run each, after one warm-up read of the file.
#
#   scripts/bench_keylog.sh [SIZE]        (default 256M)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-256M}"
capture="$(scripts/bench_capture.sh "$size")"
keys="$capture.keys"
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin pcapscrub
bin="$target_dir/release/pcapscrub"
cat "$capture" >/dev/null
seconds() {
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>/dev/null
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
without=$(seconds "$bin" diagnose --format json "$capture")
with=$(seconds "$bin" diagnose --format json --keylog "$keys" "$capture")
note=$("$bin" diagnose --keylog "$keys" "$capture" 2>&1 >/dev/null | grep 'key log:' || true)
echo "capture: $capture ($(cat "$capture.info"))"
echo "$note"
echo "diagnose without --keylog: $without s"
echo "diagnose with --keylog:    $with s"
awk -v a="$without" -v b="$with" 'BEGIN { printf "ratio: %.2fx (target: within 1.5x)\n", b / a }'
