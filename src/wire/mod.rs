//! Packet layouts: where every field we rewrite sits in a frame.
//!
//! `decode` walks the link, network and transport headers once (and again inside each tunnel
//! it understands) and returns a [`Layout`] of byte offsets (no copies; no allocation for a
//! packet outside a tunnel). Both passes use it: analysis reads fields through it, the
//! rewriter edits bytes at its offsets. Anything the decoder does not understand is marked so
//! the rewriter removes it (fail closed).

mod bytes;
pub mod checksum;
mod frame;
mod ip;
mod layout;
mod link;
mod tunnel;

pub(crate) use bytes::be16;
pub use frame::{MAX_TUNNEL_DEPTH, decode, decode_behind};
pub use ip::{Arp, ArpAddrs, Fragment, Icmp, Ip, Net, Quote, Tcp, Transport, tcp_option_blanks};
pub use layout::{Layout, Outer, Tunnel, Undecodable};
pub use link::{LinkType, name_of as link_type_name};

/// IP protocol numbers.
pub mod ip_proto {
    pub use super::ip::{
        PROTO_ICMP as ICMP, PROTO_ICMPV6 as ICMPV6, PROTO_TCP as TCP, PROTO_UDP as UDP,
    };
}

/// TCP flag bits.
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}
