//! IP fragments in pass 1: each goes to the reassembler (`crate::flow::fragments`); when a
//! datagram completes and carries a TCP segment or a UDP datagram, it is tracked like any
//! other, as the packet that completed it, and the plan notes which part of it each fragment
//! carries (`crate::plan::fragments`), for pass 2 to write. A UDP datagram of a flow that is
//! not a connection (docs/udp.md), and anything else, is not looked into: its fragments'
//! payload is removed as before (docs/decisions.md, "IP fragments").

use super::conversation::Moment;
use super::flows::Flows;
use super::tcp::{segment_payload, tcp_endpoints, track_tcp};
use super::udp::{Datagram as UdpDatagram, UdpPacket, track_udp, udp_endpoints};
use crate::anonymize::AddressPlanner;
use crate::flow::FlowKey;
use crate::flow::fragments::{Datagram, FragmentIn, Offer, Reassembler};
use crate::plan::fragments::{FragmentPlan, FragmentedSegment};
use crate::redact::Redactor;
use crate::wire::{self, Layout, Transport};

/// Pass 1's fragment state: the datagrams being reassembled and the plan for their fragments.
#[derive(Debug, Default)]
pub(super) struct Fragments {
    reassembler: Reassembler,
    pub(super) plan: FragmentPlan,
}

/// One fragment packet as pass 1 sees it.
pub(super) struct FragmentPacket<'a> {
    pub(super) number: u64,
    pub(super) data: &'a [u8],
    /// The fragment's layout: its link and the tunnels around it, `ip` innermost.
    pub(super) layout: &'a Layout,
    pub(super) ip: &'a wire::Ip,
    pub(super) now: Moment,
    pub(super) now_ns: i128,
}

impl Fragments {
    /// Takes a fragment; when it completes a datagram carrying a TCP segment or a UDP
    /// datagram, tracks it.
    pub(super) fn take(
        &mut self,
        pkt: FragmentPacket<'_>,
        flows: &mut Flows,
        planner: &mut AddressPlanner,
        redactor: &mut Redactor,
    ) {
        // Fragments that came by different paths are different hosts' datagrams.
        let path = flows.paths.intern(pkt.layout, pkt.data);
        let Some(fragment) = FragmentIn::of(pkt.data, pkt.ip, path, pkt.number, pkt.now_ns) else {
            return;
        };
        let Offer::Complete(datagram) = self.reassembler.offer(&fragment) else {
            return;
        };
        // Rebuilt behind the completing fragment's link and tunnel headers, so the segment
        // is keyed by the path its fragments took (docs/decisions.md, "IP fragments").
        let outside = pkt.layout.link_end;
        let packet = datagram.packet_after(&pkt.data[..outside]);
        let layout = wire::decode_behind(pkt.layout, &packet);
        let Some(ip) = layout.ip() else { return };
        let tcp = match &ip.transport {
            Transport::Tcp(tcp) => tcp,
            &Transport::Udp { start } => {
                let done = Reassembled {
                    datagram: &datagram,
                    packet: &packet,
                    layout: &layout,
                    outside,
                };
                self.take_udp(&pkt, done, start, flows, planner, redactor);
                return;
            }
            _ => return,
        };
        let (seq, payload) = segment_payload(&packet, ip, tcp);
        let (src, dst) = tcp_endpoints(&packet, ip, tcp);
        let path = flows.paths.intern(&layout, &packet);
        let (key, side) = FlowKey::new(src, dst, path);
        let payload_len = payload.len();
        track_tcp(
            flows, planner, pkt.number, &layout, &packet, ip, tcp, pkt.now, pkt.now_ns, redactor,
        );
        // Pass 2 writes a fragment's piece where its own frame has the segment's IP header:
        // not when the datagram was an outer packet whose tunnel carried the segment.
        if layout.outers.len() != pkt.layout.outers.len() {
            return;
        }
        // The TCP header's end, counted from the start of the fragmentable part.
        let Some(header_end) = tcp.header_end.checked_sub(outside + datagram.head.len()) else {
            return;
        };
        if let Some(pieces) = pieces(&datagram, header_end) {
            let segment = FragmentedSegment {
                key,
                side,
                tracked_at: pkt.number,
                seq,
                payload_len,
                fragments: pieces.len(),
            };
            self.plan.record(segment, &pieces);
        }
    }

    /// A reassembled UDP datagram (its header at `start`): tracked as the packet that
    /// completed it; when it belongs to a connection (a DTLS or QUIC flow), the plan notes
    /// each fragment's piece of its payload, which pass 2 writes from the datagram's place
    /// in the connection's plan (`crate::plan::datagram_base` of that packet).
    fn take_udp(
        &mut self,
        pkt: &FragmentPacket<'_>,
        done: Reassembled<'_>,
        start: usize,
        flows: &mut Flows,
        planner: &mut AddressPlanner,
        redactor: &mut Redactor,
    ) {
        let Reassembled {
            datagram,
            packet,
            layout,
            outside,
        } = done;
        let Some(ip) = layout.ip() else { return };
        let Some(payload) = UdpDatagram::of(packet, ip, start) else {
            return;
        };
        let udp = UdpPacket {
            number: pkt.number,
            layout,
            data: packet,
            ip,
            start,
            now: pkt.now,
            now_ns: pkt.now_ns,
        };
        track_udp(flows, planner, udp, redactor);
        if layout.outers.len() != pkt.layout.outers.len() {
            return;
        }
        let (src, dst) = udp_endpoints(packet, ip, start);
        let Some(path) = flows.paths.find(layout, packet) else {
            return;
        };
        let (key, side) = FlowKey::udp(src, dst, path);
        if flows.table.find_at(&key, pkt.number).is_none() {
            return;
        }
        let Some(header_end) = (start + 8).checked_sub(outside + datagram.head.len()) else {
            return;
        };
        if let Some(pieces) = pieces(datagram, header_end) {
            let segment = FragmentedSegment {
                key,
                side,
                tracked_at: pkt.number,
                seq: 0,
                payload_len: payload.bytes.len(),
                fragments: pieces.len(),
            };
            self.plan.record(segment, &pieces);
        }
    }
}

/// A datagram the reassembler completed, rebuilt as one packet behind the completing
/// fragment's first `outside` bytes (its link and tunnel headers), and its layout.
struct Reassembled<'a> {
    datagram: &'a Datagram,
    packet: &'a [u8],
    layout: &'a Layout,
    outside: usize,
}

/// Each fragment's (packet number, payload offset, payload length), when every fragment
/// holds the whole TCP header (a first fragment) or none of it: pass 2 rewrites a header only
/// where it decodes one. Otherwise `None`, and the fragments' payload is removed.
fn pieces(datagram: &Datagram, header_end: usize) -> Option<Vec<(u64, usize, usize)>> {
    datagram
        .fragments
        .iter()
        .map(|p| match p.offset {
            0 if p.len >= header_end => Some((p.number, 0, p.len - header_end)),
            o if o >= header_end => Some((p.number, o - header_end, p.len)),
            _ => None,
        })
        .collect()
}
