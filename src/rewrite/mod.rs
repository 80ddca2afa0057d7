//! Pass 2: apply the plan to every packet — addresses through the mapping, payload removed
//! except TLS record headers, option areas neutralised, checksums recomputed. The fragments
//! of a segment pass 1 reassembled are written piece by piece in `fragments`.

mod fragments;
mod segment;

use std::collections::BTreeMap;

use crate::analyze::udp::{Datagram, udp_endpoints};
use crate::analyze::{Analysis, segment_payload, tcp_endpoints};
use crate::anonymize::Mapping;
use crate::capture::{Packet, RawTimestamp};
use crate::flow::seq::SeqUnwrapper;
use crate::flow::{FlowKey, PathId, Side, TransportKind};
use crate::plan::datagram_base;
use crate::plan::store::PlanCache;
use crate::policy::{NonTcpMode, PayloadMode, Policy};
use crate::stable_names::stable_names;
use crate::tls::records::RecordHeader;
use crate::wire::{self, Icmp, Ip, Layout, Net, Outer, Quote, Tcp, Transport, checksum};
use fragments::{FirstHeader, FragmentFrame, FragmentWriter, SegmentPlan};
use segment::{Segment, write_plan};

stable_names! {
    /// Why a packet was not written.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum DropReason {
        UnsupportedLinkType = "unsupported_link_type",
        ShortLinkHeader = "short_link_header",
        UnknownLinkFamily = "unknown_link_family",
        UnknownInterface = "unknown_interface",
        NonTcpPolicy = "non_tcp_policy",
    }
}

/// Counts for the summary.
#[derive(Debug, Clone, Default)]
pub struct RewriteStats {
    pub packets_written: u64,
    pub dropped: BTreeMap<DropReason, u64>,
    /// Captured bytes removed (or zero-filled) after the headers we keep.
    pub payload_bytes_removed: u64,
    pub packets_with_payload_removed: u64,
    pub tls_record_headers_kept: u64,
    /// TCP payload bytes written from the plan (record headers, redacted handshake messages,
    /// alerts), summed over packets.
    pub handshake_bytes_kept: u64,
    pub ip_option_areas_blanked: u64,
    /// TCP options other than MSS, window scale, SACK and timestamps (or bytes after
    /// end-of-options) blanked.
    pub tcp_option_areas_blanked: u64,
    pub link_addresses_blanked: u64,
    /// Free-form areas of tunnel headers zero-filled (GENEVE option data, GTP-U extension
    /// contents, an L2TP offset pad, reserved fields that were not zero).
    pub tunnel_header_areas_blanked: u64,
    pub unparsed_network_headers_removed: u64,
}

/// Timestamp shift for the `shift` policy: whole seconds subtracted from every packet.
#[derive(Debug, Clone, Copy)]
pub struct TimeShift {
    pub seconds: i128,
}

/// 2000-01-01T00:00:00Z.
pub const SHIFT_EPOCH: i128 = 946_684_800;

/// A rewritten packet, and the layout of its headers: the input's, since headers are copied in
/// place and only what follows them is cut or zero-filled.
pub struct RewrittenPacket<'a> {
    pub bytes: &'a [u8],
    pub layout: Layout,
}

pub struct Rewriter<'a> {
    policy: &'a Policy,
    analysis: &'a Analysis,
    plans: PlanCache<'a>,
    /// Per connection and direction: where the stream is, and where its record headers were.
    cursors: Vec<[Option<StreamCursor>; 2]>,
    shift: Option<TimeShift>,
    out: Vec<u8>,
    fragments: FragmentWriter,
    /// A first fragment's TCP checksum over its whole rewritten segment, and where it goes.
    fragment_checksum: Option<(usize, u16)>,
    pub stats: RewriteStats,
}

/// Where pass 2 is in one direction of a connection.
struct StreamCursor {
    unwrap: SeqUnwrapper,
    /// The first record header that ended after the previous segment's start.
    next_header: usize,
}

impl StreamCursor {
    fn new(base: u32) -> StreamCursor {
        StreamCursor {
            unwrap: SeqUnwrapper::new(base),
            next_header: 0,
        }
    }

