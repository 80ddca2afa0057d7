//! MySQL SSL (MySQL client/server protocol, "Protocol::HandshakeV10" and
//! "Protocol::SSLRequest"): the server's greeting offering `CLIENT_SSL`, the client's 32-byte
//! SSL request; TLS follows it. The greeting is parsed field by field to its declared end:
//! the packet header, protocol version, capability and status flags, character set, lengths
//! and a registered authentication plugin's name are kept; the server version string, the
//! connection id and the salt are filled.

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::outcome::Refusal;

const PROTOCOL_V10: u8 = 10;
const CLIENT_SSL: u32 = 0x0800;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x0008_0000;
/// A greeting longer than this is not followed (a real one is under 128 bytes).
const MAX_GREETING: usize = 1024;
/// The SSL request's payload: capabilities, max packet size, character set, 23 zero bytes.
const SSL_REQUEST_LEN: usize = 32;

/// Authentication plugins whose names are kept.
const PLUGINS: &[&[u8]] = &[
    b"mysql_native_password",
    b"caching_sha2_password",
    b"sha256_password",
    b"mysql_clear_password",
    b"client_ed25519",
    b"auth_gssapi_client",
];

/// Where a MySQL preamble is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mysql {
    Greeting,
    SslRequest { offered: bool },
}

/// What the greeting's first bytes say.
pub enum Opening {
    Is,
    Maybe,
    No,
}

/// A server's first bytes: a packet of sequence 0, of a greeting's size, protocol 10.
pub fn opening(b: &[u8]) -> Opening {
    let len = |b: &[u8]| usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16;
    let plausible = b.len() < 3 || (20..=MAX_GREETING).contains(&len(b));
    match (b.get(3), b.get(4)) {
        _ if !plausible => Opening::No,
        (Some(0), Some(&PROTOCOL_V10)) => Opening::Is,
        (None, _) | (Some(0), None) => Opening::Maybe,
        _ => Opening::No,
    }
}

/// A parsed greeting: its length, what it keeps, its free text, whether it offers TLS.
struct Greeting {
    len: usize,
    keep: Keep,
    free: Vec<(usize, usize)>,
    offers_ssl: bool,
}

enum Parsed {
    Done(Greeting),
    Short,
    Bad,
}

fn greeting(b: &[u8]) -> Parsed {
    if b.len() < 4 {
        return Parsed::Short;
    }
    let payload = usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16;
    if b[3] != 0 || !(20..=MAX_GREETING).contains(&payload) {
        return Parsed::Bad;
    }
    let end = 4 + payload;
    if b.len() < end {
        return Parsed::Short;
    }
    let p = &b[..end];
    let mut keep = Keep::default();
    let mut free = Vec::new();
    keep.range(0, 5);
    if p[4] != PROTOCOL_V10 {
        return Parsed::Bad;
    }
    // The server version, NUL-terminated and printable.
    let Some(nul) = p[5..].iter().position(|&c| c == 0).map(|i| 5 + i) else {
        return Parsed::Bad;
    };
    if !p[5..nul].iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        return Parsed::Bad;
    }
    free.push((5, nul));
    keep.range(nul, nul + 1);
    // Connection id (4), salt part 1 (8), filler 0 (1), capability flags low (2).
    let at = nul + 1;
    if end < at + 15 || p[at + 12] != 0 {
        return Parsed::Bad;
    }
    free.push((at, at + 12));
    keep.range(at + 12, at + 15);
    let mut caps = u32::from(u16::from_le_bytes([p[at + 13], p[at + 14]]));
    let mut at = at + 15;
    if at < end {
        // Character set (1), status flags (2), capability flags high (2), salt length (1),
        // reserved (10 zeros).
        if end < at + 16 || p[at + 6..at + 16].iter().any(|&c| c != 0) {
            return Parsed::Bad;
        }
        keep.range(at, at + 16);
        caps |= u32::from(u16::from_le_bytes([p[at + 3], p[at + 4]])) << 16;
        let salt_len = usize::from(p[at + 5]);
        at += 16;
        if caps & CLIENT_SECURE_CONNECTION != 0 {
            let part2 = salt_len.saturating_sub(8).max(13);
            if end < at + part2 {
                return Parsed::Bad;
            }
            free.push((at, at + part2));
            at += part2;
        }
        if caps & CLIENT_PLUGIN_AUTH != 0 {
            let Some(nul) = p[at..].iter().position(|&c| c == 0).map(|i| at + i) else {
                return Parsed::Bad;
            };
            if PLUGINS.contains(&&p[at..nul]) {
                keep.range(at, nul);
            } else {
                free.push((at, nul));
            }
            keep.range(nul, nul + 1);
            at = nul + 1;
        }
    }
    if at != end {
        return Parsed::Bad;
    }
    Parsed::Done(Greeting {
        len: end,
        keep,
        free,
        offers_ssl: caps & CLIENT_SSL != 0,
    })
}

impl Mysql {
    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        match *self {
            Mysql::Greeting => {
                let g = match greeting(d.stream(Role::Server).unread()) {
                    Parsed::Done(g) => g,
                    Parsed::Short => return Step::Wait,
                    Parsed::Bad => return Step::GiveUp,
                };
                for &(from, to) in &g.free {
                    let text = d.stream(Role::Server).unread()[from..to].to_vec();
                    d.secret(&text);
                }
                d.take_binary(Role::Server, g.len, &g.keep);
                let what = if g.offers_ssl {
                    "offered"
                } else {
                    "not offered"
                };
                d.event(Role::Server, format!("greeting (protocol 10): SSL {what}"));
                *self = Mysql::SslRequest {
                    offered: g.offers_ssl,
                };
                Step::Next
            }
            Mysql::SslRequest { offered } => {
                let b = d.stream(Role::Client).unread();
                if b.len() < 4 {
                    return Step::Wait;
                }
                let payload = usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16;
                let caps = b
                    .get(4..8)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                let ssl = payload == SSL_REQUEST_LEN && b[3] == 1;
                if !ssl || caps.is_some_and(|c| c & CLIENT_SSL == 0) {
                    if !offered {
                        d.event(Role::Client, "continues without SSL");
                        return Step::Refused(Refusal::NotOffered { protocol: "MySQL" });
                    }
                    return Step::GiveUp;
                }
                if b.len() < 4 + SSL_REQUEST_LEN {
                    return Step::Wait;
                }
                if b[13..4 + SSL_REQUEST_LEN].iter().any(|&c| c != 0) {
                    return Step::GiveUp;
                }
                d.take_binary(
                    Role::Client,
                    4 + SSL_REQUEST_LEN,
                    &Keep::all(4 + SSL_REQUEST_LEN),
                );
                d.event(Role::Client, "SSL request");
                Step::Tls
            }
        }
    }

    /// The server did not offer SSL and the client sent nothing more.
    pub fn at_end(self) -> Option<Refusal> {
        (self == Mysql::SslRequest { offered: false })
            .then_some(Refusal::NotOffered { protocol: "MySQL" })
    }
}
