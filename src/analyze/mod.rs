//! Pass 1: read the capture once, track connections, walk each TCP direction's stream for TLS
//! record headers, and note every address (with its role) for the mapping.

pub mod conversation;
pub mod diagnosis;
pub mod verdict;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::anonymize::{AddressPlanner, Role};
use crate::capture::reader::{DroppedOptions, ReadWarning};
use crate::capture::{CaptureReader, DroppedBlock, Event, Format, ReadError};
use crate::flow::reassembly::{Piece, Reassembler};
use crate::flow::seq::SeqUnwrapper;
use crate::flow::{Endpoint, FlowKey, FlowTable, RoleEvidence, Side, client_by_port};
use crate::plan::DirectionPlan;
use crate::plan::store::{self, SpillFile, Store, StoredDiagnosis};
use crate::redact::Redactor;
use crate::tls::records::{RecordWalker, Start};
use crate::wire::{self, Ip, Layout, Net, Tcp, Transport, tcp_flags};
use conversation::{
    Conversation, Moment, RawEvent, SideSink, offered_versions, sslv2_client_hello_len,
};

/// Counters of one direction of a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirStats {
    pub packets: u64,
    /// TCP payload bytes as the IP headers state them (including bytes the capture cut).
    pub payload_bytes: u64,
}

/// One TCP connection as analysed.
#[derive(Debug, Clone)]
pub struct Connection {
    pub key: FlowKey,
    pub client: Side,
    pub stats: [DirStats; 2],
    pub dirs: [DirectionPlan; 2],
    /// The diagnosis's verdict, and whether the client spoke a plaintext protocol: what the
    /// capture's verdict and the report's order need, without reading the diagnosis back.
    pub verdict: verdict::Verdict,
    pub plaintext_protocol: bool,
    /// Read it with [`Analysis::diagnosis`].
    pub diagnosis: StoredDiagnosis,
    /// Where the headers and kept ranges of `dirs` went when they were written to the
    /// temporary file (`dirs` then holds only each direction's base): read them with a
    /// [`store::PlanCache`].
    pub plans_spilled: Option<(u64, u32)>,
    /// Number of the last packet of this connection (after its close included): pass 2 can
    /// drop a plan it loaded after it.
    pub last_packet: u64,
    /// Kept handshake ranges dropped because a retransmission contradicted them.
    pub conflicted_ranges_removed: u64,
    /// Handshake messages not kept (unknown, malformed, not walkable).
    pub handshake_messages_removed: u64,
    /// Packets that arrived after the connection was finalised (closed and lingered): counted
    /// in the stats only; their payload is removed.
    pub packets_after_close: u64,
}

impl Analysis {
    /// The capture's verdict: over the connections that tried TLS (or failed before they
    /// could), the most significant; plaintext-protocol connections count only when there is
    /// nothing else. `None` without any TCP connection.
    pub fn verdict(&self) -> Option<verdict::Verdict> {
        let all = || self.connections.iter().map(|(_, c)| &**c);
        let tls = verdict::overall(all().filter(|c| !c.plaintext_protocol).map(|c| c.verdict));
        tls.or_else(|| verdict::overall(all().map(|c| c.verdict)))
    }

    /// A connection's diagnosis: borrowed, or read back from the temporary file.
    pub fn diagnosis<'a>(
        &'a self,
        c: &'a Connection,
    ) -> anyhow::Result<std::borrow::Cow<'a, diagnosis::Diagnosis>> {
        use anyhow::Context;
        store::load_diagnosis(&c.diagnosis, self.spilled.as_ref())
            .context("cannot read a diagnosis back from its temporary file")
    }
}

impl Connection {
    pub fn client_endpoint(&self) -> Endpoint {
        self.key.endpoint(self.client)
    }

    pub fn server_endpoint(&self) -> Endpoint {
        self.key.endpoint(self.client.other())
    }

    /// Stats of the client→server and server→client directions.
    pub fn client_stats(&self) -> DirStats {
        self.stats[self.client.index()]
    }

    pub fn server_stats(&self) -> DirStats {
        self.stats[self.client.other().index()]
    }
}

