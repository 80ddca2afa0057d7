//! The Certificate message and the facts of each X.509 certificate in it.
//!
//! The list framing is walked by hand: tls-parser's `parse_tls_handshake_msg_certificate` reads
//! the entries with `many0(complete(..))`, which silently drops a truncated last certificate, and
//! it knows only the TLS <= 1.2 layout. Each DER blob is then parsed with x509-parser.
//!
//! Host names found in certificates are sensitive: they live only in `#[serde(skip)]` fields
//! and the manual `Debug` prints counts, not names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use x509_parser::asn1_rs::{Any, FromDer as _, Tag};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::public_key::RSAPublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Facts of one certificate of a chain, computed from its DER.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CertificateFacts {
    /// Index in the message's list: 0 is the leaf (end-entity) certificate.
    pub position: usize,
    pub der_length: usize,
    /// Validity bounds, Unix seconds; written as RFC 3339 UTC text (what people compare with
    /// server logs and `openssl x509 -dates`).
    #[serde(with = "crate::civil::unix_as_rfc3339")]
    pub not_before: i64,
    #[serde(with = "crate::civil::unix_as_rfc3339")]
    pub not_after: i64,
    /// "RSA", "EC", "Ed25519", "Ed448", "DSA" or "unknown".
    pub key_type: String,
    /// RSA and DSA: modulus / prime bits; EC: curve size (256, 384, 521, ...); Ed25519: 255;
    /// Ed448: 448. `None` when unknown.
    pub key_bits: Option<u32>,
    /// OID registry short name ("sha256WithRSAEncryption", "ecdsa-with-SHA384", "ed25519",
    /// "rsassa-pss"), else the dotted OID.
    pub signature_algorithm: String,
    /// basicConstraints cA is true.
    pub is_ca: bool,
    /// Self-issued: subject == issuer, compared as raw DER. The signature is not verified (that
    /// would need a crypto backend); for a diagnosis "names itself as issuer" is what matters.
    pub self_signed: bool,
    /// Number of dNSName and iPAddress entries in subjectAltName (not the names themselves).
    pub san_names: usize,
    /// Why x509-parser rejected the DER; every other field then keeps its default.
    pub parse_error: Option<String>,
    /// SENSITIVE. SAN dNSNames, SAN IP addresses as text, then subject CNs.
    #[serde(skip)]
    pub names: Vec<String>,
    /// SENSITIVE. SAN dNSName entries (lossy UTF-8), as used for host name matching.
    #[serde(skip)]
    pub dns_names: Vec<String>,
    /// SENSITIVE. SAN iPAddress entries.
    #[serde(skip)]
    pub ip_addresses: Vec<IpAddr>,
    /// SENSITIVE. Subject commonName values.
    #[serde(skip)]
    pub common_names: Vec<String>,
    /// SENSITIVE. Raw DER of the subject and issuer Names, for chain order and self-issue checks.
    #[serde(skip)]
    pub subject_raw: Vec<u8>,
    #[serde(skip)]
    pub issuer_raw: Vec<u8>,
}

impl std::fmt::Debug for CertificateFacts {
    // Hand-written so that `{:?}` in a log or test failure never prints a host name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateFacts")
            .field("position", &self.position)
            .field("der_length", &self.der_length)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("key_type", &self.key_type)
            .field("key_bits", &self.key_bits)
            .field("signature_algorithm", &self.signature_algorithm)
            .field("is_ca", &self.is_ca)
            .field("self_signed", &self.self_signed)
            .field("san_names", &self.san_names)
            .field("parse_error", &self.parse_error)
            .field("names", &format_args!("<{} redacted>", self.names.len()))
            .finish_non_exhaustive()
    }
}

