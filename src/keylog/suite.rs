//! What a negotiated cipher suite means for opening its records: the record protection and
//! the hash of its key schedule (RFC 8446 B.4; RFC 5288, 5289, 7905 and 5246 for TLS 1.2).

/// The hash of the key schedule (TLS 1.3 HKDF, the TLS 1.2 PRF) or of a CBC suite's MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
    Sha384,
}

/// An AEAD algorithm of a TLS record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
    Aes128Ccm,
    /// AES-128-CCM with an 8-byte tag.
    Aes128Ccm8,
}

impl Aead {
    pub fn key_len(self) -> usize {
        match self {
            Aead::Aes128Gcm | Aead::Aes128Ccm | Aead::Aes128Ccm8 => 16,
            Aead::Aes256Gcm | Aead::ChaCha20Poly1305 => 32,
        }
    }

    pub fn tag_len(self) -> usize {
        match self {
            Aead::Aes128Ccm8 => 8,
            _ => 16,
        }
    }

    /// TLS 1.2: the part of the nonce fixed per direction (the rest is explicit in each GCM
    /// or CCM record); ChaCha20-Poly1305 derives all 12 bytes (RFC 7905).
    pub fn tls12_fixed_iv_len(self) -> usize {
        match self {
            Aead::ChaCha20Poly1305 => 12,
            _ => 4,
        }
    }
}

/// How one direction's records are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    Aead(Aead),
    /// TLS 1.2 AES-CBC with HMAC (RFC 5246 6.2.3.2), the MAC computed before or (RFC 7366
    /// encrypt_then_mac) after encryption.
    Cbc {
        key_len: usize,
        mac: Hash,
    },
}

/// A TLS 1.3 suite: its AEAD and its hash.
pub fn tls13(suite: u16) -> Option<(Aead, Hash)> {
    Some(match suite {
        0x1301 => (Aead::Aes128Gcm, Hash::Sha256),
        0x1302 => (Aead::Aes256Gcm, Hash::Sha384),
        0x1303 => (Aead::ChaCha20Poly1305, Hash::Sha256),
        0x1304 => (Aead::Aes128Ccm, Hash::Sha256),
        0x1305 => (Aead::Aes128Ccm8, Hash::Sha256),
        _ => return None,
    })
}

/// A TLS 1.2 suite this tool can open: its record protection and its PRF hash.
pub fn tls12(suite: u16) -> Option<(Protection, Hash)> {
    use Hash::{Sha1, Sha256, Sha384};
    let gcm128 = (Protection::Aead(Aead::Aes128Gcm), Sha256);
    let gcm256 = (Protection::Aead(Aead::Aes256Gcm), Sha384);
    let chacha = (Protection::Aead(Aead::ChaCha20Poly1305), Sha256);
    let cbc = |key_len, mac| {
        (
            Protection::Cbc { key_len, mac },
            if mac == Sha384 { Sha384 } else { Sha256 },
        )
    };
    Some(match suite {
        // RSA, DHE_RSA, ECDHE_ECDSA, ECDHE_RSA, DHE_DSS, PSK, DHE_PSK, RSA_PSK, ECDHE_PSK (AES-GCM).
        0x009c | 0x009e | 0xc02b | 0xc02f | 0x00a2 | 0x00a8 | 0x00aa | 0x00ac => gcm128,
        0x009d | 0x009f | 0xc02c | 0xc030 | 0x00a3 | 0x00a9 | 0x00ab | 0x00ad => gcm256,
        0xcca8..=0xccae => chacha,
        // AES-CBC with SHA-1.
        0x002f | 0x0033 | 0xc009 | 0xc013 | 0x0032 | 0xc004 | 0xc00e => cbc(16, Sha1),
        0x0035 | 0x0039 | 0xc00a | 0xc014 | 0x0038 | 0xc005 | 0xc00f => cbc(32, Sha1),
        // AES-CBC with SHA-256 and SHA-384.
        0x003c | 0x0067 | 0xc023 | 0xc027 | 0x0040 | 0xc025 | 0xc029 => cbc(16, Sha256),
        0x003d | 0x006b | 0x006a => cbc(32, Sha256),
        0xc024 | 0xc028 | 0xc026 | 0xc02a => cbc(32, Sha384),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_suites_are_known() {
        assert_eq!(tls13(0x1302), Some((Aead::Aes256Gcm, Hash::Sha384)));
        assert_eq!(tls13(0x1305).map(|s| s.0.tag_len()), Some(8));
        assert_eq!(tls12(0xc02f).map(|s| s.1), Some(Hash::Sha256));
        assert_eq!(
            tls12(0xc027),
            Some((
                Protection::Cbc {
                    key_len: 16,
                    mac: Hash::Sha256
                },
                Hash::Sha256
            ))
        );
        assert_eq!(tls12(0xc028).map(|s| s.1), Some(Hash::Sha384));
        assert!(tls12(0x000a).is_none());
        assert!(tls13(0x0a0a).is_none());
    }
}
