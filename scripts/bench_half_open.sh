#!/usr/bin/env bash
# Benchmark: many half-open TLS connections (SYN, SYN-ACK, ACK, ClientHello, then silence).
# Every connection stays live to the end of the capture, so this shows what each live
# connection costs `diagnose` and `sanitize` in time and peak memory (SECURITY.md: memory bounded by
# live connections, not by capture size).
#
#   scripts/bench_half_open.sh [CONNECTIONS...]      (default: 10000 100000)
#   RESET=1 scripts/bench_half_open.sh ...            (the server resets every connection right
#                                                     after its ClientHello: same shape, but at
#                                                     most one live connection, for comparison)
#
# Builds the release binary and the generator (examples/gen_half_open.rs), writes each capture
# into a temporary folder (removed at the end), and prints for each size the input size, packets,
# wall time and peak RSS (GNU time's "Maximum resident set size") of
#   pcapscrub diagnose FILE --format yaml > /dev/null
#   pcapscrub sanitize FILE -o DIR --key KEY
# plus `cat FILE > /dev/null` as the reading baseline. Never used by tests: no timing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
    sizes=(10000 100000)
fi

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

cargo build --release --quiet --bin pcapscrub --example gen_half_open
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/pcapscrub"
gen="$target_dir/release/examples/gen_half_open"

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-half-open.XXXXXX")"
trap 'rm -rf "$work"' EXIT
head -c 32 /dev/urandom >"$work/key"

# Runs a command under GNU time; prints "WALL_SECONDS CPU_SECONDS RSS_KIB" (CPU = user + system).
measure() {
    local log="$work/time.log"
    if ! /usr/bin/time -v -o "$log" "$@"; then
        echo "command failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
    awk -F': ' '
        /Elapsed \(wall clock\) time/ {
            n = split($2, p, ":"); s = 0
            for (i = 1; i <= n; i++) s = s * 60 + p[i]
            wall = s
        }
        /User time \(seconds\)/ { cpu += $2 }
        /System time \(seconds\)/ { cpu += $2 }
        /Maximum resident set size/ { rss = $2 }
        END { printf "%.2f %.2f %d\n", wall, cpu, rss }
    ' "$log"
}

if [ "${RESET:-0}" = 1 ]; then
    echo "mode: every connection reset by the server after its ClientHello"
else
    echo "mode: half-open (every connection stays live to the end of the capture)"
fi
printf '%-11s %10s %9s  %-9s %7s %7s %12s\n' connections "input MiB" packets command "wall s" "cpu s" "peak RSS MiB"
declare -A rss_of
for n in "${sizes[@]}"; do
    file="$work/half-open-$n.pcap"
    if [ "${RESET:-0}" = 1 ]; then
        info="$("$gen" --reset "$file" "$n")"
    else
        info="$("$gen" "$file" "$n")"
    fi
    packets="$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' <<<"$info")"
    bytes="$(stat -c %s "$file")"
    mib="$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"

    read -r wall cpu rss < <(measure sh -c 'cat "$1" >/dev/null' sh "$file")
    printf '%-11s %10s %9s  %-9s %7s %7s %12.1f\n' "$n" "$mib" "$packets" cat "$wall" "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"

    read -r wall cpu rss < <(measure sh -c '"$1" diagnose "$2" --format yaml >/dev/null' sh "$bin" "$file")
    rss_of["diagnose,$n"]=$rss
    printf '%-11s %10s %9s  %-9s %7s %7s %12.1f\n' "$n" "$mib" "$packets" diagnose "$wall" "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"

    read -r wall cpu rss < <(measure sh -c '"$1" sanitize "$2" -o "$3" --key "$4" >/dev/null' \
        sh "$bin" "$file" "$work/out-$n" "$work/key")
    rss_of["sanitize,$n"]=$rss
    printf '%-11s %10s %9s  %-9s %7s %7s %12.1f\n' "$n" "$mib" "$packets" sanitize "$wall" "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
    rm -rf "$work/out-$n" "$file"
done

if [ ${#sizes[@]} -ge 2 ]; then
    lo="${sizes[0]}"
    hi="${sizes[${#sizes[@]} - 1]}"
    for cmd in diagnose sanitize; do
        awk -v a="${rss_of[$cmd,$lo]}" -v b="${rss_of[$cmd,$hi]}" -v lo="$lo" -v hi="$hi" -v c="$cmd" 'BEGIN {
            printf "%s: peak RSS grows %.0f bytes per connection (%d -> %d connections)\n",
                c, (b - a) * 1024 / (hi - lo), lo, hi
        }'
    done
fi
