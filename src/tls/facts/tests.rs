//! Tests of the facts module: real messages from the sample captures and the corpus (see
//! `fixtures.rs`), hand-built messages for the edge cases, and property tests that no input
//! panics.

use std::net::IpAddr;

use proptest::prelude::*;

use super::fixtures::{self, hex};
use super::*;

// ---------------------------------------------------------------------------------------------
// Byte builders: the vectors and extensions are testkit's (shared by every test); the rest
// builds the messages these tests vary.

use testkit::tls::{extension, u16s, vec8, vec16, vec24};

fn sni_ext(names: &[(u8, &str)]) -> Vec<u8> {
    let entries: Vec<(u8, &[u8])> = names.iter().map(|(t, n)| (*t, n.as_bytes())).collect();
    testkit::tls::server_name(&entries)
}

fn alpn_ext(names: &[&[u8]]) -> Vec<u8> {
    let list: Vec<u8> = names.iter().flat_map(|n| vec8(n)).collect();
    vec16(&list)
}

fn key_share_ext(groups: &[u16]) -> Vec<u8> {
    let list: Vec<u8> = groups
        .iter()
        .flat_map(|g| {
            let mut e = g.to_be_bytes().to_vec();
            e.extend(vec16(&[0x42; 32]));
            e
        })
        .collect();
    vec16(&list)
}

/// A ClientHello body. `exts: None` leaves the extension block out entirely.
fn client_hello(
    version: u16,
    session_id: &[u8],
    suites: &[u16],
    exts: Option<&[Vec<u8>]>,
) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend([0x11; 32]);
    b.extend(vec8(session_id));
    b.extend(vec16(&u16s(suites)));
    b.extend(vec8(&[0]));
    if let Some(exts) = exts {
        b.extend(vec16(&exts.concat()));
    }
    b
}

fn server_hello(version: u16, random: [u8; 32], suite: u16, exts: Option<&[Vec<u8>]>) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend(random);
    b.extend(vec8(&[0x22; 32]));
    b.extend(suite.to_be_bytes());
    b.push(0);
    if let Some(exts) = exts {
        b.extend(vec16(&exts.concat()));
    }
    b
}

fn ch(body: &[u8]) -> ClientHelloFacts {
    match parse_handshake(1, body, false) {
        HandshakeFacts::ClientHello(f) => f,
        other => panic!("expected a ClientHello, got {other:?}"),
    }
}

fn sh(msg_type: u8, body: &[u8]) -> ServerHelloFacts {
    match parse_handshake(msg_type, body, false) {
        HandshakeFacts::ServerHello(f) => f,
        other => panic!("expected a ServerHello, got {other:?}"),
    }
}

fn chain(body: &[u8], tls13: bool) -> Vec<CertificateFacts> {
    match parse_handshake(11, body, tls13) {
        HandshakeFacts::Certificate {
            certificates,
            tls13: t,
        } => {
            assert_eq!(t, tls13);
            certificates
        }
        other => panic!("expected a Certificate, got {other:?}"),
    }
}

