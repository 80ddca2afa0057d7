//! Same-length host-name pseudonyms.
//!
//! A host name (SNI, certificate name) is replaced by a keyed pseudonym of exactly the same
//! number of octets, so that every length field around it stays valid. Outputs are lowercase
//! ASCII letters, digits and dots, and a syntactically valid host name whenever the length
//! allows it: labels of 1..=63 characters, no empty label, no hyphen at all (so none at a label's
//! start or end). Names longer than 253 octets cannot be valid host names; their outputs still
//! keep every label within 63 characters.
//!
//! # Shapes, by output length `L`
//! Each length has a list of shapes, tried in order until one yields an unused output:
//!
//! | style | `L` | shapes |
//! | --- | --- | --- |
//! | Pseudonym | ≥ 9 | `<labels>.example`, `<labels>.test`, `<labels>.invalid`, `<labels>` |
//! | Pseudonym | 6..=8 | `<labels>.test`, `<labels>` |
//! | Pseudonym | 1..=5 | one letters-only label, one label of a letter then letters/digits |
//! | Hash | ≥ 9 | hex + `.invalid`, then the Pseudonym shapes |
//! | Hash | 6..=8 | hex + `.test`, then the Pseudonym shapes |
//! | Hash | 1..=5 | one hex label, then the Pseudonym shapes |
//!
//! `.example`, `.test` and `.invalid` are reserved by RFC 2606 / RFC 6761. A reserved suffix
//! needs a label of at least one character before it, so lengths 1..=5 cannot carry one (".test"
//! alone is 5 octets): they get a single keyed label of letters only, which reads as a bare host
//! name and never as a number. `<labels>` is the non-suffix part cut into as few labels of at
//! most 63 characters as fit, of near-equal lengths; their characters are letters and digits,
//! except in a shape without reserved suffix, whose last label (the would-be TLD) is letters
//! only. Small shapes fill up quickly (there are only 36 `?.example` names), which is why the
//! later shapes exist: a name only falls through to a later shape when the earlier ones have no
//! unused output left for it.
//!
//! # Guarantees
//! - Exact length: the output always has `name.len()` octets.
//! - Consistency: names are compared after ASCII lowercasing (the output is lowercase anyway).
//!   The same name gets the same output for the life of the mapper, and the same output in every
//!   run with the same key *unless* it had to step over an output taken by another name, which
//!   depends on the names mapped before it (as with the address mappers' probing).
//! - One-to-one: two different names never share an output while the output space of their
//!   length has room (every shape above is searched exhaustively when it is small). Only when
//!   every output of a length is used (e.g. a 27th distinct one-octet name: 26 letters) does a
//!   name get a used output; [`NameMapper::degraded`] counts such names.
//! - Nothing shared: no 3-octet window of the output occurs in the (lowercased) input, except
//!   windows lying wholly inside the reserved suffix, and the output never equals the input.
//!   Windows that span a dot or the start of the suffix are checked too. (For inputs far longer
//!   than any host name, e.g. a 50 kB binary SNI holding nearly every 3-character combination,
//!   this can become impossible; such names also count as degraded.)
//! - Non-host-name inputs (binary SNI, UTF-8) map like any other octet string.
//!
//! # Hash style
//! The hex characters (the labels before the suffix, dots removed) begin with the hex of
//! `HMAC-SHA-256(key, name)`, cut to fit; beyond 64 characters they continue with keyed hex
//! padding that carries nothing. If that form shares a 3-character window with the name or is
//! already taken, the next try is `HMAC(key, name || "#1")`, then `"#2"`, … up to
//! [`HASH_ATTEMPTS`]; then the name falls back to the Pseudonym shapes (in practice only at
//! lengths where few hex digits fit and all their values are used). A reviewer holding the key
//! checks a guess with [`verify_hash`], or by hand with any HMAC tool. A short Hash output
//! (1..=5 octets) is a bare hex label and may be all digits.
//!
//! # Keys
//! HMAC-SHA-256 under a [`MappingKey`]: the run's key owns the length rule and the HMAC
//! construction, and the redaction hands this mapper a subkey of it for host names.
//! Pseudonyms draw their characters from `HMAC(key, seed || block)` with `seed =
//! HMAC(key, "pcapscrub/host-name/v1\0" || shape || attempt || name)`, tagged unlike the Hash
//! style's plain `HMAC(key, name)`.
//!
//! # Modules
//! This module holds the mapper (the table of names, the choice of shape, the Hash style and
//! its check); `shape` describes one output shape and picks an output within it; `forbidden`
//! holds the name's 3-octet windows that no output may repeat.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::key::MappingKey;
use forbidden::Forbidden;
use shape::{HEX, Shape, hash_shape, pseudonym_shapes};

