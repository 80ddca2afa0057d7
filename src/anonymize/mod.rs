//! Keyed, collision-free rewriting of IPv4, IPv6 and MAC addresses into
//! documentation ranges (RFC 5737, RFC 2544, RFC 3849, RFC 7042).
//!
//! It works in two phases because a good mapping needs the whole capture: the
//! [`AddressPlanner`] first records every address in first-seen order with the
//! best role seen, then [`AddressPlanner::finish`] assigns outputs in that order
//! (reserving kept addresses that sit inside a pool first) and freezes them into
//! a [`Mapping`] that the rewriting pass queries.
//!
//! Each output's slot is chosen by HMAC-SHA-256 under a per-run [`MappingKey`],
//! so outputs reveal nothing about inputs to anyone without the key; taken slots
//! are probed linearly, so the mapping is always one-to-one.

mod allowed;
mod error;
mod ipv4;
mod ipv6;
mod key;
mod mac;
pub mod names;
mod pool;
mod role;
mod table;
#[cfg(test)]
mod tests;

use foldhash::{HashMap, HashMapExt};
use std::fmt;
use std::hash::Hash;

pub use allowed::address_allowed;
pub use error::MappingError;
pub use key::{KeyError, MIN_KEY_LEN, MappingKey};
pub use role::Role;

use ipv4::Ipv4Map;
use ipv6::Ipv6Map;
use mac::MacMap;

/// How many distinct addresses were rewritten rather than kept; for the run
/// summary, which must never show the addresses themselves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MappingCounts {
    pub ipv4: usize,
    pub ipv6: usize,
    pub mac: usize,
}

/// Distinct addresses in first-seen order with their merged role. The index
/// makes a repeat observation one hash lookup with no allocation.
struct Observed<A> {
    index: HashMap<A, usize>,
    entries: Vec<(A, Role)>,
}

impl<A> Default for Observed<A> {
    fn default() -> Self {
        Observed {
            index: HashMap::new(),
            entries: Vec::new(),
        }
    }
}

impl<A: Copy + Eq + Hash> Observed<A> {
    fn observe(&mut self, a: A, role: Role) {
        if let Some(&i) = self.index.get(&a) {
            if let Some((_, current)) = self.entries.get_mut(i) {
                *current = current.merge(role);
            }
            return;
        }
        self.index.insert(a, self.entries.len());
        self.entries.push((a, role));
    }

    fn entries(&self) -> &[(A, Role)] {
        &self.entries
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// One address the mapping rewrote, with its replacement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddressPair {
    Ipv4 {
        original: [u8; 4],
        pseudonym: [u8; 4],
    },
    Ipv6 {
        original: [u8; 16],
        pseudonym: [u8; 16],
    },
    Mac {
        original: [u8; 6],
        pseudonym: [u8; 6],
    },
}

/// Pass 1: collects every address the capture holds, in first-seen order, with the best role seen.
#[derive(Default)]
pub struct AddressPlanner {
    ipv4: Observed<[u8; 4]>,
    ipv6: Observed<[u8; 16]>,
    mac: Observed<[u8; 6]>,
    /// The last two MAC addresses observed: a capture taken on one link shows the same two on
    /// almost every packet, and a MAC's role never changes, so a repeat needs no lookup.
    recent_macs: [Option<[u8; 6]>; 2],
}

/// Shows only how many addresses were seen: addresses are what we hide.
impl fmt::Debug for AddressPlanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressPlanner")
            .field("ipv4", &self.ipv4.len())
            .field("ipv6", &self.ipv6.len())
            .field("mac", &self.mac.len())
            .finish()
    }
}

