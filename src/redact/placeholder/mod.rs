//! Same-length placeholder certificates.
//!
//! A sanitized capture cannot simply drop a certificate: the TLS record, handshake and
//! certificate-list lengths around it (and every TCP sequence number after it) would change.
//! Instead each certificate is replaced by a placeholder of exactly the same DER length that
//! x509-parser, OpenSSL and Wireshark parse as an ordinary X.509 v3 certificate:
//!
//! ```text
//! Certificate ::= SEQUENCE {
//!   tbsCertificate SEQUENCE {
//!     version            [0] EXPLICIT INTEGER 2 (v3)
//!     serialNumber       index + 1, minimally encoded (plus slack octets, see below)
//!     signature          the original's signature algorithm
//!     issuer             CN=redacted-<n+1>   (CN=redacted-<n> when self-signed)
//!     validity           the original's notBefore / notAfter
//!     subject            CN=redacted-<n>
//!     subjectPublicKeyInfo  the original's key algorithm, public constant key bits
//!     extensions         [3] basicConstraints cA=TRUE (critical), only when the original is a CA
//!   }
//!   signatureAlgorithm   the original's signature algorithm
//!   signatureValue       BIT STRING of filler: this field absorbs the length
//! }
//! ```
//!
//! Nothing is copied from the original but the validity instants and the algorithm OIDs (which
//! come from a fixed table, not from the original's bytes). Key bits are public constants:
//! an RSA key is `SEQUENCE { INTEGER 0x5A, INTEGER 65537 }` (a deliberately absurd 7-bit
//! modulus, so the placeholder stays short and can never be mistaken for a real key); an EC key
//! is the compressed generator point G of its curve (on the curve, so OpenSSL loads it);
//! Ed25519 / Ed448 keys are 32 / 57 filler octets.
//!
//! Filler: every filler octet is 0x5A ('Z'). A non-zero, printable pattern is easy to spot in a
//! hex dump, is positive as a DER INTEGER's first octet (no 0x00 sign octet needed), and cannot
//! be confused with DER structure (0x5A is not a universal tag used in certificates).
//!
//! # Exact lengths
//! The signature BIT STRING is the main filler. Its length octets grow at 128, 256, 65,536 …
//! content octets, which skips one total length at each such step; the second adjustable
//! field — a few 0x5A slack octets appended to the serial number — covers those gaps.
//! Two total lengths are impossible for *any* DER SEQUENCE, whatever its content: a SEQUENCE
//! with 255 content octets is 258 octets long and one with 256 is 260, so 259 cannot exist;
//! likewise 65,540 (65,535 + 4 versus 65,536 + 5) and 16,777,221. [`placeholder_certificate`]
//! returns `None` for those and for lengths below [`min_placeholder_len`], and succeeds for every
//! other length (the tests check every length from the minimum to 70,000).
//! The minimum depends on the spec: 155 octets for an RSA key signed with RSA (index < 9,
//! UTCTime validity, not a CA), at most [`MIN_LEN_BOUND`] = 288 octets for any spec (index
//! `usize::MAX`, P-521 key, GeneralizedTime validity, CA). Real TLS certificates are far longer.
//!
//! # Why hand-written DER
//! The structure is fixed and small (a dozen TLVs), and exact-length construction needs direct
//! control over every length field anyway: with the `der` crate we would still have to predict
//! its length encodings to search the filler size. Hand-written encoding keeps the arithmetic
//! in one visible place ([`tlv_len`], [`content_len_for_tlv`]), adds no dependency, and the
//! tests check the result against x509-parser (and OpenSSL where present).

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

/// The filler octet used wherever bits must exist but carry nothing.
pub const FILLER: u8 = 0x5A;

/// No spec needs more than this many octets for its smallest placeholder (index `usize::MAX`,
/// P-521 key, GeneralizedTime validity, CA): see the tests.
pub const MIN_LEN_BOUND: usize = 288;

