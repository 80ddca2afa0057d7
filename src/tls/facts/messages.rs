//! The facts of the smaller handshake messages (a count or a length) and of the Certificate
//! message's chain, read from the walk of the message's grammar in `tls/messages.rs`: the
//! diagnosis and the redaction parse a message in one place, so a message is either understood
//! by both or by neither.
//!
//! Where a message's layout changed between TLS versions and the caller cannot always tell which
//! one it holds (a NewSessionTicket or CertificateRequest seen in plaintext), the grammar tries
//! each layout and the chosen one must consume the body exactly; a coincidental fit of the wrong
//! one needs a random 16-bit length to match, which is rare enough for a diagnosis.

use crate::tls::messages::{Negotiated, walk_body};
use crate::tls::reader::Reader;
use crate::tls::registry::ext;
use crate::tls::walk::{Span, SpanKind};

/// Handshake message types whose facts come from here.
mod msg {
    pub const NEW_SESSION_TICKET: u8 = 4;
    pub const ENCRYPTED_EXTENSIONS: u8 = 8;
    pub const CERTIFICATE: u8 = 11;
    pub const CERTIFICATE_REQUEST: u8 = 13;
    pub const CERTIFICATE_STATUS: u8 = 22;
}

/// The walk of a message whose version is unknown: every layout is tried.
fn walk_any_layout(msg_type: u8, body: &[u8]) -> Option<Vec<Span>> {
    walk_body(msg_type, body, &Negotiated::default())
}

fn span_lengths(spans: &[Span], kind: SpanKind) -> impl Iterator<Item = usize> + '_ {
    spans
        .iter()
        .filter(move |s| s.kind == kind)
        .map(|s| s.end - s.start)
}

/// (ticket length, lifetime) of a NewSessionTicket (RFC 5077 or RFC 8446 4.6.1).
pub(crate) fn parse_new_session_ticket(body: &[u8]) -> Result<(usize, u32), String> {
    let spans = walk_any_layout(msg::NEW_SESSION_TICKET, body)
        .ok_or("fits neither the TLS 1.2 nor the TLS 1.3 layout")?;
    // Both layouts start with uint32 ticket_lifetime(_hint); the walk checked it is there.
    let lifetime = Reader::new(body).u32().ok_or("truncated ticket_lifetime")?;
    // An empty TLS 1.2 ticket (the server takes its offer back) has no span.
    let ticket = span_lengths(&spans, SpanKind::Ticket).next().unwrap_or(0);
    Ok((ticket, lifetime))
}

/// Count of certificate_authorities in a CertificateRequest of any TLS version.
pub(crate) fn parse_certificate_request(body: &[u8]) -> Result<usize, String> {
    let spans = walk_any_layout(msg::CERTIFICATE_REQUEST, body)
        .ok_or("fits no CertificateRequest layout")?;
    Ok(span_lengths(&spans, SpanKind::CaName).count())
}

/// Length of the OCSP response (ocsp) or of the response list (ocsp_multi) in a
/// CertificateStatus (RFC 6066 / RFC 6961).
pub(crate) fn parse_certificate_status(body: &[u8]) -> Result<usize, String> {
    walk_any_layout(msg::CERTIFICATE_STATUS, body)
        .ok_or("not an ocsp or ocsp_multi status of its stated length")?;
    // status_type, then the uint24 length of the response (or of the list).
    let mut r = Reader::new(body);
    r.u8();
    r.u24().ok_or_else(|| "truncated response".to_string())
}

/// EncryptedExtensions: `Extension extensions<0..2^16-1>`, framed exactly; the extension
/// types in wire order, and the protocol the server selected when its ALPN extension holds
/// exactly one name (RFC 7301 section 3.1; TLS 1.3 moved it here from the ServerHello).
pub(crate) fn encrypted_extensions(body: &[u8]) -> Result<(Vec<u16>, Option<String>), String> {
    let framing = || "extensions do not frame the message".to_string();
    walk_any_layout(msg::ENCRYPTED_EXTENSIONS, body).ok_or_else(framing)?;
    let mut r = Reader::new(body);
    let mut list = Reader::new(r.vec16().ok_or_else(framing)?);
    let mut types = Vec::new();
    let mut alpn = None;
    while !list.is_empty() {
        let ext_type = list.u16().ok_or_else(framing)?;
        let data = list.vec16().ok_or_else(framing)?;
        if ext_type == ext::ALPN
            && let Some([name]) = super::hello::parse_alpn(data).as_deref()
        {
            alpn = Some(String::from_utf8_lossy(name).into_owned());
        }
        types.push(ext_type);
    }
    Ok((types, alpn))
}

/// The DER certificates of a Certificate message, in chain order. `tls13` selects the TLS 1.3
/// layout (a request context, extensions after each entry).
pub(crate) fn certificate_chain(body: &[u8], tls13: bool) -> Result<Vec<&[u8]>, String> {
    let negotiated = Negotiated {
        version: Some(if tls13 { 0x0304 } else { 0x0303 }),
        cipher_suite: None,
    };
    let spans = walk_body(msg::CERTIFICATE, body, &negotiated).ok_or(if tls13 {
        "does not fit the TLS 1.3 Certificate layout"
    } else {
        "does not fit the Certificate layout"
    })?;
    Ok(spans
        .iter()
        .filter(|s| s.kind == SpanKind::Certificate)
        .map(|s| &body[s.start..s.end])
        .collect())
}
