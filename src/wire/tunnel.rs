//! Tunnel headers: where a tunnel carried in an IP packet starts, what it carries and which of
//! its bytes may be kept. A header is understood only when every field that decides the layout
//! holds a value its specification defines; anything else leaves the outer packet as it was
//! decoded, and what follows its header is removed (docs/architecture.md, "Add a tunnel").

use super::bytes::{be16, be32};
use super::checksum;
use super::ip::{Ip, PROTO_UDP, Transport};
use super::layout::{MAX_TUNNEL_BLANKS, Tunnel};

const PROTO_IPIP: u8 = 4;
const PROTO_IPV6: u8 = 41;
const PROTO_GRE: u8 = 47;

const PORT_VXLAN: u16 = 4789;
const PORT_GENEVE: u16 = 6081;
const PORT_GTPU: u16 = 2152;
const PORT_L2TP: u16 = 1701;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_TEB: u16 = 0x6558;
const ETHERTYPE_ERSPAN_II: u16 = 0x88BE;
const ETHERTYPE_ERSPAN_III: u16 = 0x22EB;

/// What a tunnel header is followed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Carried {
    Ethernet,
    Ipv4,
    Ipv6,
    /// IP told by its version nibble (GTP-U has no protocol field).
    IpByVersion,
}

/// A tunnel header understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found {
    pub tunnel: Tunnel,
    /// The tunnel header: from the end of the outer IP header to the carried packet.
    pub header: (usize, usize),
    /// Where the carried packet must end (the outer packet's end, or the tunnel's own length;
    /// `usize::MAX` until `recognise` bounds it by the outer packet).
    pub limit: usize,
    pub carried: Carried,
    pub gre_checksum: Option<usize>,
    pub blanks: [(usize, usize); MAX_TUNNEL_BLANKS],
    pub blank_count: usize,
}

impl Found {
    fn new(tunnel: Tunnel, header: (usize, usize), limit: usize, carried: Carried) -> Found {
        Found {
            tunnel,
            header,
            limit,
            carried,
            gre_checksum: None,
            blanks: [(0, 0); MAX_TUNNEL_BLANKS],
            blank_count: 0,
        }
    }

    /// Marks `from..to` for zero-filling unless it is zeros already; false when there is no
    /// room left.
    fn blank(&mut self, d: &[u8], from: usize, to: usize) -> bool {
        if d[from..to].iter().all(|&b| b == 0) {
            return true;
        }
        if self.blank_count == MAX_TUNNEL_BLANKS {
            return false;
        }
        self.blanks[self.blank_count] = (from, to);
        self.blank_count += 1;
        true
    }
}

/// True when the IP packet's protocol is one a tunnel uses: the only test a plain packet pays.
#[inline]
pub(super) fn may_carry(ip: &Ip) -> bool {
    matches!(ip.proto, PROTO_IPIP | PROTO_IPV6 | PROTO_GRE | PROTO_UDP)
}

/// The tunnel an IP packet carries, if it is one we understand. A fragment never is: its
/// bytes are not the whole tunnel.
pub(super) fn recognise(d: &[u8], ip: &Ip) -> Option<Found> {
    if ip.fragmented {
        return None;
    }
    // Headers must lie in the captured bytes (`end`); what they carry ends where the outer
    // packet says (`ip.end`), which a snap length may have cut.
    let end = ip.end.min(d.len());
    let s = ip.header_end;
    if s > end {
        return None;
    }
    let mut found = carried_by(d, ip, s, end)?;
    found.limit = found.limit.min(ip.end);
    Some(found)
}

