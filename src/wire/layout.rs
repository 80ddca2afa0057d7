//! What `decode` returns: where a frame's headers sit, or why it could not be decoded at all.
//! Kept apart from `mod.rs` so the decoders can build them without importing the folder's
//! `mod.rs` back (data flows one way: docs/architecture.md).

use super::ip::{Ip, Net};
use crate::stable_names::stable_names;

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
