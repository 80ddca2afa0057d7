//! QUIC variable-length integers (RFC 9000 16): the two high bits of the first byte give the
//! encoding's length (1, 2, 4 or 8 bytes), the rest is the value, big-endian.

/// The largest value a variable-length integer holds.
pub const MAX: u64 = (1 << 62) - 1;

/// Reads one variable-length integer at the start of `bytes`: its value and its length.
/// `None` when `bytes` ends inside it.
pub fn read(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = 1usize << (first >> 6);
    let encoded = bytes.get(..len)?;
    let value = encoded[1..]
        .iter()
        .fold(u64::from(first & 0x3f), |v, &b| (v << 8) | u64::from(b));
    Some((value, len))
}

/// Writes `value` in exactly `len` bytes (1, 2, 4 or 8), as a rewritten length field must
/// keep its original width; `None` when it does not fit or `len` is not an encoding length.
pub fn write_in(value: u64, len: usize, out: &mut [u8]) -> Option<()> {
    let prefix: u8 = match len {
        1 => 0,
        2 => 1,
        4 => 2,
        8 => 3,
        _ => return None,
    };
    if value >= 1u64 << (8 * len - 2) {
        return None;
    }
    let field = out.get_mut(..len)?;
    for (i, b) in field.iter_mut().enumerate() {
        *b = (value >> (8 * (len - 1 - i))) as u8;
    }
    field[0] |= prefix << 6;
    Some(())
}

/// A cursor reading QUIC fields front to back; every read is bounds-checked.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    /// Where the next read starts, from the start of the bytes given to [`Cursor::new`].
    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn varint(&mut self) -> Option<u64> {
        let (v, len) = read(&self.bytes[self.pos..])?;
        self.pos += len;
        Some(v)
    }

    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    pub fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(len)?;
        let b = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    /// The next `len` bytes, `len` given by a variable-length integer.
    pub fn take_varint_len(&mut self, len: u64) -> Option<&'a [u8]> {
        self.take(usize::try_from(len).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9000 A.1's examples.
    #[test]
    fn rfc9000_examples() {
        let cases: [(&[u8], u64); 4] = [
            (
                &[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c],
                151_288_809_941_952_652,
            ),
            (&[0x9d, 0x7f, 0x3e, 0x7d], 494_878_333),
            (&[0x7b, 0xbd], 15_293),
            (&[0x25], 37),
        ];
        for (bytes, value) in cases {
            assert_eq!(read(bytes), Some((value, bytes.len())));
            let mut out = vec![0; bytes.len()];
            write_in(value, bytes.len(), &mut out).unwrap();
            assert_eq!(out, bytes);
        }
        // 37 in two bytes, as RFC 9000 A.1 shows it may be.
        assert_eq!(read(&[0x40, 0x25]), Some((37, 2)));
        assert_eq!(read(&[0x9d, 0x7f]), None);
        assert_eq!(write_in(64, 1, &mut [0]), None);
        assert_eq!(write_in(MAX, 8, &mut [0; 8]), Some(()));
    }
}
