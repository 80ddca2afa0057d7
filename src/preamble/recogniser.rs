//! The recogniser: each direction's first cleartext bytes, in order, to the protocol their
//! content names (any port), and from its grammar where TLS starts — or that it does not.

use super::connect::Connect;
use super::dialogue::{Dialogue, Step};
use super::imap::Imap;
use super::ldap::{self, Ldap};
use super::mysql::{self, Mysql};
use super::outcome::{Event, Outcome, Piece, Refusal};
use super::pop3::Pop3;
use super::postgres::{GSSENC_REQUEST, Postgres, SSL_REQUEST};
use super::smtp::Mail;
use super::socks::{self, Socks};
use super::xmpp::Xmpp;
use crate::flow::Side;

/// The protocol a preamble speaks, with where its grammar is.
#[derive(Debug)]
enum Protocol {
    Unknown,
    Mail(Mail),
    Imap(Imap),
    Pop3(Pop3),
    Postgres(Postgres),
    Connect(Connect),
    Socks(Socks),
    Ldap(Ldap),
    Xmpp(Xmpp),
    Mysql(Mysql),
}

impl Protocol {
    fn name(&self) -> &'static str {
        match self {
            Protocol::Unknown => "unknown",
            Protocol::Mail(m) => m.protocol(),
            Protocol::Imap(_) => "IMAP",
            Protocol::Pop3(_) => "POP3",
            Protocol::Postgres(_) => "PostgreSQL",
            Protocol::Connect(_) => "HTTP CONNECT",
            Protocol::Socks(m) => m.protocol(),
            Protocol::Ldap(_) => "LDAP",
            Protocol::Xmpp(_) => "XMPP",
            Protocol::Mysql(_) => "MySQL",
        }
    }

    fn step(&mut self, d: &mut Dialogue) -> Step {
        match self {
            Protocol::Unknown => Step::GiveUp,
            Protocol::Mail(m) => m.step(d),
            Protocol::Imap(m) => m.step(d),
            Protocol::Pop3(m) => m.step(d),
            Protocol::Postgres(m) => m.step(d),
            Protocol::Connect(m) => m.step(d),
            Protocol::Socks(m) => m.step(d),
            Protocol::Ldap(m) => m.step(d),
            Protocol::Xmpp(m) => m.step(d),
            Protocol::Mysql(m) => m.step(d),
        }
    }

    /// A refusal the end of the capture makes final.
    fn at_end(&self) -> Option<Refusal> {
        match self {
            Protocol::Mail(m) => m.at_end(),
            Protocol::Pop3(m) => m.at_end(),
            Protocol::Xmpp(m) => m.at_end(),
            Protocol::Mysql(m) => m.at_end(),
            _ => None,
        }
    }
}

/// What a direction's first bytes say.
enum Opening {
    /// This protocol, and this direction is the client's (true) or the server's.
    Is(Protocol, bool),
    /// Too few bytes to tell.
    Maybe,
    No,
}

/// How far the recogniser got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    /// Not a preamble it understands: nothing of it is kept, the connection is analysed as
    /// before.
    GaveUp,
    Tls([i64; 2]),
    /// Refused, or the bytes stopped being this protocol: nothing more is read.
    Closed,
}

/// What feeding bytes gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// Still in the preamble (or not yet known).
    Pending,
    /// Not a preamble.
    NotPreamble,
    /// TLS starts at these stream offsets (by [`Side`] index): the record walk of each
    /// direction starts there.
    TlsStarts([i64; 2]),
    /// Decided before (refused, or TLS already started): nothing more to read.
    Over,
}

/// One connection's preamble, from its first bytes to where TLS starts.
#[derive(Debug)]
pub struct Recogniser {
    dialogue: Dialogue,
    protocol: Protocol,
    status: Status,
    /// The last refusal (a CONNECT may be refused, then asked again and accepted).
    refusal: Option<Refusal>,
}

impl Default for Recogniser {
    fn default() -> Self {
        Recogniser {
            dialogue: Dialogue::default(),
            protocol: Protocol::Unknown,
            status: Status::Open,
            refusal: None,
        }
    }
}

