//! The one rule for the payload of a TCP segment in the output, whether it is written whole
//! (`Rewriter::rewrite_tcp`) or rebuilt from the IP fragments that carried it (`fragments`):
//! the plan's bytes (record headers, kept handshake bytes) at their stream offsets and zeros
//! everywhere else — never a byte of the packet itself — and as much of it as the output
//! keeps: the whole segment when it carries kept bytes (Wireshark reassembles a handshake
//! message only from segments captured whole), else up to the last byte the plan wrote.

use crate::plan::DirectionPlan;

/// A range of the payload the plan wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenRange {
    pub from: usize,
    pub to: usize,
    /// It is (part of) a TLS record header.
    pub record_header: bool,
}

/// What the plan wrote into one segment's payload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanWrite {
    /// Payload bytes written from the plan.
    pub kept: usize,
    /// Record headers that lie (partly) in the segment.
    pub record_headers: u64,
    /// Kept bytes other than record headers lie in it.
    pub carries_kept: bool,
    /// The end of the last byte written (0: none).
    pub last: usize,
    /// The segment's payload length.
    pub len: usize,
}

impl PlanWrite {
    /// Payload bytes the output keeps of the segment: every one when it carries kept bytes,
    /// else those up to the last record header byte written; the rest is cut.
    pub fn keep_len(&self) -> usize {
        if self.carries_kept {
            self.len
        } else {
            self.last
        }
    }
}

/// The segment of `len` payload bytes from stream offset `start`: where it is written (its
/// first payload byte at `at` in `out`, which is grown with zeros as far as a write reaches)
/// and its plan. `first_header` is the first of `plan.headers` that ends after `start` (the
/// caller may know it faster than a search).
pub struct Segment<'a> {
    pub at: usize,
    pub start: i64,
    pub len: usize,
    pub plan: &'a DirectionPlan,
    pub first_header: usize,
}

/// Writes the plan's bytes of `seg` into `out`; `each` sees every range written, in plan
/// order.
pub fn write_plan(
    out: &mut Vec<u8>,
    seg: &Segment<'_>,
    mut each: impl FnMut(WrittenRange),
) -> PlanWrite {
    let (start, end) = (seg.start, seg.start + seg.len as i64);
    let mut w = PlanWrite {
        len: seg.len,
        ..PlanWrite::default()
    };
    let mut write = |out: &mut Vec<u8>, w: &mut PlanWrite, offset: i64, bytes: &[u8], header| {
        let (from, to) = (offset.max(start), (offset + bytes.len() as i64).min(end));
        if from >= to {
            return false;
        }
        let (lo, hi) = ((from - start) as usize, (to - start) as usize);
        let skip = (from - offset) as usize;
        if out.len() < seg.at + hi {
            out.resize(seg.at + hi, 0);
        }
        out[seg.at + lo..seg.at + hi].copy_from_slice(&bytes[skip..skip + (hi - lo)]);
        w.kept += hi - lo;
        w.last = w.last.max(hi);
        each(WrittenRange {
            from: lo,
            to: hi,
            record_header: header,
        });
        true
    };
    // Both lists are sorted by offset: start at the first entry that may overlap the segment.
    let headers = seg.plan.headers.get(seg.first_header..).unwrap_or(&[]);
    for h in headers.iter().take_while(|h| h.offset < end) {
        if write(out, &mut w, h.offset, &h.bytes, true) {
            w.record_headers += 1;
        }
    }
    let first = (seg.plan.kept).partition_point(|k| k.offset + k.bytes.len() as i64 <= start);
    for k in seg.plan.kept[first..].iter().take_while(|k| k.offset < end) {
        w.carries_kept |= write(out, &mut w, k.offset, &k.bytes, false);
    }
    w
}

/// The first of `plan.headers` that ends after stream offset `start`, by binary search.
pub fn first_header(plan: &DirectionPlan, start: i64) -> usize {
    plan.headers.partition_point(|h| h.offset + 5 <= start)
}
