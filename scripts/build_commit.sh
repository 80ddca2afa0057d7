#!/usr/bin/env bash
# Builds pcapscrub as it was at a commit, once, and prints the path of that release binary.
#
#   scripts/build_commit.sh COMMIT
#
# The commit is checked out in a worktree under the main worktree's target/commits/ (ignored by
# git; PCAPSCRUB_COMMITS_DIR names another place) and built with its own target directory
# there; a later call for the same commit, from any worktree, only prints the path. Used
# by the benchmarks and the byte-identical sweep to compare this build with an earlier one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/build_commit.sh COMMIT" >&2; exit 2; }
sha="$(git rev-parse --verify "$1^{commit}")" || { echo "not a commit: $1" >&2; exit 2; }
# One cache for every worktree of the repository (beside the main worktree's target/), so
# that worktrees sweeping against the same commit build it once; a lock per commit makes the
# second caller wait for the first one's build instead of racing it.
common="$(cd "$(git rev-parse --git-common-dir)" && pwd)"
cache="${PCAPSCRUB_COMMITS_DIR:-$(dirname "$common")/target/commits}"
mkdir -p "$cache"
tree="$cache/${sha:0:12}"
bin="$tree/target/release/pcapscrub"
exec 9>"$cache/.lock-${sha:0:12}"
flock 9
if [ ! -x "$bin" ]; then
    echo "building ${sha:0:12} in $tree ..." >&2
    rm -rf "$tree"
    git worktree prune
    git worktree add --detach --quiet "$tree" "$sha"
    (cd "$tree" && CARGO_TARGET_DIR="$tree/target" cargo build --release --quiet --bin pcapscrub)
fi
echo "$bin"
