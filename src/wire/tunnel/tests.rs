//! Each tunnel decoder on hand-built bytes: what it finds, what it blanks, and that every
//! truncation of a frame decodes without a panic and never reaches past the captured bytes.

use crate::wire::{Layout, MAX_TUNNEL_DEPTH, Net, Transport, Tunnel, decode};

const ETHERNET: u32 = 1;

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0xd1, 0x02, 0, 0, 0, 0, 0x51];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2]);
    p.extend_from_slice(payload);
    p
}

fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend_from_slice(&[0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend_from_slice(&[0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(payload);
    p
}

fn udp(dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = vec![0xc0, 0x01];
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// A TCP segment from port 40000 to 443 carrying `b"hello"`.
fn tcp() -> Vec<u8> {
    let mut t = vec![
        0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff,
    ];
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(b"hello");
    t
}

fn inner_ipv4_tcp() -> Vec<u8> {
    ipv4(6, &tcp())
}

fn decoded(frame: &[u8]) -> Layout {
    decode(ETHERNET, frame).expect("an Ethernet frame")
}

/// The innermost TCP header's ports, when the packet decodes to one.
fn inner_ports(layout: &Layout) -> Option<(u16, u16)> {
    match &layout.ip()?.transport {
        Transport::Tcp(t) => Some((t.src_port, t.dst_port)),
        _ => None,
    }
}

/// Every prefix of `frame` decodes without a panic, every offset it names lies inside it, and
/// a tunnel is only reported when its whole header was captured.
fn every_truncation_is_safe(frame: &[u8]) {
    for len in 0..=frame.len() {
        let Ok(layout) = decode(ETHERNET, &frame[..len]) else {
            continue;
        };
        for outer in &layout.outers {
            assert!(outer.header.1 <= len, "header past the capture at {len}");
            for &(from, to) in outer.blanks() {
                assert!(from <= to && to <= len, "blank past the capture at {len}");
            }
            if let Some(c) = outer.gre_checksum {
                assert!(c + 2 <= len);
            }
            for &at in outer.macs() {
                assert!(at + 6 <= len);
            }
        }
        if let Some(ip) = layout.ip() {
            assert!(ip.header_end <= len);
        }
    }
}

#[test]
fn gre_with_checksum_and_key_carries_ipv4() {
    // C and K bits, protocol IPv4, checksum word, key 7.
    let mut gre = vec![0xa0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 7];
    gre.extend(inner_ipv4_tcp());
    let frame = ethernet(0x0800, &ipv4(47, &gre));
    let layout = decoded(&frame);
    assert_eq!(layout.outers.len(), 1);
    let outer = &layout.outers[0];
    assert_eq!(outer.tunnel, Tunnel::Gre { key: Some(7) });
    assert_eq!(outer.tunnel.label(), "gre:7");
    assert_eq!(outer.header, (34, 46));
    assert_eq!(outer.gre_checksum, Some(38));
    assert_eq!(layout.link_end, 46);
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
}

#[test]
fn gre_with_routing_or_another_version_is_not_understood() {
    for flags in [0x40u8, 0x01] {
        let mut gre = vec![flags, 0x00, 0x08, 0x00, 0, 0, 0, 0];
        gre.extend(inner_ipv4_tcp());
        let layout = decoded(&ethernet(0x0800, &ipv4(47, &gre)));
        assert!(layout.outers.is_empty(), "flags {flags:#x}");
        assert_eq!(layout.ip().map(|ip| ip.proto), Some(47));
        assert_eq!(inner_ports(&layout), None);
    }
    // An unknown protocol inside GRE (MPLS) is not followed either.
    let mut gre = vec![0, 0, 0x88, 0x47];
    gre.extend(inner_ipv4_tcp());
    assert!(
        decoded(&ethernet(0x0800, &ipv4(47, &gre)))
            .outers
            .is_empty()
    );
}

#[test]
fn gre_transparent_bridging_and_erspan_carry_ethernet() {
    let inner = ethernet(0x0800, &inner_ipv4_tcp());
    let mut teb = vec![0, 0, 0x65, 0x58];
    teb.extend_from_slice(&inner);
    let frame = ethernet(0x0800, &ipv4(47, &teb));
    let layout = decoded(&frame);
    assert_eq!(layout.outers[0].tunnel, Tunnel::Gre { key: None });
    assert_eq!(layout.outers[0].macs(), &[38, 44]);
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // ERSPAN type II (S bit, sequence number, version 1, session 5).
    let mut erspan = vec![
        0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x00, 0x00, 0x05, 0, 0, 0, 0,
    ];
    erspan.extend_from_slice(&inner);
    let frame = ethernet(0x0800, &ipv4(47, &erspan));
    let layout = decoded(&frame);
    assert_eq!(layout.outers[0].tunnel, Tunnel::Erspan { session: 5 });
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // ERSPAN type III with the platform subheader: its 8 bytes are blanked.
    let mut erspan3 = vec![
        0, 0, 0x22, 0xeb, 0x20, 0, 0, 0x09, 0, 0, 0, 1, 0, 0, 0, 0x01,
    ];
    erspan3.extend_from_slice(&[9; 8]);
    erspan3.extend_from_slice(&inner);
    let frame = ethernet(0x0800, &ipv4(47, &erspan3));
    let layout = decoded(&frame);
    assert_eq!(layout.outers[0].tunnel, Tunnel::Erspan { session: 9 });
    assert_eq!(layout.outers[0].blanks(), &[(50, 58)]);
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
}

#[test]
fn ip_in_ip_is_named_by_both_versions() {
    let cases = [
        (ethernet(0x0800, &ipv4(4, &inner_ipv4_tcp())), "ipip"),
        (ethernet(0x0800, &ipv4(41, &ipv6(6, &tcp()))), "6in4"),
        (ethernet(0x86dd, &ipv6(4, &inner_ipv4_tcp())), "4in6"),
        (ethernet(0x86dd, &ipv6(41, &ipv6(6, &tcp()))), "6in6"),
    ];
    for (frame, label) in cases {
        let layout = decoded(&frame);
        assert_eq!(layout.outers.len(), 1, "{label}");
        assert_eq!(layout.outers[0].tunnel.label(), label);
        assert_eq!(inner_ports(&layout), Some((40000, 443)), "{label}");
        every_truncation_is_safe(&frame);
    }
}

#[test]
fn vxlan_carries_ethernet_and_zeroes_reserved_fields() {
    let mut vx = vec![0x08, 0, 0, 0x77, 0, 0, 42, 0x01];
    vx.extend(ethernet(0x0800, &inner_ipv4_tcp()));
    let frame = ethernet(0x0800, &ipv4(17, &udp(4789, &vx)));
    let layout = decoded(&frame);
    let outer = &layout.outers[0];
    assert_eq!(outer.tunnel.label(), "vxlan:42");
    assert_eq!(outer.header, (34, 50));
    assert_eq!(outer.blanks(), &[(43, 46), (49, 50)]);
    assert_eq!(outer.macs(), &[50, 56]);
    assert!(matches!(outer.ip.transport, Transport::Udp { start: 34 }));
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // Other flags (VXLAN-GPE, group policy) are not understood: only the UDP header is kept.
    vx[0] = 0x88;
    let layout = decoded(&ethernet(0x0800, &ipv4(17, &udp(4789, &vx))));
    assert!(layout.outers.is_empty());
    // The port is the destination's: a source port of 4789 is an ephemeral one.
    let mut reply = udp(53, &vx);
    reply[0..2].copy_from_slice(&4789u16.to_be_bytes());
    assert!(
        decoded(&ethernet(0x0800, &ipv4(17, &reply)))
            .outers
            .is_empty()
    );
}

#[test]
fn geneve_blanks_option_data_and_keeps_its_framing() {
    // One option: class 0x0102, type 3, length 1 word, data 0xdeadbeef; protocol IPv4.
    let mut gn = vec![0x02, 0, 0x08, 0x00, 0, 0, 9, 0];
    gn.extend_from_slice(&[0x01, 0x02, 0x03, 0x01, 0xde, 0xad, 0xbe, 0xef]);
    gn.extend(inner_ipv4_tcp());
    let frame = ethernet(0x0800, &ipv4(17, &udp(6081, &gn)));
    let layout = decoded(&frame);
    let outer = &layout.outers[0];
    assert_eq!(outer.tunnel.label(), "geneve:9");
    // UDP at 34, GENEVE at 42, options at 50, the option's data at 54.
    assert_eq!(outer.blanks(), &[(54, 58)]);
    assert_eq!(outer.header, (34, 58));
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // An option whose length runs past the area: the whole area is blanked.
    gn[11] = 0x05;
    let layout = decoded(&ethernet(0x0800, &ipv4(17, &udp(6081, &gn))));
    assert_eq!(layout.outers[0].blanks(), &[(50, 58)]);
    // Version 1 is not understood.
    gn[0] = 0x42;
    assert!(
        decoded(&ethernet(0x0800, &ipv4(17, &udp(6081, &gn))))
            .outers
            .is_empty()
    );
}

#[test]
fn gtpu_blanks_extension_contents_and_finds_ip_by_version() {
    let inner = ipv6(6, &tcp());
    // Flags: version 1, PT, E and S; G-PDU; length; TEID; sequence 0x0102, N-PDU 0, next
    // extension 0x85 (PDU session container), one 4-byte extension with contents 0xaabb.
    let mut gtp = vec![0x36, 0xff];
    gtp.extend_from_slice(&((8 + inner.len()) as u16).to_be_bytes());
    gtp.extend_from_slice(&[0, 0, 0, 0x2a, 0x01, 0x02, 0, 0x85, 0x01, 0xaa, 0xbb, 0x00]);
    gtp.extend_from_slice(&inner);
    let frame = ethernet(0x0800, &ipv4(17, &udp(2152, &gtp)));
    let layout = decoded(&frame);
    let outer = &layout.outers[0];
    assert_eq!(outer.tunnel, Tunnel::Gtpu);
    // UDP at 34, GTP-U at 42, optional fields at 50, the extension at 54.
    assert_eq!(outer.header, (34, 58));
    assert_eq!(outer.blanks(), &[(55, 57)]);
    assert_eq!(layout.ip().map(|ip| ip.version), Some(6));
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // Any other message type (an echo request) is not a G-PDU.
    let mut echo = gtp.clone();
    echo[1] = 1;
    assert!(
        decoded(&ethernet(0x0800, &ipv4(17, &udp(2152, &echo))))
            .outers
            .is_empty()
    );
    // An extension of length 0 never ends: not understood.
    gtp[12] = 0;
    assert!(
        decoded(&ethernet(0x0800, &ipv4(17, &udp(2152, &gtp))))
            .outers
            .is_empty()
    );
}

#[test]
fn mpls_labels_lead_to_ip_by_version() {
    // Two labels, the second with the bottom-of-stack bit.
    let mut labels = vec![0, 0x01, 0x00, 0x40, 0, 0x02, 0x01, 0x40];
    labels.extend(inner_ipv4_tcp());
    let frame = ethernet(0x8847, &labels);
    let layout = decoded(&frame);
    assert!(layout.mpls);
    assert_eq!(layout.link_end, 22);
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
}

#[test]
fn nesting_stops_at_the_depth_bound() {
    let mut packet = inner_ipv4_tcp();
    for _ in 0..MAX_TUNNEL_DEPTH + 2 {
        packet = ipv4(4, &packet);
    }
    let layout = decoded(&ethernet(0x0800, &packet));
    assert_eq!(layout.outers.len(), MAX_TUNNEL_DEPTH);
    // What the deepest tunnel followed carries is an IP-in-IP packet left opaque.
    assert!(matches!(layout.net, Net::Ip(ip) if ip.proto == 4));
}

#[test]
fn a_fragmented_outer_packet_is_not_followed() {
    let mut frame = ethernet(0x0800, &ipv4(4, &inner_ipv4_tcp()));
    // More fragments.
    frame[20] = 0x20;
    assert!(decoded(&frame).outers.is_empty());
}

/// An IPv4 packet with its header checksum right (the content test of VXLAN asks for it).
fn ipv4_checked(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = ipv4(proto, payload);
    let c = crate::wire::checksum::finish(crate::wire::checksum::sum(&p[..20]));
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p
}

#[test]
fn vxlan_on_another_port_is_recognised_by_its_content() {
    let header = [0x08, 0, 0, 0, 0, 0, 42, 0];
    let mut vx = header.to_vec();
    vx.extend(ethernet(0x0800, &ipv4_checked(6, &tcp())));
    let frame = ethernet(0x0800, &ipv4(17, &udp(8472, &vx)));
    let layout = decoded(&frame);
    assert_eq!(layout.outers.len(), 1);
    assert_eq!(layout.outers[0].tunnel.label(), "vxlan:42");
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // IPv6 inside, told by its payload length filling the frame.
    let mut vx6 = header.to_vec();
    vx6.extend(ethernet(0x86dd, &ipv6(6, &tcp())));
    let layout = decoded(&ethernet(0x0800, &ipv4(17, &udp(8472, &vx6))));
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    // Anything less exact is UDP: a wrong inner header checksum, a reserved bit, a byte after
    // the inner packet, another EtherType, a frame shorter than its IP packet says.
    let mut bad_sum = vx.clone();
    bad_sum[8 + 14 + 10] ^= 1;
    let mut reserved = vx.clone();
    reserved[3] = 1;
    // (The 45-byte inner packet may be padded to the 46 bytes of a minimum frame: two more
    // bytes are not padding.)
    let mut trailing = vx.clone();
    trailing.extend([0, 0]);
    let mut arp = vx.clone();
    arp[8 + 12..8 + 14].copy_from_slice(&[0x08, 0x06]);
    let mut short6 = vx6.clone();
    short6.pop();
    for (what, payload) in [
        ("checksum", bad_sum),
        ("reserved", reserved),
        ("trailing", trailing),
        ("ethertype", arp),
        ("ipv6 length", short6),
    ] {
        let layout = decoded(&ethernet(0x0800, &ipv4(17, &udp(8472, &payload))));
        assert!(layout.outers.is_empty(), "{what}");
    }
}

#[test]
fn l2tp_data_carries_ppp_ip() {
    // L bit and version 2, length, tunnel 7, session 9, PPP address/control, IPv4.
    let inner = inner_ipv4_tcp();
    let mut l2 = vec![0x40, 0x02];
    l2.extend(((12 + inner.len()) as u16).to_be_bytes());
    l2.extend([0, 7, 0, 9, 0xff, 0x03, 0x00, 0x21]);
    l2.extend(&inner);
    let frame = ethernet(0x0800, &ipv4(17, &udp(1701, &l2)));
    let layout = decoded(&frame);
    assert_eq!(layout.outers.len(), 1);
    let outer = &layout.outers[0];
    assert_eq!(outer.tunnel.label(), "l2tp");
    assert_eq!(outer.header, (34, 54));
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // The answer from port 1701 to the initiator's; sequence numbers, an offset pad (blanked)
    // and compressed PPP address/control, IPv6 inside.
    let mut reply = vec![
        0x0a, 0x02, 0, 7, 0, 9, 0, 1, 0, 2, 0, 2, 0xab, 0xcd, 0x00, 0x57,
    ];
    reply.extend(ipv6(6, &tcp()));
    let mut datagram = udp(40001, &reply);
    datagram[0..2].copy_from_slice(&1701u16.to_be_bytes());
    let frame = ethernet(0x0800, &ipv4(17, &datagram));
    let layout = decoded(&frame);
    assert_eq!(layout.outers[0].blanks(), &[(54, 56)]);
    assert_eq!(inner_ports(&layout), Some((40000, 443)));
    every_truncation_is_safe(&frame);
    // A control message (T bit), version 3, a reserved bit, another PPP protocol (LCP), a
    // length shorter than the header: not followed.
    for (at, value) in [(0, 0xc0), (1, 0x03), (1, 0x12), (10, 0xc0), (3, 4)] {
        let mut other = l2.clone();
        other[at] = value;
        let layout = decoded(&ethernet(0x0800, &ipv4(17, &udp(1701, &other))));
        assert!(layout.outers.is_empty(), "byte {at} = {value:#x}");
    }
}
