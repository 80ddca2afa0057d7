//! Capture fixtures built in code, and small readers for what `pcapscrub` writes.
//!
//! Every fixture uses private addresses (10.1.2.3, 10.9.8.7, fd00::1, fd00::2) and MACs of the
//! form 12:34:56:78:9a:bX, so a test can search the output bytes for them. Shared by
//! `tests/sanitize_cli.rs` and `tests/capture_formats.rs`; each uses a different subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

// ---------------------------------------------------------------------------------------------
// Identities used in fixtures
// ---------------------------------------------------------------------------------------------

pub const CLIENT_MAC: [u8; 6] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];
pub const SERVER_MAC: [u8; 6] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbd];
pub const OTHER_MAC: [u8; 6] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbe];
pub const CLIENT_V4: [u8; 4] = [10, 1, 2, 3];
pub const SERVER_V4: [u8; 4] = [10, 9, 8, 7];
pub const OTHER_V4: [u8; 4] = [10, 4, 5, 6];
pub const CLIENT_V6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub const SERVER_V6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
pub const CLIENT_PORT: u16 = 51_515;
pub const SERVER_PORT: u16 = 443;
pub const CLIENT_ISN: u32 = 0x1122_3344;
pub const SERVER_ISN: u32 = 0x5566_7788;
/// A marker in every payload a fixture carries; it must never reach an output.
pub const SECRET: &[u8] = b"fixture-secret";

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;

/// The TLS record header of the fixture's client data.
pub const TLS_HEADER: [u8; 5] = [0x16, 0x03, 0x01, 0x00, 0x30];

/// Every identifying byte string of the fixtures (addresses, MACs, payload marker).
pub fn identifying_patterns() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("client MAC", CLIENT_MAC.to_vec()),
        ("server MAC", SERVER_MAC.to_vec()),
        ("other MAC", OTHER_MAC.to_vec()),
        ("client IPv4", CLIENT_V4.to_vec()),
        ("server IPv4", SERVER_V4.to_vec()),
        ("other IPv4", OTHER_V4.to_vec()),
        ("client IPv6", CLIENT_V6.to_vec()),
        ("server IPv6", SERVER_V6.to_vec()),
        ("payload marker", SECRET.to_vec()),
    ]
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Panics naming every fixture identity found in `bytes`.
pub fn assert_no_identifying_bytes(bytes: &[u8], what: &str) {
    let found: Vec<&str> = identifying_patterns()
        .into_iter()
        .filter(|(_, p)| contains(bytes, p))
        .map(|(n, _)| n)
        .collect();
    assert!(found.is_empty(), "{what} still contains: {found:?}");
}

/// Panics when a summary's text names any fixture identity (addresses in text form, the
/// payload marker, names carried in payloads or pcapng metadata).
pub fn assert_summary_clean(path: &Path) {
    let text = std::fs::read_to_string(path).expect("summary exists");
    for needle in [
        "10.1.2.3",
        "10.9.8.7",
        "10.4.5.6",
        "fd00::1",
        "fd00::2",
        "12:34:56:78:9a:b",
        "fixture-secret",
        "intranet",
        "acme",
    ] {
        assert!(
            !text.contains(needle),
            "{} reveals {needle}",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------------------------

pub fn sum16(data: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [b] = chunks.remainder() {
        acc += u64::from(*b) << 8;
    }
    acc
}

pub fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// True when an IPv4 header (options included) sums to zero.
pub fn ipv4_header_checksum_ok(header: &[u8]) -> bool {
    fold(sum16(header)) == 0
}

/// The pseudo-header sum of TCP/UDP over IPv4 (4-byte addresses) or IPv6 (16-byte addresses).
pub fn pseudo_sum(src: &[u8], dst: &[u8], proto: u8, len: usize) -> u64 {
    sum16(src) + sum16(dst) + u64::from(proto) + len as u64
}

/// True when a TCP/UDP segment (checksum field included) verifies against its addresses.
pub fn transport_checksum_ok(src: &[u8], dst: &[u8], proto: u8, segment: &[u8]) -> bool {
    fold(sum16(segment) + pseudo_sum(src, dst, proto, segment.len())) == 0
}

// ---------------------------------------------------------------------------------------------
// Network and transport layers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Addr {
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Addr::V4(a) => a.to_vec(),
            Addr::V6(a) => a.to_vec(),
        }
    }

    pub fn is_v6(&self) -> bool {
        matches!(self, Addr::V6(_))
    }
}

