//! Link-layer headers: Ethernet (and its VLAN, QinQ and PPPoE forms), Linux SLL and SLL2, BSD
//! null/loopback and raw IP, each as pcap link types.

use crate::fixture::{CLIENT_MAC, SERVER_MAC};

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;

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
