//! UDP tracking: a datagram joins its flow's connection, or starts one when its content opens
//! a handshake (`super::recognise`); datagrams of flows that never did are not connections
//! and keep today's rule (their payload is cut). Each datagram's payload then goes to its
//! protocol's reading.

use super::addresses::{Repeat, mac_pair};
use super::conversation::{Conversation, Moment};
use super::dtls_feed::{DtlsDatagram, feed};
use super::flows::{DirState, FlowState, Flows, Slot};
use super::recognise::{HelloRole, UdpProtocol, recognise};
use crate::anonymize::AddressPlanner;
use crate::flow::{Endpoint, FlowKey, RoleEvidence, Side, TransportKind};
use crate::redact::Redactor;
use crate::wire::{Ip, Layout, be16};

/// A UDP datagram's payload: the bytes captured, and its length as the UDP header states it
/// (the capture may hold fewer).
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    pub bytes: &'a [u8],
    pub claimed: usize,
    /// Where the payload starts in the packet.
    pub at: usize,
}

impl<'a> Datagram<'a> {
    /// The payload of the UDP header at `start` (`None` when the header's length is not one
    /// the IP packet can hold).
    pub fn of(data: &'a [u8], ip: &Ip, start: usize) -> Option<Datagram<'a>> {
        let udp_len = usize::from(be16(data, start + 4));
        let end = start.checked_add(udp_len)?;
        if udp_len < 8 || end > ip.end {
            return None;
        }
        let at = start + 8;
        let bytes = data.get(at..end.min(data.len())).unwrap_or_default();
        Some(Datagram {
            bytes,
            claimed: udp_len - 8,
            at,
        })
    }
}

/// Source and destination endpoints of the UDP header at `start`.
pub fn udp_endpoints(data: &[u8], ip: &Ip, start: usize) -> (Endpoint, Endpoint) {
    let n = ip.addr_len();
    (
        Endpoint::new(&data[ip.src..ip.src + n], be16(data, start)),
        Endpoint::new(&data[ip.dst..ip.dst + n], be16(data, start + 2)),
    )
}

/// The pass-1 view of one UDP packet.
pub(super) struct UdpPacket<'a> {
    pub number: u64,
    pub layout: &'a Layout,
    pub data: &'a [u8],
    pub ip: &'a Ip,
    pub start: usize,
    pub now: Moment,
    pub now_ns: i128,
}

pub(super) fn track_udp(
    flows: &mut Flows,
    planner: &mut AddressPlanner,
    pkt: UdpPacket<'_>,
    redactor: &mut Redactor,
) -> Repeat {
    let UdpPacket {
        number,
        layout,
        data,
        ip,
        start,
        now,
        now_ns,
    } = pkt;
    let Some(datagram) = Datagram::of(data, ip, start) else {
        return Repeat::default();
    };
    let (src, dst) = udp_endpoints(data, ip, start);
    let known = flows
        .paths
        .find(layout, data)
        .map(|path| FlowKey::udp(src, dst, path))
        .and_then(|(key, _)| flows.table.find_at(&key, number));
    let recognised = recognise(datagram.bytes);
    let i = match (known, recognised) {
        (Some(i), _) => i,
        (None, Some(r)) => {
            let path = flows.paths.intern(layout, data);
            let (key, _) = FlowKey::udp(src, dst, path);
            let conv = Conversation {
                transport: TransportKind::Udp,
                udp: Some(r.protocol),
                ..Conversation::default()
            };
            let i = flows.table.entry(key, || {
                Slot::Live(Box::new(FlowState {
                    roles: RoleEvidence::default(),
                    dirs: [DirState::default(), DirState::default()],
                    conv,
                    closing: false,
                    macs: None,
                    last_ns: now_ns,
                    last_packet: number,
                    dtls: None,
                }))
            });
            flows.live += 1;
            i
        }
        (None, None) => return Repeat::default(),
    };
    let Flows { table, key_run, .. } = flows;
    let (key, slot) = table.get_mut(i);
    let side = if key.a == src && key.b == dst {
        Side::A
    } else {
        Side::B
    };
    let mut repeat = Repeat {
        ips: known.is_some(),
        macs: false,
    };
    let flow = match slot {
        Slot::Live(flow) => flow,
        Slot::Done(conn) => {
            // A datagram after the connection was finalised: counted, its payload removed.
            conn.count_after_close(side, datagram.claimed as u64, number);
            return repeat;
        }
    };
    repeat.macs = flow.touch(now_ns, number, mac_pair(layout, data), now.unix);
    flow.roles.first_from.get_or_insert(side);
    if let Some(r) = recognised
        && flow.roles.hello_from.is_none()
    {
        flow.roles.hello_from = Some(match r.sender {
            HelloRole::Client => side,
            HelloRole::Server => side.other(),
        });
    }
    let stats = &mut flow.dirs[side.index()].stats;
    stats.packets += 1;
    stats.payload_bytes += datagram.claimed as u64;
    let conv = &mut flow.conv;
    conv.datagrams[side.index()] += 1;
    match conv.udp {
        Some(UdpProtocol::Dtls) => {
            let dtls = flow.dtls.get_or_insert_with(Box::default);
            let d = DtlsDatagram {
                number,
                bytes: datagram.bytes,
                claimed: datagram.claimed,
            };
            feed(
                &mut dtls[side.index()],
                conv,
                side,
                d,
                now,
                redactor,
                key_run,
            );
        }
        // Until the QUIC packet protection reads them: the first datagram each way.
        Some(UdpProtocol::Quic) | None => {
            if conv.datagrams[side.index()] == 1 {
                let what = format!("first QUIC datagram ({} B)", datagram.claimed);
                conv.push_event(now.rel, side, what);
            }
        }
    }
    if conv.udp == Some(UdpProtocol::Quic) {
        let client = flow.roles.hello_from.unwrap_or(side);
        let d = super::quic::QuicDatagram {
            number,
            bytes: datagram.bytes,
            claimed: datagram.claimed,
            t: now.rel,
        };
        super::quic::datagram(conv, client, side, d, redactor, key_run);
    }
    flows.bound_live(planner);
    repeat
}
