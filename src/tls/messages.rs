//! The grammars of every handshake message other than the hellos (SSL 3.0, TLS 1.0–1.3, the
//! DTLS HelloVerifyRequest), walked to find what must become filler.
//!
//! A byte is kept only when its message parsed completely against its RFC layout and the value
//! is one its registry defines; free-form fields (identities, nonces, cookies, URLs, opaque
//! data, signatures, verify data) are spans, so they become same-length filler while every
//! length field stays valid. A message that fits none of its layouts gives `None` (the caller
//! removes its body).

use super::names::{is_tls13_version, signature_scheme_name};
use super::registry::ext;
use super::suites::{KeyExchange, key_exchange};
use super::walk::{HEADER_LEN, Span, SpanKind, Walk, ca_names};

/// What the connection's ServerHello settled, as far as later messages' layouts depend on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Negotiated {
    /// The negotiated version (supported_versions, else the legacy field); `None` before a
    /// ServerHello was seen.
    pub version: Option<u16>,
    /// The cipher suite the ServerHello chose; `None` before one was seen.
    pub cipher_suite: Option<u16>,
}

impl Negotiated {
    /// TLS 1.2 with an unknown suite (what unit tests of version-dependent layouts use).
    pub const TLS12: Negotiated = Negotiated {
        version: Some(0x0303),
        cipher_suite: None,
    };

    fn is_ssl3(&self) -> bool {
        self.version == Some(0x0300)
    }

    fn is_tls13(&self) -> bool {
        self.version.is_some_and(is_tls13_version)
    }
}

/// The layouts a version-dependent message may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// SSL 3.0, TLS 1.0 and 1.1.
    Tls10,
    Tls12,
    Tls13,
}

/// The layouts to try, the negotiated one first; all of them (most common first) when no
/// ServerHello was seen. Each must consume the body exactly, so a wrong guess needs a random
/// length field to match.
fn layouts(negotiated: &Negotiated) -> &'static [Layout] {
    match negotiated.version {
        None => &[Layout::Tls12, Layout::Tls10, Layout::Tls13],
        Some(_) if negotiated.is_tls13() => &[Layout::Tls13],
        Some(v) if v >= 0x0303 => &[Layout::Tls12],
        Some(_) => &[Layout::Tls10],
    }
}

