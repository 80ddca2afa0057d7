//! ICMP and ICMPv6 errors on a connection's timeline: an error quotes the IP header and the
//! first 8 transport bytes of the packet that caused it (SPEC §9.1), so its quoted 5-tuple
//! finds the connection — looked up, never created — and the error becomes a timeline event
//! ("ICMP fragmentation needed (MTU 576)"), listed under the peer whose packet it quotes.

use std::borrow::Cow;

use super::conversation::Moment;
use super::flows::{Flows, Slot};
use crate::flow::{Endpoint, FlowKey, PathId};
use crate::wire::Icmp;
use crate::wire::ip_proto::TCP as PROTO_TCP;

/// Notes an ICMP error that quotes a TCP segment of a connection being followed.
pub(super) fn note_icmp_error(
    flows: &mut Flows,
    number: u64,
    data: &[u8],
    icmp: &Icmp,
    path: PathId,
    now: Moment,
) {
    let Some(quote) = icmp.quote else {
        return;
    };
    let (header_len, proto) = match quote.version {
        4 => (20, data.get(quote.start + 9)),
        _ => (40, data.get(quote.start + 6)),
    };
    // Only a TCP header right after the quoted IP header (an IPv6 extension header in a quote
    // is not followed: the error is left off the timeline).
    if proto != Some(&PROTO_TCP) {
        return;
    }
    let transport = quote.start + header_len;
    let Some(ports) = data.get(transport..transport + 4) else {
        return;
    };
    let n = if quote.version == 4 { 4 } else { 16 };
    let (Some(src), Some(dst)) = (
        data.get(quote.src..quote.src + n),
        data.get(quote.dst..quote.dst + n),
    ) else {
        return;
    };
    let src = Endpoint::new(src, u16::from_be_bytes([ports[0], ports[1]]));
    let dst = Endpoint::new(dst, u16::from_be_bytes([ports[2], ports[3]]));
    let (key, side) = FlowKey::new(src, dst, path);
    let Some(i) = flows.table.find_at(&key, number) else {
        return;
    };
    let Slot::Live(flow) = &mut flows.table.get_mut(i).1 else {
        return;
    };
    let Some(error) = describe(data, icmp) else {
        return;
    };
    if error.path_mtu {
        flow.conv.path_mtu_errors += 1;
    }
    flow.conv.push_event(now.rel, side, error.text);
}

/// What an ICMP error says, in words.
struct IcmpError {
    text: Cow<'static, str>,
    /// "Fragmentation needed" or "Packet Too Big": the path MTU is smaller than the packet.
    path_mtu: bool,
}

/// The error's name (with the MTU the router states, for the path-MTU errors); `None` for a
/// message that is not an error about the quoted packet (a redirect).
fn describe(data: &[u8], icmp: &Icmp) -> Option<IcmpError> {
    let at = |i: usize| data.get(icmp.start + i).copied().unwrap_or(0);
    let plain = |s: &'static str| {
        Some(IcmpError {
            text: Cow::Borrowed(s),
            path_mtu: false,
        })
    };
    if icmp.v6 {
        return match (icmp.icmp_type, icmp.code) {
            (2, _) => {
                let mtu = u32::from_be_bytes([at(4), at(5), at(6), at(7)]);
                Some(IcmpError {
                    text: format!("ICMPv6 Packet Too Big (MTU {mtu})").into(),
                    path_mtu: true,
                })
            }
            (1, 0) => plain("ICMPv6 destination unreachable (no route)"),
            (1, 1) => plain("ICMPv6 destination unreachable (administratively prohibited)"),
            (1, 2) => plain("ICMPv6 destination unreachable (beyond scope of source address)"),
            (1, 3) => plain("ICMPv6 destination unreachable (address unreachable)"),
            (1, 4) => plain("ICMPv6 destination unreachable (port unreachable)"),
            (1, 5) => plain("ICMPv6 destination unreachable (source address failed policy)"),
            (1, 6) => plain("ICMPv6 destination unreachable (reject route)"),
            (1, _) => plain("ICMPv6 destination unreachable"),
            (3, 0) => plain("ICMPv6 time exceeded (hop limit)"),
            (3, _) => plain("ICMPv6 time exceeded (fragment reassembly)"),
            (4, _) => plain("ICMPv6 parameter problem"),
            _ => None,
        };
    }
    match (icmp.icmp_type, icmp.code) {
        (3, 4) => {
            let mtu = u16::from_be_bytes([at(6), at(7)]);
            Some(IcmpError {
                text: format!("ICMP fragmentation needed (MTU {mtu})").into(),
                path_mtu: true,
            })
        }
        (3, 0) => plain("ICMP destination unreachable (network unreachable)"),
        (3, 1) => plain("ICMP destination unreachable (host unreachable)"),
        (3, 2) => plain("ICMP destination unreachable (protocol unreachable)"),
        (3, 3) => plain("ICMP destination unreachable (port unreachable)"),
        (3, 5) => plain("ICMP destination unreachable (source route failed)"),
        (3, 6) => plain("ICMP destination unreachable (network unknown)"),
        (3, 7) => plain("ICMP destination unreachable (host unknown)"),
        (3, 9) | (3, 10) | (3, 13) => {
            plain("ICMP destination unreachable (administratively prohibited)")
        }
        (3, _) => plain("ICMP destination unreachable"),
        (4, _) => plain("ICMP source quench"),
        (11, 0) => plain("ICMP time exceeded (TTL)"),
        (11, _) => plain("ICMP time exceeded (fragment reassembly)"),
        (12, _) => plain("ICMP parameter problem"),
        _ => None,
    }
}
