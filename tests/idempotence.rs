//! `sanitize` is idempotent: sanitizing a sanitized capture with the same key changes no byte
//! of the capture (file header, record headers, packet data). Every sample (`samples/`) and,
//! when it is there, every capture of the corpus (`testkit::need::corpus_dir`) is sanitized,
//! its output sanitized again, and the two outputs compared byte for byte, under each shipped
//! policy (`strict` scrambles randoms, drops non-TCP traffic and shifts timestamps: all must be
//! fixed points). This is the one idempotence suite; `tests/check_verify.rs` keeps the
//! round trip of a generated capture with more hosts than the documentation ranges hold.
//!
//! The same sweep checks `check`'s round trip (it exits 1 on every raw capture that holds
//! anything sensitive and 0 on every sanitize output, README.md "check"): every input holds
//! addresses, so `check -p POLICY` must exit 1 on it and 0 on its sanitized output.
//!
//! Known exceptions are listed in [`NOT_IDEMPOTENT`] with the reason; none today.

mod fixtures_gen;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The fixed mapping key (≥ 32 bytes) of both runs.
const KEY: &[u8] = b"pcapscrub idempotence test: a fixed 48-byte key!";

/// Inputs whose second sanitization may legitimately differ, and why.
const NOT_IDEMPOTENT: &[(&str, &str)] = &[];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Past the harness's output capture, so the line is seen even when the test passes.
fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| {
                    ["pcap", "pcapng", "cap"]
                        .iter()
                        .any(|e| x.eq_ignore_ascii_case(e))
                })
        })
        .collect();
    v.sort();
    v
}

/// Sanitizes `input` into `outdir`; returns the sanitized capture's path.
fn sanitize(input: &Path, outdir: &Path, key: &Path, policy: &str) -> Result<PathBuf, String> {
    let out = fixtures_gen::command()
        .arg("sanitize")
        .arg(input)
        .arg("-p")
        .arg(policy)
        .arg("-o")
        .arg(outdir)
        .arg("--key")
        .arg(key)
        .output()
        .map_err(|e| format!("cannot run pcapscrub: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "sanitize -p {policy} {} failed: {}",
            input.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let found = std::fs::read_dir(outdir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".sanitized.pcap"))
        });
    found.ok_or_else(|| format!("no sanitized capture in {}", outdir.display()))
}

/// `pcapscrub check -p POLICY FILE`'s exit status and output.
fn check_status(file: &Path, policy: &str) -> (Option<i32>, String) {
    let out = fixtures_gen::command()
        .args(["check", "-p", policy])
        .arg(file)
        .output()
        .expect("run pcapscrub check");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

/// Sanitizes twice; `Err` describes the first difference (or a wrong `check` verdict).
fn check_one(input: &Path, work: &Path, key: &Path, policy: &str) -> Result<(), String> {
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    let (raw, _) = check_status(input, policy);
    if raw != Some(1) {
        return Err(format!(
            "{name}: check -p {policy} on the raw capture exited {raw:?}, expected 1"
        ));
    }
    let first = sanitize(input, &work.join(format!("{name}.{policy}.1")), key, policy)?;
    let (clean, text) = check_status(&first, policy);
    if clean != Some(0) {
        let head: String = text.lines().take(3).collect::<Vec<_>>().join(" | ");
        return Err(format!(
            "{name}: check -p {policy} on the sanitized capture exited {clean:?}: {head}"
        ));
    }
    let second = sanitize(
        &first,
        &work.join(format!("{name}.{policy}.2")),
        key,
        policy,
    )?;
    let (a, b) = (
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
    );
    if a == b {
        return Ok(());
    }
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    Err(format!(
        "{name}: second sanitization (-p {policy}) differs at byte {at} ({} vs {} bytes)",
        a.len(),
        b.len()
    ))
}

/// Runs [`check_one`] over `inputs` under `policy`, on all cores; returns the failures.
fn sweep(inputs: &[PathBuf], policy: &str) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("key");
    std::fs::write(&key, KEY).unwrap();
    let next = Mutex::new(inputs.iter());
    let failures = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .min(8);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let Some(input) = next.lock().unwrap().next() else {
                        break;
                    };
                    let name = input.file_name().unwrap().to_string_lossy().into_owned();
                    if let Err(e) = check_one(input, work.path(), &key, policy) {
                        match NOT_IDEMPOTENT.iter().find(|(n, _)| *n == name) {
                            Some((_, why)) => loud(&format!("known: {e} ({why})")),
                            None => failures.lock().unwrap().push(e),
                        }
                    }
                }
            });
        }
    });
    let mut v = failures.into_inner().unwrap();
    v.sort();
    v
}

/// Sanitizes every sample twice under `policy`.
fn samples_twice(policy: &str) {
    let inputs = captures(&repo_root().join("samples"));
    assert!(!inputs.is_empty(), "no samples found");
    let failures = sweep(&inputs, policy);
    assert!(
        failures.is_empty(),
        "not idempotent:\n{}",
        failures.join("\n")
    );
}

/// Sanitizes every corpus capture twice under `policy` (see `testkit::need` when the corpus
/// is missing).
fn corpus_twice(policy: &str) {
    let Some(dir) = testkit::need::corpus() else {
        return;
    };
    let failures = sweep(&captures(&dir), policy);
    assert!(
        failures.is_empty(),
        "not idempotent:\n{}",
        failures.join("\n")
    );
}

#[test]
fn sanitizing_samples_twice_changes_nothing_ticket() {
    samples_twice("ticket");
}

#[test]
fn sanitizing_samples_twice_changes_nothing_strict() {
    samples_twice("strict");
}

#[test]
fn sanitizing_samples_twice_changes_nothing_review() {
    samples_twice("review");
}

#[test]
fn sanitizing_corpus_twice_changes_nothing_ticket() {
    corpus_twice("ticket");
}

#[test]
fn sanitizing_corpus_twice_changes_nothing_strict() {
    corpus_twice("strict");
}

#[test]
fn sanitizing_corpus_twice_changes_nothing_review() {
    corpus_twice("review");
}
