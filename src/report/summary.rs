//! The summary (`capture.summary.yaml`, and `capture.summary.json` with the same keys).
//! Everything in it is pseudonymous: the endpoints are printed after mapping, and no original
//! address, name or payload appears.

use std::collections::BTreeMap;

use serde::Serialize;

use super::streamed::Streamed;
use crate::analyze::Analysis;
use crate::analyze::diagnosis::Diagnosis;
use crate::analyze::verdict::Verdict;
use crate::anonymize::Mapping;
use crate::flow::{Endpoint, PathLayer};

/// The connections of a summary, made one at a time as they are written.
pub type ConnectionIter<'a> = Box<dyn Iterator<Item = anyhow::Result<ConnectionEntry<'a>>> + 'a>;
pub type ConnectionList<'a> = Streamed<ConnectionIter<'a>>;

/// Timeline events a summary keeps per connection unless `sanitize --summary-timeline` says
/// otherwise; the rest are counted in `timeline_omitted`. A handshake that fails takes fewer
/// (SYN to alert and close is about a dozen), and a large capture's summary stays small
/// enough to load in a second (docs/architecture.md, "report/"). `diagnose` shows every event
/// pass 1 kept.
pub const SUMMARY_TIMELINE: usize = 32;

/// Connections a summary describes in full unless `sanitize --summary-full` says otherwise: the
/// most significant ones (the order of report.html's table, which draws as many); every other
/// connection gets a [`CompactFacts`] entry. A full entry costs a C YAML loader about 3 ms of
/// CPU (about a hundred scalars), a compact one a tenth of that, so the summary of a capture with
/// thousands of connections still loads in about a second (docs/decisions.md, "Compact
/// connection entries").
pub const SUMMARY_FULL: usize = crate::report::html::FULL_CONNECTIONS;

/// How many connections the summary describes in full (`--summary-full N|all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryFull {
    All,
    MostSignificant(usize),
}

impl std::str::FromStr for SummaryFull {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "all" {
            return Ok(SummaryFull::All);
        }
        s.parse()
            .map(SummaryFull::MostSignificant)
            .map_err(|_| format!("expected a number of connections or `all`, not `{s}`"))
    }
}

impl std::fmt::Display for SummaryFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SummaryFull::All => f.write_str("all"),
            SummaryFull::MostSignificant(n) => write!(f, "{n}"),
        }
    }
}

impl SummaryFull {
    /// For each connection (in `verdicts`' order), whether its entry is full: the `n` most
    /// significant, failures first, ties by number.
    pub fn chosen(self, verdicts: &[Verdict]) -> Vec<bool> {
        let SummaryFull::MostSignificant(n) = self else {
            return vec![true; verdicts.len()];
        };
        let mut full = vec![false; verdicts.len()];
        for &i in crate::report::html::significance_order(verdicts)
            .iter()
            .take(n)
        {
            full[i as usize] = true;
        }
        full
    }
}

/// Which summary files `sanitize` writes (`--summary-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryFormat {
    /// `STEM.summary.yaml`.
    #[default]
    Yaml,
    /// `STEM.summary.json`: the same keys, one object.
    Json,
    /// Both files.
    Both,
}

impl SummaryFormat {
    pub fn yaml(self) -> bool {
        self != SummaryFormat::Json
    }

    pub fn json(self) -> bool {
        self != SummaryFormat::Yaml
    }
}

/// Cuts a diagnosis' timeline to its first `cap` events; the cut ones join those pass 1
/// already left out in `timeline_omitted`.
pub fn cap_timeline(
    mut diagnosis: std::borrow::Cow<'_, Diagnosis>,
    cap: usize,
) -> std::borrow::Cow<'_, Diagnosis> {
    if diagnosis.timeline.len() > cap {
        let d = diagnosis.to_mut();
        d.timeline_omitted += (d.timeline.len() - cap) as u64;
        d.timeline.truncate(cap);
    }
    diagnosis
}

/// What a reader wants first (SPEC §9.4): the capture's verdict, how many connections had
/// each verdict, when the capture began and how long it lasts. `diagnose --format yaml|json`
/// and the summary both begin with it.
#[derive(Debug, Serialize)]
pub struct SummaryLead {
    /// The most significant connection verdict (null when there is no TCP connection).
    pub verdict: Option<Verdict>,
    pub verdict_counts: VerdictCounts,
    /// RFC 3339 UTC time of the first packet; left out when timestamps are shifted (the real
    /// date is what the shift hides).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_start: Option<String>,
    /// Seconds from the first packet to the last, to the microsecond.
    pub duration: f64,
    /// What became of the key log's lines (`--keylog`, or the capture's own secrets): counts
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keylog: Option<crate::analyze::decrypt::KeyLogTally>,
}