    /// The first of `headers` (sorted by offset) that ends after `seg_start`: what
    /// `partition_point` finds, found by stepping on from the previous segment's answer. Segments
    /// mostly come in order, so this is one or two comparisons instead of a binary search
    /// over every record of the connection for every packet.
    fn first_header(&mut self, headers: &[RecordHeader], seg_start: i64) -> usize {
        let before = |h: &RecordHeader| h.offset + 5 <= seg_start;
        let mut i = self.next_header.min(headers.len());
        if i > 0 && !before(&headers[i - 1]) {
            // A segment from before the previous one (a retransmission).
            i = headers.partition_point(before);
        } else {
            let steps = headers[i..]
                .iter()
                .take(8)
                .take_while(|h| before(h))
                .count();
            i += steps;
            if steps == 8 {
                i += headers[i..].partition_point(before);
            }
        }
        self.next_header = i;
        i
    }
}

impl<'a> Rewriter<'a> {
    pub fn new(policy: &'a Policy, analysis: &'a Analysis) -> Rewriter<'a> {
        let cursors = analysis
            .connections
            .iter()
            .map(|(_, c)| [0, 1].map(|d| c.bases[d].map(StreamCursor::new)))
            .collect();
        let shift = match policy.timestamps {
            crate::policy::TimestampMode::Keep => None,
            // From the first packet written, so that it lands in the first second of 2000 and a
            // sanitized capture sanitized again is not shifted a second time.
            crate::policy::TimestampMode::Shift => match policy.non_tcp {
                NonTcpMode::Drop => analysis.first_tcp_second,
                NonTcpMode::Keep => analysis.first_second,
            }
            .map(|s| TimeShift {
                seconds: s - SHIFT_EPOCH,
            }),
        };
        Rewriter {
            policy,
            analysis,
            plans: PlanCache::new(analysis),
            cursors,
            shift,
            out: Vec::with_capacity(65_536),
            fragments: FragmentWriter::default(),
            fragment_checksum: None,
            stats: RewriteStats::default(),
        }
    }

    /// Call after the last packet: an error if a plan could not be read back (the output is
    /// then incomplete and must not be shipped).
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.plans.finish()
    }

    pub fn count_drop(&mut self, reason: DropReason) {
        *self.stats.dropped.entry(reason).or_insert(0) += 1;
    }

    /// True when timestamps are shifted: pcapng interfaces are then written without
    /// `if_tsoffset`, which is folded into every packet's timestamp instead (the offset would
    /// otherwise keep the real date).
    pub fn shifts_time(&self) -> bool {
        self.shift.is_some()
    }

    /// The packet's timestamp as written (identity unless the policy shifts). For pcapng the
    /// interface's `ts_offset` seconds are folded in, since the output drops the offset.
    pub fn timestamp(&self, pkt: &Packet<'_>, pcap: bool) -> RawTimestamp {
        let ts = pkt.ts;
        let Some(shift) = self.shift else { return ts };
        if pcap {
            let s = (i128::from(ts.hi) - shift.seconds).clamp(0, i128::from(u32::MAX));
            RawTimestamp {
                hi: s as u32,
                lo: ts.lo,
            }
        } else {
            // i128 holds any u64 count plus (i64 offset - shift) seconds in units of at most
            // 2^64 per second only with saturation: a hostile interface can ask for both.
            let raw = (i128::from(ts.hi) << 32) | i128::from(ts.lo);
            let seconds = i128::from(pkt.ts_offset) - shift.seconds;
            let shifted = seconds
                .saturating_mul(i128::from(pkt.units_per_second))
                .saturating_add(raw)
                .clamp(0, i128::from(u64::MAX));
            RawTimestamp {
                hi: (shifted >> 32) as u32,
                lo: shifted as u32,
            }
        }
    }

    /// Whether the shift can be applied at an interface's resolution: at 10^-19 s (or 2^-63 s)
    /// 64 bits do not reach the year 2000, so every timestamp would be clamped and the timing —
    /// the evidence — lost.
    pub fn can_shift_at(&self, units_per_second: u64) -> bool {
        self.shift.is_none()
            || i128::from(units_per_second).saturating_mul(SHIFT_EPOCH + 1) <= i128::from(u64::MAX)
    }

    /// Rewrites one packet; returns the bytes to write, or why it is dropped.
    pub fn packet(
        &mut self,
        pkt: &Packet<'_>,
        mapping: &mut Mapping,
    ) -> Result<RewrittenPacket<'_>, DropReason> {
        let layout = wire::decode(pkt.link_type, pkt.data).map_err(|e| match e {
            wire::Undecodable::UnsupportedLinkType => DropReason::UnsupportedLinkType,
            wire::Undecodable::ShortLinkHeader => DropReason::ShortLinkHeader,
            wire::Undecodable::UnknownLinkFamily => DropReason::UnknownLinkFamily,
        })?;
        let is_tcp = matches!(layout.ip().map(|ip| &ip.transport), Some(Transport::Tcp(_)))
            || self
                .analysis
                .fragments
                .piece(pkt.number)
                .is_some_and(|(_, s)| s.key.transport == TransportKind::Tcp);
        if self.policy.non_tcp == NonTcpMode::Drop && !is_tcp {
            return Err(DropReason::NonTcpPolicy);
        }
        let data = pkt.data;
        // Only the decoded headers are copied: payload bytes are never written from the input
        // (kept TLS bytes come from the plan, the rest are zeros or cut), and not copying them
        // is most of the cost of a bulk-data packet.
        self.out.clear();
        self.out
            .extend_from_slice(&data[..headers_end(&layout).min(data.len())]);
        self.rewrite_link(&layout, mapping);
        for outer in &layout.outers {
            self.rewrite_outer(outer, mapping);
        }
        // Everything from this offset on is removed (cut or zero-filled).
        let cut_from = match &layout.net {
            Net::Unknown | Net::Truncated => {
                if data.len() > layout.link_end {
                    self.stats.unparsed_network_headers_removed += 1;
                }
                layout.link_end
            }
            Net::Arp(arp) => {
                if let Some(a) = arp.addrs {
                    for at in [a.sender_mac, a.target_mac] {
                        map_mac(&mut self.out, at, mapping);
                    }
                    for at in [a.sender_ip, a.target_ip] {
                        map_ip(&mut self.out, at, 4, mapping);
                    }
                }
                arp.end()
            }
            Net::Ip(ip) => {
                let path = if is_tcp || matches!(ip.transport, Transport::Udp { .. }) {
                    self.analysis.paths.find(&layout, data)
                } else {
                    None
                };
                self.rewrite_ip(pkt.number, data, ip, path, mapping)
            }
        };
        self.align_ipv6_multicast_mac(&layout);
        let from = cut_from.min(data.len());
        let removed = data.len() - from;
        // Bytes past the copied headers are zeros unless the plan wrote them.
        self.out.resize(from, 0);
        if removed > 0 {
            self.stats.payload_bytes_removed += removed as u64;
            self.stats.packets_with_payload_removed += 1;
            if self.policy.payload == PayloadMode::Zero {
                self.out.resize(data.len(), 0);
            }
        }
        if let Net::Ip(ip) = &layout.net {
            fill_checksums(&mut self.out, data.len(), ip);
        }
        if let Some((at, c)) = self.fragment_checksum.take() {
            self.out[at..at + 2].copy_from_slice(&c.to_be_bytes());
        }
        // Outward from the innermost packet: each checksum covers the bytes inside it as they
        // are written.
        for outer in layout.outers.iter().rev() {
            fill_outer_checksums(&mut self.out, data.len(), outer);
        }
        Ok(RewrittenPacket {
            bytes: &self.out,
            layout,
        })
    }

    fn rewrite_link(&mut self, layout: &Layout, mapping: &mut Mapping) {
        for &at in layout.macs() {
            map_mac(&mut self.out, at, mapping);
        }
        if let Some((from, to)) = layout.link_zero {
            self.out[from..to].fill(0);
            self.stats.link_addresses_blanked += 1;
        }
    }

    /// The outer IP header, the tunnel header and the link header a tunnel carries: addresses
    /// through the one mapping, IP options and the tunnel's free-form areas blanked.
    fn rewrite_outer(&mut self, outer: &Outer, mapping: &mut Mapping) {
        self.rewrite_ip_header(&outer.ip, mapping);
        for &(from, to) in outer.blanks() {
            if let Some(area) = self.out.get_mut(from..to) {
                area.fill(0);
                self.stats.tunnel_header_areas_blanked += 1;
            }
        }
        for &at in outer.macs() {
            map_mac(&mut self.out, at, mapping);
        }
    }

    /// An Ethernet destination 33:33:xx:xx:xx:xx is the low 32 bits of an IPv6 multicast
    /// destination (RFC 2464): it is rewritten from the destination as written, so the two agree
    /// and the MAC never keeps bits of the group as it was. On a frame that does not carry an
    /// IPv6 multicast packet it has nothing to agree with and becomes all-nodes 33:33:00:00:00:01.
    /// Every link header of the packet is aligned with the IP packet that follows it.
    fn align_ipv6_multicast_mac(&mut self, layout: &Layout) {
        self.align_mac(layout.dst_mac, layout.outermost_ip());
        for (k, outer) in layout.outers.iter().enumerate() {
            self.align_mac(outer.dst_mac, layout.ip_after(k));
        }
    }

    fn align_mac(&mut self, dst_mac: Option<usize>, ip: Option<&Ip>) {
        let Some(at) = dst_mac else { return };
        if self.out.get(at..at + 2) != Some(&[0x33, 0x33][..]) || self.out.len() < at + 6 {
            return;
        }
        let written_dst = ip
            .filter(|ip| ip.version == 6)
            .and_then(|ip| self.out.get(ip.dst..ip.dst + 16));
        let group = match written_dst {
            Some(dst) if dst[0] == 0xff => [dst[12], dst[13], dst[14], dst[15]],
            _ => [0, 0, 0, 1],
        };
        self.out[at + 2..at + 6].copy_from_slice(&group);
    }

    /// Rewrites the IP layers; returns where the removed tail starts.
    /// `path`: the packet's as pass 1 numbered it (`None`: a path it never saw, so no plan).
    fn rewrite_ip(
        &mut self,
        number: u64,
        data: &[u8],
        ip: &Ip,
        path: Option<PathId>,
        mapping: &mut Mapping,
    ) -> usize {
        self.rewrite_ip_header(ip, mapping);
        match &ip.transport {
            Transport::Opaque if ip.fragmented => self.rewrite_fragment(number, ip, None),
            Transport::Opaque => ip.header_end,
            &Transport::Udp { start } if ip.fragmented => {
                let udp = FirstHeader {
                    ip,
                    start,
                    end: start + 8,
                    proto: wire::ip_proto::UDP,
                };
                self.rewrite_fragment(number, ip, Some(udp))
            }
            Transport::Udp { start } => self.rewrite_udp(number, data, ip, *start, path),
            Transport::Icmp(icmp) => self.rewrite_icmp(icmp, mapping),
            Transport::Tcp(tcp) if ip.fragmented => {
                self.blank_tcp_options(tcp);
                let first = FirstHeader {
                    ip,
                    start: tcp.start,
                    end: tcp.header_end,
                    proto: wire::ip_proto::TCP,
                };
                self.rewrite_fragment(number, ip, Some(first))
            }
            Transport::Tcp(tcp) => self.rewrite_tcp(number, data, ip, tcp, path),
        }
    }

    /// An IP header's addresses (routing header included) and option areas.
    fn rewrite_ip_header(&mut self, ip: &Ip, mapping: &mut Mapping) {
        let n = ip.addr_len();
        map_ip(&mut self.out, ip.src, n, mapping);
        map_ip(&mut self.out, ip.dst, n, mapping);
        for &(from, to) in ip.blanks() {
            // IPv4 options become NOPs (type 1) so the header stays parseable; IPv6 option data
            // becomes zeros inside its still-valid TLV. An area past the headers the rewriter
            // keeps (a later extension header was not understood) is removed with the payload.
            let to = to.min(self.out.len());
            if from < to {
                self.out[from..to].fill(if ip.version == 4 { 1 } else { 0 });
                self.stats.ip_option_areas_blanked += 1;
            }
        }
        if let Some((first, count)) = ip.routing_addrs {
            for k in 0..count {
                map_ip(&mut self.out, first + 16 * k, 16, mapping);
            }
        }
    }

    /// A fragment of a TCP segment or a connection's UDP datagram (`first`: the transport
    /// header a first fragment holds): what it carries of the payload, written from the plan
    /// when pass 1 reassembled the datagram; otherwise its payload is removed. Returns where
    /// the removed tail starts.
    fn rewrite_fragment(&mut self, number: u64, ip: &Ip, first: Option<FirstHeader<'_>>) -> usize {
        let at = first.map_or(ip.header_end, |f| f.end);
        let Some((piece, segment)) = self.analysis.fragments.piece(number) else {
            return at;
        };
        let side = segment.side.index();
        let located = match segment.key.transport {
            TransportKind::Tcp => {
                self.locate(&segment.key, segment.side, segment.tracked_at, segment.seq)
            }
            // A datagram has its own place in its direction's plan (docs/udp.md).
            TransportKind::Udp => self
                .analysis
                .connections
                .find_at(&segment.key, segment.tracked_at)
                .map(|ci| (ci, datagram_base(segment.tracked_at))),
        };
        let Some((ci, start)) = located else {
            return at;
        };
        // Fail closed: without its plan the payload is removed whole.
        let Some(plans) = self.plans.plans(ci, number) else {
            return at;
        };
        let frame = FragmentFrame {
            at,
            end: ip.end,
            piece,
            first,
        };
        let seg = SegmentPlan {
            segment,
            plan: &plans[side],
            start,
        };
        let Some(w) = self.fragments.write(&mut self.out, frame, seg) else {
            return at;
        };
        self.fragment_checksum = first.zip(w.checksum).map(|(f, c)| (f.checksum_field(), c));
        self.stats.tls_record_headers_kept += w.record_headers;
        self.stats.handshake_bytes_kept += w.kept;
        self.stats.payload_bytes_removed += w.zeroed;
        w.keep_to
    }

    /// The connection a segment of `key`'s `side` belongs to (`number`: the packet it was
    /// tracked as, which tells its connection when a port was reused) and the segment's
    /// stream offset from its sequence number; `None` when pass 1 planned nothing for it.
    fn locate(&mut self, key: &FlowKey, side: Side, number: u64, seq: u32) -> Option<(usize, i64)> {
        let ci = self.analysis.connections.find_at(key, number)?;
        let cursor = self.cursors[ci][side.index()].as_mut()?;
        Some((ci, cursor.unwrap.offset(seq)))
    }

    fn rewrite_icmp(&mut self, icmp: &Icmp, mapping: &mut Mapping) -> usize {
        if let Some(g) = icmp.gateway {
            map_ip(&mut self.out, g, 4, mapping);
        }
        let Some(q) = icmp.quote else {
            return icmp.start + 8;
        };
        rewrite_quote(&mut self.out, &q, mapping);
        q.end
    }

    /// Blanks the TCP options the output must not carry (`wire::tcp_option_blanks`).
    fn blank_tcp_options(&mut self, tcp: &Tcp) {
        let opts_end = tcp.header_end.min(self.out.len());
        if let Some(opts) = self.out.get_mut(tcp.start + 20..opts_end) {
            // Walk a copy (at most 40 bytes) while blanking the output's bytes.
            let mut walked = [0u8; 40];
            let walked = &mut walked[..opts.len()];
            walked.copy_from_slice(opts);
            let blanked = &mut self.stats.tcp_option_areas_blanked;
            wire::tcp_option_blanks(walked, |from, to, fill| {
                opts[from..to].fill(fill);
                *blanked += 1;
            });
        }
    }

    /// Keeps the TCP header and the TLS record headers the analysis found in this segment;
    /// zero-fills the payload bytes between them. Returns where the removed tail starts.
    /// `number`: the packet's, which tells its connection when a port was reused.
    fn rewrite_tcp(
        &mut self,
        number: u64,
        data: &[u8],
        ip: &Ip,
        tcp: &Tcp,
        path: Option<PathId>,
    ) -> usize {
        self.blank_tcp_options(tcp);
        let mut keep_to = tcp.header_end;
        let Some(path) = path else {
            return keep_to;
        };
        let (src, dst) = tcp_endpoints(data, ip, tcp);
        let (key, side) = FlowKey::new(src, dst, path);
        let (seq, payload) = segment_payload(data, ip, tcp);
        let Some((ci, seg_start)) = self.locate(&key, side, number, seq) else {
            return keep_to;
        };
        if payload.is_empty() {
            return keep_to;
        }
        // Fail closed: without its plan the payload is removed whole.
        let Some(plans) = self.plans.plans(ci, number) else {
            return keep_to;
        };
        let plan = &plans[side.index()];
        // Every payload byte is removed unless the plan keeps it: the kept bytes are written
        // from the plan (the analysed copies, never this packet's own bytes) over zeros.
        let seg = Segment {
            at: tcp.header_end,
            start: seg_start,
            len: payload.len(),
            plan,
            first_header: self.cursors[ci][side.index()]
                .as_mut()
                .map_or(0, |c| c.first_header(&plan.headers, seg_start)),
        };
        let w = write_plan(&mut self.out, &seg, |_| {});
        self.stats.tls_record_headers_kept += w.record_headers;
        self.stats.handshake_bytes_kept += w.kept as u64;
        keep_to += w.keep_len();
        // Bytes zeroed before the last kept byte count as removed; the tail is counted by
        // the caller when it is cut or zero-filled.
        self.stats.payload_bytes_removed += (w.keep_len() - w.kept) as u64;
        keep_to
    }
}

