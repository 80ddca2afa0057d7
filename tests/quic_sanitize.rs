//! QUIC in the sanitized copy (issue #19, docs/udp.md): each QUIC sample
//! (`samples/udp/quic-*.pcap`) and the corpus's QUIC captures are sanitized with their Initial
//! packets resealed around the redacted hello. The copy passes `check` while the raw capture
//! is reported, is diagnosed with the same verdict, holds no original server name or
//! connection ID, is a fixed point of a second run, and is the same with and without the key
//! log; tshark (ignored tests) reads as many ClientHellos in it, with the pseudonym, without a
//! decryption failure the input did not have and without a bad UDP checksum.

mod fixtures_gen;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use fixtures_gen::*;

const SNI: &str = "api.pcapscrub-test.example";

/// One QUIC capture.
struct Case {
    file: &'static str,
    /// In the corpus (`testkit::need::corpus`) rather than `samples/udp`.
    corpus: bool,
    /// The server name its ClientHellos carry (`None`: kept, a reserved name, or none).
    sni: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        file: "quic-complete.pcap",
        corpus: false,
        sni: Some(SNI),
    },
    Case {
        file: "quic-cert-rejected.pcap",
        corpus: false,
        sni: Some(SNI),
    },
    Case {
        file: "quic-version-negotiation.pcap",
        corpus: false,
        sni: Some(SNI),
    },
    Case {
        file: "illustrated-quic-capture.pcap",
        corpus: true,
        sni: Some("example.ulfheim.net"),
    },
    Case {
        file: "ndpi-quic-v2.pcapng",
        corpus: true,
        sni: None,
    },
    Case {
        file: "tcpdump-quic_handshake_truncated.pcap",
        corpus: true,
        sni: None,
    },
];

fn path_of(case: &Case) -> Option<PathBuf> {
    udp_capture(case.file, case.corpus)
}

/// Sanitizes `path` into `scratch`'s folder `name` with `extra` arguments.
fn sanitize_into(path: &Path, scratch: &Scratch, name: &str, extra: &[&str]) -> PathBuf {
    sanitized_capture(path, &scratch.path(name), extra)
}

/// Each connection's protocol and verdict.
fn verdicts(path: &Path) -> Vec<(String, String)> {
    diagnose_json(path)["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["protocol"].to_string(), c["verdict"].to_string()))
        .collect()
}

/// The capture records' bytes, without the file header (whose snap length may differ).
fn records(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    bytes[24.min(bytes.len())..].to_vec()
}

fn sanitized_alike(case: &Case, path: &Path) {
    let scratch = Scratch::new();
    let sanitized = sanitize_into(path, &scratch, "once", &[]);
    // `check` passes the copy and reports the raw capture.
    let findings = check_passes_copy_reports_raw(&sanitized, path, case.file);
    assert!(
        findings.contains(": payload: "),
        "{}: {findings}",
        case.file
    );
    if case.sni.is_some() {
        assert!(findings.contains(": sni: "), "{}: {findings}", case.file);
    }
    // The same verdicts.
    assert_eq!(verdicts(path), verdicts(&sanitized), "{}", case.file);
    // No original server name.
    let bytes = std::fs::read(&sanitized).unwrap();
    if let Some(sni) = case.sni {
        assert!(
            !bytes.windows(sni.len()).any(|w| w == sni.as_bytes()),
            "{}: the server name is left",
            case.file
        );
    }
    // A second run changes nothing (the pseudonyms are recognised as such).
    let again = sanitize_into(&sanitized, &scratch, "twice", &[]);
    assert!(
        records(&again) == records(&sanitized),
        "{}: a second run changed the copy",
        case.file
    );
}

#[test]
fn quic_samples_are_sanitized_with_their_initials_resealed() {
    for case in CASES.iter().filter(|c| !c.corpus) {
        sanitized_alike(case, &path_of(case).unwrap());
    }
}

#[test]
#[ignore = "needs the corpus: run by .ci/run"]
fn quic_corpus_captures_are_sanitized_with_their_initials_resealed() {
    for case in CASES.iter().filter(|c| c.corpus) {
        let Some(path) = path_of(case) else { return };
        sanitized_alike(case, &path);
    }
}

/// The summary names the pseudonym the QUIC connection's server name got.
#[test]
fn quic_summary_gives_the_sni_pseudonym() {
    let path = path_of(&CASES[0]).unwrap();
    let scratch = Scratch::new();
    let sanitized = sanitize_into(&path, &scratch, "out", &[]);
    let text = std::fs::read_to_string(sanitized.with_file_name("capture.summary.yaml")).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("sni_pseudonym:"))
        .unwrap_or_else(|| panic!("no sni_pseudonym in {text}"));
    let pseudonym = line.split(':').nth(1).unwrap().trim();
    assert_eq!(pseudonym.len(), SNI.len(), "{line}");
    assert!(
        pseudonym.ends_with(".example") && pseudonym != SNI,
        "{line}"
    );
}

