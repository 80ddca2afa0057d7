//! Bounded in-order delivery of one direction's byte stream.

use std::collections::BTreeMap;

/// Out-of-order bytes held per direction before we give up on the stream: beyond this, what
/// follows the hole is treated as unknown (and so removed).
pub const MAX_PENDING: usize = 256 * 1024;

/// Delivers each stream byte once, in order, to a consumer; holds out-of-order segments up to
/// [`MAX_PENDING`] bytes. Retransmitted bytes already delivered are skipped: the consumer sees
/// the first copy. (Conflicting copies cannot smuggle anything into the output: the rewriter
/// writes the bytes the analysis decided on, never a packet's own bytes at kept offsets.)
/// Delivered bytes remembered from the stream start, to compare retransmissions with.
pub const MAX_HISTORY: usize = 256 * 1024;

#[derive(Debug)]
pub struct Reassembler {
    next: i64,
    pending: BTreeMap<i64, Vec<u8>>,
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

    /// Accepts a segment at stream offset `off`; calls `deliver(offset, bytes)` for every newly
    /// contiguous run. Returns true when every byte of the segment had been delivered before
    /// (a retransmission).
    pub fn push(&mut self, off: i64, data: &[u8], deliver: &mut impl FnMut(i64, &[u8])) -> bool {
        if self.overflowed || data.is_empty() {
            return false;
        }
        let end = off + data.len() as i64;
        if self.keep_history && off < self.next {
            self.compare(off, data);
        }
        if end <= self.next {
            return true;
        }
        if off > self.next {
            self.hold(off, data);
            return false;
        }
        let skip = (self.next - off) as usize;
        self.remember(self.next, &data[skip..]);
        deliver(self.next, &data[skip..]);
        self.next = end;
        self.drain(deliver);
        false
    }

    /// Bytes at `off` that the segment carried but the capture did not (snap length, or a
    /// sanitized capture whose payload was cut). When they continue the stream, delivery moves
    /// past them and true is returned: the caller steps its framing over them, then calls
    /// [`Reassembler::flush`] for segments held behind them.
    pub fn push_missing(&mut self, off: i64, n: usize) -> bool {
        if self.overflowed || n == 0 || off != self.next {
            return false;
        }
        self.stop_history();
        self.next = off + n as i64;
        true
    }

    /// Delivers held segments that became contiguous.
    pub fn flush(&mut self, deliver: &mut impl FnMut(i64, &[u8])) {
        self.drain(deliver);
    }

    fn hold(&mut self, off: i64, data: &[u8]) {
        if self.pending_bytes + data.len() > MAX_PENDING {
            self.overflowed = true;
            self.pending.clear();
            self.pending_bytes = 0;
            return;
        }
        let slot = self.pending.entry(off).or_default();
        if slot.len() < data.len() {
            self.pending_bytes += data.len() - slot.len();
            slot.clear();
            slot.extend_from_slice(data);
        }
    }

    fn drain(&mut self, deliver: &mut impl FnMut(i64, &[u8])) {
        while let Some((&off, _)) = self.pending.first_key_value() {
            if off > self.next {
                break;
            }
            let Some((off, data)) = self.pending.pop_first() else {
                break;
            };
            self.pending_bytes -= data.len();
            let end = off + data.len() as i64;
            if self.keep_history && off < self.next {
                self.compare(off, &data);
            }
            if end > self.next {
                let skip = (self.next - off) as usize;
                self.remember(self.next, &data[skip..]);
                deliver(self.next, &data[skip..]);
                self.next = end;
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
            r.push(*off, d, &mut |o, b| {
                assert_eq!(o as usize, out.len());
                out.extend_from_slice(b);
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
        r.push(0, b"hello.example", &mut |_, _| {});
        r.push(0, b"hello.example", &mut |_, _| {});
        assert!(r.conflicts().is_empty());
        r.push(3, b"XX.exa", &mut |_, _| {});
        assert_eq!(r.conflicts(), &[(3, 5)]);
    }

    #[test]
    fn hole_never_filled_stops_delivery() {
        let got = collect(&[(0, b"ab"), (5, b"xyz")]);
        assert_eq!(got, b"ab");
    }
}
