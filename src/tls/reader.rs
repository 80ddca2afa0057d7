//! A bounds-checked cursor over untrusted bytes.
//!
//! Every read returns `None` instead of indexing past the end, so the parsers built on it cannot
//! panic on a hostile capture; each caller turns `None` into a short "truncated ..." reason.

#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|b| b.first().copied())
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2)
            .map(|b| b.iter().fold(0u16, |acc, &x| acc << 8 | u16::from(x)))
    }

    pub(crate) fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| b.iter().fold(0usize, |acc, &x| acc << 8 | usize::from(x)))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| b.iter().fold(0u32, |acc, &x| acc << 8 | u32::from(x)))
    }

    /// `opaque x<0..2^8-1>`: a one-byte length, then that many bytes.
    pub(crate) fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// `opaque x<0..2^16-1>`.
    pub(crate) fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

/// Splits a list of big-endian u16 values (the body of a `uint16 list<..>` vector). An odd
/// length is malformed, so it yields `None` rather than silently dropping the last byte.
pub(crate) fn u16_list(bytes: &[u8]) -> Option<Vec<u16>> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(2)
            .map(|c| c.iter().fold(0u16, |acc, &x| acc << 8 | u16::from(x)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Some(0x0102));
        assert_eq!(r.u16(), None);
        // A failed read consumes nothing.
        assert_eq!(r.u8(), Some(3));
        assert!(r.is_empty());
        assert_eq!(Reader::new(&[0, 5, 1]).vec16(), None);
        assert_eq!(Reader::new(&[2, 9, 8, 7]).vec8(), Some(&[9u8, 8][..]));
        assert_eq!(Reader::new(&[0, 1, 2, 3]).u24(), Some(0x000102));
        assert_eq!(
            Reader::new(&[0xde, 0xad, 0xbe, 0xef]).u32(),
            Some(0xdead_beef)
        );
    }

    #[test]
    fn u16_list_rejects_odd_lengths() {
        assert_eq!(u16_list(&[0, 29, 0, 23]), Some(vec![29, 23]));
        assert_eq!(u16_list(&[]), Some(vec![]));
        assert_eq!(u16_list(&[0, 29, 0]), None);
    }
}