pub fn client_addr(v6: bool) -> Addr {
    if v6 {
        Addr::V6(CLIENT_V6)
    } else {
        Addr::V4(CLIENT_V4)
    }
}

pub fn server_addr(v6: bool) -> Addr {
    if v6 {
        Addr::V6(SERVER_V6)
    } else {
        Addr::V4(SERVER_V4)
    }
}

/// An IPv4 header (identification 0x4d2e, DF, TTL 64) with `options` (padded to 4 bytes)
/// followed by `payload`; the header checksum is filled in.
pub fn ipv4_packet(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut opts = options.to_vec();
    opts.resize(opts.len().next_multiple_of(4), 0);
    let ihl = 20 + opts.len();
    let total = ihl + payload.len();
    let mut p = vec![
        0x40 | (ihl / 4) as u8,
        0,
        (total >> 8) as u8,
        total as u8,
        0x4d,
        0x2e,
        0x40,
        0,
        64,
        proto,
        0,
        0,
    ];
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&opts);
    let c = fold(sum16(&p));
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

pub fn ipv6_packet(src: [u8; 16], dst: [u8; 16], next: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0x0a, 0xbc, 0xde];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.push(next);
    p.push(64);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

pub fn ip_packet(src: Addr, dst: Addr, proto: u8, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (Addr::V4(s), Addr::V4(d)) => ipv4_packet(s, d, proto, &[], payload),
        (Addr::V6(s), Addr::V6(d)) => ipv6_packet(s, d, proto, payload),
        _ => panic!("mixed address families"),
    }
}

#[derive(Clone, Debug)]
pub struct TcpSeg {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

/// A TCP segment with a correct checksum for the given addresses.
pub fn tcp_segment(src: Addr, dst: Addr, t: &TcpSeg) -> Vec<u8> {
    let mut opts = t.options.clone();
    opts.resize(opts.len().next_multiple_of(4), 0);
    let hlen = 20 + opts.len();
    let mut s = Vec::with_capacity(hlen + t.payload.len());
    s.extend_from_slice(&t.sport.to_be_bytes());
    s.extend_from_slice(&t.dport.to_be_bytes());
    s.extend_from_slice(&t.seq.to_be_bytes());
    s.extend_from_slice(&t.ack.to_be_bytes());
    s.push(((hlen / 4) as u8) << 4);
    s.push(t.flags);
    s.extend_from_slice(&t.window.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]);
    s.extend_from_slice(&opts);
    s.extend_from_slice(&t.payload);
    let c = fold(sum16(&s) + pseudo_sum(&src.bytes(), &dst.bytes(), 6, s.len()));
    s[16..18].copy_from_slice(&c.to_be_bytes());
    s
}

pub fn ip_tcp(src: Addr, dst: Addr, t: &TcpSeg) -> Vec<u8> {
    ip_packet(src, dst, 6, &tcp_segment(src, dst, t))
}

pub fn udp_datagram(src: Addr, dst: Addr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut s = Vec::with_capacity(len);
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&(len as u16).to_be_bytes());
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(payload);
    let mut c = fold(sum16(&s) + pseudo_sum(&src.bytes(), &dst.bytes(), 17, len));
    if c == 0 {
        c = 0xffff;
    }
    s[6..8].copy_from_slice(&c.to_be_bytes());
    s
}

pub fn ip_udp(src: Addr, dst: Addr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    ip_packet(src, dst, 17, &udp_datagram(src, dst, sport, dport, payload))
}