/// Slack octets the serial number may grow by to bridge a gap in the signature's length.
const MAX_SERIAL_SLACK: usize = 3;

/// What the placeholder reproduces of the original certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlaceholderSpec {
    /// `n` in `CN=redacted-<n>`.
    pub index: usize,
    /// Validity bounds, unix seconds, from the original. Instants outside years 1–9999 cannot
    /// be encoded and are clamped to that range.
    pub not_before: i64,
    pub not_after: i64,
    /// The original's key algorithm.
    pub key: KeyKind,
    /// The original's signature algorithm.
    pub signature: SigKind,
    /// basicConstraints cA, as in the original.
    pub is_ca: bool,
    /// Issuer equals subject (`CN=redacted-<n>`); otherwise the issuer is `CN=redacted-<n+1>`,
    /// the next certificate of the chain.
    pub self_signed: bool,
}

/// Named curves the placeholder can reproduce; others map to [`KeyKind::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EcCurve {
    P256,
    P384,
    P521,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Rsa,
    Ec {
        curve: EcCurve,
    },
    Ed25519,
    Ed448,
    /// Any other algorithm (DSA, RSASSA-PSS keys, other curves, …). Rendered as an RSA key:
    /// the one shape every parser loads, and an unknown algorithm's parameters could not be
    /// reproduced without copying them.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigKind {
    RsaSha256,
    RsaSha384,
    RsaSha512,
    RsaSha1,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    Ed25519,
    Ed448,
    /// Any other algorithm (RSASSA-PSS, DSA, …). Rendered as sha256WithRSAEncryption, since
    /// e.g. RSASSA-PSS parameters would have to be copied from the original.
    Other,
}

// OID arcs.
const OID_CN: &[u64] = &[2, 5, 4, 3];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_P384: &[u64] = &[1, 3, 132, 0, 34];
const OID_P521: &[u64] = &[1, 3, 132, 0, 35];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
const OID_ED448: &[u64] = &[1, 3, 101, 113];
const OID_SHA1_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 5];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const OID_SHA384_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 12];
const OID_SHA512_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 13];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_ECDSA_SHA384: &[u64] = &[1, 2, 840, 10045, 4, 3, 3];
const OID_ECDSA_SHA512: &[u64] = &[1, 2, 840, 10045, 4, 3, 4];

/// Compressed generator points (SEC 1 §2.3.3): public constants that lie on their curve.
const G_P256: [u8; 33] = [
    0x03, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
    0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2,
    0x96,
];
const G_P384: [u8; 49] = [
    0x03, 0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e, 0xf3, 0x20, 0xad,
    0x74, 0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98, 0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a,
    0x38, 0x55, 0x02, 0xf2, 0x5d, 0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a,
    0xb7,
];
const G_P521: [u8; 67] = [
    0x02, 0x00, 0xc6, 0x85, 0x8e, 0x06, 0xb7, 0x04, 0x04, 0xe9, 0xcd, 0x9e, 0x3e, 0xcb, 0x66, 0x23,
    0x95, 0xb4, 0x42, 0x9c, 0x64, 0x81, 0x39, 0x05, 0x3f, 0xb5, 0x21, 0xf8, 0x28, 0xaf, 0x60, 0x6b,
    0x4d, 0x3d, 0xba, 0xa1, 0x4b, 0x5e, 0x77, 0xef, 0xe7, 0x59, 0x28, 0xfe, 0x1d, 0xc1, 0x27, 0xa2,
    0xff, 0xa8, 0xde, 0x33, 0x48, 0xb3, 0xc1, 0x85, 0x6a, 0x42, 0x9b, 0xf9, 0x7e, 0x7e, 0x31, 0xc2,
    0xe5, 0xbd, 0x66,
];

