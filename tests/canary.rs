//! The canary scan through the real binary: a deliberate leak (a test-only hook that undoes one
//! redaction) is refused by `sanitize` with exit 2 and nothing left behind, and reported by
//! `check` as a `leak`; clean inputs sanitize with no canary hit under every built-in policy.

mod common;
mod fixtures_gen;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SKIP_ENV: &str = "PCAPSCRUB_TEST_SKIP_REDACTION";
const POLICIES: [&str; 3] = ["ticket", "strict", "review"];
/// The SNI of the TLS samples (what the hook leaks).
const SAMPLE_SNI: &str = "api.pcapscrub-test.example";

fn sample(name: &str) -> PathBuf {
    common::repo_root().join("samples").join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = common::work_dir().join("canary").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn sanitize(input: &Path, out: &Path, policy: &str, skip: Option<&str>) -> Output {
    let mut cmd = Command::new(common::pcapscrub_bin());
    cmd.arg("sanitize")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(["-p", policy])
        .env_remove(SKIP_ENV);
    if let Some(kind) = skip {
        cmd.env(SKIP_ENV, kind);
    }
    cmd.output().expect("cannot run pcapscrub")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The injected leak is refused: exit 2, one sentence naming the kind and the packet (never
/// the name), and the folder the run would have created does not exist.
#[test]
fn an_injected_sni_leak_is_refused_and_nothing_is_left() {
    for policy in POLICIES {
        let out = scratch(&format!("sni-{policy}")).join("evidence");
        let o = sanitize(
            &sample("tls13-complete.pcap"),
            &out,
            policy,
            Some("sni_names"),
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{policy}: {err}");
        assert!(
            err.contains(
                "refusing to write the evidence: a host name seen in the input survived in the sanitized capture at packet 6 (canary scan)"
            ),
            "{policy}: {err}"
        );
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{policy}: one sentence: {err}"
        );
        assert!(!err.contains(SAMPLE_SNI), "{policy}: the secret is printed");
        assert!(!out.exists(), "{policy}: {} was left behind", out.display());
        assert!(
            entries(out.parent().unwrap()).is_empty(),
            "{policy}: temporary files left next to the folder"
        );
    }
}

/// Into a folder that already exists (empty), the refusal leaves it empty: no evidence and no
/// `.pcapscrub-*` temporary file.
#[test]
fn an_injected_leak_leaves_an_existing_folder_empty() {
    let out = scratch("existing");
    let o = sanitize(
        &sample("tls12-complete.pcap"),
        &out,
        "ticket",
        Some("sni_names"),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("(canary scan)"), "{}", stderr(&o));
    assert_eq!(entries(&out), Vec::<String>::new());
}

/// A certificate left as it was gives its names away: refused too (the certificate's names
/// are collected from the original the redactor replaced).
#[test]
fn an_injected_certificate_leak_is_refused() {
    let out = scratch("certificate").join("evidence");
    let o = sanitize(
        &sample("tls12-complete.pcap"),
        &out,
        "ticket",
        Some("certificates"),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("refusing to write the evidence: a ") && err.contains("(canary scan)"),
        "{err}"
    );
    assert!(!out.exists());
}

/// A hook naming a kind the policy keeps changes nothing: `sni: keep` exempts names, so undoing
/// a redaction that never happened is no leak.
#[test]
fn the_hook_is_inert_for_what_the_policy_keeps() {
    let dir = scratch("keep");
    let policy = dir.join("keep-sni.yaml");
    let text = fs::read_to_string(common::repo_root().join("policies/ticket.yaml")).unwrap();
    let text = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("sni:") {
                "sni: keep".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("sni: keep"),
        "the ticket policy has an sni knob"
    );
    fs::write(&policy, text).unwrap();
    let out = dir.join("evidence");
    let o = sanitize(
        &sample("tls13-complete.pcap"),
        &out,
        policy.to_str().unwrap(),
        Some("sni_names"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `check` on the raw capture with the hook: the leak is a finding of its own kind, first.
#[test]
fn check_reports_an_injected_leak() {
    let o = Command::new(common::pcapscrub_bin())
        .arg("check")
        .arg(sample("tls13-complete.pcap"))
        .env(SKIP_ENV, "sni_names")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}{}", stderr(&o));
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.ends_with(":6: leak: a host name would survive sanitizing (canary scan)"),
        "{text}"
    );
    assert!(!text.contains(SAMPLE_SNI), "{text}");
    // Without the hook the same capture has no leak.
    let o = Command::new(common::pcapscrub_bin())
        .arg("check")
        .arg(sample("tls13-complete.pcap"))
        .env_remove(SKIP_ENV)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains(": leak:"), "{text}");
}

/// No canary hit on any sample nor, when present, on the corpus, under every built-in policy:
/// the scan gives no false positive, and a hit here is a real leak to fix.
#[test]
fn samples_and_corpus_sanitize_without_a_canary_hit() {
    let mut inputs: Vec<PathBuf> = fs::read_dir(common::repo_root().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pcap"))
        .collect();
    if common::corpus_present() {
        inputs.extend(
            fs::read_dir(common::corpus_dir())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.to_string_lossy().contains(".pcap")),
        );
    }
    inputs.sort();
    assert!(inputs.len() >= 10, "samples are missing");
    let jobs: Vec<(PathBuf, &str)> = inputs
        .iter()
        .flat_map(|i| POLICIES.map(|p| (i.clone(), p)))
        .collect();
    let failures: Vec<String> = common::par_map(&jobs, |(input, policy)| {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let out = scratch(&format!("sweep-{name}-{policy}")).join("evidence");
        let o = sanitize(input, &out, policy, None);
        let err = stderr(&o);
        (o.status.code() != Some(0) || err.contains("(canary scan)"))
            .then(|| format!("{name} under {policy}: {}", err.trim()))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Our own placeholders are no secret: a sanitized capture with a CertificateRequest (its CA
/// names became placeholder names, which the redactor writes again unchanged) sanitizes again
/// and checks with no canary hit.
#[test]
fn a_sanitized_capture_gives_no_canary_hit_when_sanitized_again() {
    for policy in POLICIES {
        let first = scratch(&format!("again-{policy}")).join("first");
        let o = sanitize(&sample("tls12-client-cert.pcap"), &first, policy, None);
        assert_eq!(o.status.code(), Some(0), "{policy}: {}", stderr(&o));
        let capture = fs::read_dir(&first)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains(".sanitized.pcap"))
            .expect("a sanitized capture");
        let second = first.with_file_name("second");
        let o = sanitize(&capture, &second, policy, None);
        assert_eq!(o.status.code(), Some(0), "{policy}: {}", stderr(&o));
        let o = Command::new(common::pcapscrub_bin())
            .args(["check", "-p", policy])
            .arg(&capture)
            .env_remove(SKIP_ENV)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(!text.contains(": leak:"), "{policy}: {text}");
    }
}