/// An ICMPv4 message (type, code, 4 bytes of rest-of-header, body) with its checksum.
pub fn icmpv4(icmp_type: u8, code: u8, rest: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut m = vec![icmp_type, code, 0, 0];
    m.extend_from_slice(&rest);
    m.extend_from_slice(body);
    let c = fold(sum16(&m));
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// An ARP request for Ethernet/IPv4 (28 bytes).
pub fn arp_request(sender_mac: [u8; 6], sender_ip: [u8; 4], target_ip: [u8; 4]) -> Vec<u8> {
    let mut a = vec![0, 1, 0x08, 0x00, 6, 4, 0, 1];
    a.extend_from_slice(&sender_mac);
    a.extend_from_slice(&sender_ip);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&target_ip);
    a
}

// ---------------------------------------------------------------------------------------------
// A TCP conversation
// ---------------------------------------------------------------------------------------------

/// One segment of a conversation between the fixture client and server.
#[derive(Clone, Debug)]
pub struct ConvSeg {
    pub from_client: bool,
    pub tcp: TcpSeg,
}

impl ConvSeg {
    pub fn ip(&self, v6: bool) -> Vec<u8> {
        let (src, dst) = if self.from_client {
            (client_addr(v6), server_addr(v6))
        } else {
            (server_addr(v6), client_addr(v6))
        };
        ip_tcp(src, dst, &self.tcp)
    }
}