// DER tags.
const TAG_BOOLEAN: u8 = 0x01;
const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_UTF8_STRING: u8 = 0x0c;
const TAG_UTC_TIME: u8 = 0x17;
const TAG_GENERALIZED_TIME: u8 = 0x18;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
const TAG_CONTEXT_0: u8 = 0xa0;
const TAG_CONTEXT_3: u8 = 0xa3;

impl KeyKind {
    /// The OID written into the placeholder's SubjectPublicKeyInfo.
    pub fn oid(self) -> &'static [u64] {
        match self {
            KeyKind::Rsa | KeyKind::Other => OID_RSA,
            KeyKind::Ec { .. } => OID_EC_PUBLIC_KEY,
            KeyKind::Ed25519 => OID_ED25519,
            KeyKind::Ed448 => OID_ED448,
        }
    }
}

impl EcCurve {
    pub fn oid(self) -> &'static [u64] {
        match self {
            EcCurve::P256 => OID_P256,
            EcCurve::P384 => OID_P384,
            EcCurve::P521 => OID_P521,
        }
    }

    fn generator(self) -> &'static [u8] {
        match self {
            EcCurve::P256 => &G_P256,
            EcCurve::P384 => &G_P384,
            EcCurve::P521 => &G_P521,
        }
    }
}

impl SigKind {
    /// The OID written into the placeholder's two signature AlgorithmIdentifiers.
    pub fn oid(self) -> &'static [u64] {
        match self {
            SigKind::RsaSha256 | SigKind::Other => OID_SHA256_RSA,
            SigKind::RsaSha384 => OID_SHA384_RSA,
            SigKind::RsaSha512 => OID_SHA512_RSA,
            SigKind::RsaSha1 => OID_SHA1_RSA,
            SigKind::EcdsaSha256 => OID_ECDSA_SHA256,
            SigKind::EcdsaSha384 => OID_ECDSA_SHA384,
            SigKind::EcdsaSha512 => OID_ECDSA_SHA512,
            SigKind::Ed25519 => OID_ED25519,
            SigKind::Ed448 => OID_ED448,
        }
    }

    /// RSA signature AlgorithmIdentifiers carry NULL parameters (RFC 4055); ECDSA and EdDSA
    /// ones carry none (RFC 5758, RFC 8410).
    fn has_null_params(self) -> bool {
        matches!(
            self,
            SigKind::RsaSha256
                | SigKind::RsaSha384
                | SigKind::RsaSha512
                | SigKind::RsaSha1
                | SigKind::Other
        )
    }
}

/// A DER X.509 v3 certificate of exactly `len` octets, as described in the module doc.
///
/// `None` when `len < min_placeholder_len(spec)` or `len` is one of the lengths no DER
/// SEQUENCE can have (259, 65,540, 16,777,221).
pub fn placeholder_certificate(len: usize, spec: &PlaceholderSpec) -> Option<Vec<u8>> {
    build(len, spec, 0)
}

/// Like [`placeholder_certificate`], but an RSA key gets a filler modulus of `rsa_bits` bits, so
/// the placeholder keeps the original key size (SECURITY.md) whenever the length allows it; a
/// certificate too short for that falls back to the minimal modulus.
pub fn placeholder_certificate_with_key_size(
    len: usize,
    spec: &PlaceholderSpec,
    rsa_bits: u32,
) -> Option<Vec<u8>> {
    let sized =
        (rsa_bits >= 16 && matches!(spec.key, KeyKind::Rsa)).then(|| build(len, spec, rsa_bits));
    sized.flatten().or_else(|| build(len, spec, 0))
}

