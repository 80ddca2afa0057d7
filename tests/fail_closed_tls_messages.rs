//! Handshake messages whose free-form fields must not survive sanitizing, through the real
//! binary: a TLS 1.2 PSK ClientKeyExchange (plain PSK, DHE_PSK, ECDHE_PSK, RSA_PSK) carrying a
//! planted identity, and a CertificateStatus of type ocsp_multi whose responses carry planted
//! markers. Under every shipped policy the markers are absent from every output file, the
//! messages keep their framing, and `check` reports the raw capture.
//!
//! The tshark comparison is ignored by default (run by `.ci/run`, which installs tshark).

mod common;
mod fixtures_gen;

use std::path::{Path, PathBuf};

use fixtures_gen::conv::Conv;
use fixtures_gen::{Scratch, cmd, stderr_text};
use testkit::tls::{TLS12, handshake, record, vec8, vec16, vec24};

const POLICIES: [&str; 3] = ["ticket", "strict", "review"];

const PSK_IDENTITY: &[u8] = b"psk-identity-MARKER-device-0042";
const PSK_HINT: &[u8] = b"psk-hint-MARKER-customer-17";
const OCSP_MARKERS: [&[u8]; 2] = [b"ocsp-response-MARKER-one", b"ocsp-response-MARKER-two"];

const HANDSHAKE: u8 = 22;
const CHANGE_CIPHER_SPEC: u8 = 20;

// ---------------------------------------------------------------------------------------------
// TLS message builders
// ---------------------------------------------------------------------------------------------

/// renegotiation_info, empty: a well-formed extension block both hellos carry.
fn hello_extensions() -> Vec<u8> {
    vec16(&[0xff, 0x01, 0x00, 0x01, 0x00])
}

fn client_hello(suite: u16) -> Vec<u8> {
    let body = [
        vec![3, 3],
        vec![0x11; 32],
        vec8(&[]),
        vec16(&suite.to_be_bytes()),
        vec8(&[0]),
        hello_extensions(),
    ]
    .concat();
    handshake(1, &body)
}

fn server_hello(suite: u16) -> Vec<u8> {
    let body = [
        vec![3, 3],
        vec![0x22; 32],
        vec8(&[]),
        suite.to_be_bytes().to_vec(),
        vec![0],
        hello_extensions(),
    ]
    .concat();
    handshake(2, &body)
}

/// An uncompressed secp256r1 point (its bytes are only framed, never checked).
fn ec_point() -> Vec<u8> {
    let mut p = vec![4];
    p.extend([0x5a; 64]);
    p
}

/// A TLS 1.2 PSK key exchange (RFC 4279, RFC 5489).
#[derive(Debug, Clone, Copy)]
enum PskSuite {
    Psk,
    DhePsk,
    EcdhePsk,
    RsaPsk,
}

impl PskSuite {
    const ALL: [PskSuite; 4] = [
        PskSuite::Psk,
        PskSuite::DhePsk,
        PskSuite::EcdhePsk,
        PskSuite::RsaPsk,
    ];

    fn id(self) -> u16 {
        match self {
            PskSuite::Psk => 0x00ae,      // TLS_PSK_WITH_AES_128_CBC_SHA256
            PskSuite::DhePsk => 0x00aa,   // TLS_DHE_PSK_WITH_AES_128_GCM_SHA256
            PskSuite::EcdhePsk => 0xc037, // TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256
            PskSuite::RsaPsk => 0x00b6,   // TLS_RSA_PSK_WITH_AES_128_CBC_SHA256
        }
    }

    fn name(self) -> String {
        format!("{self:?}-{:04x}", self.id())
    }

