//! Bounded in-order delivery of one direction's byte stream.

use std::collections::BTreeMap;

/// Out-of-order bytes held per direction before we give up on the stream: beyond this, what
/// follows the hole is treated as unknown (and so removed).
pub const MAX_PENDING: usize = 256 * 1024;

/// Delivered bytes remembered from the stream start, to compare retransmissions with.
pub const MAX_HISTORY: usize = 256 * 1024;

/// Held segments per direction before we give up on the stream (a cut segment holds few bytes,
/// so the byte limit alone would not bound them).
pub const MAX_PENDING_SEGMENTS: usize = 16 * 1024;

/// What the consumer is handed, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Captured stream bytes.
    Bytes(&'a [u8]),
    /// Stream bytes a segment carried but the capture does not hold (snap length, or a
    /// sanitized capture whose payload was cut): framing may step over them.
    Missing(usize),
}

/// A held segment: captured bytes, then `missing` bytes the capture does not hold.
#[derive(Debug, Default)]
struct Held {
    data: Vec<u8>,
    missing: usize,
}

impl Held {
    fn len(&self) -> usize {
        self.data.len() + self.missing
    }
}

/// Delivers each stream byte once, in order, to a consumer (bytes the capture lacks as a
/// [`Piece::Missing`] count); holds out-of-order segments up to [`MAX_PENDING`] bytes. Retransmitted bytes already delivered are skipped: the consumer sees
/// the first copy. (Conflicting copies cannot smuggle anything into the output: the rewriter
/// writes the bytes the analysis decided on, never a packet's own bytes at kept offsets.)
#[derive(Debug)]
pub struct Reassembler {
    next: i64,
    pending: BTreeMap<i64, Held>,
    pending_bytes: usize,
    overflowed: bool,
    /// The first delivered bytes (from offset 0), while the handshake lasts.
    history: Vec<u8>,
    keep_history: bool,
    /// Stream ranges where a retransmission carried different bytes than the first copy.
    conflicts: Vec<(i64, i64)>,
}

impl Default for Reassembler {
    fn default() -> Self {
        Reassembler {
            next: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            overflowed: false,
            history: Vec::new(),
            keep_history: true,
            conflicts: Vec::new(),
        }
    }
}

impl Reassembler {
    /// Offset of the next byte not yet delivered.
    pub fn next_offset(&self) -> i64 {
        self.next
    }

    /// True once a hole was never filled and the buffer limit was reached.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Stops remembering delivered bytes (the handshake is over) and frees them.
    pub fn stop_history(&mut self) {
        self.keep_history = false;
        self.history = Vec::new();
    }

    /// Ranges where retransmitted bytes disagreed with the first copy.
    pub fn conflicts(&self) -> &[(i64, i64)] {
        &self.conflicts
    }

    /// Compares bytes already delivered with a new copy of them.
    fn compare(&mut self, off: i64, data: &[u8]) {
        let hist_end = self.history.len() as i64;
        let (from, to) = (
            off.max(0),
            (off + data.len() as i64).min(hist_end).min(self.next),
        );
        if from >= to {
            return;
        }
        let old = &self.history[from as usize..to as usize];
        let new = &data[(from - off) as usize..(to - off) as usize];
        let first = old.iter().zip(new).position(|(a, b)| a != b);
        let last = old.iter().zip(new).rposition(|(a, b)| a != b);
        if let (Some(a), Some(b)) = (first, last) {
            self.conflicts.push((from + a as i64, from + b as i64 + 1));
        }
    }

    fn remember(&mut self, off: i64, data: &[u8]) {
        if !self.keep_history || off != self.history.len() as i64 {
            return;
        }
        let room = MAX_HISTORY - self.history.len();
        if data.len() > room {
            self.stop_history();
            return;
        }
        self.history.extend_from_slice(data);
    }

