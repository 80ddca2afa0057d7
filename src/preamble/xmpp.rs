//! XMPP STARTTLS (RFC 6120 §5): the client's stream header, the server's stream header and
//! features (is `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>` among them), the
//! client's `<starttls/>`, the server's `<proceed/>` (TLS follows) or `<failure/>`. Read tag
//! by tag: the markup, registered element and attribute names and registered attribute values
//! (namespaces, the version) are kept; other names, values (`to`, `from`, `id`) and text are
//! filled.

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::outcome::Refusal;

const TLS_NS: &[u8] = b"urn:ietf:params:xml:ns:xmpp-tls";
/// Longest tag followed (a stream header with its namespaces is about 200 bytes).
const MAX_TAG: usize = 1024;

/// Element names kept (RFC 6120, and the features a server lists before TLS).
const ELEMENTS: &[&str] = &[
    "?xml",
    "stream:stream",
    "stream:features",
    "stream:error",
    "starttls",
    "required",
    "proceed",
    "failure",
    "mechanisms",
    "mechanism",
    "register",
    "bind",
    "session",
    "compression",
    "method",
    "c",
    "sm",
    "ver",
    "optional",
];

/// Attribute names kept.
const ATTRIBUTES: &[&str] = &[
    "xmlns",
    "xmlns:stream",
    "version",
    "to",
    "from",
    "id",
    "xml:lang",
    "encoding",
    "hash",
    "node",
];

/// Attribute values kept: the namespaces and versions a stream opening uses.
const VALUES: &[&str] = &[
    "1.0",
    "UTF-8",
    "utf-8",
    "jabber:client",
    "jabber:server",
    "http://etherx.jabber.org/streams",
    "urn:ietf:params:xml:ns:xmpp-tls",
    "urn:ietf:params:xml:ns:xmpp-sasl",
    "urn:ietf:params:xml:ns:xmpp-bind",
    "urn:ietf:params:xml:ns:xmpp-session",
    "urn:ietf:params:xml:ns:xmpp-streams",
    "urn:xmpp:sm:3",
    "http://jabber.org/features/iq-register",
    "http://jabber.org/features/compress",
    "http://jabber.org/protocol/caps",
    "sha-1",
];

/// Where an XMPP preamble is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Xmpp {
    /// The client's stream header (after an optional XML declaration).
    ClientHeader,
    /// The server's stream header, then its features until `</stream:features>`.
    ServerFeatures {
        header: bool,
        offered: bool,
    },
    ClientStarttls {
        offered: bool,
    },
    ServerAnswer,
}

/// One tag read.
struct Tag {
    len: usize,
    name: Vec<u8>,
    /// `</name>`.
    closing: bool,
    /// `<name/>` (or a declaration `<?xml ...?>`).
    empty: bool,
    xmlns: Option<Vec<u8>>,
    keep: Keep,
    /// Free values (for the canary).
    values: Vec<Vec<u8>>,
}

enum Item {
    Tag(Tag),
    /// Whitespace between tags (kept as it is), or other text (filled).
    Text(usize),
    Wait,
    Bad,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.' | b'?')
}

/// The next item of `b`.
fn item(b: &[u8]) -> Item {
    match b.first() {
        None => Item::Wait,
        Some(b'<') => tag(b),
        Some(_) => {
            let n = b.iter().position(|&c| c == b'<').unwrap_or(b.len());
            if b[..n]
                .iter()
                .any(|&c| c == b'>' || c == b'&' || c < 0x20 && !c.is_ascii_whitespace())
            {
                return Item::Bad;
            }
            if n == b.len() {
                // Text runs on: wait for the tag that ends it (bounded by the buffer).
                return if n > MAX_TAG { Item::Bad } else { Item::Wait };
            }
            Item::Text(n)
        }
    }
}

fn tag(b: &[u8]) -> Item {
    let Some(end) = b.iter().take(MAX_TAG).position(|&c| c == b'>') else {
        return if b.len() >= MAX_TAG {
            Item::Bad
        } else {
            Item::Wait
        };
    };
    let len = end + 1;
    let inner = &b[1..end];
    let mut keep = Keep::default();
    keep.range(0, 1).range(end, len);
    let closing = inner.first() == Some(&b'/');
    let decl = inner.first() == Some(&b'?');
    let empty = inner.last() == Some(&b'/') || (decl && inner.last() == Some(&b'?'));
    // `</>` is both closing and empty: no XML tag is, and its body would end before it
    // starts.
    if (decl && !empty) || (closing && empty) {
        return Item::Bad;
    }
    let start = 1 + usize::from(closing);
    let stop = end - usize::from(empty);
    if closing {
        keep.range(1, 2);
    }
    if empty {
        keep.range(stop, end);
    }
    let Some(body) = b.get(start..stop) else {
        return Item::Bad;
    };
    let name_len = body.iter().take_while(|&&c| is_name_byte(c)).count();
    if name_len == 0 {
        return Item::Bad;
    }
    let name = body[..name_len].to_vec();
    if registered(&name, ELEMENTS) {
        keep.range(start, start + name_len);
    }
    let mut at = name_len;
    let mut xmlns = None;
    let mut values = Vec::new();
    loop {
        let ws = body[at..]
            .iter()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
        keep.range(start + at, start + at + ws);
        at += ws;
        if at == body.len() {
            break;
        }
        if ws == 0 || closing {
            return Item::Bad;
        }
        // name = 'value' or "value"
        let n = body[at..].iter().take_while(|&&c| is_name_byte(c)).count();
        let attr = &body[at..at + n];
        if n == 0 || body.get(at + n) != Some(&b'=') {
            return Item::Bad;
        }
        let quote = match body.get(at + n + 1) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Item::Bad,
        };
        let vstart = at + n + 2;
        let Some(vlen) = body[vstart..].iter().position(|&c| c == quote) else {
            return Item::Bad;
        };
        let value = &body[vstart..vstart + vlen];
        if value.iter().any(|&c| c == b'<' || c == b'&') {
            return Item::Bad;
        }
        if registered(attr, ATTRIBUTES) {
            keep.range(start + at, start + at + n);
        }
        // `=` and the quotes.
        keep.range(start + at + n, start + vstart);
        keep.range(start + vstart + vlen, start + vstart + vlen + 1);
        if registered(value, VALUES) {
            keep.range(start + vstart, start + vstart + vlen);
        } else {
            values.push(value.to_vec());
        }
        if attr == b"xmlns" {
            xmlns = Some(value.to_vec());
        }
        at = vstart + vlen + 1;
    }
    Item::Tag(Tag {
        len,
        name,
        closing,
        empty,
        xmlns,
        keep,
        values,
    })
}

