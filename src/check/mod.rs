//! `check`'s judgement: would `sanitize` (under this policy) change anything sensitive in this
//! capture? It runs the very same analysis and rewrite as `sanitize` and compares each packet
//! with what sanitize would write, so the two can never disagree (docs/architecture.md).

pub mod finding;
pub mod sniff;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};

pub use finding::{Finding, FindingKind};

use crate::analyze::udp::{Datagram, udp_endpoints};
use crate::analyze::{self, Analysis, segment_payload, tcp_endpoints};
use crate::anonymize::{AddressPlanner, MappingKey};
use crate::canary::{self, ObservedAddresses};
use crate::capture::{CaptureReader, Event, OnProgress};
use crate::flow::{FlowKey, PathId, Side, TransportKind};
use crate::plan::datagram_base;
use crate::plan::store::PlanCache;
use crate::policy::Policy;
use crate::redact::Redactor;
use crate::rewrite::{DropReason, Rewriter, RewrittenPacket};
use crate::tls::spans::SpanKind;
use crate::wire::{self, Ip, Layout, Net, Outer, Transport};
use finding::{mask_ip, mask_mac, mask_name};

/// Everything `check` found in one capture.
#[derive(Debug, Default)]
pub struct FileReport {
    /// One entry per (kind, detail): the finding at its first packet and how many other packets
    /// share it. Aggregated as findings arrive, so a raw multi-gigabyte capture (a payload
    /// finding on every packet) costs memory per distinct finding, not per packet.
    groups: Vec<(Finding, u64)>,
    index: HashMap<FindingKind, HashMap<String, usize>>,
    last_packet: Vec<u64>,
    /// With `--keylog`: what became of the key log's lines in this capture (counts, and where
    /// the capture's own secrets had a line that is not a key log line), one line each.
    pub keylog_notes: Vec<String>,
}

impl FileReport {
    pub fn push(&mut self, f: Finding) {
        let details = self.index.entry(f.kind).or_default();
        match details.get(f.detail.as_str()) {
            Some(&i) => {
                // Packets arrive in order: a new packet number is a new packet.
                if self.last_packet[i] != f.packet {
                    self.last_packet[i] = f.packet;
                    self.groups[i].1 += 1;
                }
            }
            None => {
                details.insert(f.detail.clone(), self.groups.len());
                self.last_packet.push(f.packet);
                self.groups.push((f, 0));
            }
        }
    }

    /// The findings, most important kinds first, each saying how many more packets share it.
    pub fn into_findings(self) -> Vec<Finding> {
        let mut groups = self.groups;
        groups.sort_by_key(|(f, _)| (f.kind, f.packet));
        groups
            .into_iter()
            .map(|(mut f, more)| {
                if more > 0 {
                    f.detail = format!("{} (and {more} more packets)", f.detail);
                }
                f
            })
            .collect()
    }
}

/// Checks one capture file under `policy`.
pub fn check_file(path: &Path, name: &str, policy: &Policy) -> Result<FileReport> {
    check_file_reporting(path, name, policy, [None, None], None)
}

