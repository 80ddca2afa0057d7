//! Checks one summary in bounded memory, whatever its size.
//!
//! A summary is a YAML mapping whose `connections` list grows with the capture (about 2.5 KB a
//! connection: a multi-gigabyte capture gives a summary of hundreds of megabytes). It is never
//! read whole: the file is cut into its entries — each top-level key with its indented lines,
//! and each `- ` item of `connections` — and each entry is parsed on its own, under the YAML
//! reader's default limits. Memory is then one entry, at most [`MAX_ENTRY_BYTES`], and one line,
//! at most [`MAX_LINE_BYTES`]; a hostile summary that breaks either bound is refused, not read.
//! An entry cut where a YAML parser would not cut does not parse on its own: it is reported,
//! never skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::allowlist::Allowlist;
use crate::analyze::verdict::{self, Verdict};
use crate::anonymize::address_allowed;
use crate::check::finding::mask_ip;

/// Keys every summary must have.
const SUMMARY_KEYS: [&str; 9] = [
    "verdict_counts",
    "duration",
    "tool",
    "input",
    "output",
    "policy",
    "redactions",
    "connections",
    "verdict",
];

/// Longest line read. `sanitize` writes lines of at most a few hundred bytes (it folds long
/// texts).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Largest entry (one top-level key, or one connection) parsed. A connection with a long
/// timeline and full certificate chains is a few tens of kilobytes.
pub const MAX_ENTRY_BYTES: usize = 4 << 20;
/// Problems listed per summary; the rest are counted (a hostile summary must not make the
/// report itself unbounded).
const MAX_PROBLEMS: usize = 20;

/// What the rest of `verify` needs from a summary.
#[derive(Default)]
pub struct SummaryFacts {
    /// The `policy.sha256` it records.
    pub policy_sha256: Option<String>,
}

/// The parts of the head that `verify` reads.
#[derive(Deserialize)]
struct VerdictEntry {
    verdict: Option<String>,
}

#[derive(Deserialize)]
struct VerdictCountsEntry {
    verdict_counts: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
struct PolicyEntry {
    policy: PolicyView,
}

#[derive(Deserialize)]
pub(super) struct PolicyView {
    #[serde(default)]
    sha256: Option<String>,
}

#[derive(Deserialize)]
struct ConnectionsEntry {
    connections: Option<Vec<ConnectionView>>,
}

#[derive(Deserialize)]
pub(super) struct ConnectionView {
    #[serde(default)]
    verdict: Option<String>,
    /// The encapsulations (`vxlan:42 ADDR ADDR`), absent for a plain connection.
    #[serde(default)]
    path: Option<Vec<String>>,
    /// The client never tried TLS: the connection does not decide the capture's verdict.
    #[serde(default)]
    plaintext_protocol: bool,
}

/// Which kind of entry the lines being gathered belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    /// Lines before the first key: only blank lines and comments are allowed there.
    Preamble,
    Key,
    Connection,
}

/// Problems found in one summary, capped at [`MAX_PROBLEMS`].
struct Problems<'a> {
    shown: String,
    out: &'a mut Vec<String>,
    listed: usize,
    more: usize,
}

impl Problems<'_> {
    fn push(&mut self, text: String) {
        if self.listed < MAX_PROBLEMS {
            self.out.push(format!("{}: {text}", self.shown));
            self.listed += 1;
        } else {
            self.more += 1;
        }
    }

    fn finish(self) {
        if self.more > 0 {
            self.out
                .push(format!("{}: … and {} more problems", self.shown, self.more));
        }
    }
}

/// The entry being gathered.
struct Entry {
    kind: EntryKind,
    /// Line number of its first line.
    line: u64,
    text: Vec<u8>,
    /// Larger than [`MAX_ENTRY_BYTES`]: its text is no longer kept.
    oversized: bool,
}

