//! Packet layouts: where every field we rewrite sits in a frame.
//!
//! `decode` walks the link, network and transport headers once and returns a [`Layout`] of byte
//! offsets (no copies, no allocation). Both passes use it: analysis reads fields through it, the
//! rewriter edits bytes at its offsets. Anything the decoder does not understand is marked so
//! the rewriter removes it (fail closed).

pub mod checksum;
mod ip;
mod link;

pub use ip::{Arp, ArpAddrs, Icmp, Ip, Quote, Tcp, Transport, tcp_option_blanks};
pub use link::{LinkType, name_of as link_type_name};

use crate::stable_names::stable_names;

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

/// The network layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// A protocol we do not parse (LLC, PPPoE discovery, unknown EtherType): everything after the
    /// link header is removed.
    Unknown,
    /// The network header is cut short by the snap length: it is removed, since a partial
    /// address cannot be rewritten.
    Truncated,
    Arp(Arp),
    Ip(Ip),
}

/// Byte offsets of one frame's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Offsets of 6-byte MAC addresses in the link header.
    pub macs: [usize; 2],
    pub mac_count: usize,
    /// The destination MAC's offset (also one of `macs`), on links that have one: a multicast
    /// one repeats bits of the IPv6 destination.
    pub dst_mac: Option<usize>,
    /// A link-layer address of a format we do not map (e.g. SLL with a non-Ethernet address):
    /// zero-filled.
    pub link_zero: Option<(usize, usize)>,
    /// Where the network header starts.
    pub link_end: usize,
    pub net: Net,
}

impl Layout {
    pub fn macs(&self) -> &[usize] {
        &self.macs[..self.mac_count]
    }

    pub fn ip(&self) -> Option<&Ip> {
        match &self.net {
            Net::Ip(ip) => Some(ip),
            _ => None,
        }
    }
}

stable_names! {
    /// Why a packet cannot be carried at all.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Undecodable {
        /// A link type we do not handle: we cannot tell where addresses are, so the packet is
        /// dropped.
        UnsupportedLinkType = "unsupported_link_type",
        /// Shorter than its link header.
        ShortLinkHeader = "short_link_header",
        /// A BSD loopback header naming an address family other than IPv4 and IPv6.
        UnknownLinkFamily = "unknown_link_family",
    }
}

/// Decodes one frame of the given link type.
#[inline]
pub fn decode(link_type: u32, data: &[u8]) -> Result<Layout, Undecodable> {
    let link = link::decode(link_type, data)?;
    let net = match link.network {
        link::Network::Ipv4 => ip::decode_ipv4(data, link.end, link.limit),
        link::Network::Ipv6 => ip::decode_ipv6(data, link.end, link.limit),
        link::Network::Arp => ip::decode_arp(data, link.end),
        link::Network::Unknown => Net::Unknown,
    };
    Ok(Layout {
        macs: link.macs,
        mac_count: link.mac_count,
        dst_mac: link.dst_mac,
        link_zero: link.zero,
        link_end: link.end,
        net,
    })
}

pub(crate) fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

pub(crate) fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}
