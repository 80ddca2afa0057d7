//! The identities every built fixture uses, and the small conversations made of them.
//!
//! Every fixture uses private addresses (10.1.2.3, 10.9.8.7, fd00::1, fd00::2) and MACs of the
//! form 12:34:56:78:9a:bX, so a test can search the output bytes for them.

use crate::link::Link;
use crate::net::{Addr, TcpSeg, ip_tcp};
use crate::pcap::{PcapFormat, pcap_file, timed};
use crate::tcp::{TCP_ACK, TCP_PSH, TCP_SYN};

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

/// The TLS record header of the fixture's client data.
pub const TLS_HEADER: [u8; 5] = [0x16, 0x03, 0x01, 0x00, 0x30];

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

pub(crate) fn seg(from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> ConvSeg {
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

/// A conversation's segments framed for `link`, one second apart, as a pcap file.
pub fn conversation_pcap(conv: &[ConvSeg], link: Link, v6: bool) -> Vec<u8> {
    let frames = conv
        .iter()
        .map(|s| link.frame(&s.ip(v6), v6, s.from_client))
        .collect();
    pcap_file(PcapFormat::new(link.dlt()), &timed(frames, false))
}

/// The TLS conversation framed for `link`, as a pcap file.
pub fn tls_pcap(link: Link, v6: bool) -> Vec<u8> {
    conversation_pcap(&tls_conversation(), link, v6)
}
