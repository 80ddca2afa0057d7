//! DTLS over UDP (docs/udp.md): every DTLS sample (`samples/make-udp.sh`) and the corpus's DTLS
//! captures get the right verdict and timeline; their sanitized copy keeps every ClientHello,
//! with the pseudonym in place of the server name, passes `check` while the raw capture is
//! reported, and (tshark) dissects with as many DTLS ClientHellos as the original.

mod fixtures_gen;

use std::path::{Path, PathBuf};
use std::process::Command;

use fixtures_gen::*;

/// One capture and what its diagnosis must say.
struct Case {
    file: &'static str,
    /// In the corpus (`testkit::need::corpus`) rather than `samples/udp`.
    corpus: bool,
    verdict: &'static str,
    /// Timeline events that must appear, in this order (each a prefix of an event).
    events: &'static [&'static str],
    /// The server name the ClientHello carries, if any.
    sni: Option<&'static str>,
}

const SNI: &str = "api.pcapscrub-test.example";

const CASES: &[Case] = &[
    Case {
        file: "dtls12-complete.pcap",
        corpus: false,
        verdict: "handshake_complete",
        events: &[
            "ClientHello",
            "HelloVerifyRequest",
            "ClientHello",
            "ServerHello DTLS 1.2",
            "Certificate with 1",
            "ServerHelloDone",
            "ClientKeyExchange",
            "ChangeCipherSpec",
            "encrypted handshake record",
            "NewSessionTicket",
            "ChangeCipherSpec",
            "encrypted handshake record",
        ],
        sni: Some(SNI),
    },
    Case {
        file: "dtls12-cert-rejected.pcap",
        corpus: false,
        verdict: "client_alert",
        events: &[
            "ClientHello",
            "HelloVerifyRequest",
            "ServerHello DTLS 1.2",
            "Certificate with 1",
            "Alert fatal unknown_ca (48)",
        ],
        sni: Some(SNI),
    },
    Case {
        file: "dtls12-fragmented.pcap",
        corpus: false,
        verdict: "handshake_complete",
        events: &["ClientHello", "ServerHello DTLS 1.2", "Certificate with 1"],
        sni: Some(SNI),
    },
    Case {
        file: "dtls12-ipv6.pcap",
        corpus: false,
        verdict: "handshake_complete",
        events: &["ClientHello", "HelloVerifyRequest", "ServerHello DTLS 1.2"],
        sni: Some(SNI),
    },
    // The server's first flight (3 kB datagrams allowed, RSA chain) leaves its host in IPv6
    // fragments: read only once they are reassembled, kept in both fragments.
    Case {
        file: "dtls12-ipv6-fragments.pcap",
        corpus: false,
        verdict: "handshake_complete",
        events: &[
            "ClientHello",
            "HelloVerifyRequest",
            "ClientHello",
            "ServerHello DTLS 1.2",
            "Certificate with 2",
            "ServerKeyExchange",
            "ServerHelloDone",
            "ClientKeyExchange",
        ],
        sni: Some(SNI),
    },
    Case {
        file: "zeek-dtls1_2.pcap",
        corpus: true,
        verdict: "handshake_complete",
        events: &[
            "ClientHello",
            "HelloVerifyRequest",
            "ClientHello",
            "ServerHello DTLS 1.2",
            "Certificate with 1",
            "NewSessionTicket",
        ],
        sni: None,
    },
    Case {
        file: "ndpi-dtls.pcap",
        corpus: true,
        verdict: "client_alert",
        events: &["ClientHello", "Alert fatal unexpected_message (10)"],
        sni: None,
    },
    Case {
        file: "illustrated-dtls-capture.pcap",
        corpus: true,
        verdict: "handshake_complete",
        events: &["ClientHello", "ServerHello DTLS 1.3", "encrypted record"],
        sni: None,
    },
];

fn path_of(case: &Case) -> Option<PathBuf> {
    udp_capture(case.file, case.corpus)
}

/// The DTLS connection whose verdict is the capture's.
fn dtls_connection<'a>(report: &'a serde_json::Value, verdict: &str) -> &'a serde_json::Value {
    report["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["protocol"] == "dtls" && c["verdict"] == verdict)
        .unwrap_or_else(|| panic!("no DTLS connection with verdict {verdict}: {report}"))
}

fn check_diagnosis(case: &Case, path: &Path) {
    let report = diagnose_json(path);
    assert_eq!(report["verdict"], case.verdict, "{}", case.file);
    let c = dtls_connection(&report, case.verdict);
    assert_eq!(c["transport"], "udp", "{}", case.file);
    assert!(
        c.get("tcp").is_none(),
        "{}: no TCP facts over UDP",
        case.file
    );
    let events: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    let mut rest = events.iter();
    for want in case.events {
        assert!(
            rest.any(|e| e.starts_with(want)),
            "{}: no {want:?} in order in {events:?}",
            case.file
        );
    }
}

