#!/usr/bin/env bash
# The benchmark capture every benchmark and the byte-identical sweep share: examples/gen_mixed.rs
# at SIZE, made once and cached under target/bench/ (the name carries the size, the seed, the
# format and a hash of the generator's source and the samples it replays, so a changed
# generator makes a new file; `rm -rf target/bench` frees the space). Prints the file's path;
# its `.info` sibling holds the generator's summary line (packets=… connections=…), its `.keys`
# sibling a key log for its connections (`gen_mixed --keylog`, made-up secrets).
#
#   scripts/bench_capture.sh SIZE [FORMAT [SEED [PROFILE]]]
#       FORMAT pcap|pcapng (default pcap); SEED (1); PROFILE bulk|handshake-dense (default bulk:
#       the generator's --profile; a handshake-dense file's name says so)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] && [ $# -le 4 ] || { echo "usage: scripts/bench_capture.sh SIZE [FORMAT [SEED [PROFILE]]]" >&2; exit 2; }
size="$1"
format="${2:-pcap}"
seed="${3:-1}"
profile="${4:-bulk}"
case "$profile" in
    bulk) kind=mixed ;;
    handshake-dense) kind=dense ;;
    *) echo "bench_capture.sh: PROFILE must be bulk or handshake-dense, not $profile" >&2; exit 2 ;;
esac
target_dir="${CARGO_TARGET_DIR:-target}"
cache="$target_dir/bench"
mkdir -p "$cache"
cache="$(realpath "$cache")"
gen_hash="$(cat examples/gen_mixed.rs samples/*.pcap | sha256sum | cut -c1-10)"
file="$cache/$kind-$size-s$seed-$gen_hash.$format"
if [ ! -s "$file" ] || [ ! -s "$file.info" ] || [ ! -s "$file.keys" ]; then
    cargo build --release --quiet --example gen_mixed
    echo "generating $file ..." >&2
    t0=$EPOCHREALTIME
    "$target_dir/release/examples/gen_mixed" --format "$format" --size "$size" --seed "$seed" \
        --profile "$profile" --keylog "$file.keys.tmp" "$file.tmp" >"$file.info.tmp"
    t1=$EPOCHREALTIME
    mv "$file.tmp" "$file"
    mv "$file.info.tmp" "$file.info"
    mv "$file.keys.tmp" "$file.keys"
    echo "generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $(cat "$file.info")" >&2
fi
echo "$file"
