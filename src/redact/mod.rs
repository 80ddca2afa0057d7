//! Same-length redaction of plaintext handshake messages (SECURITY.md): host names become
//! pseudonyms, certificates placeholders, tickets/identities/signatures filler. Edits happen
//! during analysis, on the reassembled message; the rewriter then writes the edited bytes into
//! every packet copy that carries them.

pub mod certificates;
pub mod numbering;
pub mod placeholder;

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::anonymize::names::{NameMapper, NameStyle};
use crate::anonymize::{ConnectionIds, MappingKey, is_connection_id_pseudonym};
use crate::canary::SeenSecrets;
use crate::policy::{CertificateMode, Policy, RandomMode, SecretMode, SniMode};
use crate::tls::spans::{Span, SpanKind};
use crate::tls::spans::{placeholder_name, placeholder_ocsp};
use certificates::CertificateCache;
use numbering::NumberedCertificates;
use placeholder::{PlaceholderSpec, placeholder_certificate_with_key_size};

/// A host name that identifies nothing and is left as it is: under a name reserved for
/// documentation and testing (RFC 2606, RFC 6761) AND spelled only with what our pseudonyms use
/// (lowercase letters, digits, dots). That keeps our own output stable when sanitized again,
/// while a real-looking name under a reserved TLD (say `api.acme-test.example`) is still
/// replaced.
pub fn is_reserved_name(name: &[u8]) -> bool {
    if !name
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.')
    {
        return false;
    }
    let trimmed = name.strip_suffix(b".").unwrap_or(name);
    [&b"example"[..], b"test", b"invalid", b"localhost"]
        .iter()
        .any(|tld| {
            trimmed == *tld
                || (trimmed.ends_with(tld) && trimmed[..trimmed.len() - tld.len()].ends_with(b"."))
        })
}

/// Applies a policy's redactions to handshake messages, consistently across a run.
pub struct Redactor {
    names: Option<NameMapper>,
    /// Names the policy lets stay.
    allow: crate::allowlist::Allowlist,
    certificates: CertificateMode,
    secrets: SecretMode,
    randoms: RandomMode,
    key: MappingKey,
    /// QUIC connection IDs, in packet headers and transport parameters alike.
    cids: ConnectionIds,
    /// Every certificate given a placeholder number, in number order.
    numbered: NumberedCertificates,
    /// The certificates of the last [`Self::redact`] call: (span start, span end, number).
    last_certificates: Vec<(usize, usize, usize)>,
    /// Each certificate met, parsed once for the diagnosis and the placeholder.
    pub parsed_certificates: CertificateCache,
    /// Redactions made, by kind (for the summary).
    pub counts: BTreeMap<&'static str, u64>,
    /// Certificates that could not be replaced by a parseable placeholder (too short): zero-filled.
    pub certificates_zeroed: u64,
    /// The original of every value replaced, for the canary scan of the output.
    pub seen: SeenSecrets,
    /// A test-only leak: see [`skipped_for_test`].
    skip: Option<SpanKind>,
}

/// Env var naming one span kind (`sni_names`, `certificates`, `new_session_tickets`, … as the
/// summary counts them) whose redaction is undone after its original was noted for the canary.
/// It exists to prove that the canary refuses a leak; it can only make a run fail, since the
/// canary then finds the original in the output and refuses the evidence.
pub const SKIP_REDACTION_ENV: &str = "PCAPSCRUB_TEST_SKIP_REDACTION";

/// The span kind [`SKIP_REDACTION_ENV`] names, read once per process.
fn skipped_for_test() -> Option<SpanKind> {
    static SKIP: std::sync::OnceLock<Option<SpanKind>> = std::sync::OnceLock::new();
    *SKIP.get_or_init(|| {
        let v = std::env::var(SKIP_REDACTION_ENV).ok()?;
        SpanKind::from_name(&v)
    })
}

impl Redactor {
    pub fn new(policy: &Policy, key: &MappingKey) -> Redactor {
        let names_key = key.subkey(b"pcapscrub sni names");
        let names = match policy.sni {
            SniMode::Pseudonym => Some(NameMapper::new(&names_key, NameStyle::Pseudonym)),
            SniMode::Hash => Some(NameMapper::new(&names_key, NameStyle::Hash)),
            SniMode::Keep => None,
        };
        Redactor {
            names,
            allow: policy.allowlist(),
            certificates: policy.certificates,
            secrets: policy.handshake_secrets,
            randoms: policy.randoms,
            key: key.clone(),
            cids: ConnectionIds::new(key),
            numbered: NumberedCertificates::starting_at(0),
            last_certificates: Vec::new(),
            parsed_certificates: CertificateCache::new(),
            counts: BTreeMap::new(),
            certificates_zeroed: 0,
            seen: SeenSecrets::default(),
            skip: skipped_for_test(),
        }
    }

