//! MySQL SSL (MySQL client/server protocol, "Protocol::HandshakeV10" and
//! "Protocol::SSLRequest"): the server's greeting offering `CLIENT_SSL`, the client's 32-byte
//! SSL request; TLS follows it. The greeting is parsed field by field to its declared end:
//! the packet header, protocol version, capability flags, lengths and a registered
//! authentication plugin's name are kept, and the status flags, character set and maximum
//! packet size when their values are registered ones; the server version string, the
//! connection id and the salt are filled.

use std::ops::RangeInclusive;

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

// Capability flags (MySQL protocol docs, "Capabilities Flags") need no check: every one of
// the 32 bits is assigned, from CLIENT_LONG_PASSWORD (1 << 0) to CLIENT_REMEMBER_OPTIONS
// (1 << 31), so any capability word is a set of registered flags and is kept.

/// Server status flags (MySQL protocol docs, "SERVER_STATUS_flags_enum"): SERVER_STATUS_IN_TRANS
/// (0x0001) to SERVER_SESSION_STATE_CHANGED (0x4000); 0x0004 and 0x8000 are not assigned. A
/// status word with another bit set is filled.
const STATUS_FLAGS: u16 = 0x7FFB;

/// Collation ids a greeting or an SSL request names as its character set: the ids of
/// `information_schema.COLLATIONS` (MySQL 8.0; MariaDB assigns the same ones below 256) that
/// fit the one-byte field. Any other byte is filled.
const COLLATIONS: [RangeInclusive<u8>; 8] = [
    1..=16,
    18..=99,
    101..=124,
    128..=151,
    159..=183,
    192..=215,
    223..=250,
    255..=255,
];

/// Lengths of the authentication data a greeting announces (MySQL protocol docs,
/// "Protocol::HandshakeV10"): 21 with CLIENT_PLUGIN_AUTH (a 20-byte scramble and its NUL), 0
/// without. It decides where the plugin name starts, so a greeting with another length is not
/// followed.
const SALT_LENGTHS: [u8; 2] = [0, 21];

/// Maximum packet sizes an SSL request may carry: the client's `max_allowed_packet`, set in
/// K, M or G (a power of two from 1 KiB to 1 GiB, its documented range), or the largest
/// payload of one packet, 2^24 - 1, which several drivers send. Any other value is filled.
fn is_max_packet_size(size: u32) -> bool {
    size == 0x00FF_FFFF || (size.is_power_of_two() && (1 << 10..=1 << 30).contains(&size))
}

fn is_collation(id: u8) -> bool {
    COLLATIONS.iter().any(|r| r.contains(&id))
}

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
        if end < at + 16
            || p[at + 6..at + 16].iter().any(|&c| c != 0)
            || !SALT_LENGTHS.contains(&p[at + 5])
        {
            return Parsed::Bad;
        }
        if is_collation(p[at]) {
            keep.range(at, at + 1);
        }
        if u16::from_le_bytes([p[at + 1], p[at + 2]]) & !STATUS_FLAGS == 0 {
            keep.range(at + 1, at + 3);
        }
        keep.range(at + 3, at + 16);
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
                // Header and capabilities (4 + 4), maximum packet size (4), character set (1),
                // the zeros (23).
                let mut keep = Keep::default();
                keep.range(0, 8).range(13, 4 + SSL_REQUEST_LEN);
                if is_max_packet_size(u32::from_le_bytes([b[8], b[9], b[10], b[11]])) {
                    keep.range(8, 12);
                }
                if is_collation(b[12]) {
                    keep.range(12, 13);
                }
                d.take_binary(Role::Client, 4 + SSL_REQUEST_LEN, &keep);
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
