//! The secrets a run saw in pass 1, and every form in which they could survive in the output.
//!
//! Two sources: the redactor notes each handshake value it replaced (as it replaces it), and the
//! address planner knows every address; the mapping then says which of those it rewrites.
//! Whatever the policy keeps (allowlist, `keep` knobs, documentation and multicast addresses,
//! our own pseudonyms and placeholders) is never noted, so it can never be a hit.

use foldhash::{HashMap, HashSet, HashSetExt};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use super::addresses::SecretSets;
use super::secret::{SecretKind, eui64, too_plain};
use crate::anonymize::{AddressPlanner, Mapping};
use crate::tls::spans::SpanKind;

/// Names and strings shorter than this say nothing as text and would match by chance.
pub const MIN_TEXT_LEN: usize = 4;
/// Opaque handshake values shorter than this are not searched (too likely by chance).
pub const MIN_BINARY_LEN: usize = 8;
/// Opaque values are searched as chunks of this many bytes, each a fixed-size key in a hash
/// set: any copy of one chunk is a leak, and 100,000 handshakes' randoms and session ids cost a
/// few MiB (as automaton patterns they cost more than 50 MiB).
pub const CHUNK: usize = 8;
/// Only a value's first bytes are chunked (a ticket's first 64 bytes).
const CHUNKED_PREFIX: usize = 64;

/// Words our own output is made of (reserved names in pseudonyms, the placeholder
/// certificates' subject): a secret that is part of one of them would match our own bytes.
const OWN_WORDS: &str = "example invalid test localhost redacted";

/// A name or certificate string, matched ASCII case-insensitively in carried bytes and, when
/// `in_files`, in every text output file (addresses and opaque values are in [`SecretSets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPattern {
    pub bytes: Vec<u8>,
    pub kind: SecretKind,
    pub in_files: bool,
}

/// Handshake values the redactor replaced, in their original bytes.
#[derive(Default)]
pub struct SeenSecrets {
    names: HashSet<Vec<u8>>,
    certificate_names: HashSet<Vec<u8>>,
    /// Chunks of opaque values (see [`CHUNK`]).
    chunks: HashMap<[u8; CHUNK], SecretKind>,
    /// Certificates (and CA names) already read, by their bytes' hash: a capture repeats its
    /// chains on every connection.
    read: HashSet<u64>,
}

impl SeenSecrets {
    /// Whether values of this span kind are noted (the redactor copies the original only then).
    pub fn wants(kind: SpanKind) -> bool {
        matches!(
            kind,
            SpanKind::SniName
                | SpanKind::Certificate
                | SpanKind::CaName
                | SpanKind::PskIdentity
                | SpanKind::SessionTicket
                | SpanKind::Ticket
                | SpanKind::SessionId
                | SpanKind::Random
        )
    }

    /// Notes the original bytes of a span the redactor just replaced.
    pub fn note(&mut self, kind: SpanKind, original: &[u8]) {
        match kind {
            SpanKind::SniName => self.name(original),
            SpanKind::Certificate => {
                if self.first_time(original)
                    && let Ok((_, cert)) = X509Certificate::from_der(original)
                {
                    self.distinguished_name(cert.subject());
                    self.distinguished_name(cert.issuer());
                    if let Ok(Some(san)) = cert.subject_alternative_name() {
                        for n in &san.value.general_names {
                            match n {
                                GeneralName::DNSName(s)
                                | GeneralName::RFC822Name(s)
                                | GeneralName::URI(s) => self.name(s.as_bytes()),
                                _ => {}
                            }
                        }
                    }
                }
            }
            SpanKind::CaName => {
                if self.first_time(original)
                    && let Ok((_, name)) = X509Name::from_der(original)
                {
                    self.distinguished_name(&name);
                }
            }
            SpanKind::PskIdentity => self.opaque(SecretKind::PskIdentity, original),
            SpanKind::SessionTicket | SpanKind::Ticket => {
                self.opaque(SecretKind::SessionTicket, original)
            }
            SpanKind::SessionId => self.opaque(SecretKind::SessionId, original),
            SpanKind::Random => self.opaque(SecretKind::Random, original),
            _ => {}
        }
    }

    /// Notes a QUIC connection ID the output replaces (searched as opaque bytes: from 8 bytes
    /// on, as every opaque value).
    pub fn note_connection_id(&mut self, cid: &[u8]) {
        self.opaque(SecretKind::ConnectionId, cid);
    }

    /// Adds what another pass 1 of the same run saw (an opaque chunk keeps the kind it was
    /// first noted as, as when one collector sees both inputs in turn).
    pub fn absorb(&mut self, other: SeenSecrets) {
        self.names.extend(other.names);
        self.certificate_names.extend(other.certificate_names);
        for (chunk, kind) in other.chunks {
            self.chunks.entry(chunk).or_insert(kind);
        }
        self.read.extend(other.read);
    }