    /// A redactor that goes on where the inputs before this one left the run's: host names
    /// as `names` maps them, placeholder certificates numbered from `next_certificate`
    /// (docs/sharding.md). `names` must come from a redactor under the same policy and key.
    pub fn resuming(
        policy: &Policy,
        key: &MappingKey,
        names: Option<NameMapper>,
        next_certificate: usize,
    ) -> Redactor {
        let mut r = Redactor::new(policy, key);
        if r.names.is_some() {
            r.names = names;
        }
        r.numbered = NumberedCertificates::starting_at(next_certificate);
        r
    }

    /// The host-name mapper (none under `sni: keep`).
    pub fn names(&self) -> Option<&NameMapper> {
        self.names.as_ref()
    }

    /// Takes the host-name mapper away, for the run's redactor when this one analysed the
    /// run's only input (`crate::commands::pass1`).
    pub fn take_names(&mut self) -> Option<NameMapper> {
        self.names.take()
    }

    /// The host-name mapper, to map names in a run's order (`crate::shard`).
    pub fn names_mut(&mut self) -> Option<&mut NameMapper> {
        self.names.as_mut()
    }

    /// The certificates given placeholder numbers so far.
    pub fn numbered_certificates(&self) -> &NumberedCertificates {
        &self.numbered
    }

    /// The certificates the last [`Self::redact`] call replaced, as (span start, span end,
    /// number).
    pub fn take_certificates(&mut self) -> Vec<(usize, usize, usize)> {
        std::mem::take(&mut self.last_certificates)
    }

    /// Adds what another redactor of the same run counted and saw (for the run's totals and
    /// the canary), with `zeroed` certificates zero-filled once numbered as the run numbers
    /// them; its names and numbers are merged by the caller (docs/sharding.md).
    pub fn absorb_counts(&mut self, other: Redactor, zeroed: u64) {
        for (kind, n) in other.counts {
            *self.counts.entry(kind).or_insert(0) += n;
        }
        self.certificates_zeroed += zeroed;
        self.seen.absorb(other.seen);
    }

    /// A redactor for analysis only (`diagnose`): it maps server names as `policy` does (the
    /// pseudonym `diagnose --sanitized` shows, the same as `sanitize` under `policy` and `key`)
    /// and leaves everything else as it is, since no byte of its work is written. (Building
    /// certificate placeholders was a fifth of `diagnose`'s time.)
    pub fn throwaway(policy: &Policy, key: &MappingKey) -> Redactor {
        let policy = Policy {
            certificates: CertificateMode::Keep,
            handshake_secrets: SecretMode::Keep,
            randoms: RandomMode::Keep,
            ..policy.clone()
        };
        Redactor::new(&policy, key)
    }

