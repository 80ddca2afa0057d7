//! QUIC Handshake packets opened with a key log (issue #19, docs/udp.md): the ServerHello of
//! the server's first Initial gives the Handshake keys, which open the Handshake packets that
//! datagram coalesces after it and every later one, so the timeline shows the server's
//! encrypted flight and both Finished messages, `alpn_selected` comes from the
//! EncryptedExtensions and the certificate facts from the Certificate. The key log's tally
//! counts QUIC matches and failures as it counts TCP's; a wrong key log changes no verdict;
//! the sanitized copy is the same byte for byte with and without the keys.

mod fixtures_gen;

use std::path::{Path, PathBuf};

use fixtures_gen::*;
use serde_json::Value;

fn sample(name: &str) -> PathBuf {
    udp_capture(name, false).unwrap()
}

/// `diagnose --format json` of `capture`, with `keylog` when given.
fn diagnose_with(capture: &Path, keylog: Option<&Path>) -> Value {
    match keylog {
        Some(k) => diagnose_json_with(capture, &["--keylog", k.to_str().unwrap()]),
        None => diagnose_json(capture),
    }
}

/// The connection's timeline as `from: event` lines, and each event's time.
fn events(conn: &Value) -> Vec<(String, f64)> {
    conn["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                format!(
                    "{}: {}",
                    e["from"].as_str().unwrap(),
                    e["event"].as_str().unwrap()
                ),
                e["t"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn time_of(events: &[(String, f64)], wanted: &str) -> Option<f64> {
    events.iter().find(|(e, _)| e == wanted).map(|(_, t)| *t)
}

fn count(events: &[(String, f64)], wanted: &str) -> usize {
    events.iter().filter(|(e, _)| e == wanted).count()
}

/// The server's flight in the Handshake space, as the key log opens it.
const SERVER_FLIGHT: [&str; 4] = [
    "server: Handshake: EncryptedExtensions",
    "server: Handshake: Certificate with 1 certificate(s)",
    "server: Handshake: CertificateVerify",
    "server: Handshake: Finished",
];

/// A copy of `keylog` whose every secret has its last byte changed: the lines still match
/// their connection, their keys open nothing.
fn altered_keylog(keylog: &Path, scratch: &Scratch) -> PathBuf {
    let text = std::fs::read_to_string(keylog).unwrap();
    let altered: String = text
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            match fields[..] {
                [label, random, secret] if !line.starts_with('#') => {
                    let (head, last) = secret.split_at(secret.len() - 2);
                    let last = if last == "00" { "11" } else { "00" };
                    format!("{label} {random} {head}{last}\n")
                }
                _ => format!("{line}\n"),
            }
        })
        .collect();
    scratch.write("altered.keys", altered.as_bytes())
}

/// The server's first datagram coalesces its Initial (the ServerHello) and its Handshake
/// packets (EncryptedExtensions through Finished), and it is the only server datagram with
/// Handshake packets: the keys the ServerHello gives must open the packets after it in the
/// same datagram.
#[test]
fn complete_handshake_opens_the_handshake_packets_coalesced_with_the_server_hello() {
    let capture = sample("quic-complete.pcap");
    let report = diagnose_with(&capture, Some(&capture.with_extension("keys")));
    let conn = &report["connections"][0];
    let events = events(conn);
    let hello = time_of(
        &events,
        "server: Initial: ServerHello TLS 1.3, TLS_AES_256_GCM_SHA384",
    )
    .unwrap_or_else(|| panic!("{events:#?}"));
    for wanted in SERVER_FLIGHT {
        assert_eq!(
            time_of(&events, wanted),
            Some(hello),
            "{wanted}: {events:#?}"
        );
    }
    assert_eq!(
        count(&events, "client: Handshake: Finished"),
        1,
        "{events:#?}"
    );
    assert_eq!(
        count(&events, "server: first Handshake packet (encrypted)"),
        0,
        "{events:#?}"
    );
    assert_eq!(conn["verdict"], "handshake_complete");
    let tls = &conn["tls"];
    assert_eq!(tls["alpn_selected"], "h3", "{tls}");
    assert_eq!(tls["decrypted"], true);
    let leaf = &tls["server_certificates"][0];
    assert_eq!(leaf["key_type"], "EC", "{tls}");
    assert_eq!(tls["server_chain"]["leaf_matches_sni"], true, "{tls}");
    let tally = &report["keylog"];
    assert!(tally["matched"].as_u64().unwrap() > 0, "{tally}");
    assert_eq!(tally["failed"], 0, "{tally}");
    assert_eq!(tally["unmatched"], 0, "{tally}");
}

