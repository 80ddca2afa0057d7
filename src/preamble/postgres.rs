//! PostgreSQL SSLRequest (PostgreSQL protocol, "SSL Session Encryption"): the client's 8 fixed
//! bytes, the server's one-byte `S` (TLS follows) or `N`; a GSSENCRequest refused with `N`
//! may come first.

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::outcome::Refusal;

/// Length 8, request code 80877103.
pub const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
/// Length 8, request code 80877104.
pub const GSSENC_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30];

/// Where a PostgreSQL preamble is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Postgres {
    Request,
    Answer { gss: bool },
}

impl Postgres {
    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        match *self {
            Postgres::Request => {
                let b = d.stream(Role::Client).unread();
                if b.len() < 8 {
                    let could = SSL_REQUEST.starts_with(b) || GSSENC_REQUEST.starts_with(b);
                    return if could { Step::Wait } else { Step::GiveUp };
                }
                let gss = match b[..8].try_into() {
                    Ok(SSL_REQUEST) => false,
                    Ok(GSSENC_REQUEST) => true,
                    _ => return Step::GiveUp,
                };
                d.take(Role::Client, 8, &Keep::all(8));
                d.event(Role::Client, request_name(gss));
                *self = Postgres::Answer { gss };
                Step::Next
            }
            Postgres::Answer { gss } => {
                let Some(&answer) = d.stream(Role::Server).unread().first() else {
                    return Step::Wait;
                };
                match (gss, answer) {
                    (_, b'N') | (false, b'S') => {}
                    _ => return Step::GiveUp,
                }
                d.take(Role::Server, 1, &Keep::all(1));
                let answer = char::from(answer);
                d.event(Role::Server, format!("{} → {answer}", request_name(gss)));
                if gss {
                    *self = Postgres::Request;
                    Step::Next
                } else if answer == 'S' {
                    Step::Tls
                } else {
                    Step::Refused(Refusal::Starttls {
                        protocol: "PostgreSQL",
                        answer: answer.to_string(),
                    })
                }
            }
        }
    }
}

fn request_name(gss: bool) -> &'static str {
    if gss { "GSSENCRequest" } else { "SSLRequest" }
}
