//! Bounded in-order delivery of one direction's byte stream.

use std::collections::BTreeMap;

/// Out-of-order bytes held per direction before we give up on the stream: beyond this, what
/// follows the hole is treated as unknown (and so removed).
pub const MAX_PENDING: usize = 256 * 1024;

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
    /// Captured bytes delivered before, as a retransmission carries them again. The consumer
    /// compares them with what it kept of the first copy: it holds those bytes anyway (or a
    /// digest of what it redacted), so the stream is never held twice to compare.
    Again(&'a [u8]),
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
/// [`Piece::Missing`] count); holds out-of-order segments up to [`MAX_PENDING`] bytes.
/// Retransmitted bytes already delivered are handed over as [`Piece::Again`], never delivered
/// twice: the consumer's reading is of the first copy. (Conflicting copies cannot smuggle
/// anything into the output: the rewriter writes the bytes the analysis decided on, never a
/// packet's own bytes at kept offsets.)
#[derive(Debug, Default)]
pub struct Reassembler {
    next: i64,
    pending: BTreeMap<i64, Held>,
    pending_bytes: usize,
    overflowed: bool,
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
        again(off, data, self.next, deliver);
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
            deliver(self.next, Piece::Bytes(&data[skip..]));
            self.next = data_end;
        }
        if end > self.next {
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
            again(off, &held.data, self.next, deliver);
            if off + held.len() as i64 > self.next {
                self.deliver_from(off, &held.data, held.missing, deliver);
            }
        }
    }
}

/// Hands over the captured bytes of a segment at `off` that lie before `next` (delivered
/// before) as [`Piece::Again`].
fn again(off: i64, data: &[u8], next: i64, deliver: &mut impl FnMut(i64, Piece<'_>)) {
    if off < next {
        let repeated = usize::try_from(next - off).map_or(data.len(), |n| n.min(data.len()));
        if repeated > 0 {
            deliver(off, Piece::Again(&data[..repeated]));
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
                if let Piece::Bytes(b) = p {
                    assert_eq!(o as usize, out.len());
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
    fn repeated_bytes_are_handed_over_again_never_delivered_twice() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        log(&mut r, 0, b"hello.example", 0, &mut out);
        log(&mut r, 3, b"XX.exa", 0, &mut out);
        // Overlaps the end: the repeated part comes back, the new part is delivered.
        log(&mut r, 11, b"leNEW", 0, &mut out);
        assert_eq!(
            out,
            vec![
                (0, "hello.example".into()),
                (3, "again XX.exa".into()),
                (11, "again le".into()),
                (13, "NEW".into())
            ]
        );
    }

    /// A held segment that overlaps what was delivered before it is handed over again too.
    #[test]
    fn held_overlap_is_handed_over_again() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        log(&mut r, 2, b"cdef", 0, &mut out);
        log(&mut r, 0, b"abcX", 0, &mut out);
        assert_eq!(
            out,
            vec![(0, "abcX".into()), (2, "again cd".into()), (4, "ef".into())]
        );
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
                    Piece::Again(b) => format!("again {}", String::from_utf8_lossy(b)),
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
        assert_eq!(out[1..], [(2, "again c".into()), (4, "<4>".to_string())]);
        assert_eq!(r.next_offset(), 8);
        // A copy of delivered bytes is a retransmission: handed over again, nothing new.
        assert!(r.push(0, b"ab", 1, &mut |_, p| assert_eq!(p, Piece::Again(b"ab"))));
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
