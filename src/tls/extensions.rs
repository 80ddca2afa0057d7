//! The grammar of each ClientHello/ServerHello extension body, and so which of its bytes are
//! kept: a byte stays only when the body parses completely as its RFC defines it and the byte
//! holds a registered value (see `registry`) or a length. Free-form content (names,
//! identities, opaque data, keys of the wrong size) becomes a span to fill, with the length
//! prefixes around it kept, so the extension still dissects. A body that does not parse is
//! filled whole; its extension header stays, so the hello's framing holds.

use super::reader::Reader;
use super::registry::{self, ext};
use super::walk::{Span, SpanKind, Walk, ca_names};

/// Which hello an extension is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// Walks one extension body, keeping what it accounts for and marking the rest; `None` when
/// the body is not what the grammar says.
type Grammar = fn(&mut Walk<'_>, Side) -> Option<()>;

/// Every extension type a hello may keep bytes of, with its grammar. A type missing here is
/// filled whole.
const GRAMMARS: &[(u16, Grammar)] = &[
    (ext::SERVER_NAME, server_name),
    (ext::MAX_FRAGMENT_LENGTH, max_fragment_length),
    (ext::STATUS_REQUEST, status_request),
    (ext::SUPPORTED_GROUPS, supported_groups),
    (ext::EC_POINT_FORMATS, ec_point_formats),
    (ext::SIGNATURE_ALGORITHMS, signature_algorithms),
    (ext::HEARTBEAT, heartbeat),
    (ext::ALPN, alpn),
    (ext::STATUS_REQUEST_V2, status_request_v2),
    (
        ext::SIGNED_CERTIFICATE_TIMESTAMP,
        signed_certificate_timestamp,
    ),
    (ext::CLIENT_CERTIFICATE_TYPE, certificate_type),
    (ext::SERVER_CERTIFICATE_TYPE, certificate_type),
    (ext::PADDING, padding),
    (ext::ENCRYPT_THEN_MAC, empty),
    (ext::EXTENDED_MASTER_SECRET, empty),
    (ext::TOKEN_BINDING, token_binding),
    (ext::COMPRESS_CERTIFICATE, compress_certificate),
    (ext::RECORD_SIZE_LIMIT, record_size_limit),
    (ext::SESSION_TICKET, session_ticket),
    (ext::PRE_SHARED_KEY, pre_shared_key),
    (ext::EARLY_DATA, empty),
    (ext::SUPPORTED_VERSIONS, supported_versions),
    (ext::COOKIE, cookie),
    (ext::PSK_KEY_EXCHANGE_MODES, psk_key_exchange_modes),
    (ext::CERTIFICATE_AUTHORITIES, certificate_authorities),
    (ext::POST_HANDSHAKE_AUTH, empty),
    (ext::SIGNATURE_ALGORITHMS_CERT, signature_algorithms),
    (ext::KEY_SHARE, key_share),
    (ext::QUIC_TRANSPORT_PARAMETERS, quic_transport_parameters),
    (ext::NEXT_PROTOCOL_NEGOTIATION, next_protocol_negotiation),
    (ext::APPLICATION_SETTINGS, application_settings),
    (ext::APPLICATION_SETTINGS_NEW, application_settings),
    (ext::ENCRYPTED_CLIENT_HELLO, encrypted_client_hello),
    (ext::RENEGOTIATION_INFO, renegotiation_info),
];

/// The spans of one extension body that must not be kept, as offsets from `base` (where the
/// body starts in its message).
pub fn body_spans(ext_type: u16, side: Side, body: &[u8], base: usize) -> Vec<Span> {
    let grammar: Option<Grammar> = if registry::is_grease(ext_type) {
        Some(grease)
    } else {
        GRAMMARS
            .iter()
            .find(|&&(t, _)| t == ext_type)
            .map(|&(_, g)| g)
    };
    let parsed = grammar.and_then(|g| {
        let mut w = Walk::new(body);
        g(&mut w, side)?;
        w.done()
    });
    match parsed {
        Some(spans) => spans
            .into_iter()
            .map(|s| Span {
                start: s.start + base,
                end: s.end + base,
                ..s
            })
            .collect(),
        None if body.is_empty() => Vec::new(),
        None => vec![Span {
            kind: SpanKind::UnknownExtension,
            start: base,
            end: base + body.len(),
        }],
    }
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/// The next `n` bytes, not consumed.
fn peek<'a>(w: &Walk<'a>, n: usize) -> Option<&'a [u8]> {
    let mut r = w.r;
    r.take(n)
}