/// [`check_file`], telling `progress[k]` how far pass `k` has read.
pub fn check_file_reporting(
    path: &Path,
    name: &str,
    policy: &Policy,
    progress: [Option<OnProgress>; 2],
    keylog: Option<std::sync::Arc<crate::keylog::KeyLog>>,
) -> Result<FileReport> {
    let [first, second] = progress;
    let key = MappingKey::random();
    let mut reader = CaptureReader::open(path, name)?;
    if let Some(f) = first {
        reader.on_progress(f);
    }
    let mut planner = AddressPlanner::new();
    let mut redactor = Redactor::new(policy, &key);
    let analysis = analyze::analyze_with(
        &mut reader,
        &mut planner,
        &mut redactor,
        analyze::Keep::Plans,
        keylog,
    )?;
    let observed = ObservedAddresses::of(&planner);
    let mut mapping = planner.finish(&key)?;
    mapping.set_allowlist(policy.allowlist());
    let canary = canary::build(&redactor.seen, &observed, &mut mapping)?;
    let mut report = FileReport::default();
    block_findings(&analysis, &mut report);
    report.keylog_notes = analysis
        .keylog_notes
        .iter()
        .map(|bad| format!("{name}: {bad}"))
        .chain(analysis.keylog.map(|t| t.describe(name)))
        .collect();
    let mut reader = CaptureReader::open(path, name)?;
    if let Some(f) = second {
        reader.on_progress(f);
    }
    let mut rewriter = Rewriter::new(policy, &analysis);
    // The rewriter's plans are its own: `compare` reads them again, through its own cache.
    let mut state = CompareState {
        plans: PlanCache::new(&analysis),
        redacted_bytes: Vec::new(),
    };
    while let Some(event) = reader.next_event()? {
        let Event::Packet(pkt) = event else { continue };
        let number = pkt.number;
        let (out, written_layout) = match rewriter.packet(&pkt, &mut mapping) {
            Ok(RewrittenPacket { bytes, layout }) => (bytes, layout),
            Err(reason) => {
                dropped_finding(reason, number, &mut report);
                continue;
            }
        };
        if let Err(refused) = canary.check_packet(number, &written_layout, out) {
            let leak = refused.0;
            report.push(Finding::new(
                FindingKind::Leak,
                number,
                format!(
                    "{} would survive sanitizing (canary scan)",
                    leak.kind.describe()
                ),
            ));
        }
        // The rewriter's layout is the input packet's (headers are copied in place): decoding
        // the packet a second time here was 4 % of `check` (docs/decisions.md, "Decoding stays
        // in place").
        compare(
            &written_layout,
            pkt.data,
            out,
            number,
            &mut state,
            &mut report,
        );
    }
    let unread = rewriter.finish().and(state.plans.finish());
    unread.with_context(|| {
        format!("{name}: cannot read a connection's plan back from the temporary file")
    })?;
    Ok(report)
}

/// What `compare` keeps from packet to packet: its own access to the plans, and a buffer
/// reused for each packet's redacted bytes (no allocation per packet).
struct CompareState<'a> {
    plans: PlanCache<'a>,
    redacted_bytes: Vec<bool>,
}

fn block_findings(analysis: &Analysis, report: &mut FileReport) {
    for (kind, n) in &analysis.dropped_blocks {
        report.push(Finding::new(
            FindingKind::PcapngBlock,
            0,
            format!("{n} {} block(s) would be dropped", kind.as_str()),
        ));
    }
    let o = analysis.dropped_options;
    if o.comments > 0 {
        report.push(Finding::new(
            FindingKind::Comment,
            0,
            format!("{} comment(s) would be dropped", o.comments),
        ));
    }
    if o.other > 0 {
        report.push(Finding::new(
            FindingKind::PcapngBlock,
            0,
            format!(
                "{} pcapng option(s) (interface names, descriptions, ...) would be dropped",
                o.other
            ),
        ));
    }
}

fn dropped_finding(reason: DropReason, number: u64, report: &mut FileReport) {
    let detail = match reason {
        DropReason::UnsupportedLinkType => {
            "a packet of a link type pcapscrub does not decode would be dropped"
        }
        DropReason::ShortLinkHeader => "a packet too short for its link header would be dropped",
        DropReason::UnknownLinkFamily => {
            "a loopback packet of an unknown address family would be dropped"
        }
        DropReason::UnknownInterface => "a packet on an undescribed interface would be dropped",
        DropReason::NonTcpPolicy => "non-TCP traffic would be dropped by the policy",
    };
    report.push(Finding::new(
        FindingKind::Payload,
        number,
        detail.to_string(),
    ));
}