fn malformed_reason(facts: HandshakeFacts) -> String {
    match facts {
        HandshakeFacts::Malformed { reason, .. } => reason,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

fn single_cert_message(der: &[u8]) -> Vec<u8> {
    vec24(&vec24(der))
}

// ---------------------------------------------------------------------------------------------
// ClientHello.

#[test]
fn client_hello_tls13_only_from_sample() {
    let f = ch(&hex(fixtures::CH_TLS13_ONLY));
    assert_eq!(f.legacy_version, 0x0303);
    assert_eq!(f.supported_versions, vec![0x0304]);
    assert_eq!(f.cipher_suites, vec![0x1302, 0x1303, 0x1301, 0x00ff]);
    assert_eq!(
        f.extensions,
        vec![0, 11, 10, 16, 22, 23, 49, 13, 43, 45, 51, 21]
    );
    assert_eq!(
        f.groups,
        vec![29, 23, 30, 25, 24, 0x100, 0x101, 0x102, 0x103, 0x104]
    );
    assert_eq!(f.key_share_groups, vec![29]);
    assert_eq!(
        f.signature_algorithms,
        vec![
            0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806,
            0x0401, 0x0501, 0x0601
        ]
    );
    assert_eq!(f.alpn, vec!["h2", "http/1.1"]);
    let sni = f.sni.as_ref().expect("SNI");
    assert_eq!(sni.names, vec!["api.pcapscrub-test.example"]);
    assert_eq!(sni.length, 26);
    assert_eq!(
        sni.summary(),
        SniSummary {
            present: true,
            length: 26,
            count: 1
        }
    );
    assert!(!f.ech && !f.psk && !f.session_ticket && !f.sslv2_compat);
    assert_eq!(f.session_id_len, 32);
    assert_eq!(f.compression_methods, vec![0]);
    assert!(f.malformed_extensions.is_empty());
    assert!(f.offers_version(0x0304));
    assert!(
        !f.offers_version(0x0303),
        "supported_versions overrides legacy_version"
    );
    assert_eq!(f.max_version(), Some(0x0304));
}

/// A corpus message, or a loud skip of the calling test when the corpus is absent.
macro_rules! corpus {
    ($which:ident) => {
        match fixtures::corpus(fixtures::Corpus::$which) {
            Some(bytes) => bytes,
            None => return,
        }
    };
}

#[test]
fn client_hello_grease_ech_from_corpus() {
    let f = ch(&corpus!(ChGreaseEch));
    assert_eq!(f.legacy_version, 0x0303);
    // tshark: 0x9a9a (GREASE), 0x0304, 0x0303.
    assert_eq!(f.supported_versions, vec![0x0304, 0x0303]);
    assert_eq!(
        f.cipher_suites,
        vec![
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035
        ]
    );
    // tshark: 0x1a1a, 13, 18, 45, 27, 65037, 43, 51, 0, 11, 35, 5, 23, 16, 10, 65281, 17513,
    // 0xbaba: both GREASE values go.
    assert_eq!(
        f.extensions,
        vec![
            13, 18, 45, 27, 0xfe0d, 43, 51, 0, 11, 35, 5, 23, 16, 10, 0xff01, 0x4469
        ]
    );
    assert_eq!(f.groups, vec![0x11ec, 29, 23, 24]);
    assert_eq!(f.key_share_groups, vec![0x11ec, 29]);
    assert_eq!(
        f.signature_algorithms,
        vec![
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601
        ]
    );
    assert_eq!(f.alpn, vec!["h2", "http/1.1"]);
    let sni = f.sni.as_ref().expect("SNI");
    assert_eq!(sni.length, 19);
    assert_eq!(sni.names.len(), 1);
    assert!(f.ech);
    assert!(!f.psk);
    assert!(
        !f.session_ticket,
        "session_ticket (35) is present but empty"
    );
    assert_eq!(f.session_id_len, 32);
    assert!(f.malformed_extensions.is_empty());
    assert_eq!(group_name(f.key_share_groups[0]), "X25519MLKEM768");
}

#[test]
fn client_hello_built_by_hand() {
    let exts = [
        extension(0x0a0a, &[]),
        extension(
            0,
            &sni_ext(&[(0, "First.Example"), (7, "ignored"), (0, "b.example")]),
        ),
        extension(10, &vec16(&u16s(&[0x2a2a, 29, 23]))),
        extension(13, &vec16(&u16s(&[0x0a0a, 0x0804]))),
        extension(16, &alpn_ext(&[b"\x5a\x5a", b"h2"])),
        extension(35, &[1, 2, 3]),
        extension(43, &vec8(&u16s(&[0x7a7a, 0x0304, 0x0303, 0x7f1c]))),
        extension(51, &key_share_ext(&[0x4a4a, 29])),
        extension(0xfe0d, &[0; 8]),
        extension(0x1234, &[9]),
        extension(41, &[0; 4]),
    ];
    let body = client_hello(0x0303, &[], &[0xdada, 0x1301, 0xc030], Some(&exts));
    let f = ch(&body);
    assert_eq!(f.cipher_suites, vec![0x1301, 0xc030]);
    assert_eq!(
        f.extensions,
        vec![0, 10, 13, 16, 35, 43, 51, 0xfe0d, 0x1234, 41]
    );
    assert_eq!(f.groups, vec![29, 23]);
    assert_eq!(f.signature_algorithms, vec![0x0804]);
    assert_eq!(f.alpn, vec!["h2"], "GREASE ALPN identifier removed");
    assert_eq!(f.supported_versions, vec![0x0304, 0x0303, 0x7f1c]);
    assert_eq!(f.key_share_groups, vec![29]);
    let sni = f.sni.as_ref().expect("SNI");
    assert_eq!(sni.names, vec!["First.Example", "b.example"]);
    assert_eq!(sni.length, 13);
    assert_eq!(sni.first(), Some("First.Example"));
    assert_eq!(sni.summary().count, 2);
    assert!(f.ech && f.psk && f.session_ticket);
    assert_eq!(f.session_id_len, 0);
    assert_eq!(
        f.max_version(),
        Some(0x0304),
        "draft 0x7f1c is not ordered above 1.3"
    );
}

/// Only an outer ECHClientHello is an offer; an inner one in clear is not, and a type neither
/// outer nor inner is a malformed extension (draft-ietf-tls-esni 5).
#[test]
fn client_hello_ech_offer_is_the_outer_type() {
    let with = |body: &[u8]| {
        let exts = vec![extension(0xfe0d, body)];
        ch(&client_hello(0x0303, &[], &[0x1301], Some(&exts)))
    };
    let outer = with(&[0, 0, 1, 0, 1, 7, 0, 1, 9, 0, 1, 8]);
    assert!(outer.ech && outer.malformed_extensions.is_empty());
    let inner = with(&[1]);
    assert!(!inner.ech && inner.malformed_extensions.is_empty());
    let odd = with(&[2]);
    assert!(!odd.ech);
    assert_eq!(odd.malformed_extensions, vec![0xfe0d]);
}

#[test]
fn client_hello_without_extensions_offers_up_to_legacy_version() {
    let f = ch(&client_hello(0x0301, &[7; 32], &[0x002f], None));
    assert!(f.extensions.is_empty() && f.sni.is_none());
    assert_eq!(f.session_id_len, 32);
    assert!(f.offers_version(0x0300) && f.offers_version(0x0301));
    assert!(!f.offers_version(0x0302));
    assert_eq!(f.max_version(), Some(0x0301));
    // An empty extension block is the same thing.
    let g = ch(&client_hello(0x0301, &[7; 32], &[0x002f], Some(&[])));
    assert_eq!(f, g);
}

#[test]
fn max_version_ranks_drafts_between_tls12_and_tls13() {
    let hello = |versions: &[u16]| ClientHelloFacts {
        legacy_version: 0x0303,
        supported_versions: versions.to_vec(),
        ..ClientHelloFacts::default()
    };
    assert_eq!(hello(&[0x7f13, 0x0303, 0x0302]).max_version(), Some(0x7f13));
    assert_eq!(hello(&[0x7f12, 0x7f1c, 0x0303]).max_version(), Some(0x7f1c));
    assert_eq!(hello(&[0xfb1a, 0x0304]).max_version(), Some(0x0304));
    assert_eq!(hello(&[0xfefd]).max_version(), None);
    assert_eq!(hello(&[]).max_version(), Some(0x0303));
}

#[test]
fn client_hello_draft_key_share_extension_40() {
    let body = client_hello(
        0x0303,
        &[],
        &[0x1301],
        Some(&[extension(40, &key_share_ext(&[29, 23]))]),
    );
    assert_eq!(ch(&body).key_share_groups, vec![29, 23]);
}

#[test]
fn client_hello_malformed_extension_content_is_listed_not_fatal() {
    let exts = [
        extension(0, &[0, 1]),                    // server_name_list length 1 but empty
        extension(10, &vec16(&[0, 29, 0])),       // odd group list
        extension(43, &[4, 3, 4]),                // version list length overruns
        extension(16, &alpn_ext(&[b""])),         // empty protocol name
        extension(51, &vec16(&[0, 29, 0, 5, 1])), // key share overruns
        extension(13, &[]),                       // no list at all
        extension(0x4469, &[1, 2, 3]),            // unknown: content not checked
    ];
    let f = ch(&client_hello(0x0303, &[], &[0x1301], Some(&exts)));
    assert_eq!(f.malformed_extensions, vec![0, 10, 43, 16, 51, 13]);
    assert_eq!(f.extensions, vec![0, 10, 43, 16, 51, 13, 0x4469]);
    assert!(f.sni.is_none() && f.groups.is_empty() && f.supported_versions.is_empty());
    assert_eq!(f.cipher_suites, vec![0x1301]);
}

#[test]
fn client_hello_framing_errors_are_malformed() {
    let good = client_hello(0x0303, &[], &[0x1301], Some(&[extension(0x1234, &[1])]));
    // One byte short: the extension block's length no longer fits.
    let reason = malformed_reason(parse_handshake(1, &good[..good.len() - 1], false));
    assert_eq!(reason, "truncated extension block");
    // One byte too many.
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        malformed_reason(parse_handshake(1, &long, false)),
        "1 bytes after the extensions"
    );
    // An extension overrunning its block.
    let mut bad = client_hello(0x0303, &[], &[0x1301], None);
    bad.extend(vec16(&[0x12, 0x34, 0x00, 0x05, 1]));
    assert_eq!(
        malformed_reason(parse_handshake(1, &bad, false)),
        "extension 4660 overruns the extension block"
    );
    assert_eq!(
        malformed_reason(parse_handshake(
            1,
            &client_hello(0x0303, &[0; 33], &[1], None),
            false
        )),
        "legacy_session_id longer than 32 bytes"
    );
    let mut odd = 0x0303u16.to_be_bytes().to_vec();
    odd.extend([0; 32]);
    odd.push(0);
    odd.extend(vec16(&[0x13, 0x01, 0x13]));
    odd.extend(vec8(&[0]));
    assert_eq!(
        malformed_reason(parse_handshake(1, &odd, false)),
        "odd cipher_suites length"
    );
    assert_eq!(
        parse_handshake(1, &[], false),
        HandshakeFacts::Malformed {
            msg_type: 1,
            reason: "truncated before legacy_version".to_string()
        }
    );
    assert_eq!(
        malformed_reason(parse_handshake(1, &[3, 3, 0], false)),
        "truncated random"
    );
}

// ---------------------------------------------------------------------------------------------
// ServerHello / HelloRetryRequest.

#[test]
fn hello_retry_request_from_sample() {
    let f = sh(2, &hex(fixtures::SH_HRR));
    assert!(f.hello_retry_request);
    assert_eq!(f.legacy_version, 0x0303);
    assert_eq!(f.selected_version, Some(0x0304));
    assert_eq!(f.negotiated_version(), 0x0304);
    assert_eq!(f.cipher_suite, 0x1302);
    assert_eq!(f.selected_group, Some(24));
    assert_eq!(group_name(24), "secp384r1");
    assert_eq!(f.extensions, vec![43, 51]);
    assert_eq!(f.alpn, None);
    assert_eq!(f.session_id_len, 32);
    assert_eq!(f.downgrade_sentinel, None);
    assert!(f.malformed_extensions.is_empty());
}

#[test]
fn server_hello_tls12_from_sample() {
    let f = sh(2, &hex(fixtures::SH_TLS12));
    assert!(!f.hello_retry_request);
    assert_eq!(f.legacy_version, 0x0303);
    assert_eq!(f.selected_version, None);
    assert_eq!(f.negotiated_version(), 0x0303);
    assert_eq!(f.cipher_suite, 0xc030);
    assert_eq!(
        cipher_suite_name(f.cipher_suite),
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    );
    assert_eq!(f.extensions, vec![0xff01, 11, 23]);
    assert_eq!(f.selected_group, None);
    assert_eq!(f.session_id_len, 32);
    assert_eq!(f.compression_method, 0);
    // `s_server -tls1_2` has TLS 1.3 disabled, so it sets no downgrade sentinel.
    assert_eq!(f.downgrade_sentinel, None);
}

#[test]
fn server_hello_with_downgrade_sentinel_from_corpus() {
    let f = sh(2, &corpus!(ShDowngrade));
    assert_eq!(f.negotiated_version(), 0x0303);
    assert_eq!(f.downgrade_sentinel, Some(0x0303));
    assert_eq!(f.cipher_suite, 0xc02f);
    assert_eq!(f.alpn.as_deref(), Some("h2"));
    assert_eq!(f.extensions, vec![0xff01, 0, 11, 16, 23]);
    assert!(f.malformed_extensions.is_empty());
}

#[test]
fn server_hello_tls13_draft18_from_corpus() {
    // tls-parser 0.12 parses 0x7f12 but rejects 0x7f13..=0x7f15 (drafts 19-21); both work here.
    let f = sh(2, &corpus!(ShDraft18));
    assert_eq!(f.legacy_version, 0x7f12);
    assert_eq!(f.negotiated_version(), 0x7f12);
    assert_eq!(version_name(f.negotiated_version()), "TLS 1.3 draft 18");
    assert_eq!(f.cipher_suite, 0x1301);
    assert_eq!(f.extensions, vec![40]);
    assert_eq!(f.selected_group, Some(29));
    assert!(!f.hello_retry_request);
    let mut draft19 = corpus!(ShDraft18);
    draft19[1] = 0x13;
    assert_eq!(sh(2, &draft19).negotiated_version(), 0x7f13);
}

#[test]
fn server_hello_built_by_hand() {
    let mut random = [0x33; 32];
    random[24..].copy_from_slice(b"DOWNGRD\x00");
    let exts = [
        extension(16, &alpn_ext(&[b"http/1.1"])),
        extension(0xff01, &[0]),
        extension(51, &[0, 29, 0, 2, 1, 2]),
    ];
    let f = sh(2, &server_hello(0x0302, random, 0x002f, Some(&exts)));
    assert_eq!(f.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(f.extensions, vec![16, 0xff01, 51]);
    assert_eq!(f.selected_group, Some(29));
    assert_eq!(f.downgrade_sentinel, Some(0x0302));
    assert_eq!(f.negotiated_version(), 0x0302);

    // Bad contents are listed; the rest stays.
    let exts = [
        extension(16, &alpn_ext(&[b"h2", b"http/1.1"])),
        extension(43, &[3, 4, 0]),
        extension(51, &[0]),
        extension(0x0a0a, &[]),
    ];
    let f = sh(2, &server_hello(0x0303, [0; 32], 0x1301, Some(&exts)));
    assert_eq!(f.alpn.as_deref(), Some("h2"));
    assert_eq!(f.malformed_extensions, vec![16, 43, 51]);
    assert_eq!(f.selected_version, None);
    assert_eq!(f.selected_group, None);
    assert_eq!(
        f.extensions,
        vec![16, 43, 51, 0x0a0a],
        "GREASE kept in a ServerHello"
    );

    // SSL 3.0 ServerHello: no extension block at all.
    let f = sh(2, &server_hello(0x0300, [0; 32], 0x000a, None));
    assert_eq!((f.negotiated_version(), f.cipher_suite), (0x0300, 0x000a));
    assert!(f.extensions.is_empty());
}

#[test]
fn draft_hello_retry_request_message_type_6() {
    // Draft 19: version, cipher_suite, extensions (key_share = 40 with just the group).
    let mut body = 0x7f13u16.to_be_bytes().to_vec();
    body.extend(0x1301u16.to_be_bytes());
    body.extend(vec16(&extension(40, &[0, 23])));
    let f = sh(6, &body);
    assert!(f.hello_retry_request);
    assert_eq!((f.legacy_version, f.cipher_suite), (0x7f13, 0x1301));
    assert_eq!(f.selected_group, Some(23));
    // Draft 18 had no cipher suite.
    let mut body = 0x7f12u16.to_be_bytes().to_vec();
    body.extend(vec16(&extension(40, &[0, 24])));
    let f = sh(6, &body);
    assert_eq!((f.cipher_suite, f.selected_group), (0, Some(24)));
}

#[test]
fn server_hello_framing_errors_are_malformed() {
    let good = server_hello(0x0303, [0; 32], 0x1301, Some(&[extension(43, &[3, 4])]));
    assert_eq!(
        malformed_reason(parse_handshake(2, &good[..good.len() - 2], false)),
        "truncated extension block"
    );
    assert_eq!(
        malformed_reason(parse_handshake(2, &good[..35], false)),
        "truncated legacy_session_id"
    );
    assert_eq!(
        malformed_reason(parse_handshake(2, &[3], false)),
        "truncated before version"
    );
}

// ---------------------------------------------------------------------------------------------
// Certificates and chain checks.

const SAMPLE_NOT_BEFORE: i64 = 1_795_677_112; // 2026-11-26T07:11:52Z
const SAMPLE_NOT_AFTER: i64 = 1_858_749_112; // 2028-11-25T07:11:52Z
const SAMPLE_CAPTURE: i64 = 1_795_677_117; // frame time of the Certificate in tls12-complete

#[test]
fn certificate_chain_from_sample() {
    let certs = chain(&hex(fixtures::CERT_TLS12), false);
    assert_eq!(certs.len(), 2);
    let (leaf, int) = (&certs[0], &certs[1]);
    assert_eq!((leaf.position, int.position), (0, 1));
    assert_eq!((leaf.der_length, int.der_length), (1004, 944));
    for c in &certs {
        assert_eq!(c.parse_error, None);
        assert_eq!(c.key_type, "RSA");
        assert_eq!(c.key_bits, Some(2048));
        assert_eq!(c.signature_algorithm, "sha256WithRSAEncryption");
        assert_eq!(
            (c.not_before, c.not_after),
            (SAMPLE_NOT_BEFORE, SAMPLE_NOT_AFTER)
        );
        assert!(!c.self_signed);
    }
    assert!(!leaf.is_ca);
    assert!(int.is_ca);
    assert_eq!(
        leaf.names,
        vec!["api.pcapscrub-test.example", "api.pcapscrub-test.example"],
        "SAN dNSName, then the subject CN"
    );
    assert_eq!(leaf.san_names, 1);
    assert_eq!(int.common_names, vec!["pcapscrub Test Intermediate CA"]);
    assert_eq!(leaf.issuer_raw, int.subject_raw);

    let checks = chain_checks(&certs, Some("api.pcapscrub-test.example"), SAMPLE_CAPTURE);
    assert_eq!(
        checks,
        ChainChecks {
            leaf_matches_sni: Some(true),
            in_order: true,
            expired_at_capture: false,
            not_yet_valid_at_capture: false,
        }
    );
    let ok = |sni: &str| chain_checks(&certs, Some(sni), SAMPLE_CAPTURE).leaf_matches_sni;
    assert_eq!(ok("API.PCAPSCRUB-TEST.EXAMPLE."), Some(true));
    assert_eq!(ok("www.pcapscrub-test.example"), Some(false));
    assert_eq!(ok("pcapscrub Test Intermediate CA"), Some(false));
    assert_eq!(ok("10.77.0.2"), Some(false));
    assert_eq!(
        chain_checks(&certs, None, SAMPLE_CAPTURE).leaf_matches_sni,
        None
    );

    let after = chain_checks(&certs, None, SAMPLE_NOT_AFTER + 1);
    assert!(after.expired_at_capture && !after.not_yet_valid_at_capture);
    let at_end = chain_checks(&certs, None, SAMPLE_NOT_AFTER);
    assert!(
        !at_end.expired_at_capture,
        "not_after itself is still valid"
    );
    let before = chain_checks(&certs, None, SAMPLE_NOT_BEFORE - 1);
    assert!(before.not_yet_valid_at_capture && !before.expired_at_capture);

    let reversed: Vec<CertificateFacts> = certs.iter().rev().cloned().collect();
    assert!(!chain_checks(&reversed, None, SAMPLE_CAPTURE).in_order);
    assert!(chain_checks(&certs[..1], None, SAMPLE_CAPTURE).in_order);
    assert_eq!(
        chain_checks(&[], Some("api.pcapscrub-test.example"), SAMPLE_CAPTURE),
        ChainChecks {
            leaf_matches_sni: None,
            in_order: true,
            expired_at_capture: false,
            not_yet_valid_at_capture: false,
        }
    );
}

#[test]
fn tls13_certificate_layout() {
    let leaf = hex(fixtures::CERT_DER_EC);
    let ed = hex(fixtures::CERT_DER_ED);
    let mut entries = vec24(&leaf);
    entries.extend(vec16(&extension(5, &[1, 2, 3]))); // e.g. a stapled OCSP status
    entries.extend(vec24(&ed));
    entries.extend(vec16(&[]));
    let mut body = vec8(&[]);
    body.extend(vec24(&entries));
    let certs = chain(&body, true);
    assert_eq!(certs.len(), 2);
    assert_eq!(
        (certs[0].der_length, certs[1].der_length),
        (leaf.len(), ed.len())
    );
    assert_eq!(
        (certs[0].key_type.as_str(), certs[1].key_type.as_str()),
        ("EC", "Ed25519")
    );
    // The same bytes in the TLS 1.2 layout do not fit.
    assert!(matches!(
        parse_handshake(11, &body, false),
        HandshakeFacts::Malformed { msg_type: 11, .. }
    ));
}

#[test]
fn self_signed_ec_certificate_with_wildcard_and_ip_sans() {
    let der = hex(fixtures::CERT_DER_EC);
    let c = certificate_facts(0, &der);
    assert_eq!(c.parse_error, None);
    assert_eq!(c.key_type, "EC");
    assert_eq!(c.key_bits, Some(384));
    assert_eq!(c.signature_algorithm, "ecdsa-with-SHA384");
    assert!(c.is_ca && c.self_signed);
    assert_eq!((c.not_before, c.not_after), (1_795_677_507, 2_111_037_507));
    assert_eq!(
        c.dns_names,
        vec![
            "*.wild.pcapscrub-test.example",
            "exact.pcapscrub-test.example"
        ]
    );
    let v4: IpAddr = "192.0.2.7".parse().expect("ip");
    let v6: IpAddr = "2001:db8::1".parse().expect("ip");
    assert_eq!(c.ip_addresses, vec![v4, v6]);
    assert_eq!(c.san_names, 4);
    assert_eq!(
        c.names,
        vec![
            "*.wild.pcapscrub-test.example",
            "exact.pcapscrub-test.example",
            "192.0.2.7",
            "2001:db8::1",
            "wildcard test"
        ]
    );
    let m = |host: &str| certificate_matches_host(&c, host);
    assert!(m("a.wild.pcapscrub-test.example"));
    assert!(m("A-1.WILD.pcapscrub-test.example."));
    assert!(
        !m("wild.pcapscrub-test.example"),
        "the wildcard needs one label"
    );
    assert!(!m("a.b.wild.pcapscrub-test.example"), "and only one");
    assert!(m("exact.pcapscrub-test.example"));
    assert!(!m("wildcard test"), "CN is ignored when dNSName SANs exist");
    assert!(m("192.0.2.7"));
    assert!(m("2001:db8:0::1"));
    assert!(m("[2001:db8::1]"));
    assert!(!m("192.0.2.8"));
    let checks = chain_checks(
        std::slice::from_ref(&c),
        Some("x.wild.pcapscrub-test.example"),
        1_795_677_507,
    );
    assert_eq!(checks.leaf_matches_sni, Some(true));
    assert!(checks.in_order && !checks.expired_at_capture && !checks.not_yet_valid_at_capture);
}

#[test]
fn ed25519_certificate_matches_by_cn_without_san() {
    let c = certificate_facts(0, &hex(fixtures::CERT_DER_ED));
    assert_eq!((c.key_type.as_str(), c.key_bits), ("Ed25519", Some(255)));
    assert_eq!(c.signature_algorithm, "ed25519");
    assert!(c.self_signed);
    assert!(
        c.is_ca,
        "openssl req -x509 adds basicConstraints CA:TRUE by default"
    );
    assert_eq!(c.san_names, 0);
    assert!(certificate_matches_host(
        &c,
        "ed25519-cn-only.pcapscrub-test.example"
    ));
    assert!(!certificate_matches_host(
        &c,
        "other.pcapscrub-test.example"
    ));
}

#[test]
fn dsa_certificate_key_size_comes_from_p() {
    let c = certificate_facts(0, &hex(fixtures::CERT_DER_DSA));
    assert_eq!((c.key_type.as_str(), c.key_bits), ("DSA", Some(2048)));
    // dsa_with_SHA256 is not in x509-parser's OID registry: the dotted OID is used.
    assert_eq!(c.signature_algorithm, "2.16.840.1.101.3.4.3.2");
}

#[test]
fn unparsable_certificate_gets_parse_error_and_defaults() {
    let mut body = vec24(b"not a certificate");
    body.extend(vec24(&hex(fixtures::CERT_DER_ED)));
    let certs = chain(&vec24(&body), false);
    assert_eq!(certs.len(), 2);
    let bad = &certs[0];
    assert!(bad.parse_error.is_some());
    assert_eq!(
        (bad.der_length, bad.key_type.as_str(), bad.key_bits),
        (17, "unknown", None)
    );
    assert!(bad.names.is_empty() && !bad.self_signed && !bad.is_ca);
    assert_eq!(certs[1].key_type, "Ed25519");
    let checks = chain_checks(&certs, Some("ed25519-cn-only.pcapscrub-test.example"), 0);
    assert_eq!(
        checks.leaf_matches_sni, None,
        "cannot judge an unparsable leaf"
    );
    assert!(!checks.in_order);
    assert!(
        checks.not_yet_valid_at_capture,
        "from the parsed certificate only"
    );
    assert!(
        !checks.expired_at_capture,
        "the defaulted not_after of 0 does not count"
    );
}

#[test]
fn certificate_framing_errors() {
    // The reasons are the grammar's (tls/messages.rs): the message fits its layout or not.
    const NOT_FITTING: &str = "does not fit the Certificate layout";
    assert_eq!(chain(&vec24(&[]), false), vec![], "an empty chain is legal");
    let empty_entry = vec24(&vec24(&[]));
    assert_eq!(
        malformed_reason(parse_handshake(11, &empty_entry, false)),
        NOT_FITTING,
        "ASN.1Cert<1..2^24-1>: an empty certificate is malformed"
    );
    let full = single_cert_message(&hex(fixtures::CERT_DER_ED));
    let mut inner = vec24(&hex(fixtures::CERT_DER_ED));
    inner.pop();
    let mut extra = full.clone();
    extra.push(0);
    for (what, body) in [
        ("truncated list", &full[..full.len() - 1]),
        ("certificate overrunning the list", &vec24(&inner)[..]),
        ("byte after the list", &extra[..]),
    ] {
        assert_eq!(
            malformed_reason(parse_handshake(11, body, false)),
            NOT_FITTING,
            "{what}"
        );
    }
    assert_eq!(
        malformed_reason(parse_handshake(11, &full, true)),
        "does not fit the TLS 1.3 Certificate layout"
    );
    let many: Vec<u8> = (0..=MAX_CHAIN_LEN).flat_map(|_| vec24(&[0x30])).collect();
    assert_eq!(
        malformed_reason(parse_handshake(11, &vec24(&many), false)),
        "more than 100 certificates"
    );
    assert_eq!(chain(&vec24(&many[4..]), false).len(), MAX_CHAIN_LEN);
}

#[test]
fn smaller_messages_read_from_the_grammar_walk() {
    // An empty DistinguishedName is not a name (DistinguishedName<1..2^16-1>).
    let mut body = vec8(&[1]);
    body.extend(vec16(&vec16(&[])));
    assert_eq!(
        malformed_reason(parse_handshake(13, &body, false)),
        "fits no CertificateRequest layout"
    );
    // ocsp_multi: the length is the list's.
    let mut body = vec![2];
    body.extend(vec24(&[vec24(&[0x30; 10]), vec24(&[0x30; 20])].concat()));
    assert_eq!(
        parse_handshake(22, &body, false),
        HandshakeFacts::CertificateStatus { length: 36 }
    );
    // A status type other than ocsp and ocsp_multi is not one the registry defines.
    let mut body = vec![3];
    body.extend(vec24(&[0x30; 10]));
    assert_eq!(
        malformed_reason(parse_handshake(22, &body, false)),
        "not an ocsp or ocsp_multi status of its stated length"
    );
    // EncryptedExtensions whose one extension overruns the block.
    assert_eq!(
        malformed_reason(parse_handshake(8, &vec16(&[0, 0, 0, 5, 1]), false)),
        "extensions do not frame the message"
    );
}

#[test]
fn wildcard_matching_rules() {
    let cases: &[(&str, &str, bool)] = &[
        ("*.example.com", "www.example.com", true),
        ("*.example.com", "WWW.Example.COM", true),
        ("*.example.com.", "www.example.com", true),
        ("*.example.com", "www.example.com.", true),
        ("*.example.com", "example.com", false),
        ("*.example.com", "a.b.example.com", false),
        ("*.example.com", ".example.com", false),
        ("*.example.com", "wwwexample.com", false),
        ("www.*.com", "www.example.com", false),
        ("w*.example.com", "www.example.com", false),
        ("*w.example.com", "www.example.com", false),
        ("*", "localhost", false),
        ("*.", "localhost", false),
        ("*.*.example.com", "a.b.example.com", false),
        ("example.com", "example.com", true),
        ("Example.COM", "example.com", true),
        ("example.com", "www.example.com", false),
        ("xn--bcher-kva.example", "XN--BCHER-KVA.example", true),
        ("*.example.com", "*.example.com", false),
        ("", "", false),
        ("example.com", "", false),
    ];
    for (pattern, host, expected) in cases {
        assert_eq!(
            dns_name_matches(pattern, host),
            *expected,
            "{pattern:?} vs {host:?}"
        );
    }
}

#[test]
fn ip_literal_sni_never_matches_a_dns_name() {
    let c = CertificateFacts {
        dns_names: vec!["10.0.0.1".to_string(), "*.0.0.1".to_string()],
        common_names: vec!["10.0.0.1".to_string()],
        ..CertificateFacts::default()
    };
    assert!(!certificate_matches_host(&c, "10.0.0.1"));
    let c = CertificateFacts {
        ip_addresses: vec!["10.0.0.1".parse().expect("ip")],
        ..CertificateFacts::default()
    };
    assert!(certificate_matches_host(&c, "10.0.0.1"));
    assert!(!certificate_matches_host(&c, "10.0.0.2"));
}

// ---------------------------------------------------------------------------------------------
// SSLv2-compatible hello.

#[test]
fn sslv2_compatible_client_hello_from_corpus() {
    let f = parse_sslv2_client_hello(&corpus!(Sslv2CompatHello)).expect("SSLv2 hello");
    assert!(f.sslv2_compat);
    assert_eq!(f.legacy_version, 0x0301);
    // 26 specs, of which these 20 have a first byte of 0 (tshark lists the same order).
    assert_eq!(
        f.cipher_suites,
        vec![
            0x0039, 0x0038, 0x0035, 0x0033, 0x0032, 0x0004, 0x0005, 0x002f, 0x0016, 0x0013, 0xfeff,
            0x000a, 0x0015, 0x0012, 0xfefe, 0x0009, 0x0064, 0x0062, 0x0003, 0x0006
        ]
    );
    assert_eq!(f.session_id_len, 0);
    assert!(f.extensions.is_empty() && f.sni.is_none() && f.supported_versions.is_empty());
    assert!(f.offers_version(0x0301) && !f.offers_version(0x0302));
}

#[test]
fn pure_sslv2_client_hello_from_corpus() {
    let f = parse_sslv2_client_hello(&corpus!(Sslv2PureHello)).expect("SSLv2 hello");
    assert_eq!(f.legacy_version, 0x0002);
    assert_eq!(version_name(f.legacy_version), "SSL 2.0");
    assert!(f.cipher_suites.is_empty(), "only SSLv2 cipher specs");
    assert!(!f.offers_version(0x0300));
}

#[test]
fn sslv2_hello_rejects_what_does_not_fit() {
    let good = corpus!(Sslv2CompatHello);
    assert!(
        parse_sslv2_client_hello(&good[..good.len() - 1]).is_none(),
        "short challenge"
    );
    let mut trailing = good.clone();
    trailing.extend([0x16, 3, 1]);
    assert!(
        parse_sslv2_client_hello(&trailing).is_some(),
        "trailing bytes are ignored"
    );
    let mut not_hello = good.clone();
    not_hello[0] = 2;
    assert!(parse_sslv2_client_hello(&not_hello).is_none());
    let mut bad_specs = good.clone();
    bad_specs[4] = 77; // cipher spec length 77 is not a multiple of 3
    assert!(parse_sslv2_client_hello(&bad_specs).is_none());
    let mut short_challenge = good;
    short_challenge[8] = 8;
    assert!(parse_sslv2_client_hello(&short_challenge).is_none());
    assert!(parse_sslv2_client_hello(&[]).is_none());
}

// ---------------------------------------------------------------------------------------------
// The other messages.

#[test]
fn other_message_types() {
    assert_eq!(parse_handshake(0, &[], false), HandshakeFacts::HelloRequest);
    assert_eq!(
        parse_handshake(14, &[], false),
        HandshakeFacts::ServerHelloDone
    );
    assert_eq!(
        parse_handshake(5, &[], false),
        HandshakeFacts::EndOfEarlyData
    );
    assert_eq!(
        malformed_reason(parse_handshake(14, &[0], false)),
        "1 unexpected bytes in an empty message"
    );
    assert_eq!(
        parse_handshake(12, &[1, 2, 3], false),
        HandshakeFacts::ServerKeyExchange
    );
    assert_eq!(
        parse_handshake(16, &vec16(&[9; 8]), false),
        HandshakeFacts::ClientKeyExchange
    );
    assert_eq!(
        parse_handshake(15, &[4, 1, 0, 0], false),
        HandshakeFacts::CertificateVerify
    );
    assert_eq!(
        parse_handshake(20, &[0; 12], false),
        HandshakeFacts::Finished
    );
    assert!(matches!(
        parse_handshake(20, &[], false),
        HandshakeFacts::Malformed { .. }
    ));
    assert_eq!(parse_handshake(24, &[1], false), HandshakeFacts::KeyUpdate);
    assert!(matches!(
        parse_handshake(24, &[1, 0], false),
        HandshakeFacts::Malformed { .. }
    ));
    assert_eq!(
        parse_handshake(8, &vec16(&extension(0, &[])), false),
        HandshakeFacts::EncryptedExtensions {
            extensions: vec![0],
            alpn: None
        }
    );
    // A server that rejected ECH sends its retry configurations here (draft-ietf-tls-esni 7.1).
    let mut ee = extension(16, &vec16(&[2, b'h', b'2']));
    ee.extend(extension(0xfe0d, &vec16(&[0xfe, 0x0d, 0, 1, 9])));
    assert_eq!(
        parse_handshake(8, &vec16(&ee), true),
        HandshakeFacts::EncryptedExtensions {
            extensions: vec![16, 0xfe0d],
            alpn: Some("h2".to_string())
        }
    );
    // RFC 7301 3.1: the server selects one protocol; a list of two selects none.
    let two = extension(16, &vec16(&[2, b'h', b'2', 2, b'h', b'3']));
    assert_eq!(
        parse_handshake(8, &vec16(&two), true),
        HandshakeFacts::EncryptedExtensions {
            extensions: vec![16],
            alpn: None
        }
    );
    assert!(matches!(
        parse_handshake(8, &[0, 5, 0], false),
        HandshakeFacts::Malformed { .. }
    ));
    for t in [3u8, 7, 21, 23, 25, 67, 254, 255] {
        assert_eq!(
            parse_handshake(t, &[1, 2, 3], false),
            HandshakeFacts::Other { msg_type: t }
        );
    }
}

#[test]
fn new_session_ticket_both_layouts() {
    // TLS 1.2 (RFC 5077).
    let mut body = 7200u32.to_be_bytes().to_vec();
    body.extend(vec16(&[0xab; 150]));
    assert_eq!(
        parse_handshake(4, &body, false),
        HandshakeFacts::NewSessionTicket {
            ticket_length: 150,
            lifetime: 7200
        }
    );
    // An empty ticket is legal in TLS 1.2 (the server takes the offer back).
    let mut empty = 0u32.to_be_bytes().to_vec();
    empty.extend(vec16(&[]));
    assert_eq!(
        parse_handshake(4, &empty, false),
        HandshakeFacts::NewSessionTicket {
            ticket_length: 0,
            lifetime: 0
        }
    );
    // TLS 1.3.
    let mut body = 300u32.to_be_bytes().to_vec();
    body.extend([0xff, 0xee, 0xdd, 0xcc]);
    body.extend(vec8(&[0]));
    body.extend(vec16(&[0x5a; 192]));
    body.extend(vec16(&extension(42, &[0, 0, 0x40, 0])));
    assert_eq!(
        parse_handshake(4, &body, false),
        HandshakeFacts::NewSessionTicket {
            ticket_length: 192,
            lifetime: 300
        }
    );
    assert!(matches!(
        parse_handshake(4, &[0, 0, 1], false),
        HandshakeFacts::Malformed { .. }
    ));
}

#[test]
fn certificate_request_all_layouts() {
    let dn = vec16(&[0x30, 0x00]);
    let cas = vec16(&[dn.clone(), dn.clone(), dn].concat());
    // TLS 1.2.
    let mut body = vec8(&[1, 64]);
    body.extend(vec16(&u16s(&[0x0804, 0x0403])));
    body.extend(cas.clone());
    assert_eq!(
        parse_handshake(13, &body, false),
        HandshakeFacts::CertificateRequest { ca_names: 3 }
    );
    // TLS 1.0: no signature algorithms.
    let mut body = vec8(&[1]);
    body.extend(cas.clone());
    assert_eq!(
        parse_handshake(13, &body, false),
        HandshakeFacts::CertificateRequest { ca_names: 3 }
    );
    let mut body = vec8(&[1]);
    body.extend(vec16(&[]));
    assert_eq!(
        parse_handshake(13, &body, false),
        HandshakeFacts::CertificateRequest { ca_names: 0 }
    );
    // TLS 1.3: context + extensions with certificate_authorities (47).
    let mut body = vec8(&[]);
    body.extend(vec16(
        &[extension(13, &vec16(&u16s(&[0x0804]))), extension(47, &cas)].concat(),
    ));
    assert_eq!(
        parse_handshake(13, &body, false),
        HandshakeFacts::CertificateRequest { ca_names: 3 }
    );
    assert!(matches!(
        parse_handshake(13, &[5, 1], false),
        HandshakeFacts::Malformed { .. }
    ));
}

#[test]
fn certificate_status() {
    let mut body = vec![1];
    body.extend(vec24(&[0x30; 471]));
    assert_eq!(
        parse_handshake(22, &body, false),
        HandshakeFacts::CertificateStatus { length: 471 }
    );
    assert!(matches!(
        parse_handshake(22, &body[..body.len() - 1], false),
        HandshakeFacts::Malformed { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Sensitive data never leaves through Serialize or Debug.

#[test]
fn serialization_and_debug_carry_no_host_names() {
    let facts = [
        parse_handshake(1, &hex(fixtures::CH_TLS13_ONLY), false),
        parse_handshake(1, &corpus!(ChGreaseEch), false),
        parse_handshake(11, &hex(fixtures::CERT_TLS12), false),
        parse_handshake(11, &single_cert_message(&hex(fixtures::CERT_DER_EC)), false),
    ];
    let yaml = serde_saphyr::to_string(&facts).expect("serialize");
    let debug = format!("{facts:?}");
    for secret in [
        "pcapscrub-test",
        "clients2",
        "google",
        "Intermediate",
        "wildcard test",
        "192.0.2.7",
        "2001:db8",
    ] {
        assert!(!yaml.contains(secret), "{secret} in YAML:\n{yaml}");
        assert!(!debug.contains(secret), "{secret} in Debug");
    }
    // What the summary does say.
    assert!(yaml.contains("present: true"), "{yaml}");
    assert!(yaml.contains("length: 26"), "{yaml}");
    assert!(yaml.contains("key_bits: 2048"), "{yaml}");
    assert!(yaml.contains("sha256WithRSAEncryption"), "{yaml}");
    let checks = chain_checks(&[], None, 0);
    let yaml = serde_saphyr::to_string(&checks).expect("serialize");
    assert!(yaml.contains("leaf_matches_sni"), "{yaml}");
    let absent = serde_saphyr::to_string(&ClientHelloFacts::default()).expect("serialize");
    assert!(absent.contains("present: false"), "{absent}");
}

// ---------------------------------------------------------------------------------------------
// Never panic.

#[test]
fn every_prefix_of_every_fixture_is_handled() {
    for (t, bytes) in fixture_messages() {
        for end in 0..bytes.len() {
            for tls13 in [false, true] {
                let _ = parse_handshake(t, &bytes[..end], tls13);
            }
        }
        // Handshake messages carry their own lengths, so one byte short is never the whole
        // message.
        let cut = &bytes[..bytes.len() - 1];
        assert!(
            matches!(
                parse_handshake(t, cut, false),
                HandshakeFacts::Malformed { .. }
            ),
            "type {t}: one byte short still parsed"
        );
    }
    let sslv2 = corpus!(Sslv2CompatHello);
    for end in 0..sslv2.len() {
        assert!(parse_sslv2_client_hello(&sslv2[..end]).is_none());
    }
}

fn fixture_messages() -> Vec<(u8, Vec<u8>)> {
    vec![
        (1, hex(fixtures::CH_TLS13_ONLY)),
        (2, hex(fixtures::SH_HRR)),
        (2, hex(fixtures::SH_TLS12)),
        (11, hex(fixtures::CERT_TLS12)),
        (11, single_cert_message(&hex(fixtures::CERT_DER_EC))),
    ]
    .into_iter()
    .chain(
        [
            (1, fixtures::Corpus::ChGreaseEch),
            (2, fixtures::Corpus::ShDraft18),
            (2, fixtures::Corpus::ShDowngrade),
        ]
        .into_iter()
        .filter_map(|(t, c)| fixtures::corpus(c).map(|b| (t, b))),
    )
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_handshake_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        tls13 in any::<bool>(),
    ) {
        for t in 0..=255u8 {
            let _ = parse_handshake(t, &body, tls13);
        }
    }

    #[test]
    fn sslv2_never_panics(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_sslv2_client_hello(&body);
        // Also with a plausible header, so the length checks further in are reached.
        let mut hello = vec![1, 3, 1, 0, 3, 0, 0, 0, 16];
        hello.extend(&body);
        let _ = parse_sslv2_client_hello(&hello);
    }

    /// Random bytes rarely get past the first length check, so also corrupt real messages:
    /// that reaches the extension, certificate and X.509 code with nearly valid input.
    #[test]
    fn corrupted_real_messages_never_panic(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        // As many messages as there are: fewer when the corpus is not beside the checkout.
        let mut messages = fixture_messages();
        let (t, mut bytes) = messages.swap_remove(which.index(messages.len()));
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let end = cut.index(bytes.len() + 1);
        for tls13 in [false, true] {
            let facts = parse_handshake(t, &bytes, tls13);
            let _ = serde_saphyr::to_string(&facts);
            let _ = parse_handshake(t, &bytes[..end], tls13);
            if let HandshakeFacts::Certificate { certificates, .. } = &facts {
                let _ = chain_checks(certificates, Some("a.example"), 0);
            }
        }
    }
}