    /// The ServerKeyExchange, when the suite has one: the identity hint, then the
    /// ephemeral parameters. Plain PSK sends none (RFC 4279 2: optional without a hint), so
    /// nothing but the ClientKeyExchange carries a secret in that capture.
    fn server_key_exchange(self) -> Option<Vec<u8>> {
        let hint = vec16(PSK_HINT);
        let params = match self {
            PskSuite::Psk => return None,
            PskSuite::RsaPsk => Vec::new(),
            PskSuite::DhePsk => [vec16(&[0xc7; 128]), vec16(&[2]), vec16(&[0x3c; 128])].concat(),
            PskSuite::EcdhePsk => [vec![3, 0, 23], vec8(&ec_point())].concat(),
        };
        Some(handshake(12, &[hint, params].concat()))
    }

    /// The key exchange value after the identity, as the ClientKeyExchange carries it.
    fn client_value(self) -> Vec<u8> {
        match self {
            PskSuite::Psk => Vec::new(),
            PskSuite::DhePsk => vec16(&[0x7d; 128]),
            PskSuite::EcdhePsk => vec8(&ec_point()),
            PskSuite::RsaPsk => vec16(&[0xe9; 256]),
        }
    }

    fn client_key_exchange(self) -> Vec<u8> {
        handshake(16, &[vec16(PSK_IDENTITY), self.client_value()].concat())
    }
}

/// A full TLS 1.2 handshake: hellos, the server's flight, the client's ClientKeyExchange,
/// ChangeCipherSpec and encrypted Finished both ways, then a close.
fn psk_capture(suite: PskSuite) -> Vec<u8> {
    let mut server_flight = record(HANDSHAKE, TLS12, &server_hello(suite.id()));
    if let Some(ske) = suite.server_key_exchange() {
        server_flight.extend(record(HANDSHAKE, TLS12, &ske));
    }
    server_flight.extend(record(HANDSHAKE, TLS12, &handshake(14, &[])));
    let finished = |from_client: bool| {
        [
            record(CHANGE_CIPHER_SPEC, TLS12, &[1]),
            record(
                HANDSHAKE,
                TLS12,
                &[if from_client { 0xc1 } else { 0x5e }; 64],
            ),
        ]
        .concat()
    };
    let client_flight = [
        record(HANDSHAKE, TLS12, &suite.client_key_exchange()),
        finished(true),
    ]
    .concat();
    let mut c = Conv::standard();
    c.handshake()
        .data(true, &record(HANDSHAKE, TLS12, &client_hello(suite.id())))
        .data(false, &server_flight)
        .data(true, &client_flight)
        .data(false, &finished(false))
        .fin(true)
        .fin(false)
        .ack(true);
    c.pcap()
}

/// A DER OCSPResponse (successful, a response type no dissector interprets) whose response
/// bytes are `inner`.
fn ocsp_response(inner: &[u8]) -> Vec<u8> {
    fn der(tag: u8, body: &[u8]) -> Vec<u8> {
        assert!(body.len() < 128);
        [vec![tag, body.len() as u8], body.to_vec()].concat()
    }
    let bytes = der(
        0x30,
        &[vec![0x06, 0x02, 0x69, 0x00], der(0x04, inner)].concat(),
    );
    der(0x30, &[vec![0x0a, 0x01, 0x00], der(0xa0, &bytes)].concat())
}

/// ocsp_multi (RFC 6961): two responses with markers and an empty entry between them.
fn certificate_status_multi() -> Vec<u8> {
    let list = [
        vec24(&ocsp_response(OCSP_MARKERS[0])),
        vec24(&[]),
        vec24(&ocsp_response(OCSP_MARKERS[1])),
    ]
    .concat();
    handshake(22, &[vec![2], vec24(&list)].concat())
}

