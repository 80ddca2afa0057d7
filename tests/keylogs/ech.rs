//! Encrypted Client Hello in the diagnosis (docs/decisions.md, "ECH: accepted is what the key
//! log opens"). No TLS stack installable here runs an ECH server, so the captures are built in
//! the test: TLS 1.3 flights sealed with made-up secrets (TEST MATERIAL, not from any real
//! connection) through the tool's own key schedule and RustCrypto's AES-GCM. Accepted: the
//! key log names the secrets by an inner random the capture never shows. Rejected: the lines
//! name the outer random and the server's EncryptedExtensions carries retry configurations.
//! The corpus's ECH captures show "offered".

use std::path::{Path, PathBuf};

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
use pcapscrub::keylog::schedule::tls13_key_iv;
use pcapscrub::keylog::suite::Hash;
use serde_json::Value;

use super::{capture_of, connection, diagnose, files_under, forms, run, sanitize};
use testkit::conv::Conv;
use testkit::tls::{extension, handshake, record, vec8, vec16};

const OUTER_RANDOM: [u8; 32] = [0x0e; 32];
/// The inner ClientHello's random: in the key log, never in the capture.
const INNER_RANDOM: [u8; 32] = [0x1a; 32];
const CLIENT_HS: [u8; 32] = [0xc1; 32];
const SERVER_HS: [u8; 32] = [0x5e; 32];
const CLIENT_APP: [u8; 32] = [0xc2; 32];
const SERVER_APP: [u8; 32] = [0x5f; 32];
/// Bytes planted in the ECH extension's encapsulated key and payload, and in the
/// HelloRetryRequest's confirmation: none may survive sanitizing.
const ENC_MARK: &[u8; 32] = b"ECH-ENC-MARK-pcapscrub-test-0001";
const PAYLOAD_MARK: &[u8] = b"ECH-PAYLOAD-MARK-inner-hello-is-here";
const CONFIRMATION: [u8; 8] = *b"CONFIRM!";
const ECH_REQUIRED: u8 = 121;

/// The outer ClientHello: TLS 1.3 only, an SNI (the public name), and an outer
/// encrypted_client_hello (HKDF-SHA256, AES-128-GCM, config id 7).
fn client_hello() -> Vec<u8> {
    let mut ech = vec![0, 0, 1, 0, 1, 7];
    ech.extend(vec16(ENC_MARK));
    ech.extend(vec16(PAYLOAD_MARK));
    let name = b"public.pcapscrub-test.example";
    let mut sni = vec![0];
    sni.extend(vec16(name));
    let mut share = vec![0, 0x1d];
    share.extend(vec16(&[0x33; 32]));
    let mut exts = extension(0, &vec16(&sni));
    exts.extend(extension(43, &vec8(&[3, 4])));
    exts.extend(extension(10, &vec16(&[0, 0x1d])));
    exts.extend(extension(13, &vec16(&[8, 4])));
    exts.extend(extension(51, &vec16(&share)));
    exts.extend(extension(0xfe0d, &ech));
    let mut body = vec![3, 3];
    body.extend(OUTER_RANDOM);
    body.extend(vec8(&[0x55; 32]));
    body.extend(vec16(&[0x13, 0x01]));
    body.extend(vec8(&[0]));
    body.extend(vec16(&exts));
    record(22, 0x0301, &handshake(1, &body))
}

/// A ServerHello choosing TLS_AES_128_GCM_SHA256; a HelloRetryRequest (its special random,
/// the group asked for and, when given, the ECH acceptance confirmation) when `hrr`.
fn server_hello(hrr: Option<Option<[u8; 8]>>) -> Vec<u8> {
    let mut exts = extension(43, &[3, 4]);
    let random = match hrr {
        Some(confirmation) => {
            exts.extend(extension(51, &[0, 0x1d]));
            if let Some(c) = confirmation {
                exts.extend(extension(0xfe0d, &c));
            }
            pcapscrub::tls::facts::HELLO_RETRY_REQUEST_RANDOM
        }
        None => {
            let mut share = vec![0, 0x1d];
            share.extend(vec16(&[0x44; 32]));
            exts.extend(extension(51, &share));
            [0x5a; 32]
        }
    };
    let mut body = vec![3, 3];
    body.extend(random);
    body.extend(vec8(&[0x55; 32]));
    body.extend([0x13, 0x01, 0]);
    body.extend(vec16(&exts));
    record(22, 0x0303, &handshake(2, &body))
}

