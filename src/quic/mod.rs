//! QUIC (RFC 9000, 9001; version 2, RFC 9369) as far as the handshake goes: the packets of a
//! datagram and their headers, the Initial keys anyone can derive from the client's first
//! Destination Connection ID, opening and sealing packets both ways (the redaction edits an
//! Initial's ClientHello and seals it again), the frames Initial and Handshake packets carry,
//! and their CRYPTO streams, whose TLS handshake messages `tls/` reads with its one grammar.
//!
//! Like `tls/`, it knows nothing of captures: it is given UDP payloads and which side sent
//! them.
//!
//! `varint` reads QUIC integers; `version` holds what differs between versions 1 and 2;
//! `header` finds the fields of each packet of a datagram; `keys` derives packet protection
//! keys; `protection` removes and applies header protection and opens and seals payloads;
//! `packet` does both layers for one packet; `frames` walks a payload's frames (fail closed);
//! `reseal` writes an Initial back with its redacted hello and mapped connection IDs;
//! `crypto` reassembles a CRYPTO stream; `session` follows one connection's packets.

pub mod crypto;
pub mod frames;
pub mod header;
pub mod keys;
pub mod packet;
pub mod protection;
pub mod reseal;
pub mod retry;
pub mod session;
pub mod skeleton;
pub mod varint;
pub mod version;

#[cfg(test)]
mod tests;
