//! The QUIC versions whose Initial packets this tool can open: what differs between QUIC v1
//! (RFC 9001 5.2) and QUIC v2 (RFC 9369 3): the Initial salt, the key-derivation labels and
//! the long-header packet type bits.

/// A long header's packet type, by meaning (the wire bits depend on the version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

/// A version this tool derives Initial keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// The labels of the packet protection keys (RFC 9001 5.1, RFC 9369 3.3.2).
pub struct Labels {
    pub key: &'static [u8],
    pub iv: &'static [u8],
    pub hp: &'static [u8],
}

impl Version {
    pub const V1_NUMBER: u32 = 0x0000_0001;
    pub const V2_NUMBER: u32 = 0x6b33_43cf;

    /// The version a long header's version field names; `None` for any other (drafts,
    /// greased versions, 0 for Version Negotiation).
    pub fn from_wire(number: u32) -> Option<Version> {
        match number {
            Self::V1_NUMBER => Some(Version::V1),
            Self::V2_NUMBER => Some(Version::V2),
            _ => None,
        }
    }

    pub fn number(self) -> u32 {
        match self {
            Version::V1 => Self::V1_NUMBER,
            Version::V2 => Self::V2_NUMBER,
        }
    }

    /// The salt of HKDF-Extract for the Initial secret.
    pub fn initial_salt(self) -> &'static [u8; 20] {
        match self {
            Version::V1 => &[
                0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
            ],
            Version::V2 => &[
                0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
                0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
            ],
        }
    }

    pub fn labels(self) -> Labels {
        match self {
            Version::V1 => Labels {
                key: b"quic key",
                iv: b"quic iv",
                hp: b"quic hp",
            },
            Version::V2 => Labels {
                key: b"quicv2 key",
                iv: b"quicv2 iv",
                hp: b"quicv2 hp",
            },
        }
    }

    /// The packet type of a long header's type bits (the first byte's bits 4 and 5).
    pub fn long_type(self, bits: u8) -> LongType {
        match (self, bits & 3) {
            (Version::V1, 0) | (Version::V2, 1) => LongType::Initial,
            (Version::V1, 1) | (Version::V2, 2) => LongType::ZeroRtt,
            (Version::V1, 2) | (Version::V2, 3) => LongType::Handshake,
            _ => LongType::Retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_moves_the_type_bits() {
        assert_eq!(Version::V1.long_type(0), LongType::Initial);
        assert_eq!(Version::V2.long_type(1), LongType::Initial);
        assert_eq!(Version::V2.long_type(0), LongType::Retry);
        assert_eq!(Version::V1.long_type(3), LongType::Retry);
        assert_eq!(Version::V2.long_type(3), LongType::Handshake);
        assert_eq!(Version::from_wire(0x6b33_43cf), Some(Version::V2));
        assert_eq!(Version::from_wire(0xff00_001d), None);
    }
}