fn peek_reader(r: &Reader<'_>) -> Option<u8> {
    let mut r = *r;
    r.u8()
}

fn peek_u8(w: &Walk<'_>) -> Option<u8> {
    peek_reader(&w.r)
}

fn peek_u16(w: &Walk<'_>) -> Option<u16> {
    let mut r = w.r;
    r.u16()
}

/// Fills `n` bytes of content no registry vouches for.
fn fill(w: &mut Walk<'_>, n: usize) -> Option<()> {
    w.mark(SpanKind::UnknownExtension, n)
}

/// One u8 value: kept when `allowed`, else filled.
fn value_u8(w: &mut Walk<'_>, allowed: fn(u8) -> bool) -> Option<()> {
    let v = peek_u8(w)?;
    if allowed(v) { w.skip(1) } else { fill(w, 1) }
}

/// One u16 value: kept when `allowed`, else filled.
fn value_u16(w: &mut Walk<'_>, allowed: fn(u16) -> bool) -> Option<()> {
    let v = peek_u16(w)?;
    if allowed(v) { w.skip(2) } else { fill(w, 2) }
}

/// `uint8 values<..2^8-1>`.
fn list8_of_u8(w: &mut Walk<'_>, allowed: fn(u8) -> bool) -> Option<()> {
    let n = usize::from(w.r.u8()?);
    let end = w.pos() + n;
    while w.pos() < end {
        value_u8(w, allowed)?;
    }
    (w.pos() == end).then_some(())
}

/// `uint16 values<..2^8-2>`.
fn list8_of_u16(w: &mut Walk<'_>, allowed: fn(u16) -> bool) -> Option<()> {
    let n = usize::from(w.r.u8()?);
    list_of_u16(w, n, allowed)
}

/// `uint16 values<..2^16-2>`.
fn list16_of_u16(w: &mut Walk<'_>, allowed: fn(u16) -> bool) -> Option<()> {
    let n = usize::from(w.r.u16()?);
    list_of_u16(w, n, allowed)
}

fn list_of_u16(w: &mut Walk<'_>, n: usize, allowed: fn(u16) -> bool) -> Option<()> {
    if !n.is_multiple_of(2) {
        return None;
    }
    for _ in 0..n / 2 {
        value_u16(w, allowed)?;
    }
    Some(())
}

/// `opaque x<..2^8-1>`: length kept, content filled.
fn opaque8(w: &mut Walk<'_>, kind: SpanKind) -> Option<()> {
    let n = usize::from(w.r.u8()?);
    w.mark(kind, n)
}

/// `opaque x<..2^16-1>`: length kept, content filled.
fn opaque16(w: &mut Walk<'_>, kind: SpanKind) -> Option<()> {
    let n = usize::from(w.r.u16()?);
    w.mark(kind, n)
}

/// A vector with a two-byte length that must be the whole rest of the body; returns where it
/// ends.
fn whole_rest16(w: &mut Walk<'_>) -> Option<usize> {
    let n = usize::from(w.r.u16()?);
    (n == w.r.remaining()).then(|| w.pos() + n)
}

