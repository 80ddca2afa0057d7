//! The placeholders against x509-parser and OpenSSL, every length from the minimum, and the
//! DER arithmetic.

use super::der::*;
use super::*;
use std::path::PathBuf;
use std::process::Command;
use x509_parser::parse_x509_certificate;

const T2023: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z
const T2052: i64 = 2_600_000_000; // 2052-05-22T14:13:20Z (GeneralizedTime)

fn spec(index: usize, key: KeyKind, signature: SigKind) -> PlaceholderSpec {
    PlaceholderSpec {
        index,
        not_before: T2023,
        not_after: T2023 + 90 * 86_400,
        key,
        signature,
        is_ca: false,
        self_signed: false,
    }
}

fn specs() -> Vec<PlaceholderSpec> {
    vec![
        spec(0, KeyKind::Rsa, SigKind::RsaSha256),
        PlaceholderSpec {
            is_ca: true,
            ..spec(1, KeyKind::Rsa, SigKind::RsaSha384)
        },
        PlaceholderSpec {
            is_ca: true,
            self_signed: true,
            not_after: T2052,
            ..spec(
                2,
                KeyKind::Ec {
                    curve: EcCurve::P384,
                },
                SigKind::EcdsaSha384,
            )
        },
        spec(
            0,
            KeyKind::Ec {
                curve: EcCurve::P256,
            },
            SigKind::RsaSha512,
        ),
        spec(
            7,
            KeyKind::Ec {
                curve: EcCurve::P521,
            },
            SigKind::EcdsaSha512,
        ),
        spec(3, KeyKind::Ed25519, SigKind::Ed25519),
        spec(12, KeyKind::Ed448, SigKind::Ed448),
        spec(4, KeyKind::Other, SigKind::Other),
        spec(
            1,
            KeyKind::Ec {
                curve: EcCurve::P256,
            },
            SigKind::EcdsaSha256,
        ),
        spec(5, KeyKind::Rsa, SigKind::RsaSha1),
    ]
}

/// The lengths no DER SEQUENCE can have.
fn impossible(len: usize) -> bool {
    matches!(len, 259 | 65_540 | 16_777_221)
}

fn cn(name: &x509_parser::x509::X509Name<'_>) -> String {
    let cns: Vec<_> = name.iter_common_name().collect();
    assert_eq!(cns.len(), 1, "exactly one CN");
    assert_eq!(name.iter().count(), 1, "exactly one RDN");
    cns[0].as_str().map(str::to_owned).unwrap_or_default()
}

/// Everything the placeholder promises, checked with x509-parser.
fn check(der: &[u8], len: usize, s: &PlaceholderSpec) {
    assert_eq!(der.len(), len, "length for {s:?}");
    let (rest, cert) = parse_x509_certificate(der)
        .unwrap_or_else(|e| panic!("len {len} {s:?}: x509-parser rejects: {e}"));
    assert!(rest.is_empty(), "len {len}: {} trailing octets", rest.len());
    assert_eq!(cert.version(), x509_parser::x509::X509Version::V3);
    assert_eq!(cn(cert.subject()), format!("redacted-{}", s.index));
    let issuer = u128::try_from(s.index).unwrap_or(0) + u128::from(!s.self_signed);
    assert_eq!(cn(cert.issuer()), format!("redacted-{issuer}"));
    assert_eq!(cert.validity().not_before.timestamp(), s.not_before);
    assert_eq!(cert.validity().not_after.timestamp(), s.not_after);
    let spki = cert.public_key();
    assert_eq!(spki.algorithm.algorithm.to_id_string(), dotted(s.key.oid()));
    if let KeyKind::Ec { curve } = s.key {
        let param = spki.algorithm.parameters.as_ref().map(|p| p.as_oid());
        let param = param.and_then(Result::ok).map(|o| o.to_id_string());
        assert_eq!(param, Some(dotted(curve.oid())));
    }
    if matches!(s.key, KeyKind::Rsa | KeyKind::Other | KeyKind::Ec { .. }) {
        assert!(spki.parsed().is_ok(), "public key parses");
    }
    let sig = dotted(s.signature.oid());
    assert_eq!(cert.signature_algorithm.algorithm.to_id_string(), sig);
    assert_eq!(cert.tbs_certificate.signature.algorithm.to_id_string(), sig);
    assert_eq!(cert.is_ca(), s.is_ca);
    assert_eq!(cert.extensions().len(), usize::from(s.is_ca));
}