impl AddressPlanner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn observe_ipv4(&mut self, a: [u8; 4], role: Role) {
        self.ipv4.observe(a, role);
    }

    /// An IPv4-mapped address is also observed as IPv4, because its rewrite
    /// goes through the IPv4 mapping and must get the same role there.
    pub fn observe_ipv6(&mut self, a: [u8; 16], role: Role) {
        if let Some(v4) = ipv6::embedded_ipv4(a) {
            self.ipv4.observe(v4, role);
        }
        self.ipv6.observe(a, role);
    }

    pub fn observe_mac(&mut self, m: [u8; 6]) {
        if self.recent_macs.contains(&Some(m)) {
            return;
        }
        self.recent_macs = [Some(m), self.recent_macs[0]];
        self.mac.observe(m, Role::Other);
    }

    /// Every IPv4 address observed so far (the canary scan searches the output for them).
    pub fn ipv4_seen(&self) -> impl Iterator<Item = [u8; 4]> + '_ {
        self.ipv4.entries().iter().map(|(a, _)| *a)
    }

    /// Every IPv6 address observed so far.
    pub fn ipv6_seen(&self) -> impl Iterator<Item = [u8; 16]> + '_ {
        self.ipv6.entries().iter().map(|(a, _)| *a)
    }

    /// Every MAC address observed so far.
    pub fn macs_seen(&self) -> impl Iterator<Item = [u8; 6]> + '_ {
        self.mac.entries().iter().map(|(a, _)| *a)
    }

    /// Assigns every observed address its output, in first-seen order.
    pub fn finish(self, key: &MappingKey) -> Result<Mapping, MappingError> {
        let mut warnings = Vec::new();
        let mut ipv4 = Ipv4Map::plan(self.ipv4.entries(), &mut (), key, &mut warnings)?;
        let ipv6 = Ipv6Map::plan(self.ipv6.entries(), &mut ipv4, key, &mut warnings)?;
        let mac = MacMap::plan(self.mac.entries(), &mut (), key, &mut warnings)?;
        Ok(Mapping {
            allow: crate::allowlist::Allowlist::default(),
            key: key.clone(),
            ipv4,
            ipv6,
            mac,
            warnings,
        })
    }
}

/// Pass 2: the frozen mapping. An address the planner never saw is still
/// mapped (as [`Role::Other`]) and remembered, so the mapping stays one-to-one.
#[derive(Clone)]
pub struct Mapping {
    /// Addresses the policy lets stay (checked before any mapping).
    allow: crate::allowlist::Allowlist,
    key: MappingKey,
    ipv4: Ipv4Map,
    ipv6: Ipv6Map,
    mac: MacMap,
    warnings: Vec<String>,
}

/// Shows only counts: the table pairs real addresses with their replacements.
impl fmt::Debug for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("counts", &self.counts())
            .field("warnings", &self.warnings.len())
            .finish_non_exhaustive()
    }
}

impl Mapping {
    /// Lets the policy's allowlisted addresses stay as they are.
    pub fn set_allowlist(&mut self, allow: crate::allowlist::Allowlist) {
        self.allow = allow;
    }

    /// The policy's allowlist (the canary lets what it allows stay).
    pub fn allowlist(&self) -> &crate::allowlist::Allowlist {
        &self.allow
    }

    pub fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4] {
        // Kept classes still go through the table (a kept address an earlier host took as its
        // replacement is rewritten, to stay one-to-one); allowlisted ones never do.
        if self.allow.allows_ipv4(a) {
            return a;
        }
        self.ipv4.get(a, &mut (), &self.key, &mut self.warnings)
    }

    pub fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16] {
        if self.allow.allows_ipv6(a) {
            return a;
        }
        self.ipv6
            .get(a, &mut self.ipv4, &self.key, &mut self.warnings)
    }

    pub fn mac(&mut self, m: [u8; 6]) -> [u8; 6] {
        self.mac.get(m, &mut (), &self.key, &mut self.warnings)
    }

    /// Problems worth telling the user about; never contain addresses.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Every rewritten address and its output: the sender's private table, never evidence.
    pub fn pairs(&self) -> Vec<AddressPair> {
        let mut pairs: Vec<AddressPair> = self
            .ipv4
            .pairs()
            .map(|(original, pseudonym)| AddressPair::Ipv4 {
                original,
                pseudonym,
            })
            .chain(
                self.ipv6
                    .pairs()
                    .map(|(original, pseudonym)| AddressPair::Ipv6 {
                        original,
                        pseudonym,
                    }),
            )
            .chain(
                self.mac
                    .pairs()
                    .map(|(original, pseudonym)| AddressPair::Mac {
                        original,
                        pseudonym,
                    }),
            )
            .collect();
        pairs.sort();
        pairs
    }

    pub fn counts(&self) -> MappingCounts {
        MappingCounts {
            ipv4: self.ipv4.rewritten(),
            ipv6: self.ipv6.rewritten(),
            mac: self.mac.rewritten(),
        }
    }
}
