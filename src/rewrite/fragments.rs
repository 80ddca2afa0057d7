//! Pass 2 for the fragments of a TCP segment or a connection's UDP datagram pass 1
//! reassembled: every fragment keeps its own IP header (rewritten like any packet's), and
//! carries the part of the rewritten payload that it carried of the original — the plan's
//! kept bytes where they fall in it, zeros elsewhere — so an SNI split across fragments is
//! redacted in both halves and a reader still reassembles the datagram. The first fragment's
//! TCP or UDP checksum covers the whole rewritten payload, which is a function of the plan
//! (docs/decisions.md, "IP fragments").

use std::collections::BTreeMap;

use super::segment::{PlanWrite, Segment, WrittenRange, first_header, write_plan};
use crate::plan::DirectionPlan;
use crate::plan::fragments::{FragmentPiece, FragmentedSegment};
use crate::wire::{Ip, checksum, ip_proto};

/// A fragmented segment's payload as the output carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenSegment {
    /// Zeros but for the plan's bytes.
    pub payload: Vec<u8>,
    /// Where the plan wrote, in plan order.
    written: Vec<WrittenRange>,
    /// What the plan wrote: every fragment keeps its length when it carries kept bytes.
    plan_write: PlanWrite,
    /// Its fragments not yet written.
    fragments_left: usize,
}

impl RewrittenSegment {
    /// The payload of `len` bytes from stream offset `start` as the `plan` writes it: by the
    /// rule a whole segment is written by (`super::segment`).
    pub fn new(plan: &DirectionPlan, start: i64, len: usize, fragments: usize) -> Self {
        let mut payload = vec![0; len];
        let mut written = Vec::new();
        let seg = Segment {
            at: 0,
            start,
            len,
            plan,
            first_header: first_header(plan, start),
        };
        let plan_write = write_plan(&mut payload, &seg, |w| written.push(w));
        RewrittenSegment {
            payload,
            written,
            plan_write,
            fragments_left: fragments,
        }
    }
}

/// What writing one fragment's piece did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Where the removed tail of the frame starts.
    pub keep_to: usize,
    /// Record headers that lie (partly) in the piece.
    pub record_headers: u64,
    /// Payload bytes written from the plan, and zeroed before the last of them.
    pub kept: u64,
    pub zeroed: u64,
    /// For a first fragment: the TCP or UDP checksum of the whole rewritten payload.
    pub checksum: Option<u16>,
}

/// A first fragment's transport header as written into the output: its checksum covers the
/// whole rewritten payload.
#[derive(Debug, Clone, Copy)]
pub struct FirstHeader<'a> {
    pub ip: &'a Ip,
    /// The header's bytes in the frame, and its IP protocol (TCP or UDP).
    pub start: usize,
    pub end: usize,
    pub proto: u8,
}

impl FirstHeader<'_> {
    /// Where the header's checksum field is in the frame.
    pub fn checksum_field(&self) -> usize {
        self.start + if self.proto == ip_proto::TCP { 16 } else { 6 }
    }
}

/// One fragment packet as pass 2 writes it.
#[derive(Debug, Clone, Copy)]
pub struct FragmentFrame<'a> {
    /// Frame offset of its first payload byte, and the end of what it carries.
    pub at: usize,
    pub end: usize,
    pub piece: FragmentPiece,
    /// A first fragment's transport header (as written into `out`).
    pub first: Option<FirstHeader<'a>>,
}

/// The segment a fragment belongs to, and its plan.
#[derive(Debug, Clone, Copy)]
pub struct SegmentPlan<'a> {
    pub segment: &'a FragmentedSegment,
    pub plan: &'a DirectionPlan,
    /// The segment's stream offset.
    pub start: i64,
}

/// The segments being written: each rewritten once, at its first fragment, and dropped after
/// its last (pass 1 bounds how many there are).
#[derive(Debug, Default)]
pub struct FragmentWriter {
    segments: BTreeMap<usize, RewrittenSegment>,
}

impl FragmentWriter {
    /// Writes the piece a fragment carries of its segment into `out`, the segment rewritten
    /// from its plan at its first fragment written. `None` when the frame does not hold the
    /// piece pass 1 recorded (the caller then removes the payload).
    pub fn write(
        &mut self,
        out: &mut Vec<u8>,
        frame: FragmentFrame<'_>,
        seg: SegmentPlan<'_>,
    ) -> Option<Written> {
        let FragmentFrame { at, end, piece, .. } = frame;
        if end.checked_sub(at) != Some(piece.payload_len)
            || piece.payload_at + piece.payload_len > seg.segment.payload_len
        {
            return None;
        }
        let rewritten = self.segments.entry(piece.segment).or_insert_with(|| {
            let s = seg.segment;
            RewrittenSegment::new(seg.plan, seg.start, s.payload_len, s.fragments)
        });
        let (from, to) = (piece.payload_at, piece.payload_at + piece.payload_len);
        if out.len() < at + piece.payload_len {
            out.resize(at + piece.payload_len, 0);
        }
        out[at..at + piece.payload_len].copy_from_slice(&rewritten.payload[from..to]);
        let mut w = Written {
            checksum: frame
                .first
                .and_then(|first| checksum_of(out, &first, &rewritten.payload)),
            ..Written::default()
        };
        let mut last = from;
        for r in &rewritten.written {
            let (lo, hi) = (r.from.max(from), r.to.min(to));
            if lo < hi {
                w.kept += (hi - lo) as u64;
                w.record_headers += u64::from(r.record_header);
                last = last.max(hi);
            }
        }
        // Each fragment keeps what the whole segment would keep of its piece: all of it when
        // the segment carries kept bytes (a reader reassembles a datagram only from fragments
        // captured whole), else up to the last byte written.
        let kept_end = if rewritten.plan_write.carries_kept {
            to
        } else {
            last
        };
        w.keep_to = at + (kept_end - from);
        w.zeroed = ((kept_end - from) as u64).saturating_sub(w.kept);
        rewritten.fragments_left = rewritten.fragments_left.saturating_sub(1);
        if rewritten.fragments_left == 0 {
            self.segments.remove(&piece.segment);
        }
        Some(w)
    }
}

