//! Key material as the key log holds it: secrets wiped from memory when dropped, never
//! printed (no `Debug`, no `Display`), and the client random that names a connection.

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Longest secret a key log line carries: a SHA-384 traffic secret or a TLS 1.2 master
/// secret is 48 bytes; 64 leaves room for a SHA-512 based suite's.
pub const MAX_SECRET: usize = 64;

/// One secret of a key log line. Deliberately without `Debug`: key material must never reach
/// a message, a report or a log, so no formatting trait is implemented for it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret {
    bytes: [u8; MAX_SECRET],
    len: u8,
}

impl Secret {
    /// `None` unless `bytes` holds 1 to [`MAX_SECRET`] bytes.
    pub fn new(bytes: &[u8]) -> Option<Secret> {
        if bytes.is_empty() || bytes.len() > MAX_SECRET {
            return None;
        }
        let mut s = Secret {
            bytes: [0; MAX_SECRET],
            len: bytes.len() as u8,
        };
        s.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(s)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The 32-byte ClientHello random every key log line is keyed by. Not a secret (it crosses
/// the wire in clear), but only the sanitized capture may carry it (policy `strict` scrambles
/// it there): it is never printed either.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientRandom(pub [u8; 32]);

/// A buffer of decrypted bytes: wiped when dropped.
pub type Plaintext = Zeroizing<Vec<u8>>;

/// Decodes hex (either case) into `out`'s wiped buffer; `None` for an odd length or a
/// non-hex digit.
pub(crate) fn decode_hex(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    for pair in text.chunks_exact(2) {
        let hi = hex_digit(pair[0])?;
        let lo = hex_digit(pair[1])?;
        out.push(hi << 4 | lo);
    }
    Some(out)
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_both_cases_and_refuses_the_rest() {
        assert_eq!(
            decode_hex(b"00aB").as_deref().map(|v| v.as_slice()),
            Some(&[0, 0xab][..])
        );
        assert!(decode_hex(b"abc").is_none());
        assert!(decode_hex(b"zz").is_none());
        assert!(Secret::new(&[]).is_none());
        assert!(Secret::new(&[1; 65]).is_none());
        assert_eq!(Secret::new(&[7; 48]).map(|s| s.as_bytes().len()), Some(48));
    }
}
