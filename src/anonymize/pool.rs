//! Collision-free slot allocation shared by every address family: a pool is a
//! range of candidate outputs numbered `0..len`; the HMAC picks a preferred
//! number and a taken one is probed linearly to the next free one, which keeps
//! the mapping one-to-one and deterministic for a given key and input order.

use foldhash::{HashSet, HashSetExt};

/// Up to this many slots a flag per slot is cheap and probes fast; above it a
/// capture only ever touches a sliver of the space, so a set is smaller.
const DENSE_LIMIT: u64 = 1 << 20;

#[derive(Clone)]
enum Occupancy {
    Dense(Vec<bool>),
    Sparse(HashSet<u64>),
}

/// A set of numbered slots with a fill count, so fullness is known without scanning.
#[derive(Clone)]
pub(crate) struct SlotPool {
    len: u64,
    taken: u64,
    occupancy: Occupancy,
}

impl SlotPool {
    pub(crate) fn new(len: u64) -> Self {
        let occupancy = match usize::try_from(len) {
            Ok(n) if len <= DENSE_LIMIT => Occupancy::Dense(vec![false; n]),
            _ => Occupancy::Sparse(HashSet::new()),
        };
        SlotPool {
            len,
            taken: 0,
            occupancy,
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.taken >= self.len
    }

    /// Marks slot `i` used; false if it already was (or lies outside the pool).
    pub(crate) fn reserve(&mut self, i: u64) -> bool {
        if i >= self.len {
            return false;
        }
        let newly = match &mut self.occupancy {
            Occupancy::Dense(flags) => usize::try_from(i)
                .ok()
                .and_then(|i| flags.get_mut(i))
                .is_some_and(|flag| !std::mem::replace(flag, true)),
            Occupancy::Sparse(set) => set.insert(i),
        };
        self.taken += u64::from(newly);
        newly
    }

    /// Takes the first free slot at or after `preferred` (wrapping), or `None`
    /// when the pool is full.
    pub(crate) fn claim(&mut self, preferred: u64) -> Option<u64> {
        if self.is_full() {
            return None;
        }
        let mut i = preferred % self.len;
        // Terminates within `len` steps: the pool is not full, so a free slot exists.
        while !self.reserve(i) {
            i = (i + 1) % self.len;
        }
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_takes_preferred_slot_when_free() {
        let mut pool = SlotPool::new(10);
        assert_eq!(pool.claim(13), Some(3));
    }

    #[test]
    fn claim_probes_past_taken_and_reserved_slots_and_wraps() {
        let mut pool = SlotPool::new(4);
        assert!(pool.reserve(3));
        assert_eq!(pool.claim(2), Some(2));
        assert_eq!(pool.claim(2), Some(0));
        assert_eq!(pool.claim(2), Some(1));
        assert!(pool.is_full());
        assert_eq!(pool.claim(0), None);
    }

    #[test]
    fn reserve_reports_slots_already_used_or_out_of_range() {
        let mut pool = SlotPool::new(4);
        assert!(pool.reserve(1));
        assert!(!pool.reserve(1));
        assert!(!pool.reserve(4));
        assert_eq!(pool.taken, 1);
    }

    #[test]
    fn sparse_pool_behaves_like_dense() {
        let mut pool = SlotPool::new(u64::MAX);
        assert!(pool.reserve(u64::MAX - 1));
        assert_eq!(pool.claim(u64::MAX - 1), Some(0));
        assert_eq!(pool.taken, 2);
    }

    #[test]
    fn empty_pool_is_full() {
        let mut pool = SlotPool::new(0);
        assert_eq!(pool.claim(5), None);
    }
}