fn lengths(s: &PlaceholderSpec) -> Vec<usize> {
    let mut v: Vec<usize> = (min_placeholder_len(s)..=2_000).collect();
    v.extend([4_096, 16_383, 16_384, 65_535, 65_536, 70_000]);
    v.extend(65_530..=65_550);
    v
}

#[test]
fn every_length_from_the_minimum_is_exact_and_parses() {
    for s in specs() {
        for len in lengths(&s) {
            match placeholder_certificate(len, &s) {
                Some(der) => check(&der, len, &s),
                None => assert!(impossible(len), "no placeholder of {len} for {s:?}"),
            }
        }
    }
}

#[test]
fn below_the_minimum_and_impossible_lengths_are_none() {
    for s in specs() {
        let min = min_placeholder_len(&s);
        assert!(min <= MIN_LEN_BOUND);
        for len in 0..min {
            assert_eq!(placeholder_certificate(len, &s), None, "{len}");
        }
        for len in [259, 65_540] {
            assert!(len < min || placeholder_certificate(len, &s).is_none());
        }
        for len in [258, 260, 65_539, 65_541] {
            assert!(len < min || placeholder_certificate(len, &s).is_some());
        }
    }
}

#[test]
fn lengths_near_the_three_octet_length_limit() {
    // The largest TLS certificate entry is 2^24 - 1 octets.
    let s = spec(0, KeyKind::Rsa, SigKind::RsaSha256);
    for len in [16_777_215, 16_777_220, 16_777_222] {
        let der = placeholder_certificate(len, &s);
        check(&der.unwrap_or_default(), len, &s);
    }
    assert_eq!(placeholder_certificate(16_777_221, &s), None);
}

#[test]
fn minimum_length_bound_holds_for_the_largest_spec() {
    let mut worst = 0;
    for key in [
        KeyKind::Rsa,
        KeyKind::Ec {
            curve: EcCurve::P521,
        },
        KeyKind::Ed448,
        KeyKind::Other,
    ] {
        for signature in [SigKind::RsaSha512, SigKind::EcdsaSha512, SigKind::Ed448] {
            for index in [0, 9, 10, usize::MAX - 1, usize::MAX] {
                for (is_ca, self_signed) in [(false, false), (true, false), (true, true)] {
                    let s = PlaceholderSpec {
                        index,
                        not_before: -2_000_000_000, // 1906: GeneralizedTime
                        not_after: T2052,
                        key,
                        signature,
                        is_ca,
                        self_signed,
                    };
                    let min = min_placeholder_len(&s);
                    worst = worst.max(min);
                    let der = placeholder_certificate(min, &s).unwrap_or_default();
                    check(&der, min, &s);
                    assert_eq!(placeholder_certificate(min - 1, &s), None);
                }
            }
        }
    }
    assert_eq!(worst, MIN_LEN_BOUND);
    const { assert!(MIN_LEN_BOUND < 400) };
    // The usual case: an RSA leaf, index 0, UTCTime.
    assert_eq!(min_placeholder_len(&specs()[0]), 155);
}

#[test]
fn validity_encoding_follows_rfc_5280() {
    // (instant, UTCTime?)
    let cases = [
        (-631_152_001, false), // 1949-12-31T23:59:59Z
        (-631_152_000, true),  // 1950-01-01T00:00:00Z
        (0, true),
        (951_782_400, true),      // 2000-02-29
        (2_524_607_999, true),    // 2049-12-31T23:59:59Z
        (2_524_608_000, false),   // 2050-01-01T00:00:00Z
        (4_107_542_400, false),   // 2100-03-01
        (253_402_300_799, false), // 9999-12-31T23:59:59Z
    ];
    for (t, utc) in cases {
        let s = PlaceholderSpec {
            not_before: t,
            not_after: t,
            ..specs()[0]
        };
        let der = placeholder_certificate(600, &s).unwrap_or_default();
        check(&der, 600, &s);
        let (_, cert) = parse_x509_certificate(&der).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cert.validity().not_before.is_utctime(), utc, "{t}");
    }
    // Beyond year 9999: clamped.
    let s = PlaceholderSpec {
        not_after: i64::MAX,
        ..specs()[0]
    };
    let der = placeholder_certificate(600, &s).unwrap_or_default();
    let (_, cert) = parse_x509_certificate(&der).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cert.validity().not_after.timestamp(), 253_402_300_799);
}

