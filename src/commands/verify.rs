//! `pcapscrub verify OUTDIR`: re-check an evidence folder — hashes, captures, summaries.
//! Exit 0 good, 1 mismatch or findings, 2 error.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::analyze::verdict::Verdict;
use crate::check;
use crate::policy::{self, Policy};
use crate::report::evidence::{REPORT_FILE, SUMS_FILE};
use crate::report::hashing::sha256_file;

/// Keys every summary must have (SPEC §5).
const SUMMARY_KEYS: [&str; 7] = [
    "tool",
    "input",
    "output",
    "policy",
    "redactions",
    "connections",
    "verdict",
];

pub struct VerifyOutcome {
    pub problems: Vec<String>,
}

pub fn run(dir: &Path) -> Result<VerifyOutcome> {
    let shown = dir.display();
    if !dir.is_dir() {
        bail!("{shown} is not a folder");
    }
    let sums_path = dir.join(SUMS_FILE);
    let sums = fs::read_to_string(&sums_path)
        .with_context(|| format!("cannot read {}", sums_path.display()))?;
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for (i, line) in sums.lines().enumerate() {
        let Some((digest, name)) = line.split_once("  ") else {
            problems.push(format!(
                "{}:{}: not a `<sha256>  <file>` line",
                sums_path.display(),
                i + 1
            ));
            continue;
        };
        listed.insert(name.to_string());
        let path = dir.join(name);
        if name.contains('/') || name.starts_with('.') {
            problems.push(format!(
                "{}: listed name `{name}` is not a plain file name",
                sums_path.display()
            ));
            continue;
        }
        match sha256_file(&path) {
            Ok(actual) if actual == digest => {}
            Ok(_) => problems.push(format!(
                "{}: SHA-256 does not match SHA256SUMS (modified)",
                path.display()
            )),
            Err(_) => problems.push(format!(
                "{}: listed in SHA256SUMS but missing",
                path.display()
            )),
        }
    }
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {shown}"))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        if name != SUMS_FILE && !listed.contains(name) {
            problems.push(format!(
                "{}: not listed in SHA256SUMS (added)",
                dir.join(name).display()
            ));
        }
    }
    for name in names.iter().filter(|n| listed.contains(*n)) {
        let path = dir.join(name);
        if name.ends_with(".summary.yaml") {
            check_summary(&path, &mut problems);
        } else if name.ends_with(".sanitized.txt") {
            check_client_log(&path, &mut problems);
        } else if name == REPORT_FILE || name.ends_with(".ladder.svg") {
            check_visual(&path, &mut problems);
        } else if name.contains(".sanitized.pcap") {
            let policy = summary_policy(dir, name).unwrap_or_default();
            match check::check_file(&path, &path.display().to_string(), &policy) {
                Ok(report) => {
                    let findings = report.into_findings();
                    let more = findings.len().saturating_sub(20);
                    for f in findings.iter().take(20) {
                        let at = if f.packet == 0 {
                            "-".to_string()
                        } else {
                            f.packet.to_string()
                        };
                        problems.push(format!(
                            "{}:{at}: {}: {}",
                            path.display(),
                            f.kind.as_str(),
                            f.detail
                        ));
                    }
                    if more > 0 {
                        problems.push(format!("{}: … and {more} more findings", path.display()));
                    }
                }
                Err(e) => problems.push(format!("{e:#}")),
            }
        }
    }
    Ok(VerifyOutcome { problems })
}

/// The policy the capture was sanitized with, from its summary (a built-in name); `check` then
/// judges the capture against that same policy.
fn summary_policy(dir: &Path, capture: &str) -> Option<Policy> {
    let stem = capture.split(".sanitized.").next()?;
    let text = fs::read_to_string(dir.join(format!("{stem}.summary.yaml"))).ok()?;
    let doc: SummaryView = serde_saphyr::from_str(&text).ok()?;
    policy::builtin(&doc.policy?.name?)
}

/// The parts of a summary that `verify` reads (everything else is ignored).
#[derive(Deserialize)]
struct SummaryView {
    #[serde(default)]
    verdict: Option<String>,
    #[serde(default)]
    connections: Vec<ConnectionView>,
    #[serde(default)]
    policy: Option<PolicyView>,
}

#[derive(Deserialize)]
struct ConnectionView {
    #[serde(default)]
    verdict: Option<String>,
}

#[derive(Deserialize)]
struct PolicyView {
    #[serde(default)]
    name: Option<String>,
}

