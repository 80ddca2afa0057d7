//! `pcapscrub sanitize` and `pcapscrub policy` end to end: payload handling per policy, the
//! evidence folder, keys, policies, stdin, and the shape of every error.
//!
//! Fixtures are generated in code (see `fixtures_gen`); nothing here needs tshark.

mod fixtures_gen;

use std::fs;
use std::path::Path;

use etherparse::Ipv4HeaderSlice;
use fixtures_gen::*;

/// Ethernet + IPv4 + TCP header lengths of a fixture segment.
fn eth_v4_headers(seg: &ConvSeg) -> usize {
    14 + 20 + 20 + seg.tcp.options.len()
}

fn eth_v4_pcap(conv: &[ConvSeg]) -> Vec<u8> {
    conversation_pcap(conv, Link::Ethernet, false)
}

/// The mapped IPv4 source and destination of an Ethernet/IPv4 frame.
fn v4_addrs(frame: &[u8]) -> ([u8; 4], [u8; 4]) {
    let ip = Ipv4HeaderSlice::from_slice(&frame[14..]).expect("IPv4 header survives");
    (ip.source(), ip.destination())
}

fn tcp_checksum_field(frame: &[u8], tcp_at: usize) -> u16 {
    u16::from_be_bytes([frame[tcp_at + 16], frame[tcp_at + 17]])
}

// ---------------------------------------------------------------------------------------------
// Payload: TLS record headers kept, everything else cut (ticket) or zero-filled (review)
// ---------------------------------------------------------------------------------------------

#[test]
fn tls_stream_keeps_exactly_the_record_header_under_ticket() {
    let s = Scratch::new();
    let conv = tls_conversation();
    let input = s.write("tls.pcap", &eth_v4_pcap(&conv));
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized capture");
    let (_, pkts) = read_pcap(&bytes);
    assert_eq!(pkts.len(), conv.len());
    let data = &pkts[3];
    let headers = eth_v4_headers(&conv[3]);
    assert_eq!(
        data.data.len(),
        headers + 5,
        "only the 5-byte TLS record header follows the TCP header"
    );
    assert_eq!(&data.data[headers..], &TLS_HEADER);
    assert_eq!(
        data.orig_len as usize,
        headers + tls_client_record().len(),
        "original length kept"
    );
    assert_eq!(
        tcp_checksum_field(&data.data, 34),
        0,
        "TCP checksum is zero once payload is cut"
    );
    let ip = &data.data[14..34];
    assert!(ipv4_header_checksum_ok(ip), "IPv4 header checksum valid");
    // The IP total length still describes the original packet.
    assert_eq!(
        Ipv4HeaderSlice::from_slice(ip).unwrap().total_len() as usize,
        20 + 20 + tls_client_record().len()
    );

    assert_summary_clean(&outdir.join("capture.summary.yaml"));
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.int("redactions.tls_record_headers_kept"), 1);
    assert_eq!(sum.str("policy.name"), "ticket");
}

#[test]
fn tls_stream_under_review_keeps_length_zero_fills_body_and_checksums() {
    let s = Scratch::new();
    let conv = tls_conversation();
    let input_bytes = eth_v4_pcap(&conv);
    let input = s.write("tls.pcap", &input_bytes);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &["-p", "review"]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized capture");
    let (_, inp) = read_pcap(&input_bytes);
    let (_, pkts) = read_pcap(&bytes);
    assert_eq!(pkts.len(), inp.len());
    for (o, i) in pkts.iter().zip(&inp) {
        assert_eq!(
            o.data.len(),
            i.data.len(),
            "review keeps every captured length"
        );
        assert_eq!(o.orig_len, i.orig_len);
    }
    let frame = &pkts[3].data;
    let headers = eth_v4_headers(&conv[3]);
    assert_eq!(&frame[headers..headers + 5], &TLS_HEADER);
    assert!(
        frame[headers + 5..].iter().all(|&b| b == 0),
        "record body zero-filled"
    );
    let (src, dst) = v4_addrs(frame);
    assert!(
        transport_checksum_ok(&src, &dst, 6, &frame[34..]),
        "TCP checksum valid over the zero-filled payload"
    );
    assert!(ipv4_header_checksum_ok(&frame[14..34]));
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.str("policy.name"), "review");
}

