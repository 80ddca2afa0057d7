#!/usr/bin/env bash
# Performance benchmark (README, "Performance"): pcapscrub against the SHA-256 digest floor,
# cat, editcap and tcprewrite on the same large, realistic TLS capture, in one run, alternating.
#
#   scripts/bench_perf.sh [SIZE...]            (default: 256M 1G)
#   RUNS=3 FORMAT=pcapng PROFILES=handshake-dense scripts/bench_perf.sh 256M
#
# For each generator profile (PROFILES, default "bulk handshake-dense": examples/gen_mixed.rs
# --profile; bulk-heavy connections, or short ones at about 9 per MiB with a third failing)
# and each SIZE the capture is made by examples/gen_mixed.rs (seed 1) and cached under
# target/bench/ (the name carries the size, the format and a hash of the generator's source, so
# a changed generator makes a new file; `rm -rf target/bench` to free the space). Then, after
# one `cat` to warm the page cache, these run round-robin RUNS times each (default 5), every
# one under GNU time (`/usr/bin/time -f '%e %M %U %S'`):
#
#   openssl dgst -sha256 FILE          (the floor: sanitize must hash its input, docs/decisions.md)
#   cat FILE > /dev/null
#   editcap -s 96 FILE OUT
#   tcprewrite --seed=1 --fixcsum --infile=FILE --outfile=OUT
#   pcapscrub diagnose FILE > /dev/null
#   pcapscrub sanitize FILE -o OUTDIR --force --key KEYFILE
#   pcapscrub check SANITIZED            (the sanitized capture, made once before the rounds)
#
# Outputs are written to a temporary folder under target/bench/ (a real disk, not /dev/shm) and
# removed after each run, followed by an untimed `sync` (without it, the next tool was timed
# while the kernel wrote back tcprewrite's 256 MiB output). Prints, per size, a markdown table
# (median wall time, MB/s with MB = 10^6 bytes, packets/s, median CPU time, peak RSS over the
# runs, ratios to the digest floor and to tcprewrite), then the machine and the performance
# targets of issue #21 with PASS/FAIL. Wall times are taken by the script itself (bash $EPOCHREALTIME around GNU time, so
# 1 ms resolution instead of GNU time's 10 ms); peak RSS and CPU times come from GNU time.
#
# Env: RUNS (5), FORMAT (pcap|pcapng, default pcap), SEED (1), PROFILES, KEEP_GOING=1 to
# continue after a failing command (default: stop).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(256M 1G)
runs="${RUNS:-5}"
format="${FORMAT:-pcap}"
seed="${SEED:-1}"
read -r -a profiles <<<"${PROFILES:-bulk handshake-dense}"
for p in "${profiles[@]}"; do
    case "$p" in bulk | handshake-dense) ;; *) echo "PROFILES: bulk or handshake-dense, not $p" >&2; exit 2 ;; esac
done
case "$format" in pcap | pcapng) ;; *) echo "FORMAT must be pcap or pcapng" >&2; exit 2 ;; esac
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive number" >&2; exit 2; }

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v editcap >/dev/null || missing+=(wireshark-common)
command -v capinfos >/dev/null || missing+=(wireshark-common)
command -v tcprewrite >/dev/null || missing+=(tcpreplay)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --release --quiet --bin pcapscrub
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$(realpath "$target_dir/release/pcapscrub")"
cache="$target_dir/bench"
mkdir -p "$cache"
cache="$(realpath "$cache")"

work="$(mktemp -d "$cache/run.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# A fixed key (64 hex characters), so every run maps the same way.
printf '%s' 5f3c9a1e7b2d4f6081a3c5e7092b4d6f8e1a3c5b7d9f0e2a4c6b8d0f1e3a5c79 >"$work/key"

# --- helpers ---------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { sort -g | tail -n 1; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b > 0) printf f, a / b; else print "n/a" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# run NAME EXPECTED_EXIT_CODES CMD...: runs CMD (stdout to /dev/null) under GNU time, appends
# "WALL MAXRSS_KIB CPU EXIT" to $work/res.NAME.
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
        echo "FAILED (exit $rc): $*" >&2
        head -n 5 "$work/stderr" >&2
        [ "${KEEP_GOING:-0}" = 1 ] || exit 1
    fi
    # GNU time writes "Command exited with non-zero status N" before the figures.
    tail -n 1 "$work/time" | awk -v a="$t0" -v b="$t1" -v rc="$rc" \
        '{ printf "%.4f %d %.2f %d\n", b - a, $2, $3 + $4, rc }' >>"$work/res.$name"
}