impl SummaryLead {
    /// `show_start`: false when the evidence shifts timestamps.
    pub fn of(analysis: &Analysis, show_start: bool) -> SummaryLead {
        let span = analysis.time_span;
        SummaryLead {
            verdict: analysis.verdict(),
            verdict_counts: VerdictCounts::of(analysis.connections.iter().map(|(_, c)| c.verdict)),
            capture_start: span
                .filter(|_| show_start)
                .map(|s| crate::civil::rfc3339_ns(s.first_ns)),
            duration: span.map_or(0.0, |s| s.duration_seconds()),
            keylog: analysis.keylog,
        }
    }
}

/// Connections per verdict, most significant verdict first (the order the capture's verdict
/// is chosen in), verdicts no connection had left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerdictCounts(pub Vec<(Verdict, u64)>);

impl VerdictCounts {
    pub fn of(verdicts: impl IntoIterator<Item = Verdict>) -> VerdictCounts {
        let mut counts: BTreeMap<Verdict, u64> = BTreeMap::new();
        for v in verdicts {
            *counts.entry(v).or_insert(0) += 1;
        }
        let mut list: Vec<(Verdict, u64)> = counts.into_iter().collect();
        list.sort_by_key(|&(v, _)| std::cmp::Reverse(crate::analyze::verdict::rank(v)));
        VerdictCounts(list)
    }
}

impl Serialize for VerdictCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (v, n) in &self.0 {
            map.serialize_entry(v.as_str(), n)?;
        }
        map.end()
    }
}

/// The summary's first keys: the lead, then what pass 2 counted and wrote. The file is this
/// YAML mapping followed by [`SummaryTail`]'s, which together make one mapping with the keys
/// in the order the README's summary paragraph lists.
#[derive(Debug, Serialize)]
pub struct SummaryHead {
    #[serde(flatten)]
    pub lead: SummaryLead,
    pub tool: Tool,
    pub input: InputFacts,
    pub output: OutputFacts,
    pub policy: PolicyFacts,
    pub redactions: Redactions,
    /// What the client log given with `--client-log` kept and removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_log: Option<ClientLogFacts>,
}

/// The sanitized client log's name and counts (lines kept and removed, values replaced).
#[derive(Debug, Clone, Serialize)]
pub struct ClientLogFacts {
    pub file: String,
    #[serde(flatten)]
    pub report: crate::client_log::LogReport,
}

/// The summary's last key. It needs only pass 1 and the mapping, so `sanitize` writes it on
/// another core while pass 2 runs (on a large capture it is most of the summary).
#[derive(Debug, Serialize)]
pub struct SummaryTail<'a> {
    pub connections: ConnectionList<'a>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "pcapscrub",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Serialize)]
