//! The hello grammar: the one walk over the framing of a ClientHello or ServerHello (RFC 5246
//! 7.4.1, RFC 8446 4.1.2 and 4.1.3, and the layouts of the TLS 1.3 drafts), giving every field
//! with where it sits in the body.
//!
//! Both consumers read this walk, so the framing is parsed in one place: the diagnosis
//! (`facts/hello.rs`) takes the values, the redaction (`spans.rs`) the byte ranges. Each
//! extension body is then walked by its own grammar in `extensions.rs`. A framing error (a
//! length that does not add up) fails the whole message with a short reason, which the
//! diagnosis reports and which makes the redaction remove the message's body.
//!
//! Where DTLS and QUIC plug in: a DTLS ClientHello (RFC 6347 4.2.1, RFC 9147 5.3) has
//! `opaque cookie<0..2^8-1>` between the session id and the cipher suites: [`ClientHello::cookie`],
//! read in [`client_hello`] when the legacy version is a DTLS one (0xfeXX), whose redaction is
//! filler (the cookie is server-made). QUIC carries these same
//! hellos in CRYPTO frames, and its transport parameters in extension 57, whose grammar is
//! `quic_transport_parameters` in `extensions.rs`.

use std::ops::Range;

use super::reader::Reader;

/// The bytes of one field and where they start in the walked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub at: usize,
    pub bytes: &'a [u8],
}

impl Field<'_> {
    /// The field's byte range in the walked body.
    pub fn range(&self) -> Range<usize> {
        self.at..self.at + self.bytes.len()
    }
}

/// One extension: its type and its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    pub ext_type: u16,
    pub body: Field<'a>,
}

/// A ClientHello's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello<'a> {
    pub legacy_version: u16,
    pub random: Field<'a>,
    /// `legacy_session_id<0..32>`.
    pub session_id: Field<'a>,
    /// DTLS only: `opaque cookie<0..2^8-1>`, echoed from a HelloVerifyRequest.
    pub cookie: Option<Field<'a>>,
    /// `CipherSuite cipher_suites<2..2^16-2>`, of an even length (see [`Self::cipher_suites`]).
    pub cipher_suite_list: Field<'a>,
    pub compression_methods: Field<'a>,
    /// In wire order; empty when the hello has no extension block.
    pub extensions: Vec<Extension<'a>>,
}

impl ClientHello<'_> {
    /// The offered cipher suites, in the client's order.
    pub fn cipher_suites(&self) -> impl Iterator<Item = u16> + '_ {
        self.cipher_suite_list
            .bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
    }
}

/// Which layout a server's hello has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerLayout {
    /// SSL 3.0 to TLS 1.3 (TLS 1.3 drafts from 22 on restored it).
    Standard,
    /// A ServerHello of TLS 1.3 drafts up to 21: the real version in `legacy_version`, then the
    /// random and the cipher suite; no session id, no compression method.
    Draft,
    /// A HelloRetryRequest sent as message type 6 (drafts up to 21): version, the cipher suite
    /// since draft 19, extensions.
    DraftRetry,
}

/// A ServerHello's (or HelloRetryRequest's) fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello<'a> {
    pub layout: ServerLayout,
    pub legacy_version: u16,
    /// `None` in a [`ServerLayout::DraftRetry`].
    pub random: Option<Field<'a>>,
    /// `None` in the draft layouts.
    pub session_id: Option<Field<'a>>,
    /// 0 in a draft-18 (or older) HelloRetryRequest, which carried none.
    pub cipher_suite: u16,
    /// 0 in the draft layouts.
    pub compression_method: u8,
    /// In wire order; empty when the hello has no extension block.
    pub extensions: Vec<Extension<'a>>,
}

/// A bounds-checked walk that knows how far into the body it is.
struct Cursor<'a> {
    r: Reader<'a>,
    len: usize,
}

impl<'a> Cursor<'a> {
    fn pos(&self) -> usize {
        self.len - self.r.remaining()
    }

    fn field(&mut self, n: usize) -> Option<Field<'a>> {
        let at = self.pos();
        self.r.take(n).map(|bytes| Field { at, bytes })
    }

    fn vec8(&mut self) -> Option<Field<'a>> {
        let mut probe = self.r;
        let n = usize::from(probe.u8()?);
        probe.take(n)?;
        self.r.u8()?;
        self.field(n)
    }

    fn vec16(&mut self) -> Option<Field<'a>> {
        let mut probe = self.r;
        let n = usize::from(probe.u16()?);
        probe.take(n)?;
        self.r.u16()?;
        self.field(n)
    }

    /// `opaque legacy_session_id<0..32>`: a server rejects more as decode_error.
    fn session_id(&mut self) -> Result<Field<'a>, String> {
        let id = self.vec8().ok_or("truncated legacy_session_id")?;
        if id.bytes.len() > 32 {
            return Err("legacy_session_id longer than 32 bytes".to_string());
        }
        Ok(id)
    }

    /// The optional trailing extension block of a hello: absent (nothing left) is fine, but
    /// anything present must be exactly one well-formed `Extension extensions<0..2^16-1>`.
    fn extensions(&mut self) -> Result<Vec<Extension<'a>>, String> {
        if self.r.is_empty() {
            return Ok(Vec::new());
        }
        let block = self.vec16().ok_or("truncated extension block")?;
        if !self.r.is_empty() {
            return Err(format!("{} bytes after the extensions", self.r.remaining()));
        }
        let mut inner = Cursor {
            r: Reader::new(block.bytes),
            len: block.bytes.len(),
        };
        let mut extensions = Vec::new();
        while !inner.r.is_empty() {
            let ext_type = inner
                .r
                .u16()
                .ok_or_else(|| "truncated extension header".to_string())?;
            let body = inner
                .vec16()
                .ok_or_else(|| format!("extension {ext_type} overruns the extension block"))?;
            extensions.push(Extension {
                ext_type,
                body: Field {
                    at: block.at + body.at,
                    bytes: body.bytes,
                },
            });
        }
        Ok(extensions)
    }
}