/// `content` of type `typ` sealed as a TLS 1.3 record under `secret`, sequence number `seq`.
fn sealed(secret: &[u8; 32], seq: u64, content: &[u8], typ: u8) -> Vec<u8> {
    let (key, iv) = tls13_key_iv(Hash::Sha256, secret, 16).expect("key and iv");
    let mut nonce: [u8; 12] = iv[..].try_into().expect("12-byte iv");
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let mut inner = content.to_vec();
    inner.push(typ);
    let len = inner.len() + 16;
    let header = [23, 3, 3, (len >> 8) as u8, len as u8];
    Aes128Gcm::new_from_slice(&key)
        .expect("key")
        .encrypt_in_place(&Nonce::<Aes128Gcm>::from(nonce), &header, &mut inner)
        .expect("seal");
    let mut out = header.to_vec();
    out.extend(inner);
    out
}

/// The server's encrypted flight: EncryptedExtensions (with retry configurations when
/// `retry`) and Finished.
fn server_flight(retry: bool) -> Vec<u8> {
    let mut exts = extension(16, &vec16(&[2, b'h', b'2']));
    if retry {
        // ECHConfigList with one ECHConfig of version 0xfe0d (its contents made up).
        let mut config = vec![0xfe, 0x0d];
        config.extend(vec16(b"RETRY-CONFIG-MARK-pcapscrub"));
        exts.extend(extension(0xfe0d, &vec16(&config)));
    }
    let mut flight = handshake(8, &vec16(&exts));
    flight.extend(handshake(20, &[0x77; 32]));
    sealed(&SERVER_HS, 0, &flight, 22)
}

enum Case {
    /// The server went on with the inner hello: a complete handshake.
    Accepted,
    /// Retry configurations, then the client's ech_required alert, encrypted.
    Rejected,
    /// As rejected, with the client's alert in clear.
    RejectedPlainAlert,
    /// A HelloRetryRequest with the ECH confirmation, then a complete handshake.
    HelloRetryConfirmed,
    /// The server answered the outer hello without retry configurations.
    NotUsed,
}

