//! Pass 1 of the mapping: every address the capture holds, in first-seen order, with the best
//! role seen; [`AddressPlanner::finish`] then plans each family's outputs in that order.

use foldhash::{HashMap, HashMapExt};
use std::fmt;
use std::hash::Hash;

use super::error::MappingError;
use super::ipv4::Ipv4Map;
use super::ipv6::{self, Ipv6Map};
use super::key::MappingKey;
use super::mac::MacMap;
use super::mapping::Mapping;
use super::role::Role;

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

/// The addresses one planner observed, in first-seen order with their merged roles (a MAC
/// address's role is always `Other`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressObservations {
    pub ipv4: Vec<([u8; 4], Role)>,
    pub ipv6: Vec<([u8; 16], Role)>,
    pub mac: Vec<[u8; 6]>,
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

    /// What this planner observed, in first-seen order with each address's merged role:
    /// self-contained, so the observations of several inputs merge with [`Self::absorb`].
    pub fn observations(&self) -> AddressObservations {
        AddressObservations {
            ipv4: self.ipv4.entries().to_vec(),
            ipv6: self.ipv6.entries().to_vec(),
            mac: self.macs_seen().collect(),
        }
    }

    /// Observes another planner's addresses after this one's, in their order and with their
    /// roles. A role merge keeps the first client or server role, so absorbing the
    /// observations of inputs in input order leaves the planner exactly as observing those
    /// inputs' packets one after the other would (docs/sharding.md).
    pub fn absorb(&mut self, seen: &AddressObservations) {
        for &(a, role) in &seen.ipv4 {
            self.ipv4.observe(a, role);
        }
        // Not `observe_ipv6`: an embedded IPv4 address is already in `seen.ipv4`, where the
        // input observed it.
        for &(a, role) in &seen.ipv6 {
            self.ipv6.observe(a, role);
        }
        for &m in &seen.mac {
            self.mac.observe(m, Role::Other);
        }
    }

    /// Assigns every observed address its output, in first-seen order.
    pub fn finish(self, key: &MappingKey) -> Result<Mapping, MappingError> {
        let mut warnings = Vec::new();
        let mut ipv4 = Ipv4Map::plan(self.ipv4.entries(), &mut (), key, &mut warnings)?;
        let ipv6 = Ipv6Map::plan(self.ipv6.entries(), &mut ipv4, key, &mut warnings)?;
        let mac = MacMap::plan(self.mac.entries(), &mut (), key, &mut warnings)?;
        Ok(Mapping::new(key, ipv4, ipv6, mac, warnings))
    }
}