type Grammar = fn(&mut Walk<'_>, Layout, &Negotiated) -> Option<()>;

/// The grammar of each message type this module walks.
fn grammar(msg_type: u8) -> Option<Grammar> {
    Some(match msg_type {
        // HelloRequest, EndOfEarlyData, ServerHelloDone: empty.
        0 | 5 | 14 => |_, _, _| Some(()),
        3 => hello_verify_request,
        4 => new_session_ticket,
        8 => encrypted_extensions,
        11 => certificate,
        12 => server_key_exchange,
        13 => certificate_request,
        15 => certificate_verify,
        16 => client_key_exchange,
        20 => finished,
        21 => certificate_url,
        22 => certificate_status,
        23 => supplemental_data,
        24 => key_update,
        25 => compressed_certificate,
        254 => message_hash,
        _ => return None,
    })
}

/// Spans of a complete message (`message` includes its 4-byte header, already checked to
/// frame it) of any type but the hellos.
pub(super) fn locate_message(
    msg_type: u8,
    message: &[u8],
    negotiated: &Negotiated,
) -> Option<Vec<Span>> {
    let mut spans = walk_body(msg_type, message.get(HEADER_LEN..)?, negotiated)?;
    for span in &mut spans {
        span.start += HEADER_LEN;
        span.end += HEADER_LEN;
    }
    Some(spans)
}

/// Walks a message body (without its header) against its grammar, trying `negotiated`'s
/// layouts: the spans, as offsets from the body's start, in order; `None` when no layout fits
/// exactly. The redaction turns the spans into filler; the diagnosis (`facts/messages.rs`)
/// reads its facts from them, so both see the same message or neither does.
pub(crate) fn walk_body(msg_type: u8, body: &[u8], negotiated: &Negotiated) -> Option<Vec<Span>> {
    let walk = grammar(msg_type)?;
    layouts(negotiated).iter().find_map(|&layout| {
        let mut w = Walk::new(body);
        walk(&mut w, layout, negotiated)?;
        w.done()
    })
}

/// Marks the rest of the message.
fn rest(w: &mut Walk<'_>, kind: SpanKind) -> Option<()> {
    let n = w.r.remaining();
    w.mark(kind, n)
}

/// A u16 that must be a value of a registry: kept when it is, filler when it is not.
fn registered_u16(w: &mut Walk<'_>, registered: impl Fn(u16) -> bool) -> Option<()> {
    let mut probe = w.r;
    if registered(probe.u16()?) {
        w.skip(2)
    } else {
        w.mark(SpanKind::OpaqueField, 2)
    }
}

fn hello_verify_request(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // RFC 6347 4.2.1: server_version, opaque cookie<0..2^8-1> (server-made, may encode the
    // client's address).
    registered_u16(w, is_registered_version)?;
    let n = usize::from(w.r.u8()?);
    w.mark(SpanKind::Verifiable, n)
}

fn new_session_ticket(w: &mut Walk<'_>, layout: Layout, _: &Negotiated) -> Option<()> {
    // The lifetime is a number of seconds; everything else is the server's.
    w.skip(4)?;
    if layout != Layout::Tls13 {
        // RFC 5077: opaque ticket<0..2^16-1>.
        let n = usize::from(w.r.u16()?);
        return w.mark(SpanKind::Ticket, n);
    }
    // RFC 8446 4.6.1: ticket_age_add, ticket_nonce<0..255>, ticket<1..2^16-1>, extensions.
    w.mark(SpanKind::OpaqueField, 4)?;
    let nonce = usize::from(w.r.u8()?);
    w.mark(SpanKind::OpaqueField, nonce)?;
    let n = usize::from(w.r.u16()?);
    if n == 0 {
        return None;
    }
    w.mark(SpanKind::Ticket, n)?;
    extensions(w, |w, t, n| match (t, n) {
        // early_data: uint32 max_early_data_size.
        (ext::EARLY_DATA, 4) => w.skip(4),
        _ => w.mark(SpanKind::UnknownExtension, n),
    })
}

fn encrypted_extensions(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // What each extension carries here is the hello grammar's business; until that grammar is
    // shared, every non-empty body is filler (these messages are encrypted on the wire, so a
    // plaintext one is a crafted or broken capture).
    extensions(w, |w, _, n| w.mark(SpanKind::UnknownExtension, n))
}

/// `Extension extensions<0..2^16-1>`: the list must frame exactly; `body` walks each body of
/// `n` bytes and must consume it.
fn extensions(
    w: &mut Walk<'_>,
    mut body: impl FnMut(&mut Walk<'_>, u16, usize) -> Option<()>,
) -> Option<()> {
    let total = usize::from(w.r.u16()?);
    let end = w.pos().checked_add(total)?;
    while w.pos() < end {
        let t = w.r.u16()?;
        let n = usize::from(w.r.u16()?);
        let at = w.pos();
        body(w, t, n)?;
        if w.pos() != at + n {
            return None;
        }
    }
    (w.pos() == end).then_some(())
}

fn certificate(w: &mut Walk<'_>, layout: Layout, _: &Negotiated) -> Option<()> {
    if layout == Layout::Tls13 {
        // certificate_request_context<0..2^8-1>: the server's opaque value echoed.
        let n = usize::from(w.r.u8()?);
        w.mark(SpanKind::OpaqueField, n)?;
    }
    let list = w.r.u24()?;
    if list != w.r.remaining() {
        return None;
    }
    while !w.r.is_empty() {
        // ASN.1Cert / cert_data<1..2^24-1>: an empty entry is not a certificate.
        let n = w.r.u24().filter(|&n| n > 0)?;
        w.mark(SpanKind::Certificate, n)?;
        if layout == Layout::Tls13 {
            extensions(w, |w, t, n| match t {
                ext::STATUS_REQUEST => stapled_ocsp(w, n),
                ext::SIGNED_CERTIFICATE_TIMESTAMP => w.mark(SpanKind::Verifiable, n),
                _ => w.mark(SpanKind::UnknownExtension, n),
            })?;
        }
    }
    Some(())
}

/// A `CertificateStatus` struct of `n` bytes inside a TLS 1.3 status_request extension:
/// status type ocsp, then the response; anything else is filler.
fn stapled_ocsp(w: &mut Walk<'_>, n: usize) -> Option<()> {
    let mut probe = w.r;
    let fits = probe.u8() == Some(1) && probe.u24().is_some_and(|len| len + 4 == n);
    if !fits {
        return w.mark(SpanKind::UnknownExtension, n);
    }
    w.skip(1)?;
    let len = w.r.u24()?;
    w.mark(SpanKind::OcspResponse, len)
}

fn server_key_exchange(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // Its signature identifies the signer to anyone holding candidate certificates, and a PSK
    // suite's identity hint names the server's customer space: all of it is filler.
    rest(w, SpanKind::Verifiable)
}

fn certificate_request(w: &mut Walk<'_>, layout: Layout, _: &Negotiated) -> Option<()> {
    if layout == Layout::Tls13 {
        // RFC 8446 4.3.2: certificate_request_context, extensions<2..2^16-1>.
        let n = usize::from(w.r.u8()?);
        w.mark(SpanKind::OpaqueField, n)?;
        return extensions(w, |w, t, n| match t {
            ext::SIGNATURE_ALGORITHMS | ext::SIGNATURE_ALGORITHMS_CERT => signature_schemes(w, n),
            ext::CERTIFICATE_AUTHORITIES => {
                let list = usize::from(w.r.u16()?);
                if list + 2 != n {
                    return None;
                }
                ca_names(w, list)
            }
            _ => w.mark(SpanKind::UnknownExtension, n),
        });
    }
    // ClientCertificateType certificate_types<1..2^8-1>.
    let types = usize::from(w.r.u8()?);
    if types == 0 {
        return None;
    }
    for _ in 0..types {
        registered_u8(w, is_registered_certificate_type)?;
    }
    if layout == Layout::Tls12 {
        let n = usize::from(w.r.u16()?);
        if n == 0 {
            return None;
        }
        signature_list(w, n)?;
    }
    let cas = usize::from(w.r.u16()?);
    ca_names(w, cas)
}

/// A `signature_algorithms` extension body of `n` bytes: a u16 list that fills it.
fn signature_schemes(w: &mut Walk<'_>, n: usize) -> Option<()> {
    let list = usize::from(w.r.u16()?);
    if list + 2 != n {
        return None;
    }
    signature_list(w, list)
}

/// `n` bytes of SignatureScheme values; unregistered ones become filler.
fn signature_list(w: &mut Walk<'_>, n: usize) -> Option<()> {
    if !n.is_multiple_of(2) {
        return None;
    }
    for _ in 0..n / 2 {
        registered_u16(w, is_registered_signature_scheme)?;
    }
    Some(())
}

fn certificate_verify(w: &mut Walk<'_>, layout: Layout, _: &Negotiated) -> Option<()> {
    // TLS 1.2 and 1.3: SignatureScheme, signature<0..2^16-1>; before: the signature alone.
    if layout != Layout::Tls10 {
        registered_u16(w, is_registered_signature_scheme)?;
    }
    let n = usize::from(w.r.u16()?);
    w.mark(SpanKind::Verifiable, n)
}

fn client_key_exchange(w: &mut Walk<'_>, _: Layout, negotiated: &Negotiated) -> Option<()> {
    let Some(kx) = negotiated.cipher_suite.and_then(key_exchange) else {
        // No ServerHello seen, or a key exchange we do not know: nothing here is vouched for.
        return rest(w, SpanKind::OpaqueField);
    };
    let psk_identity = |w: &mut Walk<'_>| {
        let n = usize::from(w.r.u16()?);
        w.mark(SpanKind::PskIdentity, n)
    };
    // Public values and encrypted premaster secrets are kept: they are what the key
    // exchange puts on the wire for anyone to see.
    let vec16 = |w: &mut Walk<'_>| {
        let n = usize::from(w.r.u16()?);
        w.skip(n)
    };
    let vec8 = |w: &mut Walk<'_>| {
        let n = usize::from(w.r.u8()?);
        w.skip(n)
    };
    match kx {
        // SSL 3.0 sends the encrypted premaster secret without its length.
        KeyExchange::Rsa if negotiated.is_ssl3() => w.skip(w.r.remaining()),
        KeyExchange::Rsa | KeyExchange::Srp => vec16(w),
        // An empty body: the public value is implicit in the client's certificate.
        KeyExchange::Dh if w.r.is_empty() => Some(()),
        KeyExchange::Dh => vec16(w),
        KeyExchange::Ecdh if w.r.is_empty() => Some(()),
        KeyExchange::Ecdh => vec8(w),
        KeyExchange::Psk => psk_identity(w),
        KeyExchange::DhePsk | KeyExchange::RsaPsk => {
            psk_identity(w)?;
            vec16(w)
        }
        KeyExchange::EcdhePsk => {
            psk_identity(w)?;
            vec8(w)
        }
    }
}