fn registered(word: &[u8], registry: &[&str]) -> bool {
    registry.iter().any(|k| k.as_bytes() == word)
}

impl Xmpp {
    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        let role = match self {
            Xmpp::ClientHeader | Xmpp::ClientStarttls { .. } => Role::Client,
            _ => Role::Server,
        };
        let tag = match item(d.stream(role).unread()) {
            Item::Wait => return Step::Wait,
            Item::Bad => return Step::GiveUp,
            Item::Text(n) => {
                let text = d.stream(role).unread()[..n].to_vec();
                d.secret(&text);
                // Whitespace stays; other text is filled.
                let mut keep = Keep::default();
                for (i, c) in text.iter().enumerate() {
                    if c.is_ascii_whitespace() {
                        keep.range(i, i + 1);
                    }
                }
                d.take(role, n, &keep);
                return Step::Next;
            }
            Item::Tag(t) => t,
        };
        for v in &tag.values {
            d.secret(v);
        }
        d.take(role, tag.len, &tag.keep);
        let is = |name: &[u8]| tag.name == name && !tag.closing;
        let tls_ns = tag.xmlns.as_deref() == Some(TLS_NS);
        match *self {
            Xmpp::ClientHeader => {
                if is(b"?xml") {
                    return Step::Next;
                }
                if !is(b"stream:stream") || tag.empty {
                    return Step::GiveUp;
                }
                d.event(Role::Client, "stream header");
                *self = Xmpp::ServerFeatures {
                    header: false,
                    offered: false,
                };
            }
            Xmpp::ServerFeatures { header, offered } => {
                if !header {
                    if is(b"?xml") {
                        return Step::Next;
                    }
                    if !is(b"stream:stream") || tag.empty {
                        return Step::GiveUp;
                    }
                    d.event(Role::Server, "stream header");
                    *self = Xmpp::ServerFeatures {
                        header: true,
                        offered,
                    };
                    return Step::Next;
                }
                if tag.closing && tag.name == b"stream:features" {
                    let what = if offered { "offered" } else { "not offered" };
                    d.event(Role::Server, format!("stream features: STARTTLS {what}"));
                    *self = Xmpp::ClientStarttls { offered };
                    return Step::Next;
                }
                if tag.name == b"stream:features" && tag.empty {
                    d.event(Role::Server, "stream features: STARTTLS not offered");
                    *self = Xmpp::ClientStarttls { offered: false };
                    return Step::Next;
                }
                *self = Xmpp::ServerFeatures {
                    header,
                    offered: offered || (is(b"starttls") && tls_ns),
                };
            }
            Xmpp::ClientStarttls { offered } => {
                if !(is(b"starttls") && tls_ns && tag.empty) {
                    if !offered {
                        d.event(Role::Client, "continues without STARTTLS");
                        return Step::Refused(Refusal::NotOffered { protocol: "XMPP" });
                    }
                    return Step::GiveUp;
                }
                d.event(Role::Client, "STARTTLS");
                *self = Xmpp::ServerAnswer;
            }
            Xmpp::ServerAnswer => {
                if !tls_ns || !(is(b"proceed") || is(b"failure")) {
                    return Step::GiveUp;
                }
                if is(b"proceed") && tag.empty {
                    d.event(Role::Server, "STARTTLS → proceed");
                    return Step::Tls;
                }
                d.event(Role::Server, "STARTTLS → failure");
                return Step::Refused(Refusal::Starttls {
                    protocol: "XMPP",
                    answer: "failure".into(),
                });
            }
        }
        Step::Next
    }

    /// A refusal the end of the capture makes final: STARTTLS not offered, and the client
    /// sent nothing more.
    pub fn at_end(self) -> Option<Refusal> {
        (self == Xmpp::ClientStarttls { offered: false })
            .then_some(Refusal::NotOffered { protocol: "XMPP" })
    }
}