/// What the entries said, gathered as they are parsed (from YAML here, from JSON in
/// `summary_json`).
pub(super) struct Judge<'p, 'o> {
    problems: Problems<'o>,
    allow: &'p Allowlist,
    keys: BTreeSet<String>,
    connections: u64,
    in_connections: bool,
    facts: SummaryFacts,
    /// What the summary says of the capture (`verdict`, `verdict_counts`) and what its
    /// connections say, compared at the end: a summary edited in one place is caught.
    stated_verdict: Option<Verdict>,
    stated_counts: Option<BTreeMap<Verdict, u64>>,
    counted: BTreeMap<Verdict, u64>,
    /// Per verdict, whether a connection that tried TLS had it (`plaintext_protocol` false).
    tried_tls: BTreeMap<Verdict, bool>,
}

pub fn check_summary(path: &Path, allow: &Allowlist, out: &mut Vec<String>) -> SummaryFacts {
    let mut judge = Judge::new(path, allow, out);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            judge.problem(format!("cannot read it: {e}"));
            return judge.finish();
        }
    };
    if let Err(e) = judge.read(BufReader::with_capacity(1 << 16, file)) {
        judge.problem(format!("cannot read it: {e}"));
    }
    judge.finish()
}

impl<'p, 'o> Judge<'p, 'o> {
    pub(super) fn new(path: &Path, allow: &'p Allowlist, out: &'o mut Vec<String>) -> Self {
        Judge {
            problems: Problems {
                shown: path.display().to_string(),
                out,
                listed: 0,
                more: 0,
            },
            allow,
            keys: BTreeSet::new(),
            connections: 0,
            in_connections: false,
            facts: SummaryFacts::default(),
            stated_verdict: None,
            stated_counts: None,
            counted: BTreeMap::new(),
            tried_tls: BTreeMap::new(),
        }
    }

    pub(super) fn problem(&mut self, text: String) {
        self.problems.push(text);
    }

    /// Notes a top-level key; false (and a problem) when it was seen before.
    pub(super) fn key_seen_first(&mut self, key: &str, at: &str) -> bool {
        let first = self.keys.insert(key.to_string());
        if !first {
            self.problems.push(format!("{at}key `{key}` appears twice"));
        }
        first
    }

    pub(super) fn state_verdict(&mut self, verdict: Option<String>) {
        if known(&verdict) {
            self.stated_verdict = verdict.as_deref().and_then(Verdict::from_name);
        } else {
            self.problems
                .push("`verdict` is not a known verdict name".to_string());
        }
    }

    /// `false` when a name is not a verdict's.
    pub(super) fn state_counts(&mut self, counts: BTreeMap<String, u64>) -> bool {
        let counts = counts
            .into_iter()
            .map(|(name, n)| Some((Verdict::from_name(&name)?, n)))
            .collect::<Option<BTreeMap<_, _>>>();
        let known = counts.is_some();
        self.stated_counts = counts;
        known
    }

    pub(super) fn state_policy(&mut self, policy: PolicyView) {
        self.facts.policy_sha256 = policy.sha256;
    }

    /// Compares what the summary states with what its connections say.
    pub(super) fn finish(self) -> SummaryFacts {
        self.into_facts()
    }
}

impl Judge<'_, '_> {
    fn into_facts(self) -> SummaryFacts {
        let Judge {
            mut problems,
            keys,
            facts,
            stated_verdict,
            stated_counts,
            counted,
            tried_tls,
            ..
        } = self;
        for key in SUMMARY_KEYS {
            if !keys.contains(key) {
                problems.push(format!("missing required key `{key}`"));
            }
        }
        if let Some(stated) = stated_counts
            && stated != counted
        {
            problems.push(format!(
                "`verdict_counts` says {} but the connections have {}",
                counts_text(&stated),
                counts_text(&counted)
            ));
        }
        let overall = verdict::of_capture(tried_tls.iter().map(|(&v, &tls)| (v, !tls)));
        if keys.contains("verdict") && stated_verdict != overall {
            problems.push(format!(
                "`verdict` is {} but the connections make it {}",
                stated_verdict.map_or("null", Verdict::as_str),
                overall.map_or("null", Verdict::as_str)
            ));
        }
        problems.finish();
        facts
    }
}