#[test]
fn http_payload_is_cut_entirely() {
    let s = Scratch::new();
    let conv = http_conversation();
    let input = s.write("http.pcap", &eth_v4_pcap(&conv));
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized capture");
    assert!(!contains(&bytes, b"HTTP/1.1"), "HTTP text removed");
    assert!(!contains(&bytes, b"intranet"), "host name removed");
    let (_, pkts) = read_pcap(&bytes);
    for (i, (p, seg)) in pkts.iter().zip(&conv).enumerate() {
        let headers = eth_v4_headers(seg);
        assert_eq!(p.data.len(), headers, "packet {i}: headers only");
        let field = tcp_checksum_field(&p.data, 34);
        let (src, dst) = v4_addrs(&p.data);
        if seg.tcp.payload.is_empty() {
            assert!(
                transport_checksum_ok(&src, &dst, 6, &p.data[34..]),
                "packet {i}: no payload, TCP checksum valid"
            );
        } else {
            assert_eq!(field, 0, "packet {i}: payload cut, TCP checksum zero");
            assert_eq!(
                p.orig_len as usize,
                14 + 20 + 20 + seg.tcp.payload.len(),
                "packet {i}: original length kept"
            );
        }
    }
    assert_summary_clean(&outdir.join("capture.summary.yaml"));
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.int("redactions.tls_record_headers_kept"), 0);
}

/// TLS record headers are found by reassembly, not per packet: a header split across two
/// segments is kept in both parts, two records in one segment keep both headers (the body
/// between them zero-filled), and a retransmission with different bytes gets the analysed
/// header, never its own bytes.
#[test]
fn tls_headers_split_across_segments_coalesced_and_retransmitted() {
    let base = tls_conversation();
    let rec = tls_client_record();
    let c1 = CLIENT_ISN + 1;
    let data = |seq: u32, payload: &[u8]| {
        let mut s = base[3].clone();
        s.tcp.seq = seq;
        s.tcp.payload = payload.to_vec();
        s
    };
    let two_records = [
        0x16, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01,
    ];
    let mut conflicting = b"GET /".to_vec();
    conflicting.extend_from_slice(SECRET);
    conflicting.resize(rec.len(), b'!');
    let mut conv = base[..3].to_vec();
    conv.push(data(c1, &rec[..3]));
    conv.push(data(c1 + 3, &rec[3..]));
    conv.push(data(c1 + rec.len() as u32, &two_records));
    conv.push(data(c1, &conflicting));
    let expected: [&[u8]; 4] = [
        &rec[..3],
        &rec[3..5],
        // The ChangeCipherSpec body (its single byte 0x01) is evidence and is kept too.
        &[
            0x16, 0x03, 0x03, 0x00, 0x02, 0x00, 0x00, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01,
        ],
        &TLS_HEADER,
    ];

    let s = Scratch::new();
    let input_bytes = eth_v4_pcap(&conv);
    let input = s.write("split.pcap", &input_bytes);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized capture");
    assert!(!contains(&bytes, b"GET /"), "retransmitted bytes not kept");
    let (_, pkts) = read_pcap(&bytes);
    assert_eq!(pkts.len(), conv.len());
    for (k, want) in expected.iter().enumerate() {
        let p = &pkts[3 + k].data;
        let h = eth_v4_headers(&conv[3 + k]);
        assert_eq!(&p[h..], *want, "segment {}: kept bytes", k + 1);
    }

    // Under review the same bytes are kept, everything else in the payload is zero.
    let outdir = s.path("review");
    sanitize_ok(&[&input], &outdir, &["-p", "review"]);
    let (_, pkts) = read_pcap(&fs::read(outdir.join("capture.sanitized.pcap")).unwrap());
    let (_, inp) = read_pcap(&input_bytes);
    for (k, want) in expected.iter().enumerate() {
        let p = &pkts[3 + k].data;
        let h = eth_v4_headers(&conv[3 + k]);
        assert_eq!(p.len(), inp[3 + k].data.len(), "segment {}: length", k + 1);
        assert_eq!(&p[h..h + want.len()], *want, "segment {}", k + 1);
        assert!(
            p[h + want.len()..].iter().all(|&b| b == 0),
            "segment {}: rest zero-filled",
            k + 1
        );
        let (src, dst) = v4_addrs(p);
        let ip_end = 14 + Ipv4HeaderSlice::from_slice(&p[14..]).unwrap().total_len() as usize;
        assert!(
            transport_checksum_ok(&src, &dst, 6, &p[34..ip_end]),
            "segment {}: TCP checksum valid",
            k + 1
        );
    }
}