/// `ProtocolName<1..2^8-1>` entries up to `end`: registered IDs (and GREASE ones where
/// `grease` allows them) kept, any other name filled. Returns how many there were.
fn protocol_names(w: &mut Walk<'_>, end: usize, grease: bool) -> Option<usize> {
    let mut count = 0;
    while w.pos() < end {
        let n = usize::from(w.r.u8()?);
        let name = peek(w, n)?;
        if n == 0 {
            return None;
        }
        if registry::is_alpn_protocol(name) || (grease && registry::is_grease_alpn(name)) {
            w.skip(n)?;
        } else {
            fill(w, n)?;
        }
        count += 1;
    }
    (w.pos() == end).then_some(count)
}

/// Zeros carry nothing but their count.
fn all_zero(w: &mut Walk<'_>) -> Option<()> {
    let n = w.r.remaining();
    peek(w, n)?.iter().all(|&b| b == 0).then_some(())?;
    w.skip(n)
}

// ---------------------------------------------------------------------------------------------
// One grammar per extension type
// ---------------------------------------------------------------------------------------------

/// An extension that is a flag: no body.
fn empty(_: &mut Walk<'_>, _: Side) -> Option<()> {
    Some(())
}

/// A GREASE extension (RFC 8701): its body means nothing, so only zeros (what browsers send)
/// are kept.
fn grease(w: &mut Walk<'_>, _: Side) -> Option<()> {
    all_zero(w)
}

/// RFC 6066 section 3. A client's host names are marked for the pseudonym; a server's
/// server_name is empty.
fn server_name(w: &mut Walk<'_>, side: Side) -> Option<()> {
    if side == Side::Server || w.r.is_empty() {
        return Some(());
    }
    let end = whole_rest16(w)?;
    while w.pos() < end {
        // An unregistered name type is filled (to host_name), and its name gets a pseudonym
        // like any other: a NUL-filled host name would get one on the next run, so the
        // output would not be a fixed point.
        value_u8(w, registry::is_server_name_type)?;
        opaque16(w, SpanKind::SniName)?;
    }
    Some(())
}

/// RFC 6066 section 4.
fn max_fragment_length(w: &mut Walk<'_>, _: Side) -> Option<()> {
    value_u8(w, registry::is_max_fragment_length)
}

/// RFC 6066 section 8: OCSPStatusRequest, whose ResponderIDs and request extensions name
/// things, so only their framing is kept. A server's is empty.
fn status_request(w: &mut Walk<'_>, side: Side) -> Option<()> {
    if side == Side::Server {
        return Some(());
    }
    (w.r.u8()? == 1).then_some(())?;
    ocsp_status_request(w)
}

fn ocsp_status_request(w: &mut Walk<'_>) -> Option<()> {
    let ids = usize::from(w.r.u16()?);
    let end = w.pos() + ids;
    while w.pos() < end {
        opaque16(w, SpanKind::UnknownExtension)?;
    }
    (w.pos() == end).then_some(())?;
    opaque16(w, SpanKind::UnknownExtension)
}

/// RFC 6961: CertificateStatusRequestItemV2 entries. A server's is empty.
fn status_request_v2(w: &mut Walk<'_>, side: Side) -> Option<()> {
    if side == Side::Server {
        return Some(());
    }
    let end = whole_rest16(w)?;
    while w.pos() < end {
        registry::is_certificate_status_type(w.r.u8()?).then_some(())?;
        let n = usize::from(w.r.u16()?);
        let item_end = w.pos() + n;
        ocsp_status_request(w)?;
        (w.pos() == item_end).then_some(())?;
    }
    Some(())
}

/// RFC 8446 section 4.2.7.
fn supported_groups(w: &mut Walk<'_>, _: Side) -> Option<()> {
    list16_of_u16(w, |v| registry::is_named_group(v) || registry::is_grease(v))
}

/// RFC 8422 section 5.1.2.
fn ec_point_formats(w: &mut Walk<'_>, _: Side) -> Option<()> {
    list8_of_u8(w, registry::is_ec_point_format)
}

/// RFC 8446 section 4.2.3 (signature_algorithms and signature_algorithms_cert).
fn signature_algorithms(w: &mut Walk<'_>, _: Side) -> Option<()> {
    list16_of_u16(w, |v| {
        registry::is_signature_scheme(v) || registry::is_grease(v)
    })
}

