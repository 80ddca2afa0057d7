//! wire_decode: the bytes as one frame of each link type pcapscrub decodes (the first byte
//! picks it; 250.. pick an arbitrary link type code from the next four bytes).
//!
//! Invariants: no panic; when decoding gives a Layout, every offset it returns (MACs, blanked
//! link address, network header, IP addresses, option areas, routing-header addresses,
//! transport headers, ICMP quote and gateway, ARP addresses) lies within the frame. Offsets
//! that are *claims* (the IP packet's end by its length field, the TCP header's end by its data
//! offset, which may run past a short capture) are checked against each other instead.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pcapscrub::wire::{self, Layout, Net, Transport};

const LINK_TYPES: [u32; 10] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

fn within(what: &str, from: usize, to: usize, len: usize) {
    assert!(
        from <= to && to <= len,
        "{what}: {from}..{to} is not within the {len}-byte frame"
    );
}

fn check(l: &Layout, len: usize) {
    assert!(l.mac_count <= 2);
    for &m in l.macs() {
        within("MAC", m, m + 6, len);
    }
    if let Some((a, b)) = l.link_zero {
        within("blanked link address", a, b, len);
    }
    within("link header", 0, l.link_end, len);
    assert!(l.outers.len() <= wire::MAX_TUNNEL_DEPTH);
    for o in &l.outers {
        within("outer IP header", o.ip.start, o.ip.header_end, len);
        within("tunnel header", o.header.0, o.header.1, len);
        within("tunnelled link header", o.header.1, o.link_end, len);
        for &(a, b) in o.blanks() {
            within("tunnel blank", a, b, len);
        }
        for &m in o.macs() {
            within("tunnelled MAC", m, m + 6, len);
        }
        if let Some(c) = o.gre_checksum {
            within("GRE checksum", c, c + 2, len);
        }
    }
    match &l.net {
        Net::Unknown | Net::Truncated => {}
        Net::Arp(arp) => {
            assert_eq!(arp.start, l.link_end);
            within("ARP header", arp.start, arp.start + 8, len);
            if let Some(a) = arp.addrs {
                within("ARP", arp.start, arp.end(), len);
                for at in [a.sender_mac, a.target_mac] {
                    within("ARP MAC", at, at + 6, len);
                }
                for at in [a.sender_ip, a.target_ip] {
                    within("ARP IP", at, at + 4, len);
                }
            }
        }
        Net::Ip(ip) => {
            let n = ip.addr_len();
            assert!(ip.version == 4 || ip.version == 6);
            assert_eq!(ip.start, l.link_end);
            within("IP header", ip.start, ip.header_end, len);
            for (what, at) in [
                ("source", ip.src),
                ("destination", ip.dst),
                ("checksum destination", ip.checksum_dst),
            ] {
                within(what, at, at + n, len);
            }
            assert!(
                ip.end >= ip.header_end || ip.version == 6,
                "IPv4 end before its header"
            );
            assert!(ip.blank_count <= ip.blanks.len());
            for &(a, b) in ip.blanks() {
                within("option area", a, b, len);
                // Not `b <= header_end`: an IPv6 option header that the walk then rejects keeps
                // the areas found in it, past `header_end`. Harmless (everything past
                // `header_end` is removed anyway), but `ip_option_areas_blanked` counts them.
                assert!(a >= ip.start, "option area before the IP header");
            }
            if let Some((first, count)) = ip.routing_addrs {
                within("routing addresses", first, first + 16 * count, len);
                assert!(first + 16 * count <= ip.header_end);
            }
            match &ip.transport {
                Transport::Opaque => {}
                Transport::Tcp(t) => {
                    assert_eq!(t.start, ip.header_end);
                    within("TCP header", t.start, t.start + 20, len);
                    assert!(t.header_end >= t.start + 20 && t.header_end <= t.start + 60);
                    assert!(
                        t.header_end <= ip.end,
                        "TCP header ends after the IP packet"
                    );
                }
                Transport::Udp { start } => {
                    assert_eq!(*start, ip.header_end);
                    within("UDP header", *start, start + 8, len);
                    assert!(start + 8 <= ip.end);
                }
                Transport::Icmp(i) => {
                    assert_eq!(i.start, ip.header_end);
                    within("ICMP header", i.start, i.start + 8, len);
                    if let Some(g) = i.gateway {
                        within("ICMP gateway", g, g + 4, len);
                    }
                    if let Some(q) = i.quote {
                        let qn = if q.version == 4 { 4 } else { 16 };
                        within("quote", q.start, q.end, len);
                        within("quoted source", q.src, q.src + qn, len);
                        within("quoted destination", q.dst, q.dst + qn, len);
                        within(
                            "quoted IPv4 header",
                            q.start,
                            q.start + q.ipv4_header_len,
                            len,
                        );
                        if let Some(c) = q.udp_checksum {
                            within("quoted UDP checksum", c, c + 2, len);
                        }
                    }
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (link, frame) = if sel >= 250 && rest.len() >= 4 {
        (
            u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]),
            &rest[4..],
        )
    } else {
        (LINK_TYPES[usize::from(sel) % LINK_TYPES.len()], rest)
    };
    if let Ok(layout) = wire::decode(link, frame) {
        check(&layout, frame.len());
    }
});