/// Sanitizes `path` into a fresh folder: the sanitized capture.
fn sanitize(path: &Path, scratch: &Scratch) -> PathBuf {
    sanitized_capture(path, &scratch.path("evidence"), &[])
}

fn check_sanitizing(case: &Case, path: &Path) {
    let scratch = Scratch::new();
    let sanitized = sanitize(path, &scratch);
    let findings = check_passes_copy_reports_raw(&sanitized, path, case.file);
    if case.sni.is_some() {
        assert!(findings.contains(": sni: "), "{}: {findings}", case.file);
        assert!(
            findings.contains(": certificate: "),
            "{}: {findings}",
            case.file
        );
    }
    // The sanitized copy is diagnosed alike.
    check_diagnosis(case, &sanitized);
    let bytes = std::fs::read(&sanitized).unwrap();
    if let Some(sni) = case.sni {
        assert!(
            !bytes.windows(sni.len()).any(|w| w == sni.as_bytes()),
            "{}: the server name is left",
            case.file
        );
    }
}

#[test]
fn dtls_samples_are_diagnosed_and_sanitized() {
    for case in CASES.iter().filter(|c| !c.corpus) {
        let path = path_of(case).unwrap();
        check_diagnosis(case, &path);
        check_sanitizing(case, &path);
    }
}

#[test]
#[ignore = "needs the corpus: run by .ci/run"]
fn dtls_corpus_captures_are_diagnosed_and_sanitized() {
    for case in CASES.iter().filter(|c| c.corpus) {
        let Some(path) = path_of(case) else { return };
        check_diagnosis(case, &path);
        check_sanitizing(case, &path);
    }
}

/// `tshark -T fields` on `path` with `args` before the fields: each output line.
fn tshark_lines(path: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("tshark")
        .args(["-n", "-o", "udp.check_checksum:TRUE", "-r"])
        .arg(path)
        .args(args)
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark on {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// `tshark -Y dtls.handshake.type==1` on `path`: the server name of each ClientHello.
fn tshark_client_hellos(path: &Path) -> Vec<String> {
    let args = ["-Y", "dtls.handshake.type==1", "-T", "fields"];
    tshark_lines(
        path,
        &[&args[..], &["-e", "dtls.handshake.extensions_server_name"]].concat(),
    )
}

/// tshark's view of each frame of `path`: the DTLS handshake types it reassembled there and
/// the UDP checksum status (checked).
fn tshark_handshakes_and_checksums(path: &Path) -> Vec<(String, String)> {
    let args = [
        "-T",
        "fields",
        "-e",
        "dtls.handshake.type",
        "-e",
        "udp.checksum.status",
    ];
    tshark_lines(path, &args)
        .iter()
        .map(|l| {
            let (types, status) = l.split_once('\t').unwrap_or((l, ""));
            (types.to_string(), status.to_string())
        })
        .collect()
}

/// A DTLS flight in IPv6 fragments: the sanitized copy keeps both fragments whole, so tshark
/// reassembles the same handshake messages from them, and the first fragment's UDP checksum,
/// computed over the whole rewritten datagram, is right.
#[test]
#[ignore = "needs tshark: run by .ci/run"]
fn tshark_reassembles_a_flight_sent_in_ipv6_fragments() {
    let usable = testkit::need::tool("tshark", Command::new("tshark").arg("--version"));
    if !usable {
        return;
    }
    let case = CASES
        .iter()
        .find(|c| c.file == "dtls12-ipv6-fragments.pcap")
        .unwrap();
    let path = path_of(case).unwrap();
    let scratch = Scratch::new();
    let sanitized = sanitize(&path, &scratch);
    let before = tshark_handshakes_and_checksums(&path);
    let after = tshark_handshakes_and_checksums(&sanitized);
    let types = |rows: &[(String, String)]| rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        types(&before),
        types(&after),
        "handshake messages per frame"
    );
    // 1: good, over the reassembled datagram (the frame that completes it).
    assert!(
        after
            .iter()
            .any(|(t, status)| t == "2,11,12,14" && status == "1"),
        "the reassembled flight with a good UDP checksum: {after:?}"
    );
    for (n, (_, status)) in after.iter().enumerate() {
        // 0: bad (2: unverified, for datagrams whose encrypted tail was cut).
        assert_ne!(status, "0", "frame {}: bad UDP checksum", n + 1);
    }
}

#[test]
#[ignore = "needs tshark: run by .ci/run"]
fn tshark_reads_every_dtls_client_hello_with_the_pseudonym() {
    let usable = testkit::need::tool("tshark", Command::new("tshark").arg("--version"));
    if !usable {
        return;
    }
    for case in CASES {
        let Some(path) = path_of(case) else { continue };
        let scratch = Scratch::new();
        let sanitized = sanitize(&path, &scratch);
        let before = tshark_client_hellos(&path);
        let after = tshark_client_hellos(&sanitized);
        assert!(
            !before.is_empty(),
            "{}: tshark sees a ClientHello",
            case.file
        );
        assert_pseudonym_hellos(case.file, case.sni, &before, &after);
    }
}
