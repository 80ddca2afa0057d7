//! A filter on a form's first four bytes, asked before any set is hashed.

/// A form's first four bytes as one number (the form has at least four).
#[inline]
pub(super) fn first4(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// A one-hash Bloom filter over the first four bytes of a set of forms: almost every window of
/// a packet, or token of a text, is rejected by one multiply and one bit test, before any set is hashed.
#[derive(Default)]
pub(super) struct PrefixFilter {
    bits: Vec<u64>,
    shift: u32,
}

impl PrefixFilter {
    pub(super) fn of(firsts: &[u32]) -> PrefixFilter {
        if firsts.is_empty() {
            return PrefixFilter::default();
        }
        // About 16 bits per key keeps false positives near 6 %; at least 4 KiB, at most 2 MiB.
        let log2 = (firsts.len() * 16)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(15, 24);
        let mut f = PrefixFilter {
            bits: vec![0; 1 << (log2 - 6)],
            shift: 32 - log2,
        };
        for &p in firsts {
            let i = f.index(p);
            f.bits[i / 64] |= 1 << (i % 64);
        }
        f
    }

    pub(super) fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    #[inline]
    fn index(&self, p: u32) -> usize {
        (p.wrapping_mul(0x9e37_79b1) >> self.shift) as usize
    }

    #[inline]
    pub(super) fn may_hold(&self, p: u32) -> bool {
        let i = self.index(p);
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}
