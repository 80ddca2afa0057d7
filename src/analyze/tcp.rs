//! TCP tracking: each segment finds (or starts) its connection in the flow table, its flags
//! become the timeline's set-up and tear-down events, and its payload goes to the stream
//! feeding (`super::stream`).

use super::addresses::{Repeat, mac_pair};
use super::conversation::{self, Conversation, Moment};
use super::flows::{DirState, FlowState, Flows, Slot};
use super::stream::feed_stream;
use crate::anonymize::AddressPlanner;
use crate::flow::{Endpoint, FlowKey, RoleEvidence, Side};
use crate::redact::Redactor;
use crate::wire::{Ip, Layout, Tcp, tcp_flags};

/// The payload of a TCP segment: where it starts in the stream and the bytes captured.
pub fn segment_payload<'a>(data: &'a [u8], ip: &Ip, tcp: &Tcp) -> (u32, &'a [u8]) {
    let seq = tcp
        .seq
        .wrapping_add(u32::from(tcp.flags & tcp_flags::SYN != 0));
    let end = ip.end.min(data.len());
    let bytes = if tcp.header_end < end {
        &data[tcp.header_end..end]
    } else {
        &[]
    };
    (seq, bytes)
}

/// Source and destination endpoints of a TCP packet.
pub fn tcp_endpoints(data: &[u8], ip: &Ip, tcp: &Tcp) -> (Endpoint, Endpoint) {
    let n = ip.addr_len();
    (
        Endpoint::new(&data[ip.src..ip.src + n], tcp.src_port),
        Endpoint::new(&data[ip.dst..ip.dst + n], tcp.dst_port),
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn track_tcp(
    flows: &mut Flows,
    planner: &mut AddressPlanner,
    number: u64,
    layout: &Layout,
    data: &[u8],
    ip: &Ip,
    tcp: &Tcp,
    now: Moment,
    now_ns: i128,
    redactor: &mut Redactor,
) -> Repeat {
    let (src, dst) = tcp_endpoints(data, ip, tcp);
    let path = flows.paths.intern(layout, data);
    let (key, side) = FlowKey::new(src, dst, path);
    let known = flows.table.len();
    let fresh = || {
        Slot::Live(Box::new(FlowState {
            roles: RoleEvidence::default(),
            dirs: [DirState::default(), DirState::default()],
            conv: Conversation::default(),
            closing: false,
            macs: None,
            last_ns: now_ns,
            last_packet: number,
            dtls: None,
        }))
    };
    let mut i = flows.table.entry(key, fresh);
    // A SYN on a 4-tuple whose connection has closed starts a new connection (a reused
    // port): the closed one is finalised as it was.
    let syn_only = tcp.flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN;
    let closed = match &flows.table.get(i).1 {
        Slot::Live(flow) => flow.closing,
        Slot::Done(_) => true,
    };
    if syn_only && closed && i < known {
        flows.finalise(i, planner);
        i = flows.table.restart(key, number, fresh());
        flows.live += 1;
    } else if i >= known {
        flows.live += 1;
    }
    let mut repeat = Repeat {
        ips: i < known,
        macs: false,
    };
    let flow = match &mut flows.table.get_mut(i).1 {
        Slot::Live(flow) => flow,
        Slot::Done(conn) => {
            // A packet long after the close (or a reused port): counted, its payload removed
            // by the rewriter like any byte outside the plan.
            let payload = ip.end.saturating_sub(tcp.header_end) as u64;
            conn.count_after_close(side, payload, number);
            return repeat;
        }
    };
    repeat.macs = flow.touch(now_ns, number, mac_pair(layout, data), now.unix);
    let roles = &mut flow.roles;
    roles.first_from.get_or_insert(side);
    let syn = tcp.flags & tcp_flags::SYN != 0;
    let ack = tcp.flags & tcp_flags::ACK != 0;
    if syn && !ack {
        roles.syn_from.get_or_insert(side);
    } else if syn {
        roles.syn_ack_from.get_or_insert(side);
    }
    let (seq, payload) = segment_payload(data, ip, tcp);
    note_tcp_events(&mut flow.conv, side, tcp, payload.is_empty(), now);
    feed_stream(
        flow,
        side,
        ip,
        tcp,
        seq,
        payload,
        now,
        redactor,
        &mut flows.key_run,
    );
    // A FIN or RST ends what the segment carried: list it after the segment's records.
    note_tcp_close(&mut flow.conv, side, tcp, now);
    let [a, b] = &flow.conv.tcp;
    let closed = a.rst.is_some() || b.rst.is_some() || (a.fin.is_some() && b.fin.is_some());
    if closed && !flow.closing {
        flow.closing = true;
        flows.closing.push_back((now_ns, i));
    }
    flows.bound_live(planner);
    repeat
}

/// TCP set-up and tear-down events for the timeline.
fn note_tcp_events(conv: &mut Conversation, side: Side, tcp: &Tcp, no_payload: bool, now: Moment) {
    let flags = tcp.flags;
    let has = |f: u8| flags & f != 0;
    let t = &mut conv.tcp[side.index()];
    t.last_packet = now.rel;
    if !no_payload && t.first_payload.is_none() {
        t.first_payload = Some(now.rel);
    }
    let mut events: Vec<conversation::Name> = Vec::new();
    if has(tcp_flags::SYN) && !has(tcp_flags::ACK) {
        t.syns += 1;
        events.push(if t.syns == 1 {
            "SYN".into()
        } else {
            format!("SYN (retransmission {})", t.syns - 1).into()
        });
    } else if has(tcp_flags::SYN) {
        t.syn_acks += 1;
        if t.syn_acks == 1 {
            events.push("SYN-ACK".into());
        }
    } else if has(tcp_flags::ACK)
        && no_payload
        && !conv.handshake_ack
        && !has(tcp_flags::FIN | tcp_flags::RST)
    {
        let peer_sent_syn_ack = conv.tcp[side.other().index()].syn_acks > 0;
        if peer_sent_syn_ack {
            conv.handshake_ack = true;
            events.push("ACK".into());
        }
    }
    for e in events {
        conv.push_event(now.rel, side, e);
    }
}

/// FIN and RST events, noted after the segment's payload.
fn note_tcp_close(conv: &mut Conversation, side: Side, tcp: &Tcp, now: Moment) {
    let has = |f: u8| tcp.flags & f != 0;
    let t = &mut conv.tcp[side.index()];
    let mut events: Vec<&str> = Vec::new();
    if has(tcp_flags::FIN) && t.fin.is_none() {
        t.fin = Some(now.rel);
        events.push("FIN");
    }
    if has(tcp_flags::RST) && t.rst.is_none() {
        t.rst = Some(now.rel);
        events.push("RST");
    }
    for e in events {
        conv.push_event(now.rel, side, e);
    }
}