fn finished(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    if w.r.is_empty() {
        return None;
    }
    rest(w, SpanKind::Verifiable)
}

fn certificate_url(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // RFC 6066 5: CertChainType (individual_certs 0, pkipath 1), then URLAndHash
    // url_and_hash_list<1..2^16-1>, each { opaque url<1..2^16-1>; uint8 padding = 1;
    // opaque SHA1Hash[20]; }. The URL names a host, the hash a certificate.
    if w.r.u8()? > 1 {
        return None;
    }
    let total = usize::from(w.r.u16()?);
    let end = w.pos().checked_add(total)?;
    if total == 0 {
        return None;
    }
    while w.pos() < end {
        let n = usize::from(w.r.u16()?);
        if n == 0 {
            return None;
        }
        w.mark(SpanKind::OpaqueField, n)?;
        if w.r.u8()? != 1 {
            return None;
        }
        w.mark(SpanKind::OpaqueField, 20)?;
    }
    (w.pos() == end).then_some(())
}

fn certificate_status(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    match w.r.u8()? {
        // ocsp (RFC 6066): one OCSPResponse<1..2^24-1>.
        1 => {
            let n = w.r.u24()?;
            w.mark(SpanKind::OcspResponse, n)
        }
        // ocsp_multi (RFC 6961): OCSPResponse ocsp_response_list<1..2^24-1>, each entry
        // <0..2^24-1>. Each response is its own span so each becomes a placeholder of its
        // own length and every inner length stays valid; an empty entry stays empty.
        2 => {
            let list = w.r.u24()?;
            if list == 0 || list != w.r.remaining() {
                return None;
            }
            while !w.r.is_empty() {
                let n = w.r.u24()?;
                w.mark(SpanKind::OcspResponse, n)?;
            }
            Some(())
        }
        _ => None,
    }
}