/// Compares the packet with what sanitize writes, field by field.
fn compare(
    layout: &Layout,
    data: &[u8],
    out: &[u8],
    number: u64,
    state: &mut CompareState<'_>,
    report: &mut FileReport,
) {
    let changed = |at: usize, len: usize| out.get(at..at + len) != data.get(at..at + len);
    let mut push = |kind, detail: String| report.push(Finding::new(kind, number, detail));
    for &at in layout.macs() {
        if changed(at, 6) {
            push(FindingKind::Mac, mask_mac(&data[at..at + 6]));
        }
    }
    for outer in &layout.outers {
        compare_outer(outer, data, out, &mut push);
    }
    let mut payload_from = layout.link_end;
    match &layout.net {
        Net::Arp(arp) => {
            if let Some(a) = arp.addrs {
                for at in [a.sender_mac, a.target_mac] {
                    if changed(at, 6) {
                        push(
                            FindingKind::Mac,
                            format!("ARP {}", mask_mac(&data[at..at + 6])),
                        );
                    }
                }
                for at in [a.sender_ip, a.target_ip] {
                    if changed(at, 4) {
                        push(
                            FindingKind::Address,
                            format!("ARP {}", mask_ip(&data[at..at + 4])),
                        );
                    }
                }
            }
            payload_from = arp.end();
        }
        Net::Ip(ip) => {
            let n = ip.addr_len();
            for at in [ip.src, ip.dst] {
                if changed(at, n) {
                    push(FindingKind::Address, mask_ip(&data[at..at + n]));
                }
            }
            if let Some((first, count)) = ip.routing_addrs {
                for k in 0..count {
                    let at = first + 16 * k;
                    if changed(at, 16) {
                        push(
                            FindingKind::Address,
                            format!("routing header {}", mask_ip(&data[at..at + 16])),
                        );
                    }
                }
            }
            for &(from, to) in ip.blanks() {
                if changed(from, to - from) {
                    push(
                        FindingKind::IpOption,
                        format!("{} bytes of IP options", to - from),
                    );
                }
            }
            payload_from = ip.header_end;
            if ip.fragmented && fragment_payload(ip, data, out, number, state, report) {
                return;
            }
            // Taken again: the report was lent to the fragment's comparison.
            let mut push = |kind, detail: String| report.push(Finding::new(kind, number, detail));
            match &ip.transport {
                Transport::Tcp(tcp) => {
                    tcp_options(tcp, data, out, number, report);
                    let path = state.plans.analysis().paths.find(layout, data);
                    tcp_payload(ip, tcp, path, data, out, number, state, report);
                    return;
                }
                Transport::Udp { start } => {
                    if udp_payload(layout, ip, *start, data, out, number, state, report) {
                        return;
                    }
                    payload_from = start + 8;
                    let (sport, dport) = (wire::be16(data, *start), wire::be16(data, start + 2));
                    if removed_nonzero(data, out, payload_from, ip.end.min(data.len()), &[]) {
                        let dns = [53, 5353, 5355].iter().any(|p| *p == sport || *p == dport);
                        let kind = if dns {
                            FindingKind::DnsName
                        } else {
                            FindingKind::Payload
                        };
                        let what = if dns { "DNS message" } else { "UDP payload" };
                        let detail =
                            format!("{what} of {} bytes", ip.end.min(data.len()) - payload_from);
                        report.push(Finding::new(kind, number, detail));
                    }
                    payload_from = ip.end.min(data.len());
                }
                Transport::Icmp(icmp) => {
                    if let Some(q) = icmp.quote {
                        let qn = if q.version == 4 { 4 } else { 16 };
                        for at in [q.src, q.dst] {
                            if changed(at, qn) {
                                push(
                                    FindingKind::Address,
                                    format!("quoted in ICMP {}", mask_ip(&data[at..at + qn])),
                                );
                            }
                        }
                        payload_from = q.end;
                    } else {
                        payload_from = icmp.start + 8;
                    }
                    if let Some(g) = icmp.gateway
                        && changed(g, 4)
                    {
                        push(
                            FindingKind::Address,
                            format!("ICMP redirect {}", mask_ip(&data[g..g + 4])),
                        );
                    }
                }
                Transport::Opaque => {}
            }
        }
        Net::Unknown | Net::Truncated => {}
    }
    if removed_nonzero(data, out, payload_from, data.len(), &[]) {
        let detail = format!(
            "{} bytes after the headers",
            data.len().saturating_sub(payload_from)
        );
        report.push(Finding::new(FindingKind::Payload, number, detail));
    }
}

