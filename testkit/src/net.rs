//! IPv4, IPv6, TCP, UDP, ICMPv4 and ARP, each with its checksum filled in.

use crate::checksum::{fold, pseudo_sum, sum16};

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

/// An ICMPv6 message (type, code, 4 bytes of rest-of-header, body) with its checksum over the
/// IPv6 pseudo-header of `src` and `dst`.
pub fn icmpv6(
    src: [u8; 16],
    dst: [u8; 16],
    icmp_type: u8,
    code: u8,
    rest: [u8; 4],
    body: &[u8],
) -> Vec<u8> {
    let mut m = vec![icmp_type, code, 0, 0];
    m.extend_from_slice(&rest);
    m.extend_from_slice(body);
    let c = fold(sum16(&m) + pseudo_sum(&src, &dst, 58, m.len()));
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