fn supplemental_data(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // RFC 4680: SupplementalDataEntry supp_data<1..2^24-1>, each { type, data<0..2^16-1> }.
    let total = w.r.u24()?;
    if total == 0 || total != w.r.remaining() {
        return None;
    }
    while !w.r.is_empty() {
        w.skip(2)?;
        let n = usize::from(w.r.u16()?);
        w.mark(SpanKind::OpaqueField, n)?;
    }
    Some(())
}

fn key_update(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // RFC 8446 4.6.3: update_not_requested 0, update_requested 1. Any other value is not
    // walkable (filler would turn it into a valid request, a different message).
    (w.r.u8()? <= 1).then_some(())
}

fn compressed_certificate(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // RFC 8879: algorithm (zlib 1, brotli 2, zstd 3), uint24 uncompressed_length,
    // opaque compressed_certificate_message<1..2^24-1>: a compressed chain, so filler.
    registered_u16(w, |a| (1..=3).contains(&a))?;
    w.skip(3)?;
    let n = w.r.u24()?;
    if n == 0 {
        return None;
    }
    w.mark(SpanKind::OpaqueField, n)
}

fn message_hash(w: &mut Walk<'_>, _: Layout, _: &Negotiated) -> Option<()> {
    // Only ever built inside the transcript (RFC 8446 4.4.1); on the wire, its body is a hash.
    rest(w, SpanKind::OpaqueField)
}

