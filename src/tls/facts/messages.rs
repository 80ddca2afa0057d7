//! The smaller handshake messages whose facts are a count or a length.
//!
//! Where a message's layout changed between TLS versions and the caller cannot always tell which
//! one it holds (a NewSessionTicket or CertificateRequest seen in plaintext), each layout is
//! tried and must consume the body exactly; a coincidental fit of the wrong one needs a random
//! 16-bit length to match, which is rare enough for a diagnosis.

use super::reader::Reader;
use crate::tls::registry::ext;

/// (ticket length, lifetime) of a NewSessionTicket.
pub(crate) fn parse_new_session_ticket(body: &[u8]) -> Result<(usize, u32), String> {
    // RFC 5077: uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>.
    let mut r = Reader::new(body);
    if let (Some(lifetime), Some(ticket)) = (r.u32(), r.vec16()) {
        if r.is_empty() {
            return Ok((ticket.len(), lifetime));
        }
    }
    // RFC 8446 4.6.1: lifetime, age_add, nonce<0..255>, ticket<1..2^16-1>, extensions.
    let mut r = Reader::new(body);
    let lifetime = r.u32().ok_or("truncated ticket_lifetime")?;
    r.u32().ok_or("truncated ticket_age_add")?;
    r.vec8().ok_or("truncated ticket_nonce")?;
    let ticket = r.vec16().ok_or("truncated ticket")?;
    r.vec16().ok_or("truncated extensions")?;
    if !r.is_empty() || ticket.is_empty() {
        return Err("fits neither the TLS 1.2 nor the TLS 1.3 layout".to_string());
    }
    Ok((ticket.len(), lifetime))
}

/// Number of `DistinguishedName` entries in a `<0..2^16-1>` list (each `<1..2^16-1>`).
fn count_names(list: &[u8]) -> Option<usize> {
    let mut r = Reader::new(list);
    let mut n = 0usize;
    while !r.is_empty() {
        if r.vec16()?.is_empty() {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// Count of certificate_authorities in a CertificateRequest of any TLS version.
pub(crate) fn parse_certificate_request(body: &[u8]) -> Result<usize, String> {
    // TLS 1.2: certificate_types<1..2^8-1>, supported_signature_algorithms<2..2^16-2>,
    // certificate_authorities<0..2^16-1>.
    let mut r = Reader::new(body);
    if let (Some(_), Some(_), Some(cas)) = (r.vec8(), r.vec16(), r.vec16()) {
        if let Some(n) = count_names(cas).filter(|_| r.is_empty()) {
            return Ok(n);
        }
    }
    // TLS 1.0/1.1 (and SSL 3.0): no signature algorithms.
    let mut r = Reader::new(body);
    if let (Some(_), Some(cas)) = (r.vec8(), r.vec16()) {
        if let Some(n) = count_names(cas).filter(|_| r.is_empty()) {
            return Ok(n);
        }
    }
    // TLS 1.3: certificate_request_context<0..2^8-1>, extensions<2..2^16-1>; the CAs are in
    // the certificate_authorities extension (47) as one `<3..2^16-1>` list.
    let mut r = Reader::new(body);
    if let (Some(_), Some(block), true) = (r.vec8(), r.vec16(), r.is_empty()) {
        let mut exts = Reader::new(block);
        let mut count = Some(0usize);
        while !exts.is_empty() {
            let (Some(typ), Some(data)) = (exts.u16(), exts.vec16()) else {
                count = None;
                break;
            };
            if typ == ext::CERTIFICATE_AUTHORITIES {
                let mut d = Reader::new(data);
                count = d.vec16().filter(|_| d.is_empty()).and_then(count_names);
            }
        }
        if let Some(n) = count {
            return Ok(n);
        }
    }
    Err("fits no CertificateRequest layout".to_string())
}

/// Length of the OCSP response (or ocsp_multi list) in a CertificateStatus (RFC 6066 / 6961).
pub(crate) fn parse_certificate_status(body: &[u8]) -> Result<usize, String> {
    let mut r = Reader::new(body);
    r.u8().ok_or("truncated status_type")?;
    let response = r.vec24().ok_or("truncated response")?;
    if !r.is_empty() {
        return Err(format!("{} bytes after the response", r.remaining()));
    }
    Ok(response.len())
}

/// EncryptedExtensions: `Extension extensions<0..2^16-1>`, nothing after it.
pub(crate) fn check_encrypted_extensions(body: &[u8]) -> Result<(), String> {
    let mut r = Reader::new(body);
    r.vec16().ok_or("truncated extensions")?;
    if r.is_empty() {
        Ok(())
    } else {
        Err(format!("{} bytes after the extensions", r.remaining()))
    }
}
