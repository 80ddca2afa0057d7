#!/usr/bin/env bash
# Shared setup of the A/B benchmarks (scripts/bench_compare.sh, scripts/bench_instructions.sh):
# sourced with `ref`, `size` and `policy` set. Builds this worktree (`new`) and REF (`old`, by
# scripts/build_commit.sh), finds the cached benchmark capture (`file`, in `cache`), makes a
# scratch folder (`work`, removed at exit) holding a fixed key, and the capture sanitized once
# by this build (`sanitized`), which `check` reads.
cargo build --release --quiet --bin pcapscrub
target_dir="${CARGO_TARGET_DIR:-target}"
new="$(realpath "$target_dir/release/pcapscrub")"
old="$(scripts/build_commit.sh "$ref")"
file="$(scripts/bench_capture.sh "$size")"
cache="$(dirname "$file")"

work="$(mktemp -d "$cache/ab.XXXXXX")"
trap 'rm -rf "$work"' EXIT
printf '%s' 5f3c9a1e7b2d4f6081a3c5e7092b4d6f8e1a3c5b7d9f0e2a4c6b8d0f1e3a5c79 >"$work/key"
"$new" sanitize "$file" -o "$work/ref-out" -p "$policy" --key "$work/key" >/dev/null 2>&1
sanitized="$(ls "$work"/ref-out/*.sanitized.pcap)"
