//! `pcapscrub verify OUTDIR`: re-check an evidence folder — hashes, captures, summaries.
//! Exit 0 good, 1 mismatch or findings, 2 error.

mod summary;
mod summary_json;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::allowlist::Allowlist;
use crate::anonymize::address_allowed;
use crate::check;
use crate::policy::{self, Policy};
use crate::report::evidence::{POLICY_FILE, REPORT_FILE, SUMS_FILE};
use crate::report::hashing::sha256_file;

pub struct VerifyOutcome {
    pub problems: Vec<String>,
}

/// What `verify --format yaml|json` prints.
#[derive(serde::Serialize)]
struct MachineOutcome<'a> {
    outdir: String,
    verified: bool,
    problems: &'a [String],
}

impl VerifyOutcome {
    /// The report in `format`: one line per problem (or that the evidence verified) as text,
    /// else one YAML mapping or JSON object with the same facts.
    pub fn render(&self, dir: &Path, format: super::diagnose::OutputFormat) -> String {
        use super::diagnose::OutputFormat;
        let machine = MachineOutcome {
            outdir: dir.display().to_string(),
            verified: self.problems.is_empty(),
            problems: &self.problems,
        };
        match format {
            OutputFormat::Text if self.problems.is_empty() => {
                format!("{}: evidence verified\n", dir.display())
            }
            OutputFormat::Text => self.problems.iter().map(|p| format!("{p}\n")).collect(),
            OutputFormat::Yaml => serde_saphyr::to_string(&machine).unwrap_or_default(),
            OutputFormat::Json => serde_json::to_string_pretty(&machine).unwrap_or_default() + "\n",
        }
    }
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
    let (policy, policy_sha256) = evidence_policy(dir, &mut problems);
    let allow = policy.allowlist();
    for name in names.iter().filter(|n| listed.contains(*n)) {
        let path = dir.join(name);
        let summary = if name.ends_with(".summary.yaml") {
            Some(summary::check_summary(&path, &allow, &mut problems))
        } else if name.ends_with(".summary.json") {
            Some(summary_json::check_summary(&path, &allow, &mut problems))
        } else {
            None
        };
        if let Some(facts) = summary {
            if let (Some(recorded), Some(actual)) = (&facts.policy_sha256, &policy_sha256)
                && recorded != actual
            {
                problems.push(format!(
                    "{}: its policy sha256 is not the SHA-256 of {POLICY_FILE}",
                    path.display()
                ));
            }
        } else if name.ends_with(".sanitized.txt") {
            check_client_log(&path, &allow, &mut problems);
        } else if name == REPORT_FILE || name.ends_with(".ladder.svg") {
            check_visual(&path, &allow, &mut problems);
        } else if name.contains(".sanitized.pcap") {
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

/// The policy the evidence carries, and the SHA-256 of its file. A missing or broken
/// `policy.yaml` is a problem; the captures are then judged under the default policy, so that
/// every other problem is still reported.
fn evidence_policy(dir: &Path, problems: &mut Vec<String>) -> (Policy, Option<String>) {
    let path = dir.join(POLICY_FILE);
    if !path.exists() {
        problems.push(format!(
            "{}: missing: the evidence does not say which policy it was made under",
            path.display()
        ));
        return (Policy::default(), None);
    }
    match policy::load_canonical(&path) {
        Ok(p) => {
            let sha256 = p.sha256_hex();
            (p, Some(sha256))
        }
        Err(e) => {
            problems.push(e);
            (Policy::default(), None)
        }
    }
}

/// The text of an evidence file (bytes that are not UTF-8 shown as replacement characters), or
/// `None` with the problem noted.
fn read_text(path: &Path, problems: &mut Vec<String>) -> Option<String> {
    match fs::read(path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(_) => {
            problems.push(format!("{}: unreadable", path.display()));
            None
        }
    }
}

/// A sanitized client log holds only lines the sanitizer writes: each fits a known shape,
/// sanitizes to itself, and names only pseudonyms or what the policy allows.
fn check_client_log(path: &Path, allow: &Allowlist, problems: &mut Vec<String>) {
    const SHOWN: usize = 20;
    let shown = path.display();
    let Some(text) = read_text(path, problems) else {
        return;
    };
    let pseudonym = |name: &str| {
        crate::redact::is_reserved_name(name.as_bytes())
            || name.bytes().all(|c| c == b'x')
            || allow.allows_name(name.as_bytes())
    };
    let bad = crate::client_log::unsanitized_lines(&text, |a| address_allowed(a, allow), pseudonym);
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
/// allowed) and show no address the policy does not allow.
fn check_visual(path: &Path, allow: &Allowlist, problems: &mut Vec<String>) {
    let shown = path.display();
    let Some(text) = read_text(path, problems) else {
        return;
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
    let outside: BTreeSet<String> = summary::ip_literals(&text)
        .into_iter()
        .filter(|a| !address_allowed(*a, allow))
        .map(summary::mask)
        .collect();
    for a in outside.iter().take(20) {
        problems.push(format!(
            "{shown}: address {a} outside the documentation ranges and the policy's allowlist"
        ));
    }
}
