//! `--keylog` (SPEC 9.2) on the real captures of `samples/keylogs/` (made by
//! `samples/make-keylogs.sh` with curl, openssl and gnutls-cli writing their key logs): with
//! the key log the diagnosis names the encrypted alert and reads TLS 1.3 certificates; without
//! it nothing changes; a wrong key log only adds counts; and nothing of the key log, nor any
//! certificate string it opened, reaches any output.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

/// Encrypted Client Hello, on captures built in the test.
#[path = "keylogs/ech.rs"]
mod ech;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pcapscrub")
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/keylogs")
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    let out = std::process::Command::new(bin())
        .args(args)
        .output()
        .expect("run pcapscrub");
    assert!(
        out.status.success(),
        "pcapscrub {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `diagnose --format json` of a capture, with the key logs given.
fn diagnose(capture: &Path, keylogs: &[&Path]) -> (Value, Output) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["diagnose".as_ref(), "--format".as_ref()];
    args.push("json".as_ref());
    for k in keylogs {
        args.push("--keylog".as_ref());
        args.push(k.as_os_str());
    }
    args.push(capture.as_os_str());
    let out = run(&args);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    (report, out)
}

fn connection(report: &Value) -> &Value {
    let list = report["connections"].as_array().expect("connections");
    assert_eq!(list.len(), 1, "one connection per sample");
    &list[0]
}

/// The alert that decides, as (sender, description, code, decrypted).
type Named = (&'static str, &'static str, u64, bool);

struct Sample {
    name: &'static str,
    /// The verdict without the key log (what the tool said before key logs).
    without: &'static str,
    with: &'static str,
    alert: Option<Named>,
    tls13: bool,
}

const SAMPLES: &[Sample] = &[
    Sample {
        name: "tls13-client-cert-missing",
        without: "handshake_complete",
        with: "server_alert",
        alert: Some(("server", "certificate_required", 116, true)),
        tls13: true,
    },
    Sample {
        name: "tls13-client-cert-rejected",
        without: "handshake_complete",
        with: "server_alert",
        alert: Some(("server", "unknown_ca", 48, true)),
        tls13: true,
    },
    Sample {
        name: "tls13-server-cert-rejected",
        without: "client_alert",
        with: "client_alert",
        // openssl sends this one before its own keys are in force: in plaintext.
        alert: Some(("client", "unknown_ca", 48, false)),
        tls13: true,
    },
    Sample {
        name: "tls13-server-cert-rejected-gnutls",
        without: "client_aborted",
        with: "client_alert",
        alert: Some(("client", "bad_certificate", 42, true)),
        tls13: true,
    },
    Sample {
        name: "tls13-complete",
        without: "handshake_complete",
        with: "handshake_complete",
        alert: None,
        tls13: true,
    },
    Sample {
        name: "tls13-hrr",
        without: "handshake_complete",
        with: "handshake_complete",
        alert: None,
        tls13: true,
    },
    Sample {
        name: "tls12-gcm",
        without: "handshake_complete",
        with: "handshake_complete",
        alert: None,
        tls13: false,
    },
    Sample {
        name: "tls12-cbc",
        without: "handshake_complete",
        with: "handshake_complete",
        alert: None,
        tls13: false,
    },
];

fn paths(s: &Sample) -> (PathBuf, PathBuf) {
    let dir = samples();
    (
        dir.join(format!("{}.pcap", s.name)),
        dir.join(format!("{}.keys", s.name)),
    )
}

fn alert_named(c: &Value, (from, desc, code, decrypted): Named) -> bool {
    c["tls"]["alerts"].as_array().is_some_and(|alerts| {
        alerts.iter().any(|a| {
            a["from"] == from
                && a["description"] == desc
                && a["code"] == code
                && a["decrypted"].as_bool().unwrap_or(false) == decrypted
        })
    })
}