/// Chain checks, computed from the unredacted facts; only booleans, so safe to serialize.
impl CertificateFacts {
    /// The facts a diagnosis reports, without the sensitive names and raw DER (used only to
    /// check the chain and the host name while the connection is analysed): a finished
    /// connection then holds nothing it does not show, and much less memory.
    pub fn public(&self) -> CertificateFacts {
        CertificateFacts {
            key_type: self.key_type.clone(),
            signature_algorithm: self.signature_algorithm.clone(),
            parse_error: self.parse_error.clone(),
            names: Vec::new(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            common_names: Vec::new(),
            subject_raw: Vec::new(),
            issuer_raw: Vec::new(),
            ..*self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChainChecks {
    /// Whether the leaf certificate is valid for the SNI host name. `None` when no SNI was sent,
    /// the chain is empty, or the leaf could not be parsed.
    pub leaf_matches_sni: Option<bool>,
    /// Each certificate's issuer equals the next certificate's subject (raw DER). False when a
    /// certificate of the chain could not be parsed; true for a chain of 0 or 1 certificates.
    pub in_order: bool,
    /// Some parsed certificate has not_after < capture time.
    pub expired_at_capture: bool,
    /// Some parsed certificate has not_before > capture time.
    pub not_yet_valid_at_capture: bool,
}

/// Longest chain accepted. Real chains have fewer than 10 certificates and OpenSSL's default
/// verify depth is 100; without a cap, a hostile 16 MiB message of 1-byte "certificates" would
/// cost millions of allocations.
pub const MAX_CHAIN_LEN: usize = 100;

/// Parses a Certificate message body (its grammar is walked in `tls/messages.rs`) into the
/// facts of each certificate. TLS <= 1.2: `ASN.1Cert certificate_list<0..2^24-1>`. TLS 1.3
/// (`tls13`): `opaque certificate_request_context<0..2^8-1>` then entries of
/// `cert_data<1..2^24-1>` + `Extension extensions<0..2^16-1>`.
pub(crate) fn parse_certificate(
    body: &[u8],
    tls13: bool,
    facts_of: &mut dyn FnMut(usize, &[u8]) -> CertificateFacts,
) -> Result<Vec<CertificateFacts>, String> {
    let ders = super::messages::certificate_chain(body, tls13)?;
    if ders.len() > MAX_CHAIN_LEN {
        return Err(format!("more than {MAX_CHAIN_LEN} certificates"));
    }
    Ok(ders
        .into_iter()
        .enumerate()
        .map(|(position, der)| facts_of(position, der))
        .collect())
}

/// Facts of one DER certificate at `position` in its chain. Never fails: a certificate that
/// x509-parser rejects gets `parse_error` and defaults elsewhere, because the rest of the
/// chain still tells something.
pub fn certificate_facts(position: usize, der: &[u8]) -> CertificateFacts {
    let parsed = X509Certificate::from_der(der).map(|(_, cert)| cert);
    certificate_facts_of(position, der.len(), parsed.as_ref())
}

/// [`certificate_facts`] of a DER of `der_length` bytes already parsed (or rejected, with the
/// parser's error).
pub fn certificate_facts_of(
    position: usize,
    der_length: usize,
    parsed: Result<&X509Certificate<'_>, &impl std::fmt::Display>,
) -> CertificateFacts {
    let mut facts = CertificateFacts {
        position,
        der_length,
        key_type: "unknown".to_string(),
        ..CertificateFacts::default()
    };
    let cert = match parsed {
        Ok(cert) => cert,
        Err(e) => {
            facts.parse_error = Some(short_error(&e.to_string()));
            return facts;
        }
    };
    let validity = cert.validity();
    facts.not_before = validity.not_before.timestamp();
    facts.not_after = validity.not_after.timestamp();
    let (key_type, key_bits) = key_type_and_bits(cert.public_key());
    facts.key_type = key_type.to_string();
    facts.key_bits = key_bits;
    let sig_oid = &cert.signature_algorithm.algorithm;
    facts.signature_algorithm = match oid2sn(sig_oid, oid_registry()) {
        Ok(name) => name.to_string(),
        Err(_) => sig_oid.to_id_string(),
    };
    facts.is_ca = cert.is_ca();
    facts.subject_raw = cert.subject().as_raw().to_vec();
    facts.issuer_raw = cert.issuer().as_raw().to_vec();
    facts.self_signed = facts.subject_raw == facts.issuer_raw;

    // A duplicated or undecodable subjectAltName yields Err: treat it as "no SAN", which is how
    // the names are then matched (CN fallback) and what a strict client would not accept anyway.
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(s) => facts.dns_names.push((*s).to_string()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        facts.ip_addresses.push(ip);
                    }
                }
                // x509-parser maps a dNSName ([2]) that is not valid UTF-8 to Invalid.
                GeneralName::Invalid(tag, bytes) if *tag == Tag(2) => facts
                    .dns_names
                    .push(String::from_utf8_lossy(bytes).into_owned()),
                _ => {}
            }
        }
    }
    facts.san_names = facts.dns_names.len() + facts.ip_addresses.len();
    for cn in cert.subject().iter_common_name() {
        let text = match cn.as_str() {
            Ok(s) => s.to_string(),
            Err(_) => String::from_utf8_lossy(cn.as_slice()).into_owned(),
        };
        facts.common_names.push(text);
    }
    facts.names = facts
        .dns_names
        .iter()
        .cloned()
        .chain(facts.ip_addresses.iter().map(IpAddr::to_string))
        .chain(facts.common_names.iter().cloned())
        .collect();
    facts
}

/// x509-parser's errors can embed nom internals; keep the first line, bounded.
fn short_error(text: &str) -> String {
    let line = text.lines().next().unwrap_or("unparsable certificate");
    line.chars().take(120).collect()
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::V4(Ipv4Addr::from(v4)));
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|v6| IpAddr::V6(Ipv6Addr::from(v6)))
}

/// Bit length of a DER INTEGER's magnitude (leading zero bytes and bits ignored). x509-parser's
/// `RSAPublicKey::key_size` is not used: it returns 0 unless the modulus has a leading 0 byte and
/// does not skip further zeros.
fn integer_bits(bytes: &[u8]) -> Option<u32> {
    let start = bytes.iter().position(|&b| b != 0)?;
    let significant = bytes.get(start..)?;
    let first = significant.first()?;
    let len = u32::try_from(significant.len()).ok()?;
    len.checked_mul(8)?.checked_sub(first.leading_zeros())
}