    /// Notes a name or word of a cleartext preamble (an EHLO name, a CONNECT host, a
    /// greeting's host): searched like an SNI name.
    pub fn note_preamble_text(&mut self, text: &[u8]) {
        self.name(text);
    }

    fn first_time(&mut self, bytes: &[u8]) -> bool {
        use std::hash::BuildHasher;
        let h = foldhash::quality::FixedState::with_seed(0).hash_one(bytes);
        self.read.insert(h)
    }

    fn distinguished_name(&mut self, name: &X509Name<'_>) {
        for attr in name.iter_attributes() {
            let value = attr.as_slice();
            if looks_like_host_name(value) {
                self.name(value);
            } else if let Some(v) = meaningful_text(value) {
                self.certificate_names.insert(v);
            }
        }
    }

    fn name(&mut self, name: &[u8]) {
        let name = name.strip_prefix(b"*.").unwrap_or(name);
        if let Some(v) = meaningful_text(name) {
            self.names.insert(v);
        }
    }

    fn opaque(&mut self, kind: SecretKind, bytes: &[u8]) {
        if bytes.len() < MIN_BINARY_LEN || too_plain(bytes) {
            return;
        }
        let prefix = &bytes[..bytes.len().min(CHUNKED_PREFIX)];
        // Every aligned chunk, and the last one when the length is not a multiple.
        let last = prefix.len() - CHUNK;
        for at in (0..=last).step_by(CHUNK).chain(std::iter::once(last)) {
            let chunk: [u8; CHUNK] = prefix[at..at + CHUNK].try_into().unwrap_or_default();
            if !too_plain(&chunk) {
                self.chunks.entry(chunk).or_insert(kind);
            }
        }
    }
}

/// Lowercase ASCII, when long enough and not part of the words our own output uses.
fn meaningful_text(value: &[u8]) -> Option<Vec<u8>> {
    let v = value.trim_ascii().to_ascii_lowercase();
    let own = OWN_WORDS.as_bytes();
    let ours = own.windows(v.len().max(1)).any(|w| w == v.as_slice())
        || crate::redact::is_reserved_name(&v);
    (v.len() >= MIN_TEXT_LEN && !ours).then_some(v)
}

/// Letters, digits, `.`, `-`, `_` only: found by `tokens::find_name`.
fn is_name_token(name: &[u8]) -> bool {
    name.iter().all(|&b| super::tokens::in_name(b))
}

/// `a.b`, letters, digits, `-`, `_`, `.` only: searched in every output file like an SNI.
fn looks_like_host_name(value: &[u8]) -> bool {
    value.contains(&b'.')
        && value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'*'))
}

/// Every address pass 1 saw, before the mapping is built.
pub struct ObservedAddresses {
    ipv4: Vec<[u8; 4]>,
    ipv6: Vec<[u8; 16]>,
    macs: Vec<[u8; 6]>,
}

impl ObservedAddresses {
    pub fn of(planner: &AddressPlanner) -> ObservedAddresses {
        ObservedAddresses {
            ipv4: planner.ipv4_seen().collect(),
            ipv6: planner.ipv6_seen().collect(),
            macs: planner.macs_seen().collect(),
        }
    }
}

/// The names and certificate strings to search for.
pub fn text_patterns(seen: &SeenSecrets) -> Vec<TextPattern> {
    let mut out = Vec::new();
    // A name without a dot (`intranet`, `server`) may be a word of the summary itself: it is
    // searched where handshake bytes are carried, like a certificate's attributes. Names made
    // of name characters only are looked up as tokens (see `secret_sets`).
    for n in seen.names.iter().filter(|n| !is_name_token(n)) {
        out.push(TextPattern {
            bytes: n.clone(),
            kind: SecretKind::HostName,
            in_files: n.contains(&b'.'),
        });
    }
    // Certificate attributes (organisation, locality, …) are searched where a certificate's
    // bytes could be carried, not in the summary: a value like "Server" is also a word of it.
    for n in &seen.certificate_names {
        out.push(TextPattern {
            bytes: n.clone(),
            kind: SecretKind::CertificateName,
            in_files: false,
        });
    }
    out.sort_by(|a, b| a.bytes.cmp(&b.bytes));
    out.dedup_by(|a, b| a.bytes == b.bytes);
    out
}