/// Hash-style attempts per name (attempt 0 is the plain HMAC); also what [`verify_hash`] tries.
pub const HASH_ATTEMPTS: u32 = 16;

const TAG: &[u8] = b"pcapscrub/host-name/v1\0";
/// A shape with at most this many outputs is searched exhaustively.
const EXHAUSTIVE_LIMIT: u64 = 1 << 16;
/// Keyed random tries in a larger shape before moving on to the next one.
const RANDOM_ATTEMPTS: u32 = 64;
/// Stream domains besides the pseudonym shapes' indexes.
const HASH_PADDING: u8 = 0xfe;
/// The Hash shape's index in [`NameMapper::full`].
const HASH_SHAPE: usize = usize::MAX;
const LAST_RESORT: u8 = 0xff;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameStyle {
    /// Keyed letters/digits labels, e.g. `h7k2qz.example` for a 14-octet name.
    Pseudonym,
    /// Hex of `HMAC-SHA-256(key, name)`, cut to fit, then `.invalid` where it fits: a reviewer
    /// holding the key can check a guess.
    Hash,
}

/// Keyed, consistent, one-to-one, same-length host-name rewriting.
#[derive(Clone)]
pub struct NameMapper {
    mac: Hmac<Sha256>,
    style: NameStyle,
    /// Lowercased name → output.
    forward: HashMap<Vec<u8>, Vec<u8>>,
    /// The lowercased names in the order they were first mapped: an output depends on the
    /// outputs taken before it, so mapping these names in this order into a fresh mapper with
    /// the same key rebuilds this one exactly (how per-input plans merge, docs/sharding.md).
    order: Vec<Vec<u8>>,
    taken: HashSet<Vec<u8>>,
    /// Outputs taken in each small shape, by (length, shape index); and the shapes now full.
    used: HashMap<(usize, usize), u64>,
    full: HashSet<(usize, usize)>,
    degraded: usize,
}

impl fmt::Debug for NameMapper {
    // Hand-written: neither the key nor any name may reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameMapper")
            .field("style", &self.style)
            .field("names", &self.forward.len())
            .field("degraded", &self.degraded)
            .finish_non_exhaustive()
    }
}

impl NameMapper {
    /// A mapper keyed with `key`: a subkey of the run's mapping key for host names
    /// ([`MappingKey::subkey`]), so its digests are never those of another use of the key.
    pub fn new(key: &MappingKey, style: NameStyle) -> NameMapper {
        NameMapper {
            mac: key.hmac().clone(),
            style,
            forward: HashMap::new(),
            order: Vec::new(),
            taken: HashSet::new(),
            used: HashMap::new(),
            full: HashSet::new(),
            degraded: 0,
        }
    }

    pub fn style(&self) -> NameStyle {
        self.style
    }

    /// The replacement for `name`: exactly `name.len()` octets (see the module doc).
    pub fn map(&mut self, name: &[u8]) -> Vec<u8> {
        let lower = name.to_ascii_lowercase();
        if let Some(out) = self.forward.get(&lower) {
            return out.clone();
        }
        let shapes = pseudonym_shapes(lower.len());
        let (out, clean) = self.derive(&lower, &shapes);
        if !clean {
            self.degraded += 1;
        }
        if self.taken.insert(out.clone()) {
            self.count_small_shapes(&out, &shapes);
        }
        self.order.push(lower.clone());
        self.forward.insert(lower, out.clone());
        out
    }