cpu_model="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "## pcapscrub performance ($(date -u +%Y-%m-%d), $("$bin" --version))"
echo
echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r), $(awk '/MemTotal/ { t = $2 } /MemAvailable/ { a = $2 } END { printf "%.1f GiB RAM (%.1f GiB available)", t / 1048576, a / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "- tools: $(openssl version | cut -d' ' -f1-2), $(editcap --version 2>/dev/null | grep -m1 -o '^Editcap (Wireshark) [^ ]*'), $(tcprewrite -V 2>&1 | grep -m1 -o 'tcprewrite version: [^ ]*' || echo tcprewrite)"
echo "- method: $runs runs of each command, round-robin, same file, page cache warm; median wall time; peak RSS = max over runs"
echo "- reproduce: \`RUNS=$runs${FORMAT:+ FORMAT=$format} PROFILES='${profiles[*]}' scripts/bench_perf.sh ${sizes[*]}\`"
echo

tools=(sha256 cat editcap tcprewrite diagnose sanitize check)
declare -A med cpu rss mbs pps
verdict_lines=()
declare -A rss_size

for profile in "${profiles[@]}"; do
for size in "${sizes[@]}"; do
    file="$(scripts/bench_capture.sh "$size" "$format" "$seed" "$profile")"
    info="$(cat "$file.info")"
    bytes="$(stat -c %s "$file")"
    packets="$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' <<<"$info")"
    [ -n "$packets" ] || packets="$(capinfos -c -M -T "$file" | awk 'NR == 2 { print $2 }')"

    rm -f "$work"/res.*
    out="$work/out"
    mkdir -p "$out"
    cat "$file" >/dev/null # warm the page cache

    # The capture `check` reads: sanitized once, outside the timed runs.
    "$bin" sanitize "$file" -o "$work/ev" --force --key "$work/key" >/dev/null
    sanitized="$work/ev/capture.sanitized.$format"
    [ -s "$sanitized" ] || { echo "no sanitized capture at $sanitized" >&2; exit 1; }
    s_bytes="$(stat -c %s "$sanitized")"
    s_packets="$(capinfos -c -M -T "$sanitized" | awk 'NR == 2 { print $2 }')"

    for ((r = 1; r <= runs; r++)); do
        echo "  $profile $size: round $r/$runs" >&2
        for t in "${tools[@]}"; do
            case $t in
                sha256) run sha256 0 openssl dgst -sha256 "$file" ;;
                cat) run cat 0 cat "$file" ;;
                editcap) run editcap 0 editcap -s 96 "$file" "$out/editcap.$format" ;;
                tcprewrite) run tcprewrite 0 tcprewrite --seed=1 --fixcsum --infile="$file" --outfile="$out/tcprewrite.pcap" ;;
                diagnose) run diagnose 0 "$bin" diagnose "$file" ;;
                sanitize) run sanitize 0 "$bin" sanitize "$file" -o "$out/ev" --force --key "$work/key" ;;
                check) run check "0 1" "$bin" check "$sanitized" ;;
            esac
            rm -rf "${out:?}"/*
            # Untimed: let the previous tool's writes (tcprewrite writes the whole capture)
            # reach the disk, so the next tool is not timed against the kernel's writeback.
            sync
        done
    done

    echo "### $profile $size capture: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'), $packets packets ($format)"
    echo
    echo "\`$info\`"
    echo
    echo "| tool | median s | MB/s | packets/s | median CPU s | peak RSS MiB | × SHA-256 floor | × tcprewrite | × editcap |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for t in "${tools[@]}"; do
        med[$t]="$(cut -d' ' -f1 "$work/res.$t" | median)"
        cpu[$t]="$(cut -d' ' -f3 "$work/res.$t" | median)"
        rss[$t]="$(cut -d' ' -f2 "$work/res.$t" | maxof)"
    done
    for t in "${tools[@]}"; do
        b=$bytes p=$packets label=$t
        case $t in
            sha256) label='`openssl dgst -sha256`' ;;
            cat) label='`cat > /dev/null`' ;;
            editcap) label='`editcap -s 96`' ;;
            tcprewrite) label='`tcprewrite --seed=1 --fixcsum`' ;;
            diagnose) label='`pcapscrub diagnose`' ;;
            sanitize) label='`pcapscrub sanitize`' ;;
            check) label='`pcapscrub check` (sanitized)¹' b=$s_bytes p=$s_packets ;;
        esac
        m="${med[$t]}"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(fmt "$m" %.3f)" \
            "$(div "$b" "$(awk -v m="$m" 'BEGIN { print m * 1e6 }')" %.0f)" \
            "$(div "$p" "$m" %.0f)" "$(fmt "${cpu[$t]}" %.2f)" "$(div "${rss[$t]}" 1024 %.1f)" \
            "$(div "$m" "${med[sha256]}")" "$(div "$m" "${med[tcprewrite]}")" "$(div "$m" "${med[editcap]}")"
    done
    echo
    echo "¹ \`check\` reads the sanitized capture ($(awk -v b="$s_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'), $s_packets packets): its MB/s and packets/s are of that file. Exit codes of \`check\`: $(cut -d' ' -f4 "$work/res.check" | sort | uniq -c | awk '{ printf "%s%s (%s×)", (NR > 1 ? ", " : ""), $2, $1 }') (0 = clean, 1 = findings)."
    echo

    for t in diagnose sanitize; do rss_size[$t,$profile,$size]="${rss[$t]}"; done
    ratio_sha="$(div "${med[sanitize]}" "${med[sha256]}")"
    ratio_tr="$(div "${med[tcprewrite]}" "${med[sanitize]}")"
    ratio_de="$(div "${med[diagnose]}" "${med[editcap]}")"
    pf() { if "$@"; then echo PASS; else echo FAIL; fi; }
    at="$profile $size"
    verdict_lines+=("| $at | sanitize ≤ 1.25 × openssl dgst -sha256 | ${ratio_sha} × | $(pf le "${med[sanitize]}" "$(awk -v x="${med[sha256]}" 'BEGIN { print x * 1.25 }')") |")
    verdict_lines+=("| $at | diagnose ≤ editcap -s 96 | ${ratio_de} × | $(pf le "${med[diagnose]}" "${med[editcap]}") |")
    verdict_lines+=("| $at | (figure) sanitize faster than tcprewrite by | ${ratio_tr} × | – |")
    for t in sanitize diagnose; do
        verdict_lines+=("| $at | $t peak RSS < 100 MiB | $(div "${rss[$t]}" 1024 %.1f) MiB | $(pf awk -v k="${rss[$t]}" 'BEGIN { exit !(k < 100 * 1024) }') |")
    done
    codes="$(cut -d' ' -f4 "$work/res.check" | sort -u | tr '\n' ' ')"
    verdict_lines+=("| $at | check of the sanitized capture is clean (exit 0) | exit ${codes% } | $([ "$codes" = "0 " ] && echo PASS || echo FAIL) |")
    rm -rf "$work/ev"
done

if [ ${#sizes[@]} -ge 2 ]; then
    lo="${sizes[0]}" hi="${sizes[${#sizes[@]} - 1]}"
    for t in sanitize diagnose; do
        a="${rss_size[$t,$profile,$lo]}" b="${rss_size[$t,$profile,$hi]}"
        change="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }')"
        verdict_lines+=("| $profile $lo → $hi | $t peak RSS within 20% | $(div "$a" 1024 %.1f) → $(div "$b" 1024 %.1f) MiB ($change) | $(awk -v a="$a" -v b="$b" 'BEGIN { d = (b - a) / a; if (d < 0) d = -d; print (d <= 0.2 ? "PASS" : "FAIL") }') |")
    done
else
    verdict_lines+=("| $profile | peak RSS within 20% between sizes | needs two sizes | n/a |")
fi
done

echo "### Targets"
echo
echo "| size | target | measured | result |"
echo "|---|---|---|---|"
printf '%s\n' "${verdict_lines[@]}"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
