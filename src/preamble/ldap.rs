//! LDAP StartTLS (RFC 4511 §4.14): the client's ExtendedRequest naming the StartTLS OID, the
//! server's ExtendedResponse with its resultCode; `success` starts TLS. Both are BER, parsed
//! exactly (definite, minimal lengths; every element where the grammar puts it; nothing
//! after the message): anything else is not followed. Tags, lengths, the OID, a registered
//! result code and a message ID a StartTLS can have are kept; the matched DN and diagnostic
//! message are filled.

use std::ops::RangeInclusive;

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::outcome::Refusal;

/// 1.3.6.1.4.1.1466.20037, as the LDAPOID string RFC 4511 sends.
pub const STARTTLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const ENUMERATED: u8 = 0x0A;
const OCTET_STRING: u8 = 0x04;
const EXTENDED_REQUEST: u8 = 0x77; // [APPLICATION 23], constructed
const EXTENDED_RESPONSE: u8 = 0x78; // [APPLICATION 24], constructed
const REQUEST_NAME: u8 = 0x80; // [0]
const RESPONSE_NAME: u8 = 0x8A; // [10]
const RESPONSE_VALUE: u8 = 0x8B; // [11]

/// Message IDs kept: a client numbers its requests from 1 (RFC 4511 §4.1.1.1), and StartTLS
/// comes before any other operation is outstanding (§4.14.1), nearly always first; one
/// content byte holds 1 to 127. A larger ID is the client's own choice of up to 31 bits: its
/// bytes are filled (the length stays, so the message keeps its shape).
const KEPT_MESSAGE_IDS: RangeInclusive<u8> = 1..=127;

/// LDAP result codes (RFC 4511 Appendix A) an ExtendedResponse to StartTLS may carry.
fn result_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        48 => "inappropriateAuthentication",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => return None,
    })
}

/// Where an LDAP StartTLS preamble is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ldap {
    Request,
    Response,
}

/// A BER grammar's answer on the bytes held so far.
pub enum Parsed<T> {
    Done(T),
    Short,
    Bad,
}

/// One BER element: its tag, where its contents are, and where it ends.
#[derive(Debug, Clone, Copy)]
struct Element {
    tag: u8,
    contents: usize,
    end: usize,
}

/// Reads the element at `at` in `b`; `within`: where its parent ends (it must end there or
/// before). Lengths are definite and minimal (DER's rule, which LDAP encoders follow).
fn element(b: &[u8], at: usize, within: usize) -> Parsed<Element> {
    let (Some(&tag), Some(&first)) = (b.get(at), b.get(at + 1)) else {
        return Parsed::Short;
    };
    let (len, contents) = match first {
        0..=0x7F => (usize::from(first), at + 2),
        0x81 => match b.get(at + 2) {
            None => return Parsed::Short,
            Some(&n) if n >= 0x80 => (usize::from(n), at + 3),
            Some(_) => return Parsed::Bad,
        },
        0x82 => match (b.get(at + 2), b.get(at + 3)) {
            (Some(&h), Some(&l)) if h != 0 => (usize::from(u16::from_be_bytes([h, l])), at + 4),
            (Some(_), Some(_)) => return Parsed::Bad,
            _ => return Parsed::Short,
        },
        _ => return Parsed::Bad,
    };
    let end = contents + len;
    if end > within {
        return Parsed::Bad;
    }
    Parsed::Done(Element { tag, contents, end })
}

/// What a parsed message keeps and says.
pub struct Message {
    pub len: usize,
    keep: Keep,
    /// The result code (a response).
    code: Option<u8>,
    /// Free text it carries: the matched DN, the diagnostic message.
    texts: Vec<(usize, usize)>,
}

/// Walks `element`s in order inside one message, keeping their tags and lengths.
struct Walk<'a> {
    b: &'a [u8],
    at: usize,
    keep: Keep,
}

impl Walk<'_> {
    /// The next element, which must have `tag` and end within `within`.
    fn next(&mut self, tag: u8, within: usize) -> Parsed<Element> {
        match element(self.b, self.at, within) {
            Parsed::Done(e) if e.tag == tag => {
                if e.end > self.b.len() && !is_constructed(tag) {
                    return Parsed::Short;
                }
                self.keep.range(self.at, e.contents);
                self.at = e.contents;
                Parsed::Done(e)
            }
            Parsed::Done(_) | Parsed::Bad => Parsed::Bad,
            Parsed::Short => Parsed::Short,
        }
    }

    /// A primitive element's contents, kept or not; the walk goes past it.
    fn over(&mut self, e: Element, keep: bool) {
        if keep {
            self.keep.range(e.contents, e.end);
        }
        self.at = e.end;
    }

    /// The LDAPMessage envelope and the message ID; returns the message's end.
    fn envelope(&mut self, op: u8) -> Parsed<usize> {
        let outer = match self.next(SEQUENCE, usize::MAX) {
            Parsed::Done(e) => e,
            Parsed::Short => return Parsed::Short,
            Parsed::Bad => return Parsed::Bad,
        };
        let id = match self.next(INTEGER, outer.end) {
            Parsed::Done(e) => e,
            Parsed::Short => return Parsed::Short,
            Parsed::Bad => return Parsed::Bad,
        };
        // MessageID ::= INTEGER (0 .. 2^31 - 1): one to four bytes, not negative.
        let len = id.end - id.contents;
        if !(1..=4).contains(&len) || self.b[id.contents] & 0x80 != 0 {
            return Parsed::Bad;
        }
        let small = len == 1 && KEPT_MESSAGE_IDS.contains(&self.b[id.contents]);
        self.over(id, small);
        match self.next(op, outer.end) {
            Parsed::Done(e) if e.end == outer.end => Parsed::Done(outer.end),
            Parsed::Done(_) | Parsed::Bad => Parsed::Bad,
            Parsed::Short => Parsed::Short,
        }
    }
}