#[test]
fn each_sample_is_named_with_its_key_log_and_unchanged_without() {
    for s in SAMPLES {
        let (capture, keys) = paths(s);
        let (without, _) = diagnose(&capture, &[]);
        let c = connection(&without);
        assert_eq!(c["verdict"], s.without, "{} without its key log", s.name);
        assert!(c["tls"].get("decrypted").is_none(), "{}", s.name);
        assert!(without.get("keylog").is_none());

        let (with, out) = diagnose(&capture, &[&keys]);
        let c = connection(&with);
        assert_eq!(c["verdict"], s.with, "{} with its key log", s.name);
        assert_eq!(c["tls"]["decrypted"], true, "{}", s.name);
        if let Some(named) = s.alert {
            assert!(
                alert_named(c, named),
                "{}: {:?} in {}",
                s.name,
                named,
                c["tls"]["alerts"]
            );
            let explanation = c["explanation"].as_str().unwrap_or_default();
            assert!(explanation.contains(named.1), "{}: {explanation}", s.name);
        }
        // The server's chain: TLS 1.3 encrypts it, the key log reads it like TLS 1.2's.
        let certs = c["tls"]["server_certificates"].as_array().expect("list");
        assert!(!certs.is_empty(), "{}: no certificate facts", s.name);
        assert_eq!(certs[0]["key_type"], "RSA", "{}", s.name);
        assert_eq!(
            c["tls"]["server_chain"]["leaf_matches_sni"], true,
            "{}",
            s.name
        );
        let tally = &with["keylog"];
        assert_eq!(tally["matched"], tally["lines"], "{}: {tally}", s.name);
        assert_eq!(
            (&tally["unmatched"], &tally["failed"]),
            (&0.into(), &0.into())
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("matched a connection"),
            "{}: {stderr}",
            s.name
        );
        if s.tls13 {
            let events: Vec<&str> = c["timeline"]
                .as_array()
                .expect("timeline")
                .iter()
                .filter_map(|e| e["event"].as_str())
                .collect();
            for wanted in ["EncryptedExtensions", "CertificateVerify", "Finished"] {
                assert!(events.contains(&wanted), "{}: {events:?}", s.name);
            }
        }
    }
}

