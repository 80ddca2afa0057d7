//! IPv4, IPv6 (with extension headers), ARP, and the transport headers we rewrite.

use super::bytes::{be16, be32};

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_ICMPV6: u8 = 58;

/// Up to this many option areas per header are blanked individually; a header with more is
/// cut instead (fail closed).
pub const MAX_BLANKS: usize = 4;

/// The network layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// A protocol we do not parse (LLC, PPPoE discovery, unknown EtherType): everything after the
    /// link header is removed.
    Unknown,
    /// The network header is cut short by the snap length: it is removed, since a partial
    /// address cannot be rewritten.
    Truncated,
    Arp(Arp),
    Ip(Ip),
}

/// ARP for Ethernet/IPv4: where the four addresses are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpAddrs {
    pub sender_mac: usize,
    pub sender_ip: usize,
    pub target_mac: usize,
    pub target_ip: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub start: usize,
    /// `None` for hardware/protocol types other than Ethernet/IPv4: only the 8-byte fixed
    /// header is kept.
    pub addrs: Option<ArpAddrs>,
}

impl Arp {
    /// End of the bytes we keep.
    pub fn end(&self) -> usize {
        self.start + if self.addrs.is_some() { 28 } else { 8 }
    }
}

/// An IP packet's header layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip {
    pub version: u8,
    pub start: usize,
    /// Offset of the transport header (after IPv4 options or IPv6 extension headers).
    pub header_end: usize,
    /// End of the IP packet as its length field says (may lie beyond the captured bytes).
    pub end: usize,
    pub src: usize,
    pub dst: usize,
    pub proto: u8,
    pub fragmented: bool,
    /// A fragment other than the first: its bytes after the IP header are payload.
    pub later_fragment: bool,
    /// Offset of the IPv6 Fragment header from `start` (0 in IPv4): [`Ip::fragment`] reads
    /// the fields there. Narrow, so that `Ip` stays small (a chain of at most 16 extension
    /// headers of at most 2,048 bytes ends within 64 KiB).
    pub fragment_header: u16,
    /// Option areas to neutralise: IPv4 options are overwritten with NOPs, IPv6 option data with
    /// zeros (both may carry addresses: record route, timestamps, home address).
    pub blanks: [(usize, usize); MAX_BLANKS],
    pub blank_count: usize,
    /// IPv6 routing header (types 0 and 2) address list: offset of the first and how many.
    pub routing_addrs: Option<(usize, usize)>,
    /// The destination the transport checksum's pseudo-header uses (differs from `dst` when a
    /// routing header has segments left).
    pub checksum_dst: usize,
    pub transport: Transport,
}

impl Ip {
    pub fn addr_len(&self) -> usize {
        if self.version == 4 { 4 } else { 16 }
    }

    pub fn blanks(&self) -> &[(usize, usize)] {
        &self.blanks[..self.blank_count]
    }
}

/// Where a fragment's bytes go in its datagram (RFC 791, RFC 8200 section 4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// The identification: 16 bits in IPv4, 32 in IPv6.
    pub id: u32,
    /// Offset of the fragment's bytes in the fragmentable part, in bytes.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
    /// Where the fragment's bytes start: after the IPv4 header, or after the IPv6 Fragment
    /// header (what follows it in a first fragment is part of the fragmentable part).
    pub data_start: usize,
}

