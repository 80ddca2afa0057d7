//! Capture containers and link layers: every supported link type through `sanitize`, pcap and
//! pcapng framing kept exactly, hostile and broken inputs, and property tests that the decoders
//! never panic.
//!
//! Fixtures are generated in code (see `fixtures_gen`); outputs are read back with `pcap-file`
//! and `etherparse` as independent parsers. Nothing here needs tshark.

mod fixtures_gen;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use etherparse::{
    Ipv4HeaderSlice, Ipv6HeaderSlice, LaxLinkExtSlice, LaxSlicedPacket, TcpHeaderSlice,
};
use fixtures_gen::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Every link type
// ---------------------------------------------------------------------------------------------

/// Where the sender's MAC sits in the link header, if the link header carries one.
fn sender_mac_at(link: Link) -> Option<usize> {
    match link {
        Link::Ethernet | Link::Vlan | Link::QinQ | Link::Pppoe | Link::Sll => Some(6),
        Link::Sll2 => Some(12),
        _ => None,
    }
}

/// Sanitizes the TLS conversation framed for `link` and checks every observable outcome.
fn check_link(link: Link, v6: bool) {
    assert!(link.carries(v6));
    let s = Scratch::new();
    let input_bytes = tls_pcap(link, v6);
    let input = s.write("cap.pcap", &input_bytes);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    let what = format!("{link:?} (IPv6: {v6})");
    assert_no_identifying_bytes(&bytes, &what);
    assert_eq!(
        bytes[..24],
        input_bytes[..24],
        "{what}: pcap header repeated"
    );

    let conv = tls_conversation();
    let (_, inp) = read_pcap(&input_bytes);
    let (_, out) = read_pcap(&bytes);
    assert_eq!(out.len(), conv.len(), "{what}: every packet written");
    let l = link.header_len();
    let ip_len = if v6 { 40 } else { 20 };
    let mut client: Option<Vec<u8>> = None;
    let mut server: Option<Vec<u8>> = None;
    let mut sender_macs: [Option<Vec<u8>>; 2] = [None, None];

    for (i, ((o, orig), seg)) in out.iter().zip(&inp).zip(&conv).enumerate() {
        let ctx = format!("{what} packet {}", i + 1);
        assert_eq!(
            (o.ts_sec, o.ts_frac),
            (orig.ts_sec, orig.ts_frac),
            "{ctx}: timestamp"
        );
        assert_eq!(o.orig_len, orig.orig_len, "{ctx}: original length");
        let headers = l + ip_len + 20 + seg.tcp.options.len();
        let kept = if seg.tcp.payload.is_empty() { 0 } else { 5 };
        assert_eq!(o.data.len(), headers + kept, "{ctx}: captured length");

        // Link header: unchanged except for MAC addresses, which are all rewritten.
        let macs = link.mac_offsets();
        for j in 0..l {
            if !macs.iter().any(|&m| (m..m + 6).contains(&j)) {
                assert_eq!(o.data[j], orig.data[j], "{ctx}: link header byte {j}");
            }
        }
        for &m in macs {
            assert_ne!(o.data[m..m + 6], orig.data[m..m + 6], "{ctx}: MAC at {m}");
        }
        if let Some(at) = sender_mac_at(link) {
            let slot = &mut sender_macs[usize::from(seg.from_client)];
            let mac = o.data[at..at + 6].to_vec();
            assert_eq!(
                slot.get_or_insert(mac.clone()),
                &mac,
                "{ctx}: MAC mapping consistent"
            );
        }
        if matches!(link, Link::Ethernet | Link::Vlan | Link::QinQ) {
            let parsed = LaxSlicedPacket::from_ethernet(&o.data).expect("Ethernet parses");
            let vlans = parsed
                .link_exts
                .iter()
                .filter(|e| matches!(e, LaxLinkExtSlice::Vlan(_)))
                .count();
            let expected = match link {
                Link::Vlan => 1,
                Link::QinQ => 2,
                _ => 0,
            };
            assert_eq!(vlans, expected, "{ctx}: VLAN tags");
            assert!(
                parsed.net.is_some(),
                "{ctx}: etherparse finds the IP header"
            );
        }

        // Network header.
        let ipb = &o.data[l..];
        let (src, dst) = if v6 {
            let h = Ipv6HeaderSlice::from_slice(ipb).expect("IPv6 header");
            let oh = Ipv6HeaderSlice::from_slice(&orig.data[l..]).unwrap();
            assert_eq!(
                h.payload_length(),
                oh.payload_length(),
                "{ctx}: payload length"
            );
            assert_eq!(h.hop_limit(), 64);
            (h.source().to_vec(), h.destination().to_vec())
        } else {
            let h = Ipv4HeaderSlice::from_slice(ipb).expect("IPv4 header");
            let oh = Ipv4HeaderSlice::from_slice(&orig.data[l..]).unwrap();
            assert_eq!(h.total_len(), oh.total_len(), "{ctx}: total length");
            assert_eq!(h.identification(), oh.identification());
            assert_eq!(h.ttl(), 64);
            assert!(ipv4_header_checksum_ok(&ipb[..20]), "{ctx}: IPv4 checksum");
            assert_eq!(
                h.to_header().calc_header_checksum(),
                h.header_checksum(),
                "{ctx}: IPv4 checksum (etherparse)"
            );
            (h.source().to_vec(), h.destination().to_vec())
        };
        let (c, sv) = if seg.from_client {
            (src.clone(), dst.clone())
        } else {
            (dst.clone(), src.clone())
        };
        assert_eq!(client.get_or_insert(c.clone()), &c, "{ctx}: client mapping");
        assert_eq!(
            server.get_or_insert(sv.clone()),
            &sv,
            "{ctx}: server mapping"
        );

        // Transport header: every field but the checksum unchanged.
        let t_at = l + ip_len;
        let t = TcpHeaderSlice::from_slice(&o.data[t_at..]).expect("TCP header");
        assert_eq!(t.source_port(), seg.tcp.sport, "{ctx}");
        assert_eq!(t.destination_port(), seg.tcp.dport, "{ctx}");
        assert_eq!(t.sequence_number(), seg.tcp.seq, "{ctx}: seq");
        assert_eq!(t.acknowledgment_number(), seg.tcp.ack, "{ctx}: ack");
        assert_eq!(o.data[t_at + 13], seg.tcp.flags, "{ctx}: flags");
        assert_eq!(t.window_size(), seg.tcp.window, "{ctx}: window");
        assert_eq!(t.options(), &seg.tcp.options[..], "{ctx}: options");
        if kept == 0 {
            assert!(
                transport_checksum_ok(&src, &dst, 6, &o.data[t_at..]),
                "{ctx}: TCP checksum valid (no payload)"
            );
        } else {
            assert_eq!(t.checksum(), 0, "{ctx}: TCP checksum zero (payload cut)");
            assert_eq!(&o.data[headers..], &TLS_HEADER, "{ctx}: TLS record header");
        }
    }

    let (client, server) = (client.unwrap(), server.unwrap());
    if v6 {
        assert_eq!(
            client[..4],
            [0x20, 0x01, 0x0d, 0xb8],
            "{what}: client in 2001:db8::/32"
        );
        assert_eq!(
            server[..4],
            [0x20, 0x01, 0x0d, 0xb8],
            "{what}: server in 2001:db8::/32"
        );
        assert_ne!(client[..6], server[..6], "{what}: roles in separate /48s");
    } else {
        assert_eq!(
            client[..3],
            [192, 0, 2],
            "{what}: SYN sender in 192.0.2.0/24"
        );
        assert_eq!(
            server[..3],
            [203, 0, 113],
            "{what}: SYN receiver in 203.0.113.0/24"
        );
    }

    assert_summary_clean(&outdir.join("capture.summary.yaml"));
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.int("output.packets_written"), 5, "{what}");
    assert_eq!(sum.int("input.packets"), 5, "{what}");
    assert_eq!(sum.str("input.format"), "pcap");
    assert_eq!(
        sum.seq("input.link_types")
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>(),
        vec![pcapscrub::wire::link_type_name(link.dlt())],
        "{what}"
    );
    assert_eq!(sum.int("redactions.tls_record_headers_kept"), 1, "{what}");
    let conns = sum.seq("connections");
    assert_eq!(conns.len(), 1, "{what}: one connection");
    let (c, sv) = (conns[0].str("client"), conns[0].str("server"));
    if v6 {
        assert!(
            c.starts_with("[2001:db8:") && c.ends_with("]:51515"),
            "{what}: {c}"
        );
        assert!(
            sv.starts_with("[2001:db8:") && sv.ends_with("]:443"),
            "{what}: {sv}"
        );
    } else {
        assert!(
            c.starts_with("192.0.2.") && c.ends_with(":51515"),
            "{what}: {c}"
        );
        assert!(
            sv.starts_with("203.0.113.") && sv.ends_with(":443"),
            "{what}: {sv}"
        );
    }
}

