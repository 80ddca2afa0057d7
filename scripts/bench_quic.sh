#!/usr/bin/env bash
# Benchmark: what resealing QUIC Initials costs `sanitize` (docs/udp.md). Builds a capture of
# many QUIC connections from samples/udp/quic-complete.pcap (examples/gen_quic.rs: each copy
# with its own client address and port), and the same capture with every first long header's
# version made unknown, so no flow is recognised as QUIC and its payload is cut as plain UDP.
# Prints wall and CPU time of `sanitize` (and `diagnose`) on both, and the difference per
# client Initial resealed.
#
#   scripts/bench_quic.sh [CONNECTIONS]      (default: 5000)
#
# Measured (2 shared cores, 10000 connections, 80000 packets, 20000 client Initials):
# sanitize 0.90 s CPU with QUIC recognised against 0.09 s without, about 40 us per client
# Initial; diagnose 0.63 s against 0.01 s.
#
# Never used by tests: no timing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-5000}"
if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
cargo build --release --quiet --bin pcapscrub --example gen_quic
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/pcapscrub"
gen="$target_dir/release/examples/gen_quic"
sample=samples/udp/quic-complete.pcap

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-quic.XXXXXX")"
trap 'rm -rf "$work"' EXIT
head -c 32 /dev/urandom >"$work/key"

# Runs a command under GNU time; prints "WALL_SECONDS CPU_SECONDS".
measure() {
    local log="$work/time.log"
    if ! /usr/bin/time -v -o "$log" "$@" >/dev/null; then
        echo "command failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
    awk -F': ' '
        /Elapsed \(wall clock\) time/ {
            k = split($2, p, ":"); s = 0
            for (i = 1; i <= k; i++) s = s * 60 + p[i]
            wall = s
        }
        /User time \(seconds\)/ { cpu += $2 }
        /System time \(seconds\)/ { cpu += $2 }
        END { printf "%.2f %.2f\n", wall, cpu }
    ' "$log"
}

info="$("$gen" "$sample" "$work/quic.pcap" "$n")"
"$gen" --unrecognised "$sample" "$work/plain.pcap" "$n" >/dev/null
initials="$(sed -n 's/.*initials=\([0-9]*\).*/\1/p' <<<"$info")"
echo "$info"
printf '%-14s %-9s %7s %7s\n' capture command "wall s" "cpu s"
declare -A cpu_of
for kind in quic plain; do
    read -r wall cpu < <(measure "$bin" diagnose "$work/$kind.pcap" --format yaml)
    printf '%-14s %-9s %7s %7s\n' "$kind" diagnose "$wall" "$cpu"
    read -r wall cpu < <(measure "$bin" sanitize "$work/$kind.pcap" -o "$work/out-$kind" --key "$work/key")
    printf '%-14s %-9s %7s %7s\n' "$kind" sanitize "$wall" "$cpu"
    cpu_of[$kind]=$cpu
done
awk -v q="${cpu_of[quic]}" -v p="${cpu_of[plain]}" -v i="$initials" 'BEGIN {
    printf "sanitize: %.1f us of CPU per client Initial with QUIC recognised, %.1f us per datagram group without; %.1f us more per client Initial (%d client Initials)\n",
        q * 1e6 / i, p * 1e6 / i, (q - p) * 1e6 / i, i
}'
