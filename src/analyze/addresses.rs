//! Address observation: every address a packet carries goes to the planner, in the order the
//! rewriter will meet them, with its role when a TCP connection or a UDP port pair tells it.

use crate::anonymize::{AddressPlanner, Role};
use crate::flow::{Endpoint, Side, client_by_port};
use crate::wire::{self, Ip, Layout, Net, Transport};

/// Which of a packet's addresses the planner has already seen on this connection.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Repeat {
    pub(super) ips: bool,
    pub(super) macs: bool,
}

/// The packet's link addresses, as a connection remembers them (zeros where absent).
pub(super) fn mac_pair(layout: &Layout, data: &[u8]) -> [u8; 12] {
    let mut pair = [0u8; 12];
    for (k, &at) in layout.macs().iter().enumerate().take(2) {
        pair[6 * k..6 * k + 6].copy_from_slice(&data[at..at + 6]);
    }
    pair
}

pub(super) fn observe_endpoint(planner: &mut AddressPlanner, e: Endpoint, role: Role) {
    observe_ip(planner, e.addr_bytes(), role);
}

fn observe_ip(planner: &mut AddressPlanner, addr: &[u8], role: Role) {
    match addr.len() {
        4 => planner.observe_ipv4([addr[0], addr[1], addr[2], addr[3]], role),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(addr);
            planner.observe_ipv6(a, role);
        }
        _ => {}
    }
}

fn mac_at(data: &[u8], at: usize) -> [u8; 6] {
    let mut m = [0u8; 6];
    m.copy_from_slice(&data[at..at + 6]);
    m
}

/// Every address a packet carries, in the order the rewriter will meet them (but those
/// `repeat` says the planner has already seen).
pub(super) fn observe_addresses(
    layout: &Layout,
    data: &[u8],
    planner: &mut AddressPlanner,
    repeat: Repeat,
) {
    if !repeat.macs {
        for &at in layout.macs() {
            planner.observe_mac(mac_at(data, at));
        }
    }
    for outer in &layout.outers {
        observe_ip_header(planner, data, &outer.ip);
        for &at in outer.macs() {
            planner.observe_mac(mac_at(data, at));
        }
    }
    match &layout.net {
        Net::Arp(arp) => {
            if let Some(a) = arp.addrs {
                planner.observe_mac(mac_at(data, a.sender_mac));
                planner.observe_mac(mac_at(data, a.target_mac));
                observe_ip(planner, &data[a.sender_ip..a.sender_ip + 4], Role::Other);
                observe_ip(planner, &data[a.target_ip..a.target_ip + 4], Role::Other);
            }
        }
        Net::Ip(ip) => {
            let n = ip.addr_len();
            if !repeat.ips {
                observe_ip(planner, &data[ip.src..ip.src + n], Role::Other);
                observe_ip(planner, &data[ip.dst..ip.dst + n], Role::Other);
            }
            observe_routing(planner, data, ip);
            if let Transport::Icmp(icmp) = &ip.transport {
                if let Some(g) = icmp.gateway {
                    observe_ip(planner, &data[g..g + 4], Role::Other);
                }
                if let Some(q) = icmp.quote {
                    let n = if q.version == 4 { 4 } else { 16 };
                    observe_ip(planner, &data[q.src..q.src + n], Role::Other);
                    observe_ip(planner, &data[q.dst..q.dst + n], Role::Other);
                }
            }
        }
        Net::Unknown | Net::Truncated => {}
    }
}

/// A tunnel's outer IP header: its endpoints are neither client nor server of what it carries
/// (`Role::Other`: docs/decisions.md), though a host seen inside too takes that role.
fn observe_ip_header(planner: &mut AddressPlanner, data: &[u8], ip: &Ip) {
    let n = ip.addr_len();
    observe_ip(planner, &data[ip.src..ip.src + n], Role::Other);
    observe_ip(planner, &data[ip.dst..ip.dst + n], Role::Other);
    observe_routing(planner, data, ip);
}

fn observe_routing(planner: &mut AddressPlanner, data: &[u8], ip: &Ip) {
    if let Some((first, count)) = ip.routing_addrs {
        for k in 0..count {
            observe_ip(
                planner,
                &data[first + 16 * k..first + 16 * (k + 1)],
                Role::Other,
            );
        }
    }
}

/// UDP has no handshake: the ephemeral-port side is the client.
pub(super) fn observe_udp_roles(data: &[u8], ip: &Ip, start: usize, planner: &mut AddressPlanner) {
    let (sport, dport) = (wire::be16(data, start), wire::be16(data, start + 2));
    let n = ip.addr_len();
    let (src, dst) = (&data[ip.src..ip.src + n], &data[ip.dst..ip.dst + n]);
    match client_by_port(sport, dport) {
        Some(Side::A) => {
            observe_ip(planner, src, Role::Client);
            observe_ip(planner, dst, Role::Server);
        }
        Some(Side::B) => {
            observe_ip(planner, dst, Role::Client);
            observe_ip(planner, src, Role::Server);
        }
        None => {}
    }
}
