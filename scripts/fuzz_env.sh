# Sourced by scripts/fuzz_smoke.sh and scripts/fuzz_long.sh: how the fuzz targets are built.
#
# No nightly toolchain and no cargo-fuzz: the fuzz crate (fuzz/, a workspace of its own) is
# built with the machine's stable cargo, passing by hand the flags `cargo fuzz build` would
# pass. They are all stable rustc flags: the SanitizerCoverage pass with libFuzzer's feedback
# (8-bit counters, PC table, comparison tracing, stack depth), `--cfg fuzzing`, and debug
# assertions plus overflow checks (an arithmetic overflow is a crash here, as in `cargo test`).
# AddressSanitizer (-Zsanitizer=address) would need a nightly rustc or RUSTC_BOOTSTRAP; the
# crate has no `unsafe` code, so it is left out. `--target` keeps RUSTFLAGS away from build
# scripts and proc macros. libfuzzer-sys compiles libFuzzer itself (needs g++).
#
# The binaries land in fuzz/target/x86_64-unknown-linux-gnu/release/<target>.

FUZZ_TARGETS=(capture_reader wire_decode tls_parse dtls_parse sanitize_pipeline quic_initial keylog_parse)
FUZZ_TRIPLE=x86_64-unknown-linux-gnu
FUZZ_BIN_DIR=fuzz/target/$FUZZ_TRIPLE/release
FUZZ_RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cllvm-args=-sanitizer-coverage-stack-depth \
 --cfg fuzzing -Cdebug-assertions -Coverflow-checks"

fuzz_build() {
    RUSTFLAGS="$FUZZ_RUSTFLAGS" cargo build --locked --release \
        --manifest-path fuzz/Cargo.toml --target "$FUZZ_TRIPLE" --bins
}

# Seed corpora: the committed samples for the targets that read whole captures; corpora live
# in fuzz/corpus/<target> (not committed; grown by every run).
fuzz_seed() {
    bash fuzz/seeds.sh
}

# Scratch files of the harnesses (src/fuzzing.rs) go to a folder of this run, removed at the
# end: an input that panics aborts the process before its scratch files are dropped.
fuzz_scratch() {
    PCAPSCRUB_FUZZ_TMPDIR=$(mktemp -d /dev/shm/pcapscrub-fuzz-run.XXXXXX 2>/dev/null || mktemp -d)
    export PCAPSCRUB_FUZZ_TMPDIR
}