/// RFC 6520 section 2.
fn heartbeat(w: &mut Walk<'_>, _: Side) -> Option<()> {
    value_u8(w, registry::is_heartbeat_mode)
}

/// RFC 7301 section 3.1: a server selects exactly one protocol.
fn alpn(w: &mut Walk<'_>, side: Side) -> Option<()> {
    let end = whole_rest16(w)?;
    let count = protocol_names(w, end, side == Side::Client)?;
    (count > 0 && (side == Side::Client || count == 1)).then_some(())
}

/// RFC 6962 section 3.3.1: a client's request is empty; a server's SCT list is data a log can
/// be searched for.
fn signed_certificate_timestamp(w: &mut Walk<'_>, side: Side) -> Option<()> {
    if side == Side::Server || !w.r.is_empty() {
        let n = w.r.remaining();
        w.mark(SpanKind::Verifiable, n)?;
    }
    Some(())
}

/// RFC 7250 section 3: a client's list, a server's one type.
fn certificate_type(w: &mut Walk<'_>, side: Side) -> Option<()> {
    match side {
        Side::Client => list8_of_u8(w, registry::is_certificate_type),
        Side::Server => value_u8(w, registry::is_certificate_type),
    }
}

/// RFC 7685: padding is zeros.
fn padding(w: &mut Walk<'_>, _: Side) -> Option<()> {
    all_zero(w)
}

/// RFC 8472 section 2: protocol version, then key parameters.
fn token_binding(w: &mut Walk<'_>, _: Side) -> Option<()> {
    value_u16(w, registry::is_token_binding_version)?;
    list8_of_u8(w, registry::is_token_binding_key_parameter)
}

/// RFC 8879 section 3.
fn compress_certificate(w: &mut Walk<'_>, _: Side) -> Option<()> {
    list8_of_u16(w, |v| {
        registry::is_certificate_compression(v) || registry::is_grease(v)
    })
}

/// RFC 8449 section 4.
fn record_size_limit(w: &mut Walk<'_>, _: Side) -> Option<()> {
    value_u16(w, |v| registry::RECORD_SIZE_LIMIT.contains(&v))
}

/// RFC 5077 section 3.2: the ticket a server issued, opaque.
fn session_ticket(w: &mut Walk<'_>, _: Side) -> Option<()> {
    let n = w.r.remaining();
    w.mark(SpanKind::SessionTicket, n)
}

/// RFC 8446 section 4.2.11. A client's identities (and their obfuscated ages) and binders are
/// filled; a server's is the 2-byte index of the identity it chose.
fn pre_shared_key(w: &mut Walk<'_>, side: Side) -> Option<()> {
    if side == Side::Server {
        return w.skip(2);
    }
    let ids = usize::from(w.r.u16()?);
    let ids_end = w.pos() + ids;
    while w.pos() < ids_end {
        // The identity and its obfuscated ticket age, one span (one identity counted).
        let n = usize::from(w.r.u16()?);
        w.mark(SpanKind::PskIdentity, n + 4)?;
    }
    (w.pos() == ids_end).then_some(())?;
    // A binder is an HMAC under the PSK: whoever holds the PSK could check it.
    let end = whole_rest16(w)?;
    while w.pos() < end {
        opaque8(w, SpanKind::Verifiable)?;
    }
    Some(())
}

/// RFC 8446 section 4.2.1: a client's list; a server's one registered version.
fn supported_versions(w: &mut Walk<'_>, side: Side) -> Option<()> {
    match side {
        Side::Client => list8_of_u16(w, |v| registry::is_version(v) || registry::is_grease(v)),
        Side::Server => registry::is_version(w.r.u16()?).then_some(()),
    }
}

/// RFC 8446 section 4.2.2: server-made in both directions, and it may encode the client's
/// address.
fn cookie(w: &mut Walk<'_>, _: Side) -> Option<()> {
    opaque16(w, SpanKind::Verifiable)
}