/// The result of pass 1 over one capture.
#[derive(Debug)]
pub struct Analysis {
    pub format: Format,
    pub link_types: BTreeSet<u32>,
    pub packets: u64,
    pub file_bytes: u64,
    pub warnings: Vec<ReadWarning>,
    pub dropped_blocks: BTreeMap<DroppedBlock, u64>,
    pub dropped_options: DroppedOptions,
    /// Timestamp (seconds) of the first packet the rewriter can write (its headers decode),
    /// for the `shift` timestamp policy.
    pub first_second: Option<i128>,
    /// The same over TCP packets only: the first written when non-TCP traffic is dropped.
    /// (Shifting from the first packet written makes a second run shift by nothing.)
    pub first_tcp_second: Option<i128>,
    /// Boxed: the table's Vec then holds pointers, and grows by doubling cheaply.
    pub connections: FlowTable<Box<Connection>>,
    /// Connections finalised while still open, because more than [`MAX_LIVE`] were open at
    /// once (the longest idle went first): packets they sent later are only counted.
    pub finalised_early: u64,
    /// The diagnoses not kept in memory (see [`store`]).
    pub(crate) spilled: Option<SpillFile>,
}

#[derive(Default)]
struct DirState {
    stats: DirStats,
    unwrap: Option<SeqUnwrapper>,
    reasm: Reassembler,
    walker: Option<RecordWalker>,
}

struct FlowState {
    roles: RoleEvidence,
    dirs: [DirState; 2],
    conv: Conversation,
    /// Queued for finalisation (a RST, or a FIN each way, was seen).
    closing: bool,
    /// The link addresses of its last packet.
    macs: Option<[u8; 12]>,
    /// Capture time of its last packet (ns), to find the longest idle when too many are open.
    last_ns: i128,
    /// Number of its last packet.
    last_packet: u64,
}

/// A connection in pass 1: still being followed, or over and reduced to its plan and diagnosis
/// (the working state — reassembly, handshake buffers, parsed facts — freed). Memory then grows
/// with the connections that are live at once, not with the capture.
enum Slot {
    // Boxed: a connection's working state is large, and the table's Vec grows by doubling.
    Live(Box<FlowState>),
    Done(Box<Connection>),
}

/// How long (capture time) a closed connection is still followed: the last ACK, a retransmitted
/// FIN or the peer's answer to a RST arrive within it and count in its diagnosis.
const LINGER_NS: i128 = 2_000_000_000;

/// Connections followed at once, at most. Beyond it, the longest idle quarter is finalised as
/// it stands (Zeek and Suricata bound their connection state the same way): pass 1's memory
/// stays bounded whatever the capture holds — 100,000 handshakes left open by a scan or a
/// flood. A finalised connection's later packets are counted and their payload removed, so
/// nothing unexamined is written (fail closed); the summary says how many were finalised early.
pub const MAX_LIVE: usize = 16_384;

/// Pass 1's connections and the queue of closed ones waiting to be finalised.
struct Flows {
    keep: Keep,
    table: FlowTable<Slot>,
    /// (close time, table index), in the order connections closed.
    closing: VecDeque<(i128, usize)>,
    /// Connections in `Slot::Live`.
    live: usize,
    /// Connections finalised while open because too many were live.
    finalised_early: u64,
    store: Store,
}

impl Default for Flows {
    fn default() -> Flows {
        Flows {
            keep: Keep::Plans,
            table: FlowTable::default(),
            closing: VecDeque::new(),
            live: 0,
            finalised_early: 0,
            store: Store::default(),
        }
    }
}

impl Flows {
    /// Finalises the connections that closed more than [`LINGER_NS`] before `now_ns`.
    fn finalise_closed(&mut self, now_ns: i128, planner: &mut AddressPlanner) {
        while let Some(&(closed, i)) = self.closing.front() {
            if now_ns.saturating_sub(closed) <= LINGER_NS {
                break;
            }
            self.closing.pop_front();
            self.finalise(i, planner);
        }
    }

    fn finalise(&mut self, i: usize, planner: &mut AddressPlanner) -> bool {
        let (key, slot) = self.table.get_mut(i);
        if let Slot::Live(state) = slot {
            let conn = finish_flow(*key, state, planner, self.keep, &mut self.store);
            *slot = Slot::Done(Box::new(conn));
            self.live -= 1;
            return true;
        }
        false
    }