/// Without the key log the Handshake packets stay closed: no message, no selected ALPN.
#[test]
fn without_the_key_log_the_handshake_space_stays_closed() {
    let report = diagnose_with(&sample("quic-complete.pcap"), None);
    let conn = &report["connections"][0];
    let events = events(conn);
    assert!(
        events.iter().all(|(e, _)| !e.contains("Handshake: ")),
        "{events:#?}"
    );
    assert_eq!(
        count(&events, "server: first Handshake packet (encrypted)"),
        1
    );
    assert!(conn["tls"]["alpn_selected"].is_null());
    assert_ne!(
        conn["tls"]["decrypted"], true,
        "decrypted is false or absent"
    );
    assert!(report.get("keylog").is_none());
}

/// The rejected certificate: the server's flight is read, the verdict is still the client's
/// bad_certificate, and the close the client repeats in its Initial and Handshake packets of
/// one datagram is one close, one alert.
#[test]
fn rejected_certificate_shows_the_server_flight_and_keeps_its_verdict() {
    let capture = sample("quic-cert-rejected.pcap");
    let report = diagnose_with(&capture, Some(&capture.with_extension("keys")));
    let conn = &report["connections"][0];
    let events = events(conn);
    for wanted in SERVER_FLIGHT {
        assert_eq!(count(&events, wanted), 1, "{wanted}: {events:#?}");
    }
    assert_eq!(conn["verdict"], "client_alert");
    assert!(
        conn["explanation"]
            .as_str()
            .unwrap()
            .contains("bad_certificate alert (42)"),
        "{conn}"
    );
    let close = "client: CONNECTION_CLOSE with TLS alert bad_certificate (42)";
    assert_eq!(count(&events, close), 1, "{events:#?}");
    assert_eq!(conn["tls"]["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(
        conn["tls"]["server_certificates"].as_array().unwrap().len(),
        1
    );
    let tally = &report["keylog"];
    assert_eq!(tally["matched"], 2, "{tally}");
    assert_eq!(tally["failed"], 0, "{tally}");
}

/// A key log whose secrets were altered: its lines match, their keys open no Handshake
/// packet, so they count as failed, and the verdict and the timeline are those without it.
#[test]
fn altered_secrets_fail_and_change_no_verdict() {
    let scratch = Scratch::new();
    for name in ["quic-complete.pcap", "quic-cert-rejected.pcap"] {
        let capture = sample(name);
        let altered = altered_keylog(&capture.with_extension("keys"), &scratch);
        let with = diagnose_with(&capture, Some(&altered));
        let without = diagnose_with(&capture, None);
        let tally = &with["keylog"];
        assert!(tally["matched"].as_u64().unwrap() > 0, "{name}: {tally}");
        assert_eq!(tally["failed"], tally["matched"], "{name}: {tally}");
        let (a, b) = (&with["connections"][0], &without["connections"][0]);
        assert_eq!(a["verdict"], b["verdict"], "{name}");
        assert_eq!(a["timeline"], b["timeline"], "{name}");
        assert_ne!(a["tls"]["decrypted"], true, "{name}");
    }
}

/// The copy of `capture` pcapng without its Decryption Secrets Blocks (type 0x0000000A): the
/// same packets, no embedded key log.
fn without_secrets_blocks(capture: &Path, scratch: &Scratch) -> PathBuf {
    let bytes = std::fs::read(capture).unwrap();
    // The Section Header Block's byte-order magic says how its lengths are written.
    let little = bytes[8..12] == [0x4d, 0x3c, 0x2b, 0x1a];
    let u32_at = |at: usize| {
        let b: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at + 12 <= bytes.len() {
        let len = u32_at(at + 4) as usize;
        if u32_at(at) != 0x0000_000a {
            out.extend_from_slice(&bytes[at..at + len]);
        }
        at += len;
    }
    assert!(out.len() < bytes.len(), "no secrets block to remove");
    scratch.write("without-secrets.pcapng", &out)
}

/// The sanitized copies with and without the keys (the same mapping key): the same bytes.
fn assert_same_output(capture: &Path, without: &Path, keylog: Option<&Path>, scratch: &Scratch) {
    let key = scratch.write("mapping.key", &[0x5a; 32]);
    let key = key.to_str().unwrap();
    let mut keyed_args = vec!["--key", key];
    if let Some(k) = keylog {
        keyed_args.extend(["--keylog", k.to_str().unwrap()]);
    }
    let keyed = sanitized_capture(capture, &scratch.path("keyed"), &keyed_args);
    let plain = sanitized_capture(without, &scratch.path("plain"), &["--key", key]);
    assert!(
        std::fs::read(&keyed).unwrap() == std::fs::read(&plain).unwrap(),
        "{}: the keys changed the output",
        capture.display()
    );
    let (code, findings) = check_output(&keyed);
    assert_eq!(code, Some(0), "{}: {findings}", capture.display());
}

#[test]
#[ignore = "needs the corpus: run by .ci/run"]
fn corpus_illustrated_quic_handshake_is_read_with_its_key_log() {
    let Some(corpus) = testkit::need::corpus() else {
        return;
    };
    let capture = corpus.join("illustrated-quic-capture.pcap");
    let keylog = corpus.join("keylogs/illustrated-quic-capture.keylog");
    let report = diagnose_with(&capture, Some(&keylog));
    let conn = &report["connections"][0];
    let events = events(conn);
    for wanted in SERVER_FLIGHT {
        assert_eq!(count(&events, wanted), 1, "{wanted}: {events:#?}");
    }
    assert_eq!(count(&events, "client: Handshake: Finished"), 1);
    assert_eq!(conn["verdict"], "handshake_complete");
    assert_eq!(report["keylog"]["failed"], 0);
    assert!(report["keylog"]["matched"].as_u64().unwrap() > 0);

    let scratch = Scratch::new();
    let altered = altered_keylog(&keylog, &scratch);
    let wrong = diagnose_with(&capture, Some(&altered));
    assert_eq!(wrong["keylog"]["failed"], wrong["keylog"]["matched"]);
    assert_eq!(wrong["connections"][0]["verdict"], conn["verdict"]);
    assert!(
        events_of(&wrong)
            .iter()
            .all(|(e, _)| !e.contains("Handshake: ")),
        "{wrong}"
    );
    assert_same_output(&capture, &capture, Some(&keylog), &scratch);
}

fn events_of(report: &Value) -> Vec<(String, f64)> {
    events(&report["connections"][0])
}

/// QUIC version 2 with the secrets in the capture's Decryption Secrets Block: no `--keylog`
/// needed; without the block, the Handshake space stays closed and the copy is the same.
#[test]
#[ignore = "needs the corpus: run by .ci/run"]
fn corpus_quic_v2_handshake_is_read_with_the_embedded_secrets() {
    let Some(corpus) = testkit::need::corpus() else {
        return;
    };
    let capture = corpus.join("ndpi-quic-v2.pcapng");
    let report = diagnose_with(&capture, None);
    let events = events_of(&report);
    for wanted in SERVER_FLIGHT {
        assert_eq!(count(&events, wanted), 1, "{wanted}: {events:#?}");
    }
    assert_eq!(count(&events, "client: Handshake: Finished"), 1);
    assert_eq!(report["keylog"]["failed"], 0);
    assert!(report["keylog"]["matched"].as_u64().unwrap() > 0);

    let scratch = Scratch::new();
    let bare = without_secrets_blocks(&capture, &scratch);
    let closed = diagnose_with(&bare, None);
    assert!(
        events_of(&closed)
            .iter()
            .all(|(e, _)| !e.contains("Handshake: ")),
        "{closed}"
    );
    assert_eq!(
        closed["connections"][0]["verdict"],
        report["connections"][0]["verdict"]
    );
    assert_same_output(&capture, &bare, None, &scratch);
}

/// The samples: the copy made with the key log is the copy made without it.
#[test]
fn samples_sanitized_alike_with_and_without_the_key_log() {
    for name in ["quic-complete.pcap", "quic-cert-rejected.pcap"] {
        let scratch = Scratch::new();
        let capture = sample(name);
        assert_same_output(
            &capture,
            &capture,
            Some(&capture.with_extension("keys")),
            &scratch,
        );
    }
}
