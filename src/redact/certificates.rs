//! Each certificate parsed once per run, whoever asks: the diagnosis wants its facts, the
//! redactor its placeholder's spec and key size. Both come from one X.509 parse, kept for the
//! certificates seen lately.
//!
//! Parsing was most of pass 1's handshake work: x509-parser walks every extension, and each
//! certificate was parsed twice (facts, then redaction). A capture repeats its certificates
//! (every connection to a server sends the same chain), so the parse of a DER already met is
//! reused; what is derived from it depends on the DER bytes alone, so the evidence cannot
//! change.

use foldhash::{HashMap, HashMapExt};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::redact::placeholder::{
    KeyKind, PlaceholderSpec, placeholder_certificate_with_key_size, spec_from_cert,
};
use crate::tls::facts::{CertificateFacts, certificate_facts_of, key_type_and_bits};

/// Certificates kept: a capture's distinct chains are few, and when more are met the table
/// starts again (it only saves work, it never decides anything).
const KEPT: usize = 32;
/// Larger DER blobs are parsed every time instead of kept (memory stays under
/// `KEPT` × this).
const MAX_KEPT_LEN: usize = 16 * 1024;

/// What one DER certificate yields.
#[derive(Clone, Debug)]
struct Parsed {
    /// At position 0; [`CertificateCache::facts`] sets the position asked for.
    facts: CertificateFacts,
    redaction: CertificateRedaction,
}

/// What the redactor needs of an original certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertificateRedaction {
    /// Already one of our placeholders: left as it is, so sanitizing twice changes nothing.
    pub is_placeholder: bool,
    /// The facts its placeholder keeps, with index 0 (the redactor numbers placeholders).
    pub spec: PlaceholderSpec,
    /// The RSA modulus size the placeholder keeps (0 when not RSA or unknown).
    pub rsa_bits: u32,
}

/// The parse of the certificates seen lately, by DER bytes.
#[derive(Default)]
pub struct CertificateCache {
    kept: HashMap<Vec<u8>, Parsed>,
}

impl CertificateCache {
    pub fn new() -> CertificateCache {
        CertificateCache {
            kept: HashMap::with_capacity(KEPT),
        }
    }

    /// The certificate's facts, as [`crate::tls::facts::certificate_facts`] gives them.
    pub fn facts(&mut self, position: usize, der: &[u8]) -> CertificateFacts {
        self.with(der, |p| CertificateFacts {
            position,
            ..p.facts.clone()
        })
    }

    /// What the redactor needs to replace the certificate.
    pub fn redaction(&mut self, der: &[u8]) -> CertificateRedaction {
        self.with(der, |p| p.redaction)
    }

    fn with<T>(&mut self, der: &[u8], f: impl FnOnce(&Parsed) -> T) -> T {
        if der.len() > MAX_KEPT_LEN {
            return f(&parse(der));
        }
        if let Some(p) = self.kept.get(der) {
            return f(p);
        }
        if self.kept.len() == KEPT {
            self.kept.clear();
        }
        f(self.kept.entry(der.to_vec()).or_insert_with(|| parse(der)))
    }
}

/// One parse, everything derived from it.
fn parse(der: &[u8]) -> Parsed {
    let parsed = X509Certificate::from_der(der).map(|(_, c)| c);
    let cert = parsed.as_ref().ok();
    Parsed {
        facts: certificate_facts_of(0, der.len(), parsed.as_ref()),
        redaction: CertificateRedaction {
            is_placeholder: is_placeholder_parsed(der, cert),
            spec: spec_from_cert(0, cert),
            rsa_bits: rsa_bits(cert),
        },
    }
}

/// The key size the placeholder keeps (for RSA, the modulus bits), as the certificate's facts
/// report it; 0 when unknown.
fn rsa_bits(cert: Option<&X509Certificate<'_>>) -> u32 {
    cert.and_then(|c| key_type_and_bits(c.public_key()).1)
        .unwrap_or(0)
}