/// The TCP or UDP checksum of a whole rewritten payload: over the pseudo-header of the
/// addresses as written, the transport header as written (`out`; its checksum field counted
/// as zero) and the rewritten `payload`. `None` when `out` lacks the header.
fn checksum_of(out: &[u8], first: &FirstHeader<'_>, payload: &[u8]) -> Option<u16> {
    let ip = first.ip;
    let n = ip.addr_len();
    let src = out.get(ip.src..ip.src + n)?;
    let dst = out.get(ip.checksum_dst..ip.checksum_dst + n)?;
    // At most 60 bytes, a multiple of 4 (TCP) or 8 bytes (UDP): its sum and the payload's
    // add up.
    let mut header = out.get(first.start..first.end)?.to_vec();
    let field = first.checksum_field() - first.start;
    header.get_mut(field..field + 2)?.fill(0);
    let length = header.len() + payload.len();
    let acc = checksum::sum(&header)
        + checksum::sum(payload)
        + checksum::pseudo_header(src, dst, first.proto, length);
    let c = checksum::finish(acc);
    // A UDP checksum that computes to zero is sent as all ones (RFC 768): zero means none.
    Some(if first.proto == ip_proto::UDP && c == 0 {
        0xFFFF
    } else {
        c
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::KeptRange;
    use crate::tls::records::RecordHeader;

    fn plan() -> DirectionPlan {
        DirectionPlan {
            base: Some(1000),
            headers: vec![RecordHeader {
                offset: 0,
                bytes: [22, 3, 1, 0, 20],
            }],
            kept: vec![KeptRange {
                offset: 5,
                bytes: (1..=20).collect(),
                redacted: Vec::new(),
                handshake: true,
            }],
            certificates: Vec::new(),
        }
    }

    #[test]
    fn the_segment_is_zeros_but_for_the_plan() {
        let s = RewrittenSegment::new(&plan(), 0, 40, 2);
        let mut expected = vec![22, 3, 1, 0, 20];
        expected.extend(1..=20u8);
        expected.resize(40, 0);
        assert_eq!(s.payload, expected);
        assert!(s.plan_write.carries_kept);
        // A segment after the handshake: nothing of the plan, no handshake.
        let s = RewrittenSegment::new(&plan(), 25, 10, 1);
        assert_eq!((s.payload, s.plan_write.carries_kept), (vec![0; 10], false));
    }

    #[test]
    fn each_fragment_carries_its_part() {
        let seg = FragmentedSegment {
            key: crate::flow::FlowKey::new(
                crate::flow::Endpoint::new(&[10, 77, 0, 1], 1),
                crate::flow::Endpoint::new(&[10, 77, 0, 2], 2),
                crate::flow::path::PathId::NONE,
            )
            .0,
            side: crate::flow::Side::A,
            tracked_at: 2,
            seq: 1000,
            payload_len: 40,
            fragments: 2,
        };
        let mut w = FragmentWriter::default();
        let first = FragmentPiece {
            segment: 0,
            payload_at: 0,
            payload_len: 16,
        };
        let mut out = vec![0xee; 4];
        let frame = |at, end, piece| FragmentFrame {
            at,
            end,
            piece,
            first: None,
        };
        let plan = plan();
        let sp = SegmentPlan {
            segment: &seg,
            plan: &plan,
            start: 0,
        };
        let written = w.write(&mut out, frame(4, 20, first), sp).unwrap();
        assert_eq!(
            out[4..],
            [22, 3, 1, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        );
        assert_eq!(
            (written.keep_to, written.kept, written.record_headers),
            (20, 16, 1)
        );
        let second = FragmentPiece {
            segment: 0,
            payload_at: 16,
            payload_len: 24,
        };
        let mut out = vec![0xee; 4];
        let written = w.write(&mut out, frame(4, 28, second), sp).unwrap();
        let mut expected: Vec<u8> = (12..=20).collect();
        expected.resize(24, 0);
        assert_eq!(out[4..], expected);
        // Full length: the segment carries handshake bytes.
        assert_eq!((written.keep_to, written.kept, written.zeroed), (28, 9, 15));
        assert!(w.segments.is_empty(), "dropped after its last fragment");
        // A frame that does not hold the recorded piece is not written.
        assert_eq!(w.write(&mut out, frame(4, 27, second), sp), None);
    }
}
