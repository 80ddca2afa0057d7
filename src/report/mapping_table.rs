//! The sender's private mapping (`sanitize --mapping-out`): every pseudonym the evidence holds
//! with the original it replaced. It never goes into the evidence; `reveal` reads it back.
//!
//! The format is tab-separated text, one pseudonym a line:
//!
//! ```text
//! # comment lines start with '#'
//! KIND<TAB>PSEUDONYM<TAB>ORIGINAL
//! ```
//!
//! `KIND` is one of `ipv4`, `ipv6`, `mac`, `name` (a host name) and `stem` (an evidence stem such
//! as `capture`, whose original is the path of the input it was made from). A backslash, tab,
//! carriage return or newline inside a field is written `\\`, `\t`, `\r`, `\n`.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::anonymize::AddressPair;
use crate::stable_names::stable_names;

stable_names! {
    /// What a pseudonym stands for, by its name in the file.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum EntryKind {
        Ipv4 = "ipv4",
        Ipv6 = "ipv6",
        Mac = "mac",
        Name = "name",
        Stem = "stem",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub kind: EntryKind,
    pub pseudonym: String,
    pub original: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MappingTable {
    pub entries: Vec<Entry>,
}

impl MappingTable {
    pub fn push(&mut self, kind: EntryKind, pseudonym: String, original: String) {
        self.entries.push(Entry {
            kind,
            pseudonym,
            original,
        });
    }

    pub fn push_address(&mut self, pair: AddressPair) {
        let (kind, pseudonym, original) = match pair {
            AddressPair::Ipv4 {
                original,
                pseudonym,
            } => (
                EntryKind::Ipv4,
                Ipv4Addr::from(pseudonym).to_string(),
                Ipv4Addr::from(original).to_string(),
            ),
            AddressPair::Ipv6 {
                original,
                pseudonym,
            } => (
                EntryKind::Ipv6,
                Ipv6Addr::from(pseudonym).to_string(),
                Ipv6Addr::from(original).to_string(),
            ),
            AddressPair::Mac {
                original,
                pseudonym,
            } => (EntryKind::Mac, mac_text(pseudonym), mac_text(original)),
        };
        self.push(kind, pseudonym, original);
    }

    /// The table as text, sorted and without repeated lines.
    pub fn to_text(&self) -> String {
        let mut entries = self.entries.clone();
        entries.sort();
        entries.dedup();
        let mut out = String::from(
            "# pcapscrub private mapping: pseudonym -> original. Keep it; never attach it.\n\
             # kind\tpseudonym\toriginal\n",
        );
        for e in &entries {
            let _ = writeln!(
                out,
                "{}\t{}\t{}",
                e.kind.as_str(),
                escape(&e.pseudonym),
                escape(&e.original)
            );
        }
        out
    }

    /// Reads a table back; the error names the line (the caller adds the file).
    pub fn parse(text: &str) -> Result<MappingTable, String> {
        let mut table = MappingTable::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| format!("line {}: {what}", i + 1);
            let mut fields = line.split('\t');
            let (Some(kind), Some(pseudonym), Some(original), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad(
                    "expected three tab-separated fields: kind, pseudonym, original",
                ));
            };
            let kind = EntryKind::from_name(kind).ok_or_else(|| {
                bad(&format!(
                    "unknown kind `{}` (expected ipv4, ipv6, mac, name or stem)",
                    kind.escape_debug()
                ))
            })?;
            let pseudonym = unescape(pseudonym).map_err(|e| bad(&e))?;
            let original = unescape(original).map_err(|e| bad(&e))?;
            if pseudonym.is_empty() {
                return Err(bad("the pseudonym is empty"));
            }
            table.push(kind, pseudonym, original);
        }
        Ok(table)
    }
}

fn mac_text(m: [u8; 6]) -> String {
    let parts: Vec<String> = m.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

fn escape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(field: &str) -> Result<String, String> {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            other => {
                return Err(format!(
                    "unknown escape `\\{}` (expected \\\\, \\t, \\n or \\r)",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_back_as_written_whatever_its_fields_hold() {
        let mut t = MappingTable::default();
        t.push(
            EntryKind::Stem,
            "capture".into(),
            "/tmp/a\tb\\c\nd e.pcap".into(),
        );
        t.push_address(AddressPair::Ipv4 {
            original: [10, 77, 0, 20],
            pseudonym: [192, 0, 2, 157],
        });
        t.push(EntryKind::Name, "abcd.example".into(), "acme.corp.x".into());
        let back = MappingTable::parse(&t.to_text()).unwrap();
        let mut want = t.entries.clone();
        want.sort();
        assert_eq!(back.entries, want);
        assert!(t.to_text().contains("ipv4\t192.0.2.157\t10.77.0.20\n"));
    }

    #[test]
    fn a_broken_line_is_named() {
        let e = MappingTable::parse("# c\nipv4\t1.2.3.4\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = MappingTable::parse("host\ta\tb\n").unwrap_err();
        assert!(e.contains("unknown kind `host`"), "{e}");
        let e = MappingTable::parse("name\ta\\x\tb\n").unwrap_err();
        assert!(e.contains("unknown escape"), "{e}");
    }
}