impl Judge<'_, '_> {
    fn read(&mut self, mut reader: impl BufRead) -> std::io::Result<()> {
        let mut line = Vec::with_capacity(256);
        let mut number = 0u64;
        let mut entry = Entry {
            kind: EntryKind::Preamble,
            line: 1,
            text: Vec::new(),
            oversized: false,
        };
        loop {
            line.clear();
            let n = (&mut reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            number += 1;
            if line.len() > MAX_LINE_BYTES {
                self.problems.push(format!(
                    "line {number} is longer than {MAX_LINE_BYTES} bytes (pcapscrub writes no \
                     such line); the summary is not read further"
                ));
                return Ok(());
            }
            self.scan_addresses(&line, number);
            if let Some(kind) = self.starts_entry(&line) {
                let done = std::mem::replace(
                    &mut entry,
                    Entry {
                        kind,
                        line: number,
                        text: Vec::new(),
                        oversized: false,
                    },
                );
                self.judge(done);
            }
            if entry.text.len() + line.len() > MAX_ENTRY_BYTES {
                entry.oversized = true;
                entry.text = Vec::new();
            }
            if !entry.oversized {
                entry.text.extend_from_slice(&line);
            }
        }
        self.judge(entry);
        Ok(())
    }

    /// The kind of entry a line starts, if it starts one: a line at column 0 is a top-level key,
    /// or (inside `connections`) the next item of the list. Comments and blank lines start none.
    fn starts_entry(&mut self, line: &[u8]) -> Option<EntryKind> {
        match line.first() {
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'#') => None,
            Some(b'-') if self.in_connections && matches!(line.get(1), Some(b' ' | b'\n')) => {
                Some(EntryKind::Connection)
            }
            Some(_) => {
                self.in_connections = line.starts_with(b"connections:");
                Some(EntryKind::Key)
            }
        }
    }

    pub(super) fn scan_addresses(&mut self, line: &[u8], number: u64) {
        for a in ip_literals(&String::from_utf8_lossy(line)) {
            if !address_allowed(a, self.allow) {
                let masked = mask(a);
                self.problems.push(format!(
                    "line {number}: holds an address the policy does not allow ({masked})"
                ));
            }
        }
    }

    fn judge(&mut self, entry: Entry) {
        let at = entry.line;
        if entry.oversized {
            self.problems.push(format!(
                "line {at}: an entry larger than {MAX_ENTRY_BYTES} bytes (pcapscrub writes none \
                 this large)"
            ));
            return;
        }
        let Ok(text) = std::str::from_utf8(&entry.text) else {
            self.problems.push(format!("line {at}: not UTF-8 text"));
            return;
        };
        let invalid = || format!("line {at}: not a valid summary (YAML mapping expected)");
        match entry.kind {
            EntryKind::Preamble => {
                let blank = text.lines().all(|l| {
                    let l = l.trim();
                    l.is_empty() || l.starts_with('#')
                });
                if !blank {
                    self.problems.push(invalid());
                }
            }
            EntryKind::Connection => {
                self.connections += 1;
                match serde_saphyr::from_str::<Vec<ConnectionView>>(text) {
                    Ok(list) if list.len() == 1 => self.judge_connection(&list[0]),
                    _ => self.problems.push(format!(
                        "line {at}: connection {} is not a valid YAML mapping",
                        self.connections
                    )),
                }
            }
            EntryKind::Key => self.judge_key(text, at),
        }
    }

