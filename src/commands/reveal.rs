//! `pcapscrub reveal`: rewrites the pseudonyms in a text (a vendor's reply about the evidence)
//! back to the originals, with the private mapping `sanitize --mapping-out` wrote.
//!
//! A pseudonym is replaced only as a whole token: `192.0.2.15` is not found inside
//! `192.0.2.157`, nor a host name inside a longer one. Letters match in either case (a reply may
//! write a MAC or IPv6 address in capitals). An evidence stem is replaced only as a file name of
//! the evidence (`capture.sanitized.pcap`, `capture.summary.yaml`, `client-log.sanitized.txt`),
//! never as a plain word.

use std::io::{Read, Write};
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use anyhow::{Context, Result};

use super::input::STANDARD_INPUT;
use crate::report::mapping_table::{EntryKind, MappingTable};

/// The extensions an evidence stem is found with.
const STEM_SUFFIXES: [&str; 5] = [
    ".sanitized.pcapng",
    ".sanitized.pcap",
    ".summary.yaml",
    ".summary.json",
    ".sanitized.txt",
];

/// The replacements of one mapping, ready to run over texts.
pub struct Revealer {
    finder: AhoCorasick,
    /// Per pattern: its kind and the original it stands for.
    replacements: Vec<(EntryKind, String)>,
}

impl Revealer {
    pub fn new(table: &MappingTable) -> Result<Revealer> {
        let mut patterns = Vec::new();
        let mut replacements = Vec::new();
        for e in &table.entries {
            if e.kind == EntryKind::Stem {
                for suffix in STEM_SUFFIXES {
                    patterns.push(format!("{}{suffix}", e.pseudonym));
                    replacements.push((e.kind, e.original.clone()));
                }
            } else {
                patterns.push(e.pseudonym.clone());
                replacements.push((e.kind, e.original.clone()));
            }
        }
        let finder = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(&patterns)
            .context("cannot prepare the mapping's pseudonyms for searching")?;
        Ok(Revealer {
            finder,
            replacements,
        })
    }

    /// `text` with every pseudonym that stands as a whole token replaced by its original.
    pub fn reveal(&self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        let mut copied = 0;
        let mut from = 0;
        while let Some(m) = self
            .finder
            .find(aho_corasick::Input::new(text).span(from..text.len()))
        {
            let (kind, original) = &self.replacements[m.pattern().as_usize()];
            if is_whole_token(text, m.start(), m.end(), *kind) {
                out.extend_from_slice(&text[copied..m.start()]);
                out.extend_from_slice(original.as_bytes());
                copied = m.end();
                from = m.end();
            } else {
                from = m.start() + 1;
            }
        }
        out.extend_from_slice(&text[copied..]);
        out
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether `text[start..end]` is not part of a longer address or name.
fn is_whole_token(text: &[u8], start: usize, end: usize, kind: EntryKind) -> bool {
    if let Some(&before) = start.checked_sub(1).and_then(|i| text.get(i))
        && (is_word(before) || before == b'.' || before == b':')
    {
        return false;
    }
    let after = text.get(end).copied();
    let then = text.get(end + 1).copied();
    match after {
        None => true,
        Some(b) if is_word(b) => false,
        // A full stop ends a sentence; a dot before a letter or digit continues a name.
        Some(b'.') => !then.is_some_and(|c| c.is_ascii_alphanumeric()),
        // A colon after an IPv4 address or a name starts a port; after an IPv6 or MAC address
        // followed by a hex digit it continues the address.
        Some(b':') if matches!(kind, EntryKind::Ipv6 | EntryKind::Mac) => {
            !then.is_some_and(|c| c.is_ascii_hexdigit())
        }
        Some(_) => true,
    }
}

/// Reads the mapping and the text (`-` or none: standard input), writes the revealed text to
/// `out`.
pub fn run(mapping: &Path, text: Option<&Path>, out: &mut impl Write) -> Result<()> {
    let table_text = std::fs::read_to_string(mapping)
        .with_context(|| format!("cannot read the private mapping {}", mapping.display()))?;
    let table = MappingTable::parse(&table_text)
        .map_err(|e| anyhow::anyhow!("{}, {e}", mapping.display()))?;
    let revealer = Revealer::new(&table)?;
    let input = match text {
        Some(path) if path != Path::new("-") => {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
        }
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {STANDARD_INPUT}"))?;
            bytes
        }
    };
    out.write_all(&revealer.reveal(&input))
        .and_then(|()| out.flush())
        .context("cannot write standard output")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revealer(rows: &str) -> Revealer {
        Revealer::new(&MappingTable::parse(rows).unwrap()).unwrap()
    }

    fn reveal(r: &Revealer, text: &str) -> String {
        String::from_utf8(r.reveal(text.as_bytes())).unwrap()
    }

    #[test]
    fn pseudonyms_are_replaced_only_as_whole_tokens() {
        let r = revealer(
            "ipv4\t192.0.2.15\t10.0.0.1\nipv4\t192.0.2.157\t10.77.0.20\n\
             ipv6\t2001:db8::5\tfe80::1\nmac\t00:00:5e:00:53:01\taa:bb:cc:dd:ee:ff\n\
             name\tabcd.example\tshop.acme\nstem\tcapture\t/srv/acme pay.pcap\n",
        );
        assert_eq!(
            reveal(
                &r,
                "client 192.0.2.157:443 and 192.0.2.15. Also 192.0.2.1570"
            ),
            "client 10.77.0.20:443 and 10.0.0.1. Also 192.0.2.1570"
        );
        assert_eq!(
            reveal(&r, "[2001:DB8::5]:443 2001:db8::5:1 00:00:5E:00:53:01."),
            "[fe80::1]:443 2001:db8::5:1 aa:bb:cc:dd:ee:ff."
        );
        assert_eq!(
            reveal(
                &r,
                "SNI abcd.example, not x.abcd.example or abcd.example.org"
            ),
            "SNI shop.acme, not x.abcd.example or abcd.example.org"
        );
        assert_eq!(
            reveal(&r, "the capture: see capture.sanitized.pcap"),
            "the capture: see /srv/acme pay.pcap"
        );
    }
}