impl Rewriter<'_> {
    /// A UDP datagram of a connection (docs/udp.md): the plan's bytes at the datagram's place
    /// (`plan::datagram_base`) over zeros, up to the last byte the plan wrote; the rest is cut,
    /// as after a TCP segment's last record header. Any other datagram's payload is cut.
    /// Returns where the removed tail starts.
    fn rewrite_udp(
        &mut self,
        number: u64,
        data: &[u8],
        ip: &Ip,
        start: usize,
        path: Option<PathId>,
    ) -> usize {
        let keep_to = start + 8;
        let Some(path) = path else {
            return keep_to;
        };
        let Some(datagram) = Datagram::of(data, ip, start) else {
            return keep_to;
        };
        let (src, dst) = udp_endpoints(data, ip, start);
        let (key, side) = FlowKey::udp(src, dst, path);
        let Some(ci) = self.analysis.connections.find_at(&key, number) else {
            return keep_to;
        };
        // Fail closed: without its plan the payload is removed whole.
        let Some(plans) = self.plans.plans(ci, number) else {
            return keep_to;
        };
        let seg = Segment {
            at: datagram.at,
            start: datagram_base(number),
            len: datagram.bytes.len(),
            plan: &plans[side.index()],
            first_header: 0,
        };
        let w = write_plan(&mut self.out, &seg, |_| {});
        self.stats.handshake_bytes_kept += w.kept as u64;
        self.stats.payload_bytes_removed += (w.last - w.kept) as u64;
        datagram.at + w.last
    }
}

