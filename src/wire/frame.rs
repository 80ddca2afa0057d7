//! Decoding one frame: the link header first, then the network and transport headers it
//! announces, then (when the packet is a tunnel we understand) the same again for what the
//! tunnel carries, into a [`Layout`].

use super::ip::{self, Ip, Net};
use super::layout::{Layout, Outer, Undecodable};
use super::link::{self, Network};
use super::tunnel::{self, Carried, Found};

/// Tunnels inside tunnels beyond this depth are not followed: what the deepest one carries is
/// removed like any protocol not understood.
pub const MAX_TUNNEL_DEPTH: usize = 8;

/// Decodes one frame of the given link type.
///
/// A plain packet's `Layout` is built once, in the caller's slot: `Layout` is a few hundred
/// bytes, and building it first and then moving it (as a tunnelled packet needs) cost the plain
/// path 8 % more instructions in `diagnose` (docs/decisions.md, "Decoding stays in place").
#[inline]
pub fn decode(link_type: u32, data: &[u8]) -> Result<Layout, Undecodable> {
    let link = link::decode(link_type, data)?;
    let net = network(data, link.network, link.end, link.limit);
    if let Net::Ip(ip) = &net
        && tunnel::may_carry(ip)
        && let Some(found) = tunnel::recognise(data, ip)
    {
        return Ok(tunnelled(data, &link, net, found));
    }
    Ok(untunnelled(&link, net))
}

/// The layout of a packet with no tunnel: the link's offsets and the network packet.
#[inline(always)]
fn untunnelled(link: &link::LinkLayout, net: Net) -> Layout {
    Layout {
        macs: link.macs,
        mac_count: link.mac_count,
        dst_mac: link.dst_mac,
        link_zero: link.zero,
        link_end: link.end,
        mpls: link.mpls,
        net,
        outers: Vec::new(),
    }
}

#[inline(always)]
fn network(data: &[u8], network: Network, start: usize, limit: Option<usize>) -> Net {
    match network {
        Network::Ipv4 => ip::decode_ipv4(data, start, limit),
        Network::Ipv6 => ip::decode_ipv6(data, start, limit),
        Network::Arp => ip::decode_arp(data, start),
        Network::Unknown => Net::Unknown,
    }
}

/// A packet that is a tunnel we understand: kept out of line, so that the plain path above
/// stays small enough to inline.
#[cold]
#[inline(never)]
fn tunnelled(data: &[u8], link: &link::LinkLayout, net: Net, found: Found) -> Layout {
    let mut layout = untunnelled(link, net);
    unwrap_tunnels(&mut layout, data, found);
    layout
}

/// Decodes a packet rebuilt behind the outer layers of one of its frames (an IP datagram
/// reassembled from fragments): `outside` is that frame's layout, and `data` holds its bytes
/// up to where its innermost network header started, then the rebuilt packet. The link
/// header and the tunnels of the frame stay as they were decoded; the rebuilt packet is
/// decoded as a plain one, with the tunnels it carries followed as `decode` follows them.
pub fn decode_behind(outside: &Layout, data: &[u8]) -> Layout {
    let start = outside.link_end;
    let mut layout = Layout {
        net: network(data, link::version_at(data, start), start, None),
        ..outside.clone()
    };
    if let Net::Ip(ip) = &layout.net
        && tunnel::may_carry(ip)
        && let Some(found) = tunnel::recognise(data, ip)
    {
        unwrap_tunnels(&mut layout, data, found);
    }
    layout
}

/// Moves the packet into `outers` and decodes what its tunnel carries in its place, as long as
/// it is a tunnel we understand.
fn unwrap_tunnels(layout: &mut Layout, data: &[u8], first: Found) {
    let mut found = first;
    while layout.outers.len() < MAX_TUNNEL_DEPTH {
        let Net::Ip(ip) = layout.net else { return };
        let (outer, net) = carried(data, ip, &found);
        layout.link_end = outer.link_end;
        layout.net = net;
        layout.outers.push(outer);
        let Net::Ip(inner) = &layout.net else { return };
        match tunnel::recognise(data, inner) {
            Some(next) => found = next,
            None => return,
        }
    }
}

/// The tunnel as an outer layer, and the packet it carries.
fn carried(data: &[u8], ip: Ip, found: &Found) -> (Outer, Net) {
    let start = found.header.1;
    let mut outer = Outer {
        ip,
        tunnel: found.tunnel,
        header: found.header,
        gre_checksum: found.gre_checksum,
        blanks: found.blanks,
        blank_count: found.blank_count,
        link_end: start,
        macs: [0; 2],
        mac_count: 0,
        dst_mac: None,
        mpls: false,
    };
    let limit = Some(found.limit);
    let net = match found.carried {
        Carried::Ipv4 => ip::decode_ipv4(data, start, limit),
        Carried::Ipv6 => ip::decode_ipv6(data, start, limit),
        Carried::IpByVersion => network(data, link::version_at(data, start), start, limit),
        Carried::Ethernet => match link::ethernet(data, start) {
            // An Ethernet header past the outer packet's end is not the tunnel's.
            Ok(l) if l.end <= found.limit => {
                outer.link_end = l.end;
                outer.macs = l.macs;
                outer.mac_count = l.mac_count;
                outer.dst_mac = l.dst_mac;
                outer.mpls = l.mpls;
                let limit = l.limit.map_or(found.limit, |p| p.min(found.limit));
                network(data, l.network, l.end, Some(limit))
            }
            _ => Net::Truncated,
        },
    };
    (outer, net)
}
