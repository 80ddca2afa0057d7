//! The shapes of host-name outputs: where the labels, dots and reserved suffix sit, which
//! characters each position may take, and how an output is chosen within a shape (the table of
//! shapes by length is in `names/mod.rs`).

use super::forbidden::Forbidden;

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
pub(super) const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const HEX: &[u8] = b"0123456789abcdef";
pub(super) const EXAMPLE: &[u8] = b".example";
pub(super) const TEST: &[u8] = b".test";
pub(super) const INVALID: &[u8] = b".invalid";
const MAX_LABEL: usize = 63;

#[derive(Clone, Copy)]
enum Slot {
    Fixed(u8),
    Free(&'static [u8]),
}

/// One output shape: a fixed character or an alphabet per position.
pub(super) struct Shape {
    slots: Vec<Slot>,
    /// Windows starting here or later lie wholly in the reserved suffix (`slots.len()` if none).
    exempt_from: usize,
}

impl Shape {
    /// `prefix` characters of labels, then `suffix`. `tld_letters`: the last label is letters
    /// only (for shapes without a reserved suffix).
    fn new(prefix: usize, suffix: &[u8], body: &'static [u8], tld_letters: bool) -> Shape {
        let lengths = label_lengths(prefix);
        let mut slots = Vec::with_capacity(prefix + suffix.len());
        for (i, &n) in lengths.iter().enumerate() {
            if i > 0 {
                slots.push(Slot::Fixed(b'.'));
            }
            let alphabet = if tld_letters && i + 1 == lengths.len() {
                LETTERS
            } else {
                body
            };
            slots.extend(std::iter::repeat_n(Slot::Free(alphabet), n));
        }
        slots.extend(suffix.iter().map(|&b| Slot::Fixed(b)));
        let exempt_from = if suffix.is_empty() {
            slots.len()
        } else {
            prefix
        };
        Shape { slots, exempt_from }
    }

    /// One label of `first` then `rest` characters (short names).
    fn single(len: usize, first: &'static [u8], rest: &'static [u8]) -> Shape {
        let mut slots = vec![Slot::Free(first)];
        slots.extend(std::iter::repeat_n(Slot::Free(rest), len.saturating_sub(1)));
        slots.truncate(len);
        Shape {
            exempt_from: slots.len(),
            slots,
        }
    }

    pub(super) fn free(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Free(_)))
            .count()
    }

    pub(super) fn capacity(&self) -> u64 {
        self.slots.iter().fold(1u64, |acc, s| match s {
            Slot::Free(a) => acc.saturating_mul(a.len() as u64),
            Slot::Fixed(_) => acc,
        })
    }

    /// The `index`-th output (mixed radix over the free slots, last slot fastest).
    pub(super) fn decode(&self, mut index: u64) -> Vec<u8> {
        let mut out = vec![0u8; self.slots.len()];
        for (o, slot) in out.iter_mut().zip(&self.slots).rev() {
            *o = match slot {
                Slot::Fixed(b) => *b,
                Slot::Free(a) => {
                    let n = a.len() as u64;
                    let c = a[(index % n) as usize];
                    index /= n;
                    c
                }
            };
        }
        out
    }

    /// The characters of `out` (an output of this shape) in its free positions, in order.
    pub(super) fn free_chars(&self, out: &[u8]) -> Vec<u8> {
        out.iter()
            .zip(&self.slots)
            .filter(|(_, slot)| matches!(slot, Slot::Free(_)))
            .map(|(&b, _)| b)
            .collect()
    }

    /// No window of `out` (an output of this shape) outside the reserved suffix is forbidden,
    /// and `out` is not the name itself.
    pub(super) fn is_clean(&self, out: &[u8], forbidden: &Forbidden) -> bool {
        forbidden.clean(out, self.exempt_from)
    }

    /// `out` is an output of this shape.
    pub(super) fn holds(&self, out: &[u8]) -> bool {
        out.len() == self.slots.len()
            && out.iter().zip(&self.slots).all(|(b, slot)| match slot {
                Slot::Fixed(f) => b == f,
                Slot::Free(a) => a.contains(b),
            })
    }

    /// Left to right, the free slots first take `preset` as it is, then each the keyed choice
    /// from `stream`, or the next character of its alphabet after it, that completes no
    /// forbidden window. `None` at a dead end (a preset character completing a forbidden
    /// window, or no character fitting).
    pub(super) fn greedy(
        &self,
        preset: &[u8],
        stream: &[u8],
        forbidden: &Forbidden,
    ) -> Option<Vec<u8>> {
        let len = self.slots.len();
        let mut out: Vec<u8> = self
            .slots
            .iter()
            .map(|s| if let Slot::Fixed(b) = s { *b } else { 0 })
            .collect();
        let known = |p: usize, i: usize| p <= i || matches!(self.slots[p], Slot::Fixed(_));
        let fits = |out: &mut Vec<u8>, i: usize, c: u8| {
            out[i] = c;
            (i.saturating_sub(2)..=i)
                .filter(|&j| j + 3 <= len && j < self.exempt_from)
                .filter(|&j| (j..j + 3).all(|p| known(p, i)))
                .all(|j| !forbidden.hit(&out[j..j + 3]))
        };
        let mut preset = preset.iter().copied();
        let mut draws = stream.iter().copied();
        for i in 0..len {
            let Slot::Free(alphabet) = self.slots[i] else {
                continue;
            };
            if let Some(c) = preset.next() {
                if !fits(&mut out, i, c) {
                    return None;
                }
                continue;
            }
            let r = usize::from(draws.next().unwrap_or(0));
            let n = alphabet.len();
            if !(0..n).any(|t| fits(&mut out, i, alphabet[(r + t) % n])) {
                return None;
            }
        }
        self.is_clean(&out, forbidden).then_some(out)
    }
}

/// The shapes a pseudonym of `len` octets may take, in order of preference.
pub(super) fn pseudonym_shapes(len: usize) -> Vec<Shape> {
    let mut shapes = Vec::with_capacity(4);
    if len <= 5 {
        shapes.push(Shape::single(len, LETTERS, LETTERS));
        shapes.push(Shape::single(len, LETTERS, ALNUM));
        return shapes;
    }
    if len > EXAMPLE.len() {
        shapes.push(Shape::new(len - EXAMPLE.len(), EXAMPLE, ALNUM, false));
    }
    shapes.push(Shape::new(len - TEST.len(), TEST, ALNUM, false));
    if len > INVALID.len() {
        shapes.push(Shape::new(len - INVALID.len(), INVALID, ALNUM, false));
    }
    shapes.push(Shape::new(len, &[], ALNUM, true));
    shapes
}

/// The Hash style's shape for `len` octets: hex labels, then `.invalid` or `.test` if it fits.
pub(super) fn hash_shape(len: usize) -> Shape {
    if len > INVALID.len() {
        Shape::new(len - INVALID.len(), INVALID, HEX, false)
    } else if len > TEST.len() {
        Shape::new(len - TEST.len(), TEST, HEX, false)
    } else {
        Shape::single(len, HEX, HEX)
    }
}

/// Lengths of the fewest labels (each 1..=63) that, joined by dots, are `total` characters.
pub(super) fn label_lengths(total: usize) -> Vec<usize> {
    if total == 0 {
        return Vec::new();
    }
    let count = (total + 1).div_ceil(MAX_LABEL + 1);
    let chars = total - (count - 1);
    let (base, extra) = (chars / count, chars % count);
    (0..count).map(|i| base + usize::from(i < extra)).collect()
}