/// Where the headers the rewriter edits end: everything after is payload.
fn headers_end(layout: &Layout) -> usize {
    match &layout.net {
        Net::Unknown | Net::Truncated => layout.link_end,
        Net::Arp(arp) => arp.end(),
        Net::Ip(ip) => match &ip.transport {
            Transport::Opaque => ip.header_end,
            Transport::Udp { start } => start + 8,
            Transport::Icmp(icmp) => icmp.quote.map_or(icmp.start + 8, |q| q.end),
            Transport::Tcp(tcp) => tcp.header_end,
        },
    }
}

fn rewrite_quote(out: &mut [u8], q: &Quote, mapping: &mut Mapping) {
    let n = if q.version == 4 { 4 } else { 16 };
    map_ip(out, q.src, n, mapping);
    map_ip(out, q.dst, n, mapping);
    if let Some(c) = q.udp_checksum {
        out[c..c + 2].fill(0);
    }
    if q.ipv4_header_len > 0 {
        checksum::fill_ipv4_header(&mut out[q.start..q.start + q.ipv4_header_len]);
    }
}

/// The `len` bytes at `at`, when the output holds all of them. Addresses lie inside the
/// headers the output keeps; should one not, what the output holds of it is zeroed (never
/// written as it was) and the rest goes with the payload.
fn whole(out: &mut [u8], at: usize, len: usize) -> bool {
    if at + len <= out.len() {
        return true;
    }
    if let Some(part) = out.get_mut(at..) {
        part.fill(0);
    }
    false
}