#[test]
fn spec_from_unparsable_der_is_the_default() {
    for der in [
        &[][..],
        &[0x30, 0x03, 0x02, 0x01, 0x01][..],
        b"not a certificate",
    ] {
        let s = spec_from_der(3, der);
        assert_eq!(s.index, 3);
        assert_eq!((s.not_before, s.not_after), (0, 0));
        assert_eq!((s.key, s.signature), (KeyKind::Other, SigKind::Other));
        assert!(!s.is_ca && !s.self_signed);
        let der = placeholder_certificate(400, &s).unwrap_or_default();
        check(&der, 400, &s);
    }
}

#[test]
fn spec_from_der_reads_placeholders_back() {
    for s in specs() {
        let der = placeholder_certificate(700, &s).unwrap_or_default();
        let back = spec_from_der(s.index, &der);
        let expected = PlaceholderSpec {
            key: if s.key == KeyKind::Other {
                KeyKind::Rsa
            } else {
                s.key
            },
            signature: if s.signature == SigKind::Other {
                SigKind::RsaSha256
            } else {
                s.signature
            },
            ..s
        };
        assert_eq!(back, expected);
    }
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/tls12-complete.pcap")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The certificates of the sample's Certificate message, leaf first: from tshark when it
/// is installed (one hex string per certificate), else by trying every offset of the raw
/// file (the sample's certificates each sit inside one packet).
fn sample_chain() -> Vec<Vec<u8>> {
    let path = sample();
    if have("tshark") {
        let out = Command::new("tshark")
            .arg("-r")
            .arg(&path)
            .args(["-Y", "tls.handshake.certificate", "-T", "fields"])
            .args(["-e", "tls.handshake.certificate"])
            .output()
            .unwrap_or_else(|e| panic!("tshark: {e}"));
        assert!(out.status.success(), "tshark failed");
        let text = String::from_utf8_lossy(&out.stdout);
        return text
            .trim()
            .split(',')
            .map(|h| {
                (0..h.len() / 2)
                    .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap_or(0))
                    .collect()
            })
            .collect();
    }
    println!("note: tshark not found; certificates found by scanning the pcap");
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut chain = Vec::new();
    let mut i = 0;
    while i + 4 < raw.len() {
        if raw[i] == 0x30
            && raw[i + 1] == 0x82
            && let Ok((rest, _)) = parse_x509_certificate(&raw[i..])
        {
            let len = raw.len() - i - rest.len();
            chain.push(raw[i..i + len].to_vec());
            i += len;
            continue;
        }
        i += 1;
    }
    chain
}

/// No `window`-octet run of `field` occurs in `haystack`.
fn shares_window(haystack: &[u8], field: &[u8], window: usize) -> bool {
    let w = window.min(field.len());
    w > 0
        && field
            .windows(w)
            .any(|f| haystack.windows(w).any(|h| h == f))
}

#[test]
fn sample_chain_placeholders_parse_and_copy_nothing() {
    let chain = sample_chain();
    // tshark gives leaf and intermediate; the raw scan only the leaf (the intermediate is
    // split across two TCP segments).
    assert!(!chain.is_empty(), "certificates in the sample");
    for (index, original) in chain.iter().enumerate() {
        let s = spec_from_der(index, original);
        let (_, orig) = parse_x509_certificate(original).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.key, KeyKind::Rsa);
        assert_eq!(s.signature, SigKind::RsaSha256);
        assert_eq!(s.is_ca, index > 0);
        assert_eq!(
            s.self_signed,
            orig.subject().as_raw() == orig.issuer().as_raw()
        );
        assert_eq!(s.not_before, orig.validity().not_before.timestamp());

        let der = placeholder_certificate(original.len(), &s).unwrap_or_default();
        check(&der, original.len(), &s);

        // Nothing identifying survives: names, serial, key, signature, extensions.
        let mut sensitive: Vec<&[u8]> = vec![
            orig.subject().as_raw(),
            orig.issuer().as_raw(),
            orig.raw_serial(),
            &orig.public_key().subject_public_key.data,
            &orig.signature_value.data,
        ];
        sensitive.extend(orig.extensions().iter().map(|e| e.value));
        for field in sensitive {
            assert!(!shares_window(&der, field, 8), "copied bytes in {index}");
        }
        openssl_accepts(&der, &format!("sample-{index}"));
    }
}