/// A tunnel's findings: the outer IP header's addresses and options, the tunnel header's
/// free-form areas, the MAC addresses of the link header it carries.
fn compare_outer(
    outer: &Outer,
    data: &[u8],
    out: &[u8],
    push: &mut impl FnMut(FindingKind, String),
) {
    let changed = |at: usize, len: usize| out.get(at..at + len) != data.get(at..at + len);
    let ip = &outer.ip;
    let n = ip.addr_len();
    for at in [ip.src, ip.dst] {
        if changed(at, n) {
            push(
                FindingKind::Address,
                format!("tunnel endpoint {}", mask_ip(&data[at..at + n])),
            );
        }
    }
    for &(from, to) in ip.blanks() {
        if changed(from, to - from) {
            push(
                FindingKind::IpOption,
                format!("{} bytes of IP options", to - from),
            );
        }
    }
    for &(from, to) in outer.blanks() {
        if changed(from, to - from) {
            push(
                FindingKind::Payload,
                format!(
                    "{} bytes of {} tunnel header options",
                    to - from,
                    outer.tunnel.kind()
                ),
            );
        }
    }
    for &at in outer.macs() {
        if changed(at, 6) {
            push(
                FindingKind::Mac,
                format!("tunnelled {}", mask_mac(&data[at..at + 6])),
            );
        }
    }
}

/// True when any non-zero byte in `data[from..to]` is missing from or different in `out`,
/// leaving out the bytes `redacted` marks (indexed from `from`; empty: none are).
fn removed_nonzero(data: &[u8], out: &[u8], from: usize, to: usize, redacted: &[bool]) -> bool {
    // A clean capture's bytes come out unchanged: one comparison instead of a loop per byte.
    if out.get(from..to) == data.get(from..to) {
        return false;
    }
    (from..to).any(|i| {
        !redacted.get(i - from).is_some_and(|&r| r) && data[i] != 0 && out.get(i) != Some(&data[i])
    })
}

#[allow(clippy::too_many_arguments)]
fn tcp_payload(
    ip: &Ip,
    tcp: &wire::Tcp,
    path: Option<PathId>,
    data: &[u8],
    out: &[u8],
    number: u64,
    state: &mut CompareState<'_>,
    report: &mut FileReport,
) {
    let analysis = state.plans.analysis();
    let (src, dst) = tcp_endpoints(data, ip, tcp);
    let (key, side) = FlowKey::new(src, dst, path.unwrap_or_default());
    let found = path
        .and(analysis.connections.find_at(&key, number))
        .and_then(|ci| {
            let base = analysis.connections.get(ci).1.bases[side.index()]?;
            let (seq, _) = segment_payload(data, ip, tcp);
            // Offsets within one segment never need unwrapping across 2^32 here: the segment
            // is compared with ranges near it by 32-bit distance.
            Some((ci, side, i64::from(seq.wrapping_sub(base))))
        });
    let payload = Payload {
        start: tcp.header_end,
        end: ip.end.min(data.len()),
        found,
        what: "TCP payload",
    };
    planned_payload(payload, data, out, number, state, report);
}

/// A finding when the TCP options are not written as they were.
fn tcp_options(tcp: &wire::Tcp, data: &[u8], out: &[u8], number: u64, report: &mut FileReport) {
    let opts = tcp.start + 20..tcp.header_end.min(data.len());
    if out.get(opts.clone()) != data.get(opts.clone()) {
        let detail = format!("{} bytes of TCP options", opts.len());
        report.push(Finding::new(FindingKind::TcpOption, number, detail));
    }
}