fn map_mac(out: &mut [u8], at: usize, mapping: &mut Mapping) {
    if !whole(out, at, 6) {
        return;
    }
    let mut m = [0u8; 6];
    m.copy_from_slice(&out[at..at + 6]);
    out[at..at + 6].copy_from_slice(&mapping.mac(m));
}

fn map_ip(out: &mut [u8], at: usize, len: usize, mapping: &mut Mapping) {
    if !whole(out, at, len) {
        return;
    }
    if len == 4 {
        let a = [out[at], out[at + 1], out[at + 2], out[at + 3]];
        out[at..at + 4].copy_from_slice(&mapping.ipv4(a));
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(&out[at..at + 16]);
        out[at..at + 16].copy_from_slice(&mapping.ipv6(a));
    }
}

/// A tunnel's checksums over what it carries as written: the GRE checksum (when its C bit is
/// set), then the outer packet's as for any packet (its UDP checksum, its IPv4 header).
fn fill_outer_checksums(out: &mut [u8], captured: usize, outer: &Outer) {
    if let Some(field) = outer.gre_checksum {
        let (start, end) = (outer.header.0, outer.ip.end);
        let complete = captured >= end && out.len() >= end;
        out[field..field + 2].fill(0);
        if complete {
            let c = checksum::finish(checksum::sum(&out[start..end]));
            out[field..field + 2].copy_from_slice(&c.to_be_bytes());
        }
    }
    fill_checksums(out, captured, &outer.ip);
}

