//! The address table every family shares: each address seen so far and its output, planned
//! once from the observed addresses and then extended by the addresses the planner never saw.
//! What differs per family (its pools, how an output is derived, what is kept as is) is an
//! [`Allocator`]; the table is generic over it so that each lookup on the per-packet path is
//! monomorphic.

use foldhash::{HashMap, HashMapExt};
use std::hash::Hash;

use super::error::MappingError;
use super::key::MappingKey;
use super::role::Role;

/// One family's pools and rules (`ipv4.rs`, `ipv6.rs`, `mac.rs`).
pub(crate) trait Allocator: Clone + Sized {
    type Addr: Copy + Eq + Hash;
    /// What deriving an output needs besides the table: IPv6 looks up its IPv4-mapped
    /// addresses in the IPv4 table; the others need nothing.
    type Context;
    /// The family as warnings name it.
    const FAMILY: &'static str;
    /// Written where the pools ran out after planning; it hides the address but breaks
    /// one-to-one, which a warning then says.
    const EXHAUSTED_OUTPUT: Self::Addr;
    /// [`Allocator::EXHAUSTED_OUTPUT`] as that warning writes it.
    const EXHAUSTED_TEXT: &'static str;

    fn new() -> Self;

    /// Addresses of the classes the mapping keeps as they are.
    fn is_kept(a: Self::Addr) -> bool;

    /// Takes a kept address's own slot if it lies inside a pool, so that no rewritten address
    /// can ever equal it. False if one already does.
    fn reserve_kept(&mut self, a: Self::Addr) -> bool;

    /// The output for an address that is not kept (or a kept one that must be rewritten after
    /// all, see [`AddressTable::get`]).
    fn assign(
        table: &mut AddressTable<Self>,
        a: Self::Addr,
        role: Role,
        context: &mut Self::Context,
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> Result<Self::Addr, MappingError>;

    /// Assigns every observed address that is not kept, in first-seen order. A family whose
    /// outputs depend on each other (IPv6 groups follow their members) orders them itself.
    fn plan_rewrites(
        table: &mut AddressTable<Self>,
        observed: &[(Self::Addr, Role)],
        context: &mut Self::Context,
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> Result<(), MappingError> {
        for &(a, role) in observed.iter().filter(|(a, _)| !Self::is_kept(*a)) {
            let b = Self::assign(table, a, role, context, key, warnings)?;
            table.record(a, b);
        }
        Ok(())
    }

    /// What the warning about pools exhausted after planning starts with.
    fn exhausted_cause(err: MappingError) -> String;
}

/// One family's table: every address seen so far and its output.
#[derive(Clone)]
pub(crate) struct AddressTable<A: Allocator> {
    out: HashMap<A::Addr, A::Addr>,
    pub(super) alloc: A,
    rewritten: usize,
}

impl<A: Allocator> AddressTable<A> {
    /// Reserves all kept addresses before assigning any, so a kept address seen late still
    /// cannot have been handed to an earlier host.
    pub(crate) fn plan(
        observed: &[(A::Addr, Role)],
        context: &mut A::Context,
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> Result<Self, MappingError> {
        let mut table = AddressTable {
            out: HashMap::with_capacity(observed.len()),
            alloc: A::new(),
            rewritten: 0,
        };
        for &(a, _) in observed.iter().filter(|(a, _)| A::is_kept(*a)) {
            table.alloc.reserve_kept(a);
            table.out.insert(a, a);
        }
        A::plan_rewrites(&mut table, observed, context, key, warnings)?;
        Ok(table)
    }

    #[inline]
    pub(crate) fn get(
        &mut self,
        a: A::Addr,
        context: &mut A::Context,
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> A::Addr {
        match self.out.get(&a) {
            Some(&b) => b,
            None => self.map_unplanned(a, context, key, warnings),
        }
    }

    /// The output planned for `a`, if it was planned or looked up already.
    pub(super) fn planned(&self, a: &A::Addr) -> Option<A::Addr> {
        self.out.get(a).copied()
    }

    /// An address the planner never saw. A kept one is kept unless a rewritten
    /// address already took it: then one-to-one wins and it is rewritten too.
    fn map_unplanned(
        &mut self,
        a: A::Addr,
        context: &mut A::Context,
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> A::Addr {
        if A::is_kept(a) {
            if self.alloc.reserve_kept(a) {
                self.out.insert(a, a);
                return a;
            }
            let message = format!(
                "a kept {} address that was not planned was already in use as a replacement, \
                 so it was rewritten to keep the mapping one-to-one",
                A::FAMILY
            );
            warn_once(warnings, message);
        }
        let b = A::assign(self, a, Role::Other, context, key, warnings).unwrap_or_else(|err| {
            let message = format!(
                "{} after planning: some addresses were replaced by {} and are no longer \
                 one-to-one",
                A::exhausted_cause(err),
                A::EXHAUSTED_TEXT
            );
            warn_once(warnings, message);
            A::EXHAUSTED_OUTPUT
        });
        self.record(a, b);
        b
    }

    /// An output that equals its input (an IPv4-mapped address whose IPv4 part is kept, a
    /// solicited-node group whose member is kept) is not counted as rewritten.
    pub(super) fn record(&mut self, a: A::Addr, b: A::Addr) {
        self.out.insert(a, b);
        if a != b {
            self.rewritten += 1;
        }
    }

    /// How many addresses were rewritten.
    pub(crate) fn rewritten(&self) -> usize {
        self.rewritten
    }

    /// Every address that was rewritten, with its output (kept ones are left out).
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (A::Addr, A::Addr)> + '_ {
        self.out
            .iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (*a, *b))
    }
}

/// `prefix` then `tail`, cut or zero-filled to the address length: how pools build an output
/// from their prefix and a slot number's low bytes.
pub(super) fn with_prefix<const N: usize>(prefix: &[u8], tail: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    for (dst, src) in a.iter_mut().zip(prefix.iter().chain(tail)) {
        *dst = *src;
    }
    a
}

/// Adds `message` unless it is already there: a condition hit once per
/// address must still read as one warning.
pub(super) fn warn_once(warnings: &mut Vec<String>, message: String) {
    if !warnings.contains(&message) {
        warnings.push(message);
    }
}