fn build(len: usize, spec: &PlaceholderSpec, rsa_bits: u32) -> Option<Vec<u8>> {
    let outer_content = content_len_for_tlv(len)?;
    let sig_alg = signature_algorithm(spec.signature);
    (0..=MAX_SERIAL_SLACK).find_map(|slack| {
        let tbs = tbs_certificate(spec, slack, rsa_bits);
        let sig_tlv = outer_content.checked_sub(tbs.len() + sig_alg.len())?;
        // BIT STRING content: the unused-bits octet (0), then filler.
        let sig_content = content_len_for_tlv(sig_tlv).filter(|&c| c >= 1)?;
        let mut sig = Vec::with_capacity(sig_content);
        sig.push(0);
        sig.resize(sig_content, FILLER);
        let mut content = Vec::with_capacity(outer_content);
        content.extend_from_slice(&tbs);
        content.extend_from_slice(&sig_alg);
        content.extend_from_slice(&tlv(TAG_BIT_STRING, &sig));
        let cert = tlv(TAG_SEQUENCE, &content);
        (cert.len() == len).then_some(cert)
    })
}

/// The smallest length [`placeholder_certificate`] accepts for `spec` (at most
/// [`MIN_LEN_BOUND`]): an empty signature (only the unused-bits octet), no serial slack.
pub fn min_placeholder_len(spec: &PlaceholderSpec) -> usize {
    let content =
        tbs_certificate(spec, 0, 0).len() + signature_algorithm(spec.signature).len() + tlv_len(1);
    tlv_len(content)
}

/// Reads the facts a placeholder keeps from an original DER certificate. Unknown algorithms map
/// to `Other`. If x509-parser rejects `der`, the default spec: validity 0..0 (1970-01-01),
/// key and signature `Other`, not a CA, not self-signed.
pub fn spec_from_der(index: usize, der: &[u8]) -> PlaceholderSpec {
    let cert = X509Certificate::from_der(der).ok().map(|(_, c)| c);
    spec_from_cert(index, cert.as_ref())
}

/// [`spec_from_der`] of a certificate already parsed (`None`: it did not parse).
pub fn spec_from_cert(index: usize, cert: Option<&X509Certificate<'_>>) -> PlaceholderSpec {
    let fallback = PlaceholderSpec {
        index,
        not_before: 0,
        not_after: 0,
        key: KeyKind::Other,
        signature: SigKind::Other,
        is_ca: false,
        self_signed: false,
    };
    let Some(cert) = cert else {
        return fallback;
    };
    let validity = cert.validity();
    PlaceholderSpec {
        index,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        key: key_kind(cert),
        signature: sig_kind(&cert.signature_algorithm.algorithm.to_id_string()),
        is_ca: cert.is_ca(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
    }
}

fn key_kind(cert: &X509Certificate<'_>) -> KeyKind {
    let alg = &cert.public_key().algorithm;
    let oid = alg.algorithm.to_id_string();
    if oid == dotted(OID_RSA) {
        KeyKind::Rsa
    } else if oid == dotted(OID_ED25519) {
        KeyKind::Ed25519
    } else if oid == dotted(OID_ED448) {
        KeyKind::Ed448
    } else if oid == dotted(OID_EC_PUBLIC_KEY) {
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|c| c.to_id_string());
        [EcCurve::P256, EcCurve::P384, EcCurve::P521]
            .into_iter()
            .find(|c| curve.as_deref() == Some(dotted(c.oid()).as_str()))
            .map_or(KeyKind::Other, |curve| KeyKind::Ec { curve })
    } else {
        KeyKind::Other
    }
}

fn sig_kind(oid: &str) -> SigKind {
    [
        SigKind::RsaSha256,
        SigKind::RsaSha384,
        SigKind::RsaSha512,
        SigKind::RsaSha1,
        SigKind::EcdsaSha256,
        SigKind::EcdsaSha384,
        SigKind::EcdsaSha512,
        SigKind::Ed25519,
        SigKind::Ed448,
    ]
    .into_iter()
    .find(|k| dotted(k.oid()) == oid)
    .unwrap_or(SigKind::Other)
}

