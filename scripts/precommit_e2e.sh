#!/usr/bin/env bash
# End-to-end test of the pre-commit hook this repository ships (.pre-commit-hooks.yaml,
# id `pcapscrub-check`) with the real pre-commit framework:
#
#   1. installs pre-commit from PyPI into a throw-away venv (python3 -m venv);
#   2. creates a temporary git repository that uses this checkout as a hook repository
#      (.pre-commit-config.yaml: `repo: <this checkout>`, `rev: <its HEAD>`), installs the git
#      hook (`pre-commit install`) and makes real commits:
#        - a raw sample capture      -> `git commit` is BLOCKED (non-zero, output names the hook)
#        - the raw capture gzip-compressed as capture.pcap.gz, renamed capture.bin, and named
#          with spaces ("acme corp capture.pcap")                       -> each BLOCKED
#        - a sanitized capture and a text file                        -> `git commit` PASSES
#   2b. installs the plain git hook proposed for the README (no framework: it pipes each staged
#      blob, `git show :PATH`, into `pcapscrub check -`) and makes the same commits with it,
#      plus a raw capture staged and then overwritten in the working copy by a sanitized one
#      (the staged blob is what is committed, so it must be blocked);
#   3. runs `pre-commit try-repo <this checkout> pcapscrub-check` on the raw and the sanitized
#      capture (the way hook authors test a hook repository) with the same expectations.
#
# pre-commit builds the hook with `cargo install --path .` in its own clone of the repository.
# CARGO_TARGET_DIR points at target/precommit-e2e inside this checkout, so the dependencies are
# compiled once and reused by every later build and run (only pcapscrub itself is rebuilt).
#
# Which revision is tested:
#   * the installed-hook commits (step 2) build the committed revision PCAPSCRUB_REF (default:
#     HEAD of this checkout); uncommitted work is NOT included;
#   * try-repo (step 3) without PCAPSCRUB_REF includes uncommitted changes to tracked files
#     (pre-commit makes a shadow commit of them); untracked files are not included. With
#     PCAPSCRUB_REF set, try-repo gets `--ref PCAPSCRUB_REF` and builds exactly that commit.
#
# Network: PyPI (pip install pre-commit) and crates.io (cargo install resolves the dependencies).
# Prints PASS/FAIL per check and the time of each step; exits non-zero when any check fails.
#
#   scripts/precommit_e2e.sh
#   PCAPSCRUB_REF=<commit> scripts/precommit_e2e.sh
#   TRY_REPO=0 scripts/precommit_e2e.sh    (skip step 3: two fewer builds, about 2.5 min less)
#   KEEP=1 scripts/precommit_e2e.sh        (keep the temporary folder for inspection)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
hook_id="pcapscrub-check"
sample="$repo/samples/tls12-complete.pcap"

# A hook may call this script: do not let an outer git's environment leak into ours.
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_PREFIX SKIP \
    PRE_COMMIT PRE_COMMIT_ALLOW_NO_CONFIG 2>/dev/null || true

work="$(mktemp -d "${TMPDIR:-/tmp}/precommit-e2e.XXXXXX")"
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

export PRE_COMMIT_HOME="$work/pre-commit-home"
export CARGO_TARGET_DIR="${PRECOMMIT_E2E_TARGET_DIR:-$repo/target/precommit-e2e}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$CARGO_TARGET_DIR"

failures=0
pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
t_script=$SECONDS
t_step=$SECONDS
step() {
    local now=$SECONDS
    echo "   ($((now - t_step)) s)"
    t_step=$now
    echo "== $*"
}
# Shows the last lines of a log, indented.
show() { tail -n "${2:-25}" "$1" | sed 's/^/   | /'; }

echo "== repository: $repo"
rev="${PCAPSCRUB_REF:-$(git -C "$repo" rev-parse HEAD)}"
echo "   hook revision for the installed-hook commits: $rev"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    echo "   note: $repo has uncommitted changes to tracked files; the installed-hook commits" \
        "test $rev without them${PCAPSCRUB_REF:+, and so does try-repo}"
fi
if ! git -C "$repo" cat-file -e "$rev:.pre-commit-hooks.yaml" 2>/dev/null; then
    echo "FAIL: $rev has no .pre-commit-hooks.yaml (commit it first)"
    exit 1
fi

# ---------------------------------------------------------------------------------------------
step "installing pre-commit into a throw-away venv"
python3 -m venv "$work/venv"
if ! "$work/venv/bin/pip" install --quiet pre-commit >"$work/pip.log" 2>&1; then
    show "$work/pip.log"
    echo "FAIL: pip install pre-commit"
    exit 1
