//! Cleartext preambles before TLS (SPEC §9.1): SMTP/FTP (`smtp`), IMAP, POP3, PostgreSQL
//! SSLRequest, LDAP StartTLS, XMPP STARTTLS, MySQL SSL, HTTP CONNECT and SOCKS4/4a/5. The recogniser knows nothing of packets: it takes each
//! direction's first bytes in order (bounded, `buffer`), recognises the protocol by content on
//! any port, and returns structural timeline events, where TLS starts in each direction (or
//! how it was refused), and the skeleton the sanitized capture keeps of each line: the keywords
//! its grammar parsed, filler for every other byte (docs/decisions.md, "Keep-lists, not
//! edit-lists").

mod buffer;
mod connect;
mod dialogue;
mod grammar;
mod imap;
mod ldap;
mod mysql;
mod outcome;
mod pop3;
mod postgres;
mod recogniser;
mod smtp;
mod socks;
mod xmpp;

pub use buffer::{FILLER, MAX_PREAMBLE_BYTES};
pub use outcome::{Event, EventText, Outcome, Piece, Refusal, SocksTarget};
pub use recogniser::{Fed, Recogniser};

#[cfg(test)]
mod tests;
