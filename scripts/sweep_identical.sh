#!/usr/bin/env bash
# The guard of every refactoring: this build's outputs must be byte for byte those of a
# reference build (a commit) over the samples, the corpus and the benchmark capture.
#
#   scripts/sweep_identical.sh [REF]          (default REF: HEAD, i.e. the working tree against
#                                              the last commit)
#   QUICK=1 scripts/sweep_identical.sh main   (samples and corpus only, no 256 MiB capture)
#
# For every input it compares, between the two builds:
#   - `sanitize` under each shipped policy (ticket, strict, review) with a fixed test key: every
#     file of the evidence folder, byte for byte, and the exit status;
#   - `diagnose` (standard output and exit status);
#   - `check` (standard output and exit status).
# The reference is built once per commit by scripts/build_commit.sh. Prints the counts
# compared and every difference; exits 1 on any difference.
#
# Env: PCAPSCRUB_CORPUS (default ../shared/corpus beside the repository), QUICK, SIZE (256M).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

ref="${1:-HEAD}"
ref_sha="$(git rev-parse --verify "$ref^{commit}")" || { echo "not a commit: $ref" >&2; exit 2; }
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin pcapscrub
new_bin="$(realpath "$target_dir/release/pcapscrub")"

ref_bin="$(scripts/build_commit.sh "$ref_sha")"

corpus="${PCAPSCRUB_CORPUS:-$root/../shared/corpus}"
inputs=()
for f in samples/*.pcap samples/*.pcapng samples/paths/*.pcap samples/keylogs/*.pcap \
    samples/keylogs/*.pcapng samples/udp/*.pcap; do
    [ -f "$f" ] && inputs+=("$root/$f")
done
if [ -d "$corpus" ]; then
    for f in "$corpus"/*.pcap "$corpus"/*.pcapng; do
        [ -f "$f" ] && inputs+=("$(realpath "$f")")
    done
elif [ -n "${CI:-}" ]; then
    echo "the corpus is missing ($corpus) and CI is set" >&2
    exit 1
else
    echo "note: no corpus at $corpus; samples only" >&2
fi
if [ -z "${QUICK:-}" ]; then
    inputs+=("$(scripts/bench_capture.sh "${SIZE:-256M}")")
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sweep.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# A test key (never a real one): the mapping must be the same in both builds.
printf '%s' 0d1f2e3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0 >"$work/key"

compared=0
differ=0
report() {
    differ=$((differ + 1))
    echo "DIFFERS: $*"
}

# Runs one command with both builds; compares exit status and standard output, and the folder
# the command writes when it writes one.
both() {
    local label="$1"
    shift
    local v status
    for v in ref new; do
        local exe="$ref_bin"
        [ "$v" = new ] && exe="$new_bin"
        rm -rf "$work/out-$v"
        set +e
        "$exe" "${@//@OUT@/$work/out-$v}" >"$work/stdout-$v" 2>"$work/stderr-$v"
        status=$?
        set -e
        echo "$status" >"$work/status-$v"
    done
    compared=$((compared + 1))
    if ! cmp -s "$work/status-ref" "$work/status-new"; then
        report "$label: exit status $(cat "$work/status-ref") -> $(cat "$work/status-new")"
    fi
    # Standard output names the output folder, which differs between the two runs.
    sed "s#$work/out-ref#OUT#g" "$work/stdout-ref" >"$work/stdout-ref.n"
    sed "s#$work/out-new#OUT#g" "$work/stdout-new" >"$work/stdout-new.n"
    if ! cmp -s "$work/stdout-ref.n" "$work/stdout-new.n"; then
        report "$label: standard output"
        # diff exits 1 when the files differ: under pipefail that ended the whole sweep at
        # the first difference instead of listing them all.
        { diff "$work/stdout-ref.n" "$work/stdout-new.n" || true; } | head -10
    fi
    if [ -d "$work/out-ref" ] || [ -d "$work/out-new" ]; then
        if ! diff -rq "$work/out-ref" "$work/out-new" >"$work/diff" 2>&1; then
            report "$label: evidence folder"
            head -10 "$work/diff"
        fi
    fi
}

echo "## byte-identical sweep: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes') against ${ref_sha:0:12}"
echo "inputs: ${#inputs[@]}"
for input in "${inputs[@]}"; do
    name="$(basename "$input")"
    for policy in ticket strict review; do
        both "$name sanitize -p $policy" sanitize "$input" -o @OUT@ -p "$policy" --key "$work/key"
    done
    both "$name diagnose" diagnose "$input"
    both "$name check" check "$input"
done
echo "compared: $compared runs over ${#inputs[@]} inputs; differing: $differ"
[ "$differ" -eq 0 ] && echo "IDENTICAL" || { echo "NOT IDENTICAL"; exit 1; }