    fn judge_key(&mut self, text: &str, at: u64) {
        let invalid = format!("line {at}: not a valid summary (YAML mapping expected)");
        let Ok(keys) =
            serde_saphyr::from_str::<std::collections::BTreeMap<String, IgnoredAny>>(text)
        else {
            self.problems.push(invalid);
            return;
        };
        let Some(key) = keys.into_keys().next() else {
            self.problems.push(invalid);
            return;
        };
        if !self.key_seen_first(&key, &format!("line {at}: ")) {
            return;
        }
        match key.as_str() {
            "verdict" => match serde_saphyr::from_str::<VerdictEntry>(text) {
                Ok(v) => self.state_verdict(v.verdict),
                Err(_) => self
                    .problems
                    .push("`verdict` is not a known verdict name".to_string()),
            },
            "verdict_counts" => {
                let known = serde_saphyr::from_str::<VerdictCountsEntry>(text)
                    .is_ok_and(|c| self.state_counts(c.verdict_counts));
                if !known {
                    self.problems.push(format!(
                        "line {at}: `verdict_counts` is not a mapping of verdict names to counts"
                    ));
                }
            }
            "policy" => match serde_saphyr::from_str::<PolicyEntry>(text) {
                Ok(p) => self.state_policy(p.policy),
                Err(_) => self.problems.push(format!(
                    "line {at}: `policy` is not a mapping with `name` and `sha256`"
                )),
            },
            // `connections: [...]` written inline: each item is judged as the block items are.
            "connections" => match serde_saphyr::from_str::<ConnectionsEntry>(text) {
                Ok(c) => {
                    for conn in c.connections.unwrap_or_default() {
                        self.next_connection(&conn);
                    }
                }
                Err(_) => self.problems.push(invalid),
            },
            _ => {}
        }
    }

    /// The next connection of the list, read whole.
    pub(super) fn next_connection(&mut self, c: &ConnectionView) {
        self.connections += 1;
        self.judge_connection(c);
    }

    fn judge_connection(&mut self, c: &ConnectionView) {
        if let Some(v) = c.verdict.as_deref().and_then(Verdict::from_name) {
            *self.counted.entry(v).or_insert(0) += 1;
            *self.tried_tls.entry(v).or_insert(false) |= !c.plaintext_protocol;
        }
        if c.verdict.is_none() || !known(&c.verdict) {
            self.problems.push(format!(
                "connection {} has no known verdict",
                self.connections
            ));
        }
        // The addresses in a path are judged with every line; its layers must be ones
        // pcapscrub names.
        let layers = c.path.iter().flatten();
        if layers.clone().any(|l| !known_layer(l)) || c.path.as_ref().is_some_and(Vec::is_empty) {
            self.problems.push(format!(
                "connection {} has a path pcapscrub does not write",
                self.connections
            ));
        }
    }
}

fn counts_text(counts: &BTreeMap<Verdict, u64>) -> String {
    if counts.is_empty() {
        return "none".to_string();
    }
    let parts: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    parts.join(", ")
}

/// A path layer as `path_text` writes it: a known encapsulation, its identifier where it has
/// one, and for a tunnel its two endpoint addresses.
fn known_layer(layer: &str) -> bool {
    let mut words = layer.split(' ');
    let name = words.next().unwrap_or_default();
    let (kind, id) = name.split_once(':').unwrap_or((name, ""));
    let id_ok = match kind {
        "gre" | "erspan" | "vxlan" | "geneve" => id.is_empty() || id.parse::<u32>().is_ok(),
        "mpls" | "ipip" | "6in4" | "4in6" | "6in6" | "gtpu" => name == kind,
        _ => false,
    };
    let ends: Vec<&str> = words.collect();
    let ends_ok = if kind == "mpls" {
        ends.is_empty()
    } else {
        ends.len() == 2 && ends.iter().all(|e| e.parse::<IpAddr>().is_ok())
    };
    id_ok && ends_ok
}

fn known(v: &Option<String>) -> bool {
    v.as_deref()
        .is_none_or(|name| Verdict::from_name(name).is_some())
}

/// An address shown without giving it away.
pub(super) fn mask(a: IpAddr) -> String {
    match a {
        IpAddr::V4(v4) => mask_ip(&v4.octets()),
        IpAddr::V6(v6) => mask_ip(&v6.octets()),
    }
}

/// Every IPv4/IPv6 literal in a text (tokens of address characters that parse as one).
pub(super) fn ip_literals(text: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':')) {
        let token = token.trim_matches(|c| c == ':' || c == '.');
        if let Ok(a) = token.parse::<IpAddr>() {
            out.push(a);
        } else if let Some((host, _port)) = token.rsplit_once(':')
            && let Ok(a) = host.parse::<std::net::Ipv4Addr>()
        {
            out.push(IpAddr::V4(a));
        }
    }
    out
}
