//! Pass 2 of the mapping: the frozen table the rewriter queries, and what it reports (counts for
//! the summary, pairs for the sender's private table).

use std::fmt;

use super::ipv4::Ipv4Map;
use super::ipv6::Ipv6Map;
use super::key::MappingKey;
use super::mac::MacMap;

/// How many distinct addresses were rewritten rather than kept; for the run
/// summary, which must never show the addresses themselves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MappingCounts {
    pub ipv4: usize,
    pub ipv6: usize,
    pub mac: usize,
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
    /// The planned maps, with no allowlist yet (see [`Mapping::set_allowlist`]).
    pub(super) fn new(
        key: &MappingKey,
        ipv4: Ipv4Map,
        ipv6: Ipv6Map,
        mac: MacMap,
        warnings: Vec<String>,
    ) -> Mapping {
        Mapping {
            allow: crate::allowlist::Allowlist::default(),
            key: key.clone(),
            ipv4,
            ipv6,
            mac,
            warnings,
        }
    }

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
