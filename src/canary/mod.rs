//! The canary scan: before evidence is committed, every output is searched for the secrets the
//! run saw in the input; any survivor refuses the evidence. It proves the redaction of what the
//! tool *recognised*: a secret it never saw, or one transformed rather than copied, is beyond
//! it (see `collect` for what is searched and `scan` for where).

pub mod addresses;
pub mod collect;
pub mod scan;
pub mod tokens;

use std::fmt;

pub use collect::{ObservedAddresses, SecretKind, SeenSecrets};
pub use scan::Canary;

use crate::anonymize::Mapping;

/// Env var that makes `sanitize` and `check` print the time the scan took (for the benchmark).
pub const TIMING_ENV: &str = "PCAPSCRUB_CANARY_TIMING";

/// Builds the scan for a run once pass 1 is done and the mapping is frozen.
pub fn build(
    seen: &SeenSecrets,
    addresses: &ObservedAddresses,
    mapping: &mut Mapping,
) -> anyhow::Result<Canary> {
    let timed = std::env::var_os(TIMING_ENV).is_some();
    Canary::new(
        collect::text_patterns(seen),
        collect::secret_sets(seen, addresses, mapping),
        timed,
    )
}

/// Where a secret survived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A packet of the sanitized capture, numbered as in the input.
    Packet(u64),
    /// A text output: "the summary", "the client log", "SHA256SUMS", "report.html", "the ladder
    /// diagram".
    File(&'static str),
}

/// A secret found in the output: what kind and where, never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub kind: SecretKind,
    pub place: Place,
}

impl fmt::Display for Leak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.kind.describe();
        match self.place {
            Place::Packet(n) => write!(
                f,
                "{what} seen in the input survived in the sanitized capture at packet {n}"
            ),
            Place::File(name) => write!(f, "{what} seen in the input survived in {name}"),
        }
    }
}

/// The error that refuses the evidence.
#[derive(Debug, thiserror::Error)]
#[error("refusing to write the evidence: {0} (canary scan)")]
pub struct Refused(pub Leak);

impl Canary {
    /// Refuses a written packet that holds a secret.
    pub fn check_packet(&self, number: u64, link_type: u32, bytes: &[u8]) -> Result<(), Refused> {
        match self.scan_packet(link_type, bytes) {
            Some(kind) => Err(Refused(Leak {
                kind,
                place: Place::Packet(number),
            })),
            None => Ok(()),
        }
    }

    /// Refuses a text output file (named as the refusal names it) that holds a secret.
    pub fn check_text(&self, name: &'static str, bytes: &[u8]) -> Result<(), Refused> {
        match self.scan_text(bytes) {
            Some(kind) => Err(Refused(Leak {
                kind,
                place: Place::File(name),
            })),
            None => Ok(()),
        }
    }
}
