//! TCP sequence numbers to 64-bit stream offsets, across wrap-around.

/// Turns 32-bit sequence numbers into signed offsets from a stream's first byte, choosing the
/// 2^32 epoch closest to the last offset seen (so a stream may wrap any number of times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqUnwrapper {
    base: u32,
    last: i64,
}

impl SeqUnwrapper {
    /// `base` is the sequence number of stream offset 0 (the SYN's sequence number plus one).
    pub fn new(base: u32) -> SeqUnwrapper {
        SeqUnwrapper { base, last: 0 }
    }

    pub fn base(&self) -> u32 {
        self.base
    }

    /// The offset of `seq`; negative for bytes before the stream start (e.g. a SYN).
    pub fn offset(&mut self, seq: u32) -> i64 {
        let rel = i64::from(seq.wrapping_sub(self.base));
        let epoch = self.last.div_euclid(1 << 32);
        let candidates = [
            (epoch - 1) * (1 << 32) + rel,
            epoch * (1 << 32) + rel,
            (epoch + 1) * (1 << 32) + rel,
        ];
        let best = candidates
            .into_iter()
            .min_by_key(|c| (c - self.last).abs())
            .unwrap_or(rel);
        if best > self.last {
            self.last = best;
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_forward() {
        let mut u = SeqUnwrapper::new(0xFFFF_FF00);
        assert_eq!(u.offset(0xFFFF_FF00), 0);
        assert_eq!(u.offset(0xFFFF_FFF0), 0xF0);
        assert_eq!(u.offset(0x0000_0010), 0x110);
        // A retransmission from before the wrap still lands before it.
        assert_eq!(u.offset(0xFFFF_FFF0), 0xF0);
    }

    #[test]
    fn bytes_before_start_are_negative() {
        let mut u = SeqUnwrapper::new(1000);
        assert_eq!(u.offset(999), -1);
    }
}