/// A TLS 1.2 ECDHE handshake whose server flight staples an ocsp_multi CertificateStatus.
fn ocsp_multi_capture() -> Vec<u8> {
    const SUITE: u16 = 0xc02f;
    let server_flight = [
        record(HANDSHAKE, TLS12, &server_hello(SUITE)),
        record(HANDSHAKE, TLS12, &certificate_status_multi()),
        record(HANDSHAKE, TLS12, &handshake(14, &[])),
    ]
    .concat();
    let mut c = Conv::standard();
    c.handshake()
        .data(true, &record(HANDSHAKE, TLS12, &client_hello(SUITE)))
        .data(false, &server_flight)
        .data(
            true,
            &record(HANDSHAKE, TLS12, &handshake(16, &vec8(&ec_point()))),
        )
        .fin(true)
        .fin(false)
        .ack(true);
    c.pcap()
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list evidence folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The one sanitized capture of an evidence folder, found by its suffix.
fn sanitized_capture(dir: &Path) -> PathBuf {
    let found: Vec<PathBuf> = files_under(dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".sanitized.pcap"))
        })
        .collect();
    assert_eq!(found.len(), 1, "one sanitized capture in {}", dir.display());
    found.into_iter().next().unwrap()
}

/// Sanitizes `input` under `policy` with a fixed key; returns the evidence folder.
fn sanitize(s: &Scratch, input: &Path, policy: &str) -> PathBuf {
    let key = s.write("team.key", b"fail-closed-tls-messages-test-key-0123456789");
    let stem = input.file_stem().unwrap().to_string_lossy();
    let outdir = s.path(&format!("out-{stem}-{policy}"));
    let out = cmd()
        .arg("sanitize")
        .arg(input)
        .arg("-o")
        .arg(&outdir)
        .arg("--key")
        .arg(&key)
        .args(["-p", policy])
        .output()
        .expect("run pcapscrub");
    assert_eq!(
        out.status.code(),
        Some(0),
        "sanitize: {}",
        stderr_text(&out)
    );
    outdir
}

/// Asserts that no output file holds any of `markers`.
fn assert_markers_absent(outdir: &Path, markers: &[&[u8]], what: &str) {
    let files = files_under(outdir);
    assert!(files.len() >= 2, "{what}: evidence files written");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for m in markers {
            assert!(
                find(&bytes, m).is_none(),
                "{what}: {} still holds {:?}",
                f.display(),
                String::from_utf8_lossy(m)
            );
        }
    }
}

