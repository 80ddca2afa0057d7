//! ClientHello, ServerHello (including HelloRetryRequest) and the SSLv2-compatible CLIENT-HELLO.
//!
//! The framing is walked by hand, by the hello grammar in `tls/hello.rs` that the redaction
//! reads too, rather than with tls-parser's hello parsers,
//! because those lose facts a diagnosis needs (checked against tls-parser 0.12.2):
//! - `parse_tls_handshake_server_hello` rejects every ServerHello whose version is not
//!   0x0300..=0x0303 or 0x7f12, so TLS 1.3 drafts 19-21 (0x7f13..) and odd servers yield nothing;
//! - the optional extension block is read with `opt(complete(..))`, so a truncated block silently
//!   becomes "no extensions" instead of an error;
//! - `parse_tls_extensions` stops (successfully) at the first malformed extension and drops the
//!   types after it, and its GREASE test also accepts non-GREASE values like 0x1a2a.
//!
//! Here framing errors (lengths that do not add up) make the whole message malformed, while a
//! known extension whose *content* does not parse is listed in `malformed_extensions` and the
//! other facts are kept: a server would reject such a hello, and the report should say why.

use serde::{Deserialize, Serialize, Serializer};

use super::super::hello::{self as grammar, ServerLayout};
use crate::tls::reader::{Reader, u16_list};
use crate::tls::registry::{ext, is_grease, is_grease_alpn};

/// `Random` of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 section 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The last 8 bytes of ServerHello.random without the final byte: "DOWNGRD" (RFC 8446 4.1.3).
const DOWNGRADE_PREFIX: &[u8; 7] = b"DOWNGRD";

/// Facts of one ClientHello. GREASE values (RFC 8701) are removed from every list, so the lists
/// say what the client really supports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ClientHelloFacts {
    pub legacy_version: u16,
    /// supported_versions (43), in the client's order; empty when the extension is absent.
    pub supported_versions: Vec<u16>,
    pub cipher_suites: Vec<u16>,
    /// supported_groups (10).
    pub groups: Vec<u16>,
    /// Groups of the key shares sent in key_share (51, or 40 in TLS 1.3 drafts <= 22).
    pub key_share_groups: Vec<u16>,
    /// signature_algorithms (13); GREASE removed as well.
    pub signature_algorithms: Vec<u16>,
    /// ALPN (16) protocol names, lossy UTF-8; GREASE identifiers (RFC 8701 section 2) removed.
    pub alpn: Vec<String>,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// server_name (0). Sensitive: only [`SniSummary`] is ever serialized.
    #[serde(serialize_with = "serialize_sni_summary")]
    pub sni: Option<SniFacts>,
    /// encrypted_client_hello (0xfe0d) of type outer present: the client offers ECH. Clients
    /// also send GREASE ECH (draft-ietf-tls-esni section 6.2), which is indistinguishable on
    /// the wire by design. A type-inner extension belongs inside the encrypted hello and is no
    /// offer when it is seen in clear.
    pub ech: bool,
    /// pre_shared_key (41) present.
    pub psk: bool,
    /// session_ticket (35) present and non-empty (an empty one only asks for a new ticket).
    pub session_ticket: bool,
    pub session_id_len: u8,
    pub compression_methods: Vec<u8>,
    /// Known extensions whose content did not parse (the framing around them did).
    pub malformed_extensions: Vec<u16>,
    /// Came from an SSLv2-format CLIENT-HELLO (see [`parse_sslv2_client_hello`]).
    pub sslv2_compat: bool,
    /// The client random: what a key log names the connection by (`crate::keylog`). Never
    /// serialized (policy `strict` scrambles it in the capture).
    #[serde(skip)]
    pub random: [u8; 32],
}

impl ClientHelloFacts {
    /// Whether the client offers protocol version `v`: from supported_versions when present
    /// (RFC 8446 section 4.2.1: it then overrides legacy_version), else every version from
    /// SSL 3.0 up to legacy_version.
    pub fn offers_version(&self, v: u16) -> bool {
        if self.supported_versions.is_empty() {
            (0x0300..=self.legacy_version).contains(&v)
        } else {
            self.supported_versions.contains(&v)
        }
    }

    /// The highest version offered (by the same rule as [`Self::offers_version`]). TLS 1.3
    /// drafts and Facebook Fizz code points (0x7fxx, 0xfbxx) rank above TLS 1.2 and below
    /// TLS 1.3; DTLS and unrecognised code points are not ranked (`None` if nothing else).
    pub fn max_version(&self) -> Option<u16> {
        if self.supported_versions.is_empty() {
            return Some(self.legacy_version);
        }
        self.supported_versions
            .iter()
            .filter_map(|&v| version_rank(v).map(|rank| (rank, v)))
            .max()
            .map(|(_, v)| v)
    }
}

