//! What addresses a sanitized capture may hold, and a check of every packet of one.
//!
//! The allowed sets are written out here from SECURITY.md, not taken from the
//! library, so the harness judges the library rather than agreeing with it.

use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};
use pcapscrub::fuzzing::OwnedPacket;
use pcapscrub::wire::{self, Net, Transport};

/// IPv4 a sanitized capture may show: the documentation and benchmarking ranges the mapping
/// writes (192.0.2/24 clients, 203.0.113/24 servers, 198.51.100/24 others, 198.18/15
/// overflow) and the kept specials: "this network" 0/8 (unspecified; the library keeps the
/// whole /8), loopback 127/8, multicast 224/4, limited broadcast.
pub fn allowed_ipv4(a: [u8; 4]) -> bool {
    matches!(
        a,
        [0, ..]
            | [127, ..]
            | [224..=239, ..]
            | [255, 255, 255, 255]
            | [192, 0, 2, _]
            | [198, 51, 100, _]
            | [203, 0, 113, _]
            | [198, 18 | 19, _, _]
    )
}

/// IPv6 a sanitized capture may show: 2001:db8::/32, fe80::/64 with an RFC 7042
/// documentation interface identifier (fe80::200:5eef:10xx:xxxx, or the EUI-64 form of the
/// documentation MACs fe80::200:5eff:fe00:53xx), unspecified, loopback, multicast, and
/// IPv4-mapped addresses of allowed IPv4 addresses.
pub fn allowed_ipv6(a: [u8; 16]) -> bool {
    const LINK_LOCAL: [u8; 8] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0];
    let v4_mapped = a[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
    a[..15] == [0; 15] && a[15] <= 1
        || a[0] == 0xff
        || a[..4] == [0x20, 0x01, 0x0d, 0xb8]
        || a[..8] == LINK_LOCAL
            && (a[8..13] == [0x02, 0x00, 0x5e, 0xef, 0x10]
                || a[8..15] == [0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x53])
        || v4_mapped && allowed_ipv4([a[12], a[13], a[14], a[15]])
}

/// MACs a sanitized capture may show: group addresses (broadcast, multicast), all-zero,
/// 00:00:5e:00:53:xx (RFC 7042) and the overflow block 02:00:5e:xx:xx:xx.
pub fn allowed_mac(m: [u8; 6]) -> bool {
    m[0] & 1 == 1 || m == [0; 6] || m[..5] == [0, 0, 0x5e, 0, 0x53] || m[..3] == [2, 0, 0x5e]
}

fn ip_at(d: &[u8], at: usize, len: usize) -> Result<(), String> {
    let Some(b) = d.get(at..at + len) else {
        return Err(format!("address at {at}..{} outside the packet", at + len));
    };
    let ok = if len == 4 {
        allowed_ipv4([b[0], b[1], b[2], b[3]])
    } else {
        allowed_ipv6(b.try_into().expect("16 bytes"))
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "address {b:02x?} at byte {at} is not in an allowed range"
        ))
    }
}

fn mac_at(d: &[u8], at: usize) -> Result<(), String> {
    let Some(b) = d.get(at..at + 6) else {
        return Err(format!("MAC at {at} outside the packet"));
    };
    if allowed_mac(b.try_into().expect("6 bytes")) {
        Ok(())
    } else {
        Err(format!(
            "MAC {b:02x?} at byte {at} is not in an allowed range"
        ))
    }
}

