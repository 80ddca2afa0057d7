#!/usr/bin/env bash
# Builds pcapscrub as it was at a commit, once, and prints the path of that release binary.
#
#   scripts/build_commit.sh COMMIT
#
# The commit is checked out in a worktree under target/commits/ (ignored by git) and built with
# its own target directory there; a later call for the same commit only prints the path. Used
# by the benchmarks and the byte-identical sweep to compare this build with an earlier one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/build_commit.sh COMMIT" >&2; exit 2; }
sha="$(git rev-parse --verify "$1^{commit}")" || { echo "not a commit: $1" >&2; exit 2; }
tree="$(pwd)/target/commits/${sha:0:12}"
bin="$tree/target/release/pcapscrub"
if [ ! -x "$bin" ]; then
    echo "building ${sha:0:12} in $tree ..." >&2
    rm -rf "$tree"
    git worktree prune
    git worktree add --detach --quiet "$tree" "$sha"
    (cd "$tree" && CARGO_TARGET_DIR="$tree/target" cargo build --release --quiet --bin pcapscrub)
fi
echo "$bin"