fn capture_of_case(case: &Case) -> Vec<u8> {
    let mut c = Conv::standard();
    c.handshake().data(true, &client_hello());
    if matches!(case, Case::HelloRetryConfirmed) {
        c.data(false, &server_hello(Some(Some(CONFIRMATION))))
            .data(true, &client_hello());
    }
    let retry = matches!(case, Case::Rejected | Case::RejectedPlainAlert);
    let mut answer = server_hello(None);
    answer.extend(server_flight(retry));
    c.data(false, &answer);
    match case {
        Case::Rejected => {
            c.data(true, &sealed(&CLIENT_HS, 0, &[2, ECH_REQUIRED], 21))
                .fin(true)
                .fin(false);
        }
        Case::RejectedPlainAlert => {
            c.data(true, &record(21, 0x0303, &[2, ECH_REQUIRED]))
                .fin(true)
                .fin(false);
        }
        _ => {
            c.data(
                true,
                &sealed(&CLIENT_HS, 0, &handshake(20, &[0x66; 32]), 22),
            )
            .data(true, &sealed(&CLIENT_APP, 0, b"GET / HTTP/1.1\r\n\r\n", 23))
            .data(
                false,
                &sealed(&SERVER_APP, 0, b"HTTP/1.1 200 OK\r\n\r\n", 23),
            );
        }
    }
    c.pcap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The key log of the case (TEST MATERIAL): by the inner random when the server accepted
/// ECH, by the outer one otherwise; with lines of two connections the capture does not hold.
fn key_log(random: &[u8; 32]) -> String {
    let mut text = String::from("# pcapscrub TEST material: made-up secrets\n");
    for (label, secret) in [
        ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", CLIENT_HS),
        ("SERVER_HANDSHAKE_TRAFFIC_SECRET", SERVER_HS),
        ("CLIENT_TRAFFIC_SECRET_0", CLIENT_APP),
        ("SERVER_TRAFFIC_SECRET_0", SERVER_APP),
    ] {
        text.push_str(&format!("{label} {} {}\n", hex(random), hex(&secret)));
    }
    for other in [0x21u8, 0x22] {
        text.push_str(&format!(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET {} {}\n",
            hex(&[other; 32]),
            hex(&[other ^ 0x80; 32])
        ));
    }
    // ECH's own labels (RFC 9850 section 3.2) are read as lines this tool does not use.
    text.push_str(&format!(
        "ECH_SECRET {} {}\n",
        hex(&OUTER_RANDOM),
        hex(&[0xec; 32])
    ));
    text
}

struct Files {
    _dir: tempfile::TempDir,
    capture: PathBuf,
    keys: PathBuf,
}

fn files(case: &Case, random: &[u8; 32]) -> Files {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = dir.path().join("ech.pcap");
    let keys = dir.path().join("ech.keys");
    std::fs::write(&capture, capture_of_case(case)).expect("capture");
    std::fs::write(&keys, key_log(random)).expect("key log");
    Files {
        _dir: dir,
        capture,
        keys,
    }
}

fn events(c: &Value) -> Vec<String> {
    c["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["event"].as_str().map(str::to_string))
        .collect()
}

fn text(capture: &Path, keys: Option<&Path>) -> String {
    let mut args: Vec<&std::ffi::OsStr> = vec!["diagnose".as_ref()];
    if let Some(k) = keys {
        args.push("--keylog".as_ref());
        args.push(k.as_os_str());
    }
    args.push(capture.as_os_str());
    String::from_utf8(run(&args).stdout).expect("UTF-8")
}

#[test]
fn accepted_ech_is_found_by_the_inner_random_and_opens() {
    let f = files(&Case::Accepted, &INNER_RANDOM);
    let (without, _) = diagnose(&f.capture, &[]);
    let c = connection(&without);
    assert_eq!(c["tls"]["ech"], true);
    assert_eq!(c["tls"]["ech_status"], "offered");
    assert_eq!(c["verdict"], "handshake_complete");
    assert!(
        events(c)
            .iter()
            .any(|e| e.starts_with("ClientHello") && e.ends_with("ECH offered")),
        "{:?}",
        events(c)
    );

    let (with, out) = diagnose(&f.capture, &[&f.keys]);
    let c = connection(&with);
    assert_eq!(c["tls"]["ech_status"], "accepted", "{c}");
    assert_eq!(c["tls"]["decrypted"], true);
    assert_eq!(c["verdict"], "handshake_complete");
    assert!(
        c["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("both Finished messages read with the key log")),
        "{}",
        c["explanation"]
    );
    let ev = events(c);
    assert!(ev.iter().any(|e| e.starts_with("ECH accepted")), "{ev:?}");
    assert!(ev.iter().any(|e| e == "EncryptedExtensions"), "{ev:?}");
    // The inner random's four lines matched; the two other connections' did not.
    let tally = &with["keylog"];
    assert_eq!((&tally["lines"], &tally["matched"]), (&6.into(), &4.into()));
    assert_eq!(
        (&tally["unmatched"], &tally["failed"]),
        (&2.into(), &0.into())
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 matched a connection"));
    let t = text(&f.capture, Some(&f.keys));
    assert!(
        t.contains("ECH: accepted: the server went on with the encrypted inner ClientHello"),
        "{t}"
    );
    assert!(text(&f.capture, None).contains("ECH: offered (may be GREASE"));
}

#[test]
fn rejected_ech_names_the_retry_configurations_and_the_clients_alert() {
    let f = files(&Case::Rejected, &OUTER_RANDOM);
    let (without, _) = diagnose(&f.capture, &[]);
    let c = connection(&without);
    assert_eq!(c["tls"]["ech_status"], "offered");
    assert_eq!(c["verdict"], "client_aborted");
    assert!(
        c["hint"]
            .as_str()
            .is_some_and(|h| h.contains("ech_required")),
        "{}",
        c["hint"]
    );

    let (with, _) = diagnose(&f.capture, &[&f.keys]);
    let c = connection(&with);
    assert_eq!(c["tls"]["ech_status"], "rejected", "{c}");
    assert_eq!(c["verdict"], "client_alert");
    let alert = &c["tls"]["alerts"][0];
    assert_eq!(
        (&alert["from"], &alert["description"], &alert["code"]),
        (&"client".into(), &"ech_required".into(), &121.into())
    );
    assert_eq!(alert["decrypted"], true);
    assert!(
        c["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("ech_required"))
    );
    let hint = c["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("rejected Encrypted Client Hello and sent retry configurations")
            && hint.contains("retry with them"),
        "{hint}"
    );
    let ev = events(c);
    assert!(
        ev.iter()
            .any(|e| e == "EncryptedExtensions with ECH retry configurations (ECH rejected)"),
        "{ev:?}"
    );
    assert!(text(&f.capture, Some(&f.keys)).contains("ECH: rejected: the server answered"));
}

#[test]
fn a_plaintext_ech_required_alert_says_rejected_without_keys() {
    let f = files(&Case::RejectedPlainAlert, &OUTER_RANDOM);
    let (r, _) = diagnose(&f.capture, &[]);
    let c = connection(&r);
    assert_eq!(c["tls"]["ech_status"], "rejected");
    assert_eq!(c["verdict"], "client_alert");
    assert_eq!(c["tls"]["alerts"][0]["description"], "ech_required");
    assert!(
        c["hint"]
            .as_str()
            .is_some_and(|h| h.contains("retry with them"))
    );
}

#[test]
fn a_hello_retry_request_with_the_confirmation_is_acceptance() {
    let f = files(&Case::HelloRetryConfirmed, &INNER_RANDOM);
    for keys in [&[][..], &[f.keys.as_path()]] {
        let (r, _) = diagnose(&f.capture, keys);
        let c = connection(&r);
        assert_eq!(c["tls"]["ech_status"], "accepted", "{keys:?}: {c}");
        assert_eq!(c["tls"]["hello_retry_request"], true);
        assert!(
            events(c)
                .iter()
                .any(|e| e.ends_with("with the ECH acceptance confirmation")),
            "{:?}",
            events(c)
        );
    }
}

#[test]
fn an_outer_hello_answered_without_retry_configurations_was_not_used() {
    let f = files(&Case::NotUsed, &OUTER_RANDOM);
    let (r, _) = diagnose(&f.capture, &[&f.keys]);
    let c = connection(&r);
    assert_eq!(c["tls"]["ech_status"], "not_used", "{c}");
    assert_eq!(c["verdict"], "handshake_complete");
    assert_eq!(r["keylog"]["matched"], 4);
    // TLS 1.3 selects the protocol in the EncryptedExtensions: named only with the keys.
    assert_eq!(c["tls"]["alpn_selected"], "h2", "{c}");
    let (without, _) = diagnose(&f.capture, &[]);
    assert!(connection(&without)["tls"]["alpn_selected"].is_null());
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The sanitized capture is the same with and without the key log; the summary says what
/// became of ECH; no secret, no random of the key log and none of the ECH extension's
/// opaque bytes reaches any output.
#[test]
fn nothing_of_the_key_log_or_the_ech_extension_reaches_any_output() {
    let work = tempfile::tempdir().expect("tempdir");
    let key = work.path().join("mapping.key");
    std::fs::write(&key, [7u8; 32]).expect("key");
    let cases = [
        ("accepted", Case::Accepted, INNER_RANDOM, "accepted"),
        ("rejected", Case::Rejected, OUTER_RANDOM, "rejected"),
        ("hrr", Case::HelloRetryConfirmed, INNER_RANDOM, "accepted"),
    ];
    for (name, case, random, status) in cases {
        let f = files(&case, &random);
        let plain = work.path().join(format!("{name}-plain"));
        let keyed = work.path().join(format!("{name}-keyed"));
        sanitize(&f.capture, &plain, &key, None);
        let out = sanitize(&f.capture, &keyed, &key, Some(&f.keys));
        let sanitized = capture_of(&keyed);
        assert_eq!(capture_of(&plain), sanitized, "{name}");
        let summary = files_under(&keyed)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(".summary.yaml"))
            .map(|p| std::fs::read_to_string(p).expect("summary"))
            .expect("summary");
        assert!(
            summary.contains(&format!("ech_status: {status}")),
            "{name}: {summary}"
        );
        run(&["verify".as_ref(), keyed.as_os_str()]);
        let (_, view) = diagnose(&f.capture, &[&f.keys]);
        let mut outputs: Vec<(String, Vec<u8>)> = files_under(&keyed)
            .into_iter()
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("output")))
            .collect();
        outputs.push(("sanitize stdout".into(), out.stdout.clone()));
        outputs.push(("sanitize stderr".into(), out.stderr.clone()));
        outputs.push(("diagnose stdout".into(), view.stdout.clone()));
        outputs.push(("diagnose stderr".into(), view.stderr.clone()));
        let mut secrets: Vec<Vec<u8>> = Vec::new();
        for m in [
            &INNER_RANDOM[..],
            &CLIENT_HS,
            &SERVER_HS,
            &CLIENT_APP,
            &SERVER_APP,
            &[0xec; 32],
        ] {
            secrets.extend(forms(m));
        }
        secrets.push(hex(&OUTER_RANDOM).into_bytes());
        for (what, bytes) in &outputs {
            for s in &secrets {
                assert!(!contains(bytes, s), "{name}: key log material in {what}");
            }
        }
        // The ECH extension's config id, encapsulated key and payload, and the
        // HelloRetryRequest's confirmation, are filler in the sanitized capture.
        for mark in [
            &ENC_MARK[..],
            PAYLOAD_MARK,
            &CONFIRMATION,
            b"RETRY-CONFIG-MARK",
        ] {
            assert!(!contains(&sanitized, mark), "{name}: ECH bytes kept");
        }
        let raw = std::fs::read(&f.capture).expect("capture");
        assert!(contains(&raw, ENC_MARK) && contains(&raw, PAYLOAD_MARK));
    }
}

/// The real ECH captures of the corpus (Cloudflare's and Google's servers, Chrome and Firefox
/// clients): each offering connection says "offered", and nothing more without a key log.
#[test]
#[ignore = "needs the corpus (PCAPSCRUB_CORPUS)"]
fn corpus_ech_captures_say_offered() {
    let Some(dir) = testkit::need::corpus() else {
        return;
    };
    for (file, offering) in [
        ("zeek-tls13-ech.pcap", 2),
        ("ndpi-tls_ech.pcapng", 1),
        ("arkime-tls-split-client-hello.pcap", 1),
    ] {
        let (r, _) = diagnose(&dir.join(file), &[]);
        let statuses: Vec<&Value> = r["connections"]
            .as_array()
            .expect("connections")
            .iter()
            .filter_map(|c| c["tls"].get("ech_status"))
            .collect();
        assert_eq!(statuses.len(), offering, "{file}");
        assert!(
            statuses.iter().all(|s| *s == "offered"),
            "{file}: {statuses:?}"
        );
    }
}
