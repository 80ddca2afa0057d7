//! The merge: the observations of a run's inputs, in input order, give the run's address
//! planner, host-name mapper and certificate numbers.

use super::observed::InputObservations;
use crate::anonymize::names::NameMapper;
use crate::anonymize::{AddressPlanner, MappingKey};
use crate::policy::Policy;
use crate::redact::Redactor;

/// Every input of a run, in run order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunPlan {
    pub inputs: Vec<InputObservations>,
}

impl RunPlan {
    pub fn new(inputs: Vec<InputObservations>) -> RunPlan {
        RunPlan { inputs }
    }

    /// The run's address planner: every input's addresses absorbed in input order.
    pub fn planner(&self) -> AddressPlanner {
        let mut planner = AddressPlanner::new();
        for input in &self.inputs {
            planner.absorb(&input.addresses);
        }
        planner
    }

    /// The first placeholder number of input `index` (the count before it).
    pub fn certificate_start(&self, index: usize) -> usize {
        self.inputs.iter().take(index).map(|i| i.certificates).sum()
    }

    /// The first placeholder number of every input, in order.
    pub fn certificate_starts(&self) -> Vec<usize> {
        let mut next = 0;
        self.inputs
            .iter()
            .map(|i| {
                let start = next;
                next += i.certificates;
                start
            })
            .collect()
    }

    /// Placeholder certificates numbered in the whole run.
    pub fn certificates(&self) -> usize {
        self.certificate_start(self.inputs.len())
    }

    /// The run's host-name mapper once the inputs before `index` are mapped (`None` under
    /// `sni: keep`).
    pub fn names_before(
        &self,
        index: usize,
        policy: &Policy,
        key: &MappingKey,
    ) -> Option<NameMapper> {
        let mut replay = NameReplay::new(policy, key);
        for input in self.inputs.iter().take(index) {
            replay.feed(input);
        }
        replay.into_mapper()
    }
}

/// The run's host-name mapper, built input after input: a name's pseudonym depends on the
/// pseudonyms taken before it (docs/sharding.md), so the names are mapped in the run's order.
pub struct NameReplay {
    redactor: Redactor,
}

impl NameReplay {
    pub fn new(policy: &Policy, key: &MappingKey) -> NameReplay {
        NameReplay {
            redactor: Redactor::new(policy, key),
        }
    }

    /// Maps the names the input mapped, in its order.
    pub fn feed(&mut self, input: &InputObservations) {
        if let Some(m) = self.redactor.names_mut() {
            for name in &input.names {
                m.map(name);
            }
        }
    }

    /// The run's pseudonym of a name already fed.
    pub fn mapped(&self, name: &[u8]) -> Option<&[u8]> {
        self.redactor.names().and_then(|m| m.mapped(name))
    }

    /// Whether every name `local` mapped got the pseudonym the run gives it.
    pub fn agrees_with(&self, local: &Redactor) -> bool {
        let Some(mapper) = local.names() else {
            return true;
        };
        mapper
            .names_in_order()
            .iter()
            .all(|n| mapper.mapped(n) == self.mapped(n))
    }

    pub fn into_mapper(self) -> Option<NameMapper> {
        self.redactor.names().cloned()
    }
}
