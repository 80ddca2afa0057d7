#!/usr/bin/env bash
# Is this build slower than an earlier one? A/B benchmark of `diagnose`, `sanitize` and `check`
# between REF (built once by scripts/build_commit.sh) and this worktree's release build, on the
# benchmark capture of scripts/bench_perf.sh (examples/gen_mixed.rs, seed 1, cached under
# target/bench/).
#
#   scripts/bench_compare.sh REF [SIZE]        (SIZE default 256M)
#   RUNS=9 POLICY=strict scripts/bench_compare.sh e4b69bc 256M
#
# The two builds run interleaved (A, B, A, B, …) RUNS times per command (default 5), each timed
# by bash's `time` (wall, user + system CPU from the kernel's accounting): a machine whose speed
# drifts by tens of percent over minutes still gives fair ratios within one run. Prints a
# markdown table of the medians and the ratio this build / REF per command; a ratio above 1.00
# means this build is slower. Prints figures only: it never fails on a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: scripts/bench_compare.sh REF [SIZE]" >&2; exit 2; }
ref="$1"
size="${2:-256M}"
runs="${RUNS:-5}"
policy="${POLICY:-ticket}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive number" >&2; exit 2; }

# shellcheck source=bench_ab_setup.sh
source scripts/bench_ab_setup.sh
cat "$file" >/dev/null

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run() { # BIN COMMAND
    local exe="$1"
    case "$2" in
        diagnose) "$exe" diagnose "$file" >/dev/null 2>&1 ;;
        sanitize) "$exe" sanitize "$file" -o "$work/out" -p "$policy" --key "$work/key" >/dev/null 2>&1 ;;
        check) "$exe" check -p "$policy" "$sanitized" >/dev/null 2>&1 || [ $? -eq 1 ] ;;
    esac
}

echo "## A/B: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+changes') against $(git rev-parse --short "$ref") ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "input: $(basename "$file") ($(cat "$file.info")), policy $policy, $runs interleaved runs each, medians"
echo
echo "| command | REF wall (s) | this wall (s) | wall ratio | REF CPU (s) | this CPU (s) | CPU ratio |"
echo "|---|---|---|---|---|---|---|"
TIMEFORMAT='%3R %3U %3S'
for command in diagnose sanitize check; do
    for v in a b; do : >"$work/wall-$v"; : >"$work/cpu-$v"; done
    for _ in $(seq "$runs"); do
        for v in a b; do
            exe="$new"
            [ "$v" = a ] && exe="$old"
            rm -rf "$work/out"
            { time run "$exe" "$command"; } 2>"$work/time"
            awk '{ print $1 }' "$work/time" >>"$work/wall-$v"
            awk '{ print $2 + $3 }' "$work/time" >>"$work/cpu-$v"
            rm -rf "$work/out"
        done
    done
    wa="$(median <"$work/wall-a")"; wb="$(median <"$work/wall-b")"
    ca="$(median <"$work/cpu-a")"; cb="$(median <"$work/cpu-b")"
    echo "| $command | $wa | $wb | $(awk -v a="$wa" -v b="$wb" 'BEGIN { printf "%.3f", b / a }') | $ca | $cb | $(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%.3f", b / a }') |"
done