/// IPv4 header checksum always; the transport checksum where every byte it covers is present
/// in the output, else zero (the old value is a 16-bit sum of bytes we removed).
fn fill_checksums(out: &mut [u8], captured: usize, ip: &Ip) {
    if ip.version == 4 {
        checksum::fill_ipv4_header(&mut out[ip.start..ip.header_end]);
    }
    let (start, field, pseudo_proto) = match &ip.transport {
        Transport::Tcp(t) => (t.start, t.start + 16, Some(wire::ip_proto::TCP)),
        Transport::Udp { start } => (*start, start + 6, Some(wire::ip_proto::UDP)),
        Transport::Icmp(i) if i.v6 => (i.start, i.start + 2, Some(wire::ip_proto::ICMPV6)),
        Transport::Icmp(i) => (i.start, i.start + 2, None),
        Transport::Opaque => return,
    };
    if out.len() < field + 2 {
        return;
    }
    let udp_v4_unset = pseudo_proto == Some(wire::ip_proto::UDP)
        && ip.version == 4
        && out[field..field + 2] == [0, 0];
    let complete = !ip.fragmented && captured >= ip.end && out.len() >= ip.end && ip.end >= start;
    out[field..field + 2].fill(0);
    if !complete {
        // IPv6 forbids a zero UDP checksum; a constant 0xffff says as little and stays legal.
        if pseudo_proto == Some(wire::ip_proto::UDP) && ip.version == 6 {
            out[field..field + 2].fill(0xFF);
        }
        return;
    }
    if udp_v4_unset {
        return;
    }
    let n = ip.addr_len();
    let mut acc = checksum::sum(&out[start..ip.end]);
    if let Some(proto) = pseudo_proto {
        acc += checksum::pseudo_header(
            &out[ip.src..ip.src + n],
            &out[ip.checksum_dst..ip.checksum_dst + n],
            proto,
            ip.end - start,
        );
    }
    let mut c = checksum::finish(acc);
    if pseudo_proto == Some(wire::ip_proto::UDP) && c == 0 {
        c = 0xFFFF;
    }
    out[field..field + 2].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The cursor finds what a binary search over every header finds, whatever order the
        /// segments come in (in order, retransmitted, jumping ahead).
        #[test]
        fn cursor_finds_what_partition_point_finds(
            gaps in proptest::collection::vec(0i64..40_000, 0..64),
            mut starts in proptest::collection::vec(-100i64..2_000_000, 1..64),
            in_order in any::<bool>(),
        ) {
            if in_order {
                starts.sort_unstable();
            }
            let mut offset = 0;
            let headers: Vec<RecordHeader> = gaps
                .iter()
                .map(|g| {
                    offset += g;
                    RecordHeader { offset, bytes: [23, 3, 3, 0, 0] }
                })
                .collect();
            let mut cursor = StreamCursor::new(0);
            for s in starts {
                prop_assert_eq!(
                    cursor.first_header(&headers, s),
                    headers.partition_point(|h| h.offset + 5 <= s),
                    "segment start {}", s
                );
            }
        }
    }
}
