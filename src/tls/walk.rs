//! The walk every handshake grammar (`hello.rs`, `extensions.rs`, `messages.rs`) runs over a
//! message: a bounds-checked reader that collects the byte ranges (`Span`s) the grammar marks,
//! and the kinds of those ranges. The grammars depend on it and `spans.rs` dispatches to them,
//! so this layer depends on none of them.

use super::reader::Reader;
use crate::stable_names::stable_names;

stable_names! {
    /// What a span holds, and so how it is redacted.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    #[repr(u8)]
    pub enum SpanKind {
        /// A host_name of the server_name extension (also the outer name of an ECH ClientHello).
        SniName = "sni_names",
        /// One DER certificate of a TLS ≤ 1.2 Certificate message.
        Certificate = "certificates",
        /// ClientHello session_ticket extension data.
        SessionTicket = "session_tickets",
        /// A pre_shared_key identity.
        PskIdentity = "psk_identities",
        /// One DER distinguished name of a certificate_authorities list (CertificateRequest, or
        /// the extension).
        CaName = "certificate_authority_names",
        /// A CertificateStatus (OCSP) response.
        OcspResponse = "ocsp_responses",
        /// A NewSessionTicket ticket.
        Ticket = "new_session_tickets",
        /// A signature that a holder of the real certificate could verify, so it would identify the
        /// peer (ServerKeyExchange, CertificateVerify), or opaque server data (SCTs, cookies).
        Verifiable = "signatures_and_opaque_server_data",
        /// The data of an extension we do not know to be harmless.
        UnknownExtension = "unknown_extensions",
        /// Client or server random (scrambled only under the strict policy).
        Random = "randoms",
        /// Legacy session id (scrambled only under the strict policy).
        SessionId = "session_ids",
        /// The body of a handshake message that cannot be walked (unknown type, malformed): zeros,
        /// its 4-byte header kept so the messages after it keep their framing.
        UnwalkableMessage = "unwalkable_messages",
        /// A free-form field of a message the grammar cannot vouch for: nonces, cookies, URLs,
        /// supplemental data, compressed certificates, an unregistered value, or the body of a
        /// ClientKeyExchange whose key exchange is unknown.
        OpaqueField = "opaque_fields",
        /// A byte of a cleartext preamble before TLS (STARTTLS, CONNECT) that its grammar does
        /// not vouch for: a host name, a greeting's text, a tag, a header value (`crate::preamble`).
        PreambleText = "preamble_text",
        /// A QUIC connection ID in a transport parameter: mapped like the IDs of the packet
        /// headers (`anonymize::ConnectionIds`), so the hello agrees with its packet.
        ConnectionId = "connection_ids",
    }
}

impl SpanKind {
    /// A one-byte code (for the temporary file of plans): the discriminant, which is the kind's
    /// index in `ALL`.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind of a code; `None` for a code no kind has.
    pub fn from_code(code: u8) -> Option<SpanKind> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// A sensitive byte range of a message, as offsets from the start of the message's 4-byte
/// handshake header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub kind: SpanKind,
    pub start: usize,
    pub end: usize,
}

/// A bounds-checked walk over a message (or one extension body), collecting the spans it marks.
pub(crate) struct Walk<'a> {
    pub(crate) r: Reader<'a>,
    total: usize,
    spans: Vec<Span>,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(message: &'a [u8]) -> Walk<'a> {
        Walk {
            r: Reader::new(message),
            total: message.len(),
            spans: Vec::new(),
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.total - self.r.remaining()
    }

    /// Takes `n` bytes and marks them as `kind` (when non-empty).
    pub(crate) fn mark(&mut self, kind: SpanKind, n: usize) -> Option<()> {
        let start = self.pos();
        self.r.take(n)?;
        if n > 0 {
            self.spans.push(Span {
                kind,
                start,
                end: start + n,
            });
        }
        Some(())
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        self.r.take(n).map(|_| ())
    }

    pub(crate) fn done(self) -> Option<Vec<Span>> {
        self.r.is_empty().then_some(self.spans)
    }
}

/// The 4-byte handshake header (type, uint24 length) that span offsets count from.
pub(crate) const HEADER_LEN: usize = 4;

/// A list of `DistinguishedName<1..2^16-1>` entries: each name is its own span, so each keeps
/// its length prefix and can become a same-length placeholder name.
pub(crate) fn ca_names(w: &mut Walk<'_>, n: usize) -> Option<()> {
    let end = w.pos() + n;
    while w.pos() < end {
        // DistinguishedName<1..2^16-1>: an empty entry is not a name.
        let len = usize::from(w.r.u16()?);
        if len == 0 {
            return None;
        }
        w.mark(SpanKind::CaName, len)?;
    }
    (w.pos() == end).then_some(())
}