/// A u8 that must be a value of a registry: kept when it is, filler when it is not.
fn registered_u8(w: &mut Walk<'_>, registered: impl Fn(u8) -> bool) -> Option<()> {
    let mut probe = w.r;
    if registered(probe.u8()?) {
        w.skip(1)
    } else {
        w.mark(SpanKind::OpaqueField, 1)
    }
}

fn is_registered_version(v: u16) -> bool {
    matches!(v, 0x0300..=0x0304 | 0xfeff | 0xfefd | 0xfefc)
}

/// TLS ClientCertificateType values (RFC 5246 7.4.4, RFC 8422, RFC 9189).
fn is_registered_certificate_type(t: u8) -> bool {
    matches!(t, 1..=6 | 20 | 64..=68)
}

/// A SignatureScheme (RFC 8446) or a TLS 1.2 SignatureAndHashAlgorithm of a registered hash
/// (md5 to sha512) and signature (rsa, dsa, ecdsa).
fn is_registered_signature_scheme(v: u16) -> bool {
    let [hash, sig] = v.to_be_bytes();
    matches!(signature_scheme_name(v), std::borrow::Cow::Borrowed(_))
        || ((1..=6).contains(&hash) && (1..=3).contains(&sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(t: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![t];
        m.extend(&(body.len() as u32).to_be_bytes()[1..]);
        m.extend(body);
        m
    }

    fn suite(cipher_suite: u16) -> Negotiated {
        Negotiated {
            version: Some(0x0303),
            cipher_suite: Some(cipher_suite),
        }
    }

    /// The (kind, bytes) of every span.
    fn spans_of(m: &[u8], negotiated: &Negotiated) -> Option<Vec<(SpanKind, Vec<u8>)>> {
        let t = m[0];
        locate_message(t, m, negotiated).map(|spans| {
            spans
                .into_iter()
                .map(|s| (s.kind, m[s.start..s.end].to_vec()))
                .collect()
        })
    }

    use testkit::tls::{vec8, vec16, vec24};

    #[test]
    fn psk_identities_of_every_psk_key_exchange_are_spans() {
        let id = b"device-4711".to_vec();
        let psk = (SpanKind::PskIdentity, id.clone());
        let cases: [(u16, Vec<u8>); 4] = [
            (0x00ae, vec16(&id)),
            (0x00aa, [vec16(&id), vec16(&[5; 64])].concat()),
            (0xc037, [vec16(&id), vec8(&[4; 65])].concat()),
            (0x00b6, [vec16(&id), vec16(&[6; 256])].concat()),
        ];
        for (s, body) in cases {
            let m = message(16, &body);
            assert_eq!(spans_of(&m, &suite(s)), Some(vec![psk.clone()]), "{s:#06x}");
            // A trailing byte fits no grammar: not walkable.
            let mut long = body.clone();
            long.push(0);
            assert_eq!(spans_of(&message(16, &long), &suite(s)), None, "{s:#06x}");
        }
    }

    /// An EncryptedExtensions in clear (a crafted or broken capture) keeps no extension body:
    /// ECH retry configurations (draft-ietf-tls-esni 7.1) are filler, with the types and
    /// lengths around them kept so the message still dissects.
    #[test]
    fn encrypted_extensions_keep_no_ech_retry_configurations() {
        let retry = vec16(&[0xfe, 0x0d, 0, 4, b'R', b'E', b'T', b'R']);
        let mut exts = vec![0xfe, 0x0d];
        exts.extend(vec16(&retry));
        let m = message(8, &vec16(&exts));
        let tls13 = Negotiated {
            version: Some(0x0304),
            cipher_suite: Some(0x1301),
        };
        assert_eq!(
            spans_of(&m, &tls13),
            Some(vec![(SpanKind::UnknownExtension, retry)])
        );
    }

    #[test]
    fn key_exchange_values_are_kept_and_unknown_suites_are_filler() {
        let rsa = message(16, &vec16(&[9; 128]));
        assert_eq!(spans_of(&rsa, &suite(0x002f)), Some(vec![]));
        let ssl3 = Negotiated {
            version: Some(0x0300),
            cipher_suite: Some(0x002f),
        };
        assert_eq!(spans_of(&message(16, &[9; 128]), &ssl3), Some(vec![]));
        let ecdhe = message(16, &vec8(&[4; 65]));
        assert_eq!(spans_of(&ecdhe, &suite(0xc02f)), Some(vec![]));
        assert_eq!(spans_of(&message(16, &[]), &suite(0xc02f)), Some(vec![]));
        // The point read as a u16 vector does not fit DHE.
        assert_eq!(spans_of(&ecdhe, &suite(0x0033)), None);
        for unknown in [Negotiated::default(), suite(0xeeee), suite(0x1301)] {
            assert_eq!(
                spans_of(&ecdhe, &unknown),
                Some(vec![(SpanKind::OpaqueField, ecdhe[4..].to_vec())])
            );
        }
    }

    #[test]
    fn ocsp_multi_entries_are_each_a_span() {
        let (a, b) = (vec![0x30; 40], vec![0x31; 25]);
        let list = [vec24(&a), vec24(&[]), vec24(&b)].concat();
        let m = message(22, &[vec![2], vec24(&list)].concat());
        assert_eq!(
            spans_of(&m, &Negotiated::TLS12),
            Some(vec![
                (SpanKind::OcspResponse, a),
                (SpanKind::OcspResponse, b)
            ])
        );
        let single = message(22, &[vec![1], vec24(&[7; 30])].concat());
        assert_eq!(
            spans_of(&single, &Negotiated::TLS12),
            Some(vec![(SpanKind::OcspResponse, vec![7; 30])])
        );
        // An inner length that overruns the list, and an unregistered status type.
        let mut lying = m.clone();
        lying[10] += 1;
        assert_eq!(spans_of(&lying, &Negotiated::TLS12), None);
        let mut odd = single.clone();
        odd[4] = 3;
        assert_eq!(spans_of(&odd, &Negotiated::TLS12), None);
    }

    #[test]
    fn signatures_keep_their_scheme_and_length() {
        let sig = [vec![0x08, 0x04], vec16(&[3; 256])].concat();
        let m = message(15, &sig);
        assert_eq!(
            spans_of(&m, &Negotiated::TLS12),
            Some(vec![(SpanKind::Verifiable, vec![3; 256])])
        );
        let unregistered = message(15, &[vec![0x77, 0x77], vec16(&[3; 8])].concat());
        assert_eq!(
            spans_of(&unregistered, &Negotiated::TLS12),
            Some(vec![
                (SpanKind::OpaqueField, vec![0x77, 0x77]),
                (SpanKind::Verifiable, vec![3; 8])
            ])
        );
        let tls10 = Negotiated {
            version: Some(0x0301),
            cipher_suite: None,
        };
        assert_eq!(
            spans_of(&message(15, &vec16(&[3; 8])), &tls10),
            Some(vec![(SpanKind::Verifiable, vec![3; 8])])
        );
    }

    #[test]
    fn certificate_requests_of_every_version() {
        let name = vec![0x30; 20];
        let cas = vec16(&vec16(&name));
        let tls12 = message(
            13,
            &[vec8(&[1, 64, 200]), vec16(&[4, 1, 0x77, 0x77]), cas.clone()].concat(),
        );
        assert_eq!(
            spans_of(&tls12, &Negotiated::TLS12),
            Some(vec![
                (SpanKind::OpaqueField, vec![200]),
                (SpanKind::OpaqueField, vec![0x77, 0x77]),
                (SpanKind::CaName, name.clone())
            ])
        );
        let tls10 = message(13, &[vec8(&[1]), cas.clone()].concat());
        assert_eq!(
            spans_of(&tls10, &Negotiated::default()),
            Some(vec![(SpanKind::CaName, name.clone())])
        );
        let exts = [
            13u16.to_be_bytes().to_vec(),
            vec16(&vec16(&[4, 3])),
            47u16.to_be_bytes().to_vec(),
            vec16(&cas),
            99u16.to_be_bytes().to_vec(),
            vec16(b"x"),
        ]
        .concat();
        let tls13 = message(13, &[vec8(b"ctx"), vec16(&exts)].concat());
        let v13 = Negotiated {
            version: Some(0x0304),
            cipher_suite: Some(0x1301),
        };
        assert_eq!(
            spans_of(&tls13, &v13),
            Some(vec![
                (SpanKind::OpaqueField, b"ctx".to_vec()),
                (SpanKind::CaName, name),
                (SpanKind::UnknownExtension, b"x".to_vec())
            ])
        );
    }

    #[test]
    fn tickets_of_both_layouts() {
        let t12 = message(4, &[vec![0, 0, 1, 0], vec16(b"TICKET")].concat());
        assert_eq!(
            spans_of(&t12, &Negotiated::default()),
            Some(vec![(SpanKind::Ticket, b"TICKET".to_vec())])
        );
        let early = [42u16.to_be_bytes().to_vec(), vec16(&[0, 0, 64, 0])].concat();
        let t13 = message(
            4,
            &[
                vec![0, 0, 1, 0, 9, 9, 9, 9],
                vec8(b"N"),
                vec16(b"TICKET"),
                vec16(&early),
            ]
            .concat(),
        );
        assert_eq!(
            spans_of(&t13, &Negotiated::default()),
            Some(vec![
                (SpanKind::OpaqueField, vec![9; 4]),
                (SpanKind::OpaqueField, b"N".to_vec()),
                (SpanKind::Ticket, b"TICKET".to_vec())
            ])
        );
    }

    #[test]
    fn the_smaller_messages() {
        let n = Negotiated::TLS12;
        for t in [0, 5, 14] {
            assert_eq!(spans_of(&message(t, &[]), &n), Some(vec![]));
            assert_eq!(spans_of(&message(t, &[0]), &n), None);
        }
        assert_eq!(
            spans_of(
                &message(3, &[vec![0xfe, 0xfd], vec8(b"cookie")].concat()),
                &n
            ),
            Some(vec![(SpanKind::Verifiable, b"cookie".to_vec())])
        );
        assert_eq!(
            spans_of(&message(20, &[1; 12]), &n),
            Some(vec![(SpanKind::Verifiable, vec![1; 12])])
        );
        assert_eq!(spans_of(&message(20, &[]), &n), None);
        let url = [vec16(b"http://x.corp/c"), vec![1], vec![8; 20]].concat();
        assert_eq!(
            spans_of(&message(21, &[vec![0], vec16(&url)].concat()), &n),
            Some(vec![
                (SpanKind::OpaqueField, b"http://x.corp/c".to_vec()),
                (SpanKind::OpaqueField, vec![8; 20])
            ])
        );
        let supp = vec24(&[vec![0x40, 0x02], vec16(b"authz")].concat());
        assert_eq!(
            spans_of(&message(23, &supp), &n),
            Some(vec![(SpanKind::OpaqueField, b"authz".to_vec())])
        );
        assert_eq!(spans_of(&message(24, &[1]), &n), Some(vec![]));
        assert_eq!(spans_of(&message(24, &[7]), &n), None);
        let compressed = [vec![0, 2, 0, 1, 0], vec24(b"zz")].concat();
        assert_eq!(
            spans_of(&message(25, &compressed), &n),
            Some(vec![(SpanKind::OpaqueField, b"zz".to_vec())])
        );
        assert_eq!(
            spans_of(&message(254, &[5; 32]), &n),
            Some(vec![(SpanKind::OpaqueField, vec![5; 32])])
        );
        assert_eq!(spans_of(&message(99, &[]), &n), None);
    }
}
