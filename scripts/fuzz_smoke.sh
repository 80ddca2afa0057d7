#!/usr/bin/env bash
# Fuzz smoke run for .ci/run: builds the fuzz targets of fuzz/ and runs each for a bounded
# time (FUZZ_SECONDS, default 25 s each: seven targets, 175 s of fuzzing), seeded from the samples.
# Exits non-zero if any target crashes, panics, hangs (10 s per input) or breaks an invariant;
# the input that did it is written under fuzz/artifacts/<target>/ and the panic is printed.
#
# How it builds (see scripts/fuzz_env.sh): no cargo-fuzz, no nightly. The machine has only
# stable Rust, so the fuzz crate is built with plain `cargo build --release --target
# x86_64-unknown-linux-gnu` and the flags cargo-fuzz would pass (SanitizerCoverage for
# libFuzzer, `--cfg fuzzing`, debug assertions and overflow checks); libfuzzer-sys compiles
# libFuzzer with g++. A cold build takes about 2.5 minutes on 2 cores (dependencies come from
# crates.io through fuzz/Cargo.lock); installing cargo-fuzz on every CI run would add its own
# build and still need RUSTC_BOOTSTRAP for its default sanitizer flags.
#
# Targets: FUZZ_TARGETS in scripts/fuzz_env.sh (fuzz/fuzz_targets/).
# Longer runs: scripts/fuzz_long.sh TARGET SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=fuzz_env.sh
source scripts/fuzz_env.sh

seconds=${FUZZ_SECONDS:-25}

echo "== fuzz: build (stable cargo, libFuzzer + SanitizerCoverage)"
fuzz_build
fuzz_seed

logs=$(mktemp -d)
fuzz_scratch
trap 'rm -rf "$logs" "$PCAPSCRUB_FUZZ_TMPDIR"' EXIT
failed=()
for t in "${FUZZ_TARGETS[@]}"; do
    mkdir -p "fuzz/artifacts/$t"
    log="$logs/$t.log"
    if "$FUZZ_BIN_DIR/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" "fuzz/corpus/$t" \
        >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz $t: ok, ${runs:-?} inputs in ${seconds}s (${rate:-?}/s)"
    else
        failed+=("$t")
        echo "fuzz $t: FAILED"
        grep -E -A4 "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" | head -n 40 || tail -n 40 "$log"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} of ${#FUZZ_TARGETS[@]} targets failed: ${failed[*]}"
    echo "reproduce: $FUZZ_BIN_DIR/<target> fuzz/artifacts/<target>/<file>"
    exit 1
fi
echo "fuzz: all ${#FUZZ_TARGETS[@]} targets ran ${seconds}s each without a failure"