#[test]
fn openssl_accepts_every_kind() {
    for (i, s) in specs().iter().enumerate() {
        for len in [min_placeholder_len(s), 300, 1_004, 4_096] {
            let der = placeholder_certificate(len, s).unwrap_or_default();
            openssl_accepts(&der, &format!("kind-{i}-{len}"));
        }
    }
}

/// `openssl x509 -text` and `openssl asn1parse` accept `der` and load its public key.
/// Skipped, with a note, where openssl is not installed.
fn openssl_accepts(der: &[u8], name: &str) {
    if !Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        println!("note: openssl not found; skipping the openssl check of {name}");
        return;
    }
    let path = std::env::temp_dir().join(format!(
        "pcapscrub-placeholder-{}-{name}.der",
        std::process::id()
    ));
    std::fs::write(&path, der).unwrap_or_else(|e| panic!("{e}"));
    let text = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(&path)
        .output();
    let asn1 = Command::new("openssl")
        .args(["asn1parse", "-inform", "DER", "-in"])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let text = text.unwrap_or_else(|e| panic!("{e}"));
    let asn1 = asn1.unwrap_or_else(|e| panic!("{e}"));
    let out =
        String::from_utf8_lossy(&text.stdout).into_owned() + &String::from_utf8_lossy(&text.stderr);
    assert!(text.status.success(), "openssl x509 rejects {name}: {out}");
    assert!(!out.contains("Unable to load"), "{name}: {out}");
    assert!(!out.to_lowercase().contains("error"), "{name}: {out}");
    assert!(out.contains("redacted-"), "{name}: {out}");
    assert!(asn1.status.success(), "openssl asn1parse rejects {name}");
}

#[test]
fn oid_encoding() {
    assert_eq!(oid_content(OID_CN), [0x55, 0x04, 0x03]);
    assert_eq!(
        oid_content(OID_RSA),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]
    );
    assert_eq!(oid_content(OID_P384), [0x2b, 0x81, 0x04, 0x00, 0x22]);
}

#[test]
fn der_length_arithmetic() {
    for content in [
        0, 1, 127, 128, 255, 256, 65_535, 65_536, 16_777_215, 16_777_216,
    ] {
        let t = tlv(0x04, &vec![0; content]);
        assert_eq!(t.len(), tlv_len(content));
        assert_eq!(content_len_for_tlv(t.len()), Some(content));
    }
    for total in [0, 1, 130, 259, 65_540, 16_777_221] {
        assert_eq!(content_len_for_tlv(total), None, "{total}");
    }
}

#[test]
fn rsa_placeholders_keep_the_key_size_when_they_fit() {
    let spec = PlaceholderSpec {
        index: 0,
        not_before: 1_700_000_000,
        not_after: 1_800_000_000,
        key: KeyKind::Rsa,
        signature: SigKind::RsaSha256,
        is_ca: false,
        self_signed: false,
    };
    let der = placeholder_certificate_with_key_size(1004, &spec, 2048).unwrap_or_default();
    assert_eq!(der.len(), 1004);
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap_or_else(|e| panic!("{e}"));
    let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() else {
        panic!("not RSA")
    };
    assert_eq!(rsa.key_size(), 2048);
    // Too short for a 2048-bit modulus: the minimal one, still the exact length.
    let small = placeholder_certificate_with_key_size(300, &spec, 2048).unwrap_or_default();
    assert_eq!(small.len(), 300);
}