    /// Every host name mapped so far with its pseudonym: the sender's private table.
    pub fn name_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .names
            .iter()
            .flat_map(|m| m.pairs())
            .map(|(name, out)| {
                (
                    String::from_utf8_lossy(name).into_owned(),
                    String::from_utf8_lossy(out).into_owned(),
                )
            })
            .collect();
        pairs.sort();
        pairs
    }

    /// The pseudonym of a host name (the same the capture gets); allowlisted names stay.
    pub fn name_pseudonym(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        if self.allow.allows_name(name) {
            return Some(name.to_vec());
        }
        self.names.as_mut().map(|m| m.map(name))
    }

    /// Edits `message` in place; returns the pseudonym of the first SNI name, if any.
    pub fn redact(
        &mut self,
        message: &mut [u8],
        spans: &[Span],
        hello_retry: bool,
    ) -> Option<Vec<u8>> {
        let mut first_sni = None;
        self.last_certificates.clear();
        for span in spans {
            let original =
                SeenSecrets::wants(span.kind).then(|| message[span.start..span.end].to_vec());
            let bytes = &mut message[span.start..span.end];
            let done = match span.kind {
                // Names under reserved TLDs identify nothing (and are what we write): keep them,
                // so a sanitized capture sanitized again does not change.
                SpanKind::SniName if is_reserved_name(bytes) || self.allow.allows_name(bytes) => {
                    first_sni.get_or_insert_with(|| bytes.to_vec());
                    false
                }
                SpanKind::SniName => match self.names.as_mut() {
                    Some(m) => {
                        let p = m.map(bytes);
                        if p.len() == bytes.len() {
                            first_sni.get_or_insert_with(|| p.clone());
                            bytes.copy_from_slice(&p);
                        } else {
                            bytes.fill(b'x');
                        }
                        true
                    }
                    None => false,
                },
                SpanKind::Certificate => match self.certificate(bytes) {
                    Some(number) => {
                        self.last_certificates.push((span.start, span.end, number));
                        true
                    }
                    None => false,
                },
                SpanKind::ConnectionId => {
                    let mapped = self.connection_id(bytes);
                    bytes.copy_from_slice(&mapped);
                    true
                }
                SpanKind::OcspResponse if self.secrets == SecretMode::Filler => {
                    match placeholder_ocsp(bytes.len()) {
                        Some(p) => bytes.copy_from_slice(&p),
                        None => bytes.fill(0),
                    }
                    true
                }
                SpanKind::CaName if self.secrets == SecretMode::Filler => {
                    match placeholder_name(bytes.len()) {
                        Some(p) => bytes.copy_from_slice(&p),
                        None => bytes.fill(0),
                    }
                    true
                }
                SpanKind::Random => {
                    // The HelloRetryRequest marker is a fixed value, not a secret; keep it.
                    self.randoms == RandomMode::Scramble
                        && !hello_retry
                        && self.scramble(b"random", bytes)
                }
                SpanKind::SessionId => {
                    self.randoms == RandomMode::Scramble && self.scramble(b"session id", bytes)
                }
                _ => {
                    if self.secrets == SecretMode::Filler {
                        bytes.fill(0);
                        true
                    } else {
                        false
                    }
                }
            };
            if done {
                *self.counts.entry(span.kind.as_str()).or_insert(0) += 1;
                // A value the redaction gave back unchanged is already ours (a placeholder
                // CA name in a sanitized capture): nothing to search for.
                if let Some(original) = original
                    && message[span.start..span.end] != original[..]
                {
                    self.seen.note(span.kind, &original);
                    if self.skip == Some(span.kind) {
                        message[span.start..span.end].copy_from_slice(&original);
                    }
                }
            }
        }
        first_sni
    }

    /// The pseudonym of a QUIC connection ID (same length; whatever the policy, since an ID
    /// links captures as an address does), its original noted for the canary.
    pub fn connection_id(&mut self, cid: &[u8]) -> Vec<u8> {
        if is_connection_id_pseudonym(cid) {
            return cid.to_vec();
        }
        self.seen.note_connection_id(cid);
        self.cids.map(cid)
    }

    /// Replaces a certificate by its placeholder; returns the number it was given (`None`:
    /// left as it is).
    fn certificate(&mut self, der: &mut [u8]) -> Option<usize> {
        if self.certificates == CertificateMode::Keep {
            return None;
        }
        // The parse pass 1 made for the certificate's facts serves the placeholder test, the
        // spec and the key size.
        let original = self.parsed_certificates.redaction(der);
        if original.is_placeholder {
            return None;
        }
        let number = self.numbered.next();
        let spec = PlaceholderSpec {
            index: number,
            ..original.spec
        };
        // The original's RSA size too (the placeholder keeps key type and size, SECURITY.md).
        let rsa_bits = original.rsa_bits;
        let built = match placeholder_certificate_with_key_size(der.len(), &spec, rsa_bits) {
            Some(p) if p.len() == der.len() => {
                der.copy_from_slice(&p);
                true
            }
            _ => {
                der.fill(0);
                self.certificates_zeroed += 1;
                false
            }
        };
        self.numbered.note(der.len(), spec, rsa_bits, built);
        Some(number)
    }

    /// A keyed hash of the value itself: the same in every copy and every run with the key.
    /// Its last bytes mark it as scrambled (see [`is_scrambled`]), so a value that already
    /// is one is left alone: sanitizing a sanitized capture changes nothing.
    fn scramble(&self, tag: &[u8], bytes: &mut [u8]) -> bool {
        if bytes.is_empty() || is_scrambled(bytes) {
            return false;
        }
        let mut block = self.key.digest(tag, bytes).bytes();
        let body_len = bytes.len() - scramble_mark_len(bytes.len());
        let mut filled = 0;
        while filled < body_len {
            let n = (body_len - filled).min(32);
            bytes[filled..filled + n].copy_from_slice(&block[..n]);
            filled += n;
            block = self.key.digest(tag, &block).bytes();
        }
        let (body, mark) = bytes.split_at_mut(body_len);
        mark.copy_from_slice(&scramble_mark(body)[..mark.len()]);
        true
    }
}

