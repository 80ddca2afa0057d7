//! MAC addresses: the 256 RFC 7042 documentation addresses first, then locally
//! administered unicast 02:00:5e:xx:xx:xx, which no vendor can have assigned. The overflow
//! block is kept when met again, so a sanitized capture sanitized again does not change.

use super::error::MappingError;
use super::key::MappingKey;
use super::pool::SlotPool;
use super::role::Role;
use super::table::{AddressTable, Allocator, with_prefix};

const TAG: &[u8] = b"pcapscrub/mac\0";

/// 00:00:5e:00:53:00/24 (RFC 7042 documentation range).
const DOC_PREFIX: [u8; 5] = [0x00, 0x00, 0x5e, 0x00, 0x53];
const DOC_SLOTS: u64 = 256;
/// The fallback block: locally administered bit set, I/G bit clear, then the IANA OUI bytes
/// 00:5e, so it reads as ours.
const LOCAL_PREFIX: [u8; 3] = [0x02, 0x00, 0x5e];
const LOCAL_SLOTS: u64 = 1 << 24;

/// Group addresses name no single station, all-zero names none, and the
/// documentation range is already anonymous.
pub(crate) fn is_kept(m: [u8; 6]) -> bool {
    m[0] & 1 == 1 || m == [0; 6] || m[..5] == DOC_PREFIX || m[..3] == LOCAL_PREFIX
}

/// The MAC pools: the documentation range, then the locally administered fallback block.
#[derive(Clone)]
pub(crate) struct MacAllocator {
    doc: SlotPool,
    local: SlotPool,
}

/// The MAC table: every address seen so far and its output.
pub(crate) type MacMap = AddressTable<MacAllocator>;

impl Allocator for MacAllocator {
    type Addr = [u8; 6];
    type Context = ();
    const FAMILY: &'static str = "MAC";
    /// Not reachable in practice: 2^40 slots.
    const EXHAUSTED_OUTPUT: [u8; 6] = [0; 6];
    const EXHAUSTED_TEXT: &'static str = "00:00:00:00:00:00";

    fn new() -> Self {
        MacAllocator {
            doc: SlotPool::new(DOC_SLOTS),
            local: SlotPool::new(LOCAL_SLOTS),
        }
    }

    fn is_kept(m: [u8; 6]) -> bool {
        is_kept(m)
    }

    fn reserve_kept(&mut self, m: [u8; 6]) -> bool {
        if m[..5] == DOC_PREFIX {
            return self.doc.reserve(u64::from(m[5]));
        }
        if m[..3] == LOCAL_PREFIX {
            return self
                .local
                .reserve(u64::from(u32::from_be_bytes([0, m[3], m[4], m[5]])));
        }
        true
    }

    /// A station's role does not matter: every MAC draws from the same pools.
    fn assign(
        table: &mut MacMap,
        m: [u8; 6],
        _: Role,
        _: &mut (),
        key: &MappingKey,
        _: &mut Vec<String>,
    ) -> Result<[u8; 6], MappingError> {
        let rewritten = table.rewritten();
        table
            .alloc
            .claim(m, key)
            .ok_or(MappingError::MacExhausted { rewritten })
    }

    fn exhausted_cause(_: MappingError) -> String {
        "MAC pools exhausted".to_owned()
    }
}

impl MacAllocator {
    fn claim(&mut self, m: [u8; 6], key: &MappingKey) -> Option<[u8; 6]> {
        let digest = key.digest(TAG, &m);
        if !self.doc.is_full() {
            let last = self.doc.claim(digest.word(0))?;
            return Some(with_prefix(&DOC_PREFIX, &last.to_be_bytes()[7..]));
        }
        let low = self.local.claim(digest.word(1))?;
        Some(with_prefix(&LOCAL_PREFIX, &low.to_be_bytes()[5..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_set_matches_spec() {
        assert!(is_kept([0xff; 6]));
        assert!(is_kept([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]));
        assert!(is_kept([0x33, 0x33, 0, 0, 0, 1]));
        assert!(is_kept([0; 6]));
        assert!(is_kept([0x00, 0x00, 0x5e, 0x00, 0x53, 0x42]));
        assert!(!is_kept([0x00, 0x00, 0x5e, 0x00, 0x54, 0x42]));
        assert!(!is_kept([0x02, 0, 0, 0, 0, 1]));
        assert!(is_kept([0x02, 0x00, 0x5e, 0x12, 0x34, 0x56]));
        assert!(!is_kept([0x3c, 0x22, 0xfb, 0x01, 0x02, 0x03]));
    }

    #[test]
    fn local_addresses_are_unicast_and_locally_administered() {
        let key = MappingKey::from_bytes(&[5u8; 32]).unwrap();
        let mut alloc = MacAllocator::new();
        for last in 0..=255u8 {
            alloc.doc.reserve(u64::from(last));
        }
        let m = alloc.claim([0x3c, 0x22, 0xfb, 0, 0, 1], &key).unwrap();
        assert_eq!(m[..3], LOCAL_PREFIX);
    }
}