pub fn key_type_and_bits(spki: &SubjectPublicKeyInfo<'_>) -> (&'static str, Option<u32>) {
    let key_data = spki.subject_public_key.data.as_ref();
    match spki.algorithm.algorithm.to_id_string().as_str() {
        // rsaEncryption and id-RSASSA-PSS keys share the RSAPublicKey encoding.
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let bits = RSAPublicKey::from_der(key_data)
                .ok()
                .and_then(|(_, key)| integer_bits(key.modulus));
            ("RSA", bits)
        }
        "1.2.840.10045.2.1" => ("EC", ec_bits(spki, key_data)),
        "1.3.101.112" => ("Ed25519", Some(255)),
        "1.3.101.113" => ("Ed448", Some(448)),
        "1.2.840.10040.4.1" => ("DSA", dsa_bits(spki)),
        _ => ("unknown", None),
    }
}

/// Curve size from the namedCurve parameter; for explicit or unknown curves, from the size of
/// an uncompressed point's coordinates (which rounds P-521 up to 528, hence the OID first).
fn ec_bits(spki: &SubjectPublicKeyInfo<'_>, point: &[u8]) -> Option<u32> {
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|oid| oid.to_id_string());
    let named = match curve.as_deref() {
        Some("1.2.840.10045.3.1.1") => Some(192),   // secp192r1
        Some("1.3.132.0.33") => Some(224),          // secp224r1
        Some("1.2.840.10045.3.1.7") => Some(256),   // secp256r1
        Some("1.3.132.0.10") => Some(256),          // secp256k1
        Some("1.3.132.0.34") => Some(384),          // secp384r1
        Some("1.3.132.0.35") => Some(521),          // secp521r1
        Some("1.3.36.3.3.2.8.1.1.7") => Some(256),  // brainpoolP256r1
        Some("1.3.36.3.3.2.8.1.1.11") => Some(384), // brainpoolP384r1
        Some("1.3.36.3.3.2.8.1.1.13") => Some(512), // brainpoolP512r1
        Some("1.2.156.10197.1.301") => Some(256),   // SM2
        _ => None,
    };
    named.or_else(|| match point {
        [4, coords @ ..] if !coords.is_empty() && coords.len() % 2 == 0 => {
            u32::try_from(coords.len() / 2 * 8).ok()
        }
        _ => None,
    })
}

/// DSA strength is the size of the prime p, the first INTEGER of the Dss-Parms SEQUENCE.
fn dsa_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<u32> {
    let params = spki.algorithm.parameters.as_ref()?;
    if params.tag() != Tag::Sequence {
        return None;
    }
    let (_, p) = Any::from_der(params.as_bytes()).ok()?;
    if p.tag() != Tag::Integer {
        return None;
    }
    integer_bits(p.as_bytes())
}

/// Checks a chain against the SNI host name and the capture time (unix seconds).
pub fn chain_checks(
    chain: &[CertificateFacts],
    sni: Option<&str>,
    capture_time: i64,
) -> ChainChecks {
    let parsed = || chain.iter().filter(|c| c.parse_error.is_none());
    ChainChecks {
        leaf_matches_sni: match (sni, chain.first()) {
            (Some(host), Some(leaf)) if leaf.parse_error.is_none() => {
                Some(certificate_matches_host(leaf, host))
            }
            _ => None,
        },
        in_order: chain.windows(2).all(|pair| match pair {
            [cert, next] => {
                cert.parse_error.is_none()
                    && next.parse_error.is_none()
                    && cert.issuer_raw == next.subject_raw
            }
            _ => true,
        }),
        expired_at_capture: parsed().any(|c| c.not_after < capture_time),
        not_yet_valid_at_capture: parsed().any(|c| c.not_before > capture_time),
    }
}

/// Whether `cert` is valid for `host` (RFC 6125 section 6): an IP-literal host matches only an
/// iPAddress SAN; a DNS host matches the dNSName SANs, or the subject CN only when there is no
/// dNSName SAN (section 6.4.4). Case-insensitive, one trailing dot ignored on either side.
pub fn certificate_matches_host(cert: &CertificateFacts, host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return cert.ip_addresses.contains(&ip);
    }
    let presented = if cert.dns_names.is_empty() {
        &cert.common_names
    } else {
        &cert.dns_names
    };
    presented.iter().any(|p| dns_name_matches(p, host))
}

/// One presented DNS identifier against a host name. A wildcard is accepted only as the whole
/// left-most label (`*.example.com`) and stands for exactly one non-empty label; partial
/// wildcards (`f*.example.com`) and wildcards elsewhere never match (RFC 6125 6.4.3 as narrowed
/// by the CA/Browser Forum baseline requirements, which is what clients enforce).
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.contains('*') {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(rest) => {
            if rest.is_empty() || rest.contains('*') {
                return false;
            }
            match host.split_once('.') {
                Some((label, host_rest)) => {
                    !label.is_empty() && host_rest.eq_ignore_ascii_case(rest)
                }
                None => false,
            }
        }
        None => !pattern.contains('*') && pattern.eq_ignore_ascii_case(host),
    }
}