fn check_summary(path: &Path, problems: &mut Vec<String>) {
    let shown = path.display();
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(_) => {
            problems.push(format!("{shown}: unreadable"));
            return;
        }
    };
    let keys: Result<BTreeMap<String, IgnoredAny>, _> = serde_saphyr::from_str(&text);
    let (Ok(keys), Ok(doc)) = (keys, serde_saphyr::from_str::<SummaryView>(&text)) else {
        problems.push(format!(
            "{shown}: not a valid summary (YAML mapping expected)"
        ));
        return;
    };
    for key in SUMMARY_KEYS {
        if !keys.contains_key(key) {
            problems.push(format!("{shown}: missing required key `{key}`"));
        }
    }
    let known = |v: &Option<String>| {
        v.as_deref()
            .is_none_or(|name| Verdict::from_name(name).is_some())
    };
    if !known(&doc.verdict) {
        problems.push(format!("{shown}: `verdict` is not a known verdict name"));
    }
    for (i, c) in doc.connections.iter().enumerate() {
        if c.verdict.is_none() || !known(&c.verdict) {
            problems.push(format!(
                "{shown}: connection {} has no known verdict",
                i + 1
            ));
        }
    }
    for literal in ip_literals(&text) {
        if !allowed_address(&literal) {
            problems.push(format!(
                "{shown}: holds an address outside the documentation ranges ({})",
                mask(&literal)
            ));
        }
    }
}

/// A sanitized client log holds only lines the sanitizer writes: each fits a known shape,
/// sanitizes to itself, and names only pseudonyms.
fn check_client_log(path: &Path, problems: &mut Vec<String>) {
    const SHOWN: usize = 20;
    let shown = path.display();
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => {
            problems.push(format!("{shown}: unreadable"));
            return;
        }
    };
    let pseudonym = |name: &str| {
        crate::analyze::redact::is_reserved_name(name.as_bytes()) || name.bytes().all(|c| c == b'x')
    };
    let bad = crate::client_log::unsanitized_lines(&text, |a| allowed_address(&a), pseudonym);
    for line in bad.iter().take(SHOWN) {
        problems.push(format!(
            "{shown}:{line}: not a line the client-log sanitizer writes (unknown shape or unmapped value)"
        ));
    }
    if bad.len() > SHOWN {
        problems.push(format!(
            "{shown}: … and {} more such lines",
            bad.len() - SHOWN
        ));
    }
}

/// report.html and the ladder SVG are opened by people in browsers: they must fetch nothing
/// (no URL; a standalone SVG's namespace declaration is a name, not a fetch, and the only one
/// allowed) and show no address outside the documentation ranges the mapping uses.
fn check_visual(path: &Path, problems: &mut Vec<String>) {
    let shown = path.display();
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => {
            problems.push(format!("{shown}: unreadable"));
            return;
        }
    };
    let namespace = format!("xmlns=\"{}\"", crate::report::ladder::SVG_NAMESPACE);
    let text = text.replacen(&namespace, "", 1).to_ascii_lowercase();
    for scheme in ["http:", "https:"] {
        if text.contains(scheme) {
            problems.push(format!("{shown}: holds a `{scheme}` URL"));
        }
    }
    if text.contains("<script") {
        problems.push(format!("{shown}: holds a script"));
    }
    let outside: BTreeSet<String> = ip_literals(&text)
        .iter()
        .filter(|a| !allowed_address(a))
        .map(mask)
        .collect();
    for a in outside.iter().take(20) {
        problems.push(format!(
            "{shown}: address {a} outside the documentation ranges"
        ));
    }
}

fn mask(addr: &std::net::IpAddr) -> String {
    match addr {
        std::net::IpAddr::V4(a) => crate::check::finding::mask_ip(&a.octets()),
        std::net::IpAddr::V6(a) => crate::check::finding::mask_ip(&a.octets()),
    }
}

/// Every IPv4/IPv6 literal in a text (tokens of address characters that parse as one).
fn ip_literals(text: &str) -> Vec<std::net::IpAddr> {
    let mut out = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':')) {
        let token = token.trim_matches(|c| c == ':' || c == '.');
        if let Ok(a) = token.parse::<std::net::IpAddr>() {
            out.push(a);
        } else if let Some((host, _port)) = token.rsplit_once(':')
            && let Ok(a) = host.parse::<std::net::Ipv4Addr>()
        {
            out.push(std::net::IpAddr::V4(a));
        }
    }
    out
}

fn allowed_address(a: &std::net::IpAddr) -> bool {
    match a {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            matches!(
                o,
                [192, 0, 2, _]
                    | [198, 51, 100, _]
                    | [203, 0, 113, _]
                    | [198, 18 | 19, _, _]
                    | [127, ..]
                    | [0, ..]
            ) || v4.is_multicast()
                || v4.is_broadcast()
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            (s[0] == 0x2001 && s[1] == 0x0db8)
                || v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}