macro_rules! link_tests {
    ($($name:ident: $link:expr, $v6:expr;)*) => {$(
        #[test]
        fn $name() {
            check_link($link, $v6);
        }
    )*};
}

link_tests! {
    link_ethernet_ipv4: Link::Ethernet, false;
    link_ethernet_ipv6: Link::Ethernet, true;
    link_vlan_8021q_ipv4: Link::Vlan, false;
    link_vlan_8021q_ipv6: Link::Vlan, true;
    link_qinq_ipv4: Link::QinQ, false;
    link_qinq_ipv6: Link::QinQ, true;
    link_pppoe_session_ipv4: Link::Pppoe, false;
    link_pppoe_session_ipv6: Link::Pppoe, true;
    link_linux_sll_ipv4: Link::Sll, false;
    link_linux_sll_ipv6: Link::Sll, true;
    link_linux_sll2_ipv4: Link::Sll2, false;
    link_linux_sll2_ipv6: Link::Sll2, true;
    link_bsd_null_little_endian_ipv4: Link::NullLe, false;
    link_bsd_null_little_endian_ipv6: Link::NullLe, true;
    link_bsd_null_big_endian_ipv4: Link::NullBe, false;
    link_bsd_null_big_endian_ipv6: Link::NullBe, true;
    link_loop_ipv4: Link::Loop, false;
    link_loop_ipv6: Link::Loop, true;
    link_raw_101_ipv4: Link::Raw101, false;
    link_raw_101_ipv6: Link::Raw101, true;
    link_raw_ipv4_228: Link::Raw228, false;
    link_raw_ipv6_229: Link::Raw229, true;
}

// ---------------------------------------------------------------------------------------------
// pcap: byte order and timestamp resolution kept exactly
// ---------------------------------------------------------------------------------------------

