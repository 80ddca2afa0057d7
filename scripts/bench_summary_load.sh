#!/usr/bin/env bash
# How big the summary of the 1 GiB benchmark capture is and how long a script takes to load it:
# YAML with PyYAML's C loader (`yaml.load(f, Loader=yaml.CSafeLoader)`), JSON with Python's
# json module. Target (issue 20): about a second.
#
#   scripts/bench_summary_load.sh [SIZE]         (default: 1G)
#   RUNS=5 TIMELINE=16 FULL=all scripts/bench_summary_load.sh
#
# The capture is examples/gen_mixed.rs (seed 1), made and cached by scripts/bench_capture.sh.
# It is sanitized once with `--summary-format both` (TIMELINE, if set, is passed as
# `--summary-timeline`, FULL as `--summary-full`); each loader then reads its file RUNS times
# (default 3) and the median is printed, wall and CPU time (the loader's CPU time moves less
# than the wall time when other jobs load the host; neither is exact then). Installs PyYAML
# with pip when it (or its C loader) is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

size="${1:-1G}"
runs="${RUNS:-3}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive number" >&2; exit 2; }

if ! python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null; then
    echo "installing PyYAML (with its C loader) ..." >&2
    python3 -m pip install --quiet PyYAML ||
        python3 -m pip install --quiet --break-system-packages PyYAML
fi

cargo build --release --quiet --bin pcapscrub
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$(realpath "$target_dir/release/pcapscrub")"
file="$(scripts/bench_capture.sh "$size")"
cache="$(dirname "$file")"

work="$(mktemp -d "$cache/summary-load.XXXXXX")"
trap 'rm -rf "$work"' EXIT
extra=()
if [ -n "${TIMELINE:-}" ]; then
    extra+=(--summary-timeline "$TIMELINE")
fi
if [ -n "${FULL:-}" ]; then
    extra+=(--summary-full "$FULL")
fi
echo "capture: $file ($(cat "$file.info"))"
"$bin" sanitize "$file" -o "$work/evidence" --summary-format both "${extra[@]}" >/dev/null

python3 - "$work/evidence" "$runs" <<'PY'
import json, os, statistics, sys, time
import yaml

folder, runs = sys.argv[1], int(sys.argv[2])

def load_yaml(f):
    return yaml.load(f, Loader=yaml.CSafeLoader)

for name, load in (("capture.summary.yaml", load_yaml), ("capture.summary.json", json.load)):
    path = os.path.join(folder, name)
    times, cpu = [], []
    for _ in range(runs):
        with open(path, "rb") as f:
            t0, c0 = time.perf_counter(), time.process_time()
            summary = load(f)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    conns = summary["connections"]
    omitted = sum(1 for c in conns if c.get("timeline_omitted"))
    compact = sum(1 for c in conns if c.get("detail") == "compact")
    print(f"{name}: {os.path.getsize(path) / 1e6:.1f} MB, {len(conns)} connections "
          f"({compact} compact, {omitted} with timeline_omitted), load median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}; CPU median {statistics.median(cpu):.2f} s)")
PY
