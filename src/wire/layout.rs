//! What `decode` returns: where a frame's headers sit, or why it could not be decoded at all.
//! Kept apart from `mod.rs` so the decoders can build them without importing the folder's
//! `mod.rs` back (data flows one way: docs/architecture.md).

use super::ip::{Ip, Net};
use crate::stable_names::stable_names;

/// Byte offsets of one frame's headers. The link fields are the outermost link's; `net` is the
/// innermost packet (what a tunnel carries, when there is one), described exactly as a plain
/// packet's; `outers` lists the tunnels around it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Where the innermost network header starts (after every tunnel header).
    pub link_end: usize,
    /// The outermost link carries an MPLS label stack.
    pub mpls: bool,
    pub net: Net,
    /// The tunnels around `net`, outermost first. Empty (and not allocated) for a plain
    /// packet, so the common case costs nothing.
    pub outers: Vec<Outer>,
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

    /// The IP packet right after the outermost link header: the first tunnel's, or the
    /// packet's own.
    pub fn outermost_ip(&self) -> Option<&Ip> {
        self.outers.first().map(|o| &o.ip).or_else(|| self.ip())
    }

    /// Where the outermost link header ends.
    pub fn outer_link_end(&self) -> usize {
        self.outers.first().map_or(self.link_end, |o| o.ip.start)
    }

    /// The IP packet after the link header tunnel `k` carries: the next tunnel's, or the
    /// innermost packet's.
    pub fn ip_after(&self, k: usize) -> Option<&Ip> {
        match self.outers.get(k + 1) {
            Some(next) => Some(&next.ip),
            None => self.ip(),
        }
    }
}

/// Up to this many areas of one tunnel header are blanked; a header that needs more is not
/// understood (or blanked whole, where zeros stay parseable).
pub const MAX_TUNNEL_BLANKS: usize = 4;

/// One tunnel around the innermost packet: the outer IP header, the tunnel header after it and
/// the link header it carries, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outer {
    /// The outer IP packet; its transport is `Udp` for VXLAN, GENEVE, GTP-U and L2TP, `Opaque` for
    /// GRE and IP-in-IP.
    pub ip: Ip,
    pub tunnel: Tunnel,
    /// The tunnel header after the outer IP header (UDP header included): kept as it is but
    /// for `blanks`.
    pub header: (usize, usize),
    /// The GRE checksum field, when its C bit is set: recomputed over the rewritten packet.
    pub gre_checksum: Option<usize>,
    /// Areas of the tunnel header that may hold anything (GENEVE option data, GTP-U extension
    /// header contents, reserved fields that are not zero): zero-filled.
    pub blanks: [(usize, usize); MAX_TUNNEL_BLANKS],
    pub blank_count: usize,
    /// The link header the tunnel carries (from `header.1`; empty when it carries IP).
    pub link_end: usize,
    pub macs: [usize; 2],
    pub mac_count: usize,
    pub dst_mac: Option<usize>,
    /// The carried link header has an MPLS label stack.
    pub mpls: bool,
}

impl Outer {
    pub fn blanks(&self) -> &[(usize, usize)] {
        &self.blanks[..self.blank_count]
    }

    pub fn macs(&self) -> &[usize] {
        &self.macs[..self.mac_count]
    }
}

/// A tunnel we understand, with the identifier its header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tunnel {
    /// GRE (RFC 2784/2890) carrying IP or Ethernet, with its key when the K bit is set.
    Gre {
        key: Option<u32>,
    },
    /// ERSPAN type II or III inside GRE: mirrored Ethernet frames of one session.
    Erspan {
        session: u16,
    },
    /// IPv4 or IPv6 directly in IPv4 or IPv6 (IP protocols 4 and 41).
    IpInIp {
        outer_v6: bool,
        inner_v6: bool,
    },
    Vxlan {
        vni: u32,
    },
    Geneve {
        vni: u32,
    },
    /// GTP-U G-PDU. The TEID is the receiver's, so the two directions of one connection carry
    /// different ones: it is not kept (docs/decisions.md).
    Gtpu,
    /// An L2TPv2 data message carrying PPP. The tunnel and session IDs are the receiver's,
    /// like GTP-U's TEID: not kept.
    L2tp,
}

impl Tunnel {
    /// The tunnel's protocol, without its identifier (`gre`, `vxlan`, `6in4`).
    pub fn kind(&self) -> &'static str {
        match *self {
            Tunnel::Gre { .. } => "gre",
            Tunnel::Erspan { .. } => "erspan",
            Tunnel::IpInIp { outer_v6, inner_v6 } => match (outer_v6, inner_v6) {
                (false, false) => "ipip",
                (false, true) => "6in4",
                (true, false) => "4in6",
                (true, true) => "6in6",
            },
            Tunnel::Vxlan { .. } => "vxlan",
            Tunnel::Geneve { .. } => "geneve",
            Tunnel::Gtpu => "gtpu",
            Tunnel::L2tp => "l2tp",
        }
    }

    /// How the tunnel is written in a connection's path (`gre:7`, `vxlan:42`, `6in4`).
    pub fn label(&self) -> String {
        match *self {
            Tunnel::Gre { key: Some(k) } => format!("gre:{k}"),
            Tunnel::Erspan { session } => format!("erspan:{session}"),
            Tunnel::Vxlan { vni } => format!("vxlan:{vni}"),
            Tunnel::Geneve { vni } => format!("geneve:{vni}"),
            Tunnel::Gre { key: None } | Tunnel::IpInIp { .. } | Tunnel::Gtpu | Tunnel::L2tp => {
                self.kind().into()
            }
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