/// Dotted-decimal form of OID arcs, as x509-parser's `to_id_string` prints them.
pub fn dotted(arcs: &[u64]) -> String {
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

// ---------------------------------------------------------------------------------------------
// Certificate parts

fn tbs_certificate(spec: &PlaceholderSpec, serial_slack: usize, rsa_bits: u32) -> Vec<u8> {
    let mut c = Vec::with_capacity(256);
    c.extend_from_slice(&tlv(TAG_CONTEXT_0, &tlv(TAG_INTEGER, &[2])));
    c.extend_from_slice(&tlv(TAG_INTEGER, &serial(spec.index, serial_slack)));
    c.extend_from_slice(&signature_algorithm(spec.signature));
    let subject = u128::try_from(spec.index).unwrap_or(u128::MAX);
    let issuer = if spec.self_signed {
        subject
    } else {
        subject.saturating_add(1)
    };
    c.extend_from_slice(&name(issuer));
    let mut validity = time(spec.not_before);
    validity.extend_from_slice(&time(spec.not_after));
    c.extend_from_slice(&tlv(TAG_SEQUENCE, &validity));
    c.extend_from_slice(&name(subject));
    c.extend_from_slice(&subject_public_key_info(spec.key, rsa_bits));
    if spec.is_ca {
        c.extend_from_slice(&tlv(
            TAG_CONTEXT_3,
            &tlv(TAG_SEQUENCE, &basic_constraints_ca()),
        ));
    }
    tlv(TAG_SEQUENCE, &c)
}

/// INTEGER content: index + 1 (so never zero; RFC 5280 wants a positive serial), minimal
/// two's complement, then `slack` filler octets (value × 256^slack + 0x5A5A…, still positive).
fn serial(index: usize, slack: usize) -> Vec<u8> {
    let value = u128::try_from(index).unwrap_or(u128::MAX).saturating_add(1);
    let bytes = value.to_be_bytes();
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut out = Vec::with_capacity(18 + slack);
    if bytes[first] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[first..]);
    out.resize(out.len() + slack, FILLER);
    out
}

fn signature_algorithm(sig: SigKind) -> Vec<u8> {
    let mut c = tlv(TAG_OID, &oid_content(sig.oid()));
    if sig.has_null_params() {
        c.extend_from_slice(&tlv(TAG_NULL, &[]));
    }
    tlv(TAG_SEQUENCE, &c)
}

/// `Name ::= SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String "redacted-<n>" } } }`
fn name(n: u128) -> Vec<u8> {
    let mut atv = tlv(TAG_OID, &oid_content(OID_CN));
    atv.extend_from_slice(&tlv(TAG_UTF8_STRING, format!("redacted-{n}").as_bytes()));
    tlv(TAG_SEQUENCE, &tlv(TAG_SET, &tlv(TAG_SEQUENCE, &atv)))
}

fn subject_public_key_info(key: KeyKind, rsa_bits: u32) -> Vec<u8> {
    let mut alg = tlv(TAG_OID, &oid_content(key.oid()));
    let mut bits = vec![0u8]; // unused-bits octet
    match key {
        KeyKind::Rsa | KeyKind::Other => {
            alg.extend_from_slice(&tlv(TAG_NULL, &[]));
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            // A modulus of the original's size when asked (leading 0x00 keeps the INTEGER
            // positive; 0xDA sets the top bit so the size is exactly `rsa_bits`), else 7 bits.
            let modulus = if rsa_bits >= 16 {
                let mut m = vec![0x00, 0xDA];
                m.resize(1 + rsa_bits.div_ceil(8) as usize, FILLER);
                m
            } else {
                vec![FILLER]
            };
            let mut rsa = tlv(TAG_INTEGER, &modulus);
            rsa.extend_from_slice(&tlv(TAG_INTEGER, &[0x01, 0x00, 0x01]));
            bits.extend_from_slice(&tlv(TAG_SEQUENCE, &rsa));
        }
        KeyKind::Ec { curve } => {
            alg.extend_from_slice(&tlv(TAG_OID, &oid_content(curve.oid())));
            bits.extend_from_slice(curve.generator());
        }
        KeyKind::Ed25519 => bits.resize(1 + 32, FILLER),
        KeyKind::Ed448 => bits.resize(1 + 57, FILLER),
    }
    let mut c = tlv(TAG_SEQUENCE, &alg);
    c.extend_from_slice(&tlv(TAG_BIT_STRING, &bits));
    tlv(TAG_SEQUENCE, &c)
}