fn check_pcap_timestamps(big_endian: bool, nanosecond: bool) {
    let max_frac = if nanosecond { 999_999_999 } else { 999_999 };
    let stamps = [
        (1_700_000_000, max_frac),
        (1_700_000_000, 0),
        (0x7fff_ffff, 1),
        (0x8000_0000, 123),
        (u32::MAX, max_frac),
    ];
    let recs: Vec<Rec> = tls_conversation()
        .iter()
        .zip(stamps)
        .map(|(seg, (ts_sec, ts_frac))| Rec {
            ts_sec,
            ts_frac,
            data: Link::Ethernet.frame(&seg.ip(false), false, seg.from_client),
        })
        .collect();
    let fmt = PcapFormat {
        big_endian,
        nanosecond,
        snaplen: 65_535,
        link_type: 1,
    };
    let input_bytes = pcap_file(fmt, &recs);
    let s = Scratch::new();
    let input = s.write("ts.pcap", &input_bytes);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcap")).unwrap();
    let what = format!("big-endian {big_endian}, nanosecond {nanosecond}");
    assert_eq!(
        bytes[..24],
        input_bytes[..24],
        "{what}: global header byte-identical"
    );

    // Walk both files' records by hand, in the file's byte order.
    let u32_at = |b: &[u8], at: usize| {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let (mut oi, mut ii) = (24, 24);
    for (n, rec) in recs.iter().enumerate() {
        assert_eq!(
            bytes[oi..oi + 8],
            input_bytes[ii..ii + 8],
            "{what}: record {n} timestamp bytes"
        );
        assert_eq!(u32_at(&bytes, oi), rec.ts_sec);
        assert_eq!(u32_at(&bytes, oi + 4), rec.ts_frac);
        assert_eq!(
            bytes[oi + 12..oi + 16],
            input_bytes[ii + 12..ii + 16],
            "{what}: record {n} original length bytes"
        );
        oi += 16 + u32_at(&bytes, oi + 8) as usize;
        ii += 16 + u32_at(&input_bytes, ii + 8) as usize;
    }
    assert_eq!(oi, bytes.len(), "{what}: nothing after the last record");

    // And through pcap-file, which reads byte order and resolution from the magic.
    let (header, pkts) = read_pcap(&bytes);
    assert_eq!(
        header.ts_resolution,
        if nanosecond {
            pcap_file::TsResolution::NanoSecond
        } else {
            pcap_file::TsResolution::MicroSecond
        }
    );
    assert_eq!(
        header.endianness,
        if big_endian {
            pcap_file::Endianness::Big
        } else {
            pcap_file::Endianness::Little
        }
    );
    let got: Vec<(u32, u32)> = pkts.iter().map(|p| (p.ts_sec, p.ts_frac)).collect();
    let want: Vec<(u32, u32)> = recs.iter().map(|r| (r.ts_sec, r.ts_frac)).collect();
    assert_eq!(got, want, "{what}");
    assert_no_identifying_bytes(&bytes, &what);
}

#[test]
fn pcap_little_endian_microseconds_timestamps_identical() {
    check_pcap_timestamps(false, false);
}

#[test]
fn pcap_little_endian_nanoseconds_timestamps_identical() {
    check_pcap_timestamps(false, true);
}

#[test]
fn pcap_big_endian_microseconds_timestamps_identical() {
    check_pcap_timestamps(true, false);
}

#[test]
fn pcap_big_endian_nanoseconds_timestamps_identical() {
    check_pcap_timestamps(true, true);
}

// ---------------------------------------------------------------------------------------------
// pcapng: sections, interfaces and packets survive; everything else is dropped and counted
// ---------------------------------------------------------------------------------------------

fn opt_u64(v: u64, be: bool) -> Vec<u8> {
    if be {
        v.to_be_bytes().to_vec()
    } else {
        v.to_le_bytes().to_vec()
    }
}

/// A packet of a pcapng fixture: interface, raw timestamp, frame.
type FixturePacket = (u32, u64, Vec<u8>);

/// Two sections (little-endian, then big-endian), two interfaces each with different
/// `if_tsresol`/`if_tsoffset`, packets on each, and every kind of block the output must drop.
/// Returns the file and the packets it holds as (interface, timestamp, frame).
fn two_section_pcapng() -> (Vec<u8>, Vec<FixturePacket>) {
    let conv = tls_conversation();
    let eth = |i: usize| Link::Ethernet.frame(&conv[i].ip(false), false, conv[i].from_client);
    let raw = |i: usize| Link::Raw101.frame(&conv[i].ip(false), false, conv[i].from_client);
    let sll = |i: usize| Link::Sll.frame(&conv[i].ip(false), false, conv[i].from_client);
    let mut packets = Vec::new();

    let mut a = Ng::section(
        false,
        &[
            (OPT_COMMENT, b"captured at customer site acme"),
            (SHB_HARDWARE, b"x86_64"),
            (SHB_OS, b"Linux 6.1"),
            (SHB_USERAPPL, b"dumpcap (Wireshark) 4.2"),
        ],
    );
    a.idb(
        1,
        262_144,
        &[
            (IF_NAME, b"eth0"),
            (OPT_COMMENT, b"uplink to acme"),
            (IF_TSRESOL, &[6]),
        ],
    );
    let off1 = opt_u64(1_000, false);
    a.idb(101, 65_535, &[(IF_TSRESOL, &[9]), (IF_TSOFFSET, &off1)]);
    a.nrb(SERVER_V4, "db.acme.corp");
    let (ts, f) = (1_700_000_000_123_456u64, eth(0));
    a.epb(
        0,
        ts,
        &f,
        f.len() as u32,
        &[(OPT_COMMENT, b"first"), (EPB_FLAGS, &[1, 0, 0, 0])],
    );
    packets.push((0, ts, f));
    let (ts, f) = (1_699_999_000_123_456_789u64, raw(1));
    a.epb(1, ts, &f, f.len() as u32, &[]);
    packets.push((1, ts, f));
    let mut secrets = b"CLIENT_RANDOM 00112233 ".to_vec();
    secrets.extend_from_slice(SECRET);
    a.dsb(&secrets);
    a.custom(0x0000_0bad, SECRET);
    a.custom(0x4000_0bad, SECRET);
    a.isb(0, 1_700_000_001_000_000, &[]);
    let (ts, f) = (1_700_000_002_000_001u64, eth(2));
    a.epb(0, ts, &f, f.len() as u32, &[]);
    packets.push((0, ts, f));

    let mut b = Ng::section(true, &[(OPT_COMMENT, b"second half")]);
    let off2 = opt_u64(3_600, true);
    b.idb(113, 65_535, &[(IF_TSRESOL, &[9]), (IF_TSOFFSET, &off2)]);
    b.idb(1, 65_535, &[]);
    let (ts, f) = (1_699_996_403_000_000_007u64, sll(3));
    b.epb(0, ts, &f, f.len() as u32, &[]);
    packets.push((0, ts, f));
    let f = sll(4);
    b.spb(&f);
    packets.push((0, 0, f));
    let (ts, f) = (1_700_000_004_999_999u64, eth(4));
    b.epb(1, ts, &f, f.len() as u32, &[]);
    packets.push((1, ts, f));

    let mut file = a.buf;
    file.extend_from_slice(&b.buf);
    (file, packets)
}

#[test]
fn pcapng_keeps_sections_interfaces_and_timestamps_and_drops_the_rest() {
    let (input_bytes, packets) = two_section_pcapng();
    let s = Scratch::new();
    let input = s.write("two.pcapng", &input_bytes);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcapng")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized pcapng");
    for text in [
        &b"acme"[..],
        b"dumpcap",
        b"eth0",
        b"CLIENT_RANDOM",
        b"uplink",
    ] {
        assert!(
            !contains(&bytes, text),
            "{} survived",
            String::from_utf8_lossy(text)
        );
    }
    let blocks = read_pcapng(&bytes);
    let kinds: Vec<&str> = blocks
        .iter()
        .map(|b| match b {
            NgOut::Section { .. } => "SHB",
            NgOut::Interface { .. } => "IDB",
            NgOut::Packet { .. } => "EPB",
            NgOut::Other(_) => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "SHB", "IDB", "IDB", "EPB", "EPB", "EPB", "SHB", "IDB", "IDB", "EPB", "EPB", "EPB"
        ]
    );

    for b in &blocks {
        if let NgOut::Section { options } = b {
            assert_eq!(options.len(), 1, "only shb_userappl: {options:?}");
            assert_eq!(options[0].0, SHB_USERAPPL);
            assert!(options[0].1.starts_with(b"pcapscrub "), "{:?}", options[0]);
        }
    }
    let interfaces: Vec<&NgOut> = blocks
        .iter()
        .filter(|b| matches!(b, NgOut::Interface { .. }))
        .collect();
    let iface = |link_type: u16, snaplen: u32, options: Vec<(u16, Vec<u8>)>| NgOut::Interface {
        link_type,
        snaplen,
        options,
    };
    assert_eq!(
        interfaces,
        [
            &iface(1, 262_144, vec![(IF_TSRESOL, vec![6])]),
            &iface(
                101,
                65_535,
                vec![
                    (IF_TSRESOL, vec![9]),
                    (IF_TSOFFSET, 1_000i64.to_le_bytes().to_vec())
                ]
            ),
            &iface(
                113,
                65_535,
                vec![
                    (IF_TSRESOL, vec![9]),
                    (IF_TSOFFSET, 3_600i64.to_le_bytes().to_vec())
                ]
            ),
            &iface(1, 65_535, vec![]),
        ]
    );

    let out_packets: Vec<(u32, u64, u32, usize, usize)> = blocks
        .iter()
        .filter_map(|b| match b {
            NgOut::Packet {
                iface,
                ts_hi,
                ts_lo,
                orig_len,
                data,
                options,
            } => Some((
                *iface,
                (u64::from(*ts_hi) << 32) | u64::from(*ts_lo),
                *orig_len,
                data.len(),
                options.len(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(out_packets.len(), packets.len());
    for (n, ((iface, ts, olen, _, opts), (want_iface, want_ts, frame))) in
        out_packets.iter().zip(&packets).enumerate()
    {
        assert_eq!(iface, want_iface, "packet {n}: interface");
        assert_eq!(ts, want_ts, "packet {n}: timestamp units identical");
        assert_eq!(*olen as usize, frame.len(), "packet {n}: original length");
        assert_eq!(*opts, 0, "packet {n}: no options");
    }
    // The TLS data (4th packet, Linux SLL) keeps exactly its record header.
    let (_, _, _, caplen, _) = out_packets[3];
    assert_eq!(caplen, 16 + 20 + 20 + 5);

    assert_summary_clean(&outdir.join("capture.summary.yaml"));
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.str("input.format"), "pcapng");
    assert_eq!(sum.int("input.packets"), 6);
    assert_eq!(sum.int("output.packets_written"), 6);
    assert_eq!(
        sum.int("redactions.pcapng_blocks_dropped.name_resolution"),
        1
    );
    assert_eq!(
        sum.int("redactions.pcapng_blocks_dropped.interface_statistics"),
        1
    );
    assert_eq!(
        sum.int("redactions.pcapng_blocks_dropped.decryption_secrets"),
        1
    );
    assert_eq!(sum.int("redactions.pcapng_blocks_dropped.custom"), 2);
    assert_eq!(sum.count("redactions.pcapng_blocks_dropped.unknown"), 0);
    assert_eq!(
        sum.int("redactions.pcapng_comments_dropped"),
        4,
        "two section comments, one interface comment, one packet comment"
    );
    assert_eq!(
        sum.int("redactions.pcapng_options_dropped"),
        5,
        "shb_hardware, shb_os, shb_userappl, if_name, epb_flags"
    );
    let mut links: Vec<&str> = sum
        .seq("input.link_types")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    links.sort();
    assert_eq!(links, ["EN10MB", "LINUX_SLL", "RAW"]);
}

/// A packet block naming an interface the section does not have is dropped and counted; the
/// rest of the capture is processed.
#[test]
fn pcapng_packet_on_an_unknown_interface_is_dropped_and_counted() {
    let conv = tls_conversation();
    let f = Link::Ethernet.frame(&conv[0].ip(false), false, true);
    let mut ng = Ng::section(false, &[]);
    ng.epb(0, 1, &f, f.len() as u32, &[]);
    ng.idb(1, 65_535, &[]);
    ng.epb(0, 2, &f, f.len() as u32, &[]);
    ng.epb(3, 3, &f, f.len() as u32, &[]);
    let s = Scratch::new();
    let input = s.write("ifaces.pcapng", &ng.buf);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &[]);
    let bytes = fs::read(outdir.join("capture.sanitized.pcapng")).unwrap();
    assert_no_identifying_bytes(&bytes, "sanitized pcapng");
    let blocks = read_pcapng(&bytes);
    let packets: Vec<u32> = blocks
        .iter()
        .filter_map(|b| match b {
            NgOut::Packet { iface, ts_lo, .. } => Some(*ts_lo + 10 * iface),
            _ => None,
        })
        .collect();
    assert_eq!(packets, [2], "only the packet on the known interface");
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.int("output.packets_dropped.unknown_interface"), 2);
    assert_eq!(sum.int("output.packets_written"), 1);
}

/// A pcapng that ends inside its last block (inside the body, and inside the block header).
#[test]
fn pcapng_cut_inside_the_last_block_warns_and_keeps_earlier_packets() {
    let mut ng = Ng::section(false, &[]);
    ng.idb(1, 65_535, &[]);
    let conv = tls_conversation();
    let mut last_start = 0;
    for (i, seg) in conv.iter().enumerate() {
        last_start = ng.buf.len();
        let f = Link::Ethernet.frame(&seg.ip(false), false, seg.from_client);
        ng.epb(0, 1_700_000_000_000_000 + i as u64, &f, f.len() as u32, &[]);
    }
    for cut in [last_start + 40, last_start + 6] {
        let s = Scratch::new();
        let input = s.write("cut.pcapng", &ng.buf[..cut]);
        let outdir = s.path("out");
        let out = sanitize_ok(&[&input], &outdir, &[]);
        let blocks = read_pcapng(&fs::read(outdir.join("capture.sanitized.pcapng")).unwrap());
        let n = blocks
            .iter()
            .filter(|b| matches!(b, NgOut::Packet { .. }))
            .count();
        assert_eq!(n, 4, "cut at {cut}: the four complete packets");
        let sum = summary(&outdir.join("capture.summary.yaml"));
        let warnings = sum.seq("input.warnings");
        assert_eq!(warnings.len(), 1, "cut at {cut}: {warnings:?}");
        assert!(
            warnings[0]
                .as_str()
                .unwrap()
                .contains(&format!("byte offset {last_start}")),
            "{warnings:?}"
        );
        // The warning, then the run's one-line result.
        let err = stderr_text(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err:?}");
        assert!(
            lines[0].starts_with("warning: ") && lines[0].contains("cut.pcapng"),
            "{err}"
        );
        assert!(lines[1].contains("4 packets"), "{err}");
    }
}

/// A packet block whose length field runs far past the end of the file: treated like a cut
/// file (exit 0, warning), and quickly, without allocating what the length claims.
#[test]
fn pcapng_block_length_past_the_end_is_a_truncation_warning() {
    let mut ng = Ng::section(false, &[]);
    ng.idb(1, 65_535, &[]);
    let f = tls_pcap(Link::Ethernet, false)[24 + 16..24 + 16 + 60].to_vec();
    ng.epb(0, 1, &f, 60, &[]);
    let bad_at = ng.buf.len();
    ng.epb(0, 2, &f, 60, &[]);
    ng.buf[bad_at + 4..bad_at + 8].copy_from_slice(&0x0fff_fff0u32.to_le_bytes());
    let s = Scratch::new();
    let input = s.write("long.pcapng", &ng.buf);
    let outdir = s.path("out");
    let started = Instant::now();
    let out = sanitize_ok(&[&input], &outdir, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let err = stderr_text(&out);
    assert!(
        err.starts_with("warning: ")
            && err.contains("long.pcapng")
            && err.contains(&format!("byte offset {bad_at}")),
        "{err}"
    );
    let blocks = read_pcapng(&fs::read(outdir.join("capture.sanitized.pcapng")).unwrap());
    assert_eq!(
        blocks
            .iter()
            .filter(|b| matches!(b, NgOut::Packet { .. }))
            .count(),
        1
    );
}

/// The same, when the block that runs past the end is the section header itself (its length
/// claims 4096 bytes; or the file stops 8 bytes into it): either an error, or success with a
/// warning and an output that is still a valid pcapng.
#[test]
fn pcapng_section_header_past_the_end_is_an_error_or_a_valid_empty_capture() {
    let mut long = Ng::section(false, &[]).buf;
    long[4..8].copy_from_slice(&4096u32.to_le_bytes());
    let cut = Ng::section(false, &[]).buf[..8].to_vec();
    for (variant, bytes) in [("length past the end", long), ("cut after 8 bytes", cut)] {
        let s = Scratch::new();
        let input = s.write("shb.pcapng", &bytes);
        let outdir = s.path("out");
        let out = sanitize(&[&input], &outdir, &[]);
        match out.status.code() {
            Some(2) => {
                assert_one_line_error(&out, "shb.pcapng");
                assert!(!outdir.exists(), "{variant}");
            }
            Some(0) => {
                let err = stderr_text(&out);
                assert!(
                    err.starts_with("warning: ") && err.contains("shb.pcapng"),
                    "{variant}: {err}"
                );
                let bytes = fs::read(outdir.join("capture.sanitized.pcapng")).unwrap();
                assert!(
                    pcap_file::pcapng::PcapNgParser::new(&bytes[..]).is_ok(),
                    "{variant}: exit 0, but the output is not a pcapng file ({} bytes): {bytes:02x?}",
                    bytes.len()
                );
            }
            other => panic!(
                "{variant}: unexpected exit {other:?}: {}",
                stderr_text(&out)
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: exit 2, one line naming the file, nothing left behind
// ---------------------------------------------------------------------------------------------

/// Runs sanitize on `bytes` saved as `name`; expects the one-line error and no OUTDIR.
fn expect_rejected(name: &str, bytes: &[u8]) -> String {
    let s = Scratch::new();
    let input = s.write(name, bytes);
    let outdir = s.path("out");
    let started = Instant::now();
    let out = sanitize(&[&input], &outdir, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let err = assert_one_line_error(&out, name);
    assert!(!outdir.exists(), "{name}: OUTDIR left behind");
    err
}

/// A small deterministic generator (xorshift), so the "random" file is the same every run.
fn pseudo_random(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn bad_input_empty_file() {
    let err = expect_rejected("empty.pcap", b"");
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn bad_input_random_bytes() {
    let mut bytes = pseudo_random(1024, 0x9e37_79b9_7f4a_7c15);
    bytes[0] = 0x42; // not the first byte of any capture magic
    let err = expect_rejected("random.pcap", &bytes);
    assert!(err.contains("byte offset 0"), "{err}");
}

#[test]
fn bad_input_jpeg() {
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
    jpeg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    jpeg.extend(pseudo_random(200, 7));
    let err = expect_rejected("photo.pcap", &jpeg);
    assert!(err.contains("byte offset 0"), "{err}");
}

#[test]
fn bad_input_truncated_pcap_header() {
    let header = pcap_header(PcapFormat::new(1));
    expect_rejected("short.pcap", &header[..10]);
}

#[test]
fn bad_input_pcapng_block_length_not_a_multiple_of_4() {
    let mut ng = Ng::section(false, &[]);
    ng.idb(1, 65_535, &[]);
    let bad_at = ng.buf.len();
    ng.epb(0, 1, &[0u8; 40], 40, &[]);
    ng.buf[bad_at + 4..bad_at + 8].copy_from_slice(&70u32.to_le_bytes());
    let err = expect_rejected("odd.pcapng", &ng.buf);
    assert!(err.contains(&format!("byte offset {bad_at}")), "{err}");
}

#[test]
fn bad_input_directory() {
    let s = Scratch::new();
    let dir = s.path("captures.pcap");
    fs::create_dir(&dir).unwrap();
    let outdir = s.path("out");
    let out = sanitize(&[&dir], &outdir, &[]);
    assert_one_line_error(&out, "captures.pcap");
    assert!(!outdir.exists());
}

#[test]
fn bad_input_nonexistent_file() {
    let s = Scratch::new();
    let missing = s.path("missing.pcap");
    let outdir = s.path("out");
    let out = sanitize(&[&missing], &outdir, &[]);
    assert_one_line_error(&out, "missing.pcap");
    assert!(!outdir.exists());
}

/// A bad second input fails the whole run: nothing is written for the good first one.
#[test]
fn bad_second_input_leaves_nothing_for_the_first() {
    let s = Scratch::new();
    let good = s.write("good.pcap", &tls_pcap(Link::Ethernet, false));
    let bad = s.write("bad.pcap", b"\x00\x01\x02\x03 definitely not a capture");
    let outdir = s.path("out");
    let out = sanitize(&[&good, &bad], &outdir, &[]);
    assert_one_line_error(&out, "bad.pcap");
    assert!(!outdir.exists());
}

/// Runs the binary under a 3 GiB address-space limit, so a 4 GiB allocation cannot succeed.
fn sanitize_limited(input: &Path, outdir: &Path) -> std::process::Output {
    let mut c = assert_cmd::Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 3145728 && exec \"$0\" sanitize \"$1\" -o \"$2\"")
        .arg(bin())
        .arg(input)
        .arg(outdir)
        .env_remove("RUST_BACKTRACE")
        .timeout(Duration::from_secs(20));
    c.output().unwrap()
}

/// snaplen 0xFFFFFFFF and a record claiming 0xFFFFFFFF captured bytes: the tool refuses it as
/// corrupt (exit 2, naming packet 1 at byte offset 24) without trying to allocate 4 GiB.
#[test]
fn hostile_pcap_record_claiming_4_gib_is_rejected_without_allocating() {
    let mut fmt = PcapFormat::new(1);
    fmt.snaplen = u32::MAX;
    let mut bytes = pcap_header(fmt);
    bytes.extend(pcap_record_raw(
        false,
        1,
        0,
        u32::MAX,
        u32::MAX,
        &[0xab; 64],
    ));
    let s = Scratch::new();
    let input = s.write("huge.pcap", &bytes);
    let outdir = s.path("out");
    let started = Instant::now();
    let out = sanitize_limited(&input, &outdir);
    assert!(started.elapsed() < Duration::from_secs(10));
    let err = assert_one_line_error(&out, "huge.pcap");
    assert!(
        err.contains("packet 1") && err.contains("byte offset 24"),
        "{err}"
    );
    assert!(!outdir.exists());
}

/// A record claiming 256 MiB - 1 in a tiny file is a truncation (exit 0 with a warning), found
/// without allocating the claimed size.
#[test]
fn pcap_record_claiming_more_than_the_file_holds_is_a_truncation() {
    let mut bytes = tls_pcap(Link::Ethernet, false);
    let at = bytes.len();
    bytes.extend(pcap_record_raw(
        false,
        9,
        0,
        0x0fff_ffff,
        0x0fff_ffff,
        &[0xab; 64],
    ));
    let s = Scratch::new();
    let input = s.write("claims.pcap", &bytes);
    let outdir = s.path("out");
    let out = sanitize_limited(&input, &outdir);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.starts_with("warning: ")
            && err.contains("packet 6")
            && err.contains(&format!("byte offset {at}")),
        "{err}"
    );
    let (_, pkts) = read_pcap(&fs::read(outdir.join("capture.sanitized.pcap")).unwrap());
    assert_eq!(pkts.len(), 5);
}

/// The binary itself on random records after a valid header (pcap and pcapng, fixed seeds):
/// exit 0 or a one-line exit 2, never a panic.
#[test]
fn binary_survives_random_records_after_a_valid_header() {
    let s = Scratch::new();
    for seed in 1..=16u64 {
        let noise = pseudo_random(
            64 + 40 * seed as usize,
            seed.wrapping_mul(0x2545_f491_4f6c_dd1d),
        );
        let mut pcap = pcap_header(PcapFormat::new(LINK_TYPES[seed as usize % 9]));
        let mut at = 0;
        while at < noise.len() {
            let len = usize::from(noise[at] % 80).min(noise.len() - at);
            pcap.extend(pcap_record_raw(
                false,
                1,
                0,
                len as u32,
                len as u32,
                &noise[at..at + len],
            ));
            at += len.max(1);
        }
        let mut ng = Ng::section(seed % 2 == 0, &[]);
        ng.idb(LINK_TYPES[seed as usize % 9] as u16, 0, &[]);
        for chunk in noise.chunks(50) {
            ng.epb(0, seed, chunk, chunk.len() as u32, &[]);
        }
        ng.buf.extend_from_slice(&noise[..(seed as usize * 7) % 40]);
        for (name, bytes) in [("r.pcap", pcap), ("r.pcapng", ng.buf)] {
            let input = s.write(&format!("{seed}/{name}"), &bytes);
            let outdir = s.path(&format!("{seed}/out-{name}"));
            let out = sanitize(&[&input], &outdir, &[]);
            let err = stderr_text(&out);
            assert!(!err.contains("panicked"), "seed {seed} {name}: {err}");
            match out.status.code() {
                Some(0) => assert!(outdir.join("SHA256SUMS").exists()),
                Some(2) => {
                    assert_one_line_error(&out, name);
                }
                other => panic!("seed {seed} {name}: exit {other:?}: {err}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests: decoders and readers never panic
// ---------------------------------------------------------------------------------------------

const LINK_TYPES: [u32; 9] = [0, 1, 12, 101, 108, 113, 228, 229, 276];

/// Checks that every offset a layout hands the rewriter lies inside the frame (the rewriter
/// indexes with them unchecked).
fn assert_layout_in_bounds(layout: &pcapscrub::wire::Layout, len: usize) {
    use pcapscrub::wire::{Net, Transport};
    for &m in layout.macs() {
        assert!(m + 6 <= len, "MAC at {m} in {len} bytes");
    }
    if let Some((from, to)) = layout.link_zero {
        assert!(from <= to && to <= len);
    }
    match &layout.net {
        Net::Arp(arp) => {
            if let Some(a) = arp.addrs {
                for at in [a.sender_mac, a.target_mac] {
                    assert!(at + 6 <= len);
                }
                for at in [a.sender_ip, a.target_ip] {
                    assert!(at + 4 <= len);
                }
            }
        }
        Net::Ip(ip) => {
            let n = ip.addr_len();
            assert!(
                ip.src + n <= len && ip.dst + n <= len,
                "addresses in bounds"
            );
            assert!(ip.header_end <= len, "IP header in bounds");
            for &(from, to) in ip.blanks() {
                assert!(from <= to && to <= len, "option area in bounds");
            }
            if let Some((first, count)) = ip.routing_addrs {
                assert!(first + 16 * count <= len, "routing addresses in bounds");
            }
            match &ip.transport {
                Transport::Tcp(t) => assert!(t.start + 20 <= len),
                Transport::Udp { start } => assert!(start + 8 <= len),
                Transport::Icmp(icmp) => {
                    assert!(icmp.start + 8 <= len);
                    if let Some(g) = icmp.gateway {
                        assert!(g + 4 <= len);
                    }
                    if let Some(q) = icmp.quote {
                        let qn = if q.version == 4 { 4 } else { 16 };
                        assert!(q.src + qn <= len && q.dst + qn <= len);
                        assert!(q.start + q.ipv4_header_len <= len);
                        if let Some(c) = q.udp_checksum {
                            assert!(c + 2 <= len);
                        }
                    }
                }
                Transport::Opaque => {}
            }
        }
        Net::Unknown | Net::Truncated => {}
    }
}

/// Valid frames of every link type and protocol the fixtures know, to mutate.
fn seed_frames() -> Vec<(u32, Vec<u8>)> {
    let mut frames = Vec::new();
    for link in Link::ALL {
        for v6 in [false, true] {
            if !link.carries(v6) {
                continue;
            }
            for seg in tls_conversation().iter().skip(2).take(2) {
                frames.push((link.dlt(), link.frame(&seg.ip(v6), v6, seg.from_client)));
            }
        }
    }
    let udp = ip_udp(Addr::V4(CLIENT_V4), Addr::V4(OTHER_V4), 40_000, 53, SECRET);
    let icmp = ipv4_packet(
        OTHER_V4,
        CLIENT_V4,
        1,
        &[],
        &icmpv4(3, 3, [0; 4], &udp[..28]),
    );
    let v6udp = ip_udp(Addr::V6(CLIENT_V6), Addr::V6(SERVER_V6), 40_000, 53, SECRET);
    frames.push((1, ethernet(SERVER_MAC, CLIENT_MAC, ETHERTYPE_IPV4, &udp)));
    frames.push((1, ethernet(SERVER_MAC, CLIENT_MAC, ETHERTYPE_IPV4, &icmp)));
    frames.push((1, ethernet(SERVER_MAC, CLIENT_MAC, ETHERTYPE_IPV6, &v6udp)));
    frames.push((
        1,
        ethernet(
            [0xff; 6],
            CLIENT_MAC,
            ETHERTYPE_ARP,
            &arp_request(CLIENT_MAC, CLIENT_V4, SERVER_V4),
        ),
    ));
    frames
}

/// A seed frame, cut at a random length and with a few bytes overwritten; the link type is
/// sometimes swapped for another.
fn mutated_frame() -> impl Strategy<Value = (u32, Vec<u8>)> {
    let seeds = seed_frames();
    (
        0..seeds.len(),
        any::<prop::sample::Index>(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        prop::option::weighted(0.2, prop::sample::select(&LINK_TYPES[..])),
    )
        .prop_map(move |(i, cut, flips, relink)| {
            let (link, mut data) = seeds[i].clone();
            let keep = cut.index(data.len() + 1);
            data.truncate(keep.max(1));
            for (at, value) in flips {
                let n = data.len();
                data[at.index(n)] = value;
            }
            (relink.unwrap_or(link), data)
        })
}

/// Walks a capture with the library's reader until it ends or fails; errors must name the
/// file and be a single line.
fn drain(path: &Path) {
    match pcapscrub::capture::CaptureReader::open(path, "fuzzed.cap") {
        Err(e) => {
            let text = e.to_string();
            assert!(text.starts_with("fuzzed.cap"), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
        Ok(mut reader) => {
            for _ in 0..100_000 {
                match reader.next_event() {
                    Ok(Some(_)) => {}
                    Ok(None) => return,
                    Err(e) => {
                        let text = e.to_string();
                        assert!(text.starts_with("fuzzed.cap"), "{text}");
                        assert!(!text.contains('\n'), "{text}");
                        return;
                    }
                }
            }
            panic!("the reader did not finish a small file in 100000 events");
        }
    }
}

fn with_file(bytes: &[u8], f: impl FnOnce(&Path)) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    f(file.path());
}

/// A random pcap record: mostly consistent lengths, sometimes lies.
fn pcap_records() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (
            any::<bool>(),
            prop_oneof![Just(None), any::<u32>().prop_map(Some)],
            mutated_frame(),
        ),
        0..6,
    )
    .prop_map(|recs| {
        let mut out = Vec::new();
        for (_, lie, (_, data)) in recs {
            let caplen = lie.unwrap_or(data.len() as u32);
            out.extend(pcap_record_raw(
                false,
                1,
                2,
                caplen,
                data.len() as u32,
                &data,
            ));
        }
        out
    })
}

/// A random pcapng block: a type the reader knows (or not), a body, sometimes a lying length.
fn pcapng_blocks() -> impl Strategy<Value = Vec<u8>> {
    let types = prop::sample::select(vec![
        0x0a0d_0d0au32,
        1,
        2,
        3,
        4,
        5,
        6,
        9,
        10,
        0x0bad,
        0x4000_0bad,
        0x1234,
    ]);
    prop::collection::vec(
        (
            types,
            prop::collection::vec(any::<u8>(), 0..96),
            prop::option::weighted(0.15, any::<u32>()),
        ),
        0..8,
    )
    .prop_map(|blocks| {
        let mut out = Vec::new();
        for (block_type, mut body, lie) in blocks {
            if block_type == 0x0a0d_0d0a && body.len() >= 4 {
                body[..4].copy_from_slice(&0x1a2b_3c4du32.to_le_bytes());
            }
            body.resize(body.len().next_multiple_of(4), 0);
            let total = 12 + body.len() as u32;
            out.extend_from_slice(&block_type.to_le_bytes());
            out.extend_from_slice(&lie.unwrap_or(total).to_le_bytes());
            out.extend_from_slice(&body);
            out.extend_from_slice(&total.to_le_bytes());
        }
        out
    })
}

fn pcapng_prefix(link: u16, tsresol: u8) -> Vec<u8> {
    let mut ng = Ng::section(false, &[]);
    ng.idb(link, 65_535, &[(IF_TSRESOL, &[tsresol])]);
    ng.buf
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn wire_decode_never_panics_on_arbitrary_bytes(
        link in prop::sample::select(&LINK_TYPES[..]),
        data in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        if let Ok(layout) = pcapscrub::wire::decode(link, &data) {
            assert_layout_in_bounds(&layout, data.len());
        }
    }

    #[test]
    fn wire_decode_never_panics_on_mutated_frames((link, data) in mutated_frame()) {
        if let Ok(layout) = pcapscrub::wire::decode(link, &data) {
            assert_layout_in_bounds(&layout, data.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn capture_reader_never_panics_on_arbitrary_files(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        with_file(&bytes, drain);
    }

    #[test]
    fn capture_reader_never_panics_on_random_pcap_records(
        be in any::<bool>(),
        nano in any::<bool>(),
        link in prop::sample::select(&LINK_TYPES[..]),
        records in pcap_records(),
    ) {
        let fmt = PcapFormat { big_endian: be, nanosecond: nano, snaplen: 65_535, link_type: link };
        let mut bytes = pcap_header(fmt);
        bytes.extend(records);
        with_file(&bytes, drain);
    }

    #[test]
    fn capture_reader_never_panics_on_random_pcapng_blocks(
        link in prop::sample::select(&LINK_TYPES[..]),
        tsresol in any::<u8>(),
        blocks in pcapng_blocks(),
    ) {
        let mut bytes = pcapng_prefix(link as u16, tsresol);
        bytes.extend(blocks);
        with_file(&bytes, drain);
    }
}

/// The whole pipeline in-process: random records after a valid header either sanitize or fail
/// with an error; never a panic, and a success writes a readable capture.
fn sanitize_in_process(bytes: &[u8], pcapng: bool) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(if pcapng { "f.pcapng" } else { "f.pcap" });
    fs::write(&input, bytes).unwrap();
    let outdir = dir.path().join("out");
    let inputs = [input.to_str().unwrap().to_string()];
    let policy = pcapscrub::policy::Policy::default();
    let key = pcapscrub::anonymize::MappingKey::from_bytes(&[9u8; 32]).unwrap();
    let opts = pcapscrub::commands::sanitize::SanitizeOptions {
        inputs: &inputs,
        outdir: &outdir,
        policy: &policy,
        key: &key,
        force: false,
        client_log: None,
        jobs: 1,
        name: &pcapscrub::report::evidence::EvidenceStem::default(),
        mapping_out: None,
        summary: Default::default(),
        keylog: None,
        plan: None,
    };
    match pcapscrub::commands::sanitize::run(&opts) {
        Ok(_) => {
            let out = fs::read(outdir.join(if pcapng {
                "capture.sanitized.pcapng"
            } else {
                "capture.sanitized.pcap"
            }))
            .unwrap();
            if pcapng {
                read_pcapng(&out);
            } else {
                read_pcap(&out);
            }
        }
        Err(e) => {
            let text = format!("{e:#}");
            assert!(!text.contains('\n'), "{text}");
            assert!(!outdir.exists(), "failed run left {}", outdir.display());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn sanitize_never_panics_on_random_pcap_records(
        link in prop::sample::select(&LINK_TYPES[..]),
        records in pcap_records(),
    ) {
        let mut bytes = pcap_header(PcapFormat::new(link));
        bytes.extend(records);
        sanitize_in_process(&bytes, false);
    }

    #[test]
    fn sanitize_never_panics_on_random_pcapng_blocks(
        link in prop::sample::select(&LINK_TYPES[..]),
        frames in prop::collection::vec(mutated_frame(), 0..6),
        blocks in pcapng_blocks(),
    ) {
        let mut ng = Ng::section(false, &[]);
        ng.idb(link as u16, 65_535, &[]);
        for (_, f) in &frames {
            ng.epb(0, 5, f, f.len() as u32, &[]);
        }
        let mut bytes = ng.buf;
        bytes.extend(blocks);
        sanitize_in_process(&bytes, true);
    }
}