/// Orders SSL/TLS versions; TLS 1.3 drafts sit between 1.2 and 1.3 in draft order.
fn version_rank(v: u16) -> Option<u32> {
    let [hi, lo] = v.to_be_bytes();
    match hi {
        0x00 | 0x03 => Some(u32::from(v) << 8),
        0x7f | 0xfb => Some(0x0303 << 8 | u32::from(lo)),
        _ => None,
    }
}

/// The server_name extension's host names. SENSITIVE (real host names): it deliberately has no
/// `Serialize`, and its `Debug` prints only counts, so neither a summary nor a log line can leak
/// a name. Use [`SniFacts::summary`] for output.
#[derive(Clone, PartialEq, Eq)]
pub struct SniFacts {
    /// Every host_name (type 0) entry, lossy UTF-8, in wire order.
    pub names: Vec<String>,
    /// Length in bytes of the first host_name.
    pub length: usize,
}

impl SniFacts {
    pub fn summary(&self) -> SniSummary {
        SniSummary {
            present: true,
            length: self.length,
            count: self.names.len(),
        }
    }

    /// The first host_name, which is what servers act on.
    pub fn first(&self) -> Option<&str> {
        self.names.first().map(String::as_str)
    }
}

impl std::fmt::Debug for SniFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SniFacts")
            .field("names", &format_args!("<{} redacted>", self.names.len()))
            .field("length", &self.length)
            .finish()
    }
}

/// What the summary may say about SNI: whether it was sent, the first name's length, and how
/// many host names there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SniSummary {
    pub present: bool,
    pub length: usize,
    pub count: usize,
}

fn serialize_sni_summary<S: Serializer>(sni: &Option<SniFacts>, s: S) -> Result<S::Ok, S::Error> {
    sni.as_ref()
        .map(SniFacts::summary)
        .unwrap_or_default()
        .serialize(s)
}

/// Facts of one ServerHello, HelloRetryRequest (a ServerHello with the special random, or the
/// separate message type 6 of TLS 1.3 drafts up to 21).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ServerHelloFacts {
    pub legacy_version: u16,
    /// supported_versions (43): the version a TLS 1.3 server selected.
    pub selected_version: Option<u16>,
    /// 0 in a draft-18 (or older) HelloRetryRequest, which carried no cipher suite.
    pub cipher_suite: u16,
    pub hello_retry_request: bool,
    /// key_share (51, or 40 in drafts): the group asked for by a HelloRetryRequest, or the group
    /// of the server's share in a ServerHello.
    pub selected_group: Option<u16>,
    /// ALPN (16): the protocol the server selected.
    pub alpn: Option<String>,
    /// Extension types in wire order. GREASE is kept here: a server must never send it, so
    /// seeing it is itself a fact.
    pub extensions: Vec<u16>,
    pub session_id_len: u8,
    pub compression_method: u8,
    /// TLS 1.3 downgrade protection (RFC 8446 section 4.1.3): `Some(0x0303)` when the random ends
    /// in "DOWNGRD\x01" (a TLS 1.3 server negotiated TLS 1.2), `Some(0x0302)` for "DOWNGRD\x00"
    /// (a TLS 1.2+ server negotiated TLS 1.1 or below).
    pub downgrade_sentinel: Option<u16>,
    /// Known extensions whose content did not parse.
    pub malformed_extensions: Vec<u16>,
    /// The server random (the TLS 1.2 key block needs it). Never serialized.
    #[serde(skip)]
    pub random: [u8; 32],
}

