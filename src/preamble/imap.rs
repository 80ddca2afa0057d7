//! IMAP STARTTLS (RFC 9051 §6.2.1, RFC 3501): the greeting, `CAPABILITY` / `NOOP` exchanges,
//! then `tag STARTTLS` answered by `tag OK`.

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::grammar::{IMAP_CAPABILITIES, first_word, is_one_of, with_space};
use super::outcome::Refusal;

/// Where an IMAP preamble is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imap {
    Greeting,
    Command,
    /// The answer to the command sent with `tag`.
    Reply {
        tag: Vec<u8>,
        starttls: bool,
    },
}

/// The status words of an IMAP response.
const STATUS: &[&str] = &["OK", "NO", "BAD", "BYE", "PREAUTH"];

impl Imap {
    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        let role = if *self == Imap::Command {
            Role::Client
        } else {
            Role::Server
        };
        let (text, len) = match d.owned_line(role) {
            Ok(line) => line,
            Err(step) => return step,
        };
        let mut keep = Keep::default();
        let step = match self {
            Imap::Greeting => {
                if !text.starts_with(b"* OK") {
                    return Step::GiveUp;
                }
                keep.range(0, with_space(&text, 4));
                d.event(Role::Server, "greeting OK");
                *self = Imap::Command;
                Step::Next
            }
            Imap::Command => {
                let (tag, at) = first_word(&text);
                let (command, rest) = first_word(&text[at..]);
                if tag.is_empty() || tag == b"*" || rest != text.len() - at {
                    return Step::GiveUp;
                }
                let known = ["CAPABILITY", "NOOP", "STARTTLS"]
                    .into_iter()
                    .find(|c| c.as_bytes().eq_ignore_ascii_case(command));
                let Some(known) = known else {
                    return Step::GiveUp;
                };
                // The tag is the client's free choice: filled (same length, so the answer's
                // tag, filled alike, still matches it).
                keep.range(tag.len(), text.len());
                d.event(Role::Client, known);
                *self = Imap::Reply {
                    tag: tag.to_vec(),
                    starttls: known == "STARTTLS",
                };
                Step::Next
            }
            Imap::Reply { tag, starttls } => {
                let (tag, starttls) = (tag.clone(), *starttls);
                let (first, at) = first_word(&text);
                let (status, _) = first_word(&text[at..]);
                if first == b"*" {
                    keep.range(0, at);
                    if status.eq_ignore_ascii_case(b"CAPABILITY") {
                        keep.range(at, at + status.len());
                        capabilities(&text, at + status.len(), &mut keep);
                    } else if is_one_of(status, STATUS) {
                        keep.range(at, with_space(&text, at + status.len()));
                    }
                    d.take(Role::Server, len, &keep);
                    return Step::Next;
                }
                if first != tag.as_slice() || !is_one_of(status, &["OK", "NO", "BAD"]) {
                    return Step::GiveUp;
                }
                keep.range(first.len(), with_space(&text, at + status.len()));
                let ok = status.eq_ignore_ascii_case(b"OK");
                if starttls {
                    let answer = String::from_utf8_lossy(status).to_ascii_uppercase();
                    d.event(Role::Server, format!("STARTTLS → {answer}"));
                    d.take(Role::Server, len, &keep);
                    return if ok {
                        Step::Tls
                    } else {
                        Step::Refused(Refusal::Starttls {
                            protocol: "IMAP",
                            answer,
                        })
                    };
                }
                *self = Imap::Command;
                Step::Next
            }
        };
        d.take(role, len, &keep);
        step
    }
}

/// Keeps the registered capabilities of a CAPABILITY line from `from` on, and every space
/// between the words (so the filled words stay words).
fn capabilities(text: &[u8], from: usize, keep: &mut Keep) {
    let mut at = from;
    while at < text.len() {
        let word_start = at + 1;
        let word_end = text[word_start..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(text.len(), |i| word_start + i);
        if text[at] != b' ' {
            return;
        }
        keep.range(at, word_start);
        if is_one_of(&text[word_start..word_end], IMAP_CAPABILITIES) {
            keep.range(word_start, word_end);
        }
        at = word_end;
    }
}
