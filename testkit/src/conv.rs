//! A synthetic TCP conversation between the fixture client and server, built packet by
//! packet (each side's next sequence number tracked), written as an Ethernet/IPv4 pcap.

use crate::fixture::{CLIENT_ISN, ConvSeg, SERVER_ISN, SERVER_PORT, seg};
use crate::link::Link;
use crate::pcap::{PcapFormat, Rec, pcap_file};
use crate::tcp::{TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN};

/// One packet of a synthetic conversation between the fixture client and server.
#[derive(Clone, Debug)]
pub struct Pkt {
    pub t_us: u64,
    pub seg: ConvSeg,
}

/// Builds a conversation packet by packet, tracking each side's next sequence number.
pub struct Conv {
    client_isn: u32,
    server_isn: u32,
    /// Next sequence number of the client and the server.
    c: u32,
    s: u32,
    t_us: u64,
    step_us: u64,
    pub server_port: u16,
    pkts: Vec<Pkt>,
}

impl Conv {
    pub fn new(client_isn: u32, server_isn: u32) -> Conv {
        Conv {
            client_isn,
            server_isn,
            c: client_isn.wrapping_add(1),
            s: server_isn.wrapping_add(1),
            t_us: 0,
            step_us: 100,
            server_port: SERVER_PORT,
            pkts: Vec::new(),
        }
    }

    pub fn standard() -> Conv {
        Conv::new(CLIENT_ISN, SERVER_ISN)
    }

    /// Sets the time of the next packet (µs since the capture's start).
    pub fn at(&mut self, t_us: u64) -> &mut Conv {
        self.t_us = t_us;
        self
    }

    pub fn raw(&mut self, from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) {
        let mut seg = seg(from_client, seq, ack, flags, payload);
        // The server port may differ from the fixture's (e.g. a plain HTTP server on 80).
        if from_client {
            seg.tcp.dport = self.server_port;
        } else {
            seg.tcp.sport = self.server_port;
        }
        self.pkts.push(Pkt {
            t_us: self.t_us,
            seg,
        });
        self.t_us += self.step_us;
    }

    pub fn syn(&mut self) -> &mut Conv {
        self.raw(true, self.client_isn, 0, TCP_SYN, &[]);
        self
    }

    pub fn syn_ack(&mut self) -> &mut Conv {
        self.raw(false, self.server_isn, self.c, TCP_SYN | TCP_ACK, &[]);
        self
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> &mut Conv {
        self.syn().syn_ack();
        self.ack(true)
    }

    pub fn ack(&mut self, from_client: bool) -> &mut Conv {
        let (seq, ack) = self.seq_ack(from_client);
        self.raw(from_client, seq, ack, TCP_ACK, &[]);
        self
    }

    pub fn seq_ack(&self, from_client: bool) -> (u32, u32) {
        if from_client {
            (self.c, self.s)
        } else {
            (self.s, self.c)
        }
    }

    pub fn advance(&mut self, from_client: bool, n: usize) {
        let n = n as u32;
        if from_client {
            self.c = self.c.wrapping_add(n);
        } else {
            self.s = self.s.wrapping_add(n);
        }
    }

    /// A PSH-ACK data segment at the side's next sequence number.
    pub fn data(&mut self, from_client: bool, payload: &[u8]) -> &mut Conv {
        let (seq, ack) = self.seq_ack(from_client);
        self.raw(from_client, seq, ack, TCP_PSH | TCP_ACK, payload);
        self.advance(from_client, payload.len());
        self
    }

    /// A data segment `offset` bytes past the side's next sequence number (no advance).
    pub fn data_at(&mut self, from_client: bool, offset: usize, payload: &[u8]) -> &mut Conv {
        let (seq, ack) = self.seq_ack(from_client);
        self.raw(
            from_client,
            seq.wrapping_add(offset as u32),
            ack,
            TCP_PSH | TCP_ACK,
            payload,
        );
        self
    }

    pub fn fin(&mut self, from_client: bool) -> &mut Conv {
        let (seq, ack) = self.seq_ack(from_client);
        self.raw(from_client, seq, ack, TCP_FIN | TCP_ACK, &[]);
        self.advance(from_client, 1);
        self
    }

    /// The server's fatal protocol_version alert, then FIN both ways.
    pub fn alert_and_close(&mut self) -> &mut Conv {
        self.ack(false)
            .data(false, &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])
            .fin(false)
            .ack(true)
            .fin(true)
            .ack(false)
    }

    pub fn rst_ack(&mut self, from_client: bool) -> &mut Conv {
        let (seq, ack) = self.seq_ack(from_client);
        self.raw(from_client, seq, ack, TCP_RST | TCP_ACK, &[]);
        self
    }

    /// Every packet so far, in order (for framing a conversation on other link layers or in
    /// other containers).
    pub fn packets(&self) -> &[Pkt] {
        &self.pkts
    }

    /// Every packet framed by `frame(ip_packet, from_client)`, timed as the conversation says
    /// (from 2023-11-14T22:13:20Z).
    pub fn records(&self, v6: bool, frame: impl Fn(&[u8], bool) -> Vec<u8>) -> Vec<Rec> {
        self.pkts
            .iter()
            .map(|p| Rec {
                ts_sec: 1_700_000_000 + (p.t_us / 1_000_000) as u32,
                ts_frac: (p.t_us % 1_000_000) as u32,
                data: frame(&p.seg.ip(v6), p.seg.from_client),
            })
            .collect()
    }

    /// The conversation as an Ethernet/IPv4 pcap.
    pub fn pcap(&self) -> Vec<u8> {
        let recs = self.records(false, |ip, c| Link::Ethernet.frame(ip, false, c));
        pcap_file(PcapFormat::new(1), &recs)
    }
}