    /// With more than [`MAX_LIVE`] connections open, finalises the longest idle quarter of
    /// them (ties in table order, so the choice is deterministic).
    fn bound_live(&mut self, planner: &mut AddressPlanner) {
        if self.live <= MAX_LIVE {
            return;
        }
        let mut idle: Vec<(i128, usize)> = self
            .table
            .iter()
            .enumerate()
            .filter_map(|(i, (_, slot))| match slot {
                Slot::Live(state) => Some((state.last_ns, i)),
                Slot::Done(_) => None,
            })
            .collect();
        let n = MAX_LIVE / 4;
        idle.select_nth_unstable(n);
        idle.truncate(n);
        // In table order (first seen first): the planner then observes their endpoints in an
        // order that depends on the capture alone.
        idle.sort_unstable_by_key(|&(_, i)| i);
        for (_, i) in idle {
            if let Slot::Live(state) = &mut self.table.get_mut(i).1 {
                state.conv.finalised_early = true;
            }
            if self.finalise(i, planner) {
                self.finalised_early += 1;
            }
        }
    }

    fn finish(
        self,
        planner: &mut AddressPlanner,
    ) -> (
        FlowTable<Box<Connection>>,
        std::io::Result<Option<SpillFile>>,
    ) {
        debug_assert!(self.live <= MAX_LIVE);
        let keep = self.keep;
        let mut store = self.store;
        let table = self.table.map_values(|key, slot| match slot {
            Slot::Done(c) => c,
            Slot::Live(mut state) => {
                Box::new(finish_flow(key, &mut state, planner, keep, &mut store))
            }
        });
        (table, store.finish())
    }
}

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

/// What pass 1 keeps of a finished connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The diagnosis and the rewrite plan (record headers, kept handshake bytes): for
    /// `sanitize` and `check`.
    Plans,
    /// The diagnosis only: `diagnose` writes no capture, and a plan is most of what a finished
    /// connection costs.
    DiagnosisOnly,
}

pub fn analyze(
    reader: &mut CaptureReader,
    planner: &mut AddressPlanner,
    redactor: &mut Redactor,
) -> Result<Analysis, ReadError> {
    analyze_keeping(reader, planner, redactor, Keep::Plans)
}

pub fn analyze_keeping(
    reader: &mut CaptureReader,
    planner: &mut AddressPlanner,
    redactor: &mut Redactor,
    keep: Keep,
) -> Result<Analysis, ReadError> {
    let mut flows = Flows {
        keep,
        ..Flows::default()
    };
    let mut link_types = BTreeSet::new();
    let mut dropped_blocks = BTreeMap::new();
    let mut first_second = None;
    let mut first_tcp_second = None;
    let mut first_ns: Option<i128> = None;
    let pcap = reader.pcap_header().is_some();
    while let Some(event) = reader.next_event()? {
        let pkt = match event {
            Event::Packet(p) => p,
            Event::Dropped(kind) => {
                *dropped_blocks.entry(kind).or_insert(0) += 1;
                continue;
            }
            Event::Section | Event::Interface(_) | Event::BadPacket { .. } => continue,
        };
        link_types.insert(pkt.link_type);
        let time_ns = pkt.time_ns(pcap);
        flows.finalise_closed(time_ns, planner);
        let first_ns = *first_ns.get_or_insert(time_ns);
        // i128: a pcapng timestamp in 1-second units reaches 2^64 s, beyond i64.
        let second = time_ns.div_euclid(1_000_000_000);
        let now = Moment {
            rel: (time_ns - first_ns) as f64 / 1e9,
            unix: i64::try_from(second).unwrap_or(if second < 0 { i64::MIN } else { i64::MAX }),
        };
        let Ok(layout) = wire::decode(pkt.link_type, pkt.data) else {
            continue;
        };
        first_second.get_or_insert(second);
        if matches!(layout.ip().map(|ip| &ip.transport), Some(Transport::Tcp(_))) {
            first_tcp_second.get_or_insert(second);
        }
        // A TCP packet of a connection already seen, with the link addresses its previous
        // packet had, brings no address the planner has not seen: the lookups are skipped.
        // (Observing after tracking keeps the planner's first-seen order: tracking observes
        // nothing.)
        let repeat = match &layout.net {
            Net::Ip(ip) => match &ip.transport {
                Transport::Tcp(tcp) => track_tcp(
                    &mut flows, planner, pkt.number, &layout, pkt.data, ip, tcp, now, time_ns,
                    redactor,
                ),
                _ => Repeat::default(),
            },
            _ => Repeat::default(),
        };
        observe_addresses(&layout, pkt.data, planner, repeat);
        if let Net::Ip(ip) = &layout.net
            && let Transport::Udp { start } = &ip.transport
        {
            observe_udp_roles(pkt.data, ip, *start, planner);
        }
    }
    let finalised_early = flows.finalised_early;
    let (connections, spilled) = flows.finish(planner);
    let spilled = spilled.map_err(|e| ReadError {
        file: reader.name().to_string(),
        packet: None,
        offset: None,
        message: format!("cannot keep finished connections in a temporary file: {e}"),
    })?;
    Ok(Analysis {
        format: reader.format(),
        link_types,
        packets: reader.packets_read(),
        file_bytes: reader.bytes_read(),
        warnings: reader.warnings.clone(),
        dropped_blocks,
        dropped_options: reader.dropped_options,
        first_second,
        first_tcp_second,
        connections,
        finalised_early,
        spilled,
    })
}