impl ServerHelloFacts {
    /// The version in force: supported_versions when present, else legacy_version (which is the
    /// real version up to TLS 1.2 and in TLS 1.3 drafts up to 21).
    pub fn negotiated_version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// A whole extension body that is one `<..2^16-1>` vector, with nothing after it.
fn exact_vec16(data: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(data);
    let v = r.vec16()?;
    r.is_empty().then_some(v)
}

fn exact_vec8(data: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(data);
    let v = r.vec8()?;
    r.is_empty().then_some(v)
}

fn without_grease(v: Vec<u16>) -> Vec<u16> {
    v.into_iter().filter(|x| !is_grease(*x)).collect()
}

/// `ServerNameList`: every entry is `NameType` + `opaque<1..2^16-1>` (RFC 6066 section 3; all
/// name types ever proposed use that layout, so unknown types can be skipped).
fn parse_sni(data: &[u8]) -> Option<Vec<String>> {
    let list = exact_vec16(data)?;
    if list.is_empty() {
        return None;
    }
    let mut r = Reader::new(list);
    let mut names = Vec::new();
    while !r.is_empty() {
        let name_type = r.u8()?;
        let name = r.vec16()?;
        if name.is_empty() {
            return None;
        }
        if name_type == 0 {
            names.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    Some(names)
}

/// `ProtocolNameList`: `opaque ProtocolName<1..2^8-1>` entries in a `<2..2^16-1>` vector.
pub(super) fn parse_alpn(data: &[u8]) -> Option<Vec<&[u8]>> {
    let list = exact_vec16(data)?;
    let mut r = Reader::new(list);
    let mut names = Vec::new();
    while !r.is_empty() {
        let name = r.vec8()?;
        if name.is_empty() {
            return None;
        }
        names.push(name);
    }
    (!names.is_empty()).then_some(names)
}

/// ClientHello `client_shares`: `KeyShareEntry<0..2^16-1>` of (group, `opaque<1..2^16-1>`).
fn parse_client_key_shares(data: &[u8]) -> Option<Vec<u16>> {
    let list = exact_vec16(data)?;
    let mut r = Reader::new(list);
    let mut groups = Vec::new();
    while !r.is_empty() {
        let group = r.u16()?;
        r.vec16()?;
        groups.push(group);
    }
    Some(groups)
}

pub(crate) fn parse_client_hello(body: &[u8]) -> Result<ClientHelloFacts, String> {
    let hello = grammar::client_hello(body)?;
    let mut facts = ClientHelloFacts {
        legacy_version: hello.legacy_version,
        cipher_suites: without_grease(hello.cipher_suites().collect()),
        // At most 32: the walk refuses a longer one.
        session_id_len: hello.session_id.bytes.len() as u8,
        compression_methods: hello.compression_methods.bytes.to_vec(),
        random: hello.random.bytes.try_into().unwrap_or([0; 32]),
        ..ClientHelloFacts::default()
    };
    for ext in &hello.extensions {
        let typ = ext.ext_type;
        if !is_grease(typ) {
            facts.extensions.push(typ);
        }
        if !client_extension(&mut facts, typ, ext.body.bytes) {
            facts.malformed_extensions.push(typ);
        }
    }
    Ok(facts)
}

/// Records one ClientHello extension's facts; false when its content is malformed.
fn client_extension(facts: &mut ClientHelloFacts, typ: u16, data: &[u8]) -> bool {
    match typ {
        ext::SERVER_NAME => match parse_sni(data) {
            Some(names) => {
                if let Some(first) = names.first() {
                    facts.sni = Some(SniFacts {
                        length: first.len(),
                        names,
                    });
                }
                true
            }
            None => false,
        },
        ext::SUPPORTED_GROUPS => store(&mut facts.groups, exact_vec16(data).and_then(u16_list)),
        ext::SIGNATURE_ALGORITHMS => store(
            &mut facts.signature_algorithms,
            exact_vec16(data).and_then(u16_list),
        ),
        ext::SUPPORTED_VERSIONS => store(
            &mut facts.supported_versions,
            exact_vec8(data).and_then(u16_list),
        ),
        ext::KEY_SHARE | ext::KEY_SHARE_DRAFT => {
            store(&mut facts.key_share_groups, parse_client_key_shares(data))
        }
        ext::ALPN => match parse_alpn(data) {
            Some(names) => {
                facts.alpn = names
                    .into_iter()
                    .filter(|n| !is_grease_alpn(n))
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .collect();
                true
            }
            None => false,
        },
        ext::SESSION_TICKET => {
            facts.session_ticket = !data.is_empty();
            true
        }
        ext::PRE_SHARED_KEY => {
            facts.psk = true;
            true
        }
        // ECHClientHello starts with its type: 0 outer, 1 inner (draft-ietf-tls-esni 5).
        ext::ENCRYPTED_CLIENT_HELLO => match data.first() {
            Some(0) => {
                facts.ech = true;
                true
            }
            Some(1) => true,
            _ => false,
        },
        _ => true,
    }
}

/// Stores a parsed u16 list with GREASE removed; false (content malformed) when it did not parse.
fn store(slot: &mut Vec<u16>, parsed: Option<Vec<u16>>) -> bool {
    match parsed {
        Some(list) => {
            *slot = without_grease(list);
            true
        }
        None => false,
    }
}

/// A ServerHello (`msg_type` 2) or a draft HelloRetryRequest (`msg_type` 6).
pub(crate) fn parse_server_hello(msg_type: u8, body: &[u8]) -> Result<ServerHelloFacts, String> {
    let hello = grammar::server_hello(msg_type, body)?;
    let random = hello.random.map(|r| r.bytes);
    let mut facts = ServerHelloFacts {
        legacy_version: hello.legacy_version,
        cipher_suite: hello.cipher_suite,
        hello_retry_request: hello.layout == ServerLayout::DraftRetry
            || random == Some(&HELLO_RETRY_REQUEST_RANDOM[..]),
        downgrade_sentinel: match random.and_then(|r| r.get(24..)) {
            Some([rest @ .., 1]) if rest == DOWNGRADE_PREFIX => Some(0x0303),
            Some([rest @ .., 0]) if rest == DOWNGRADE_PREFIX => Some(0x0302),
            _ => None,
        },
        // At most 32: the walk refuses a longer one.
        session_id_len: hello.session_id.map_or(0, |id| id.bytes.len() as u8),
        compression_method: hello.compression_method,
        random: random.and_then(|r| r.try_into().ok()).unwrap_or([0; 32]),
        ..ServerHelloFacts::default()
    };
    for ext in &hello.extensions {
        facts.extensions.push(ext.ext_type);
        if !server_extension(&mut facts, ext.ext_type, ext.body.bytes) {
            facts.malformed_extensions.push(ext.ext_type);
        }
    }
    Ok(facts)
}

/// Records one ServerHello/HRR extension's facts; false when its content is malformed.
fn server_extension(facts: &mut ServerHelloFacts, typ: u16, data: &[u8]) -> bool {
    match typ {
        ext::SUPPORTED_VERSIONS => match data {
            [hi, lo] => {
                facts.selected_version = Some(u16::from_be_bytes([*hi, *lo]));
                true
            }
            _ => false,
        },
        ext::KEY_SHARE | ext::KEY_SHARE_DRAFT => {
            let mut r = Reader::new(data);
            let group = r.u16();
            // HRR: just the NamedGroup. ServerHello: one KeyShareEntry (group + key).
            let ok = r.is_empty() || (r.vec16().is_some_and(|k| !k.is_empty()) && r.is_empty());
            if ok {
                facts.selected_group = group;
            }
            ok && group.is_some()
        }
        ext::ALPN => match parse_alpn(data) {
            Some(names) => {
                facts.alpn = names
                    .first()
                    .map(|n| String::from_utf8_lossy(n).into_owned());
                // RFC 7301 section 3.1: the server's list contains exactly one name.
                names.len() == 1
            }
            None => false,
        },
        _ => true,
    }
}

/// Parses an SSLv2-format CLIENT-HELLO (RFC 6101 appendix E, RFC 5246 appendix E.2), as sent by
/// old clients that speak SSLv2 but offer SSL 3.0 / TLS. `record_body` is the record after its
/// 2-byte header and starts with the message type (1). Cipher specs are 3 bytes; those whose
/// first byte is 0 are TLS cipher suites and are kept as u16, the SSLv2-only ones are dropped.
/// Bytes after the challenge are ignored, so a caller may pass the rest of the segment.
/// Returns `None` when it is not a well-formed CLIENT-HELLO.
pub fn parse_sslv2_client_hello(record_body: &[u8]) -> Option<ClientHelloFacts> {
    let mut r = Reader::new(record_body);
    if r.u8()? != 1 {
        return None;
    }
    let version = r.u16()?;
    let spec_len = usize::from(r.u16()?);
    let session_id_len = r.u16()?;
    let challenge_len = r.u16()?;
    // The spec list is a whole number of 3-byte specs; a session id is 0 or 16 bytes and the
    // challenge 16..=32 bytes. Anything else is not an SSLv2 hello, so refuse to invent facts.
    if spec_len == 0 || spec_len % 3 != 0 || !(16..=32).contains(&challenge_len) {
        return None;
    }
    let session_id_len = u8::try_from(session_id_len).ok().filter(|n| *n <= 32)?;
    let specs = r.take(spec_len)?;
    r.take(usize::from(session_id_len))?;
    r.take(usize::from(challenge_len))?;
    let cipher_suites = specs
        .chunks_exact(3)
        .filter_map(|spec| match spec {
            [0, hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
            _ => None,
        })
        .filter(|v| !is_grease(*v))
        .collect();
    Some(ClientHelloFacts {
        legacy_version: version,
        cipher_suites,
        session_id_len,
        sslv2_compat: true,
        ..ClientHelloFacts::default()
    })
}