fn seg(from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> ConvSeg {
    let (sport, dport) = if from_client {
        (CLIENT_PORT, SERVER_PORT)
    } else {
        (SERVER_PORT, CLIENT_PORT)
    };
    let options = if flags & TCP_SYN != 0 {
        vec![2, 4, 0x05, 0xb4] // MSS 1460
    } else {
        Vec::new()
    };
    ConvSeg {
        from_client,
        tcp: TcpSeg {
            sport,
            dport,
            seq,
            ack,
            flags,
            window: if from_client { 64_240 } else { 65_160 },
            options,
            payload: payload.to_vec(),
        },
    }
}

/// The TLS record the client sends: header `16 03 01 00 30` and a 48-byte body that starts a
/// ClientHello and carries the secret marker.
pub fn tls_client_record() -> Vec<u8> {
    let mut r = TLS_HEADER.to_vec();
    let mut body = vec![0x01, 0x00, 0x00, 0x2c];
    body.extend_from_slice(SECRET);
    body.resize(48, b'#');
    r.extend_from_slice(&body);
    r
}

/// SYN, SYN-ACK, ACK, client TLS record (53 bytes), server ACK.
pub fn tls_conversation() -> Vec<ConvSeg> {
    let rec = tls_client_record();
    let c1 = CLIENT_ISN.wrapping_add(1);
    let s1 = SERVER_ISN.wrapping_add(1);
    vec![
        seg(true, CLIENT_ISN, 0, TCP_SYN, &[]),
        seg(false, SERVER_ISN, c1, TCP_SYN | TCP_ACK, &[]),
        seg(true, c1, s1, TCP_ACK, &[]),
        seg(true, c1, s1, TCP_PSH | TCP_ACK, &rec),
        seg(false, s1, c1 + rec.len() as u32, TCP_ACK, &[]),
    ]
}

/// SYN, SYN-ACK, ACK, an HTTP request, an HTTP response.
pub fn http_conversation() -> Vec<ConvSeg> {
    let mut req = b"GET /private HTTP/1.1\r\nHost: intranet.corp\r\nX-Token: ".to_vec();
    req.extend_from_slice(SECRET);
    req.extend_from_slice(b"\r\n\r\n");
    let mut resp = b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n".to_vec();
    resp.extend_from_slice(SECRET);
    let c1 = CLIENT_ISN.wrapping_add(1);
    let s1 = SERVER_ISN.wrapping_add(1);
    let mut conv = vec![
        seg(true, CLIENT_ISN, 0, TCP_SYN, &[]),
        seg(false, SERVER_ISN, c1, TCP_SYN | TCP_ACK, &[]),
        seg(true, c1, s1, TCP_ACK, &[]),
        seg(true, c1, s1, TCP_PSH | TCP_ACK, &req),
        seg(false, s1, c1 + req.len() as u32, TCP_PSH | TCP_ACK, &resp),
    ];
    for s in &mut conv {
        s.tcp.sport = if s.from_client { CLIENT_PORT } else { 80 };
        s.tcp.dport = if s.from_client { 80 } else { CLIENT_PORT };
    }
    conv
}

// ---------------------------------------------------------------------------------------------
// Link layers
// ---------------------------------------------------------------------------------------------

pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Pads a frame with zeros to Ethernet's 60-byte minimum, as capture NICs deliver them.
pub fn pad60(mut f: Vec<u8>) -> Vec<u8> {
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

/// The link layers the tests sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    Vlan,
    QinQ,
    Pppoe,
    Sll,
    Sll2,
    NullLe,
    NullBe,
    Loop,
    Raw101,
    Raw228,
    Raw229,
}

impl Link {
    pub const ALL: [Link; 12] = [
        Link::Ethernet,
        Link::Vlan,
        Link::QinQ,
        Link::Pppoe,
        Link::Sll,
        Link::Sll2,
        Link::NullLe,
        Link::NullBe,
        Link::Loop,
        Link::Raw101,
        Link::Raw228,
        Link::Raw229,
    ];

    pub fn dlt(self) -> u32 {
        match self {
            Link::Ethernet | Link::Vlan | Link::QinQ | Link::Pppoe => 1,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::NullLe | Link::NullBe => 0,
            Link::Loop => 108,
            Link::Raw101 => 101,
            Link::Raw228 => 228,
            Link::Raw229 => 229,
        }
    }

    /// Whether the link layer can carry this IP version.
    pub fn carries(self, v6: bool) -> bool {
        match self {
            Link::Raw228 => !v6,
            Link::Raw229 => v6,
            _ => true,
        }
    }

    /// Length of the link header this module writes.
    pub fn header_len(self) -> usize {
        match self {
            Link::Ethernet => 14,
            Link::Vlan => 18,
            Link::QinQ | Link::Pppoe => 22,
            Link::Sll => 16,
            Link::Sll2 => 20,
            Link::NullLe | Link::NullBe | Link::Loop => 4,
            Link::Raw101 | Link::Raw228 | Link::Raw229 => 0,
        }
    }

    /// Offsets of the MAC addresses in the link header.
    pub fn mac_offsets(self) -> &'static [usize] {
        match self {
            Link::Ethernet | Link::Vlan | Link::QinQ | Link::Pppoe => &[0, 6],
            Link::Sll => &[6],
            Link::Sll2 => &[12],
            _ => &[],
        }
    }

    /// Frames an IP packet sent by the client (`from_client`) or the server.
    pub fn frame(self, ip: &[u8], v6: bool, from_client: bool) -> Vec<u8> {
        let (src, dst) = if from_client {
            (CLIENT_MAC, SERVER_MAC)
        } else {
            (SERVER_MAC, CLIENT_MAC)
        };
        let ethertype = if v6 { ETHERTYPE_IPV6 } else { ETHERTYPE_IPV4 };
        match self {
            Link::Ethernet => pad60(ethernet(dst, src, ethertype, ip)),
            Link::Vlan => {
                let mut p = vec![0x20, 0x64]; // PCP 1, VID 100
                p.extend_from_slice(&ethertype.to_be_bytes());
                p.extend_from_slice(ip);
                pad60(ethernet(dst, src, 0x8100, &p))
            }
            Link::QinQ => {
                let mut p = vec![0x00, 0xc8, 0x81, 0x00, 0x00, 0x64]; // S-VID 200, C-VID 100
                p.extend_from_slice(&ethertype.to_be_bytes());
                p.extend_from_slice(ip);
                pad60(ethernet(dst, src, 0x88a8, &p))
            }
            Link::Pppoe => {
                let ppp: u16 = if v6 { 0x0057 } else { 0x0021 };
                let mut p = vec![0x11, 0x00, 0x00, 0x42];
                p.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
                p.extend_from_slice(&ppp.to_be_bytes());
                p.extend_from_slice(ip);
                pad60(ethernet(dst, src, 0x8864, &p))
            }
            Link::Sll => {
                let pkttype: u16 = if from_client { 4 } else { 0 };
                let mut f = pkttype.to_be_bytes().to_vec();
                f.extend_from_slice(&[0x00, 0x01, 0x00, 0x06]);
                f.extend_from_slice(&src);
                f.extend_from_slice(&[0, 0]);
                f.extend_from_slice(&ethertype.to_be_bytes());
                f.extend_from_slice(ip);
                f
            }
            Link::Sll2 => {
                let mut f = ethertype.to_be_bytes().to_vec();
                f.extend_from_slice(&[0, 0, 0, 0, 0, 3, 0x00, 0x01]);
                f.push(if from_client { 4 } else { 0 });
                f.push(6);
                f.extend_from_slice(&src);
                f.extend_from_slice(&[0, 0]);
                f.extend_from_slice(ip);
                f
            }
            Link::NullLe => {
                let family: u32 = if v6 { 30 } else { 2 };
                let mut f = family.to_le_bytes().to_vec();
                f.extend_from_slice(ip);
                f
            }
            Link::NullBe | Link::Loop => {
                let family: u32 = if v6 { 24 } else { 2 };
                let mut f = family.to_be_bytes().to_vec();
                f.extend_from_slice(ip);
                f
            }
            Link::Raw101 | Link::Raw228 | Link::Raw229 => ip.to_vec(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub struct PcapFormat {
    pub big_endian: bool,
    pub nanosecond: bool,
    pub snaplen: u32,
    pub link_type: u32,
}

impl PcapFormat {
    pub fn new(link_type: u32) -> PcapFormat {
        PcapFormat {
            big_endian: false,
            nanosecond: false,
            snaplen: 262_144,
            link_type,
        }
    }
}

fn put_u16(v: &mut Vec<u8>, x: u16, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn put_u32(v: &mut Vec<u8>, x: u32, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn put_u64(v: &mut Vec<u8>, x: u64, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

pub fn pcap_header(f: PcapFormat) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    let magic = if f.nanosecond {
        0xa1b2_3c4d
    } else {
        0xa1b2_c3d4
    };
    put_u32(&mut h, magic, f.big_endian);
    put_u16(&mut h, 2, f.big_endian);
    put_u16(&mut h, 4, f.big_endian);
    put_u32(&mut h, 0, f.big_endian);
    put_u32(&mut h, 0, f.big_endian);
    put_u32(&mut h, f.snaplen, f.big_endian);
    put_u32(&mut h, f.link_type, f.big_endian);
    h
}

/// A record header with explicit caplen/orig_len, then `data` (which may be shorter, to cut).
pub fn pcap_record_raw(
    be: bool,
    ts_sec: u32,
    ts_frac: u32,
    caplen: u32,
    orig_len: u32,
    data: &[u8],
) -> Vec<u8> {
    let mut r = Vec::with_capacity(16 + data.len());
    put_u32(&mut r, ts_sec, be);
    put_u32(&mut r, ts_frac, be);
    put_u32(&mut r, caplen, be);
    put_u32(&mut r, orig_len, be);
    r.extend_from_slice(data);
    r
}

#[derive(Clone, Debug)]
pub struct Rec {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub data: Vec<u8>,
}

pub fn pcap_file(f: PcapFormat, recs: &[Rec]) -> Vec<u8> {
    let mut out = pcap_header(f);
    for r in recs {
        let n = r.data.len() as u32;
        out.extend(pcap_record_raw(
            f.big_endian,
            r.ts_sec,
            r.ts_frac,
            n,
            n,
            &r.data,
        ));
    }
    out
}

/// Records one second apart (plus a sub-second part) starting at 2023-11-14T22:13:20Z.
pub fn timed(frames: Vec<Vec<u8>>, nanosecond: bool) -> Vec<Rec> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, data)| Rec {
            ts_sec: 1_700_000_000 + i as u32,
            ts_frac: if nanosecond {
                123_456_789 + i as u32
            } else {
                123_456 + i as u32
            },
            data,
        })
        .collect()
}

/// The TLS conversation framed for `link`, as a pcap file.
pub fn tls_pcap(link: Link, v6: bool) -> Vec<u8> {
    let frames = tls_conversation()
        .iter()
        .map(|s| link.frame(&s.ip(v6), v6, s.from_client))
        .collect();
    pcap_file(PcapFormat::new(link.dlt()), &timed(frames, false))
}

/// A raw pcap record as read back (fields as stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcapOut {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

/// Reads a pcap file with `pcap-file` (an independent reader): its header and raw records.
pub fn read_pcap(bytes: &[u8]) -> (pcap_file::pcap::PcapHeader, Vec<PcapOut>) {
    let mut reader = pcap_file::pcap::PcapReader::new(bytes).expect("output is a valid pcap");
    let header = reader.header();
    let mut out = Vec::new();
    while let Some(pkt) = reader.next_raw_packet() {
        let pkt = pkt.expect("output pcap record is readable");
        assert_eq!(
            pkt.incl_len as usize,
            pkt.data.len(),
            "record length field matches its data"
        );
        out.push(PcapOut {
            ts_sec: pkt.ts_sec,
            ts_frac: pkt.ts_frac,
            orig_len: pkt.orig_len,
            data: pkt.data.to_vec(),
        });
    }
    (header, out)
}

// ---------------------------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------------------------

pub const OPT_COMMENT: u16 = 1;
pub const SHB_HARDWARE: u16 = 2;
pub const SHB_OS: u16 = 3;
pub const SHB_USERAPPL: u16 = 4;
pub const IF_NAME: u16 = 2;
pub const IF_TSRESOL: u16 = 9;
pub const IF_TSOFFSET: u16 = 14;
pub const EPB_FLAGS: u16 = 2;

/// Builds one pcapng section in one byte order.
pub struct Ng {
    pub be: bool,
    pub buf: Vec<u8>,
}

pub fn ng_options(be: bool, opts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut o = Vec::new();
    for (code, value) in opts {
        put_u16(&mut o, *code, be);
        put_u16(&mut o, value.len() as u16, be);
        o.extend_from_slice(value);
        o.resize(o.len().next_multiple_of(4), 0);
    }
    if !opts.is_empty() {
        o.extend_from_slice(&[0, 0, 0, 0]);
    }
    o
}

impl Ng {
    /// Starts a section: the SHB with `opts`.
    pub fn section(be: bool, opts: &[(u16, &[u8])]) -> Ng {
        let mut ng = Ng {
            be,
            buf: Vec::new(),
        };
        let mut body = Vec::new();
        put_u32(&mut body, 0x1a2b_3c4d, be);
        put_u16(&mut body, 1, be);
        put_u16(&mut body, 0, be);
        put_u64(&mut body, u64::MAX, be);
        body.extend(ng_options(be, opts));
        ng.block(0x0a0d_0d0a, &body);
        ng
    }

    /// Appends a block; the body is padded to 4 bytes.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Ng {
        let padded = body.len().next_multiple_of(4);
        let total = (12 + padded) as u32;
        let be = self.be;
        put_u32(&mut self.buf, block_type, be);
        put_u32(&mut self.buf, total, be);
        self.buf.extend_from_slice(body);
        self.buf.resize(self.buf.len() + padded - body.len(), 0);
        put_u32(&mut self.buf, total, be);
        self
    }

    pub fn idb(&mut self, link_type: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u16(&mut body, link_type, be);
        put_u16(&mut body, 0, be);
        put_u32(&mut body, snaplen, be);
        body.extend(ng_options(be, opts));
        self.block(1, &body)
    }

    pub fn epb(
        &mut self,
        iface: u32,
        ts: u64,
        data: &[u8],
        orig_len: u32,
        opts: &[(u16, &[u8])],
    ) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, iface, be);
        put_u32(&mut body, (ts >> 32) as u32, be);
        put_u32(&mut body, ts as u32, be);
        put_u32(&mut body, data.len() as u32, be);
        put_u32(&mut body, orig_len, be);
        body.extend_from_slice(data);
        body.resize(body.len().next_multiple_of(4), 0);
        body.extend(ng_options(be, opts));
        self.block(6, &body)
    }

    pub fn spb(&mut self, data: &[u8]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, data.len() as u32, be);
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    /// A name resolution block mapping an IPv4 address to a name.
    pub fn nrb(&mut self, addr: [u8; 4], name: &str) -> &mut Ng {
        let be = self.be;
        let mut value = addr.to_vec();
        value.extend_from_slice(name.as_bytes());
        value.push(0);
        let mut body = Vec::new();
        put_u16(&mut body, 1, be);
        put_u16(&mut body, value.len() as u16, be);
        body.extend_from_slice(&value);
        body.resize(body.len().next_multiple_of(4), 0);
        body.extend_from_slice(&[0, 0, 0, 0]);
        self.block(4, &body)
    }

    pub fn isb(&mut self, iface: u32, ts: u64, opts: &[(u16, &[u8])]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, iface, be);
        put_u32(&mut body, (ts >> 32) as u32, be);
        put_u32(&mut body, ts as u32, be);
        body.extend(ng_options(be, opts));
        self.block(5, &body)
    }

    /// A decryption secrets block (TLS key log).
    pub fn dsb(&mut self, secrets: &[u8]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, 0x544c_534b, be);
        put_u32(&mut body, secrets.len() as u32, be);
        body.extend_from_slice(secrets);
        self.block(10, &body)
    }

    pub fn custom(&mut self, block_type: u32, data: &[u8]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, 32_473, be); // the example private enterprise number
        body.extend_from_slice(data);
        self.block(block_type, &body)
    }
}