#[test]
fn hints_name_the_cause() {
    let hint = |name: &str| {
        let s = SAMPLES.iter().find(|s| s.name == name).expect("sample");
        let (capture, keys) = paths(s);
        let (r, _) = diagnose(&capture, &[&keys]);
        connection(&r)["hint"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        hint("tls13-client-cert-missing")
            .contains("the server requires a client certificate and none was sent")
    );
    assert!(
        hint("tls13-client-cert-rejected")
            .contains("the server does not trust the issuer of the client's certificate")
    );
    assert!(
        hint("tls13-server-cert-rejected-gnutls").contains("rejected the server's certificate")
    );
    // Without the key log, the explanation says what a key log would add.
    let s = &SAMPLES[3];
    let (r, _) = diagnose(&paths(s).0, &[]);
    assert!(
        connection(&r)["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("--keylog"))
    );
}

#[test]
fn embedded_secrets_block_is_read_and_dropped() {
    let capture = samples().join("tls13-complete-dsb.pcapng");
    let (r, _) = diagnose(&capture, &[]);
    let c = connection(&r);
    assert_eq!(c["verdict"], "handshake_complete");
    assert_eq!(c["tls"]["decrypted"], true);
    assert!(
        c["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("both Finished messages read with the key log"))
    );
    assert_eq!(r["keylog"]["matched"], 4);
}

/// Every way a byte string of the key log could be written.
fn forms(bytes: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        bytes.to_vec(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
    ]
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// The client randoms and secrets of a key log.
fn key_material(keys: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(keys).expect("key log");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [_, random, secret] = fields[..] {
            out.extend(unhex(random));
            out.extend(unhex(secret));
        }
    }
    assert!(!out.is_empty(), "{} holds no secret", keys.display());
    out
}

/// Lines with a label the tool uses (EXPORTER_SECRET and the like are ignored).
fn used_lines(keys: &Path) -> u64 {
    let used = [
        "CLIENT_RANDOM ",
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
        "CLIENT_TRAFFIC_SECRET_0 ",
        "SERVER_TRAFFIC_SECRET_0 ",
    ];
    let text = std::fs::read_to_string(keys).expect("key log");
    text.lines()
        .filter(|l| used.iter().any(|u| l.starts_with(u)))
        .count() as u64
}

/// Names the test PKI of `samples/make-keylogs.sh` put in the certificates.
const CERTIFICATE_STRINGS: &[&str] = &[
    "pcapscrub TEST material - not for production",
    "pcapscrub Test ca CA",
    "pcapscrub Test other CA",
    "api.pcapscrub-test.example",
    "client.pcapscrub-test.example",
    "stranger.pcapscrub-test.example",
];

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The sanitized capture of an evidence folder.
fn capture_of(dir: &Path) -> Vec<u8> {
    files_under(dir)
        .into_iter()
        .find(|p| p.to_string_lossy().contains(".sanitized.pcap"))
        .map(|p| std::fs::read(p).expect("capture"))
        .expect("a sanitized capture")
}

fn sanitize(capture: &Path, outdir: &Path, key: &Path, keylog: Option<&Path>) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "sanitize".as_ref(),
        "-p".as_ref(),
        "strict".as_ref(),
        "--key".as_ref(),
        key.as_os_str(),
        "-o".as_ref(),
        outdir.as_os_str(),
    ];
    if let Some(k) = keylog {
        args.push("--keylog".as_ref());
        args.push(k.as_os_str());
    }
    args.push(capture.as_os_str());
    run(&args)
}

#[test]
fn nothing_of_the_key_log_reaches_any_output() {
    let work = tempfile::tempdir().expect("tempdir");
    let key = work.path().join("mapping.key");
    std::fs::write(&key, [7u8; 32]).expect("key file");
    let mut cases: Vec<(String, PathBuf, PathBuf)> = SAMPLES
        .iter()
        .map(|s| {
            let (c, k) = paths(s);
            (s.name.to_string(), c, k)
        })
        .collect();
    // The embedded secrets are those of tls13-complete.
    cases.push((
        "dsb".into(),
        samples().join("tls13-complete-dsb.pcapng"),
        samples().join("tls13-complete.keys"),
    ));
    for (name, capture, keys) in &cases {
        let plain = work.path().join(format!("{name}-plain"));
        let keyed = work.path().join(format!("{name}-keyed"));
        sanitize(capture, &plain, &key, None);
        let out_keyed = sanitize(capture, &keyed, &key, Some(keys));
        // The sanitized capture is byte-identical with and without the key log.
        assert_eq!(capture_of(&plain), capture_of(&keyed), "{name}");
        let summary = files_under(&keyed)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(".summary.yaml"))
            .map(|p| std::fs::read_to_string(p).expect("summary"))
            .expect("summary");
        assert!(summary.contains("decrypted: true"), "{name}");
        // `verify` accepts the evidence with its new facts.
        run(&["verify".as_ref(), keyed.as_os_str()]);
        let sanitized_view = run(&[
            "diagnose".as_ref(),
            "--sanitized".as_ref(),
            "--key".as_ref(),
            key.as_os_str(),
            "--keylog".as_ref(),
            keys.as_os_str(),
            capture.as_os_str(),
        ]);
        let (_, plain_view) = diagnose(capture, &[keys]);
        let mut outputs: Vec<(String, Vec<u8>)> = files_under(&keyed)
            .into_iter()
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("output")))
            .collect();
        for (what, out) in [
            ("sanitize", &out_keyed),
            ("diagnose --sanitized", &sanitized_view),
        ] {
            outputs.push((format!("{what} stdout"), out.stdout.clone()));
            outputs.push((format!("{what} stderr"), out.stderr.clone()));
        }
        let secrets: Vec<Vec<u8>> = key_material(keys).iter().flat_map(|m| forms(m)).collect();
        let mut with_real_names = outputs.clone();
        with_real_names.push(("diagnose stdout".into(), plain_view.stdout.clone()));
        with_real_names.push(("diagnose stderr".into(), plain_view.stderr.clone()));
        for (what, bytes) in &with_real_names {
            for s in &secrets {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == &s[..]),
                    "{name}: key material in {what}"
                );
            }
        }
        for (what, bytes) in &outputs {
            for s in CERTIFICATE_STRINGS {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "{name}: certificate string {s:?} in {what}"
                );
            }
        }
    }
}