fn carried_by(d: &[u8], ip: &Ip, s: usize, end: usize) -> Option<Found> {
    let outer_v6 = ip.version == 6;
    match (ip.proto, ip.transport) {
        (PROTO_IPIP, Transport::Opaque) => Some(Found::new(
            Tunnel::IpInIp {
                outer_v6,
                inner_v6: false,
            },
            (s, s),
            usize::MAX,
            Carried::Ipv4,
        )),
        (PROTO_IPV6, Transport::Opaque) => Some(Found::new(
            Tunnel::IpInIp {
                outer_v6,
                inner_v6: true,
            },
            (s, s),
            usize::MAX,
            Carried::Ipv6,
        )),
        (PROTO_GRE, Transport::Opaque) => gre(d, s, end),
        (PROTO_UDP, Transport::Udp { start }) if end >= start + 8 => {
            // By destination port: every one of these tunnels sends to its well-known port in
            // both directions, while an ephemeral source port may be anything. L2TP answers
            // from its port to the initiator's (RFC 2661 section 8.1), so either port names
            // it; VXLAN on another port is recognised by its content alone.
            let (src, dst) = (be16(d, start), be16(d, start + 2));
            match dst {
                PORT_VXLAN => vxlan(d, start, end),
                PORT_GENEVE => geneve(d, start, end),
                PORT_GTPU => gtpu(d, start, end),
                _ if dst == PORT_L2TP || src == PORT_L2TP => l2tp(d, start, end),
                _ => vxlan_by_content(d, start, end),
            }
        }
        _ => None,
    }
}

/// GRE (RFC 2784 with the key and sequence number of RFC 2890): version 0, no routing (RFC
/// 1701's R bit and the bits after it must be zero).
fn gre(d: &[u8], s: usize, end: usize) -> Option<Found> {
    const C: u16 = 0x8000;
    const K: u16 = 0x2000;
    const S: u16 = 0x1000;
    if end < s + 4 {
        return None;
    }
    let flags = be16(d, s);
    if flags & !(C | K | S) != 0 {
        return None;
    }
    let mut at = s + 4;
    let gre_checksum = (flags & C != 0).then_some(at);
    at += if flags & C != 0 { 4 } else { 0 };
    let key = if flags & K != 0 {
        if end < at + 4 {
            return None;
        }
        at += 4;
        Some(be32(d, at - 4))
    } else {
        None
    };
    at += if flags & S != 0 { 4 } else { 0 };
    if end < at {
        return None;
    }
    let mut found = match be16(d, s + 2) {
        ETHERTYPE_IPV4 => Found::new(Tunnel::Gre { key }, (s, at), usize::MAX, Carried::Ipv4),
        ETHERTYPE_IPV6 => Found::new(Tunnel::Gre { key }, (s, at), usize::MAX, Carried::Ipv6),
        ETHERTYPE_TEB => Found::new(Tunnel::Gre { key }, (s, at), usize::MAX, Carried::Ethernet),
        ETHERTYPE_ERSPAN_II => erspan(d, s, at, end, 1, 8)?,
        ETHERTYPE_ERSPAN_III => erspan(d, s, at, end, 2, 12)?,
        _ => return None,
    };
    found.gre_checksum = gre_checksum;
    // The reserved half of the checksum word must be zero (RFC 2784 section 2.5).
    if let Some(c) = gre_checksum
        && !found.blank(d, c + 2, c + 4)
    {
        return None;
    }
    Some(found)
}

/// An ERSPAN header at `at` (type II: version 1, 8 bytes; type III: version 2, 12 bytes and an
/// optional 8-byte platform-specific subheader, which is blanked: its format is the vendor's).
fn erspan(d: &[u8], s: usize, at: usize, end: usize, version: u8, len: usize) -> Option<Found> {
    if end < at + len || d[at] >> 4 != version {
        return None;
    }
    let session = be16(d, at + 2) & 0x03FF;
    let mut header_end = at + len;
    let platform = version == 2 && d[at + 11] & 0x01 != 0;
    if platform {
        header_end += 8;
        if end < header_end {
            return None;
        }
    }
    let mut found = Found::new(
        Tunnel::Erspan { session },
        (s, header_end),
        usize::MAX,
        Carried::Ethernet,
    );
    if platform {
        found.blank(d, at + len, header_end);
    }
    Some(found)
}

/// VXLAN (RFC 7348): flags with only the I bit, the VNI; the reserved fields must be zero and
/// are made so.
fn vxlan(d: &[u8], u: usize, end: usize) -> Option<Found> {
    let s = u + 8;
    if end < s + 8 || d[s] != 0x08 {
        return None;
    }
    let vni = be32(d, s + 4) >> 8;
    let mut found = Found::new(
        Tunnel::Vxlan { vni },
        (u, s + 8),
        usize::MAX,
        Carried::Ethernet,
    );
    found.blank(d, s + 1, s + 4);
    found.blank(d, s + 7, s + 8);
    Some(found)
}