/// One block of a pcapng file as `pcapscrub` wrote it (little-endian), decoded by hand after
/// `pcap-file` has framed and validated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NgOut {
    Section {
        options: Vec<(u16, Vec<u8>)>,
    },
    Interface {
        link_type: u16,
        snaplen: u32,
        options: Vec<(u16, Vec<u8>)>,
    },
    Packet {
        iface: u32,
        ts_hi: u32,
        ts_lo: u32,
        orig_len: u32,
        data: Vec<u8>,
        options: Vec<(u16, Vec<u8>)>,
    },
    Other(u32),
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn parse_le_options(mut area: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while area.len() >= 4 {
        let code = le16(area);
        let len = le16(&area[2..]) as usize;
        if code == 0 {
            break;
        }
        assert!(4 + len <= area.len(), "option {code} runs past its block");
        out.push((code, area[4..4 + len].to_vec()));
        area = &area[(4 + len).next_multiple_of(4).min(area.len())..];
    }
    out
}

fn ng_block(type_: u32, body: &[u8]) -> NgOut {
    match type_ {
        0x0a0d_0d0a => {
            assert_eq!(le32(body), 0x1a2b_3c4d, "output sections are little-endian");
            NgOut::Section {
                options: parse_le_options(&body[16..]),
            }
        }
        1 => NgOut::Interface {
            link_type: le16(body),
            snaplen: le32(&body[4..]),
            options: parse_le_options(&body[8..]),
        },
        6 => {
            let caplen = le32(&body[12..]) as usize;
            NgOut::Packet {
                iface: le32(body),
                ts_hi: le32(&body[4..]),
                ts_lo: le32(&body[8..]),
                orig_len: le32(&body[16..]),
                data: body[20..20 + caplen].to_vec(),
                options: parse_le_options(&body[(20 + caplen).next_multiple_of(4)..]),
            }
        }
        other => NgOut::Other(other),
    }
}

