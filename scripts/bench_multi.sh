#!/usr/bin/env bash
# Multi-file scaling benchmark: many captures, one thread against two.
#
#   scripts/bench_multi.sh                      (100 files of 10 MiB, RUNS=5)
#   FILES=20 SIZE=5M RUNS=3 scripts/bench_multi.sh
#
# Makes FILES captures of SIZE with examples/gen_mixed.rs, each with its own seed (1..FILES),
# cached under target/bench/ (the folder name carries the count, the size and a hash of the
# generator's source). Then, page cache warm, alternating RUNS times:
#
#   pcapscrub sanitize --jobs 1 FILES... -o OUT --force --key KEY   vs   --jobs 2
#   pcapscrub check --jobs 1 DIR                                     vs   --jobs 2
#
# (DIR: the sanitized captures, made once before the timed runs.) Prints the median wall time of
# each, the speed-up of two jobs over one (target of issue #21: at least 1.8×), median CPU time
# and peak RSS, and whether `--jobs 1` and `--jobs 2` wrote byte-identical evidence (one shared,
# deterministic mapping whatever the thread count). Exits 2 if the binary has no `--jobs` option.
set -euo pipefail
cd "$(dirname "$0")/.."

files="${FILES:-100}"
size="${SIZE:-10M}"
runs="${RUNS:-5}"
[[ "$files" =~ ^[1-9][0-9]*$ ]] || { echo "FILES must be a positive number" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive number" >&2; exit 2; }

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

cargo build --release --quiet --bin pcapscrub --example gen_mixed
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$(realpath "$target_dir/release/pcapscrub")"
gen="$(realpath "$target_dir/release/examples/gen_mixed")"

for cmd in sanitize check; do
    if ! "$bin" "$cmd" --help 2>/dev/null | grep -q -- '--jobs'; then
        echo "bench_multi: this pcapscrub ($("$bin" --version)) has no \`$cmd --jobs N\` option yet; nothing measured" >&2
        exit 2
    fi
done

cache="$target_dir/bench"
mkdir -p "$cache"
cache="$(realpath "$cache")"
gen_hash="$(cat examples/gen_mixed.rs samples/*.pcap | sha256sum | cut -c1-10)"
dir="$cache/multi-$files-$size-$gen_hash"
if [ ! -f "$dir/.complete" ]; then
    echo "generating $files captures of $size in $dir ..." >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    t0=$EPOCHREALTIME
    for ((i = 1; i <= files; i++)); do
        "$gen" --size "$size" --seed "$i" "$dir/$(printf 'c%03d' "$i").pcap" >/dev/null
    done
    t1=$EPOCHREALTIME
    touch "$dir/.complete"
    echo "generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >&2
fi
mapfile -t inputs < <(ls "$dir"/*.pcap)
total_bytes="$(cat "${inputs[@]}" | wc -c)" # also warms the page cache

work="$(mktemp -d "$cache/run.XXXXXX")"
trap 'rm -rf "$work"' EXIT
printf '%s' 5f3c9a1e7b2d4f6081a3c5e7092b4d6f8e1a3c5b7d9f0e2a4c6b8d0f1e3a5c79 >"$work/key"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run NAME EXPECTED_EXIT_CODES CMD...: appends "WALL MAXRSS_KIB CPU EXIT" to $work/res.NAME.
run() {
    local name="$1" ok="$2"
    shift 2
    local t0 t1 rc
    t0=$EPOCHREALTIME
    set +e
    /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >/dev/null 2>"$work/stderr"
    rc=$?
    set -e
    t1=$EPOCHREALTIME
    if [[ " $ok " != *" $rc "* ]]; then
        echo "FAILED (exit $rc): ${*:1:6} ..." >&2
        head -n 5 "$work/stderr" >&2
        exit 1
    fi
    tail -n 1 "$work/time" | awk -v a="$t0" -v b="$t1" -v rc="$rc" \
        '{ printf "%.4f %d %.2f %d\n", b - a, $2, $3 + $4, rc }' >>"$work/res.$name"
}

# Untimed: the evidence of each job count (also checks they are the same), then the folder of
# sanitized captures that `check` reads.
for j in 1 2; do
    "$bin" sanitize --jobs "$j" "${inputs[@]}" -o "$work/ev$j" --force --key "$work/key" >/dev/null
done
if diff -q "$work/ev1/SHA256SUMS" "$work/ev2/SHA256SUMS" >/dev/null; then
    same="yes (SHA256SUMS of --jobs 1 and --jobs 2 identical)"
else
    same="NO: --jobs 1 and --jobs 2 wrote different evidence (diff $work/ev1/SHA256SUMS $work/ev2/SHA256SUMS)"
fi
clean="$work/clean"
mkdir -p "$clean"
mv "$work/ev1"/*.sanitized.pcap "$clean/"
rm -rf "$work/ev1" "$work/ev2"
clean_bytes="$(cat "$clean"/* | wc -c)"

for ((r = 1; r <= runs; r++)); do
    echo "  round $r/$runs" >&2
    for j in 1 2; do
        run "sanitize$j" 0 "$bin" sanitize --jobs "$j" "${inputs[@]}" -o "$work/out" --force --key "$work/key"
        rm -rf "$work/out"
        run "check$j" "0 1" "$bin" check --jobs "$j" "$clean"
    done
done

cpu_model="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "## pcapscrub multi-file scaling ($(date -u +%Y-%m-%d), $("$bin" --version))"
echo
echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "- input: $files captures of $size ($(awk -v b="$total_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }') in all); \`check\` reads their sanitized captures ($(awk -v b="$clean_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"
echo "- method: $runs runs each, alternating, page cache warm, median wall time"
echo "- reproduce: \`RUNS=$runs FILES=$files SIZE=$size scripts/bench_multi.sh\`"
echo "- same evidence whatever the job count: $same"
echo
echo "| command | --jobs 1 s | --jobs 2 s | speed-up | CPU s (1 / 2) | peak RSS MiB (1 / 2) | check exit codes | target ≥ 1.8× |"
echo "|---|---:|---:|---:|---:|---:|---|---|"

for c in sanitize check; do
    m1="$(cut -d' ' -f1 "$work/res.${c}1" | median)"
    m2="$(cut -d' ' -f1 "$work/res.${c}2" | median)"
    c1="$(cut -d' ' -f3 "$work/res.${c}1" | median)"
    c2="$(cut -d' ' -f3 "$work/res.${c}2" | median)"
    r1="$(cut -d' ' -f2 "$work/res.${c}1" | sort -g | tail -n 1)"
    r2="$(cut -d' ' -f2 "$work/res.${c}2" | sort -g | tail -n 1)"
    codes="-"
    [ "$c" = check ] && codes="$(cat "$work/res.check1" "$work/res.check2" | cut -d' ' -f4 | sort -u | tr '\n' ' ')"
    up="$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')"
    verdict="$(awk -v u="$up" 'BEGIN { print (u >= 1.8 ? "PASS" : "FAIL") }')"
    printf '| `pcapscrub %s` | %.3f | %.3f | %s× | %.2f / %.2f | %.1f / %.1f | %s | %s |\n' "$c" "$m1" "$m2" \
        "$up" "$c1" "$c2" "$(awk -v k="$r1" 'BEGIN { print k / 1024 }')" "$(awk -v k="$r2" 'BEGIN { print k / 1024 }')" \
        "${codes% }" "$verdict"
done