fn is_constructed(tag: u8) -> bool {
    tag & 0x20 != 0
}

/// Propagates `Short` and `Bad` out of a parsing function.
macro_rules! parsed {
    ($e:expr) => {
        match $e {
            Parsed::Done(v) => v,
            Parsed::Short => return Parsed::Short,
            Parsed::Bad => return Parsed::Bad,
        }
    };
}

/// The client's StartTLS ExtendedRequest: the requestName is the StartTLS OID and nothing
/// follows it (no requestValue, no controls).
pub fn request(b: &[u8]) -> Parsed<Message> {
    if b.first().is_some_and(|&t| t != SEQUENCE) {
        return Parsed::Bad;
    }
    let mut w = Walk {
        b,
        at: 0,
        keep: Keep::default(),
    };
    let end = parsed!(w.envelope(EXTENDED_REQUEST));
    let name = parsed!(w.next(REQUEST_NAME, end));
    if name.end != end {
        return Parsed::Bad;
    }
    let oid = &b[name.contents..name.end.min(b.len())];
    if !STARTTLS_OID.starts_with(oid) {
        return Parsed::Bad;
    }
    if name.end > b.len() || oid.len() != STARTTLS_OID.len() {
        return Parsed::Short;
    }
    w.over(name, true);
    Parsed::Done(Message {
        len: end,
        keep: w.keep,
        code: None,
        texts: Vec::new(),
    })
}

/// The server's ExtendedResponse: resultCode, matchedDN, diagnosticMessage, then at most the
/// StartTLS OID as responseName and a responseValue (filled). A referral is not followed.
pub fn response(b: &[u8]) -> Parsed<Message> {
    let mut w = Walk {
        b,
        at: 0,
        keep: Keep::default(),
    };
    let end = parsed!(w.envelope(EXTENDED_RESPONSE));
    let code = parsed!(w.next(ENUMERATED, end));
    if code.end > b.len() {
        return Parsed::Short;
    }
    let value = match &b[code.contents..code.end] {
        [v] if result_name(*v).is_some() => *v,
        _ => return Parsed::Bad,
    };
    w.over(code, true);
    let mut texts = Vec::new();
    for _ in 0..2 {
        let text = parsed!(w.next(OCTET_STRING, end));
        texts.push((text.contents, text.end));
        w.over(text, false);
    }
    if w.at < end {
        let name = parsed!(w.next(RESPONSE_NAME, end));
        if name.end > b.len() {
            return Parsed::Short;
        }
        if &b[name.contents..name.end] != STARTTLS_OID {
            return Parsed::Bad;
        }
        w.over(name, true);
    }
    if w.at < end {
        let value = parsed!(w.next(RESPONSE_VALUE, end));
        w.over(value, false);
    }
    if w.at != end {
        return Parsed::Bad;
    }
    if b.len() < end {
        return Parsed::Short;
    }
    Parsed::Done(Message {
        len: end,
        keep: w.keep,
        code: Some(value),
        texts,
    })
}

impl Ldap {
    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        let role = match self {
            Ldap::Request => Role::Client,
            Ldap::Response => Role::Server,
        };
        let parse = match self {
            Ldap::Request => request,
            Ldap::Response => response,
        };
        let m = match parse(d.stream(role).unread()) {
            Parsed::Done(m) => m,
            Parsed::Short => return Step::Wait,
            Parsed::Bad => return Step::GiveUp,
        };
        for &(from, to) in &m.texts {
            let text = d.stream(role).unread()[from..to].to_vec();
            d.secret(&text);
        }
        d.take_binary(role, m.len, &m.keep);
        let Some(code) = m.code else {
            d.event(Role::Client, "StartTLS extended request");
            *self = Ldap::Response;
            return Step::Next;
        };
        let answer = format!("{code} ({})", result_name(code).unwrap_or("unregistered"));
        d.event(Role::Server, format!("StartTLS → resultCode {answer}"));
        if code == 0 {
            Step::Tls
        } else {
            Step::Refused(Refusal::Starttls {
                protocol: "LDAP",
                answer: format!("resultCode {answer}"),
            })
        }
    }
}