/// Reads a pcapng file with `pcap-file`'s parser (framing, section and interface validation)
/// and decodes each block.
pub fn read_pcapng(bytes: &[u8]) -> Vec<NgOut> {
    use pcap_file::pcapng::PcapNgParser;
    use pcap_file::pcapng::blocks::section_header::SectionHeaderOption;
    let (mut rest, mut parser) = PcapNgParser::new(bytes).expect("output is a valid pcapng");
    // The parser consumed the first section header; decode it from the raw bytes we hold.
    let first_len = le32(&bytes[4..8]) as usize;
    let mut blocks = vec![ng_block(0x0a0d_0d0a, &bytes[8..first_len - 4])];
    assert!(
        parser
            .section()
            .options
            .iter()
            .all(|o| matches!(o, SectionHeaderOption::UserApplication(_))),
        "pcap-file sees only shb_userappl in the first section"
    );
    while !rest.is_empty() {
        let (r, raw) = parser
            .next_raw_block(rest)
            .expect("output pcapng block is readable");
        blocks.push(ng_block(raw.type_, &raw.body));
        rest = r;
    }
    blocks
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pcapscrub")
}

/// A command for the binary with a fixed environment (no backtraces asked for, no colour).
pub fn cmd() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(bin());
    c.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .timeout(std::time::Duration::from_secs(60));
    c
}

