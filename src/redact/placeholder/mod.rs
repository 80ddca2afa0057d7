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

mod der;
#[cfg(test)]
mod tests;

use der::*;

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