/// A fragment of a TCP segment or a connection's UDP datagram pass 1 reassembled: its piece
/// compared with the plan where the piece lies (`crate::plan::fragments`), as the rewriter
/// writes it; a first fragment's TCP options as for any segment. Returns false when the
/// fragment has no piece (its payload is then compared as any other).
fn fragment_payload(
    ip: &Ip,
    data: &[u8],
    out: &[u8],
    number: u64,
    state: &mut CompareState<'_>,
    report: &mut FileReport,
) -> bool {
    let analysis = state.plans.analysis();
    let Some((piece, segment)) = analysis.fragments.piece(number) else {
        return false;
    };
    let at = match &ip.transport {
        Transport::Tcp(tcp) => {
            tcp_options(tcp, data, out, number, report);
            tcp.header_end
        }
        Transport::Udp { start } => start + 8,
        _ => ip.header_end,
    };
    let found = analysis
        .connections
        .find_at(&segment.key, segment.tracked_at)
        .and_then(|ci| {
            let start = match segment.key.transport {
                TransportKind::Tcp => {
                    let base = analysis.connections.get(ci).1.bases[segment.side.index()]?;
                    i64::from(segment.seq.wrapping_sub(base))
                }
                TransportKind::Udp => datagram_base(segment.tracked_at),
            };
            Some((ci, segment.side, start + piece.payload_at as i64))
        });
    let payload = Payload {
        start: at,
        end: ip.end.min(data.len()),
        found,
        what: "fragment payload",
    };
    planned_payload(payload, data, out, number, state, report);
    true
}

/// A UDP datagram: compared with its connection's plan when it belongs to one (docs/udp.md),
/// else any byte it loses is a finding. Returns false when it is not a connection's.
#[allow(clippy::too_many_arguments)]
fn udp_payload(
    layout: &Layout,
    ip: &Ip,
    start: usize,
    data: &[u8],
    out: &[u8],
    number: u64,
    state: &mut CompareState<'_>,
    report: &mut FileReport,
) -> bool {
    let analysis = state.plans.analysis();
    let Some(path) = analysis.paths.find(layout, data) else {
        return false;
    };
    let Some(datagram) = Datagram::of(data, ip, start) else {
        return false;
    };
    let (src, dst) = udp_endpoints(data, ip, start);
    let (key, side) = FlowKey::udp(src, dst, path);
    let Some(ci) = analysis.connections.find_at(&key, number) else {
        return false;
    };
    let payload = Payload {
        start: datagram.at,
        end: datagram.at + datagram.bytes.len(),
        found: Some((ci, side, datagram_base(number))),
        what: "UDP payload",
    };
    planned_payload(payload, data, out, number, state, report);
    true
}

/// A payload a plan may keep bytes of: `data[start..end]`, and (when pass 1 planned its
/// connection) the connection, the direction and the payload's offset in the plan.
struct Payload {
    start: usize,
    end: usize,
    found: Option<(usize, Side, i64)>,
    what: &'static str,
}

