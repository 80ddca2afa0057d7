//! IPv4: each role has its own RFC 5737 /24; once that is full, the rest of the
//! role's hosts go to the shared RFC 2544 benchmarking range 198.18.0.0/15.

use super::error::MappingError;
use super::key::MappingKey;
use super::pool::SlotPool;
use super::role::Role;
use super::table::{AddressTable, Allocator, warn_once};

const TAG: &[u8] = b"pcapscrub/ipv4\0";

/// Hosts .1–.254 of a /24: .0 and .255 are left out because tools read them
/// as network and broadcast addresses.
const HOSTS_PER_SUBNET: u32 = 254;

/// Consecutive /24 subnets whose usable hosts are numbered 0.. in address order.
#[derive(Clone, Copy)]
struct HostRange {
    network: u32,
    subnets: u32,
}

const CLIENT: HostRange = HostRange::single([192, 0, 2, 0]);
const SERVER: HostRange = HostRange::single([203, 0, 113, 0]);
const OTHER: HostRange = HostRange::single([198, 51, 100, 0]);
/// 198.18.0.0/15 is 512 /24s.
const OVERFLOW: HostRange = HostRange {
    network: u32::from_be_bytes([198, 18, 0, 0]),
    subnets: 512,
};

impl HostRange {
    const fn single(network: [u8; 4]) -> Self {
        HostRange {
            network: u32::from_be_bytes(network),
            subnets: 1,
        }
    }

    fn len(self) -> u64 {
        u64::from(self.subnets) * u64::from(HOSTS_PER_SUBNET)
    }

    fn address(self, i: u64) -> Option<[u8; 4]> {
        let i = u32::try_from(i).ok()?;
        let (subnet, host) = (i / HOSTS_PER_SUBNET, i % HOSTS_PER_SUBNET);
        let offset = subnet.checked_mul(256)?.checked_add(host + 1)?;
        self.network.checked_add(offset).map(u32::to_be_bytes)
    }

    fn index_of(self, a: [u8; 4]) -> Option<u64> {
        let offset = u32::from_be_bytes(a).checked_sub(self.network)?;
        let (subnet, host) = (offset / 256, offset % 256);
        let usable = subnet < self.subnets && (1..=HOSTS_PER_SUBNET).contains(&host);
        usable.then(|| u64::from(subnet * HOSTS_PER_SUBNET + host - 1))
    }
}

/// The addresses the product spec says to leave alone: they identify no host. 198.18.0.0/15
/// (RFC 2544 benchmarking) is kept too: it is our overflow range, so a sanitized capture
/// sanitized again keeps its overflow addresses (idempotence), and it is never routed.
pub(crate) fn is_kept(a: [u8; 4]) -> bool {
    matches!(
        a,
        [0 | 127, ..]
            | [224..=239, ..]
            | [255, 255, 255, 255]
            | [192, 0, 2, _]
            | [198, 51, 100, _]
            | [203, 0, 113, _]
            | [198, 18 | 19, _, _]
    )
}

#[derive(Clone)]
struct Pool {
    range: HostRange,
    slots: SlotPool,
    /// Slots handed to rewritten addresses (not reservations), for the overflow warning.
    claimed: u64,
    /// Whether the overflow warning for this pool was given, so it is built once, not per host.
    overflow_reported: bool,
}

impl Pool {
    fn new(range: HostRange) -> Self {
        Pool {
            range,
            slots: SlotPool::new(range.len()),
            claimed: 0,
            overflow_reported: false,
        }
    }

    fn claim(&mut self, preferred: u64) -> Option<[u8; 4]> {
        let i = self.slots.claim(preferred)?;
        self.claimed += 1;
        self.range.address(i)
    }
}

/// The IPv4 pools: one RFC 5737 /24 per role, then 198.18.0.0/15 for all.
#[derive(Clone)]
pub(crate) struct Ipv4Allocator {
    roles: [Pool; 3],
    overflow: Pool,
}

/// The IPv4 table: every address seen so far and its output.
pub(crate) type Ipv4Map = AddressTable<Ipv4Allocator>;

