#!/usr/bin/env bash
# Is this build doing more work than an earlier one? Counts the instructions `diagnose`,
# `sanitize` and `check` execute under valgrind's callgrind, for REF (built once by
# scripts/build_commit.sh) and this worktree's release build, on the benchmark capture of
# scripts/bench_perf.sh (examples/gen_mixed.rs, seed 1, cached under target/bench/).
#
#   scripts/bench_instructions.sh REF [SIZE]        (SIZE default 10M)
#
# Why beside scripts/bench_compare.sh: an instruction count is the same on every run of the
# same binary and input, whatever else the machine does, so a change of a few percent shows
# even while other jobs load the host and wall or CPU times drift by tens of percent. It
# does not see cache misses or memory bandwidth: confirm a speed claim with bench_compare.sh
# on a quiet host. callgrind runs about 50 times slower than the program: 10M takes about a
# minute for the three commands and both builds, 256M about fifteen.
# Prints a markdown table of the counts and the ratio this build / REF; never fails on a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: scripts/bench_instructions.sh REF [SIZE]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
ref="$1"
size="${2:-10M}"
policy="${POLICY:-ticket}"

# shellcheck source=bench_ab_setup.sh
source scripts/bench_ab_setup.sh

count() { # BIN COMMAND: prints the instructions executed
    local exe="$1" out="$work/callgrind.out"
    local args
    case "$2" in
        diagnose) args=(diagnose "$file") ;;
        sanitize) rm -rf "$work/out"; args=(sanitize "$file" -o "$work/out" -p "$policy" --key "$work/key") ;;
        check) args=(check -p "$policy" "$sanitized") ;;
    esac
    valgrind --tool=callgrind --callgrind-out-file="$out" "$exe" "${args[@]}" >/dev/null 2>"$work/log" || true
    sed -n 's/^summary: *//p' "$out"
}

echo "## instructions: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+changes') against $(git rev-parse --short "$ref") ($(date -u +%Y-%m-%dT%H:%MZ))"
echo "input: $(basename "$file") ($(cat "$file.info")), policy $policy, callgrind instruction counts"
echo
echo "| command | REF instructions | this instructions | ratio |"
echo "|---|---|---|---|"
for command in diagnose sanitize check; do
    a="$(count "$old" "$command")"
    b="$(count "$new" "$command")"
    echo "| $command | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }') |"
done