    /// Every name mapped so far (lowercased), in the order it was first mapped.
    pub fn names_in_order(&self) -> &[Vec<u8>] {
        &self.order
    }

    /// The output already given to `name`, if it was mapped.
    pub fn mapped(&self, name: &[u8]) -> Option<&[u8]> {
        self.forward
            .get(&name.to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    /// Counts a new output against every small (exhaustively searched) pseudonym shape of its
    /// length that holds it, so that a shape with no room left is skipped from then on.
    fn count_small_shapes(&mut self, out: &[u8], shapes: &[Shape]) {
        let len = out.len();
        let hash = (self.style == NameStyle::Hash).then(|| (HASH_SHAPE, hash_shape(len)));
        let all = shapes
            .iter()
            .enumerate()
            .chain(hash.as_ref().map(|(i, s)| (*i, s)));
        for (index, shape) in all {
            let capacity = shape.capacity();
            if capacity <= EXHAUSTIVE_LIMIT && shape.holds(out) {
                let used = self.used.entry((len, index)).or_insert(0);
                *used += 1;
                if *used >= capacity {
                    self.full.insert((len, index));
                }
            }
        }
    }

    /// Every name mapped so far (lowercased) with its replacement; names that map to
    /// themselves are left out.
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.forward
            .iter()
            .filter(|(name, out)| name != out)
            .map(|(name, out)| (name.as_slice(), out.as_slice()))
    }

    /// Distinct names mapped so far.
    pub fn len(&self) -> usize {
        self.forward.len()
    }

    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }

    /// Names whose output is shared with another name or shares a 3-octet window with the
    /// name; zero unless an output length ran out of room (see the module doc).
    pub fn degraded(&self) -> usize {
        self.degraded
    }

    /// The output for a new (lowercased) name, and whether it is unique and window-clean.
    fn derive(&self, name: &[u8], shapes: &[Shape]) -> (Vec<u8>, bool) {
        let len = name.len();
        if len == 0 {
            return (Vec::new(), !self.taken.contains(&Vec::new()));
        }
        let forbidden = Forbidden::new(name);
        // First window-clean output seen, even if taken: the fallback when all are taken.
        let mut fallback: Option<Vec<u8>> = None;
        if self.style == NameStyle::Hash && !self.full.contains(&(len, HASH_SHAPE)) {
            let shape = hash_shape(len);
            for attempt in 0..HASH_ATTEMPTS {
                let digest = hmac_hex(&self.mac, name, attempt);
                let padding = match shape.free().checked_sub(digest.len()) {
                    Some(n) if n > 0 => self.stream(&[HASH_PADDING], attempt, name, n),
                    _ => Vec::new(),
                };
                let Some(out) = shape.greedy(&digest, &padding, &forbidden) else {
                    continue;
                };
                if !self.taken.contains(&out) {
                    return (out, true);
                }
                fallback.get_or_insert(out);
            }
        }
        for (index, shape) in shapes.iter().enumerate() {
            if self.full.contains(&(len, index)) {
                continue;
            }
            let domain = [index as u8];
            if let Some(out) = self.search(shape, &domain, name, &forbidden, &mut fallback) {
                return (out, true);
            }
        }
        if let Some(out) = fallback {
            return (out, false);
        }
        // Nothing window-clean exists at all (a very long input holding nearly every
        // 3-character combination): keyed letters with plain syntax.
        // (Greedy with nothing forbidden never dead-ends.)
        let out = shapes.last().and_then(|shape| {
            let stream = self.stream(&[LAST_RESORT], 0, name, shape.free());
            shape.greedy(&[], &stream, &Forbidden::new(&[]))
        });
        (out.unwrap_or_else(|| vec![b'x'; len]), false)
    }

