//! Key logs (SPEC 9.2): the NSS key log format a client writes with `SSLKEYLOGFILE` (or a
//! pcapng Decryption Secrets Block holds), and opening TLS records with its secrets, in memory
//! and for the diagnosis only.
//!
//! `file` reads key log lines into [`KeyLog`] by client random; `schedule` derives traffic
//! keys (HKDF-Expand-Label, the TLS 1.2 PRF); `protection` opens one record; `session` follows
//! the keys of one connection's two directions through its handshake; `trial` finds the
//! secrets of a connection that accepted Encrypted Client Hello, which the key log names by a
//! random the capture does not show. Every secret is held in
//! a type that wipes it when dropped and that no formatting trait prints.

pub mod file;
pub mod protection;
pub mod schedule;
pub mod secret;
pub mod session;
pub mod suite;
pub mod trial;

pub use file::{KeyLog, LineCounts};
pub use secret::ClientRandom;
pub use session::Session;