/// Reports the redactions the plan makes in a payload, by kind, and any other byte lost.
fn planned_payload(
    payload: Payload,
    data: &[u8],
    out: &[u8],
    number: u64,
    state: &mut CompareState<'_>,
    report: &mut FileReport,
) {
    let CompareState {
        plans,
        redacted_bytes,
    } = state;
    let Payload { start, end, .. } = payload;
    let mut push = |kind, detail: String| report.push(Finding::new(kind, number, detail));
    // Handshake redactions in this payload, by kind, from the plan.
    let mut redacted_here: BTreeMap<SpanKind, usize> = BTreeMap::new();
    // The first server name in the payload: (where, length).
    let mut sni: Option<(usize, usize)> = None;
    // Which payload bytes the plan redacts (a buffer reused from packet to packet).
    redacted_bytes.clear();
    redacted_bytes.resize(end.saturating_sub(start), false);
    if let Some((ci, side, seg)) = payload.found
        && let Some(plan) = plans.plans(ci, number)
    {
        // Kept ranges are sorted by offset: visit only those that may overlap the segment, as
        // the rewriter does (not every range of the direction, for every packet).
        let kept = &plan[side.index()].kept;
        let seg_end = seg + redacted_bytes.len() as i64;
        let first = kept.partition_point(|k| k.offset + k.bytes.len() as i64 <= seg);
        for k in kept[first..].iter().take_while(|k| k.offset < seg_end) {
            for &(a, b, kind) in &k.redacted {
                let (a, b) = (k.offset + i64::from(a), k.offset + i64::from(b));
                let from = a.max(seg);
                let to = b.min(seg + redacted_bytes.len() as i64);
                if from < to {
                    if kind == SpanKind::SniName && sni.is_none() {
                        sni = Some(((from - seg) as usize, (to - from) as usize));
                    }
                    *redacted_here.entry(kind).or_insert(0) += (to - from) as usize;
                    for i in from..to {
                        redacted_bytes[(i - seg) as usize] = true;
                    }
                }
            }
        }
    }
    for (kind, n) in redacted_here {
        let (fk, what) = match kind {
            SpanKind::SniName => (FindingKind::Sni, "server name"),
            SpanKind::Certificate => (FindingKind::Certificate, "certificate"),
            SpanKind::CaName => (FindingKind::Certificate, "certificate authority name"),
            SpanKind::OcspResponse => (FindingKind::Certificate, "OCSP response"),
            SpanKind::SessionTicket | SpanKind::Ticket => (FindingKind::Ticket, "session ticket"),
            SpanKind::PskIdentity => (FindingKind::Ticket, "PSK identity"),
            SpanKind::Verifiable => (FindingKind::Ticket, "signature or opaque server data"),
            SpanKind::UnknownExtension => (FindingKind::Ticket, "unknown extension data"),
            SpanKind::OpaqueField => (FindingKind::Ticket, "opaque handshake data"),
            SpanKind::Random | SpanKind::SessionId => (FindingKind::Ticket, "random or session id"),
            SpanKind::UnwalkableMessage => (
                FindingKind::Payload,
                "handshake message that cannot be parsed",
            ),
            SpanKind::ConnectionId => (FindingKind::Payload, "QUIC connection id"),
            SpanKind::PreambleText => (
                FindingKind::Payload,
                "cleartext preamble text (names, greetings, credentials)",
            ),
        };
        let detail = if kind == SpanKind::SniName {
            sni_detail(data, start, sni)
                .unwrap_or_else(|| format!("{what} ({n} bytes in this packet)"))
        } else {
            format!("{what} ({n} bytes in this packet)")
        };
        push(fk, detail);
    }
    if removed_nonzero(data, out, start, end, redacted_bytes) {
        let text = &data[start..end];
        let http = [
            &b"GET "[..],
            b"POST ",
            b"PUT ",
            b"HEAD ",
            b"HTTP/",
            b"DELETE ",
            b"OPTIONS ",
            b"CONNECT ",
        ]
        .iter()
        .any(|m| text.starts_with(m));
        if http {
            push(
                FindingKind::HttpHost,
                format!("HTTP message of {} bytes", end - start),
            );
        } else {
            push(
                FindingKind::Payload,
                format!("{} bytes of {}", end - start, payload.what),
            );
        }
    }
}

/// The masked server name in this segment (when the whole name is here).
fn sni_detail(data: &[u8], start: usize, sni: Option<(usize, usize)>) -> Option<String> {
    let (first, len) = sni?;
    let name = data.get(start + first..start + first + len)?;
    // A resealed QUIC Initial carries the name encrypted: its bytes there say nothing.
    name.iter()
        .all(|b| b.is_ascii_graphic())
        .then(|| mask_name(name))
}