    /// An unused, window-clean output of `shape`, if one can be found.
    fn search(
        &self,
        shape: &Shape,
        domain: &[u8],
        name: &[u8],
        forbidden: &Forbidden,
        fallback: &mut Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        let mut accept = |out: Vec<u8>| -> Option<Vec<u8>> {
            if !shape.is_clean(&out, forbidden) {
                return None;
            }
            if self.taken.contains(&out) {
                fallback.get_or_insert(out);
                return None;
            }
            Some(out)
        };
        let capacity = shape.capacity();
        if capacity <= EXHAUSTIVE_LIMIT {
            let seed = self.stream(domain, 0, name, 8);
            let start = seed.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b)) % capacity;
            return (0..capacity)
                .map(|i| shape.decode((start + i) % capacity))
                .find_map(&mut accept);
        }
        (0..RANDOM_ATTEMPTS).find_map(|attempt| {
            let stream = self.stream(domain, attempt, name, shape.free());
            shape.greedy(&[], &stream, forbidden).and_then(&mut accept)
        })
    }

    /// `n` keyed octets for (`domain`, `attempt`, `name`).
    /// A seed `HMAC(key, TAG || domain || attempt || name)` (the name, possibly long, is
    /// hashed once), then blocks `HMAC(key, seed || block number)`.
    fn stream(&self, domain: &[u8], attempt: u32, name: &[u8], n: usize) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(TAG);
        mac.update(domain);
        mac.update(&attempt.to_be_bytes());
        mac.update(name);
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        let mut out = Vec::with_capacity(n + 32);
        let mut block = 0u32;
        while out.len() < n {
            let mut mac = self.mac.clone();
            mac.update(&seed);
            mac.update(&block.to_be_bytes());
            out.extend_from_slice(&mac.finalize().into_bytes());
            block = block.wrapping_add(1);
        }
        out.truncate(n);
        out
    }
}

/// Whether `output` is the Hash-style form of `name` under `key`: the reviewer's check of a
/// guess. The output must have the Hash shape for its length, and the hex characters before the
/// suffix (dots removed) must begin with the hex of `HMAC-SHA-256(key, name)`, or of
/// `HMAC-SHA-256(key, name || "#" || k)` for some retry `k` below [`HASH_ATTEMPTS`] (a retry
/// is needed when the first form shares a 3-character window with the name or is taken). Only
/// the first 64 hex characters are the HMAC; any after them are keyed padding. Outputs that
/// fell back to a pseudonym shape (only at lengths where few hex digits fit) do not verify, and
/// with fewer than 16 hex characters a match is weak evidence.
pub fn verify_hash(key: &MappingKey, name: &[u8], output: &[u8]) -> bool {
    let name = name.to_ascii_lowercase();
    if output.len() != name.len() || name.is_empty() {
        return false;
    }
    let shape = hash_shape(name.len());
    if !shape.holds(output) {
        return false;
    }
    let hex = shape.free_chars(output);
    let n = hex.len().min(64);
    let mac = key.hmac();
    (0..HASH_ATTEMPTS).any(|a| hmac_hex(mac, &name, a)[..n] == hex[..n])
}

/// Hex of the Hash style's digest: `HMAC(key, name)` for attempt 0, `HMAC(key, name || "#" ||
/// attempt in decimal)` after that. A plain HMAC-SHA-256 that any HMAC tool can recompute.
fn hmac_hex(mac: &Hmac<Sha256>, name: &[u8], attempt: u32) -> [u8; 64] {
    let mut m = mac.clone();
    m.update(name);
    if attempt > 0 {
        m.update(format!("#{attempt}").as_bytes());
    }
    let digest: [u8; 32] = m.finalize().into_bytes().into();
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0x0f)];
    }
    out
}

mod forbidden;
mod shape;
#[cfg(test)]
mod tests;