/// The key log with each line's random or secret changed, or garbage added.
fn altered(keys: &Path, dir: &Path, how: &str) -> PathBuf {
    let text = std::fs::read_to_string(keys).expect("key log");
    let mut lines = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match (how, &fields[..]) {
            ("other randoms", [label, random, secret]) if !line.starts_with('#') => {
                lines.push(format!("{label} {} {secret}", flip(random)))
            }
            ("corrupted secrets", [label, random, secret]) if !line.starts_with('#') => {
                lines.push(format!("{label} {random} {}", flip(secret)))
            }
            _ => lines.push(line.to_string()),
        }
    }
    if how == "garbage" {
        lines.insert(0, "CLIENT_RANDOM 00zz not-hex".into());
        lines.push("\u{1}\u{2} nonsense with SECRET_WORD".into());
    }
    let path = dir.join(format!("{}.keys", how.replace(' ', "-")));
    std::fs::write(&path, lines.join("\n")).expect("write");
    path
}

/// The hex text with its first digit changed.
fn flip(hex: &str) -> String {
    let first = if hex.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &hex[1..])
}

#[test]
fn a_wrong_key_log_gives_todays_result_and_its_counts() {
    let work = tempfile::tempdir().expect("tempdir");
    for s in SAMPLES {
        let (capture, keys) = paths(s);
        let (without, _) = diagnose(&capture, &[]);
        let lines = used_lines(&keys);
        for how in ["other randoms", "corrupted secrets", "garbage"] {
            let dir = work.path().join(s.name);
            std::fs::create_dir_all(&dir).expect("dir");
            let wrong = altered(&keys, &dir, how);
            let (report, out) = diagnose(&capture, &[&wrong]);
            let tally = &report["keylog"];
            match how {
                "other randoms" => {
                    assert_eq!(report["connections"], without["connections"], "{}", s.name);
                    assert_eq!(
                        (&tally["matched"], &tally["unmatched"]),
                        (&0.into(), &lines.into())
                    );
                }
                "corrupted secrets" => {
                    assert_eq!(report["connections"], without["connections"], "{}", s.name);
                    assert_eq!(tally["matched"], lines, "{}", s.name);
                    assert_eq!(tally["failed"], lines, "{}: {tally}", s.name);
                }
                _ => {
                    // The good lines still work; the bad ones are counted and placed, never shown.
                    assert_eq!(connection(&report)["verdict"], s.with, "{}", s.name);
                    assert_eq!(tally["malformed"], 2, "{}", s.name);
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    assert!(stderr.contains("line 1: not a key log line"), "{stderr}");
                    assert!(!stderr.contains("SECRET_WORD") && !stderr.contains("00zz"));
                }
            }
            for m in key_material(&wrong) {
                for f in forms(&m) {
                    for bytes in [&out.stdout, &out.stderr] {
                        assert!(
                            !bytes.windows(f.len()).any(|w| w == &f[..]),
                            "{}: {how}",
                            s.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn an_unreadable_key_log_is_one_sentence_naming_it() {
    let out = std::process::Command::new(bin())
        .args(["diagnose", "--keylog", "/nonexistent/k.txt"])
        .arg(samples().join("tls13-complete.pcap"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("key log /nonexistent/k.txt"), "{stderr}");
}

/// `check --keylog` says, per capture, what became of the key log's lines (as `diagnose`
/// does): counts only, no line, no secret.
#[test]
fn check_counts_the_key_log_lines_and_prints_none() {
    let s = &SAMPLES[0];
    let (capture, keys) = paths(s);
    let out = std::process::Command::new(bin())
        .args(["check", "--keylog"])
        .arg(&keys)
        .arg(&capture)
        .output()
        .expect("run");
    // The raw capture has findings (exit 1); the key log changes nothing of them.
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = used_lines(&keys);
    assert!(
        stderr.contains(&format!(
            "key log: {lines} lines, {lines} matched a connection, 0 matched none, 0 did not open"
        )),
        "{stderr}"
    );
    for m in key_material(&keys) {
        for f in forms(&m) {
            for bytes in [&out.stdout, &out.stderr] {
                assert!(!bytes.windows(f.len()).any(|w| w == &f[..]));
            }
        }
    }
}
