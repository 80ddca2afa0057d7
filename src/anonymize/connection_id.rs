//! QUIC connection IDs (RFC 9000 5.1) mapped to keyed bytes of the same length: they link a
//! connection across captures and paths, so none is kept, and the same length keeps every
//! header a reader parses (a short header's connection ID length is nowhere on the wire).

use super::key::MappingKey;

/// The keyed mapping of connection IDs of one run.
#[derive(Clone)]
pub struct ConnectionIds {
    key: MappingKey,
}

impl ConnectionIds {
    pub fn new(key: &MappingKey) -> ConnectionIds {
        ConnectionIds {
            key: key.subkey(b"pcapscrub quic connection ids"),
        }
    }

    /// The pseudonym of `cid`: the same length, the same for the same ID all run long.
    pub fn map(&self, cid: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(cid.len());
        let mut block = self.key.digest(b"cid", cid).bytes();
        while out.len() < cid.len() {
            let n = (cid.len() - out.len()).min(block.len());
            out.extend_from_slice(&block[..n]);
            block = self.key.digest(b"cid more", &block).bytes();
        }
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
}
