//! Where the sensitive bytes sit inside a complete plaintext handshake message, so they can be
//! replaced in place by same-length redactions (the message keeps every length field valid and
//! stays readable in Wireshark).
//!
//! `locate` walks the message with the same bounds-checked reader as the facts parser. It
//! returns `None` when the message cannot be walked completely: such a message is not kept at
//! all (fail closed).

use super::extensions::{self, Side};
use super::hello::{self, ServerLayout};
use super::messages;
pub use super::messages::Negotiated;
use super::reader::Reader;
use super::walk::HEADER_LEN;
pub use super::walk::{Span, SpanKind};

/// Sensitive spans of a complete handshake message (`message` includes its 4-byte header).
/// `negotiated`: what the connection's ServerHello settled (the layout of later messages
/// depends on it). `None` when the message is not one we can walk completely.
pub fn locate(message: &[u8], negotiated: &Negotiated) -> Option<Vec<Span>> {
    let mut header = Reader::new(message);
    let msg_type = header.u8()?;
    let len = header.u24()?;
    if len != header.remaining() {
        return None;
    }
    let body = &message[HEADER_LEN..];
    match msg_type {
        1 => {
            let h = hello::client_hello(body).ok()?;
            let mut spans = hello_spans(h.random, h.session_id, &h.extensions, Side::Client);
            // A DTLS cookie is the server's opaque data, echoed.
            if let Some(cookie) = h.cookie.filter(|c| !c.bytes.is_empty()) {
                let range = cookie.range();
                // In message order, like every other span.
                let at = spans.partition_point(|s| s.start < HEADER_LEN + range.start);
                spans.insert(
                    at,
                    Span {
                        kind: SpanKind::Verifiable,
                        start: HEADER_LEN + range.start,
                        end: HEADER_LEN + range.end,
                    },
                );
            }
            Some(spans)
        }
        2 => {
            let h = hello::server_hello(msg_type, body).ok()?;
            // The draft layouts are not vouched for: such a hello is removed.
            if h.layout != ServerLayout::Standard {
                return None;
            }
            Some(hello_spans(
                h.random?,
                h.session_id?,
                &h.extensions,
                Side::Server,
            ))
        }
        _ => messages::locate_message(msg_type, message, negotiated),
    }
}

