#!/usr/bin/env bash
# A long fuzz run of one target (at least 10 minutes each for a real run):
#
#   scripts/fuzz_long.sh TARGET SECONDS [extra libFuzzer flags...]
#   e.g. scripts/fuzz_long.sh sanitize_pipeline 600
#
# TARGET: capture_reader, wire_decode, tls_parse, dtls_parse, sanitize_pipeline, quic_initial
# or keylog_parse. Builds like
# scripts/fuzz_smoke.sh (see scripts/fuzz_env.sh), seeds fuzz/corpus/TARGET from the samples,
# then runs one libFuzzer process (the machine has 2 cores shared with others: run the targets
# one after another). The corpus grows in fuzz/corpus/TARGET and is reused by later runs; a
# failing input is written to fuzz/artifacts/TARGET/. Prints libFuzzer's final statistics
# (executions, executions per second). Exit status: libFuzzer's (0 = no failure).
#
# Environment: PCAPSCRUB_FUZZ_NO_VERIFY=1 makes sanitize_pipeline skip its `pcapscrub verify`
# invariant (to hunt for other failures while a known verify failure is open).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=fuzz_env.sh
source scripts/fuzz_env.sh

if [ $# -lt 2 ]; then
    echo "usage: scripts/fuzz_long.sh TARGET SECONDS [libFuzzer flags...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
case " ${FUZZ_TARGETS[*]} " in
*" $target "*) ;;
*)
    echo "unknown target $target (one of: ${FUZZ_TARGETS[*]})" >&2
    exit 2
    ;;
esac

fuzz_build
fuzz_seed
mkdir -p "fuzz/artifacts/$target"
fuzz_scratch
trap 'rm -rf "$PCAPSCRUB_FUZZ_TMPDIR"' EXIT
"$FUZZ_BIN_DIR/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$target/" "$@" "fuzz/corpus/$target"