/// VXLAN on a port other than 4789 (Linux's default 8472, a vendor's choice), recognised by
/// its content alone, so strictly that random UDP is not taken for it: the header exactly as
/// RFC 7348 writes it (flags 0x08, every reserved bit zero), then an Ethernet frame carrying
/// an IPv4 packet whose header checksum is right or an IPv6 packet, either filling the UDP
/// datagram to its last byte (or to the 60-byte minimum of an Ethernet frame).
fn vxlan_by_content(d: &[u8], u: usize, end: usize) -> Option<Found> {
    const ETHERNET: usize = 14;
    const MIN_ETHERNET_PAYLOAD: usize = 46;
    let s = u + 8;
    let ip = s + 8 + ETHERNET;
    if end < ip + 20 || d[s] != 0x08 || d[s + 1..s + 4] != [0, 0, 0] || d[s + 7] != 0 {
        return None;
    }
    // What the frame holds after its Ethernet header, by the UDP length (a snap length may
    // have cut the capture, not the datagram).
    let room = (u + usize::from(be16(d, u + 4))).checked_sub(ip)?;
    let fills =
        |len: usize| len == room || (len < MIN_ETHERNET_PAYLOAD && room == MIN_ETHERNET_PAYLOAD);
    let carried = match be16(d, ip - 2) {
        ETHERTYPE_IPV4 => {
            let header = usize::from(d[ip] & 0x0F) * 4;
            let sound = d[ip] >> 4 == 4
                && header >= 20
                && end >= ip + header
                && checksum::finish(checksum::sum(&d[ip..ip + header])) == 0;
            if !sound || !fills(usize::from(be16(d, ip + 2))) {
                return None;
            }
            Carried::Ethernet
        }
        ETHERTYPE_IPV6 => {
            if end < ip + 40 || d[ip] >> 4 != 6 || !fills(40 + usize::from(be16(d, ip + 4))) {
                return None;
            }
            Carried::Ethernet
        }
        _ => return None,
    };
    let vni = be32(d, s + 4) >> 8;
    Some(Found::new(
        Tunnel::Vxlan { vni },
        (u, s + 8),
        usize::MAX,
        carried,
    ))
}

/// L2TPv2 data messages (RFC 2661 section 3.1) carrying PPP (RFC 1661) with IPv4 (0x0021) or
/// IPv6 (0x0057). The T bit clear, version 2, every other bit one RFC 2661 defines; the
/// optional length bounds the carried packet, an offset pad is blanked. Control messages and
/// other PPP protocols are not followed. The tunnel and session IDs are the receiver's, so
/// they are not kept in the path (like GTP-U's TEID).
fn l2tp(d: &[u8], u: usize, end: usize) -> Option<Found> {
    const T: u16 = 0x8000;
    const L: u16 = 0x4000;
    const S: u16 = 0x0800;
    const O: u16 = 0x0200;
    const P: u16 = 0x0100;
    const VERSION: u16 = 0x000F;
    const PPP_IPV4: u16 = 0x0021;
    const PPP_IPV6: u16 = 0x0057;
    let s = u + 8;
    if end < s + 2 {
        return None;
    }
    let flags = be16(d, s);
    if flags & T != 0 || flags & VERSION != 2 || flags & !(L | S | O | P | VERSION) != 0 {
        return None;
    }
    let mut at = s + 2;
    let mut limit = usize::MAX;
    if flags & L != 0 {
        if end < at + 2 {
            return None;
        }
        limit = s + usize::from(be16(d, at));
        at += 2;
    }
    // Tunnel ID, session ID, then Ns and Nr when the S bit is set.
    at += 4 + if flags & S != 0 { 4 } else { 0 };
    let mut pad = None;
    if flags & O != 0 {
        if end < at + 2 {
            return None;
        }
        let size = usize::from(be16(d, at));
        pad = Some((at + 2, at + 2 + size));
        at += 2 + size;
    }
    // PPP: address and control (0xFF 0x03) unless compressed away, then the protocol.
    if end < at + 2 {
        return None;
    }
    if d[at] == 0xFF {
        if d[at + 1] != 0x03 || end < at + 4 {
            return None;
        }
        at += 2;
    }
    let carried = match be16(d, at) {
        PPP_IPV4 => Carried::Ipv4,
        PPP_IPV6 => Carried::Ipv6,
        _ => return None,
    };
    at += 2;
    if limit < at {
        return None;
    }
    let mut found = Found::new(Tunnel::L2tp, (u, at), limit, carried);
    if let Some((from, to)) = pad
        && !found.blank(d, from, to)
    {
        return None;
    }
    Some(found)
}