/// A hello's spans: its random, its session id and what each extension's grammar marks.
fn hello_spans(
    random: hello::Field<'_>,
    session_id: hello::Field<'_>,
    extensions: &[hello::Extension<'_>],
    side: Side,
) -> Vec<Span> {
    let mut spans = Vec::new();
    for (kind, field) in [
        (SpanKind::Random, random),
        (SpanKind::SessionId, session_id),
    ] {
        if !field.bytes.is_empty() {
            let range = field.range();
            spans.push(Span {
                kind,
                start: HEADER_LEN + range.start,
                end: HEADER_LEN + range.end,
            });
        }
    }
    for ext in extensions {
        spans.extend(extensions::body_spans(
            ext.ext_type,
            side,
            ext.body.bytes,
            HEADER_LEN + ext.body.at,
        ));
    }
    spans
}

/// A DER `Name` (one RDN, `CN=xxx…`) of exactly `len` bytes, so a redacted CA list still
/// parses; `None` below the smallest such name (15 bytes).
pub fn placeholder_name(len: usize) -> Option<Vec<u8>> {
    fn header(tag: u8, len: usize, out: &mut Vec<u8>) {
        out.push(tag);
        match len {
            0..=127 => out.push(len as u8),
            128..=255 => out.extend([0x81, len as u8]),
            _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
    }
    fn header_len(len: usize) -> usize {
        match len {
            0..=127 => 2,
            128..=255 => 3,
            _ => 4,
        }
    }
    const CN_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
    // Sizes from the inside out for a value of `v` bytes.
    let sizes = |v: usize| {
        let attr = CN_OID.len() + header_len(v) + v;
        let set = header_len(attr) + attr;
        let seq = header_len(set) + set;
        (attr, set, seq, header_len(seq) + seq)
    };
    if len > 65_535 {
        return None;
    }
    let v = (len.saturating_sub(40).max(1)..len)
        .rev()
        .find(|&v| sizes(v).3 == len)?;
    let (attr, set, seq, _) = sizes(v);
    let mut out = Vec::with_capacity(len);
    header(0x30, seq, &mut out);
    header(0x31, set, &mut out);
    header(0x30, attr, &mut out);
    out.extend(CN_OID);
    header(0x0c, v, &mut out);
    out.extend(std::iter::repeat_n(b'x', v));
    Some(out)
}

/// A DER OCSPResponse of exactly `len` bytes: status successful, response type `2.25.0`
/// (an OID that means nothing to any dissector) and an OCTET STRING of zeros, so the
/// CertificateStatus message keeps its length and still parses; `None` below 17 bytes.
pub fn placeholder_ocsp(len: usize) -> Option<Vec<u8>> {
    fn header_len(len: usize) -> usize {
        match len {
            0..=127 => 2,
            128..=255 => 3,
            256..=65_535 => 4,
            _ => 5,
        }
    }
    fn header(tag: u8, len: usize, out: &mut Vec<u8>) {
        out.push(tag);
        match len {
            0..=127 => out.push(len as u8),
            128..=255 => out.extend([0x81, len as u8]),
            256..=65_535 => out.extend([0x82, (len >> 8) as u8, len as u8]),
            _ => out.extend([0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]),
        }
    }
    const STATUS: [u8; 3] = [0x0a, 0x01, 0x00];
    const OID: [u8; 4] = [0x06, 0x02, 0x69, 0x00];
    let sizes = |v: usize| {
        let bytes = OID.len() + header_len(v) + v;
        let tagged = header_len(bytes) + bytes;
        let seq = STATUS.len() + header_len(tagged) + tagged;
        (bytes, tagged, seq, header_len(seq) + seq)
    };
    if len > 0xFF_FFFF {
        return None;
    }
    // The headers take at most 32 bytes: look just below `len`.
    let v = (len.saturating_sub(40)..len)
        .rev()
        .find(|&v| sizes(v).3 == len)?;
    let (bytes, tagged, seq, _) = sizes(v);
    let mut out = Vec::with_capacity(len);
    header(0x30, seq, &mut out);
    out.extend(STATUS);
    header(0xa0, tagged, &mut out);
    header(0x30, bytes, &mut out);
    out.extend(OID);
    header(0x04, v, &mut out);
    out.resize(len, 0);
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ocsp_placeholders_have_the_exact_length() {
        let mut misses = 0;
        let around_steps = (17..700).chain(65_400..65_700).chain(69_990..70_010);
        for len in around_steps {
            match super::placeholder_ocsp(len) {
                Some(p) => {
                    assert_eq!(p.len(), len);
                    assert_eq!(p[0], 0x30);
                }
                None => misses += 1,
            }
        }
        // Only lengths right at a length-of-length step cannot be hit (those are zero-filled).
        assert!(misses <= 12, "{misses}");
    }

    #[test]
    fn placeholder_names_have_the_exact_length_and_parse() {
        for len in 15..3000 {
            let Some(name) = super::placeholder_name(len) else {
                // A few lengths cannot be hit exactly across a length-of-length step.
                assert!(
                    super::placeholder_name(len + 1).is_some()
                        || super::placeholder_name(len - 1).is_some()
                );
                continue;
            };
            assert_eq!(name.len(), len);
            use x509_parser::prelude::FromDer;
            let (rest, parsed) = x509_parser::x509::X509Name::from_der(&name).unwrap();
            assert!(rest.is_empty());
            assert_eq!(parsed.iter_common_name().count(), 1);
        }
    }

    use super::*;

    fn message(t: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![
            t,
            (body.len() >> 16) as u8,
            (body.len() >> 8) as u8,
            body.len() as u8,
        ];
        m.extend_from_slice(body);
        m
    }

    /// A hello: version, random, empty session id, then `middle` (cipher suites and compression
    /// methods, or the chosen suite and method), then `exts`.
    fn hello(msg_type: u8, middle: &[u8], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend([7u8; 32]);
        b.push(0);
        b.extend(middle);
        let mut e = Vec::new();
        for (t, d) in exts {
            e.extend(t.to_be_bytes());
            e.extend((d.len() as u16).to_be_bytes());
            e.extend(d);
        }
        b.extend((e.len() as u16).to_be_bytes());
        b.extend(e);
        message(msg_type, &b)
    }

    fn client_hello(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        hello(1, &[0, 2, 0x13, 0x01, 1, 0], exts)
    }

    #[test]
    fn finds_every_sni_name_and_unknown_extension() {
        let mut sni = vec![0, 0];
        for name in [&b"a.example.com"[..], b"b.org"] {
            sni.push(0);
            sni.extend((name.len() as u16).to_be_bytes());
            sni.extend(name);
        }
        let l = (sni.len() - 2) as u16;
        sni[..2].copy_from_slice(&l.to_be_bytes());
        let m = client_hello(&[(0, sni), (43, vec![2, 3, 4]), (0x1234, vec![9, 9])]);
        let spans = locate(&m, &Negotiated::TLS12).unwrap();
        let names: Vec<&[u8]> = spans
            .iter()
            .filter(|s| s.kind == SpanKind::SniName)
            .map(|s| &m[s.start..s.end])
            .collect();
        assert_eq!(names, vec![&b"a.example.com"[..], b"b.org"]);
        let unknown: Vec<&[u8]> = spans
            .iter()
            .filter(|s| s.kind == SpanKind::UnknownExtension)
            .map(|s| &m[s.start..s.end])
            .collect();
        assert_eq!(unknown, vec![&[9u8, 9][..]]);
        assert!(
            spans
                .iter()
                .any(|s| s.kind == SpanKind::Random && s.end - s.start == 32)
        );
    }

    #[test]
    fn certificates_are_located_and_lies_are_refused() {
        let mut body = vec![0, 0, 0];
        for len in [3usize, 5] {
            body.extend([(len >> 16) as u8, (len >> 8) as u8, len as u8]);
            body.extend(vec![0xAB; len]);
        }
        let total = body.len() - 3;
        body[2] = total as u8;
        let m = message(11, &body);
        let spans = locate(&m, &Negotiated::TLS12).unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].end - spans[1].start, 5);
        let mut lying = m.clone();
        lying[6] += 1;
        assert!(locate(&lying, &Negotiated::TLS12).is_none());
        assert!(locate(&m[..m.len() - 1], &Negotiated::TLS12).is_none());
    }

    fn server_hello(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        hello(2, &[0x13, 0x01, 0], exts)
    }

    fn kinds_of(m: &[u8]) -> Vec<(SpanKind, Vec<u8>)> {
        locate(m, &Negotiated::TLS12)
            .unwrap()
            .into_iter()
            .filter(|s| s.kind != SpanKind::Random && s.kind != SpanKind::SessionId)
            .map(|s| (s.kind, m[s.start..s.end].to_vec()))
            .collect()
    }

    /// A server's server_name is empty, its pre_shared_key a 2-byte index, a client's SCT
    /// request empty: kept in those sizes only, anything else in them zeroed (found by fuzzing).
    #[test]
    fn fixed_size_extensions_are_kept_only_at_their_size() {
        let ok = server_hello(&[(0, vec![]), (41, vec![0, 1])]);
        assert!(kinds_of(&ok).is_empty());
        let odd = server_hello(&[(0, b"leak".to_vec()), (41, vec![0, 1, 9])]);
        assert_eq!(
            kinds_of(&odd),
            vec![
                (SpanKind::UnknownExtension, b"leak".to_vec()),
                (SpanKind::UnknownExtension, vec![0, 1, 9])
            ]
        );
        assert!(kinds_of(&client_hello(&[(18, vec![])])).is_empty());
        assert_eq!(
            kinds_of(&client_hello(&[(18, vec![5, 5])])),
            vec![(SpanKind::Verifiable, vec![5, 5])]
        );
    }

    #[test]
    fn unknown_message_types_are_not_walkable() {
        assert!(locate(&message(99, &[1, 2, 3]), &Negotiated::TLS12).is_none());
    }
}