impl Ip {
    /// The fragment fields of the packet in frame `d`, when it is a fragment (an IPv6 atomic
    /// fragment included).
    pub fn fragment(&self, d: &[u8]) -> Option<Fragment> {
        if !self.fragmented {
            return None;
        }
        let s = self.start;
        if self.version == 4 {
            let field = be16(d, s + 6);
            return Some(Fragment {
                id: u32::from(be16(d, s + 4)),
                offset: usize::from(field & 0x1FFF) * 8,
                more: field & 0x2000 != 0,
                data_start: self.header_end,
            });
        }
        let at = s + usize::from(self.fragment_header);
        let field = be16(d, at + 2);
        Some(Fragment {
            id: be32(d, at + 4),
            offset: usize::from(field & !7),
            more: field & 1 != 0,
            data_start: at + 8,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Nothing after the IP header is understood (a later fragment, an unknown or tunnelled
    /// protocol, a header cut short): it is all payload.
    Opaque,
    Tcp(Tcp),
    Udp {
        start: usize,
    },
    Icmp(Icmp),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp {
    pub start: usize,
    /// End of the TCP header (start of the payload).
    pub header_end: usize,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmp {
    pub start: usize,
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// The IP header (and first transport bytes) quoted by an error message.
    pub quote: Option<Quote>,
    /// ICMP redirect: offset of the gateway address in the ICMP header.
    pub gateway: Option<usize>,
}

/// An IP header quoted inside an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub start: usize,
    pub version: u8,
    pub src: usize,
    pub dst: usize,
    /// Set for IPv4: the quoted header's length, so its checksum can be recomputed.
    pub ipv4_header_len: usize,
    /// Offset of a quoted UDP checksum to blank (it sums the removed payload).
    pub udp_checksum: Option<usize>,
    /// End of what we keep: the quoted IP header and at most 8 bytes of its transport header.
    pub end: usize,
}

/// The packet end its length field claims, cut to the link layer's limit (never inside the
/// header itself).
fn clamp_end(claimed: usize, header_end: usize, limit: Option<usize>) -> usize {
    match limit {
        Some(l) => claimed.min(l.max(header_end)),
        None => claimed,
    }
}

pub(super) fn decode_arp(d: &[u8], s: usize) -> Net {
    if d.len() < s + 8 {
        return Net::Truncated;
    }
    let ethernet_ipv4 =
        be16(d, s) == 1 && be16(d, s + 2) == 0x0800 && d[s + 4] == 6 && d[s + 5] == 4;
    let addrs = (ethernet_ipv4 && d.len() >= s + 28).then_some(ArpAddrs {
        sender_mac: s + 8,
        sender_ip: s + 14,
        target_mac: s + 18,
        target_ip: s + 24,
    });
    Net::Arp(Arp { start: s, addrs })
}

#[inline(always)]
pub(super) fn decode_ipv4(d: &[u8], s: usize, limit: Option<usize>) -> Net {
    if d.len() < s + 20 || d[s] >> 4 != 4 {
        return Net::Truncated;
    }
    let ihl = usize::from(d[s] & 0x0F) * 4;
    if ihl < 20 || d.len() < s + ihl {
        return Net::Truncated;
    }
    let total = usize::from(be16(d, s + 2));
    let frag = be16(d, s + 6);
    let more_fragments = frag & 0x2000 != 0;
    let offset = frag & 0x1FFF;
    let mut ip = Ip {
        version: 4,
        start: s,
        header_end: s + ihl,
        // A length shorter than the header is a lie; treat the packet as ending at the header.
        end: clamp_end(s + total.max(ihl), s + ihl, limit),
        src: s + 12,
        dst: s + 16,
        proto: d[s + 9],
        fragmented: more_fragments || offset != 0,
        later_fragment: offset != 0,
        fragment_header: 0,
        blanks: [(0, 0); MAX_BLANKS],
        blank_count: 0,
        routing_addrs: None,
        checksum_dst: s + 16,
        transport: Transport::Opaque,
    };
    if ihl > 20 {
        // Options may carry addresses (record route, timestamps, source routes); all of them
        // become NOPs so the header length, and so every offset, stays the same.
        ip.blanks[0] = (s + 20, s + ihl);
        ip.blank_count = 1;
    }
    if !ip.later_fragment {
        ip.transport = decode_transport(d, ip.header_end, ip.end, ip.proto, false);
    }
    Net::Ip(ip)
}

#[inline(always)]
pub(super) fn decode_ipv6(d: &[u8], s: usize, limit: Option<usize>) -> Net {
    if d.len() < s + 40 || d[s] >> 4 != 6 {
        return Net::Truncated;
    }
    let payload_len = usize::from(be16(d, s + 4));
    let mut ip = Ip {
        version: 6,
        start: s,
        header_end: s + 40,
        end: clamp_end(s + 40 + payload_len, s + 40, limit),
        src: s + 8,
        dst: s + 24,
        proto: d[s + 6],
        fragmented: false,
        later_fragment: false,
        fragment_header: 0,
        blanks: [(0, 0); MAX_BLANKS],
        blank_count: 0,
        routing_addrs: None,
        checksum_dst: s + 24,
        transport: Transport::Opaque,
    };
    if walk_extensions(d, &mut ip) {
        ip.transport = decode_transport(d, ip.header_end, ip.end, ip.proto, true);
    }
    Net::Ip(ip)
}

/// Walks IPv6 extension headers, leaving `header_end` and `proto` at the transport header.
/// Returns false when the rest must be treated as opaque payload.
fn walk_extensions(d: &[u8], ip: &mut Ip) -> bool {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const FRAGMENT: u8 = 44;
    const AUTH: u8 = 51;
    const DEST_OPTS: u8 = 60;
    // A chain longer than this is an evasion attempt, not a real packet.
    for _ in 0..16 {
        let at = ip.header_end;
        let len = match ip.proto {
            HOP_BY_HOP | DEST_OPTS | ROUTING => {
                if d.len() < at + 2 {
                    return false;
                }
                (usize::from(d[at + 1]) + 1) * 8
            }
            FRAGMENT => 8,
            AUTH => {
                if d.len() < at + 2 {
                    return false;
                }
                (usize::from(d[at + 1]) + 2) * 4
            }
            _ => return true,
        };
        if d.len() < at + len {
            return false;
        }
        let proto = ip.proto;
        match proto {
            HOP_BY_HOP | DEST_OPTS if !blank_tlv_options(d, at + 2, at + len, ip) => return false,
            ROUTING => {
                let routing_type = d[at + 2];
                // Types 0 and 2 hold a plain list of addresses after 8 bytes; others (RPL,
                // segment routing with TLVs) are not understood, so the rest is payload.
                // A length that is not a whole number of addresses leaves part of one that the
                // mapping could not rewrite: the header is then not understood either.
                if !matches!(routing_type, 0 | 2)
                    || ip.routing_addrs.is_some()
                    || (len - 8) % 16 != 0
                {
                    return false;
                }
                let count = (len - 8) / 16;
                ip.routing_addrs = Some((at + 8, count));
                // With segments left, the transport checksum is computed over the final
                // destination: the last address of the list (RFC 8200 section 8.1).
                if d[at + 3] > 0 && count > 0 {
                    ip.checksum_dst = at + 8 + 16 * (count - 1);
                }
            }
            FRAGMENT => {
                let offset = be16(d, at + 2) >> 3;
                // A second Fragment header is not a chain any stack reassembles.
                if ip.fragmented {
                    return false;
                }
                ip.fragmented = true;
                ip.later_fragment = offset != 0;
                let Ok(header) = u16::try_from(at - ip.start) else {
                    return false;
                };
                ip.fragment_header = header;
            }
            _ => {}
        }
        ip.proto = d[at];
        ip.header_end = at + len;
        if ip.later_fragment {
            return false;
        }
    }
    false
}

// Hop-by-hop and destination option types: padding, and the two whose data the output may carry
// once its bytes are checked (RFC 2711 router alert, RFC 2675 jumbo payload).
const OPT_PAD1: u8 = 0;
const OPT_ROUTER_ALERT: u8 = 5;
const OPT_JUMBO: u8 = 0xC2;

/// Router alert values registered with IANA: MLD 0, RSVP 1, active networks 2, aggregated
/// reservation nesting levels 3-35, QoS NSLP aggregation levels 36-67, NSIS NATFW 68, MPLS OAM
/// 69. Unassigned and experimental values are not kept.
const REGISTERED_ROUTER_ALERTS: std::ops::RangeInclusive<u16> = 0..=69;

/// Blanks the data of every hop-by-hop/destination option unless its bytes were checked to be
/// what the RFC allows: padding is zeros by definition (so it is zeroed, whatever it held), a
/// router alert is kept when it is a registered value, a jumbo payload length when it is the
/// packet's real length. Every other option (the home-address option, for one, carries an
/// address; unknown ones may carry anything) loses its data.
fn blank_tlv_options(d: &[u8], from: usize, to: usize, ip: &mut Ip) -> bool {
    let mut at = from;
    while at < to {
        let kind = d[at];
        if kind == OPT_PAD1 {
            at += 1;
            continue;
        }
        if at + 2 > to {
            return false;
        }
        let len = usize::from(d[at + 1]);
        let data = (at + 2, (at + 2 + len).min(to));
        let value = &d[data.0..data.1];
        let needed = match kind {
            OPT_ROUTER_ALERT => {
                value.len() == 2
                    && REGISTERED_ROUTER_ALERTS.contains(&u16::from_be_bytes([value[0], value[1]]))
            }
            OPT_JUMBO => value.len() == 4 && is_real_jumbo_length(d, ip, value),
            _ => false,
        };
        if !needed && value.iter().any(|&b| b != 0) {
            if ip.blank_count == MAX_BLANKS {
                return false;
            }
            ip.blanks[ip.blank_count] = data;
            ip.blank_count += 1;
        }
        at += 2 + len;
    }
    true
}

/// A jumbo payload length is real when the IPv6 payload length is zero (RFC 2675 requires it),
/// the value needs a jumbogram (over 65,535) and it is exactly what follows the IPv6 header in
/// the capture; anything else is a number the packet does not account for.
fn is_real_jumbo_length(d: &[u8], ip: &Ip, value: &[u8]) -> bool {
    let claimed = u32::from_be_bytes([value[0], value[1], value[2], value[3]]);
    let carried = d.len().saturating_sub(ip.start + 40);
    be16(d, ip.start + 4) == 0 && claimed > 65_535 && usize::try_from(claimed) == Ok(carried)
}

/// The transport header at `t`; it must lie inside the IP packet (`end`), or the bytes past
/// the packet would be kept as header fields.
#[inline]
fn decode_transport(d: &[u8], t: usize, end: usize, proto: u8, v6: bool) -> Transport {
    let fits = |len: usize| d.len() >= t + len && end >= t + len;
    match proto {
        PROTO_TCP => {
            if !fits(20) {
                return Transport::Opaque;
            }
            let header_len = usize::from(d[t + 12] >> 4) * 4;
            if header_len < 20 || end < t + header_len {
                return Transport::Opaque;
            }
            Transport::Tcp(Tcp {
                start: t,
                header_end: t + header_len,
                src_port: be16(d, t),
                dst_port: be16(d, t + 2),
                seq: be32(d, t + 4),
                ack: be32(d, t + 8),
                flags: d[t + 13],
                window: be16(d, t + 14),
            })
        }
        PROTO_UDP if fits(8) => Transport::Udp { start: t },
        PROTO_ICMP if !v6 && fits(8) => Transport::Icmp(icmp(d, t, false)),
        PROTO_ICMPV6 if v6 && fits(8) => Transport::Icmp(icmp(d, t, true)),
        _ => Transport::Opaque,
    }
}

/// Calls `blank(from, to, fill)` for every part of a TCP option area (`opts`, the bytes after
/// the fixed 20-byte header) the output must not carry. Kept: end-of-options, NOP, MSS, window
/// scale, SACK-permitted, SACK and timestamps — facts about the connection, not the hosts. Blanked
/// (to NOPs): every other option (MPTCP carries addresses; signatures, experiments and unknown
/// kinds may carry anything) and an option whose length does not fit; blanked to zeros:
/// whatever follows end-of-options (a data offset that lies turns payload into "options").
pub fn tcp_option_blanks(opts: &[u8], mut blank: impl FnMut(usize, usize, u8)) {
    let len = opts.len();
    let mut i = 0;
    while i < len {
        match opts[i] {
            0 => {
                if opts[i + 1..].iter().any(|&b| b != 0) {
                    blank(i + 1, len, 0);
                }
                return;
            }
            1 => i += 1,
            kind => {
                let l = opts.get(i + 1).map_or(0, |&l| usize::from(l));
                if l < 2 || i + l > len {
                    blank(i, len, 1);
                    return;
                }
                let known = matches!((kind, l), (2, 4) | (3, 3) | (4, 2) | (8, 10))
                    || (kind == 5 && l >= 10 && (l - 2).is_multiple_of(8));
                if !known {
                    blank(i, i + l, 1);
                }
                i += l;
            }
        }
    }
}

fn icmp(d: &[u8], t: usize, v6: bool) -> Icmp {
    let (icmp_type, code) = (d[t], d[t + 1]);
    let is_error = if v6 {
        matches!(icmp_type, 1..=4)
    } else {
        matches!(icmp_type, 3 | 4 | 5 | 11 | 12)
    };
    let gateway = (!v6 && icmp_type == 5).then_some(t + 4);
    let quote = if is_error {
        decode_quote(d, t + 8)
    } else {
        None
    };
    Icmp {
        start: t,
        v6,
        icmp_type,
        code,
        quote,
        gateway,
    }
}

fn decode_quote(d: &[u8], q: usize) -> Option<Quote> {
    let version = d.get(q)? >> 4;
    let (header_len, proto, src, dst) = match version {
        4 => {
            let ihl = usize::from(d[q] & 0x0F) * 4;
            // A quoted header with options is rare; fail closed rather than parse them.
            if ihl != 20 || d.len() < q + 20 {
                return None;
            }
            (20, d[q + 9], q + 12, q + 16)
        }
        6 if d.len() >= q + 40 => (40, d[q + 6], q + 8, q + 24),
        _ => return None,
    };
    let transport = q + header_len;
    let end = (transport + 8).min(d.len());
    let udp_checksum = (proto == PROTO_UDP && end >= transport + 8).then_some(transport + 6);
    let end = if matches!(proto, PROTO_TCP | PROTO_UDP) {
        end
    } else {
        transport
    };
    Some(Quote {
        start: q,
        version,
        src,
        dst,
        ipv4_header_len: if version == 4 { 20 } else { 0 },
        udp_checksum,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::{Net, decode_ipv6, tcp_option_blanks};

    /// The option areas blanked in an IPv6 packet whose hop-by-hop header holds `options` (six
    /// bytes), carrying `extra` bytes after it; `payload_len` as the header says.
    fn hop_by_hop_blanks(options: [u8; 6], payload_len: u16, extra: usize) -> Vec<(usize, usize)> {
        let mut d = vec![0x60, 0, 0, 0];
        d.extend_from_slice(&payload_len.to_be_bytes());
        d.extend_from_slice(&[0, 64]);
        d.extend_from_slice(&[0xfd; 32]);
        d.extend_from_slice(&[59, 0]);
        d.extend_from_slice(&options);
        d.resize(d.len() + extra, 0);
        match decode_ipv6(&d, 0, None) {
            Net::Ip(ip) => ip.blanks().to_vec(),
            other => panic!("not decoded: {other:?}"),
        }
    }

    #[test]
    fn option_data_is_kept_only_when_parsed_and_needed() {
        // PadN: any content is blanked; zeros need nothing.
        assert_eq!(hop_by_hop_blanks([1, 4, 1, 2, 3, 4], 8, 0), vec![(44, 48)]);
        assert!(hop_by_hop_blanks([1, 4, 0, 0, 0, 0], 8, 0).is_empty());
        // Router alert: MPLS OAM (69) is registered, 70 is not.
        assert!(hop_by_hop_blanks([5, 2, 0, 69, 1, 0], 8, 0).is_empty());
        assert_eq!(hop_by_hop_blanks([5, 2, 0, 70, 1, 0], 8, 0), vec![(44, 46)]);
        // Jumbo payload: kept when it is the length after the IPv6 header and the payload
        // length field is zero; not when either is false.
        let jumbo = 70_000u32.to_be_bytes();
        let option = [0xc2, 4, jumbo[0], jumbo[1], jumbo[2], jumbo[3]];
        assert!(hop_by_hop_blanks(option, 0, 70_000 - 8).is_empty());
        assert_eq!(hop_by_hop_blanks(option, 0, 100), vec![(44, 48)]);
        assert_eq!(hop_by_hop_blanks(option, 8, 70_000 - 8), vec![(44, 48)]);
    }

    fn blanks(opts: &[u8]) -> Vec<(usize, usize, u8)> {
        let mut out = Vec::new();
        tcp_option_blanks(opts, |a, b, f| out.push((a, b, f)));
        out
    }

    #[test]
    fn usual_options_are_kept() {
        // MSS, SACK-permitted, timestamps, NOP, window scale: what Linux sends in a SYN.
        let syn = [
            2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        assert!(blanks(&syn).is_empty());
        // NOP, NOP, SACK with two blocks.
        let mut sack = vec![1, 1, 5, 18];
        sack.extend([7u8; 16]);
        assert!(blanks(&sack).is_empty());
    }

    #[test]
    fn mptcp_and_unknown_options_are_blanked_to_nops() {
        // MPTCP ADD_ADDR (kind 30) carrying an IPv4 address, then a timestamp that is kept.
        let mut opts = vec![30, 8, 0x30, 1, 192, 168, 1, 1];
        opts.extend([8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1]);
        assert_eq!(blanks(&opts), vec![(0, 8, 1)]);
    }

    #[test]
    fn bytes_after_end_of_options_and_lying_lengths_are_blanked() {
        assert_eq!(blanks(&[0, 0, b'a', b'p']), vec![(1, 4, 0)]);
        assert!(blanks(&[0, 0, 0, 0]).is_empty());
        // A length running past the area, a length below 2, a kind with no length byte.
        assert_eq!(blanks(&[2, 40, 5, 0xb4]), vec![(0, 4, 1)]);
        assert_eq!(blanks(&[1, 7, 1, 1]), vec![(1, 4, 1)]);
        assert_eq!(blanks(&[1, 1, 1, 9]), vec![(3, 4, 1)]);
        // MSS with a wrong length is not an MSS.
        assert_eq!(blanks(&[2, 6, 1, 2, 3, 4]), vec![(0, 6, 1)]);
    }
}
