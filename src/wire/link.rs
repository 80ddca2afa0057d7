//! Link-layer headers: Ethernet (with stacked VLAN tags and PPPoE sessions), Linux cooked
//! capture v1/v2, BSD loopback, raw IP.

use super::bytes::be16;
use super::layout::Undecodable;

/// Declares the link types we decode, each once with its LINKTYPE_* numbers (of the pcap and
/// pcapng specifications) and the name libpcap gives it, and generates the lookups both ways.
macro_rules! link_types {
    ($($(#[$doc:meta])* $variant:ident = $($code:literal)|+ => $name:literal,)+) => {
        /// The link types we decode.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum LinkType {
            $($(#[$doc])* $variant,)+
        }

        impl LinkType {
            pub fn from_code(code: u32) -> Option<LinkType> {
                match code {
                    $($($code)|+ => Some(LinkType::$variant),)+
                    _ => None,
                }
            }

            /// The name libpcap gives the link type (`EN10MB`, `LINUX_SLL2`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(LinkType::$variant => $name,)+
                }
            }
        }
    };
}

link_types! {
    /// BSD loopback, in the host's byte order.
    Null = 0 => "NULL",
    Ethernet = 1 => "EN10MB",
    /// Raw IP, version from the first nibble (12 and 14 are the numbers some BSDs used).
    RawIp = 12 | 14 | 101 => "RAW",
    Ipv4 = 228 => "IPV4",
    Ipv6 = 229 => "IPV6",
    /// BSD loopback, in network byte order.
    Loop = 108 => "LOOP",
    LinuxSll = 113 => "LINUX_SLL",
    LinuxSll2 = 276 => "LINUX_SLL2",
}

/// The libpcap name of a link-type number, `LINKTYPE_<number>` for the ones we do not decode.
pub fn name_of(code: u32) -> String {
    match LinkType::from_code(code) {
        Some(link) => link.name().to_string(),
        None => format!("LINKTYPE_{code}"),
    }
}

/// What follows the link header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Network {
    Ipv4,
    Ipv6,
    Arp,
    Unknown,
}

pub(super) struct LinkLayout {
    pub macs: [usize; 2],
    pub mac_count: usize,
    /// The destination MAC, on links that have one (Ethernet).
    pub dst_mac: Option<usize>,
    pub zero: Option<(usize, usize)>,
    pub end: usize,
    pub network: Network,
    /// Where the network packet must end by the link layer's own length field (PPPoE), so
    /// Ethernet padding after it is never taken for packet bytes.
    pub limit: Option<usize>,
    /// An MPLS label stack sits before the network header (part of a connection's path).
    pub mpls: bool,
}

/// BSD loopback address families: IPv4 everywhere, IPv6 as Linux, the BSDs and Darwin number it.
const AF_INET: u32 = 2;
const AF_INET6: [u32; 6] = [10, 23, 24, 26, 28, 30];

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const ETHERTYPE_MPLS_UNICAST: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
/// A label stack deeper than this is not a real network's: what follows is not understood.
const MAX_MPLS_LABELS: usize = 8;
/// The VLAN tag EtherTypes: 802.1Q, 802.1ad, and the two pre-standard QinQ values. A `match`,
/// not a slice search: this runs for every Ethernet frame, and `slice::contains` was not
/// inlined there (docs/decisions.md, "Decoding stays in place").
const fn is_vlan_tag(ethertype: u16) -> bool {
    matches!(ethertype, 0x8100 | 0x88A8 | 0x9100 | 0x9200)
}
/// More stacked tags than any real network uses is treated as an unknown protocol.
const MAX_VLAN_TAGS: usize = 8;

#[inline]
pub(super) fn decode(code: u32, d: &[u8]) -> Result<LinkLayout, Undecodable> {
    let link = LinkType::from_code(code).ok_or(Undecodable::UnsupportedLinkType)?;
    let plain = |end: usize, network: Network| LinkLayout {
        macs: [0; 2],
        mac_count: 0,
        dst_mac: None,
        zero: None,
        end,
        network,
        limit: None,
        mpls: false,
    };
    match link {
        LinkType::Ethernet => ethernet(d, 0),
        LinkType::RawIp => Ok(plain(0, version_of(d))),
        LinkType::Ipv4 => Ok(plain(0, Network::Ipv4)),
        LinkType::Ipv6 => Ok(plain(0, Network::Ipv6)),
        LinkType::Null | LinkType::Loop => {
            if d.len() < 4 {
                return Err(Undecodable::ShortLinkHeader);
            }
            let raw = [d[0], d[1], d[2], d[3]];
            // DLT_NULL stores the family in the capturing host's byte order; DLT_LOOP in
            // network order. Accept either order for both: the values cannot be confused.
            let family = [u32::from_le_bytes(raw), u32::from_be_bytes(raw)];
            let network = if family.contains(&AF_INET) {
                Network::Ipv4
            } else if family.iter().any(|f| AF_INET6.contains(f)) {
                Network::Ipv6
            } else {
                // Any other family is copied by nobody: the four bytes are the capturing host's
                // and what follows is not understood, so the packet goes whole.
                return Err(Undecodable::UnknownLinkFamily);
            };
            Ok(plain(4, network))
        }
        LinkType::LinuxSll => {
            if d.len() < 16 {
                return Err(Undecodable::ShortLinkHeader);
            }
            let addr_len = be16(d, 4) as usize;
            Ok(cooked(6, addr_len, 16, be16(d, 14)))
        }
        LinkType::LinuxSll2 => {
            if d.len() < 20 {
                return Err(Undecodable::ShortLinkHeader);
            }
            Ok(cooked(12, usize::from(d[11]), 20, be16(d, 0)))
        }
    }
}