/// Bytes at the end of a scrambled value that mark it as one: at most half of it, so a
/// 32-byte random keeps 24 keyed bytes.
fn scramble_mark_len(n: usize) -> usize {
    (n / 2).min(8)
}

/// An unkeyed hash of the scrambled part: anyone (`check` too, which runs without the key)
/// can tell a scrambled value, and nobody can tell what it was. A real value carries the
/// mark by chance with probability 2^-64 (for 16 bytes and more).
fn scramble_mark(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"pcapscrub scrambled value\0");
    h.update(body);
    h.finalize().into()
}

/// True when `bytes` is a value [`Redactor::scramble`] wrote.
fn is_scrambled(bytes: &[u8]) -> bool {
    let m = scramble_mark_len(bytes.len());
    let (body, mark) = bytes.split_at(bytes.len() - m);
    m > 0 && mark == &scramble_mark(body)[..m]
}

#[cfg(test)]
mod tests {
    use super::{Redactor, is_reserved_name, is_scrambled};
    use crate::anonymize::MappingKey;
    use crate::policy::Policy;
    use crate::redact::certificates::is_placeholder;
    use crate::redact::placeholder::KeyKind;

    /// `-p strict` scrambles randoms and session ids; a scrambled value is recognised (without
    /// the key) and left as it is, so sanitizing twice changes nothing.
    #[test]
    fn scrambled_values_are_recognised_and_left_alone() {
        let key = MappingKey::from_bytes(&[7u8; 32]).unwrap();
        let r = Redactor::new(&Policy::default(), &key);
        for len in [2usize, 8, 16, 32] {
            let original: Vec<u8> = (0..len as u8).collect();
            assert!(!is_scrambled(&original));
            let mut v = original.clone();
            assert!(r.scramble(b"random", &mut v));
            assert_ne!(v, original);
            assert!(is_scrambled(&v), "{len}");
            let once = v.clone();
            assert!(!r.scramble(b"random", &mut v));
            assert_eq!(v, once);
            // Another key recognises it too (`check` runs with a throw-away key).
            let other = Redactor::new(
                &Policy::default(),
                &MappingKey::from_bytes(&[8u8; 32]).unwrap(),
            );
            assert!(!other.scramble(b"random", &mut v));
        }
        // One byte cannot carry a mark: it is scrambled every time.
        let mut one = [5u8];
        assert!(r.scramble(b"session id", &mut one));
    }

    /// A certificate that only looks like one of ours (subject `CN=redacted-1`, anything else
    /// inside) is redacted like any other; our own placeholders are left as they are.
    #[test]
    fn only_exact_placeholders_are_left_alone() {
        use crate::redact::placeholder::{PlaceholderSpec, SigKind, placeholder_certificate};
        let spec = PlaceholderSpec {
            index: 1,
            not_before: 1_700_000_000,
            not_after: 1_800_000_000,
            key: KeyKind::Rsa,
            signature: SigKind::RsaSha256,
            is_ca: false,
            self_signed: false,
        };
        let ours = placeholder_certificate(900, &spec).unwrap();
        assert!(is_placeholder(&ours));
        let key = MappingKey::from_bytes(&[7u8; 32]).unwrap();
        let mut r = Redactor::new(&Policy::default(), &key);
        let mut kept = ours.clone();
        assert!(r.certificate(&mut kept).is_none());
        assert_eq!(kept, ours);
        // The same subject, with "secret" bytes in the key and the signature: not ours.
        let mut crafted = ours.clone();
        let n = crafted.len();
        crafted[n - 20..n - 14].copy_from_slice(b"secret");
        crafted[n / 2..n / 2 + 6].copy_from_slice(b"secret");
        assert!(!is_placeholder(&crafted));
        let before = crafted.clone();
        assert!(r.certificate(&mut crafted).is_some());
        assert_ne!(crafted, before);
        assert!(!crafted.windows(6).any(|w| w == b"secret"));
    }

    #[test]
    fn only_pseudonym_shaped_reserved_names_are_kept() {
        for kept in [
            "h7k2qz.example",
            "a.test",
            "0f3a9c.invalid",
            "localhost",
            "example",
        ] {
            assert!(is_reserved_name(kept.as_bytes()), "{kept}");
        }
        for replaced in [
            "api.pcapscrub-test.example",
            "Www.Example",
            "db.corp",
            "example.com",
            "test",
        ] {
            let keep = is_reserved_name(replaced.as_bytes());
            assert_eq!(keep, replaced == "test", "{replaced}");
        }
    }
}
