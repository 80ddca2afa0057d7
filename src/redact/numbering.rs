//! The placeholder certificates one redactor numbered, so their numbers can be moved later.
//!
//! A placeholder's subject is `CN=redacted-<n>` with `n` counted across the whole run in
//! first-seen order. When inputs are analysed apart (on several threads, or on several
//! machines, docs/sharding.md), each input numbers its certificates from its own start; once
//! the inputs before it are known, every placeholder of the input is built again with its
//! number moved by the same offset ([`Renumbering`]) and written over the bytes pass 1 kept.
//! A placeholder is a function of its length, its spec and the original's RSA size, so this
//! gives exactly the bytes one redactor for the whole run would have written.

use foldhash::{HashMap, HashMapExt};

use super::placeholder::{MIN_LEN_BOUND, PlaceholderSpec, placeholder_certificate_with_key_size};

/// What a numbered certificate's placeholder is built from (its spec with number 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Recipe {
    len: usize,
    spec: PlaceholderSpec,
    rsa_bits: u32,
}

/// Every certificate numbered, in number order. A capture repeats its chains, so the recipes
/// are kept once each and every number names one (4 bytes a certificate).
#[derive(Clone, Debug, Default)]
pub struct NumberedCertificates {
    /// The first number given.
    start: usize,
    recipes: Vec<Recipe>,
    index: HashMap<Recipe, u32>,
    /// Per number: its recipe, and whether a placeholder could be built (else zero-filled).
    numbered: Vec<(u32, bool)>,
}

impl NumberedCertificates {
    pub fn starting_at(start: usize) -> NumberedCertificates {
        NumberedCertificates {
            start,
            recipes: Vec::new(),
            index: HashMap::new(),
            numbered: Vec::new(),
        }
    }

    /// The next number to give.
    pub fn next(&self) -> usize {
        self.start + self.numbered.len()
    }

    /// How many numbers were given.
    pub fn count(&self) -> usize {
        self.numbered.len()
    }

    /// Notes the certificate given number [`Self::next`].
    pub fn note(&mut self, len: usize, spec: PlaceholderSpec, rsa_bits: u32, built: bool) {
        let recipe = Recipe {
            len,
            spec: PlaceholderSpec { index: 0, ..spec },
            rsa_bits,
        };
        let id = match self.index.get(&recipe) {
            Some(&id) => id,
            None => {
                let id = self.recipes.len() as u32;
                self.recipes.push(recipe);
                self.index.insert(recipe, id);
                id
            }
        };
        self.numbered.push((id, built));
    }

    /// How the numbers move when this redactor's first number becomes `start`.
    pub fn moved_to(&self, start: usize) -> Renumbering {
        Renumbering {
            from: self.start,
            to: start,
            recipes: self.recipes.clone(),
            numbered: self.numbered.clone(),
        }
    }
}

/// Placeholders to build again with their numbers moved from `from` to `to`.
#[derive(Clone, Debug)]
pub struct Renumbering {
    from: usize,
    to: usize,
    recipes: Vec<Recipe>,
    numbered: Vec<(u32, bool)>,
}

impl Renumbering {
    /// Nothing to move: the numbers given are the run's.
    pub fn is_identity(&self) -> bool {
        self.from == self.to || self.numbered.is_empty()
    }

    /// The placeholder of the certificate numbered `number` by pass 1, as the run numbers it
    /// (inner `None`: it cannot be built at that number and is zero-filled; outer `None`: pass
    /// 1 gave no such number).
    pub fn rebuilt(&self, number: usize) -> Option<Option<Vec<u8>>> {
        let &(id, _) = self.numbered.get(number.checked_sub(self.from)?)?;
        let recipe = self.recipes.get(id as usize)?;
        let spec = PlaceholderSpec {
            index: number - self.from + self.to,
            ..recipe.spec
        };
        Some(placeholder_certificate_with_key_size(
            recipe.len,
            &spec,
            recipe.rsa_bits,
        ))
    }

    /// Certificates built at pass 1's number but not at the run's (positive) or the other way
    /// round (negative): the difference in the zero-filled count. Any spec's placeholder can be
    /// built at every length over [`MIN_LEN_BOUND`] that a DER SEQUENCE can have, whatever its
    /// number, so only shorter certificates are built again to tell.
    pub fn zeroed_change(&self) -> i64 {
        if self.is_identity() {
            return 0;
        }
        let mut change = 0;
        for (i, &(id, built)) in self.numbered.iter().enumerate() {
            let Some(recipe) = self.recipes.get(id as usize) else {
                continue;
            };
            if recipe.len > MIN_LEN_BOUND {
                continue;
            }
            let now = matches!(self.rebuilt(self.from + i), Some(Some(_)));
            change += i64::from(built) - i64::from(now);
        }
        change
    }
}