impl Recogniser {
    /// Whether bytes starting a direction may open a preamble: not a TLS handshake record (so
    /// a TLS connection costs one comparison). A first byte with its top bit set may start an
    /// SSLv2-compatible hello or a MySQL greeting of 128 bytes or more (the low byte of its
    /// length): the grammars tell them apart, and the record walk replays what was not a
    /// preamble.
    pub fn may_start(first: u8) -> bool {
        first != 0x16
    }

    /// Still reading the preamble.
    pub fn open(&self) -> bool {
        self.status == Status::Open
    }

    /// TLS started after the preamble: the bytes from there on are records.
    pub fn tls_started(&self) -> bool {
        matches!(self.status, Status::Tls(_))
    }

    /// Every byte of `side` held so far, from stream offset 0: while the recogniser cannot
    /// tell, these bytes are not walked as TLS records; when it decides there is no preamble,
    /// the record walk replays them.
    pub fn held(&self, side: Side) -> &[u8] {
        self.dialogue.streams[side.index()].held()
    }

    /// In-order bytes of `side` at stream offset `off`.
    pub fn feed(&mut self, side: Side, off: i64, bytes: &[u8]) -> Fed {
        match self.status {
            Status::Open => {}
            Status::GaveUp => return Fed::NotPreamble,
            Status::Tls(_) | Status::Closed => return Fed::Over,
        }
        if !self.dialogue.streams[side.index()].push(off, bytes) {
            self.give_up();
            return self.fed();
        }
        if matches!(self.protocol, Protocol::Unknown) {
            self.identify();
            if matches!(self.protocol, Protocol::Unknown) {
                return self.fed();
            }
        }
        loop {
            match self.protocol.step(&mut self.dialogue) {
                Step::Next => continue,
                Step::Wait => {}
                Step::GiveUp => self.give_up(),
                Step::Tls => self.tls_starts(side, off),
                Step::Refused(refusal) => {
                    self.refusal = Some(refusal);
                    // A proxy's refusal may be followed by a new request; any other is final.
                    if matches!(self.protocol, Protocol::Connect(Connect::Request)) {
                        continue;
                    }
                    self.status = Status::Closed;
                }
            }
            return self.fed();
        }
    }

    fn fed(&self) -> Fed {
        match self.status {
            Status::Open => Fed::Pending,
            Status::GaveUp => Fed::NotPreamble,
            Status::Tls(at) => Fed::TlsStarts(at),
            Status::Closed => Fed::Over,
        }
    }

    /// Not (or no longer) a preamble it can follow. Once the protocol is known, every line
    /// read so far was parsed completely and stands (its skeleton is kept, and a refusal or
    /// an unoffered STARTTLS stays what it was); reading stops there. The sanitized capture
    /// then holds those lines and nothing after them, so a second run stops at the same place.
    fn give_up(&mut self) {
        self.status = if matches!(self.protocol, Protocol::Unknown) {
            Status::GaveUp
        } else {
            Status::Closed
        };
    }

    /// TLS starts where each direction was read to; the bytes after that point must all be
    /// in the chunk being fed (`side`'s, from `off`), which the caller hands to the record
    /// walk. Bytes of the other direction already delivered past it were never walked as
    /// TLS: the preamble is then not followed (fail closed).
    fn tls_starts(&mut self, side: Side, off: i64) {
        let at = [Side::A, Side::B].map(|s| self.dialogue.streams[s.index()].read_offset());
        let other = &self.dialogue.streams[side.other().index()];
        if !other.unread().is_empty() || at[side.index()] < off {
            self.give_up();
            return;
        }
        self.status = Status::Tls(at);
    }

    /// Names the protocol from the first bytes of either direction.
    fn identify(&mut self) {
        let mut maybe = false;
        for side in [Side::A, Side::B] {
            match opening(self.dialogue.streams[side.index()].unread()) {
                Opening::Is(protocol, client) => {
                    self.protocol = protocol;
                    self.dialogue.client = Some(if client { side } else { side.other() });
                    return;
                }
                Opening::Maybe => maybe = true,
                Opening::No => {}
            }
        }
        if !maybe {
            self.status = Status::GaveUp;
        }
    }

