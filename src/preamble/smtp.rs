//! SMTP (RFC 5321, STARTTLS RFC 3207) and FTP (RFC 959, `AUTH TLS` RFC 4217): both open with a
//! server's `220` greeting; the client's first command tells them apart.

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::grammar::{SMTP_EXTENSIONS, first_word, is_one_of, reply_code, with_space};
use super::outcome::Refusal;

/// Where an SMTP or FTP preamble is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mail {
    Greeting,
    /// The client's first command: `EHLO`/`HELO` (SMTP) or `AUTH`/`FEAT` (FTP).
    FirstCommand,
    HelloReply {
        ehlo: bool,
        first: bool,
        starttls: bool,
    },
    SmtpCommand {
        offered: bool,
    },
    StarttlsReply,
    FtpFeatReply,
    FtpCommand,
    AuthReply,
}

impl Mail {
    pub fn protocol(self) -> &'static str {
        match self {
            Mail::FtpFeatReply | Mail::FtpCommand | Mail::AuthReply => "FTP",
            _ => "SMTP",
        }
    }

    /// A refusal that the end of the capture makes final: the server did not offer STARTTLS
    /// and the client sent nothing more.
    pub fn at_end(self) -> Option<Refusal> {
        (self == Mail::SmtpCommand { offered: false })
            .then_some(Refusal::NotOffered { protocol: "SMTP" })
    }

    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        let role = match self {
            Mail::FirstCommand | Mail::SmtpCommand { .. } | Mail::FtpCommand => Role::Client,
            _ => Role::Server,
        };
        let (text, len) = match d.owned_line(role) {
            Ok(line) => line,
            Err(step) => return step,
        };
        match role {
            Role::Server => self.reply(d, &text, len),
            Role::Client => self.command(d, &text, len),
        }
    }

    fn reply(&mut self, d: &mut Dialogue, text: &[u8], len: usize) -> Step {
        let Some((code, last)) = reply_code(text) else {
            if *self == Mail::FtpFeatReply && text.first() == Some(&b' ') {
                // A feature line of a FEAT reply (RFC 2389): its words are filled.
                d.take(Role::Server, len, Keep::default().range(0, 1));
                return Step::Next;
            }
            return Step::GiveUp;
        };
        let head = text.len().min(4);
        let mut keep = Keep::default();
        keep.range(0, head);
        let rest = &text[head..];
        let step = match *self {
            Mail::Greeting => {
                if code != 220 {
                    return Step::GiveUp;
                }
                d.secret(first_word(rest).0);
                if last {
                    d.event(Role::Server, "greeting 220");
                    *self = Mail::FirstCommand;
                }
                Step::Next
            }
            Mail::HelloReply {
                ehlo,
                first,
                starttls,
            } => {
                if code != 250 {
                    d.event(Role::Server, format!("{} → {code}", hello_verb(ehlo)));
                    *self = Mail::SmtpCommand { offered: false };
                    d.take(Role::Server, len, &keep);
                    return if last { Step::Next } else { Step::GiveUp };
                }
                let mut offered = starttls;
                if first {
                    // The first line names the server: a host name, filled.
                    d.secret(first_word(rest).0);
                } else {
                    let (word, _) = first_word(rest);
                    if is_one_of(word, SMTP_EXTENSIONS) {
                        keep.range(head, with_space(text, head + word.len()));
                        offered |= word.eq_ignore_ascii_case(b"STARTTLS");
                    }
                }
                if last {
                    let what = if offered { "offered" } else { "not offered" };
                    d.event(Role::Server, format!("250 STARTTLS {what}"));
                    *self = Mail::SmtpCommand { offered };
                } else {
                    *self = Mail::HelloReply {
                        ehlo,
                        first: false,
                        starttls: offered,
                    };
                }
                Step::Next
            }
            Mail::StarttlsReply | Mail::AuthReply => {
                if !last {
                    d.take(Role::Server, len, &keep);
                    return Step::Next;
                }
                let (verb, ok) = if *self == Mail::StarttlsReply {
                    ("STARTTLS", 220)
                } else {
                    ("AUTH TLS", 234)
                };
                d.event(Role::Server, format!("{verb} → {code}"));
                d.take(Role::Server, len, &keep);
                if code == ok {
                    return Step::Tls;
                }
                return Step::Refused(Refusal::Starttls {
                    protocol: self.protocol(),
                    answer: code.to_string(),
                });
            }
            Mail::FtpFeatReply => {
                if last && code == 211 {
                    *self = Mail::FtpCommand;
                }
                Step::Next
            }
            Mail::FirstCommand | Mail::SmtpCommand { .. } | Mail::FtpCommand => Step::GiveUp,
        };
        d.take(Role::Server, len, &keep);
        step
    }

    fn command(&mut self, d: &mut Dialogue, text: &[u8], len: usize) -> Step {
        let (verb, arg_at) = first_word(text);
        let arg = &text[arg_at..];
        let is = |v: &str| verb.eq_ignore_ascii_case(v.as_bytes());
        let mut keep = Keep::default();
        keep.range(0, verb.len().min(text.len()));
        let first = *self == Mail::FirstCommand;
        let step =
            if (first || matches!(self, Mail::SmtpCommand { .. })) && (is("EHLO") || is("HELO")) {
                if arg.is_empty() {
                    return Step::GiveUp;
                }
                keep.range(verb.len(), arg_at);
                d.secret(arg);
                let ehlo = is("EHLO");
                d.event(Role::Client, hello_verb(ehlo));
                *self = Mail::HelloReply {
                    ehlo,
                    first: true,
                    starttls: false,
                };
                Step::Next
            } else if matches!(self, Mail::SmtpCommand { .. }) && is("STARTTLS") && arg.is_empty() {
                d.event(Role::Client, "STARTTLS");
                *self = Mail::StarttlsReply;
                Step::Next
            } else if let Mail::SmtpCommand { offered: false } = self {
                // STARTTLS was not offered and the client goes on without it: that is the
                // refusal; the rest of the session is not a preamble (it is cut).
                d.event(Role::Client, "continues without STARTTLS");
                return Step::Refused(Refusal::NotOffered { protocol: "SMTP" });
            } else if (first || *self == Mail::FtpCommand)
                && is("AUTH")
                && (arg.eq_ignore_ascii_case(b"TLS") || arg.eq_ignore_ascii_case(b"SSL"))
            {
                keep.range(verb.len(), text.len());
                d.event(Role::Client, "AUTH TLS");
                *self = Mail::AuthReply;
                Step::Next
            } else if first && is("FEAT") && arg.is_empty() {
                d.event(Role::Client, "FEAT");
                *self = Mail::FtpFeatReply;
                Step::Next
            } else {
                return Step::GiveUp;
            };
        d.take(Role::Client, len, &keep);
        step
    }
}

fn hello_verb(ehlo: bool) -> &'static str {
    if ehlo { "EHLO" } else { "HELO" }
}