/// The key log opens nothing that is written: the output is the same byte for byte (with the
/// same mapping key).
#[test]
fn quic_output_is_the_same_with_and_without_the_key_log() {
    let scratch = Scratch::new();
    let key = scratch.write("mapping.key", &[0x5a; 32]);
    let key = key.to_str().unwrap();
    for case in CASES.iter().filter(|c| !c.corpus) {
        let path = path_of(case).unwrap();
        let keylog = path.with_extension("keys");
        let plain = sanitize_into(
            &path,
            &scratch,
            &format!("{}-plain", case.file),
            &["--key", key],
        );
        let keyed = sanitize_into(
            &path,
            &scratch,
            &format!("{}-keylog", case.file),
            &["--key", key, "--keylog", keylog.to_str().unwrap()],
        );
        assert!(
            std::fs::read(&plain).unwrap() == std::fs::read(&keyed).unwrap(),
            "{}: the key log changed the output",
            case.file
        );
    }
}

fn tshark(path: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(args)
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark on {}", path.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Each QUIC ClientHello's server name (an empty line when it has none).
fn client_hellos(path: &Path) -> Vec<String> {
    tshark(
        path,
        &[
            "-Y",
            "quic && tls.handshake.type == 1",
            "-T",
            "fields",
            "-e",
            "tls.handshake.extensions_server_name",
        ],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// The QUIC warnings and errors of tshark's expert info that say a packet did not decrypt
/// or did not dissect (the "secrets are not available" of packets no one has keys for — the
/// sanitized copy drops a pcapng's decryption secrets — is not one).
fn quic_failures(path: &Path) -> BTreeSet<String> {
    tshark(path, &["-q", "-z", "expert,warn"])
        .lines()
        .filter(|l| l.contains("QUIC") || l.contains("Malformed"))
        .filter(|l| !l.contains("Secrets are not available"))
        .map(|l| {
            // "  <count> <group> <protocol> <summary>": the count may differ.
            l.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")
        })
        .filter(|l| l.contains("ecrypt") || l.contains("alformed"))
        .collect()
}

/// Every connection ID tshark reads in a capture (hex, 8 bytes and more: what the canary
/// searches).
fn connection_ids(path: &Path) -> BTreeSet<String> {
    tshark(
        path,
        &["-T", "fields", "-e", "quic.dcid", "-e", "quic.scid"],
    )
    .split(|c: char| c.is_whitespace() || c == ',')
    .filter(|id| id.len() >= 16)
    .map(str::to_string)
    .collect()
}

#[test]
#[ignore = "needs tshark (and the corpus for its captures): run by .ci/run"]
fn tshark_opens_every_resealed_quic_initial_with_the_pseudonym() {
    if !testkit::need::tool("tshark", Command::new("tshark").arg("--version")) {
        return;
    }
    for case in CASES {
        let Some(path) = path_of(case) else { continue };
        let scratch = Scratch::new();
        let sanitized = sanitize_into(&path, &scratch, "out", &[]);
        let (before, after) = (client_hellos(&path), client_hellos(&sanitized));
        assert_pseudonym_hellos(case.file, case.sni, &before, &after);
        let new: Vec<String> = quic_failures(&sanitized)
            .difference(&quic_failures(&path))
            .cloned()
            .collect();
        assert!(new.is_empty(), "{}: new failures {new:?}", case.file);
        let bad = tshark(
            &sanitized,
            &[
                "-o",
                "udp.check_checksum:TRUE",
                "-Y",
                "udp.checksum.status == 0",
            ],
        );
        assert!(
            bad.trim().is_empty(),
            "{}: bad UDP checksums\n{bad}",
            case.file
        );
        let (ids, left) = (connection_ids(&path), connection_ids(&sanitized));
        assert!(
            !ids.is_empty(),
            "{}: tshark reads connection IDs",
            case.file
        );
        let kept: Vec<&String> = ids.intersection(&left).collect();
        assert!(kept.is_empty(), "{}: original IDs {kept:?}", case.file);
        let bytes = std::fs::read(&sanitized).unwrap();
        for id in &ids {
            let raw: Vec<u8> = (0..id.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
                .collect();
            assert!(
                !bytes.windows(raw.len()).any(|w| w == raw),
                "{}: connection ID {id} left",
                case.file
            );
        }
    }
}
