//! QUIC connection IDs (RFC 9000 5.1) mapped to keyed bytes of the same length: they link a
//! connection across captures and paths, so none is kept, and the same length keeps every
//! header a reader parses (a short header's connection ID length is nowhere on the wire).
//!
//! A pseudonym ends with a mark anyone can check (an unkeyed hash of its keyed part, as a
//! scrambled random's, `redact::scramble`): a second run, or `check` with its throw-away key,
//! recognises it and leaves it as it is, so sanitizing a sanitized capture changes nothing
//! (docs/udp.md). An ID of one byte cannot carry a mark and is mapped again every time.

use sha2::{Digest as _, Sha256};

use super::key::MappingKey;

/// The keyed mapping of connection IDs of one run.
#[derive(Clone)]
pub struct ConnectionIds {
    key: MappingKey,
}

/// Bytes of the mark at the end of a pseudonym of `n` bytes: at most half of it, at most 8
/// (an 8-byte ID, the most common, keeps 4 keyed bytes and a 4-byte mark).
fn mark_len(n: usize) -> usize {
    (n / 2).min(8)
}

fn mark(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"pcapscrub quic connection id\0");
    h.update(body);
    h.finalize().into()
}

/// Whether `cid` is a pseudonym [`ConnectionIds::map`] wrote (under any key). A real ID
/// carries the mark by chance with probability 2^-(8·mark length): 2^-32 for 8 bytes, 2^-64
/// from 16 bytes on.
pub fn is_pseudonym(cid: &[u8]) -> bool {
    let m = mark_len(cid.len());
    let (body, tail) = cid.split_at(cid.len() - m);
    m > 0 && tail == &mark(body)[..m]
}

impl ConnectionIds {
    pub fn new(key: &MappingKey) -> ConnectionIds {
        ConnectionIds {
            key: key.subkey(b"pcapscrub quic connection ids"),
        }
    }

    /// The pseudonym of `cid`: the same length, the same for the same ID all run long, and a
    /// pseudonym already is its own.
    pub fn map(&self, cid: &[u8]) -> Vec<u8> {
        if is_pseudonym(cid) {
            return cid.to_vec();
        }
        let body_len = cid.len() - mark_len(cid.len());
        let mut out = Vec::with_capacity(cid.len());
        let mut block = self.key.digest(b"cid", cid).bytes();
        while out.len() < body_len {
            let n = (body_len - out.len()).min(block.len());
            out.extend_from_slice(&block[..n]);
            block = self.key.digest(b"cid more", &block).bytes();
        }
        let m = mark(&out);
        out.extend_from_slice(&m[..cid.len() - body_len]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_length_keyed_and_stable() {
        let a = ConnectionIds::new(&MappingKey::from_bytes(&[1; 32]).unwrap());
        let b = ConnectionIds::new(&MappingKey::from_bytes(&[2; 32]).unwrap());
        let cid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
        assert_eq!(a.map(&cid).len(), 8);
        assert_eq!(a.map(&cid), a.map(&cid));
        assert_ne!(a.map(&cid), cid);
        assert_ne!(a.map(&cid), b.map(&cid));
        assert!(a.map(&[]).is_empty());
        assert_eq!(a.map(&[7; 40]).len(), 40);
    }

    /// A pseudonym is recognised without the key and mapped to itself: a second run (or
    /// `check`, with a key of its own) leaves the sanitized copy's IDs as they are.
    #[test]
    fn a_pseudonym_is_its_own_pseudonym_under_any_key() {
        let a = ConnectionIds::new(&MappingKey::from_bytes(&[1; 32]).unwrap());
        let b = ConnectionIds::new(&MappingKey::from_bytes(&[2; 32]).unwrap());
        for len in [2usize, 4, 8, 16, 20] {
            let cid: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37) ^ 0x5c).collect();
            assert!(!is_pseudonym(&cid), "{len}");
            let p = a.map(&cid);
            assert!(is_pseudonym(&p), "{len}");
            assert_eq!(a.map(&p), p);
            assert_eq!(b.map(&p), p);
        }
        // One byte has no room for a mark.
        assert!(!is_pseudonym(&a.map(&[9])));
    }
}