/// RFC 8446 section 4.2.9.
fn psk_key_exchange_modes(w: &mut Walk<'_>, _: Side) -> Option<()> {
    list8_of_u8(w, |v| registry::is_psk_mode(v) || registry::is_grease_u8(v))
}

/// RFC 8446 section 4.2.4.
fn certificate_authorities(w: &mut Walk<'_>, _: Side) -> Option<()> {
    let end = whole_rest16(w)?;
    ca_names(w, end - w.pos())
}

/// RFC 8446 section 4.2.8: an ephemeral public key is kept when its group is registered and it
/// has the length that group defines; a HelloRetryRequest names one group.
fn key_share(w: &mut Walk<'_>, side: Side) -> Option<()> {
    match side {
        Side::Client => {
            let end = whole_rest16(w)?;
            while w.pos() < end {
                key_share_entry(w, side)?;
            }
            Some(())
        }
        Side::Server if w.r.remaining() == 2 => value_u16(w, registry::is_named_group),
        Side::Server => key_share_entry(w, side),
    }
}

fn key_share_entry(w: &mut Walk<'_>, side: Side) -> Option<()> {
    let group = peek_u16(w)?;
    let mut after_group = w.r;
    after_group.u16()?;
    let key = after_group.vec16()?;
    let key_ok = if registry::is_grease(group) {
        // RFC 8701: a GREASE key share is one zero byte in practice; its content means nothing.
        side == Side::Client && key.iter().all(|&b| b == 0)
    } else {
        registry::key_share_shape(group).is_some_and(|shape| {
            let len = match side {
                Side::Client => shape.client_len,
                Side::Server => shape.server_len,
            };
            key.len() == len && (!shape.ec_point_first || key.first() == Some(&0x04))
        })
    };
    value_u16(w, |g| registry::is_named_group(g) || registry::is_grease(g))?;
    if key_ok {
        w.skip(2 + key.len())
    } else {
        opaque16(w, SpanKind::UnknownExtension)
    }
}

/// RFC 9000 section 18: (id, length, value) with variable-length integers. Numbers and flags
/// of registered parameters are kept, connection IDs mapped, opaque values (tokens, the
/// stateless reset token, preferred_address, version_information) filled; an unregistered id
/// fills the whole body (an id cannot be filled without changing how long it reads).
fn quic_transport_parameters(w: &mut Walk<'_>, _: Side) -> Option<()> {
    while !w.r.is_empty() {
        let id = quic_varint(&mut w.r)?;
        let len = usize::try_from(quic_varint(&mut w.r)?).ok()?;
        match registry::quic_parameter(id)? {
            registry::QuicParameter::Integer => {
                let mut value = Reader::new(peek(w, len)?);
                quic_varint(&mut value)?;
                value.is_empty().then_some(())?;
                w.skip(len)?;
            }
            registry::QuicParameter::Flag => (len == 0).then_some(())?,
            registry::QuicParameter::Opaque => fill(w, len)?,
            // Longer than QUIC allows: not an ID this tool can map.
            registry::QuicParameter::ConnectionId if len > 20 => fill(w, len)?,
            registry::QuicParameter::ConnectionId => w.mark(SpanKind::ConnectionId, len)?,
        }
    }
    Some(())
}

/// A QUIC variable-length integer (RFC 9000 section 16): the top two bits of the first byte
/// give its length.
fn quic_varint(r: &mut Reader<'_>) -> Option<u64> {
    let first = peek_reader(r)?;
    let bytes = r.take(1usize << (first >> 6))?;
    Some(
        bytes[1..]
            .iter()
            .fold(u64::from(first & 0x3f), |acc, &b| acc << 8 | u64::from(b)),
    )
}

/// draft-agl-tls-nextprotoneg: a client's is empty, a server's lists protocols with no outer
/// length.
fn next_protocol_negotiation(w: &mut Walk<'_>, side: Side) -> Option<()> {
    if side == Side::Client {
        return Some(());
    }
    let end = w.pos() + w.r.remaining();
    protocol_names(w, end, false).map(|_| ())
}