/// The opaque values' chunks, and every address the mapping rewrites in all its searched
/// forms; those it keeps (documentation, loopback, multicast, allowlisted) are not secrets.
pub fn secret_sets(
    seen: &SeenSecrets,
    addresses: &ObservedAddresses,
    mapping: &mut Mapping,
) -> SecretSets {
    let mut out = SecretSets::default();
    out.set_allowlist(mapping.allowlist().clone());
    for (&chunk, &kind) in &seen.chunks {
        out.add_chunk(chunk, kind);
    }
    // 100,000 handshakes name 100,000 servers: as automaton patterns they took 50 MiB.
    for n in seen.names.iter().filter(|n| is_name_token(n)) {
        out.add_name(n.clone(), n.contains(&b'.'));
    }
    for &a in &addresses.ipv4 {
        if mapping.ipv4(a) != a {
            out.add_ipv4(a);
        }
    }
    let mut kept_iids = HashSet::new();
    for &a in &addresses.ipv6 {
        if mapping.ipv6(a) == a {
            kept_iids.insert(<[u8; 8]>::try_from(&a[8..]).unwrap_or_default());
        } else {
            out.add_ipv6(a);
        }
    }
    for &m in &addresses.macs {
        if mapping.mac(m) != m {
            out.add_mac(m, kept_iids.contains(&eui64(m)));
        }
    }
    out.sealed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::{MappingKey, Role};

    fn texts(patterns: &[TextPattern], kind: SecretKind) -> Vec<String> {
        patterns
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| String::from_utf8_lossy(&p.bytes).into_owned())
            .collect()
    }

    fn none_seen() -> SeenSecrets {
        SeenSecrets::default()
    }

    /// Addresses the mapping rewrites are searched in every form; those it keeps
    /// (documentation, loopback, multicast, broadcast, allowlisted) are not.
    #[test]
    fn only_rewritten_addresses_are_secrets() {
        let mut planner = AddressPlanner::new();
        for a in [
            [10, 1, 2, 3],
            [192, 0, 2, 7],
            [127, 0, 0, 1],
            [93, 184, 215, 14],
        ] {
            planner.observe_ipv4(a, Role::Client);
        }
        let real6: [u8; 16] = [
            0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef,
        ];
        let doc6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        planner.observe_ipv6(real6, Role::Server);
        planner.observe_ipv6(doc6, Role::Server);
        let mac = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];
        planner.observe_mac(mac);
        planner.observe_mac([0xff; 6]);
        let observed = ObservedAddresses::of(&planner);
        let mut mapping = planner
            .finish(&MappingKey::from_bytes(&[3u8; 32]).unwrap())
            .unwrap();
        mapping.set_allowlist(crate::allowlist::Allowlist::from_policy_text(
            "93.184.215.14",
            "",
        ));
        let s = secret_sets(&none_seen(), &observed, &mut mapping);
        let v4 = Some(SecretKind::Ipv4Address);
        assert_eq!(s.text_hit(b"a 10.1.2.3 b", true), v4);
        assert_eq!(s.header_hit(&[10, 1, 2, 3]), v4);
        for kept in [
            "192.0.2.7",
            "127.0.0.1",
            "93.184.215.14",
            "2001:db8::9",
            "ff:ff:ff:ff:ff:ff",
        ] {
            assert_eq!(s.text_hit(kept.as_bytes(), true), None, "{kept}");
        }
        assert_eq!(s.header_hit(&[93, 184, 215, 14, 192, 0, 2, 7]), None);
        let v6 = Some(SecretKind::Ipv6Address);
        for form in [
            "fd77:0000:0000:0000:0000:0000:00ab:cdef",
            "fd77:0:0:0:0:0:ab:cdef",
            "fd77::ab:cdef",
        ] {
            assert_eq!(s.text_hit(form.as_bytes(), true), v6, "{form}");
        }
        assert_eq!(s.payload_hit(&real6), v6);
        assert_eq!(s.payload_hit(&doc6), None);
        let group = [
            0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xab, 0xcd, 0xef,
        ];
        let nodes = Some(SecretKind::SolicitedNodeGroup);
        assert_eq!(s.payload_hit(&group), nodes);
        assert_eq!(
            s.mac_field_hit(&[0x33, 0x33, 0xff, 0xab, 0xcd, 0xef]),
            nodes
        );
        let m = Some(SecretKind::MacAddress);
        assert_eq!(s.text_hit(b"12-34-56-78-9a-bc", true), m);
        assert_eq!(s.text_hit(b"12:34:56:78:9A:BC", true), m);
        assert_eq!(s.mac_field_hit(&mac), m);
        assert_eq!(s.mac_field_hit(&[0xff; 6]), None);
        assert_eq!(
            s.payload_hit(&[0x10, 0x34, 0x56, 0xff, 0xfe, 0x78, 0x9a, 0xbc]),
            Some(SecretKind::InterfaceId)
        );
    }

    /// A replaced certificate named the parent domain of a server name the policy keeps: that
    /// kept name holds the secret's text and is not a leak; elsewhere the secret still is.
    #[test]
    fn a_secret_name_inside_an_allowed_name_is_no_leak() {
        let mut seen = SeenSecrets::default();
        seen.note(SpanKind::SniName, b"*.corp.net");
        let mut mapping = AddressPlanner::new().finish(&MappingKey::random()).unwrap();
        mapping.set_allowlist(crate::allowlist::Allowlist::from_policy_text(
            "",
            "api.corp.net",
        ));
        let none = ObservedAddresses::of(&AddressPlanner::new());
        let sets = secret_sets(&seen, &none, &mut mapping);
        assert_eq!(sets.text_hit(b"sni API.corp.net.", false), None);
        assert_eq!(
            sets.text_hit(b"sni www.corp.net", false),
            Some(SecretKind::HostName)
        );
    }

    /// Bytes too plain to mean anything (`1.1.1.1`, `00:00:00:00:00:01`) are searched only
    /// as text; zero-filled payload and NOP-filled options are made of them.
    #[test]
    fn plain_addresses_are_searched_only_as_text() {
        let mut planner = AddressPlanner::new();
        planner.observe_ipv4([1, 1, 1, 1], Role::Client);
        planner.observe_mac([0, 0, 0, 0, 0, 1]);
        let observed = ObservedAddresses::of(&planner);
        let mut mapping = planner.finish(&MappingKey::random()).unwrap();
        let s = secret_sets(&none_seen(), &observed, &mut mapping);
        assert_eq!(s.text_hit(b"1.1.1.1", true), Some(SecretKind::Ipv4Address));
        assert_eq!(s.header_hit(&[1, 1, 1, 1, 1]), None);
        assert_eq!(s.mac_field_hit(&[0, 0, 0, 0, 0, 1]), None);
        assert_eq!(s.payload_hit(&[0, 0, 0, 0, 0, 1, 0, 0]), None);
        assert_eq!(
            s.text_hit(b"00-00-00-00-00-01", true),
            Some(SecretKind::MacAddress)
        );
    }

    /// Names are matched in lowercase; short ones, our reserved names and the words of our own
    /// placeholders are not secrets; opaque values are found by any of their chunks.
    #[test]
    fn handshake_values_become_patterns() {
        let mut seen = SeenSecrets::default();
        seen.note(SpanKind::SniName, b"Api.Corp.NET");
        seen.note(SpanKind::SniName, b"a.io");
        seen.note(SpanKind::SniName, b"intranet");
        seen.note(SpanKind::SniName, b"abc");
        seen.note(SpanKind::SniName, b"h7k2qz.example");
        seen.note(SpanKind::SniName, b"Redacted");
        let ticket: Vec<u8> = (0..200u8).collect();
        seen.note(SpanKind::Ticket, &ticket);
        seen.note(SpanKind::SessionId, &[7u8; 32]);
        seen.note(SpanKind::PskIdentity, b"device-42");
        seen.note(SpanKind::SniName, b"my host.lan");
        let p = text_patterns(&seen);
        assert_eq!(texts(&p, SecretKind::HostName), ["my host.lan"]);
        let mut mapping = AddressPlanner::new().finish(&MappingKey::random()).unwrap();
        let none = ObservedAddresses::of(&AddressPlanner::new());
        let sets = secret_sets(&seen, &none, &mut mapping);
        let name = Some(SecretKind::HostName);
        assert_eq!(sets.text_hit(b"to API.Corp.NET:443", true), name);
        assert_eq!(sets.text_hit(b"x a.io", true), name);
        assert_eq!(sets.text_hit(b"x intranet y", false), name);
        assert_eq!(
            sets.text_hit(b"x intranet y", true),
            None,
            "a dotless name may be a word of the summary"
        );
        for other in ["abc", "h7k2qz.example", "redacted", "api.corp.nets"] {
            assert_eq!(sets.text_hit(other.as_bytes(), false), None, "{other}");
        }
        // Any 15 bytes of the ticket's first 64 hold a chunk, found wherever it is carried.
        let mut carried = vec![0x55u8; 8];
        carried.extend_from_slice(&ticket[17..32]);
        assert_eq!(sets.payload_hit(&carried), Some(SecretKind::SessionTicket));
        assert_eq!(sets.payload_hit(&ticket[100..120]), None, "past 64 bytes");
        assert_eq!(sets.payload_hit(&[7u8; 32]), None, "too plain");
        assert_eq!(
            sets.payload_hit(b"x device-42 y"),
            Some(SecretKind::PskIdentity)
        );
        assert_eq!(
            sets.payload_hit(b"x evice-42 y"),
            Some(SecretKind::PskIdentity)
        );
        assert_eq!(
            sets.payload_hit(b"x device-4"),
            Some(SecretKind::PskIdentity)
        );
        assert_eq!(sets.payload_hit(b"x device-"), None);
    }
}