fi
export PATH="$work/venv/bin:$PATH"
echo "   $(pre-commit --version)"

# ---------------------------------------------------------------------------------------------
step "creating a temporary git repository that uses pcapscrub-check"
proj="$work/project"
git init --quiet "$proj"
cd "$proj"
git config user.name "pcapscrub e2e"
git config user.email "e2e@example.invalid"
git config commit.gpgsign false
cat >.pre-commit-config.yaml <<EOF
repos:
  - repo: $repo
    rev: $rev
    hooks:
      - id: $hook_id
EOF
echo "readme" >README
git add README .pre-commit-config.yaml
git commit --quiet --no-verify -m "start"
pre-commit install >/dev/null
commits_before=$(git rev-list --count HEAD)

# ---------------------------------------------------------------------------------------------
step "git commit of a raw capture (pre-commit builds the hook with cargo install on first use)"
mkdir -p captures
cp "$sample" captures/raw.pcap
git add captures/raw.pcap
set +e
git commit -m "add a raw capture" >"$work/commit-raw.log" 2>&1
rc=$?
set -e
show "$work/commit-raw.log" 20
if [ $rc -ne 0 ] && [ "$(git rev-list --count HEAD)" = "$commits_before" ] \
    && grep -q "$hook_id" "$work/commit-raw.log" && grep -q 'raw.pcap:[0-9]*: sni: ' "$work/commit-raw.log"; then
    pass "commit of a raw capture is blocked by $hook_id (exit $rc)"
else
    fail "commit of a raw capture was not blocked as expected (exit $rc; see above)"
fi
if grep -q 'api.pcapscrub-test.example\|10\.77\.0\.' "$work/commit-raw.log"; then
    fail "the hook's output prints a secret of the raw capture in full"
else
    pass "the hook's output masks the capture's secrets"
fi
git reset --quiet
rm captures/raw.pcap

# Commits FILE (in the work tree; `git add`ed here unless the fourth argument is `staged`) and
# expects the hook to block it, naming the file in a finding. DESC says what the file is.
expect_blocked() {
    local desc="$1" file="$2" log="$work/commit-$3.log"
    # `staged`: FILE is staged already (its working copy may differ).
    [ "${4:-}" = staged ] || git add -- "$file"
    set +e
    git commit -m "add $desc" >"$log" 2>&1
    local rc=$?
    set -e
    show "$log" 6
    if [ $rc -ne 0 ] && [ "$(git rev-list --count HEAD)" = "$commits_before" ] \
        && grep -qF -- "$file:" "$log" && grep -q ': sni: ' "$log"; then
        pass "commit of $desc is blocked (exit $rc)"
    else
        fail "commit of $desc was not blocked as expected (exit $rc; see above)"
    fi
    git reset --quiet
    rm -f -- "$file"
}

# ---------------------------------------------------------------------------------------------
step "git commit of the raw capture gzip-compressed, renamed, and with spaces in its name"
gzip -c "$sample" >captures/capture.pcap.gz
expect_blocked "a raw capture.pcap.gz" captures/capture.pcap.gz gz
cp "$sample" captures/capture.bin
expect_blocked "a raw capture renamed capture.bin" captures/capture.bin bin
cp "$sample" "captures/acme corp capture.pcap"
expect_blocked "a raw capture named with spaces" "captures/acme corp capture.pcap" space

# The hook's own build of pcapscrub sanitizes the sample: the same revision as the hook.
bin="$(find "$PRE_COMMIT_HOME" -type f -path '*/rustenv-*/bin/pcapscrub' | head -n 1)"
if [ -z "$bin" ]; then
    echo "FAIL: no pcapscrub built by pre-commit under $PRE_COMMIT_HOME"
    exit 1
fi
head -c 32 /dev/urandom >"$work/key"
"$bin" sanitize "$sample" -o "$work/evidence" --key "$work/key" >/dev/null
# Found by suffix: the evidence's file names do not follow the input's.
sanitized_file="$(find "$work/evidence" -name '*.sanitized.pcap' | head -n 1)"
cp "$sanitized_file" captures/sanitized.pcap
echo "10.77.0.1 is the client" >captures/notes.txt

# ---------------------------------------------------------------------------------------------
step "git commit of a sanitized capture"
git add captures/sanitized.pcap captures/notes.txt
set +e
git commit -m "add a sanitized capture" >"$work/commit-clean.log" 2>&1
rc=$?
set -e
show "$work/commit-clean.log" 10
if [ $rc -eq 0 ] && [ "$(git rev-list --count HEAD)" = $((commits_before + 1)) ] \
    && grep -q 'pcapscrub check.*Passed' "$work/commit-clean.log"; then
    pass "commit of a sanitized capture passes $hook_id"
