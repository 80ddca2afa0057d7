//! Checks one JSON summary (`STEM.summary.json`) in bounded memory, as `summary` checks the
//! YAML one and with the same judge: the same required keys, known verdicts, `verdict` and
//! `verdict_counts` agreeing with the connections, the policy hash, no address the policy
//! does not allow.
//!
//! `sanitize` writes the head on the first line and one connection per line. The file is
//! read twice: first line by line, each line at most [`MAX_ENTRY_BYTES`] (one connection) and
//! scanned for addresses; then, if every line was within bounds, by a streaming JSON reader
//! that holds one connection at a time.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::summary::{ConnectionView, Judge, MAX_ENTRY_BYTES, PolicyView, SummaryFacts};
use crate::allowlist::Allowlist;

pub fn check_summary(path: &Path, allow: &Allowlist, out: &mut Vec<String>) -> SummaryFacts {
    let mut judge = Judge::new(path, allow, out);
    let opened = || File::open(path).map(|f| BufReader::with_capacity(1 << 16, f));
    match opened().and_then(|r| scan_lines(r, &mut judge)) {
        Ok(true) => {}
        Ok(false) => return judge.finish(),
        Err(e) => {
            judge.problem(format!("cannot read it: {e}"));
            return judge.finish();
        }
    }
    match opened() {
        Ok(reader) => {
            let mut de = serde_json::Deserializer::from_reader(reader);
            let parsed = Summary(&mut judge)
                .deserialize(&mut de)
                .and_then(|()| de.end());
            if let Err(e) = parsed {
                judge.problem(format!("not a valid JSON summary: {e}"));
            }
        }
        Err(e) => judge.problem(format!("cannot read it: {e}")),
    }
    judge.finish()
}

/// Scans every line for addresses; false (with the problem noted) at a line longer than
/// any `sanitize` writes, after which the file is not parsed.
fn scan_lines(mut reader: impl BufRead, judge: &mut Judge<'_, '_>) -> std::io::Result<bool> {
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_ENTRY_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(true);
        }
        number += 1;
        if line.len() > MAX_ENTRY_BYTES {
            judge.problem(format!(
                "line {number} is longer than {MAX_ENTRY_BYTES} bytes (pcapscrub writes no \
                 such line); the summary is not read further"
            ));
            return Ok(false);
        }
        judge.scan_addresses(&line, number);
    }
}

/// The top-level object: each key noted, the ones `verify` compares read, the rest skipped.
struct Summary<'j, 'p, 'o>(&'j mut Judge<'p, 'o>);

impl<'de> DeserializeSeed<'de> for Summary<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Summary<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a summary object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let judge = self.0;
        while let Some(key) = map.next_key::<String>()? {
            if !judge.key_seen_first(&key, "") {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            match key.as_str() {
                "verdict" => judge.state_verdict(map.next_value()?),
                "verdict_counts" => {
                    let counts: BTreeMap<String, u64> = map.next_value()?;
                    if !judge.state_counts(counts) {
                        judge.problem(
                            "`verdict_counts` is not a mapping of verdict names to counts".into(),
                        );
                    }
                }
                "policy" => judge.state_policy(map.next_value::<PolicyView>()?),
                "connections" => map.next_value_seed(Connections(&mut *judge))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `connections` list, judged one connection at a time.
struct Connections<'j, 'p, 'o>(&'j mut Judge<'p, 'o>);

impl<'de> DeserializeSeed<'de> for Connections<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Connections<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of connections")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(c) = seq.next_element::<ConnectionView>()? {
            self.0.next_connection(&c);
        }
        Ok(())
    }
}