/// draft-vvv-tls-alps: a client lists the protocols it has settings for; a server's settings
/// are opaque.
fn application_settings(w: &mut Walk<'_>, side: Side) -> Option<()> {
    match side {
        Side::Client => {
            let end = whole_rest16(w)?;
            protocol_names(w, end, true).map(|_| ())
        }
        Side::Server => {
            let n = w.r.remaining();
            fill(w, n)
        }
    }
}

/// draft-ietf-tls-esni section 5: an outer ClientHello's cipher suite is kept when registered;
/// its config id, encapsulated key and payload (which the ECH key holder can decrypt) are
/// filled. An inner one is just its type. A server's (HelloRetryRequest) confirmation is
/// filled.
fn encrypted_client_hello(w: &mut Walk<'_>, side: Side) -> Option<()> {
    if side == Side::Server {
        let n = w.r.remaining();
        return fill(w, n);
    }
    let ech_type = w.r.u8()?;
    registry::is_ech_type(ech_type).then_some(())?;
    if ech_type == 1 {
        return Some(());
    }
    value_u16(w, registry::is_hpke_kdf)?;
    value_u16(w, registry::is_hpke_aead)?;
    fill(w, 1)?;
    opaque16(w, SpanKind::UnknownExtension)?;
    opaque16(w, SpanKind::UnknownExtension)
}

