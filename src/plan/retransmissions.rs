//! Whether retransmitted copies of a stream agree with the first copy, as far as it is kept.
//! The rewriter writes the kept bytes into every copy of a segment (see [`super`]); a copy that
//! carried other bytes than the first would then be overwritten with bytes it never held, so
//! the ranges where copies disagree are noted here and removed when the plan is finished
//! (`super::keep`).

use super::KeptRange;
use crate::tls::spans::SpanKind;

/// Conflict ranges noted per direction before they are merged into one: a hostile stream of
/// conflicting retransmissions costs bounded memory, and a coarser range removes more (fail
/// closed).
const MAX_CONFLICT_RANGES: usize = 1024;

/// One direction's comparison of retransmitted copies with the first.
#[derive(Debug, Default)]
pub struct Retransmissions {
    /// The original bytes of every redacted part of the kept ranges (and of the removed
    /// messages' headers waiting to be kept), in stream order, while the handshake lasts:
    /// with the kept ranges, all a retransmission needs to be compared with (the rest of the
    /// stream is never held).
    redacted_originals: Vec<RedactedOriginal>,
    /// Retransmissions are compared until the handshake is over (or the stream is lost), as
    /// far as the handshake's bytes are held.
    stopped_comparing: bool,
    /// Stream ranges where a retransmission carried other bytes than the first copy.
    pub conflicts: Vec<(i64, i64)>,
}

/// Where redaction changed kept bytes, and what they were.
#[derive(Debug, Clone)]
struct RedactedOriginal {
    offset: i64,
    bytes: Box<[u8]>,
}

impl Retransmissions {
    /// Nothing compared yet (a `const` for [`super::keep::KeepList::EMPTY`]).
    pub const EMPTY: Retransmissions = Retransmissions {
        redacted_originals: Vec::new(),
        stopped_comparing: false,
        conflicts: Vec::new(),
    };

    /// Retransmissions are no longer compared (see [`Self::stop_comparing`]).
    pub fn stopped(&self) -> bool {
        self.stopped_comparing
    }

    /// Notes the original bytes of the `redacted` parts of a kept piece (`original`, at stream
    /// `offset`), while retransmissions are compared.
    pub fn note_originals(
        &mut self,
        offset: i64,
        redacted: &[(u32, u32, SpanKind)],
        original: &[u8],
    ) {
        if self.stopped_comparing {
            return;
        }
        for &(a, b, _) in redacted {
            let entry = RedactedOriginal {
                offset: offset + i64::from(a),
                bytes: original[a as usize..b as usize].into(),
            };
            // In stream order, for the binary search (almost always an append).
            let i = self
                .redacted_originals
                .partition_point(|r| r.offset <= entry.offset);
            self.redacted_originals.insert(i, entry);
        }
    }

    /// The handshake is over (or the stream cannot be followed): later retransmissions are not
    /// compared, and the original bytes of redacted parts are freed.
    pub fn stop_comparing(&mut self) {
        if !self.stopped_comparing {
            self.stopped_comparing = true;
            self.redacted_originals = Vec::new();
        }
    }

    /// Compares a retransmitted copy of the stream bytes at `off` with what is held of the
    /// first copy — the `kept` lists (each in stream order; the original where redaction
    /// changed them) and the handshake bytes still being collected, `held` as (stream offset,
    /// bytes) — and notes where they differ. Bytes not kept need no comparison: nothing of
    /// them is written.
    pub fn compare_copy<'h>(
        &mut self,
        kept: [&[KeptRange]; 2],
        held: impl Iterator<Item = (i64, &'h [u8])>,
        off: i64,
        new: &[u8],
    ) {
        let mut found = Vec::new();
        let end = off + new.len() as i64;
        for list in kept {
            let first = list.partition_point(|k| k.offset + k.bytes.len() as i64 <= off);
            for k in list[first..].iter().take_while(|k| k.offset < end) {
                self.compare_kept(k, off, new, &mut found);
            }
        }
        for (at, bytes) in held {
            differing(at, bytes, off, new, &mut found);
        }
        for range in found {
            self.note_conflict(range);
        }
    }

    /// Compares a kept range with a new copy, byte for byte: with the kept bytes where they are
    /// the original, with the original where redaction changed them (a part whose original is
    /// not found counts as conflicting: fail closed).
    fn compare_kept(&self, k: &KeptRange, off: i64, new: &[u8], found: &mut Vec<(i64, i64)>) {
        let end = off + new.len() as i64;
        let mut spans: Vec<(i64, i64)> = k
            .redacted
            .iter()
            .map(|&(a, b, _)| (k.offset + i64::from(a), k.offset + i64::from(b)))
            .collect();
        spans.sort_unstable();
        // The original bytes between the redacted spans.
        let mut from = k.offset;
        for &(a, b) in spans
            .iter()
            .chain([&(k.offset + k.bytes.len() as i64, i64::MAX)])
        {
            if a > from {
                let plain = &k.bytes[(from - k.offset) as usize..(a - k.offset) as usize];
                differing(from, plain, off, new, found);
            }
            from = from.max(b);
        }
        for (a, b) in spans {
            let (lo, hi) = (a.max(off), b.min(end));
            if lo >= hi {
                continue;
            }
            let i = self.redacted_originals.partition_point(|r| r.offset < a);
            match self.redacted_originals.get(i) {
                Some(r) if r.offset == a && r.offset + r.bytes.len() as i64 == b => {
                    differing(a, &r.bytes, off, new, found)
                }
                _ => found.push((lo, hi)),
            }
        }
    }

    /// Notes a conflicting range, merged with the last one when they touch.
    fn note_conflict(&mut self, (a, b): (i64, i64)) {
        if let Some(last) = self.conflicts.last_mut()
            && a <= last.1
            && last.0 <= b
        {
            *last = (last.0.min(a), last.1.max(b));
            return;
        }
        if self.conflicts.len() >= MAX_CONFLICT_RANGES {
            let lo = self.conflicts.iter().map(|c| c.0).min().unwrap_or(a).min(a);
            let hi = self.conflicts.iter().map(|c| c.1).max().unwrap_or(b).max(b);
            self.conflicts = vec![(lo, hi)];
            return;
        }
        self.conflicts.push((a, b));
    }
}

/// Where `old` (stream bytes from `old_at`) and `new` (from `new_at`) overlap and differ: the
/// range from the first to the last differing byte.
fn differing(old_at: i64, old: &[u8], new_at: i64, new: &[u8], found: &mut Vec<(i64, i64)>) {
    let lo = old_at.max(new_at);
    let hi = (old_at + old.len() as i64).min(new_at + new.len() as i64);
    if lo >= hi {
        return;
    }
    let a = &old[(lo - old_at) as usize..(hi - old_at) as usize];
    let b = &new[(lo - new_at) as usize..(hi - new_at) as usize];
    if a == b {
        return;
    }
    let first = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
    let last = a
        .iter()
        .zip(b)
        .rposition(|(x, y)| x != y)
        .unwrap_or(a.len() - 1);
    found.push((lo + first as i64, lo + last as i64 + 1));
}