    /// A retransmitted copy of `side`'s bytes at `off`: when it disagrees with the first,
    /// nothing of that direction's preamble is kept.
    pub fn compare(&mut self, side: Side, off: i64, copy: &[u8]) {
        self.dialogue.streams[side.index()].compare(off, copy);
    }

    /// Bytes of `side` missing from the capture: the preamble cannot be followed further.
    /// Returns what that decided, like [`Recogniser::feed`].
    pub fn hole(&mut self) -> Fed {
        if self.status == Status::Open {
            self.give_up();
        }
        self.fed()
    }

    /// The events noted since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.dialogue.events)
    }

    /// The names and words noted since the last call (for the canary).
    pub fn take_secrets(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.dialogue.secrets)
    }

    /// The skeleton pieces of `side` the sanitized capture keeps: none when the preamble was
    /// not recognised, or a retransmission contradicted what was read.
    pub fn take_pieces(&mut self, side: Side) -> Vec<Piece> {
        let stream = &mut self.dialogue.streams[side.index()];
        if self.status == Status::GaveUp || stream.conflicted {
            return Vec::new();
        }
        std::mem::take(&mut stream.pieces)
    }

    /// How the preamble ended; `None` when there was none.
    pub fn outcome(&self) -> Option<Outcome> {
        let protocol = self.protocol.name();
        match self.status {
            Status::GaveUp => None,
            _ if matches!(self.protocol, Protocol::Unknown) => None,
            Status::Tls(at) => Some(Outcome::Tls { protocol, at }),
            Status::Closed | Status::Open => Some(
                match self.refusal.clone().or_else(|| self.protocol.at_end()) {
                    Some(r) => Outcome::Refused(r),
                    None => Outcome::Unfinished { protocol },
                },
            ),
        }
    }
}

/// A protocol's opening bytes, the grammar it starts, and whether the client sends them.
type Candidate = (&'static [u8], fn() -> Protocol, bool);

/// What the first bytes of a direction open.
fn opening(b: &[u8]) -> Opening {
    if b.is_empty() {
        return Opening::No;
    }
    if !Recogniser::may_start(b[0]) {
        return Opening::No;
    }
    let candidates: [Candidate; 8] = [
        (&SSL_REQUEST, || Protocol::Postgres(Postgres::Request), true),
        (
            &GSSENC_REQUEST,
            || Protocol::Postgres(Postgres::Request),
            true,
        ),
        (b"CONNECT ", || Protocol::Connect(Connect::Request), true),
        (b"220", || Protocol::Mail(Mail::Greeting), false),
        (b"* OK", || Protocol::Imap(Imap::Greeting), false),
        (b"+OK", || Protocol::Pop3(Pop3::Greeting), false),
        (
            b"<stream:stream ",
            || Protocol::Xmpp(Xmpp::ClientHeader),
            true,
        ),
        (b"<?xml ", || Protocol::Xmpp(Xmpp::ClientHeader), true),
    ];
    // SOCKS, MySQL and LDAP are binary: their grammars decide from the first bytes on.
    let mut maybe = match socks::opening(b) {
        socks::Opening::Is(s) => return Opening::Is(Protocol::Socks(s), true),
        socks::Opening::Maybe => true,
        socks::Opening::No => false,
    };
    match mysql::opening(b) {
        mysql::Opening::Is => return Opening::Is(Protocol::Mysql(Mysql::Greeting), false),
        mysql::Opening::Maybe => maybe = true,
        mysql::Opening::No => {}
    }
    match ldap::request(b) {
        ldap::Parsed::Done(_) => return Opening::Is(Protocol::Ldap(Ldap::Request), true),
        ldap::Parsed::Short => maybe = true,
        ldap::Parsed::Bad => {}
    }
    for (prefix, protocol, client) in candidates {
        if b.starts_with(prefix) {
            return Opening::Is(protocol(), client);
        }
        maybe |= prefix.starts_with(b);
    }
    if maybe { Opening::Maybe } else { Opening::No }
}