/// Which of a packet's addresses the planner has already seen on this connection.
#[derive(Debug, Default, Clone, Copy)]
struct Repeat {
    ips: bool,
    macs: bool,
}

/// The packet's link addresses, as a connection remembers them (zeros where absent).
fn mac_pair(layout: &Layout, data: &[u8]) -> [u8; 12] {
    let mut pair = [0u8; 12];
    for (k, &at) in layout.macs().iter().enumerate().take(2) {
        pair[6 * k..6 * k + 6].copy_from_slice(&data[at..at + 6]);
    }
    pair
}

#[allow(clippy::too_many_arguments)]
fn track_tcp(
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
    let (key, side) = FlowKey::new(src, dst);
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
            let stats = &mut conn.stats[side.index()];
            stats.packets += 1;
            stats.payload_bytes += ip.end.saturating_sub(tcp.header_end) as u64;
            conn.packets_after_close += 1;
            conn.last_packet = number;
            return repeat;
        }
    };
    flow.last_ns = now_ns;
    flow.last_packet = number;
    let pair = mac_pair(layout, data);
    repeat.macs = flow.macs == Some(pair);
    flow.macs = Some(pair);
    flow.conv.first_unix.get_or_insert(now.unix);
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
    feed_stream(flow, side, ip, tcp, seq, payload, now, redactor);
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

/// Counts the segment and hands its payload to the direction's reassembly and TLS walk.
#[allow(clippy::too_many_arguments)]
fn feed_stream(
    flow: &mut FlowState,
    side: Side,
    ip: &Ip,
    tcp: &Tcp,
    seq: u32,
    payload: &[u8],
    now: Moment,
    redactor: &mut Redactor,
) {
    let syn = tcp.flags & tcp_flags::SYN != 0;
    let dir = &mut flow.dirs[side.index()];
    dir.stats.packets += 1;
    dir.stats.payload_bytes += ip.end.saturating_sub(tcp.header_end) as u64;
    if dir.unwrap.is_none() {
        let start = if syn {
            Start::Known
        } else if !payload.is_empty() {
            Start::Guessed
        } else {
            return;
        };
        dir.unwrap = Some(SeqUnwrapper::new(seq));
        dir.walker = Some(RecordWalker::new(start));
    }
    let (Some(unwrap), Some(walker)) = (dir.unwrap.as_mut(), dir.walker.as_mut()) else {
        return;
    };
    let off = unwrap.offset(seq);
    // The segment's payload as the IP header states it; the capture may hold less.
    let claimed = ip.end.saturating_sub(tcp.header_end);
    if claimed == 0 {
        return;
    }
    let Conversation {
        tls,
        timeline,
        timeline_omitted,
        tls13,
        negotiated,
        tcp: tcp_sides,
        ..
    } = &mut flow.conv;
    // Non-TLS streams are still fed (in-order bytes cost no copy): retransmissions are
    // counted for every connection.
    let tls_side = &mut **tls[side.index()].get_or_insert_with(Box::default);
    let mut sink = SideSink {
        tls: tls_side,
        timeline,
        omitted: timeline_omitted,
        tls13,
        negotiated,
        redactor,
        side,
        now,
    };
    let mut deliver = |o: i64, piece: Piece<'_>| {
        let b = match piece {
            Piece::Bytes(b) => b,
            // Bytes the segment carried beyond what was captured: framing can step over them.
            Piece::Missing(n) => {
                walker.skip_missing(o, n, &mut sink);
                return;
            }
            Piece::Again(b) => {
                sink.tls.compare_copy(o, b);
                return;
            }
        };
        sink.tls.keep_prefix(o, b);
        if o == 0
            && let Some(len) = sslv2_client_hello_len(&sink.tls.prefix)
        {
            walker.skip_to(len as i64);
        }
        if sink.tls.try_sslv2_hello() {
            let versions = sink
                .tls
                .client_hello
                .as_ref()
                .map(|h| offered_versions(h))
                .unwrap_or_default();
            push_raw(
                sink.timeline,
                sink.omitted,
                now.rel,
                side,
                format!("SSLv2-compatible ClientHello offering {versions}"),
            );
        }
        if !walker.lost() {
            walker.consume(o, b, &mut sink);
        }
    };
    let missing = claimed.saturating_sub(payload.len());
    let retransmission = dir.reasm.push(off, payload, missing, &mut deliver);
    if sink.tls.first_encrypted.is_some() || walker.lost() {
        // The handshake is over (or unfollowable): retransmissions are no longer compared.
        sink.tls.keep.stop_comparing();
    }
    if retransmission {
        tcp_sides[side.index()].retransmitted_segments += 1;
    }
    if dir.reasm.overflowed() {
        walker.lose();
    }
}