fn cursor(body: &[u8]) -> Cursor<'_> {
    Cursor {
        r: Reader::new(body),
        len: body.len(),
    }
}

/// Walks a ClientHello body (the bytes after the 4-byte handshake header).
pub fn client_hello(body: &[u8]) -> Result<ClientHello<'_>, String> {
    let mut c = cursor(body);
    let legacy_version = c.r.u16().ok_or("truncated before legacy_version")?;
    let random = c.field(32).ok_or("truncated random")?;
    let session_id = c.session_id()?;
    let cookie = if is_dtls(legacy_version) {
        Some(c.vec8().ok_or("truncated cookie")?)
    } else {
        None
    };
    let cipher_suite_list = c.vec16().ok_or("truncated cipher_suites")?;
    if cipher_suite_list.bytes.len() % 2 != 0 {
        return Err("odd cipher_suites length".to_string());
    }
    let compression_methods = c.vec8().ok_or("truncated compression_methods")?;
    let extensions = c.extensions()?;
    Ok(ClientHello {
        legacy_version,
        random,
        session_id,
        cookie,
        cipher_suite_list,
        compression_methods,
        extensions,
    })
}

/// A DTLS version (0xfeff 1.0, 0xfefd 1.2, 0xfefc 1.3: the ones' complement of the TLS
/// version DTLS is built on).
pub fn is_dtls(version: u16) -> bool {
    version >> 8 == 0xfe
}

/// Walks a ServerHello body (`msg_type` 2), or a draft HelloRetryRequest's (`msg_type` 6).
pub fn server_hello(msg_type: u8, body: &[u8]) -> Result<ServerHello<'_>, String> {
    let mut c = cursor(body);
    let legacy_version = c.r.u16().ok_or("truncated before version")?;
    let mut hello = ServerHello {
        layout: ServerLayout::Standard,
        legacy_version,
        random: None,
        session_id: None,
        cipher_suite: 0,
        compression_method: 0,
        extensions: Vec::new(),
    };
    if msg_type == 6 {
        hello.layout = ServerLayout::DraftRetry;
        // The cipher suite joined the draft HelloRetryRequest in draft 19.
        if (0x7f13..=0x7fff).contains(&legacy_version) {
            hello.cipher_suite = c.r.u16().ok_or("truncated cipher_suite")?;
        }
    } else {
        hello.random = Some(c.field(32).ok_or("truncated random")?);
        if legacy_version >> 8 == 0x7f {
            hello.layout = ServerLayout::Draft;
            hello.cipher_suite = c.r.u16().ok_or("truncated cipher_suite")?;
        } else {
            hello.session_id = Some(c.session_id()?);
            hello.cipher_suite = c.r.u16().ok_or("truncated cipher_suite")?;
            hello.compression_method = c.r.u8().ok_or("truncated compression_method")?;
        }
    }
    hello.extensions = c.extensions()?;
    Ok(hello)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dtls_hello_has_a_cookie_after_the_session_id() {
        let mut body = vec![0xfe, 0xfd];
        body.extend([7; 32]);
        body.extend([0]);
        body.extend([3, 0xc0, 0x0c, 0x1e]);
        body.extend([0, 2, 0xc0, 0x2b]);
        body.extend([1, 0]);
        let hello = client_hello(&body).unwrap();
        let cookie = hello.cookie.unwrap();
        assert_eq!(
            (cookie.range(), cookie.bytes),
            (36..39, &[0xc0, 0x0c, 0x1e][..])
        );
        assert_eq!(hello.cipher_suites().collect::<Vec<_>>(), [0xc02b]);
        for n in 0..body.len() {
            assert!(client_hello(&body[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn fields_know_where_they_sit() {
        let mut body = vec![3, 3];
        body.extend([7; 32]);
        body.extend([2, 0xaa, 0xbb]);
        body.extend([0, 4, 0x13, 0x01, 0x13, 0x02]);
        body.extend([1, 0]);
        body.extend([0, 7, 0, 0x2b, 0, 3, 2, 3, 4]);
        let hello = client_hello(&body).unwrap();
        assert_eq!(hello.random.range(), 2..34);
        assert_eq!(hello.session_id.bytes, [0xaa, 0xbb]);
        assert_eq!(hello.session_id.range(), 35..37);
        assert_eq!(hello.cipher_suites().collect::<Vec<_>>(), [0x1301, 0x1302]);
        assert_eq!(hello.cookie, None);
        assert_eq!(hello.extensions.len(), 1);
        let ext = hello.extensions[0];
        assert_eq!((ext.ext_type, ext.body.range()), (0x2b, 51..54));
        assert_eq!(&body[ext.body.range()], [2, 3, 4]);
        // A lying extension length fails the whole hello.
        let mut lying = body.clone();
        lying[50] = 4;
        assert_eq!(
            client_hello(&lying).unwrap_err(),
            "extension 43 overruns the extension block"
        );
    }
}