    /// True while a hole is waiting to be filled (bytes after it are held).
    pub fn has_hole(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Accepts a segment at stream offset `off` whose captured bytes `data` are followed by
    /// `missing` bytes the capture does not hold; calls `deliver(offset, piece)` for every newly
    /// contiguous run, held segments included. Returns true when every byte of the segment had
    /// been delivered (or stepped over) before: a retransmission.
    pub fn push(
        &mut self,
        off: i64,
        data: &[u8],
        missing: usize,
        deliver: &mut impl FnMut(i64, Piece<'_>),
    ) -> bool {
        let len = data.len() + missing;
        if self.overflowed || len == 0 {
            return false;
        }
        let end = off + len as i64;
        if self.keep_history && off < self.next {
            self.compare(off, data);
        }
        if end <= self.next {
            return true;
        }
        if off > self.next {
            self.hold(off, data, missing);
            return false;
        }
        self.deliver_from(off, data, missing, deliver);
        self.drain(deliver);
        false
    }

    /// Delivers what lies beyond `next` of a segment that starts at or before it.
    fn deliver_from(
        &mut self,
        off: i64,
        data: &[u8],
        missing: usize,
        deliver: &mut impl FnMut(i64, Piece<'_>),
    ) {
        let end = off + (data.len() + missing) as i64;
        let data_end = off + data.len() as i64;
        if data_end > self.next {
            let skip = (self.next - off) as usize;
            self.remember(self.next, &data[skip..]);
            deliver(self.next, Piece::Bytes(&data[skip..]));
            self.next = data_end;
        }
        if end > self.next {
            // Nothing after a gap can be compared with a retransmission: stop remembering.
            self.stop_history();
            deliver(self.next, Piece::Missing((end - self.next) as usize));
            self.next = end;
        }
    }

    fn hold(&mut self, off: i64, data: &[u8], missing: usize) {
        let held = self.pending.get(&off);
        let old_bytes = held.map_or(0, |h| h.data.len());
        let added = data.len().saturating_sub(old_bytes);
        let new_slot = held.is_none();
        if self.pending_bytes + added > MAX_PENDING
            || (new_slot && self.pending.len() >= MAX_PENDING_SEGMENTS)
        {
            self.overflowed = true;
            self.pending.clear();
            self.pending_bytes = 0;
            return;
        }
        let slot = self.pending.entry(off).or_default();
        // Two copies of the same start: keep the most captured bytes and the furthest end.
        let end = slot.len().max(data.len() + missing);
        if data.len() > slot.data.len() {
            self.pending_bytes += added;
            slot.data.clear();
            slot.data.extend_from_slice(data);
        }
        slot.missing = end - slot.data.len();
    }

    fn drain(&mut self, deliver: &mut impl FnMut(i64, Piece<'_>)) {
        while let Some((&off, _)) = self.pending.first_key_value() {
            if off > self.next {
                break;
            }
            let Some((off, held)) = self.pending.pop_first() else {
                break;
            };
            self.pending_bytes -= held.data.len();
            if self.keep_history && off < self.next {
                self.compare(off, &held.data);
            }
            if off + held.len() as i64 > self.next {
                self.deliver_from(off, &held.data, held.missing, deliver);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(segments: &[(i64, &[u8])]) -> Vec<u8> {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        for (off, d) in segments {
            r.push(*off, d, 0, &mut |o, p| {
                assert_eq!(o as usize, out.len());
                if let Piece::Bytes(b) = p {
                    out.extend_from_slice(b);
                }
            });
        }
        out
    }

    #[test]
    fn out_of_order_duplicates_and_overlaps() {
        let got = collect(&[
            (6, b"ghij"),
            (0, b"abc"),
            (0, b"abc"),
            (2, b"cdef"),
            (10, b"k"),
        ]);
        assert_eq!(got, b"abcdefghijk");
    }

    #[test]
    fn conflicting_retransmission_is_recorded() {
        let mut r = Reassembler::default();
        r.push(0, b"hello.example", 0, &mut |_, _| {});
        r.push(0, b"hello.example", 0, &mut |_, _| {});
        assert!(r.conflicts().is_empty());
        r.push(3, b"XX.exa", 0, &mut |_, _| {});
        assert_eq!(r.conflicts(), &[(3, 5)]);
    }

    #[test]
    fn hole_never_filled_stops_delivery() {
        let got = collect(&[(0, b"ab"), (5, b"xyz")]);
        assert_eq!(got, b"ab");
    }

    /// Every delivery, as (offset, captured bytes or missing count).
    fn log(
        r: &mut Reassembler,
        off: i64,
        data: &[u8],
        missing: usize,
        out: &mut Vec<(i64, String)>,
    ) {
        r.push(off, data, missing, &mut |o, p| {
            out.push((
                o,
                match p {
                    Piece::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    Piece::Missing(n) => format!("<{n}>"),
                },
            ))
        });
    }

    #[test]
    fn missing_bytes_are_stepped_over_in_order() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        log(&mut r, 0, b"ab", 3, &mut out);
        log(&mut r, 5, b"fg", 0, &mut out);
        assert_eq!(
            out,
            vec![(0, "ab".into()), (2, "<3>".into()), (5, "fg".into())]
        );
        assert!(!r.has_hole());
    }

    /// A cut segment that arrives before the one that precedes it (a sanitized capture of an
    /// out-of-order stream) keeps its missing length while held.
    #[test]
    fn held_cut_segment_keeps_its_missing_bytes() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        log(&mut r, 10, b"", 45, &mut out);
        log(&mut r, 0, b"abc", 7, &mut out);
        log(&mut r, 55, b"hdr", 0, &mut out);
        assert_eq!(
            out,
            vec![
                (0, "abc".into()),
                (3, "<7>".into()),
                (10, "<45>".into()),
                (55, "hdr".into())
            ]
        );
        assert!(!r.has_hole());
    }

    #[test]
    fn partly_delivered_cut_copy_delivers_only_what_is_new() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        log(&mut r, 0, b"abcd", 0, &mut out);
        log(&mut r, 2, b"c", 5, &mut out);
        assert_eq!(out[1..], [(4, "<4>".to_string())]);
        assert_eq!(r.next_offset(), 8);
        // A copy of delivered bytes is a retransmission.
        assert!(r.push(0, b"ab", 1, &mut |_, _| panic!("nothing new")));
    }

    #[test]
    fn two_held_copies_merge_to_the_most_bytes_and_furthest_end() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        log(&mut r, 4, b"e", 9, &mut out);
        log(&mut r, 4, b"efg", 0, &mut out);
        log(&mut r, 0, b"abcd", 0, &mut out);
        assert_eq!(
            out,
            vec![(0, "abcd".into()), (4, "efg".into()), (7, "<7>".into())]
        );
    }
}
