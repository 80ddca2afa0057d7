//! Decoding one frame: the link header first, then the network and transport headers it
//! announces, into a [`Layout`].

use super::ip::{self, Net};
use super::layout::{Layout, Undecodable};
use super::link;

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
