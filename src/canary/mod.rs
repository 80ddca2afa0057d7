//! The canary scan: before evidence is committed, every output is searched for the secrets the
//! run saw in the input; any survivor refuses the evidence. It proves the redaction of what the
//! tool *recognised*: a secret it never saw, or one transformed rather than copied, is beyond
//! it (see `collect` for what is searched and `scan` for where).

pub mod addresses;
pub mod checker;
pub mod collect;
mod prefix;
pub mod scan;
mod secret;
pub mod tokens;

use std::fmt;

pub use collect::{ObservedAddresses, SeenSecrets};
pub use scan::Canary;
pub use secret::SecretKind;

use crate::anonymize::Mapping;
use crate::wire::Layout;

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
    pub fn check_packet(&self, number: u64, layout: &Layout, bytes: &[u8]) -> Result<(), Refused> {
        match self.scan_packet(layout, bytes) {
            Some(kind) => Err(Refused(Leak {
                kind,
                place: Place::Packet(number),
            })),
            None => Ok(()),
        }
    }

    /// Refuses a text output file read from `text` in blocks cut after their last line break
    /// (no secret spans a line break), so that a large file is never held whole.
    pub fn check_text_lines(
        &self,
        name: &'static str,
        mut text: impl std::io::Read,
    ) -> std::io::Result<Result<(), Refused>> {
        const BLOCK: usize = 1 << 16;
        let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
        loop {
            let kept = buf.len();
            buf.resize(kept + BLOCK, 0);
            let read = loop {
                match text.read(&mut buf[kept..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            buf.truncate(kept + read);
            let end = read == 0;
            // A line longer than a block is read on until its end.
            let Some(cut) = (if end {
                Some(buf.len())
            } else {
                memchr::memrchr(b'\n', &buf[kept..]).map(|i| kept + i + 1)
            }) else {
                continue;
            };
            if let Err(refused) = self.check_text(name, &buf[..cut]) {
                return Ok(Err(refused));
            }
            buf.drain(..cut);
            if end {
                return Ok(Ok(()));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::addresses::SecretSets;

    /// A secret on any line of a long file is found, whichever batch holds it.
    #[test]
    fn long_text_is_scanned_in_batches_of_lines() {
        let mut sets = SecretSets::default();
        sets.add_ipv4([10, 9, 8, 7]);
        let canary = Canary::new(vec![], sets.sealed(), false).unwrap();
        let mut text = "connection: 192.0.2.1\n".repeat(10_000);
        let clean = canary.check_text_lines("the summary", text.as_bytes());
        assert!(matches!(clean, Ok(Ok(()))));
        text.push_str("last: 10.9.8.7");
        let found = canary.check_text_lines("the summary", text.as_bytes());
        assert!(matches!(found, Ok(Err(_))));
        // Across the first block's end (byte 65,536), on a line of 100 bytes after a line
        // break near the end, and on a line longer than a block after one near the start.
        for (first_line, tail) in [(65_500, 100), (10, 300_000)] {
            let mut text = vec![b'x'; first_line];
            text.push(b'\n');
            text.resize(65_534, b' ');
            text.extend_from_slice(b"10.9.8.7 ");
            text.resize(text.len() + tail, b'y');
            text.push(b'\n');
            let found = canary.check_text_lines("the summary", text.as_slice());
            assert!(matches!(found, Ok(Err(_))), "first line of {first_line}");
        }
    }
}
