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
mod connection_id;
mod error;
mod ipv4;
mod ipv6;
mod key;
mod mac;
mod mapping;
pub mod names;
mod planner;
mod pool;
mod role;
mod table;
#[cfg(test)]
mod tests;

pub use allowed::address_allowed;
pub use connection_id::{ConnectionIds, is_pseudonym as is_connection_id_pseudonym};
pub use error::MappingError;
pub use key::{KeyError, MIN_KEY_LEN, MappingKey};
pub use mapping::{AddressPair, Mapping, MappingCounts};
pub use planner::{AddressObservations, AddressPlanner};
pub use role::Role;
