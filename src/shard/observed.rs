//! One input's observations: what its pass 1 saw that the run decides in first-seen order.

use crate::anonymize::{AddressObservations, AddressPlanner};
use crate::redact::Redactor;

/// What pass 1 of one input, run on its own, adds to the run's shared state: its addresses in
/// first-seen order with their roles (the address mapping), the host names it mapped in the
/// order it first mapped them (their pseudonyms), and how many placeholder certificates it
/// numbered (where the next input's numbers start).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputObservations {
    /// The input's SHA-256 (hex), when known: a plan file names its inputs by it.
    pub sha256: Option<String>,
    pub addresses: AddressObservations,
    /// Lowercased, in the order they were first mapped.
    pub names: Vec<Vec<u8>>,
    pub certificates: usize,
}

impl InputObservations {
    /// What a planner and a redactor that saw only this input hold.
    pub fn of(planner: &AddressPlanner, redactor: &Redactor) -> InputObservations {
        InputObservations {
            sha256: None,
            addresses: planner.observations(),
            names: redactor
                .names()
                .map(|m| m.names_in_order().to_vec())
                .unwrap_or_default(),
            certificates: redactor.numbered_certificates().count(),
        }
    }
}