fn push_raw(timeline: &mut Vec<RawEvent>, omitted: &mut u64, t: f64, side: Side, event: String) {
    if timeline.len() < conversation::MAX_TIMELINE {
        timeline.push(RawEvent {
            t,
            side,
            event: event.into(),
        });
    } else {
        *omitted += 1;
    }
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

/// Reduces a connection's working state to its plan and diagnosis (the state is left empty).
fn finish_flow(
    key: FlowKey,
    state: &mut FlowState,
    planner: &mut AddressPlanner,
    keep: Keep,
    store: &mut Store,
) -> Connection {
    let client = state.roles.client(&key);
    let incomplete = state
        .dirs
        .iter()
        .any(|d| d.reasm.has_hole() || d.reasm.overflowed());
    let server_port = key.endpoint(client.other()).port;
    let conv = std::mem::take(&mut state.conv);
    let diagnosis = diagnosis::diagnose(&conv, client, server_port, incomplete);
    let stats = [state.dirs[0].stats, state.dirs[1].stats];
    let [a, b] = std::mem::take(&mut state.dirs);
    let [ta, tb] = conv.into_tls();
    let handshake_messages_removed = ta.keep.messages_removed + tb.keep.messages_removed;
    let mut conflicted = 0;
    let mut plan = |d: DirState, t: conversation::TlsSide| {
        let sslv2_header_kept = t.sslv2_hello_header_kept();
        let base = d.unwrap.map(|u| u.base());
        let headers = d.walker.map(|w| w.headers).unwrap_or_default();
        let (plan, removed) = t.keep.finish(base, headers, sslv2_header_kept);
        conflicted += removed;
        plan
    };
    let mut dirs = match keep {
        Keep::Plans => [plan(a, ta), plan(b, tb)],
        Keep::DiagnosisOnly => Default::default(),
    };
    let plans_spilled = store.plans(&mut dirs);
    let conn = Connection {
        key,
        client,
        stats,
        dirs,
        verdict: diagnosis.verdict,
        plaintext_protocol: diagnosis.plaintext_protocol,
        diagnosis: store.diagnosis(diagnosis),
        plans_spilled,
        last_packet: state.last_packet,
        conflicted_ranges_removed: conflicted,
        handshake_messages_removed,
        packets_after_close: 0,
    };
    observe_endpoint(planner, conn.client_endpoint(), Role::Client);
    observe_endpoint(planner, conn.server_endpoint(), Role::Server);
    conn
}

fn observe_endpoint(planner: &mut AddressPlanner, e: Endpoint, role: Role) {
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
fn observe_addresses(layout: &Layout, data: &[u8], planner: &mut AddressPlanner, repeat: Repeat) {
    if !repeat.macs {
        for &at in layout.macs() {
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
            if let Some((first, count)) = ip.routing_addrs {
                for k in 0..count {
                    observe_ip(
                        planner,
                        &data[first + 16 * k..first + 16 * (k + 1)],
                        Role::Other,
                    );
                }
            }
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

/// UDP has no handshake: the ephemeral-port side is the client.
fn observe_udp_roles(data: &[u8], ip: &Ip, start: usize, planner: &mut AddressPlanner) {
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
