//! What pass 1 gives: per capture an [`Analysis`], per TCP connection a [`Connection`] with
//! its plan (`crate::plan`) and its diagnosis, either kept in memory or waiting in the spill
//! store (`crate::plan::store`).

use std::collections::{BTreeMap, BTreeSet};

use super::decrypt::KeyLogTally;
use super::diagnosis;
use super::verdict;
use crate::capture::reader::{DroppedOptions, ReadWarning};
use crate::capture::{DroppedBlock, Format};
use crate::flow::{Endpoint, FlowKey, FlowTable, Paths, Side};
use crate::plan::fragments::FragmentPlan;
use crate::plan::renumber::renumber;
use crate::plan::store::{self, SpillFile, Stored, StoredDiagnosis, StoredPlans};
use crate::redact::numbering::Renumbering;

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
    /// Each direction's stream base (`None` before a SYN or payload was seen): what pass 2
    /// needs of every connection from its first packet, whatever became of its plans.
    pub bases: [Option<u32>; 2],
    /// Both directions' record headers and kept ranges: `None` when they keep nothing (or
    /// were not made: `diagnose`), else in memory or in the temporary file — read them with a
    /// [`store::PlanCache`]. Only the bases above stay for a spilled plan: a finished
    /// connection in memory costs a couple of hundred bytes (docs/architecture.md, "Memory").
    pub plans: Option<StoredPlans>,
    /// The diagnosis's verdict, and whether the client spoke a plaintext protocol: what the
    /// capture's verdict and the report's order need, without reading the diagnosis back.
    pub verdict: verdict::Verdict,
    pub plaintext_protocol: bool,
    /// Read it with [`Analysis::diagnosis`].
    pub diagnosis: StoredDiagnosis,
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

impl Connection {
    /// Counts a packet of `side` that arrived after the connection was finalised (a reused
    /// port, a very late retransmission): its `payload_bytes` are removed like any byte
    /// outside the plan.
    #[inline]
    pub(super) fn count_after_close(&mut self, side: Side, payload_bytes: u64, number: u64) {
        let stats = &mut self.stats[side.index()];
        stats.packets += 1;
        stats.payload_bytes += payload_bytes;
        self.packets_after_close += 1;
        self.last_packet = number;
    }
}

impl Analysis {
    /// Gives the placeholder certificates of this capture's plans the run's numbers: the
    /// plans in memory now, the spilled ones as pass 2 reads them back (docs/sharding.md).
    pub fn renumber_certificates(&mut self, numbers: Renumbering) {
        if numbers.is_identity() {
            return;
        }
        for i in 0..self.connections.len() {
            if let Some(Stored::Here(plans)) = &mut self.connections.get_mut(i).1.plans {
                plans.iter_mut().for_each(|plan| renumber(plan, &numbers));
            }
        }
        self.renumbering = Some(numbers);
    }

    /// The capture's verdict: over the connections that tried TLS (or failed before they
    /// could), the most significant; plaintext-protocol connections count only when there is
    /// nothing else. `None` without any TCP connection.
    pub fn verdict(&self) -> Option<verdict::Verdict> {
        verdict::of_capture(
            self.connections
                .iter()
                .map(|(_, c)| (c.verdict, c.plaintext_protocol)),
        )
    }

    /// For an alert verdict, the name of the alert behind it: the first plaintext alert of the
    /// first connection with `verdict` (the one the capture's verdict names). `None` for other
    /// verdicts or when no connection has it.
    pub fn alert_behind(
        &self,
        verdict: verdict::Verdict,
    ) -> anyhow::Result<Option<super::conversation::Name>> {
        use verdict::Verdict::{ClientAlert, ServerAlert};
        if !matches!(verdict, ServerAlert | ClientAlert) {
            return Ok(None);
        }
        for (_, c) in self
            .connections
            .iter()
            .filter(|(_, c)| c.verdict == verdict)
        {
            let d = self.diagnosis(c)?;
            let alert = d.tls.as_ref().and_then(|t| {
                t.alerts
                    .iter()
                    .filter(|a| !a.encrypted)
                    .find_map(|a| a.description.clone())
            });
            if alert.is_some() {
                return Ok(alert);
            }
        }
        Ok(None)
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
    /// The earliest and latest packet timestamps (`None` for a capture without packets).
    pub time_span: Option<TimeSpan>,
    /// Boxed: the table's Vec then holds pointers, and grows by doubling cheaply.
    pub connections: FlowTable<Box<Connection>>,
    /// The paths of `connections` (their keys hold the numbers).
    pub paths: Paths,
    /// Connections finalised while still open, because more than [`super::MAX_LIVE`] were open at
    /// once (the longest idle went first): packets they sent later are only counted.
    pub finalised_early: u64,
    /// Where the fragments of reassembled TCP segments go (`crate::plan::fragments`).
    pub fragments: FragmentPlan,
    /// What became of the key logs' lines (`None` when no key log was given or embedded).
    pub keylog: Option<KeyLogTally>,
    /// Where the capture's embedded key log had lines that are not key log lines.
    pub keylog_notes: Vec<String>,
    /// The diagnoses not kept in memory (see [`store`]).
    pub(crate) spilled: Option<SpillFile>,
    /// How the placeholder certificates of the plans still in the temporary file are numbered
    /// again when read back (see [`Analysis::renumber_certificates`]).
    pub(crate) renumbering: Option<Renumbering>,
}

/// The capture's first and last moments, nanoseconds since the Unix epoch (i128: a pcapng
/// timestamp in 1-second units reaches 2^64 s). Min and max, not first and last record: a
/// merged capture need not be in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    pub first_ns: i128,
    pub last_ns: i128,
}

impl TimeSpan {
    pub fn at(ns: i128) -> TimeSpan {
        TimeSpan {
            first_ns: ns,
            last_ns: ns,
        }
    }

    pub fn including(self, ns: i128) -> TimeSpan {
        TimeSpan {
            first_ns: self.first_ns.min(ns),
            last_ns: self.last_ns.max(ns),
        }
    }

    /// Seconds from the first to the last packet, to the microsecond.
    pub fn duration_seconds(&self) -> f64 {
        ((self.last_ns - self.first_ns) / 1000) as f64 / 1e6
    }
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
