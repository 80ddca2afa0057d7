//! POP3 STLS (RFC 2595 §4): the greeting, an optional `CAPA` list, then `STLS` answered by
//! `+OK`.

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::grammar::{POP3_CAPABILITIES, first_word, is_one_of, with_space};
use super::outcome::Refusal;

/// Where a POP3 preamble is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3 {
    Greeting,
    /// A command; `offered` once a CAPA list said whether STLS is offered.
    Command {
        offered: Option<bool>,
    },
    CapaStatus,
    CapaList {
        offered: bool,
    },
    StlsReply,
}

impl Pop3 {
    pub fn at_end(self) -> Option<Refusal> {
        (self
            == Pop3::Command {
                offered: Some(false),
            })
        .then_some(Refusal::NotOffered { protocol: "POP3" })
    }

    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        let role = if matches!(self, Pop3::Command { .. }) {
            Role::Client
        } else {
            Role::Server
        };
        let (text, len) = match d.owned_line(role) {
            Ok(line) => line,
            Err(step) => return step,
        };
        let (word, _) = first_word(&text);
        let mut keep = Keep::default();
        keep.range(0, with_space(&text, word.len()));
        let status_ok = word == b"+OK";
        let status = status_ok || word == b"-ERR";
        let step = match *self {
            Pop3::Greeting => {
                if !status_ok {
                    return Step::GiveUp;
                }
                d.event(Role::Server, "greeting +OK");
                *self = Pop3::Command { offered: None };
                Step::Next
            }
            Pop3::Command { offered } => {
                let is = |v: &[u8]| word.eq_ignore_ascii_case(v) && text.len() == v.len();
                if is(b"CAPA") {
                    d.event(Role::Client, "CAPA");
                    *self = Pop3::CapaStatus;
                } else if is(b"STLS") {
                    d.event(Role::Client, "STLS");
                    *self = Pop3::StlsReply;
                } else if offered == Some(false) {
                    d.event(Role::Client, "continues without STLS");
                    return Step::Refused(Refusal::NotOffered { protocol: "POP3" });
                } else {
                    return Step::GiveUp;
                }
                Step::Next
            }
            Pop3::CapaStatus => {
                if !status {
                    return Step::GiveUp;
                }
                *self = if status_ok {
                    Pop3::CapaList { offered: false }
                } else {
                    Pop3::Command { offered: None }
                };
                Step::Next
            }
            Pop3::CapaList { offered } => {
                if text == b"." {
                    let what = if offered { "offered" } else { "not offered" };
                    d.event(Role::Server, format!("CAPA: STLS {what}"));
                    *self = Pop3::Command {
                        offered: Some(offered),
                    };
                } else {
                    let known = is_one_of(word, POP3_CAPABILITIES) && !word.starts_with(b".");
                    if !known {
                        keep = Keep::default();
                    }
                    *self = Pop3::CapaList {
                        offered: offered || (known && word.eq_ignore_ascii_case(b"STLS")),
                    };
                }
                Step::Next
            }
            Pop3::StlsReply => {
                if !status {
                    return Step::GiveUp;
                }
                let answer = if status_ok { "+OK" } else { "-ERR" };
                d.event(Role::Server, format!("STLS → {answer}"));
                d.take(role, len, &keep);
                return if status_ok {
                    Step::Tls
                } else {
                    Step::Refused(Refusal::Starttls {
                        protocol: "POP3",
                        answer: answer.into(),
                    })
                };
            }
        };
        d.take(role, len, &keep);
        step
    }
}