else
    fail "commit of a sanitized capture did not pass (exit $rc; see above)"
fi

# ---------------------------------------------------------------------------------------------
step "the README's plain git hook (no framework): staged blobs through \`pcapscrub check -\`"
plain="$work/plain"
git init --quiet "$plain"
cd "$plain"
git config user.name "pcapscrub e2e"
git config user.email "e2e@example.invalid"
git config commit.gpgsign false
echo "readme" >README
git add README
git commit --quiet --no-verify -m "start"
# The hook exactly as README.md shows it: taken from there, so the two cannot drift apart.
sed -n '/^#!\/usr\/bin\/env bash$/,/^exit \$status$/p' "$repo/README.md" >.git/hooks/pre-commit
grep -q 'pcapscrub check -' .git/hooks/pre-commit || {
    echo "FAIL: the plain git hook was not found in README.md" >&2
    exit 1
}
chmod +x .git/hooks/pre-commit
export PATH="$(dirname "$bin"):$PATH"
commits_before=$(git rev-list --count HEAD)
mkdir -p captures
gzip -c "$sample" >captures/capture.pcap.gz
expect_blocked "a raw capture.pcap.gz (plain hook)" captures/capture.pcap.gz plain-gz
cp "$sample" captures/capture.bin
expect_blocked "a raw capture renamed capture.bin (plain hook)" captures/capture.bin plain-bin
cp "$sample" "captures/acme corp capture.pcap"
expect_blocked "a raw capture named with spaces (plain hook)" "captures/acme corp capture.pcap" plain-space
# Staged raw, working copy then replaced by the sanitized capture: the staged blob counts.
cp "$sample" captures/staged.pcap
git add captures/staged.pcap
cp "$sanitized_file" captures/staged.pcap
expect_blocked "a raw capture staged, then overwritten in the working copy (plain hook)" \
    captures/staged.pcap plain-staged staged
cp "$sanitized_file" "captures/clean capture.pcap"
echo "10.77.0.1 is the client" >captures/notes.txt
git add "captures/clean capture.pcap" captures/notes.txt
set +e
git commit -m "add a sanitized capture" >"$work/commit-plain-clean.log" 2>&1
rc=$?
set -e
show "$work/commit-plain-clean.log" 6
if [ $rc -eq 0 ] && [ "$(git rev-list --count HEAD)" = $((commits_before + 1)) ]; then
    pass "plain hook: commit of a sanitized capture and a text file passes"
else
    fail "plain hook: commit of a sanitized capture did not pass (exit $rc; see above)"
fi
cd "$proj"

# Prints the verdict and exits.
finish() {
    step "done$1"
    echo "total: $((SECONDS - t_script)) s"
    if [ $failures -ne 0 ]; then
        echo "FAIL: $failures check(s) failed"
        exit 1
    fi
    echo "PASS: all pre-commit checks"
    exit 0
}

if [ "${TRY_REPO:-1}" = 0 ]; then
    finish " (try-repo skipped: TRY_REPO=0)"
fi

# ---------------------------------------------------------------------------------------------
step "pre-commit try-repo $repo $hook_id on a raw capture (builds the hook again)"
try_ref=()
if [ -n "${PCAPSCRUB_REF:-}" ]; then
    try_ref=(--ref "$PCAPSCRUB_REF")
fi
cp "$sample" captures/raw.pcap
git add captures/raw.pcap
set +e
pre-commit try-repo "$repo" "$hook_id" "${try_ref[@]}" --files captures/raw.pcap \
    >"$work/try-raw.log" 2>&1
rc=$?
set -e
show "$work/try-raw.log" 20
if [ $rc -ne 0 ] && grep -q "$hook_id" "$work/try-raw.log" \
    && grep -q 'raw.pcap:[0-9]*: sni: ' "$work/try-raw.log"; then
    pass "try-repo: $hook_id fails on a raw capture (exit $rc)"
else
    fail "try-repo: $hook_id did not fail on a raw capture (exit $rc; see above)"
fi

step "pre-commit try-repo $repo $hook_id on a sanitized capture"
set +e
pre-commit try-repo "$repo" "$hook_id" "${try_ref[@]}" --files captures/sanitized.pcap \
    >"$work/try-clean.log" 2>&1
rc=$?
set -e
show "$work/try-clean.log" 6
if [ $rc -eq 0 ] && grep -q 'pcapscrub check.*Passed' "$work/try-clean.log"; then
    pass "try-repo: $hook_id passes on a sanitized capture"
else
    fail "try-repo: $hook_id did not pass on a sanitized capture (exit $rc; see above)"
fi

finish ""
