#!/usr/bin/env bash
# Benchmark of `pcapscrub check`, the pre-commit / CI gate:
#
#   1. many small files: N raw captures (default 1000, copies of samples/*.pcap round-robin, in
#      nested folders, plus as many non-capture files that the walk must skip)
#      -> `pcapscrub check DIR`: files per second (raw, then the same tree sanitized: clean files
#         are what a CI run over a repository sees most of the time);
#   2. one large capture of real connections (~SIZE_MB, default 50): every TCP sample connection
#      repeated with its own client port, one after another (tiny generator below, python3)
#      -> `pcapscrub check FILE` on the raw and on the sanitized capture: MB/s;
#   3. one large capture of many short TLS connections (examples/gen_half_open.rs --reset,
#      ~SIZE_MB): handshake-heavy, the same figures.
#
# `cat FILE > /dev/null` is printed as the reading baseline. Small-file and `cat` figures are the
# best of REPEAT runs (default 3). Prints figures only; asserts nothing.
# Builds the release binary; works in a temporary folder removed at the end.
#
#   scripts/bench_check.sh
#   FILES=5000 SIZE_MB=200 scripts/bench_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

files="${FILES:-1000}"
size_mb="${SIZE_MB:-50}"

cargo build --release --quiet --bin pcapscrub --example gen_half_open
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$repo/$target_dir/release/pcapscrub"
[ -x "$bin" ] || bin="$target_dir/release/pcapscrub"
gen="$(dirname "$bin")/examples/gen_half_open"

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
head -c 32 /dev/urandom >"$work/key"

have_time=0
[ -x /usr/bin/time ] && have_time=1

# Runs a command with its stdout discarded; prints "WALL_SECONDS PEAK_RSS_MIB EXIT" (RSS "-"
# without GNU time). Exit 1 (findings) is expected for raw inputs; anything else is reported.
measure() {
    local start end rc rss="-"
    start=$(date +%s.%N)
    set +e
    if [ $have_time = 1 ]; then
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>"$work/stderr"
        rc=$?
        # GNU time puts "Command exited with non-zero status N" before the figure.
        rss=$(tail -n 1 "$work/rss" | awk '{ printf "%.1f", $1 / 1024 }')
    else
        "$@" >/dev/null 2>"$work/stderr"
        rc=$?
    fi
    set -e
    end=$(date +%s.%N)
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        echo "command failed (exit $rc): $*" >&2
        head -5 "$work/stderr" >&2
    fi
    awk -v s="$start" -v e="$end" -v r="$rss" -v c="$rc" 'BEGIN { printf "%.3f %s %d\n", e - s, r, c }'
}

# The best of REPEAT runs (default 3): "WALL_SECONDS PEAK_RSS_MIB EXIT" as `measure`.
best_of() {
    local i best="" line
    for ((i = 0; i < ${REPEAT:-3}; i++)); do
        line=$(measure "$@")
        if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
            best=$line
        fi
    done
    echo "$best"
}

echo "pcapscrub check benchmark ($(nproc) CPUs, $("$bin" --version))"
echo