pub fn stderr_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the shape every error must have: exit 2, exactly one line on stderr that mentions
/// `name`, and no trace of a panic.
pub fn assert_one_line_error(out: &Output, name: &str) -> String {
    let err = stderr_text(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit status 2 expected; stderr: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic text on stderr: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "exactly one line on stderr expected, got: {err:?}"
    );
    assert!(err.ends_with('\n'), "the error line is terminated: {err:?}");
    assert!(err.contains(name), "the error names {name}: {err}");
    err
}

/// A scratch folder with helpers to place inputs and name outputs.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

/// Runs `pcapscrub sanitize INPUT... -o OUTDIR EXTRA...`.
pub fn sanitize(inputs: &[&Path], outdir: &Path, extra: &[&str]) -> Output {
    let mut c = cmd();
    c.arg("sanitize");
    for i in inputs {
        c.arg(i);
    }
    c.arg("-o").arg(outdir).args(extra);
    c.output().expect("run pcapscrub")
}

/// Runs sanitize and insists on success (exit 0, no panic text).
pub fn sanitize_ok(inputs: &[&Path], outdir: &Path, extra: &[&str]) -> Output {
    let out = sanitize(inputs, outdir, extra);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(0), "sanitize failed: {err}");
    assert!(!err.contains("panicked"), "panic text: {err}");
    out
}