/// Several captures in one run share one mapping: the same host gets the same pseudonym in
/// each output, whatever the container and link type.
#[test]
fn several_captures_share_one_mapping() {
    let s = Scratch::new();
    let a = s.write("a.pcap", &tls_pcap(Link::Ethernet, false));
    let mut ng = Ng::section(false, &[]);
    ng.idb(101, 65_535, &[]);
    for seg in tls_conversation() {
        let f = seg.ip(false);
        ng.epb(0, 1, &f, f.len() as u32, &[]);
    }
    let b = s.write("b.pcapng", &ng.buf);
    let outdir = s.path("out");
    sanitize_ok(&[&a, &b], &outdir, &[]);
    assert_eq!(
        listing(&outdir),
        vec![
            "SHA256SUMS",
            "capture-1.ladder.svg",
            "capture-1.sanitized.pcap",
            "capture-1.summary.yaml",
            "capture-2.ladder.svg",
            "capture-2.sanitized.pcapng",
            "capture-2.summary.yaml",
            "policy.yaml",
            "report.html"
        ]
    );
    let sa = summary(&outdir.join("capture-1.summary.yaml"));
    let sb = summary(&outdir.join("capture-2.summary.yaml"));
    let endpoints = |v: &fixtures_gen::serde_json_like::Value| {
        let c = &v.seq("connections")[0];
        (c.str("client").to_string(), c.str("server").to_string())
    };
    assert_eq!(endpoints(&sa), endpoints(&sb));
    let (_, pa) = read_pcap(&fs::read(outdir.join("capture-1.sanitized.pcap")).unwrap());
    let nb = read_pcapng(&fs::read(outdir.join("capture-2.sanitized.pcapng")).unwrap());
    let first_b = nb
        .iter()
        .find_map(|blk| match blk {
            NgOut::Packet { data, .. } => Some(data.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(pa[0].data[26..34], first_b[12..20], "same mapped addresses");
    let sums = fs::read_to_string(outdir.join("SHA256SUMS")).unwrap();
    // Also policy.yaml.
    assert_eq!(sums.lines().count(), 8, "{sums}");
}

/// IPv6 link-local addresses embed the MAC (EUI-64): the interface identifier must go;
/// multicast destinations (IPv6 and MAC) stay as they are.
#[test]
fn ipv6_link_local_interface_identifier_is_rewritten_and_multicast_kept() {
    let mut link_local = [0u8; 16];
    link_local[0] = 0xfe;
    link_local[1] = 0x80;
    let eui64 = [0x10, 0x34, 0x56, 0xff, 0xfe, 0x78, 0x9a, 0xbc];
    link_local[8..].copy_from_slice(&eui64);
    let mut all_routers = [0u8; 16];
    all_routers[0] = 0xff;
    all_routers[1] = 0x02;
    all_routers[13] = 1;
    all_routers[15] = 2;
    let udp = ip_udp(
        Addr::V6(link_local),
        Addr::V6(all_routers),
        546,
        547,
        SECRET,
    );
    let mcast_mac = [0x33, 0x33, 0x00, 0x01, 0x00, 0x02];
    let frame = ethernet(mcast_mac, CLIENT_MAC, ETHERTYPE_IPV6, &udp);
    let s = Scratch::new();
    let input = s.write(
        "ll.pcap",
        &pcap_file(PcapFormat::new(1), &timed(vec![frame], false)),
    );
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized capture");
    assert!(
        !contains(&bytes, &eui64),
        "EUI-64 interface identifier kept"
    );
    let (_, pkts) = read_pcap(&bytes);
    let p = &pkts[0].data;
    assert_eq!(p[..6], mcast_mac, "multicast MAC kept");
    assert_eq!(p[14 + 24..14 + 40], all_routers, "multicast IPv6 kept");
    assert_eq!(p.len(), 14 + 40 + 8, "UDP payload cut");
}

/// IPv4 options (record route), an ICMP error quoting a packet, and ARP all carry addresses;
/// none may survive, and every checksum over bytes still present must be right.
#[test]
fn addresses_inside_ip_options_icmp_quotes_and_arp_are_rewritten() {
    let s = Scratch::new();
    // Record route: type 7, length 11, pointer 12, two recorded addresses.
    let mut rr = vec![7, 11, 12];
    rr.extend_from_slice(&CLIENT_V4);
    rr.extend_from_slice(&SERVER_V4);
    let syn = &tls_conversation()[0];
    let tcp = tcp_segment(Addr::V4(CLIENT_V4), Addr::V4(SERVER_V4), &syn.tcp);
    let with_options = ipv4_packet(CLIENT_V4, SERVER_V4, 6, &rr, &tcp);
    // A UDP datagram from the client, and the ICMP port-unreachable that quotes it.
    let udp = ip_udp(
        Addr::V4(CLIENT_V4),
        Addr::V4(OTHER_V4),
        40_000,
        5_000,
        SECRET,
    );
    let icmp = icmpv4(3, 3, [0; 4], &udp[..28]);
    let icmp_ip = ipv4_packet(OTHER_V4, CLIENT_V4, 1, &[], &icmp);
    let frames = vec![
        pad60(ethernet(
            SERVER_MAC,
            CLIENT_MAC,
            ETHERTYPE_IPV4,
            &with_options,
        )),
        pad60(ethernet(OTHER_MAC, CLIENT_MAC, ETHERTYPE_IPV4, &udp)),
        pad60(ethernet(CLIENT_MAC, OTHER_MAC, ETHERTYPE_IPV4, &icmp_ip)),
        pad60(ethernet(
            [0xff; 6],
            CLIENT_MAC,
            ETHERTYPE_ARP,
            &arp_request(CLIENT_MAC, CLIENT_V4, SERVER_V4),
        )),
    ];
    let input = s.write(
        "mixed.pcap",
        &pcap_file(PcapFormat::new(1), &timed(frames, false)),
    );
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    assert_summary_clean(&outdir.join("capture.summary.yaml"));
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized capture");
    let (_, pkts) = read_pcap(&bytes);
    assert_eq!(pkts.len(), 4);

    // Record route became NOPs; the header length and checksum stay right.
    let p = &pkts[0].data;
    assert_eq!(p[14], 0x48, "IHL unchanged");
    assert!(p[34..46].iter().all(|&b| b == 1), "options are NOPs");
    assert!(ipv4_header_checksum_ok(&p[14..46]));

    // The ICMP error: outer and quoted IPv4 headers both valid, quoted addresses mapped the
    // same way as the real ones, ICMP checksum valid (nothing after the quote was cut).
    let p = &pkts[2].data;
    assert!(ipv4_header_checksum_ok(&p[14..34]));
    let quoted = &p[42..62];
    assert!(
        ipv4_header_checksum_ok(quoted),
        "quoted IPv4 header checksum"
    );
    let udp_out = &pkts[1].data;
    assert_eq!(
        &quoted[12..20],
        &udp_out[26..34],
        "the quote carries the same mapped addresses as the datagram it quotes"
    );
    assert_eq!(p.len(), 14 + 20 + 8 + 28, "ICMP error keeps the quote only");
    assert_eq!(fold(sum16(&p[34..])), 0, "ICMP checksum valid");

    // ARP: sender addresses mapped the same way as in IP and Ethernet.
    let arp = &pkts[3].data;
    assert_eq!(arp.len(), 14 + 28, "ARP padding cut");
    assert_eq!(
        &arp[22..28],
        &arp[6..12],
        "ARP sender MAC = frame source MAC"
    );
    assert_eq!(
        &arp[28..32],
        &udp_out[26..30],
        "ARP sender IP = mapped client"
    );
}

/// Bytes after the end of the IP packet (Ethernet trailer) are not parsed, so they must not
/// survive, even when a TCP data offset claims them as header.
#[test]
fn bytes_beyond_the_ip_packet_never_survive() {
    let s = Scratch::new();
    let syn = &tls_conversation()[0];
    let mut plain = pad60(ethernet(
        SERVER_MAC,
        CLIENT_MAC,
        ETHERTYPE_IPV4,
        &syn.ip(false),
    ));
    plain.truncate(14 + 44);
    plain.extend_from_slice(SECRET);
    // Same, but the TCP header claims 60 bytes while the IP packet holds only 40.
    let mut ip = ipv4_packet(CLIENT_V4, SERVER_V4, 6, &[], &[0; 20]);
    ip[20..22].copy_from_slice(&CLIENT_PORT.to_be_bytes());
    ip[22..24].copy_from_slice(&SERVER_PORT.to_be_bytes());
    ip[32] = 0xf0; // data offset 15 words
    ip[33] = TCP_SYN;
    let mut crafted = ethernet(SERVER_MAC, CLIENT_MAC, ETHERTYPE_IPV4, &ip);
    crafted.extend_from_slice(SECRET);
    crafted.resize(14 + 20 + 60, b'#');
    let input = s.write(
        "trailer.pcap",
        &pcap_file(PcapFormat::new(1), &timed(vec![plain, crafted], false)),
    );
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    let (_, pkts) = read_pcap(&bytes);
    assert_eq!(pkts.len(), 2);
    assert_eq!(
        pkts[0].data.len(),
        14 + 44,
        "trailer after the IP packet cut"
    );
    assert!(
        !contains(&pkts[1].data, SECRET),
        "bytes past the IP total length were kept as 'TCP options': {} bytes written, IP ends at {}",
        pkts[1].data.len(),
        14 + 40
    );
    assert_no_identifying_bytes(&bytes, "sanitized capture");
}

// ---------------------------------------------------------------------------------------------
// Policies applied
// ---------------------------------------------------------------------------------------------

#[test]
fn strict_drops_non_tcp_and_shifts_time_to_2000() {
    let s = Scratch::new();
    let conv = tls_conversation();
    let eth = |seg: &ConvSeg| Link::Ethernet.frame(&seg.ip(false), false, seg.from_client);
    let udp = ip_udp(Addr::V4(CLIENT_V4), Addr::V4(OTHER_V4), 40_000, 53, SECRET);
    let frames = vec![
        eth(&conv[0]),
        pad60(ethernet(OTHER_MAC, CLIENT_MAC, ETHERTYPE_IPV4, &udp)),
        pad60(ethernet(
            [0xff; 6],
            CLIENT_MAC,
            ETHERTYPE_ARP,
            &arp_request(CLIENT_MAC, CLIENT_V4, SERVER_V4),
        )),
        eth(&conv[1]),
        eth(&conv[2]),
    ];
    let recs = timed(frames, false);
    let input = s.write("strict.pcap", &pcap_file(PcapFormat::new(1), &recs));
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &["-p", "strict"]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized capture");
    let (_, pkts) = read_pcap(&bytes);
    assert_eq!(
        pkts.len(),
        3,
        "UDP and ARP dropped, the three TCP packets kept"
    );
    for p in &pkts {
        assert_eq!(p.data[12..14], [0x08, 0x00], "only IPv4 frames remain");
        assert_eq!(p.data[23], 6, "only TCP remains");
    }
    assert_eq!(
        pkts[0].ts_sec, 946_684_800,
        "first packet at 2000-01-01T00:00:00Z"
    );
    assert_eq!(pkts[0].ts_frac, recs[0].ts_frac, "sub-second part kept");
    // Intervals are preserved: the kept packets were 0 s, 3 s and 4 s after the first.
    assert_eq!(pkts[1].ts_sec, 946_684_800 + 3);
    assert_eq!(pkts[2].ts_sec, 946_684_800 + 4);
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.int("output.packets_dropped.non_tcp_policy"), 2);
    assert_eq!(sum.int("output.packets_written"), 3);
    assert_eq!(sum.str("policy.name"), "strict");
}

/// In pcapng a packet's time is `if_tsoffset` + its timestamp in its interface's resolution.
/// Under `strict` the first packet must read 2000-01-01T00:00:00Z and every interval must be
/// kept, whatever offsets and resolutions the interfaces have (and the real date must not
/// survive in an offset).
#[test]
fn strict_shift_in_pcapng_accounts_for_if_tsoffset() {
    let s = Scratch::new();
    let conv = tls_conversation();
    let tsoffset: u64 = 1_600_000_000;
    let mut ng = Ng::section(false, &[]);
    ng.idb(
        1,
        65_535,
        &[(IF_TSRESOL, &[6]), (IF_TSOFFSET, &tsoffset.to_le_bytes())],
    );
    ng.idb(101, 65_535, &[(IF_TSRESOL, &[9])]);
    // Absolute times in ns: 1600000100.5 s, 101.5 s, 102.25 s (on the nanosecond interface,
    // which has no offset), 103.5 s, 104.5 s.
    let second = 1_000_000_000u128;
    let mut absolute = Vec::new();
    for (i, seg) in conv.iter().enumerate() {
        if i == 2 {
            let abs = (u128::from(tsoffset) + 102) * second + 250_000_000;
            let f = Link::Raw101.frame(&seg.ip(false), false, seg.from_client);
            ng.epb(1, abs as u64, &f, f.len() as u32, &[]);
            absolute.push(abs);
        } else {
            let f = Link::Ethernet.frame(&seg.ip(false), false, seg.from_client);
            let ts = (100 + i as u64) * 1_000_000 + 500_000;
            ng.epb(0, ts, &f, f.len() as u32, &[]);
            absolute.push(u128::from(tsoffset) * second + u128::from(ts) * 1_000);
        }
    }
    let input = s.write("offset.pcapng", &ng.buf);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &["-p", "strict"]);
    let blocks = read_pcapng(&fs::read(outdir.join("capture.sanitized.pcapng")).unwrap());
    // Each output interface's (offset in s, ns per unit).
    let mut ifaces = Vec::new();
    let mut got = Vec::new();
    for b in &blocks {
        match b {
            NgOut::Interface { options, .. } => {
                let opt = |code: u16| options.iter().find(|(c, _)| *c == code).map(|(_, v)| v);
                let offset = opt(IF_TSOFFSET)
                    .map(|v| i64::from_le_bytes(v[..8].try_into().unwrap()))
                    .unwrap_or(0);
                let resol = opt(IF_TSRESOL).map(|v| v[0]).unwrap_or(6);
                assert!(resol <= 9, "decimal resolution expected: {resol}");
                ifaces.push((offset, 10u128.pow(9 - u32::from(resol))));
            }
            NgOut::Packet {
                iface,
                ts_hi,
                ts_lo,
                ..
            } => {
                let (offset, ns_per_unit) = ifaces[*iface as usize];
                let raw = (u128::from(*ts_hi) << 32) | u128::from(*ts_lo);
                got.push((i128::from(offset) * second as i128) + (raw * ns_per_unit) as i128);
            }
            _ => {}
        }
    }
    let epoch = 946_684_800i128 * second as i128;
    let want: Vec<i128> = absolute
        .iter()
        .map(|&a| epoch + (a - absolute[0]) as i128 + 500_000_000)
        .collect();
    assert_eq!(
        got, want,
        "absolute packet times (ns, if_tsoffset included): the first must be \
         2000-01-01T00:00:00.5Z and the intervals kept; output interfaces (offset s, ns/unit): \
         {ifaces:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Inputs: stdin, unsupported link types, truncated captures
// ---------------------------------------------------------------------------------------------

#[test]
fn stdin_input_matches_file_input() {
    let s = Scratch::new();
    let fixture = tls_pcap(Link::Ethernet, false);
    let key = s.write("key", &[0x5a; 32]);
    let key_arg = key.to_str().unwrap();
    let from_stdin = s.path("from-stdin");
    let out = cmd()
        .arg("sanitize")
        .arg("-")
        .arg("-o")
        .arg(&from_stdin)
        .args(["--key", key_arg])
        .write_stdin(fixture.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    assert_eq!(
        listing(&from_stdin),
        vec![
            "SHA256SUMS",
            "capture.ladder.svg",
            "capture.sanitized.pcap",
            "capture.summary.yaml",
            "policy.yaml",
            "report.html"
        ]
    );
    let sum = summary(&from_stdin.join("capture.summary.yaml"));
    assert!(
        sum.get("input.file").is_none(),
        "the summary names no input"
    );
    assert_eq!(sum.str("input.sha256"), sha256_hex(&fixture));

    let input = s.write("same.pcap", &fixture);
    let from_file = s.path("from-file");
    sanitize_ok(&[&input], &from_file, &["--key", key_arg]);
    assert_eq!(
        fs::read(from_stdin.join("capture.sanitized.pcap")).unwrap(),
        fs::read(from_file.join("capture.sanitized.pcap")).unwrap(),
        "stdin and file inputs give the same output under the same key"
    );
}

#[test]
fn unreadable_stdin_is_an_error_naming_stdin() {
    let s = Scratch::new();
    let outdir = s.path("out");
    let out = cmd()
        .arg("sanitize")
        .arg("-")
        .arg("-o")
        .arg(&outdir)
        .write_stdin(b"GIF89a not a capture".to_vec())
        .output()
        .unwrap();
    assert_one_line_error(&out, "standard input");
    assert!(!outdir.exists());
}

#[test]
fn outdir_that_is_a_file_is_refused() {
    let s = Scratch::new();
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let outdir = s.write("taken", b"a file");
    let out = sanitize(&[&input], &outdir, &["--force"]);
    assert_one_line_error(&out, "taken");
    assert_eq!(fs::read(&outdir).unwrap(), b"a file");
}

#[test]
fn unsupported_link_type_packets_are_dropped_and_counted() {
    let s = Scratch::new();
    let frames: Vec<Vec<u8>> = tls_conversation()
        .iter()
        .take(2)
        .map(|seg| Link::Ethernet.frame(&seg.ip(false), false, seg.from_client))
        .collect();
    let input_bytes = pcap_file(PcapFormat::new(147), &timed(frames, false));
    let input = s.write("user0.pcap", &input_bytes);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    assert_eq!(bytes, input_bytes[..24], "only the pcap header is written");
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.int("output.packets_dropped.unsupported_link_type"), 2);
    assert_eq!(sum.int("output.packets_written"), 0);
    assert_eq!(sum.int("input.packets"), 2);
}

/// A pcap cut inside its last record: every packet before it is written, the cut is reported
/// in the summary and on stderr, and the run succeeds.
#[test]
fn truncated_last_pcap_record_warns_and_keeps_earlier_packets() {
    let full = eth_v4_pcap(&tls_conversation());
    let (_, recs) = read_pcap(&full);
    let last_start = full.len() - 16 - recs[4].data.len();
    // Cut in the middle of the last record's data, and in the middle of its header.
    for cut in [last_start + 16 + 10, last_start + 7] {
        let s = Scratch::new();
        let input = s.write("cut.pcap", &full[..cut]);
        let outdir = s.path("out");
        let out = sanitize_ok(&[&input], &outdir, &[]);
        let (_, pkts) = read_pcap(&fs::read(outdir.join("capture.sanitized.pcap")).unwrap());
        assert_eq!(pkts.len(), 4, "cut at {cut}: the four complete packets");
        let sum = summary(&outdir.join("capture.summary.yaml"));
        let warnings = sum.seq("input.warnings");
        assert_eq!(warnings.len(), 1, "cut at {cut}: one warning: {warnings:?}");
        let w = warnings[0].as_str().unwrap();
        assert!(
            w.contains("packet 5") && w.contains(&format!("byte offset {last_start}")),
            "warning names packet and offset: {w}"
        );
        // One warning line, then the run's one-line result.
        let err = stderr_text(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "one warning line and the result: {err:?}");
        assert!(
            lines[0].starts_with("warning: ")
                && lines[0].contains("cut.pcap")
                && lines[0].contains("packet 5"),
            "stderr warning: {err}"
        );
        assert!(lines[1].contains("of payload removed"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// The evidence folder
// ---------------------------------------------------------------------------------------------

#[test]
fn evidence_folder_modes_and_sha256sums_verify() {
    let s = Scratch::new();
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let outdir = s.path("evidence");
    let out = sanitize_ok(&[&input], &outdir, &[]);
    assert_eq!(mode(&outdir), 0o700, "folder mode");
    let names = listing(&outdir);
    assert_eq!(
        names,
        vec![
            "SHA256SUMS",
            "capture.ladder.svg",
            "capture.sanitized.pcap",
            "capture.summary.yaml",
            "policy.yaml",
            "report.html"
        ]
    );
    for n in &names {
        assert_eq!(mode(&outdir.join(n)), 0o600, "{n} mode");
    }
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 6, "the written paths: {stdout}");

    let sums = fs::read_to_string(outdir.join("SHA256SUMS")).unwrap();
    let mut listed = Vec::new();
    for line in sums.lines() {
        let (digest, name) = line.split_once("  ").expect("`<sha256>  <name>` lines");
        assert_eq!(digest.len(), 64);
        let actual = sha256_hex(&fs::read(outdir.join(name)).unwrap());
        assert_eq!(digest, actual, "{name} digest");
        listed.push(name.to_string());
    }
    listed.sort();
    assert_eq!(
        listed,
        vec![
            "capture.ladder.svg",
            "capture.sanitized.pcap",
            "capture.summary.yaml",
            "policy.yaml",
            "report.html"
        ]
    );
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(
        sum.str("output.sha256"),
        sha256_hex(&fs::read(outdir.join("capture.sanitized.pcap")).unwrap())
    );
    assert_eq!(sum.str("output.file"), "capture.sanitized.pcap");
    assert!(
        sum.get("input.file").is_none(),
        "the summary names no input"
    );
    assert_eq!(sum.str("tool.name"), "pcapscrub");

    if Path::new("/usr/bin/sha256sum").exists() {
        let check = std::process::Command::new("sha256sum")
            .arg("-c")
            .arg("SHA256SUMS")
            .current_dir(&outdir)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "sha256sum -c: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}

#[test]
fn non_empty_outdir_is_refused_and_left_untouched() {
    let s = Scratch::new();
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let outdir = s.path("busy");
    fs::create_dir(&outdir).unwrap();
    fs::write(outdir.join("notes.txt"), b"keep me").unwrap();
    let before_mode = mode(&outdir);
    let out = sanitize(&[&input], &outdir, &[]);
    assert_one_line_error(&out, "busy");
    assert!(
        stderr_text(&out).contains("--force"),
        "the error suggests --force"
    );
    assert_eq!(listing(&outdir), vec!["notes.txt"]);
    assert_eq!(fs::read(outdir.join("notes.txt")).unwrap(), b"keep me");
    assert_eq!(mode(&outdir), before_mode, "folder mode untouched");
}

#[test]
fn force_writes_into_a_non_empty_outdir() {
    let s = Scratch::new();
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let outdir = s.path("busy");
    fs::create_dir(&outdir).unwrap();
    fs::write(outdir.join("notes.txt"), b"keep me").unwrap();
    fs::write(outdir.join("capture.sanitized.pcap"), b"stale").unwrap();
    sanitize_ok(&[&input], &outdir, &["--force"]);
    assert_eq!(
        listing(&outdir),
        vec![
            "SHA256SUMS",
            "capture.ladder.svg",
            "capture.sanitized.pcap",
            "capture.summary.yaml",
            "notes.txt",
            "policy.yaml",
            "report.html"
        ]
    );
    assert_eq!(fs::read(outdir.join("notes.txt")).unwrap(), b"keep me");
    let (_, pkts) = read_pcap(&fs::read(outdir.join("capture.sanitized.pcap")).unwrap());
    assert_eq!(pkts.len(), 5, "the stale file was replaced");
}

#[test]
fn two_inputs_with_the_same_file_name_are_numbered_in_input_order() {
    let s = Scratch::new();
    let a = s.write("a/cap.pcap", &tls_pcap(Link::Ethernet, false));
    let b = s.write("b/cap.pcap", &tls_pcap(Link::Raw101, false));
    let outdir = s.path("out");
    sanitize_ok(&[&a, &b], &outdir, &[]);
    assert_eq!(
        listing(&outdir),
        vec![
            "SHA256SUMS",
            "capture-1.ladder.svg",
            "capture-1.sanitized.pcap",
            "capture-1.summary.yaml",
            "capture-2.ladder.svg",
            "capture-2.sanitized.pcap",
            "capture-2.summary.yaml",
            "policy.yaml",
            "report.html"
        ]
    );
    let link = |n: &str| {
        summary(&outdir.join(n)).seq("input.link_types")[0]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        link("capture-1.summary.yaml"),
        "EN10MB",
        "the first input is capture-1"
    );
    assert_eq!(
        link("capture-2.summary.yaml"),
        "RAW",
        "the second input is capture-2"
    );
}

/// An error must leave nothing behind, including parent folders the run created for OUTDIR.
#[test]
fn failed_run_leaves_no_created_folders_behind() {
    let s = Scratch::new();
    let bad = s.write("bad.pcap", b"this is not a capture at all");
    let nested = s.path("new/deeper/evidence");
    let out = sanitize(&[&bad], &nested, &[]);
    assert_one_line_error(&out, "bad.pcap");
    assert!(!nested.exists(), "OUTDIR removed");
    assert!(
        !s.path("new").exists(),
        "parent folders created for OUTDIR were left behind: {:?}",
        listing(s.dir.path())
    );
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

#[test]
fn same_key_gives_identical_output_and_another_key_does_not() {
    let s = Scratch::new();
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let key1 = s.write("k1", &[7u8; 32]);
    let key2 = s.write("k2", b"a different key of forty bytes..........");
    let run = |dir: &str, key: &Path| {
        let outdir = s.path(dir);
        sanitize_ok(&[&input], &outdir, &["--key", key.to_str().unwrap()]);
        (
            fs::read(outdir.join("capture.sanitized.pcap")).unwrap(),
            fs::read(outdir.join("capture.summary.yaml")).unwrap(),
        )
    };
    let (cap1, sum1) = run("one", &key1);
    let (cap2, sum2) = run("two", &key1);
    assert_eq!(cap1, cap2, "same key, same capture bytes");
    assert_eq!(sum1, sum2, "same key, same summary");
    let (cap3, _) = run("three", &key2);
    assert_ne!(cap1, cap3, "another key maps differently");
    for dir in ["one", "two", "three"] {
        for name in listing(&s.path(dir)) {
            let bytes = fs::read(s.path(dir).join(&name)).unwrap();
            assert!(
                !contains(&bytes, b"a different key of forty") && !contains(&bytes, &[7u8; 32]),
                "{dir}/{name} contains the key"
            );
        }
    }
}

#[test]
fn missing_key_file_is_an_error_naming_it() {
    let s = Scratch::new();
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let key = s.path("no-such.key");
    let outdir = s.path("out");
    let out = sanitize(&[&input], &outdir, &["--key", key.to_str().unwrap()]);
    assert_one_line_error(&out, "no-such.key");
    assert!(!outdir.exists());
}

#[test]
fn short_key_file_is_an_error_naming_it() {
    let s = Scratch::new();
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let key = s.write("short.key", &[1u8; 31]);
    let outdir = s.path("out");
    let out = sanitize(&[&input], &outdir, &["--key", key.to_str().unwrap()]);
    let err = assert_one_line_error(&out, "short.key");
    assert!(err.contains("31"), "says how long the key is: {err}");
    assert!(!outdir.exists());

    let key = s.write("ok.key", &[1u8; 32]);
    sanitize_ok(&[&input], &outdir, &["--key", key.to_str().unwrap()]);
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

fn policy_show(arg: Option<&str>) -> fixtures_gen::serde_json_like::Value {
    let mut c = cmd();
    c.args(["policy", "show"]);
    if let Some(a) = arg {
        c.arg(a);
    }
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    serde_saphyr::from_str(&String::from_utf8(out.stdout).unwrap()).expect("YAML")
}

#[test]
fn policy_show_default_is_ticket() {
    let p = policy_show(None);
    assert_eq!(p.str("name"), "ticket");
    assert_eq!(p.str("payload"), "cut");
    assert_eq!(p.str("timestamps"), "keep");
    assert_eq!(p.str("non_tcp"), "keep");
}

#[test]
fn policy_show_strict_and_review() {
    let p = policy_show(Some("strict"));
    assert_eq!(p.str("name"), "strict");
    assert_eq!(p.str("payload"), "cut");
    assert_eq!(p.str("timestamps"), "shift");
    assert_eq!(p.str("non_tcp"), "drop");
    let p = policy_show(Some("review"));
    assert_eq!(p.str("name"), "review");
    assert_eq!(p.str("payload"), "zero");
}

#[test]
fn policy_check_reports_an_unknown_key_with_its_line() {
    let s = Scratch::new();
    let file = s.write(
        "custom.yaml",
        b"name: custom\npayload: cut\ncolour: blue\nnon_tcp: keep\n",
    );
    let out = cmd().args(["policy", "check"]).arg(&file).output().unwrap();
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(1), "invalid policy: {err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.contains("custom.yaml"), "names the file: {err}");
    assert!(err.contains("line 3"), "names the line: {err}");
    assert!(err.contains("colour"), "names the key: {err}");

    // The same file given to sanitize is an error too (exit 2), before anything is written.
    let input = s.write("tls.pcap", &tls_pcap(Link::Ethernet, false));
    let outdir = s.path("out");
    let out = sanitize(&[&input], &outdir, &["-p", file.to_str().unwrap()]);
    assert_one_line_error(&out, "custom.yaml");
    assert!(!outdir.exists());
}

#[test]
fn policy_check_accepts_a_valid_file_and_rejects_a_missing_one() {
    let s = Scratch::new();
    let file = s.write("mine.yaml", b"name: mine\npayload: zero\n");
    let out = cmd().args(["policy", "check"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));

    let missing = s.path("absent.yaml");
    let out = cmd()
        .args(["policy", "check"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_one_line_error(&out, "absent.yaml");
}
