//! The two directions of a preamble as client and server, and what a protocol's step says:
//! the protocol grammars (`super::smtp`, …) read lines here and note events and secrets.

use std::borrow::Cow;

use super::buffer::{Keep, Line, Next, Stream};
use super::outcome::{Event, EventText, Refusal, SocksTarget};
use crate::flow::Side;

/// Who sends a line, in the preamble's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

/// What one step of a protocol's grammar found.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// The next line (or bytes) it expects are not complete yet.
    Wait,
    /// It read something: step again.
    Next,
    /// Not this protocol, or not a preamble it understands: nothing of it is kept.
    GiveUp,
    /// TLS starts after what was read, in both directions.
    Tls,
    /// The TLS it prepares was refused; the preamble may go on (a retried CONNECT).
    Refused(Refusal),
}

/// Both directions, who the client is, and what was noted.
#[derive(Debug, Default)]
pub struct Dialogue {
    pub streams: [Stream; 2],
    pub client: Option<Side>,
    pub events: Vec<Event>,
    /// Names and free text seen (host names, greetings): the canary searches the output for
    /// them.
    pub secrets: Vec<Vec<u8>>,
}

impl Dialogue {
    fn side(&self, role: Role) -> Side {
        let client = self.client.unwrap_or(Side::A);
        match role {
            Role::Client => client,
            Role::Server => client.other(),
        }
    }

    pub fn stream(&self, role: Role) -> &Stream {
        &self.streams[self.side(role).index()]
    }

    pub fn stream_mut(&mut self, role: Role) -> &mut Stream {
        let i = self.side(role).index();
        &mut self.streams[i]
    }

    /// The next complete line of `role`'s direction.
    pub fn line(&self, role: Role) -> Next<'_> {
        self.stream(role).line()
    }

    /// The next line of `role`'s direction as [`owned`] copies it, or the step a line-based
    /// grammar takes without one: wait for more bytes, or give up on a line no text protocol
    /// sends.
    pub fn owned_line(&self, role: Role) -> Result<(Vec<u8>, usize), Step> {
        match self.line(role) {
            Next::Line(l) => Ok(owned(l)),
            Next::Wait => Err(Step::Wait),
            Next::Bad => Err(Step::GiveUp),
        }
    }

    /// Takes `len` bytes of `role`'s direction, keeping what `keep` marks.
    pub fn take(&mut self, role: Role, len: usize, keep: &Keep) {
        self.stream_mut(role).take(len, keep);
    }

    /// Takes `len` binary bytes of `role`'s direction, keeping only what `keep` marks (no
    /// byte is kept for being a line end).
    pub fn take_binary(&mut self, role: Role, len: usize, keep: &Keep) {
        self.stream_mut(role).take_binary(len, keep);
    }

    pub fn event(&mut self, role: Role, text: impl Into<Cow<'static, str>>) {
        let side = self.side(role);
        self.events.push(Event {
            side,
            what: EventText::Text(text.into()),
        });
    }

    pub fn connect_event(&mut self, host: Vec<u8>, port: u16, answer: String) {
        let side = self.side(Role::Server);
        self.events.push(Event {
            side,
            what: EventText::Connect { host, port, answer },
        });
    }

    pub fn socks_event(
        &mut self,
        version: &'static str,
        target: SocksTarget,
        port: u16,
        answer: String,
    ) {
        let side = self.side(Role::Server);
        self.events.push(Event {
            side,
            what: EventText::Socks {
                version,
                target,
                port,
                answer,
            },
        });
    }

    /// Notes free text the output must not hold (a host name, a greeting's words).
    pub fn secret(&mut self, text: &[u8]) {
        for word in text.split(|&b| b == b' ' || b == b'\t') {
            let word = word.trim_ascii();
            if word.len() >= 4 && !word.iter().all(|&b| b == super::buffer::FILLER) {
                self.secrets.push(word.to_vec());
            }
        }
    }
}

/// A line's text, and its length with the end of line, copied out of the dialogue so the
/// grammar can take it while reading it.
fn owned(line: Line<'_>) -> (Vec<u8>, usize) {
    (line.text.to_vec(), line.len)
}