/// What the input was, never what it was called: a file name may name a customer or a host.
pub struct InputFacts {
    pub sha256: String,
    pub format: &'static str,
    pub link_types: Vec<String>,
    pub packets: u64,
    pub bytes: u64,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct OutputFacts {
    pub file: String,
    pub sha256: String,
    pub packets_written: u64,
    pub packets_dropped: BTreeMap<String, u64>,
    pub payload_bytes_removed: u64,
}

#[derive(Debug, Serialize)]
pub struct PolicyFacts {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct Redactions {
    pub ipv4_addresses_mapped: u64,
    pub ipv6_addresses_mapped: u64,
    pub mac_addresses_mapped: u64,
    pub packets_with_payload_removed: u64,
    pub tls_record_headers_kept: u64,
    pub ip_option_areas_blanked: u64,
    pub tcp_option_areas_blanked: u64,
    pub link_addresses_blanked: u64,
    pub tunnel_header_areas_blanked: u64,
    pub unparsed_network_headers_removed: u64,
    pub pcapng_blocks_dropped: BTreeMap<String, u64>,
    pub pcapng_comments_dropped: u64,
    pub pcapng_options_dropped: u64,
    pub mapping_warnings: Vec<String>,
    /// Same-length handshake redactions by kind (sni_names, certificates, ...).
    pub handshake: BTreeMap<String, u64>,
    /// Certificates too short for a parseable placeholder: zero-filled instead.
    pub certificates_zeroed: u64,
    /// Handshake messages removed whole (unknown, malformed or not fully walkable).
    pub handshake_messages_removed: u64,
    /// Kept handshake ranges removed because a retransmission carried different bytes.
    pub conflicting_ranges_removed: u64,
    pub handshake_bytes_kept: u64,
}

#[derive(Debug, Serialize)]
pub struct ConnectionFacts<'a> {
    pub id: usize,
    pub client: String,
    pub server: String,
    /// The encapsulations the connection was carried in, outermost first (absent for a plain
    /// connection): see [`path_text`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// Borrowed from the analysis, or read back from its temporary file.
    #[serde(flatten)]
    pub diagnosis: std::borrow::Cow<'a, Diagnosis>,
    pub packets: PerDirection,
    pub bytes: PerDirection,
    /// Packets seen more than 2 s after the connection closed (a reused port, a very late
    /// retransmission): counted above, not part of the diagnosis; their payload is removed.
    #[serde(skip_serializing_if = "crate::analyze::diagnosis::is_zero")]
    pub packets_after_close: u64,
}

/// A summary's connection: described in full, or compact (past the `--summary-full` most
/// significant ones).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ConnectionEntry<'a> {
    Full(Box<ConnectionFacts<'a>>),
    Compact(Box<CompactFacts>),
}

/// A connection in a dozen scalars: who, the verdict and why, the name asked for, the alert,
/// and how much it carried. `timeline` is empty and `timeline_omitted` counts its events; the
/// rest of its facts are in a summary made with `--summary-full all`, or in `diagnose
/// --connection N`.
#[derive(Debug, Serialize)]
pub struct CompactFacts {
    pub id: usize,
    /// Always `compact`: tells a reader the facts below are not all there are.
    pub detail: &'static str,
    pub client: String,
    pub server: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    pub transport: crate::flow::TransportKind,
    pub protocol: crate::analyze::udp_verdict::Protocol,
    pub verdict: Verdict,
    pub explanation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negotiated_version: Option<crate::analyze::conversation::Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni_pseudonym: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<crate::analyze::diagnosis::AlertFacts>,
    pub timeline: [(); 0],
    pub timeline_omitted: u64,
    /// As in a full entry: `verify` needs it to recompute the capture's verdict.
    pub plaintext_protocol: bool,
    pub packets: PerDirection,
    pub bytes: PerDirection,
}

impl CompactFacts {
    /// The compact entry of a full one.
    pub fn of(full: ConnectionFacts<'_>) -> CompactFacts {
        let d = full.diagnosis;
        let tls = d.tls.as_ref();
        CompactFacts {
            id: full.id,
            detail: "compact",
            client: full.client,
            server: full.server,
            path: full.path,
            transport: d.transport,
            protocol: d.protocol,
            verdict: d.verdict,
            explanation: d.explanation.clone(),
            negotiated_version: tls.and_then(|t| t.negotiated_version.clone()),
            sni_pseudonym: tls.and_then(|t| t.sni_pseudonym.clone()),
            alerts: tls.map(|t| t.alerts.clone()).unwrap_or_default(),
            timeline: [],
            timeline_omitted: d.timeline.len() as u64 + d.timeline_omitted,
            plaintext_protocol: d.plaintext_protocol,
            packets: full.packets,
            bytes: full.bytes,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PerDirection {
    pub client: u64,
    pub server: u64,
}

/// An endpoint as reports show it after mapping: its pseudonymous address and port.
pub fn endpoint_pseudonym(mapping: &mut Mapping, e: Endpoint) -> String {
    let mapped: Vec<u8> = if e.v6 {
        mapping.ipv6(e.addr).to_vec()
    } else {
        mapping
            .ipv4([e.addr[0], e.addr[1], e.addr[2], e.addr[3]])
            .to_vec()
    };
    endpoint_text(&mapped, e.port)
}

/// An endpoint's address as reports show it after mapping (its port is not part of it).
pub fn address_pseudonym(mapping: &mut Mapping, e: Endpoint) -> String {
    if e.v6 {
        address_text(&mapping.ipv6(e.addr))
    } else {
        address_text(&mapping.ipv4([e.addr[0], e.addr[1], e.addr[2], e.addr[3]]))
    }
}

/// An IPv4 or IPv6 address in its usual text form.
pub fn address_text(addr: &[u8]) -> String {
    match <[u8; 4]>::try_from(addr) {
        Ok(v4) => std::net::Ipv4Addr::from(v4).to_string(),
        Err(_) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&addr[..16]);
            std::net::Ipv6Addr::from(a).to_string()
        }
    }
}

/// A connection's path as reports show it: per layer, outermost first, its name and, for a
/// tunnel, its two endpoints as `address` names them (`vxlan:42 198.51.100.7 198.51.100.9`).
/// The two are sorted by the names shown, so their order says nothing about the originals.
pub fn path_text(layers: &[PathLayer], mut address: impl FnMut(Endpoint) -> String) -> Vec<String> {
    layers
        .iter()
        .map(|l| match l.ends {
            Some([a, b]) => {
                let mut ends = [address(a), address(b)];
                ends.sort();
                format!("{} {} {}", l.label(), ends[0], ends[1])
            }
            None => l.label(),
        })
        .collect()
}

/// `addr:port`, with brackets around IPv6 addresses.
pub fn endpoint_text(addr: &[u8], port: u16) -> String {
    match addr.len() {
        4 => format!("{}.{}.{}.{}:{port}", addr[0], addr[1], addr[2], addr[3]),
        _ => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&addr[..16]);
            format!("[{}]:{port}", std::net::Ipv6Addr::from(a))
        }
    }
}

/// Streams a part of the summary as YAML to `out` (a large capture's summary is never held in
/// memory whole).
pub fn write_yaml(part: &impl Serialize, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    serde_saphyr::to_io_writer(out, part)?;
    Ok(())
}
