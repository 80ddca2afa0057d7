//! The connections pass 1 follows: one table of them, each live or (once closed and lingered)
//! reduced to its plan and diagnosis, with the bound on how many are live at once that keeps
//! pass 1's memory bounded.

use std::collections::VecDeque;

use super::addresses::observe_endpoint;
use super::analysis::{Connection, DirStats, Keep};
use super::conversation::{self, Conversation, PreambleState};
use super::decrypt::KeyRun;
use super::diagnosis;
use super::dtls_feed::DtlsSide;
use crate::anonymize::{AddressPlanner, Role};
use crate::flow::reassembly::Reassembler;
use crate::flow::seq::SeqUnwrapper;
use crate::flow::{FlowKey, FlowTable, Paths, RoleEvidence, Side};
use crate::plan::KeptRange;
use crate::plan::store::{SpillFile, Store};
use crate::tls::records::RecordWalker;
use crate::tls::spans::SpanKind;

/// One direction of a live connection: its counters, and where its stream is read.
#[derive(Default)]
pub(super) struct DirState {
    pub(super) stats: DirStats,
    pub(super) unwrap: Option<SeqUnwrapper>,
    pub(super) reasm: Reassembler,
    pub(super) walker: Option<RecordWalker>,
}

/// The working state of a connection while it is followed.
pub(super) struct FlowState {
    pub(super) roles: RoleEvidence,
    pub(super) dirs: [DirState; 2],
    pub(super) conv: Conversation,
    /// Queued for finalisation (a RST, or a FIN each way, was seen).
    pub(super) closing: bool,
    /// The link addresses of its last packet.
    pub(super) macs: Option<[u8; 12]>,
    /// Capture time of its last packet (ns), to find the longest idle when too many are open.
    pub(super) last_ns: i128,
    /// Number of its last packet.
    pub(super) last_packet: u64,
    /// Each direction's DTLS handshake, on a DTLS connection (`super::dtls_feed`).
    pub(super) dtls: Option<Box<[DtlsSide; 2]>>,
}

/// A connection in pass 1: still being followed, or over and reduced to its plan and diagnosis
/// (the working state — reassembly, handshake buffers, parsed facts — freed). Memory then grows
/// with the connections that are live at once, not with the capture.
pub(super) enum Slot {
    // Boxed: a connection's working state is large, and the table's Vec grows by doubling.
    Live(Box<FlowState>),
    Done(Box<Connection>),
}

impl FlowState {
    /// Notes a packet of the live flow: when and which it was, its link addresses (`pair`),
    /// and the capture's wall-clock start. Returns whether the link addresses repeat the
    /// flow's last packet's.
    #[inline]
    pub(super) fn touch(&mut self, now_ns: i128, number: u64, pair: [u8; 12], unix: i64) -> bool {
        self.last_ns = now_ns;
        self.last_packet = number;
        let repeat = self.macs == Some(pair);
        self.macs = Some(pair);
        self.conv.first_unix.get_or_insert(unix);
        repeat
    }
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
pub(super) struct Flows {
    pub(super) keep: Keep,
    pub(super) table: FlowTable<Slot>,
    /// (close time, table index), in the order connections closed.
    pub(super) closing: VecDeque<(i128, usize)>,
    /// Connections in `Slot::Live`.
    pub(super) live: usize,
    /// Connections finalised while open because too many were live.
    pub(super) finalised_early: u64,
    pub(super) store: Store,
    /// The paths connections were carried in (part of their key).
    pub(super) paths: Paths,
    /// The key logs, and which of their lines matched a connection.
    pub(super) key_run: KeyRun,
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
            paths: Paths::default(),
            key_run: KeyRun::default(),
        }
    }
}

impl Flows {
    /// Finalises the connections that closed more than [`LINGER_NS`] before `now_ns`.
    pub(super) fn finalise_closed(&mut self, now_ns: i128, planner: &mut AddressPlanner) {
        while let Some(&(closed, i)) = self.closing.front() {
            if now_ns.saturating_sub(closed) <= LINGER_NS {
                break;
            }
            self.closing.pop_front();
            self.finalise(i, planner);
        }
    }

    pub(super) fn finalise(&mut self, i: usize, planner: &mut AddressPlanner) -> bool {
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
    pub(super) fn bound_live(&mut self, planner: &mut AddressPlanner) {
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

    pub(super) fn finish(
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
    let mut conv = std::mem::take(&mut state.conv);
    // Before the diagnosis: the Initials still waiting for their hello join the plan.
    super::quic::finish(&mut conv);
    let diagnosis = diagnosis::diagnose(&conv, client, server_port, incomplete);
    // What the sanitized capture keeps of a preamble: its skeleton, by stream offset.
    let mut preamble_kept = [Vec::new(), Vec::new()];
    if let PreambleState::Present(recogniser) = &mut conv.preamble {
        for side in [Side::A, Side::B] {
            preamble_kept[side.index()] = recogniser
                .take_pieces(side)
                .into_iter()
                .map(|p| KeptRange {
                    offset: p.offset,
                    redacted: p
                        .filled
                        .iter()
                        .map(|&(a, b)| (a, b, SpanKind::PreambleText))
                        .collect(),
                    bytes: p.bytes,
                    handshake: false,
                })
                .collect();
        }
    }
    let stats = [state.dirs[0].stats, state.dirs[1].stats];
    let [a, b] = std::mem::take(&mut state.dirs);
    let [ta, tb] = conv.into_tls();
    let handshake_messages_removed = ta.keep.messages_removed + tb.keep.messages_removed;
    let mut conflicted = 0;
    let [kept_a, kept_b] = preamble_kept;
    let mut plan = |d: DirState, mut t: conversation::TlsSide, preamble: Vec<KeptRange>| {
        let sslv2_header_kept = t.sslv2_hello_header_kept();
        // Before every TLS byte in the stream; `finish` sorts the list.
        t.keep.kept.extend(preamble);
        let base = d.unwrap.map(|u| u.base());
        let headers = d.walker.map(|w| w.headers).unwrap_or_default();
        let (plan, removed) = t.keep.finish(base, headers, sslv2_header_kept);
        conflicted += removed;
        plan
    };
    let (bases, plans) = match keep {
        Keep::Plans => {
            let plans = [plan(a, ta, kept_a), plan(b, tb, kept_b)];
            ([plans[0].base, plans[1].base], store.plans(plans))
        }
        Keep::DiagnosisOnly => ([None, None], None),
    };
    let conn = Connection {
        key,
        client,
        stats,
        bases,
        plans,
        verdict: diagnosis.verdict,
        plaintext_protocol: diagnosis.plaintext_protocol,
        diagnosis: store.diagnosis(diagnosis),
        last_packet: state.last_packet,
        conflicted_ranges_removed: conflicted,
        handshake_messages_removed,
        packets_after_close: 0,
    };
    observe_endpoint(planner, conn.client_endpoint(), Role::Client);
    observe_endpoint(planner, conn.server_endpoint(), Role::Server);
    conn
}