# ---------------------------------------------------------------------------------------------
# 1. Many small files
# ---------------------------------------------------------------------------------------------
mapfile -t samples < <(ls samples/*.pcap)
tree="$work/tree"
for ((i = 0; i < files; i++)); do
    d="$tree/d$((i % 10))/e$((i % 7))"
    [ -d "$d" ] || mkdir -p "$d"
    s="${samples[$((i % ${#samples[@]}))]}"
    cp "$s" "$d/c$i.pcap"
    echo "not a capture $i" >"$d/n$i.txt"
done
small_bytes=$(du -sb "$tree" | cut -f1)

# The same tree, sanitized (one sanitize run per distinct sample, then copied).
clean_tree="$work/clean-tree"
for s in "${samples[@]}"; do
    "$bin" sanitize "$s" -o "$work/ev/$(basename "$s" .pcap)" --key "$work/key" >/dev/null
done
for ((i = 0; i < files; i++)); do
    d="$clean_tree/d$((i % 10))/e$((i % 7))"
    [ -d "$d" ] || mkdir -p "$d"
    s="$(basename "${samples[$((i % ${#samples[@]}))]}" .pcap)"
    cp "$work/ev/$s/capture.sanitized.pcap" "$d/c$i.pcap"
    echo "not a capture $i" >"$d/n$i.txt"
done

echo "tree: $files captures + $files text files in 70 folders, $((small_bytes / 1024)) KiB"
printf '%-44s %8s %9s %10s %12s %5s\n' "check DIR" files "wall s" "files/s" "peak RSS MiB" exit
for t in raw sanitized; do
    dir="$tree"
    [ $t = sanitized ] && dir="$clean_tree"
    read -r wall rss rc < <(best_of "$bin" check "$dir")
    printf '%-44s %8d %9s %10.0f %12s %5s\n' "$t captures" \
        "$files" "$wall" "$(awk -v n="$files" -v w="$wall" 'BEGIN { print n / w }')" "$rss" "$rc"
done
echo

# ---------------------------------------------------------------------------------------------
# 2 and 3. Large captures
# ---------------------------------------------------------------------------------------------
mixed="$work/mixed.pcap"
python3 - "$mixed" "$size_mb" samples/*.pcap <<'PY'
# Repeats every TCP connection of the samples, each copy with its own client port and later
# timestamps, until the file reaches SIZE_MB. Non-TCP packets (ARP, ICMPv6) are left out.
import struct, sys

out_path, size_mb, paths = sys.argv[1], float(sys.argv[2]), sys.argv[3:]

def read(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), f"{path}: little-endian pcap expected"
    scale = 1_000_000 if magic == 0xA1B2C3D4 else 1_000_000_000
    assert struct.unpack("<I", data[20:24])[0] == 1, f"{path}: Ethernet expected"
    pos, pkts = 24, []
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        t = sec * 1_000_000 + frac * 1_000_000 // scale
        etype = struct.unpack(">H", frame[12:14])[0]
        if etype == 0x0800 and frame[23] == 6:
            tcp = 14 + (frame[14] & 0x0F) * 4
        elif etype == 0x86DD and frame[20] == 6:
            tcp = 54
        else:
            continue
        pkts.append((t, orig, bytearray(frame), tcp))
    return pkts

def fold(x):
    while x >> 16:
        x = (x & 0xFFFF) + (x >> 16)
    return x

conns = []
for p in paths:
    pkts = read(p)
    if not pkts:
        continue
    # The client port: the source port of the first SYN (else of the first packet).
    first = next((f for _, _, f, tcp in pkts if f[tcp + 13] & 0x12 == 0x02), pkts[0][2])
    tcp0 = next(tcp for _, _, f, tcp in pkts if f is first)
    client_port = struct.unpack(">H", first[tcp0:tcp0 + 2])[0]
    base = pkts[0][0]
    span = pkts[-1][0] - base
    conns.append(([(t - base, o, f, tcp) for t, o, f, tcp in pkts], client_port, span))

target = int(size_mb * 1024 * 1024)
out = open(out_path, "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
written, k, clock = 24, 0, 1_700_000_000 * 1_000_000
while written < target:
    pkts, old_port, span = conns[k % len(conns)]
    new_port = 1024 + (k % 64000)
    for t, orig, frame, tcp in pkts:
        f = bytearray(frame)
        for at in (tcp, tcp + 2):
            if struct.unpack(">H", f[at:at + 2])[0] == old_port:
                f[at:at + 2] = struct.pack(">H", new_port)
                # RFC 1624 incremental checksum update: HC' = ~(~HC + ~m + m').
                hc = struct.unpack(">H", f[tcp + 16:tcp + 18])[0]
                s = fold((~hc & 0xFFFF) + (~old_port & 0xFFFF) + new_port)
                f[tcp + 16:tcp + 18] = struct.pack(">H", ~s & 0xFFFF)
        ts = clock + t
        out.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(f), orig))
        out.write(f)
        written += 16 + len(f)
    clock += span + 1000
    k += 1
out.close()
print(f"connections={k}")
PY

half="$work/short-tls.pcap"
# gen_half_open --reset writes ~720 bytes per connection.
"$gen" --reset "$half" "$(awk -v m="$size_mb" 'BEGIN { printf "%d", m * 1048576 / 720 }')" >/dev/null

printf '%-44s %8s %9s %10s %12s %5s\n' "check FILE" MiB "wall s" "MiB/s" "peak RSS MiB" exit
for f in "$mixed" "$half"; do
    name=$(basename "$f" .pcap)
    mib=$(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.1f", b / 1048576 }')
    read -r wall rss rc < <(best_of cat "$f")
    printf '%-44s %8s %9s %10.0f %12s %5s\n' "$name: cat > /dev/null (baseline)" "$mib" "$wall" \
        "$(awk -v m="$mib" -v w="$wall" 'BEGIN { print m / (w > 0 ? w : 0.001) }')" "$rss" "$rc"
    read -r wall rss rc < <(measure "$bin" check "$f")
    printf '%-44s %8s %9s %10.1f %12s %5s\n' "$name: check (raw)" "$mib" "$wall" \
        "$(awk -v m="$mib" -v w="$wall" 'BEGIN { print m / w }')" "$rss" "$rc"
    "$bin" sanitize "$f" -o "$work/ev-$name" --key "$work/key" >/dev/null
    clean="$work/ev-$name/capture.sanitized.pcap"
    cmib=$(awk -v b="$(stat -c %s "$clean")" 'BEGIN { printf "%.1f", b / 1048576 }')
    read -r wall rss rc < <(measure "$bin" check "$clean")
    printf '%-44s %8s %9s %10.1f %12s %5s\n' "$name: check (sanitized)" "$cmib" "$wall" \
        "$(awk -v m="$cmib" -v w="$wall" 'BEGIN { print m / w }')" "$rss" "$rc"
    rm -rf "$work/ev-$name"
done