/// RFC 5746 section 3.2: empty on a first handshake; the verify_data of a renegotiation is
/// derived from the session's secrets and filled.
fn renegotiation_info(w: &mut Walk<'_>, _: Side) -> Option<()> {
    opaque8(w, SpanKind::UnknownExtension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_extension_with_a_grammar_has_its_registry_name() {
        for &(typ, _) in GRAMMARS {
            assert!(
                registry::extension_type_name(typ).is_some()
                    || typ == ext::APPLICATION_SETTINGS_NEW,
                "extension {typ:#06x} has a grammar but no name in the registry table"
            );
        }
    }

    /// The bytes of `body` that would not be kept, per span.
    fn filled(t: u16, side: Side, body: &[u8]) -> Vec<(SpanKind, Vec<u8>)> {
        body_spans(t, side, body, 0)
            .into_iter()
            .map(|s| (s.kind, body[s.start..s.end].to_vec()))
            .collect()
    }

    fn unknown(bytes: &[u8]) -> Vec<(SpanKind, Vec<u8>)> {
        vec![(SpanKind::UnknownExtension, bytes.to_vec())]
    }

    #[test]
    fn key_shares_are_kept_at_their_groups_length_only() {
        let mut ok = vec![0, 36, 0, 29, 0, 32];
        ok.extend([7; 32]);
        assert!(filled(51, Side::Client, &ok).is_empty());
        let mut short = vec![0, 35, 0, 29, 0, 31];
        short.extend([7; 31]);
        assert_eq!(filled(51, Side::Client, &short), unknown(&[7; 31]));
        // secp256r1 keeps only an uncompressed point.
        let mut p256 = vec![0, 23, 0, 65, 0x02];
        p256.extend([9; 64]);
        assert_eq!(filled(51, Side::Server, &p256), unknown(&p256[4..]));
        p256[4] = 0x04;
        assert!(filled(51, Side::Server, &p256).is_empty());
        // A HelloRetryRequest names a registered group, nothing else.
        assert!(filled(51, Side::Server, &[0, 29]).is_empty());
        assert_eq!(
            filled(51, Side::Server, &[0x12, 0x34]),
            unknown(&[0x12, 0x34])
        );
    }

    #[test]
    fn unregistered_list_entries_are_filled_and_lengths_kept() {
        assert_eq!(
            filled(10, Side::Client, &[0, 6, 0, 29, 0x41, 0x42, 0x1a, 0x1a]),
            unknown(&[0x41, 0x42])
        );
        assert_eq!(
            filled(
                16,
                Side::Client,
                &[0, 7, 2, b'h', b'2', 3, b'a', b'b', b'c']
            ),
            unknown(b"abc")
        );
        // A server selects exactly one protocol.
        let two = [0, 6, 2, b'h', b'2', 2, b'h', b'3'];
        assert_eq!(filled(16, Side::Server, &two), unknown(&two));
    }

    #[test]
    fn trailing_bytes_fill_the_whole_body() {
        assert_eq!(filled(15, Side::Client, &[1, 0x41]), unknown(&[1, 0x41]));
        assert!(filled(15, Side::Client, &[1]).is_empty());
        assert_eq!(filled(43, Side::Server, &[3, 4, 0]), unknown(&[3, 4, 0]));
        assert_eq!(filled(21, Side::Client, &[0, 0, 1]), unknown(&[0, 0, 1]));
        assert!(filled(21, Side::Client, &[0; 9]).is_empty());
    }

    #[test]
    fn psk_identities_ages_and_binders_are_filled() {
        let mut b = vec![0, 9, 0, 3, b'i', b'd', b'1', 1, 2, 3, 4];
        b.extend([0, 33, 32]);
        b.extend([0xbb; 32]);
        assert_eq!(
            filled(41, Side::Client, &b),
            vec![
                (SpanKind::PskIdentity, vec![b'i', b'd', b'1', 1, 2, 3, 4]),
                (SpanKind::Verifiable, vec![0xbb; 32]),
            ]
        );
        assert!(filled(41, Side::Server, &[0, 0]).is_empty());
    }

    #[test]
    fn quic_numbers_are_kept_ids_mapped_and_opaque_values_filled() {
        // max_idle_timeout 100 (two-byte varint), then a 3-byte connection id.
        let b = [0x01, 0x02, 0x40, 0x64, 0x00, 0x03, 9, 9, 9];
        assert_eq!(
            filled(57, Side::Client, &b),
            vec![(SpanKind::ConnectionId, vec![9, 9, 9])]
        );
        // initial_source_connection_id, a stateless_reset_token, a flag, a GREASE parameter.
        let mut b = vec![0x0f, 0x02, 7, 7, 0x02, 0x10];
        b.extend([0x5a; 16]);
        b.extend([0x0c, 0x00, 0x1b, 0x02, 1, 2]);
        assert_eq!(
            filled(57, Side::Client, &b),
            vec![
                (SpanKind::ConnectionId, vec![7, 7]),
                (SpanKind::UnknownExtension, vec![0x5a; 16]),
                (SpanKind::UnknownExtension, vec![1, 2]),
            ]
        );
        // An ID longer than QUIC allows is not mapped: filled.
        let mut long = vec![0x0f, 21];
        long.extend([3; 21]);
        assert_eq!(filled(57, Side::Client, &long), unknown(&[3; 21]));
        // An unregistered id cannot be filled in place: the whole body is.
        let odd = [0x12, 0x01, 0x05];
        assert_eq!(filled(57, Side::Client, &odd), unknown(&odd));
    }

    #[test]
    fn ech_keeps_its_cipher_suite_only() {
        let b = [0, 0, 1, 0, 1, 0x42, 0, 2, 7, 7, 0, 1, 8];
        assert_eq!(
            filled(0xfe0d, Side::Client, &b),
            vec![
                (SpanKind::UnknownExtension, vec![0x42]),
                (SpanKind::UnknownExtension, vec![7, 7]),
                (SpanKind::UnknownExtension, vec![8]),
            ]
        );
        assert!(filled(0xfe0d, Side::Client, &[1]).is_empty());
    }

    #[test]
    fn grease_and_unknown_types() {
        assert!(filled(0x2a2a, Side::Client, &[0]).is_empty());
        assert_eq!(filled(0x2a2a, Side::Client, &[1]), unknown(&[1]));
        assert_eq!(filled(0x2a2b, Side::Client, &[0]), unknown(&[0]));
    }
}