/// `Extensions` content: one critical basicConstraints with cA TRUE and no path length.
fn basic_constraints_ca() -> Vec<u8> {
    let mut ext = tlv(TAG_OID, &oid_content(OID_BASIC_CONSTRAINTS));
    ext.extend_from_slice(&tlv(TAG_BOOLEAN, &[0xff])); // critical
    let value = tlv(TAG_SEQUENCE, &tlv(TAG_BOOLEAN, &[0xff])); // cA TRUE
    ext.extend_from_slice(&tlv(TAG_OCTET_STRING, &value));
    tlv(TAG_SEQUENCE, &ext)
}

/// RFC 5280 §4.1.2.5: UTCTime for years 1950–2049, GeneralizedTime otherwise; always with
/// seconds and `Z`. Instants outside years 1–9999 are clamped.
fn time(unix: i64) -> Vec<u8> {
    const MIN: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let t = unix.clamp(MIN, MAX);
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let hms = format!(
        "{:02}{:02}{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    );
    if (1950..2050).contains(&year) {
        let s = format!("{:02}{month:02}{day:02}{hms}", year % 100);
        tlv(TAG_UTC_TIME, s.as_bytes())
    } else {
        let s = format!("{year:04}{month:02}{day:02}{hms}");
        tlv(TAG_GENERALIZED_TIME, s.as_bytes())
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

// ---------------------------------------------------------------------------------------------
// DER primitives

/// OBJECT IDENTIFIER content octets (X.690 §8.19). Only called with the constant tables above,
/// which all have at least two arcs with a first arc ≤ 2.
fn oid_content(arcs: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(arcs.len() * 2);
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a.saturating_mul(40).saturating_add(*b), rest),
        [a] => (a.saturating_mul(40), &[][..]),
        [] => return out,
    };
    for arc in std::iter::once(first).chain(rest.iter().copied()) {
        let mut groups = [0u8; 10];
        let mut n = 0;
        let mut v = arc;
        loop {
            groups[n] = (v & 0x7f) as u8;
            n += 1;
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        for i in (0..n).rev() {
            out.push(groups[i] | if i > 0 { 0x80 } else { 0 });
        }
    }
    out
}

/// Octets of the length field for `content` content octets (X.690 §8.1.3, definite form).
fn length_octets(content: usize) -> usize {
    if content < 0x80 {
        1
    } else {
        1 + (usize::BITS - content.leading_zeros()).div_ceil(8) as usize
    }
}

/// Total TLV size for `content` content octets (one-octet tags only).
fn tlv_len(content: usize) -> usize {
    1 + length_octets(content) + content
}

/// The content size whose TLV is exactly `total` octets, if one exists.
fn content_len_for_tlv(total: usize) -> Option<usize> {
    (2..=1 + 1 + std::mem::size_of::<usize>())
        .filter_map(|header| total.checked_sub(header))
        .find(|&content| tlv_len(content) == total)
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tlv_len(content.len()));
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod key_size_tests {
    use super::*;

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
}

#[cfg(test)]
mod tests {
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
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-719_162), (1, 1, 1));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
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
            if raw[i] == 0x30 && raw[i + 1] == 0x82 {
                if let Ok((rest, _)) = parse_x509_certificate(&raw[i..]) {
                    let len = raw.len() - i - rest.len();
                    chain.push(raw[i..i + len].to_vec());
                    i += len;
                    continue;
                }
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
        let out = String::from_utf8_lossy(&text.stdout).into_owned()
            + &String::from_utf8_lossy(&text.stderr);
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
}