/// Linux cooked headers carry one link-layer address in an 8-byte field.
fn cooked(addr_at: usize, addr_len: usize, end: usize, protocol: u16) -> LinkLayout {
    let (macs, mac_count, zero) = if addr_len == 6 {
        ([addr_at, 0], 1, None)
    } else {
        // Any other address format is not understood: blank the whole field.
        ([0, 0], 0, Some((addr_at, addr_at + 8)))
    };
    LinkLayout {
        macs,
        mac_count,
        dst_mac: None,
        zero,
        end,
        network: ethertype_network(protocol),
        limit: None,
        mpls: false,
    }
}

/// An Ethernet header at `s`: the outermost one, or one a tunnel carries (VXLAN, GENEVE,
/// GRE transparent bridging, ERSPAN), with its VLAN tags, PPPoE session or MPLS label stack.
#[inline(always)]
pub(super) fn ethernet(d: &[u8], s: usize) -> Result<LinkLayout, Undecodable> {
    if d.len() < s + 14 {
        return Err(Undecodable::ShortLinkHeader);
    }
    let mut layout = LinkLayout {
        macs: [s, s + 6],
        mac_count: 2,
        dst_mac: Some(s),
        zero: None,
        end: 0,
        network: Network::Unknown,
        limit: None,
        mpls: false,
    };
    let mut at = s + 12;
    let mut ethertype = be16(d, at);
    let mut tags = 0;
    while is_vlan_tag(ethertype) {
        tags += 1;
        if tags > MAX_VLAN_TAGS || d.len() < at + 6 {
            layout.end = at + 2;
            return Ok(layout);
        }
        at += 4;
        ethertype = be16(d, at);
    }
    let mut end = at + 2;
    let network = match ethertype {
        ETHERTYPE_PPPOE_SESSION => {
            // PPPoE session header (6 bytes) then the PPP protocol number.
            if d.len() >= end + 8 && d[end] == 0x11 && d[end + 1] == 0x00 {
                let ppp = be16(d, end + 6);
                // The PPPoE length counts the PPP protocol field and the packet after it.
                layout.limit = Some(end + 6 + usize::from(be16(d, end + 4)));
                end += 8;
                match ppp {
                    0x0021 => Network::Ipv4,
                    0x0057 => Network::Ipv6,
                    _ => Network::Unknown,
                }
            } else {
                Network::Unknown
            }
        }
        ETHERTYPE_MPLS_UNICAST | ETHERTYPE_MPLS_MULTICAST => {
            layout.mpls = true;
            let (label_end, network) = mpls(d, end);
            end = label_end;
            network
        }
        _ => ethertype_network(ethertype),
    };
    layout.end = end;
    layout.network = network;
    Ok(layout)
}

/// An MPLS label stack at `at` (RFC 3032): four bytes per label up to the one with the
/// bottom-of-stack bit. No field says what follows; IP is told by its version nibble, and
/// anything else (a pseudowire control word, Ethernet) is not understood. Returns where the
/// stack ends and what follows it.
fn mpls(d: &[u8], mut at: usize) -> (usize, Network) {
    for _ in 0..MAX_MPLS_LABELS {
        let Some(label) = d.get(at..at + 4) else {
            return (at, Network::Unknown);
        };
        at += 4;
        if label[2] & 0x01 != 0 {
            return (at, version_at(d, at));
        }
    }
    (at, Network::Unknown)
}

fn ethertype_network(ethertype: u16) -> Network {
    match ethertype {
        ETHERTYPE_IPV4 => Network::Ipv4,
        ETHERTYPE_IPV6 => Network::Ipv6,
        ETHERTYPE_ARP => Network::Arp,
        _ => Network::Unknown,
    }
}

fn version_of(d: &[u8]) -> Network {
    version_at(d, 0)
}

/// The IP version told by the first nibble at `at` (raw IP links, MPLS, GTP-U carry no
/// protocol field).
pub(super) fn version_at(d: &[u8], at: usize) -> Network {
    match d.get(at).map(|b| b >> 4) {
        Some(4) => Network::Ipv4,
        Some(6) => Network::Ipv6,
        _ => Network::Unknown,
    }
}