/// `check` on a raw capture: exit 1, and the report names `kind`.
fn assert_check_reports(raw: &Path, kind: &str, what: &str) {
    let out = cmd().arg("check").arg(raw).output().expect("run check");
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{what}: {report}");
    assert!(
        report.contains(kind),
        "{what}: no {kind} finding in {report}"
    );
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[test]
fn psk_identities_become_same_length_filler_under_every_policy() {
    for suite in PskSuite::ALL {
        let s = Scratch::new();
        let raw = s.write(&format!("{}.pcap", suite.name()), &psk_capture(suite));
        assert_check_reports(&raw, "PSK identity", &suite.name());
        for policy in POLICIES {
            let what = format!("{} under {policy}", suite.name());
            let outdir = sanitize(&s, &raw, policy);
            assert_markers_absent(&outdir, &[PSK_IDENTITY, PSK_HINT], &what);
            // The identity keeps its length as filler; the key exchange value after it is
            // what the key exchange shows anyone, kept as it was.
            let capture = std::fs::read(sanitized_capture(&outdir)).unwrap();
            let expected = handshake(
                16,
                &[vec16(&vec![0; PSK_IDENTITY.len()]), suite.client_value()].concat(),
            );
            assert!(
                find(&capture, &expected).is_some(),
                "{what}: the ClientKeyExchange with a filler identity is not in the output"
            );
            let clean = cmd()
                .arg("check")
                .arg(sanitized_capture(&outdir))
                .output()
                .unwrap();
            assert_eq!(
                clean.status.code(),
                Some(0),
                "{what}: {}",
                String::from_utf8_lossy(&clean.stdout)
            );
        }
    }
}

/// Each response of the list becomes a placeholder of its own length, so the list and every
/// entry keep their lengths; the empty entry stays empty.
#[test]
fn ocsp_multi_responses_are_each_replaced_and_keep_their_lengths() {
    let s = Scratch::new();
    let raw = s.write("ocsp-multi.pcap", &ocsp_multi_capture());
    assert_check_reports(&raw, "OCSP response", "ocsp_multi");
    let original = certificate_status_multi();
    for policy in POLICIES {
        let outdir = sanitize(&s, &raw, policy);
        let what = format!("ocsp_multi under {policy}");
        assert_markers_absent(&outdir, &OCSP_MARKERS, &what);
        let capture = std::fs::read(sanitized_capture(&outdir)).unwrap();
        // The message keeps its header, status type, list length and first entry length.
        let at = find(&capture, &original[..11])
            .unwrap_or_else(|| panic!("{what}: the CertificateStatus framing is gone"));
        let got = &capture[at..at + original.len()];
        let mut r = &got[8..];
        let mut lengths = Vec::new();
        while !r.is_empty() {
            let n = (usize::from(r[0]) << 16) | (usize::from(r[1]) << 8) | usize::from(r[2]);
            assert!(3 + n <= r.len(), "{what}: an entry overruns the list");
            if n > 0 {
                assert_eq!(r[3], 0x30, "{what}: an entry is not a DER SEQUENCE");
                let der_len = usize::from(r[4]) + 2;
                assert_eq!(der_len, n, "{what}: the DER length is not the entry's");
            }
            lengths.push(n);
            r = &r[3 + n..];
        }
        let expected: Vec<usize> = vec![
            ocsp_response(OCSP_MARKERS[0]).len(),
            0,
            ocsp_response(OCSP_MARKERS[1]).len(),
        ];
        assert_eq!(lengths, expected, "{what}: entry lengths");
    }
}

// ---------------------------------------------------------------------------------------------
// tshark
// ---------------------------------------------------------------------------------------------

/// Per frame: the handshake types tshark dissected, and its malformed and expert-info
/// messages.
fn tshark_view(path: &Path) -> Vec<(Vec<String>, Vec<String>)> {
    let rows = common::tshark_fields(
        path,
        "fail-closed",
        &[],
        &[
            "tls.handshake.type",
            "_ws.malformed",
            "_ws.expert",
            "_ws.expert.message",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    rows.into_iter()
        .map(|cols| {
            let types = cols[0].clone();
            let mut problems: Vec<String> = cols[1..].iter().flatten().cloned().collect();
            problems.sort();
            problems.dedup();
            (types, problems)
        })
        .collect()
}

/// The sanitized capture dissects like the input: the same handshake messages in every
/// frame, and no malformed or expert-info entry the input did not have.
fn assert_dissects_like_the_input(raw: &Path, outdir: &Path, what: &str) {
    let before = tshark_view(raw);
    let after = tshark_view(&sanitized_capture(outdir));
    assert_eq!(before.len(), after.len(), "{what}: frame count");
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(a.0, b.0, "{what}: frame {}: handshake types", i + 1);
        let new: Vec<&String> = a.1.iter().filter(|p| !b.1.contains(p)).collect();
        assert!(
            new.is_empty(),
            "{what}: frame {}: new tshark complaints {new:?}",
            i + 1
        );
    }
}

#[test]
#[ignore = "needs tshark: run by .ci/run"]
fn sanitized_psk_and_ocsp_multi_messages_dissect_in_tshark() {
    if !common::tshark() {
        return;
    }
    let s = Scratch::new();
    let mut cases: Vec<(String, Vec<u8>, &str)> = PskSuite::ALL
        .iter()
        .map(|&suite| (suite.name(), psk_capture(suite), "16"))
        .collect();
    cases.push(("ocsp-multi".to_string(), ocsp_multi_capture(), "22"));
    for (name, bytes, msg_type) in cases {
        let raw = s.write(&format!("{name}.pcap"), &bytes);
        // The message under test is dissected in the input at all.
        let seen = tshark_view(&raw)
            .iter()
            .any(|(types, _)| types.iter().any(|t| t == msg_type));
        assert!(
            seen,
            "{name}: tshark does not see handshake type {msg_type}"
        );
        for policy in POLICIES {
            let outdir = sanitize(&s, &raw, policy);
            assert_dissects_like_the_input(&raw, &outdir, &format!("{name} under {policy}"));
        }
    }
}