impl Allocator for Ipv4Allocator {
    type Addr = [u8; 4];
    type Context = ();
    const FAMILY: &'static str = "IPv4";
    const EXHAUSTED_OUTPUT: [u8; 4] = [0, 0, 0, 0];
    const EXHAUSTED_TEXT: &'static str = "0.0.0.0";

    fn new() -> Self {
        Ipv4Allocator {
            roles: [Pool::new(CLIENT), Pool::new(SERVER), Pool::new(OTHER)],
            overflow: Pool::new(OVERFLOW),
        }
    }

    fn is_kept(a: [u8; 4]) -> bool {
        is_kept(a)
    }

    fn reserve_kept(&mut self, a: [u8; 4]) -> bool {
        let pools = self.roles.iter_mut().chain([&mut self.overflow]);
        for pool in pools {
            if let Some(i) = pool.range.index_of(a) {
                return pool.slots.reserve(i);
            }
        }
        true
    }

    /// The role's /24 while it has room, then 198.18.0.0/15 (with a warning).
    fn assign(
        table: &mut Ipv4Map,
        a: [u8; 4],
        role: Role,
        _: &mut (),
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> Result<[u8; 4], MappingError> {
        let rewritten = table.rewritten();
        let exhausted = || MappingError::Ipv4Exhausted { rewritten };
        let alloc = &mut table.alloc;
        let digest = key.digest(TAG, &a);
        let primary = alloc
            .roles
            .get_mut(role.pool_index())
            .ok_or_else(exhausted)?;
        if !primary.slots.is_full() {
            return primary.claim(digest.word(0)).ok_or_else(exhausted);
        }
        if !primary.overflow_reported {
            primary.overflow_reported = true;
            let message = format!(
                "more than {} {} IPv4 hosts: the rest were mapped into 198.18.0.0/15",
                primary.claimed,
                role.label()
            );
            warn_once(warnings, message);
        }
        alloc.overflow.claim(digest.word(1)).ok_or_else(exhausted)
    }

    fn exhausted_cause(_: MappingError) -> String {
        "IPv4 pools exhausted".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_range_numbers_skip_network_and_broadcast() {
        assert_eq!(CLIENT.len(), 254);
        assert_eq!(CLIENT.address(0), Some([192, 0, 2, 1]));
        assert_eq!(CLIENT.address(253), Some([192, 0, 2, 254]));
        assert_eq!(OVERFLOW.len(), 512 * 254);
        assert_eq!(OVERFLOW.address(254), Some([198, 18, 1, 1]));
        assert_eq!(
            OVERFLOW.address(OVERFLOW.len() - 1),
            Some([198, 19, 255, 254])
        );
    }

    #[test]
    fn host_range_index_inverts_address() {
        for i in [0, 1, 253, 254, 1000, OVERFLOW.len() - 1] {
            let a = OVERFLOW.address(i).unwrap();
            assert_eq!(OVERFLOW.index_of(a), Some(i));
        }
        assert_eq!(OVERFLOW.index_of([198, 18, 3, 0]), None);
        assert_eq!(OVERFLOW.index_of([198, 18, 3, 255]), None);
        assert_eq!(OVERFLOW.index_of([198, 20, 0, 1]), None);
        assert_eq!(CLIENT.index_of([192, 0, 1, 255]), None);
    }

    #[test]
    fn kept_set_matches_spec() {
        let kept = [
            [127, 0, 0, 1],
            [127, 255, 1, 2],
            [0, 0, 0, 0],
            [0, 1, 2, 3],
            [255, 255, 255, 255],
            [224, 0, 0, 251],
            [239, 255, 255, 250],
            [192, 0, 2, 5],
            [198, 51, 100, 7],
            [203, 0, 113, 9],
            [198, 18, 0, 1],
        ];
        let rewritten = [
            [10, 0, 0, 1],
            [192, 168, 1, 1],
            [240, 0, 0, 1],
            [255, 255, 255, 254],
            [198, 20, 0, 1],
            [192, 0, 3, 1],
            [169, 254, 0, 1],
        ];
        assert!(kept.into_iter().all(is_kept));
        assert!(!rewritten.into_iter().any(is_kept));
    }
}
