//! The packet loop of pass 1: every packet of a capture, in order, through the flow table, TCP
//! tracking and address observation, into an [`Analysis`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::addresses::{Repeat, observe_addresses, observe_udp_roles};
use super::analysis::{Analysis, Keep, TimeSpan};
use super::conversation::Moment;
use super::decrypt::KeyRun;
use super::flows::Flows;
use super::fragments::{FragmentPacket, Fragments};
use super::icmp::note_icmp_error;
use super::tcp::track_tcp;
use super::udp::{UdpPacket, track_udp};
use crate::anonymize::AddressPlanner;
use crate::capture::{CaptureReader, DroppedBlock, Event, ReadError};
use crate::keylog::KeyLog;
use crate::redact::Redactor;
use crate::wire::{self, Net, Transport};

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
    analyze_with(reader, planner, redactor, keep, None)
}

/// Pass 1 with the key logs given on the command line (`crate::keylog`): the diagnosis reads
/// what they open; the plan is the same without them.
pub fn analyze_with(
    reader: &mut CaptureReader,
    planner: &mut AddressPlanner,
    redactor: &mut Redactor,
    keep: Keep,
    keys: Option<Arc<KeyLog>>,
) -> Result<Analysis, ReadError> {
    let mut flows = Flows {
        keep,
        key_run: KeyRun::new(keys),
        ..Flows::default()
    };
    let mut fragments = Fragments::default();
    let mut link_types = BTreeSet::new();
    // A capture's packets nearly all share one link type: the set is touched only on a change.
    let mut last_link_type = None;
    let mut dropped_blocks = BTreeMap::new();
    let mut first_second = None;
    let mut first_tcp_second = None;
    let mut first_ns: Option<i128> = None;
    let mut span: Option<TimeSpan> = None;
    let pcap = reader.pcap_header().is_some();
    while let Some(event) = reader.next_event()? {
        let pkt = match event {
            Event::Packet(p) => p,
            Event::Dropped(kind) => {
                *dropped_blocks.entry(kind).or_insert(0) += 1;
                continue;
            }
            Event::TlsKeyLog(text) => {
                flows.key_run.add_embedded(text.0);
                *dropped_blocks
                    .entry(DroppedBlock::DecryptionSecrets)
                    .or_insert(0) += 1;
                continue;
            }
            Event::Section | Event::Interface(_) | Event::BadPacket { .. } => continue,
        };
        if last_link_type != Some(pkt.link_type) {
            last_link_type = Some(pkt.link_type);
            link_types.insert(pkt.link_type);
        }
        let time_ns = pkt.time_ns(pcap);
        span = Some(span.map_or(TimeSpan::at(time_ns), |s| s.including(time_ns)));
        flows.finalise_closed(time_ns, planner);
        let first_ns = *first_ns.get_or_insert(time_ns);
        // i128: a pcapng timestamp in 1-second units reaches 2^64 s, beyond i64.
        let second = time_ns.div_euclid(1_000_000_000);
        let now = Moment {
            rel: (time_ns - first_ns) as f64 / 1e9,
            unix: i64::try_from(second).unwrap_or(if second < 0 { i64::MIN } else { i64::MAX }),
        };
        // Borrowed where `decode` put it: moving the few-hundred-byte layout out of the
        // `Result` was a copy per packet (docs/decisions.md, "Decoding stays in place").
        let decoded = wire::decode(pkt.link_type, pkt.data);
        let Ok(layout) = &decoded else {
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
            // A fragment's segment is tracked when its datagram is whole.
            Net::Ip(ip) if ip.fragmented => {
                let (number, data) = (pkt.number, pkt.data);
                let pkt = FragmentPacket {
                    number,
                    data,
                    layout,
                    ip,
                    now,
                    now_ns: time_ns,
                };
                fragments.take(pkt, &mut flows, planner, redactor);
                Repeat::default()
            }
            Net::Ip(ip) => match &ip.transport {
                Transport::Tcp(tcp) => track_tcp(
                    &mut flows, planner, pkt.number, layout, pkt.data, ip, tcp, now, time_ns,
                    redactor,
                ),
                Transport::Udp { start } => {
                    let udp = UdpPacket {
                        number: pkt.number,
                        layout,
                        data: pkt.data,
                        ip,
                        start: *start,
                        now,
                        now_ns: time_ns,
                    };
                    track_udp(&mut flows, planner, udp, redactor)
                }
                _ => Repeat::default(),
            },
            _ => Repeat::default(),
        };
        if let Net::Ip(ip) = &layout.net
            && let Transport::Icmp(icmp) = &ip.transport
        {
            // The quoted segment travelled the path the error did (looked up, never numbered).
            if let Some(path) = flows.paths.find(layout, pkt.data) {
                note_icmp_error(&mut flows, pkt.number, pkt.data, icmp, path, now);
            }
        }
        observe_addresses(layout, pkt.data, planner, repeat);
        if let Net::Ip(ip) = &layout.net
            && let Transport::Udp { start } = &ip.transport
        {
            observe_udp_roles(pkt.data, ip, *start, planner);
        }
    }
    let finalised_early = flows.finalised_early;
    let keylog = flows.key_run.tally();
    let keylog_notes = flows.key_run.embedded_malformed().collect();
    let paths = std::mem::take(&mut flows.paths);
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
        time_span: span,
        connections,
        paths,
        finalised_early,
        fragments: fragments.plan,
        keylog,
        keylog_notes,
        spilled,
        renumbering: None,
    })
}