/// Reads a summary YAML into a generic value.
pub fn summary(path: &Path) -> serde_json_like::Value {
    let text = std::fs::read_to_string(path).expect("summary exists");
    serde_saphyr::from_str(&text).expect("summary is YAML")
}

/// A minimal generic YAML value (serde-saphyr deserializes into any `Deserialize` type).
pub mod conv;

pub mod serde_json_like {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(untagged)]
    pub enum Value {
        Null,
        Bool(bool),
        Int(i64),
        Float(f64),
        Str(String),
        Seq(Vec<Value>),
        Map(BTreeMap<String, Value>),
    }

    impl Value {
        /// Follows a dotted path of map keys; `None` when a key is missing.
        pub fn get(&self, path: &str) -> Option<&Value> {
            let mut v = self;
            for key in path.split('.') {
                match v {
                    Value::Map(m) => v = m.get(key)?,
                    _ => return None,
                }
            }
            Some(v)
        }

        /// The integer at `path`; panics with the path when absent or not an integer.
        pub fn int(&self, path: &str) -> i64 {
            match self.get(path) {
                Some(Value::Int(i)) => *i,
                other => panic!("{path}: expected an integer, found {other:?}"),
            }
        }

        /// The integer at `path`, 0 when absent (for count maps that omit zero entries).
        pub fn count(&self, path: &str) -> i64 {
            match self.get(path) {
                None => 0,
                Some(Value::Int(i)) => *i,
                other => panic!("{path}: expected a count, found {other:?}"),
            }
        }

        pub fn str(&self, path: &str) -> &str {
            match self.get(path) {
                Some(Value::Str(s)) => s,
                other => panic!("{path}: expected text, found {other:?}"),
            }
        }

        pub fn seq(&self, path: &str) -> &[Value] {
            match self.get(path) {
                Some(Value::Seq(s)) => s,
                other => panic!("{path}: expected a list, found {other:?}"),
            }
        }

        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::Str(s) => Some(s),
                _ => None,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hashing and file modes
// ---------------------------------------------------------------------------------------------

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// Names in a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("list folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