/// Every address of one output packet, as pcapscrub's own decoder finds them.
pub fn check_packet_decoded(link_type: u32, d: &[u8]) -> Result<(), String> {
    let Ok(layout) = wire::decode(link_type, d) else {
        return Ok(());
    };
    for &at in layout.macs() {
        mac_at(d, at)?;
    }
    if let Some((from, to)) = layout.link_zero
        && d.get(from..to.min(d.len()))
            .is_some_and(|z| z.iter().any(|&b| b != 0))
    {
        return Err(format!(
            "link-layer address {from}..{to} is not zero-filled"
        ));
    }
    for outer in &layout.outers {
        let n = outer.ip.addr_len();
        ip_at(d, outer.ip.src, n)?;
        ip_at(d, outer.ip.dst, n)?;
        for &at in outer.macs() {
            mac_at(d, at)?;
        }
    }
    match &layout.net {
        Net::Unknown | Net::Truncated => {
            if d.len() > layout.link_end {
                return Err(format!(
                    "{} bytes after a link header whose network layer is not understood",
                    d.len() - layout.link_end
                ));
            }
        }
        Net::Arp(arp) => {
            if let Some(a) = arp.addrs {
                mac_at(d, a.sender_mac)?;
                mac_at(d, a.target_mac)?;
                ip_at(d, a.sender_ip, 4)?;
                ip_at(d, a.target_ip, 4)?;
            }
            if d.len() > arp.end() {
                return Err("bytes after the ARP addresses survived".into());
            }
        }
        Net::Ip(ip) => {
            let n = ip.addr_len();
            ip_at(d, ip.src, n)?;
            ip_at(d, ip.dst, n)?;
            if let Some((first, count)) = ip.routing_addrs {
                for k in 0..count {
                    ip_at(d, first + 16 * k, 16)?;
                }
            }
            if let Transport::Icmp(icmp) = &ip.transport {
                if let Some(g) = icmp.gateway {
                    ip_at(d, g, 4)?;
                }
                if let Some(q) = icmp.quote {
                    let qn = if q.version == 4 { 4 } else { 16 };
                    ip_at(d, q.src, qn)?;
                    ip_at(d, q.dst, qn)?;
                }
            }
        }
    }
    Ok(())
}

/// The same with an independent decoder (etherparse) for the link types it knows: IPv4/IPv6
/// source and destination, and the IP header quoted by an ICMP error.
pub fn check_packet_etherparse(link_type: u32, d: &[u8]) -> Result<(), String> {
    let parsed = match link_type {
        1 => LaxSlicedPacket::from_ethernet(d).ok(),
        12 | 14 | 101 | 228 | 229 => LaxSlicedPacket::from_ip(d).ok(),
        0 | 108 if d.len() > 4 => LaxSlicedPacket::from_ip(&d[4..]).ok(),
        113 if d.len() > 16 => Some(LaxSlicedPacket::from_ether_type(
            u16::from_be_bytes([d[14], d[15]]).into(),
            &d[16..],
        )),
        276 if d.len() > 20 => Some(LaxSlicedPacket::from_ether_type(
            u16::from_be_bytes([d[0], d[1]]).into(),
            &d[20..],
        )),
        _ => None,
    };
    let Some(p) = parsed else { return Ok(()) };
    check_net(&p, "")?;
    let quoted = match &p.transport {
        Some(TransportSlice::Icmpv4(icmp)) if matches!(icmp.type_u8(), 3 | 4 | 5 | 11 | 12) => {
            Some(icmp.payload())
        }
        Some(TransportSlice::Icmpv6(icmp)) if matches!(icmp.type_u8(), 1..=4) => {
            Some(icmp.payload())
        }
        _ => None,
    };
    if let Some(q) = quoted
        && let Ok(inner) = LaxSlicedPacket::from_ip(q)
    {
        check_net(&inner, "quoted ")?;
    }
    Ok(())
}

fn check_net(p: &LaxSlicedPacket<'_>, what: &str) -> Result<(), String> {
    match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            for a in [h.source(), h.destination()] {
                if !allowed_ipv4(a) {
                    return Err(format!("etherparse: {what}IPv4 {a:?} not allowed"));
                }
            }
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            for a in [h.source(), h.destination()] {
                if !allowed_ipv6(a) {
                    return Err(format!("etherparse: {what}IPv6 {a:02x?} not allowed"));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Both checks over every packet of a sanitized capture.
pub fn check_capture(packets: &[OwnedPacket]) -> Result<(), String> {
    for p in packets {
        check_packet_decoded(p.link_type, &p.data)
            .and_then(|()| check_packet_etherparse(p.link_type, &p.data))
            .map_err(|e| format!("output packet {}: {e}", p.number))?;
    }
    Ok(())
}