/// GENEVE (RFC 8926): version 0, options whose data is blanked (class, type and length stay,
/// so the header still parses), the protocol Ethernet or IP.
fn geneve(d: &[u8], u: usize, end: usize) -> Option<Found> {
    let s = u + 8;
    if end < s + 8 || d[s] >> 6 != 0 {
        return None;
    }
    let options = (s + 8, s + 8 + usize::from(d[s] & 0x3F) * 4);
    if end < options.1 {
        return None;
    }
    let carried = match be16(d, s + 2) {
        ETHERTYPE_TEB => Carried::Ethernet,
        ETHERTYPE_IPV4 => Carried::Ipv4,
        ETHERTYPE_IPV6 => Carried::Ipv6,
        _ => return None,
    };
    let vni = be32(d, s + 4) >> 8;
    let mut found = Found::new(Tunnel::Geneve { vni }, (u, options.1), usize::MAX, carried);
    found.blank(d, s + 7, s + 8);
    // Each option's data is blanked; when they do not parse, or there are more than the
    // blanks can hold, the whole area is: zeros read as empty options (class 0, type 0,
    // length 0), so the header stays valid either way.
    let before = found;
    if !geneve_option_data(d, options, &mut found) {
        found = before;
        found.blank(d, options.0, options.1);
    }
    Some(found)
}

fn geneve_option_data(d: &[u8], (from, to): (usize, usize), found: &mut Found) -> bool {
    let mut at = from;
    while at < to {
        if at + 4 > to {
            return false;
        }
        let data_end = at + 4 + usize::from(d[at + 3] & 0x1F) * 4;
        if data_end > to || !found.blank(d, at + 4, data_end) {
            return false;
        }
        at = data_end;
    }
    true
}

/// GTP-U (3GPP TS 29.281) version 1, a G-PDU (message type 255): the optional sequence number
/// and N-PDU number are kept, extension headers keep their length and type and lose their
/// contents; the carried IP is told by its version nibble.
fn gtpu(d: &[u8], u: usize, end: usize) -> Option<Found> {
    const G_PDU: u8 = 255;
    const E: u8 = 0x04;
    const OPTIONAL: u8 = 0x07;
    let s = u + 8;
    if end < s + 8 {
        return None;
    }
    let flags = d[s];
    // Version 1, protocol type GTP (not GTP'), the spare bit clear.
    if flags & 0xF8 != 0x30 || d[s + 1] != G_PDU {
        return None;
    }
    // The extension headers must lie in the captured bytes and inside the message.
    let message_end = s + 8 + usize::from(be16(d, s + 2));
    let limit = end.min(message_end);
    let mut at = s + 8;
    let mut found = Found::new(Tunnel::Gtpu, (u, at), message_end, Carried::IpByVersion);
    if flags & OPTIONAL != 0 {
        if limit < at + 4 {
            return None;
        }
        // The next-extension type is present whenever any optional field is, and only
        // meaningful with the E bit.
        let mut next = if flags & E != 0 { d[at + 3] } else { 0 };
        at += 4;
        let mut headers = 0;
        while next != 0 {
            headers += 1;
            if headers > MAX_TUNNEL_BLANKS || limit < at + 4 {
                return None;
            }
            let len = usize::from(d[at]) * 4;
            if len == 0 || limit < at + len {
                return None;
            }
            // Length byte, contents, next type: the contents may be anything (QoS flow
            // identifiers, PDU session information of a vendor's).
            if !found.blank(d, at + 1, at + len - 1) {
                return None;
            }
            next = d[at + len - 1];
            at += len;
        }
        found.header.1 = at;
    }
    Some(found)
}

#[cfg(test)]
mod tests;
