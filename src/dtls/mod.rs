//! DTLS (RFC 6347 for 1.0/1.2, RFC 9147 for 1.3): the record layer of one datagram
//! (`records`) and the handshake fragments records carry, reassembled into whole messages
//! for the one handshake grammar in `crate::tls` (`handshake`). Like `tls/`, it knows nothing
//! of packets: it reads a datagram's payload.

pub mod handshake;
pub mod records;
