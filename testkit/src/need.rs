//! What some tests need from outside the repository: the corpus of real captures beside it and
//! tools (tshark, chromium, openssl). When one is missing, the test fails if the `CI`
//! environment variable is set (CI must run everything) and otherwise skips with a note printed
//! past the test harness's output capture, so it is seen even when the test passes.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// The corpus of real captures: `PCAPSCRUB_CORPUS` (as the scripts name it), else the older
/// `PCAPSCRUB_CORPUS_DIR`, else `../shared/corpus` beside the repository.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("PCAPSCRUB_CORPUS")
        .or_else(|| std::env::var_os("PCAPSCRUB_CORPUS_DIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
}

/// The corpus folder when it is there; `None` after [`missing`] otherwise.
pub fn corpus() -> Option<PathBuf> {
    let dir = corpus_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        missing(&format!("the corpus ({})", dir.display()));
        None
    }
}

/// Whether the tool `what` is usable: `probe` (e.g. `tshark --version`) runs and exits 0;
/// [`missing`] otherwise.
pub fn tool(what: &str, probe: &mut Command) -> bool {
    let why = match probe.output() {
        Ok(o) if o.status.success() => return true,
        Ok(o) => format!("{probe:?} exited with {}", o.status),
        Err(e) => format!("cannot run {probe:?}: {e}"),
    };
    missing(&format!(
        "{what} ({why}; install it: apt-get install {what})"
    ));
    false
}

/// The one decision for a missing input `what`: panics when `CI` is set, else prints a note
/// that the test is skipped. Returns so the caller can skip.
pub fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is required when CI is set and is missing"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!! {what} missing: test skipped (CI requires it) !!!!!\n"
    );
}
