//! MAC addresses: the 256 RFC 7042 documentation addresses first, then locally
//! administered unicast 02:00:5e:xx:xx:xx, which no vendor can have assigned. The overflow
//! block is kept when met again, so a sanitized capture sanitized again does not change.

use foldhash::{HashMap, HashMapExt};

use super::key::MappingKey;
use super::pool::SlotPool;
use super::{MappingError, Role, warn_once};

const TAG: &[u8] = b"pcapscrub/mac\0";

/// 00:00:5e:00:53:00/24 (RFC 7042 documentation range).
const DOC_PREFIX: [u8; 5] = [0x00, 0x00, 0x5e, 0x00, 0x53];
const DOC_SLOTS: u64 = 256;
/// The fallback block: locally administered bit set, I/G bit clear, then the IANA OUI bytes
/// 00:5e, so it reads as ours.
const LOCAL_PREFIX: [u8; 3] = [0x02, 0x00, 0x5e];
const LOCAL_SLOTS: u64 = 1 << 24;

/// Written where the pools ran out after planning (not reachable in practice:
/// 2^40 slots); a warning says one-to-one broke.
const EXHAUSTED_OUTPUT: [u8; 6] = [0; 6];

/// Group addresses name no single station, all-zero names none, and the
/// documentation range is already anonymous.
pub(crate) fn is_kept(m: [u8; 6]) -> bool {
    m[0] & 1 == 1 || m == [0; 6] || m[..5] == DOC_PREFIX || m[..3] == LOCAL_PREFIX
}

#[derive(Clone)]
struct MacAllocator {
    doc: SlotPool,
    local: SlotPool,
}

impl MacAllocator {
    fn new() -> Self {
        MacAllocator {
            doc: SlotPool::new(DOC_SLOTS),
            local: SlotPool::new(LOCAL_SLOTS),
        }
    }

    /// Takes a kept documentation address's own slot so no rewritten address
    /// can equal it. False if one already does.
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

    fn assign(&mut self, m: [u8; 6], key: &MappingKey) -> Option<[u8; 6]> {
        let digest = key.digest(TAG, &m);
        if !self.doc.is_full() {
            let last = self.doc.claim(digest.word(0))?;
            return Some(with_prefix(&DOC_PREFIX, &last.to_be_bytes()[7..]));
        }
        let low = self.local.claim(digest.word(1))?;
        Some(with_prefix(&LOCAL_PREFIX, &low.to_be_bytes()[5..]))
    }
}

fn with_prefix(prefix: &[u8], tail: &[u8]) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (dst, src) in m.iter_mut().zip(prefix.iter().chain(tail)) {
        *dst = *src;
    }
    m
}

/// The MAC table: every address seen so far and its output.
#[derive(Clone)]
pub(crate) struct MacMap {
    out: HashMap<[u8; 6], [u8; 6]>,
    alloc: MacAllocator,
    rewritten: usize,
}

impl MacMap {
    /// Reserves all kept addresses before assigning any, so a kept address seen
    /// late cannot have been handed to an earlier station.
    pub(crate) fn plan(
        observed: &[([u8; 6], Role)],
        key: &MappingKey,
    ) -> Result<Self, MappingError> {
        let mut map = MacMap {
            out: HashMap::with_capacity(observed.len()),
            alloc: MacAllocator::new(),
            rewritten: 0,
        };
        for &(m, _) in observed.iter().filter(|(m, _)| is_kept(*m)) {
            map.alloc.reserve_kept(m);
            map.out.insert(m, m);
        }
        for &(m, _) in observed.iter().filter(|(m, _)| !is_kept(*m)) {
            let exhausted = MappingError::MacExhausted {
                rewritten: map.rewritten,
            };
            let b = map.alloc.assign(m, key).ok_or(exhausted)?;
            map.record_rewrite(m, b);
        }
        Ok(map)
    }

    pub(crate) fn get(
        &mut self,
        m: [u8; 6],
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> [u8; 6] {
        match self.out.get(&m) {
            Some(&b) => b,
            None => self.map_unplanned(m, key, warnings),
        }
    }

    /// An address the planner never saw. A kept one is kept unless a rewritten
    /// address already took it: then one-to-one wins and it is rewritten too.
    fn map_unplanned(
        &mut self,
        m: [u8; 6],
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> [u8; 6] {
        if is_kept(m) {
            if self.alloc.reserve_kept(m) {
                self.out.insert(m, m);
                return m;
            }
            let message = "a kept MAC address that was not planned was already in use as a \
                           replacement, so it was rewritten to keep the mapping one-to-one";
            warn_once(warnings, message.to_owned());
        }
        let b = self.alloc.assign(m, key).unwrap_or_else(|| {
            let message = "MAC pools exhausted after planning: some addresses were replaced \
                           by 00:00:00:00:00:00 and are no longer one-to-one";
            warn_once(warnings, message.to_owned());
            EXHAUSTED_OUTPUT
        });
        self.record_rewrite(m, b);
        b
    }

    fn record_rewrite(&mut self, m: [u8; 6], b: [u8; 6]) {
        self.out.insert(m, b);
        self.rewritten += 1;
    }

    pub(crate) fn rewritten(&self) -> usize {
        self.rewritten
    }

    /// Every address that was rewritten, with its output (kept ones are left out).
    pub(crate) fn pairs(&self) -> impl Iterator<Item = ([u8; 6], [u8; 6])> + '_ {
        self.out
            .iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (*a, *b))
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
        let m = alloc.assign([0x3c, 0x22, 0xfb, 0, 0, 1], &key).unwrap();
        assert_eq!(m[..3], LOCAL_PREFIX);
    }
}