/// One of our own placeholders: its subject is exactly `CN=redacted-<n>` and every byte is what
/// we would write for it. (The subject alone is not enough: a crafted certificate named
/// `CN=redacted-1` could otherwise carry names, keys and serials through untouched.)
#[cfg(test)]
pub(crate) fn is_placeholder(der: &[u8]) -> bool {
    let cert = X509Certificate::from_der(der).ok().map(|(_, c)| c);
    is_placeholder_parsed(der, cert.as_ref())
}

fn is_placeholder_parsed(der: &[u8], cert: Option<&X509Certificate<'_>>) -> bool {
    let Some(cert) = cert else {
        return false;
    };
    let subject = cert.subject();
    let mut attrs = subject.iter_attributes();
    let index = attrs
        .next()
        .and_then(|a| a.as_str().ok())
        .and_then(|cn| cn.strip_prefix("redacted-"))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<usize>().ok());
    let Some(index) = index else { return false };
    if attrs.next().is_some() || subject.iter_common_name().count() != 1 {
        return false;
    }
    let spec = spec_from_cert(index, Some(cert));
    let rsa_bits = rsa_bits(Some(cert));
    let other_key = PlaceholderSpec {
        key: KeyKind::Other,
        ..spec
    };
    [
        placeholder_certificate_with_key_size(der.len(), &spec, rsa_bits),
        placeholder_certificate_with_key_size(der.len(), &spec, 0),
        placeholder_certificate_with_key_size(der.len(), &other_key, 0),
    ]
    .iter()
    .any(|p| p.as_deref() == Some(der))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::placeholder::spec_from_der;
    use crate::tls::facts::certificate_facts;

    /// Every certificate of the samples' handshakes, by scanning them for DER SEQUENCEs that
    /// x509-parser accepts (enough for a test: the samples hold RSA and EC chains).
    fn sample_certificates() -> Vec<Vec<u8>> {
        let mut found = Vec::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).unwrap();
            for at in 0..bytes.len().saturating_sub(4) {
                if bytes[at] != 0x30 || bytes[at + 1] != 0x82 {
                    continue;
                }
                let len = 4 + ((usize::from(bytes[at + 2]) << 8) | usize::from(bytes[at + 3]));
                let Some(der) = bytes.get(at..at + len) else {
                    continue;
                };
                if X509Certificate::from_der(der).is_ok() && !found.iter().any(|f| f == der) {
                    found.push(der.to_vec());
                }
            }
        }
        found
    }

    #[test]
    fn kept_parses_give_what_a_fresh_parse_gives() {
        let certs = sample_certificates();
        assert!(certs.len() >= 2, "the samples hold certificates");
        let mut cache = CertificateCache::new();
        // Twice: the second round is answered from the table.
        for round in 0..2 {
            for (i, der) in certs.iter().enumerate() {
                let position = i % 3;
                assert_eq!(
                    cache.facts(position, der),
                    certificate_facts(position, der),
                    "round {round}"
                );
                let r = cache.redaction(der);
                assert_eq!(r.spec, spec_from_der(0, der));
                assert!(!r.is_placeholder);
                assert_eq!(r.is_placeholder, is_placeholder(der));
            }
        }
    }

    #[test]
    fn bytes_that_are_no_certificate_are_kept_as_such() {
        let mut cache = CertificateCache::new();
        for der in [&b"\x30\x03\x02\x01\x01"[..], b"", b"\x30"] {
            assert_eq!(cache.facts(1, der), certificate_facts(1, der));
            assert_eq!(cache.redaction(der).rsa_bits, 0);
            assert!(!cache.redaction(der).is_placeholder);
        }
    }

    #[test]
    fn the_table_starts_again_when_full_and_stays_right() {
        let certs = sample_certificates();
        let mut cache = CertificateCache::new();
        // More distinct DERs than the table keeps: a different length makes each distinct.
        for n in 0..KEPT * 2 + 3 {
            let mut der = certs[n % certs.len()].clone();
            der.extend(std::iter::repeat_n(0u8, n));
            assert_eq!(cache.facts(0, &der), certificate_facts(0, &der));
            assert!(cache.kept.len() <= KEPT);
        }
    }
}
