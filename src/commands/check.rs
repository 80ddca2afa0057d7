//! `pcapscrub check PATH...`: the pre-commit / CI gate. Exit 0 clean, 1 findings, 2 unreadable.
//!
//! Which files are captures is decided by content (see `check::sniff`); `-` is standard input.
//! An evidence folder named on the command line is judged under the policy it carries.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use tempfile::NamedTempFile;

use crate::check::sniff::{self, Content};
use crate::check::{self, Finding};
use crate::policy::{self, Policy};
use crate::report::evidence::{POLICY_FILE, SUMS_FILE};

use super::diagnose::OutputFormat;
use super::progress::{FileBar, Progress};

/// The argument that names standard input.
const STDIN_ARG: &str = "-";
/// How standard input is named in findings and errors.
const STDIN_NAME: &str = "standard input";

pub struct CheckOptions<'a> {
    pub paths: &'a [PathBuf],
    /// The policy given with `-p`; without one, an evidence folder's own policy, else the
    /// default.
    pub policy: Option<&'a Policy>,
    pub format: OutputFormat,
    pub max_findings: usize,
    /// Files checked at once (0: one per core).
    pub jobs: usize,
    /// The key logs given with `--keylog`: pass 1 reads them as `sanitize` does (what
    /// `sanitize` writes is the same with and without them).
    pub keylog: Option<std::sync::Arc<crate::keylog::KeyLog>>,
}

/// The outcome over all files.
pub struct CheckOutcome {
    pub report: String,
    pub findings: usize,
    pub errors: usize,
    /// One sentence per unreadable input, for stderr.
    pub error_lines: Vec<String>,
    /// Which evidence folders were judged under their own policy, for stderr.
    pub notes: Vec<String>,
}

/// One file to check.
struct Target {
    path: PathBuf,
    /// How findings and errors name it.
    name: String,
    /// Index into the policies in use.
    policy: usize,
    /// Standard input's copy, removed when the target is dropped.
    _spool: Option<NamedTempFile>,
}

/// The files to check, the policies they are judged under, and the inputs that failed.
struct Collected {
    targets: Vec<Target>,
    policies: Vec<Policy>,
    errors: Vec<(String, String)>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct YamlFile {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    findings: Vec<Finding>,
    more_findings: usize,
}

pub fn run(opts: &CheckOptions<'_>) -> CheckOutcome {
    let mut c = Collected {
        targets: Vec::new(),
        policies: vec![opts.policy.cloned().unwrap_or_default()],
        errors: Vec::new(),
        notes: Vec::new(),
    };
    for p in opts.paths {
        if p.as_os_str() == STDIN_ARG {
            c.stdin();
        } else {
            let policy = c.policy_for(p, opts.policy.is_some());
            c.collect(p, true, policy);
        }
    }
    let Collected {
        targets: files,
        policies,
        errors,
        mut notes,
    } = c;
    let mut yaml = Vec::new();
    let mut text = String::new();
    let mut total = 0;
    let mut error_lines = Vec::new();
    for (file, e) in &errors {
        error_lines.push(e.clone());
        yaml.push(YamlFile {
            file: file.clone(),
            error: Some(e.clone()),
            findings: Vec::new(),
            more_findings: 0,
        });
    }
    let mut error_count = errors.len();
    // Files are independent (each gets its own throw-away key): check them on every core, then
    // report in the order they were found.
    let progress = Progress::on_terminal();
    let count = files.len();
    let check_one = |(k, t): (usize, &Target)| {
        let len = std::fs::metadata(&t.path).map_or(0, |m| m.len());
        let bar = progress.file("check", &t.name, (k + 1, count), len, 2);
        let result = check_maybe_gzipped(
            &t.path,
            &t.name,
            &policies[t.policy],
            &bar,
            opts.keylog.clone(),
        );
        bar.finish();
        (t.name.clone(), result)
    };
    let results: Vec<_> = match super::thread_pool(opts.jobs) {
        Ok(pool) => pool.install(|| files.par_iter().enumerate().map(check_one).collect()),
        Err(_) => files.iter().enumerate().map(check_one).collect(),
    };
    for (name, result) in results {
        match result {
            Ok(mut report) => {
                notes.append(&mut report.keylog_notes);
                let mut findings = report.into_findings();
                total += findings.len();
                let more = findings.len().saturating_sub(opts.max_findings);
                findings.truncate(opts.max_findings);
                for f in &findings {
                    let at = if f.packet == 0 {
                        "-".to_string()
                    } else {
                        f.packet.to_string()
                    };
                    let _ = writeln!(text, "{name}:{at}: {}: {}", f.kind.as_str(), f.detail);
                }
                if more > 0 {
                    let _ = writeln!(text, "{name}: … and {more} more findings");
                }
                yaml.push(YamlFile {
                    file: name,
                    error: None,
                    findings,
                    more_findings: more,
                });
            }
            Err(e) => {
                error_count += 1;
                let line = format!("{e:#}");
                error_lines.push(line.clone());
                yaml.push(YamlFile {
                    file: name,
                    error: Some(line),
                    findings: Vec::new(),
                    more_findings: 0,
                });
            }
        }
    }
    let report = match opts.format {
        OutputFormat::Text => text,
        OutputFormat::Yaml => serde_saphyr::to_string(&yaml).unwrap_or_default(),
        OutputFormat::Json => serde_json::to_string_pretty(&yaml).unwrap_or_default() + "\n",
    };
    CheckOutcome {
        report,
        findings: total,
        errors: error_count,
        error_lines,
        notes,
    }
}

impl Collected {
    /// The policy for files under `path`: an evidence folder named on the command line (it has
    /// SHA256SUMS and policy.yaml) is judged under its own policy unless `-p` was given. Only a
    /// folder named explicitly: a policy file met while recursing must not widen the gate.
    fn policy_for(&mut self, path: &Path, explicit_policy: bool) -> usize {
        let own = path.join(POLICY_FILE);
        if explicit_policy || !path.join(SUMS_FILE).is_file() || !own.is_file() {
            return 0;
        }
        match policy::load_canonical(&own) {
            Ok(p) => {
                self.notes.push(format!(
                    "{}: checked under the evidence's own policy `{}` (sha256 {})",
                    path.display(),
                    p.name,
                    p.sha256_hex()
                ));
                self.policies.push(p);
                self.policies.len() - 1
            }
            Err(e) => {
                self.errors.push((own.display().to_string(), e));
                0
            }
        }
    }

    /// Standard input, copied to a temporary file (the check reads a capture twice) and then
    /// treated like a file named on the command line.
    fn stdin(&mut self) {
        let spool = NamedTempFile::new().and_then(|mut f| {
            std::io::copy(&mut std::io::stdin().lock(), f.as_file_mut())?;
            Ok(f)
        });
        let spool = match spool {
            Ok(f) => f,
            Err(e) => {
                let why = crate::capture::reader::io_reason(&e);
                let line = format!("{STDIN_NAME}: cannot read it: {why}");
                self.errors.push((STDIN_NAME.to_string(), line));
                return;
            }
        };
        match sniff::sniff(spool.path()) {
            Ok(Content::Other) => {}
            Ok(_) => self.targets.push(Target {
                path: spool.path().to_path_buf(),
                name: STDIN_NAME.to_string(),
                policy: 0,
                _spool: Some(spool),
            }),
            Err(e) => self.errors.push((
                STDIN_NAME.to_string(),
                format!("{STDIN_NAME}: cannot decompress it: {e}"),
            )),
        }
    }

    /// Files to check under `path`: every file whose content is a capture (or a gzip-compressed
    /// one), and every file named as a capture (so one that does not parse is an error).
    fn collect(&mut self, path: &Path, explicit: bool, policy: usize) {
        let shown = path.display().to_string();
        // Links are followed to files (a gate must not pass a linked capture), but not into
        // folders while recursing (no loops).
        let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                let why = crate::capture::reader::io_reason(&e);
                self.errors
                    .push((shown.clone(), format!("{shown}: cannot read it: {why}")));
                return;
            }
        };
        if meta.is_dir() {
            // .git holds history, not files to commit; a build folder marked with CACHEDIR.TAG
            // (cargo's target/) holds only generated files.
            let skip = is_link
                || path.file_name().is_some_and(|n| n == ".git")
                || path.join("CACHEDIR.TAG").is_file();
            if skip && !explicit {
                return;
            }
            let Ok(entries) = fs::read_dir(path) else {
                self.errors
                    .push((shown.clone(), format!("{shown}: cannot list the folder")));
                return;
            };
            let mut children: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            children.sort();
            for child in children {
                self.collect(&child, false, policy);
            }
            return;
        }
        if !meta.is_file() {
            return;
        }
        let chosen = match sniff::sniff(path) {
            Ok(content) => content.is_capture() || sniff::named_as_capture(path),
            // Named as a capture: the check itself reports why it cannot be read.
            Err(_) if sniff::named_as_capture(path) => true,
            Err(e) => {
                let why = crate::capture::reader::io_reason(&e);
                self.errors.push((
                    shown.clone(),
                    format!("{shown}: cannot read it to tell whether it is a capture: {why}"),
                ));
                return;
            }
        };
        if chosen {
            self.targets.push(Target {
                path: path.to_path_buf(),
                name: shown,
                policy,
                _spool: None,
            });
        }
    }
}

/// Checks a capture, decompressing a gzip-compressed one first (into a temporary file: both
/// passes need to read it).
fn check_maybe_gzipped(
    path: &Path,
    name: &str,
    policy: &Policy,
    bar: &FileBar,
    keylog: Option<std::sync::Arc<crate::keylog::KeyLog>>,
) -> anyhow::Result<check::FileReport> {
    if !is_gzip(path) {
        return check::check_file_reporting(path, name, policy, [bar.pass(0), bar.pass(1)], keylog);
    }
    let mut spool = tempfile::NamedTempFile::new()?;
    let file = File::open(path)?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    std::io::copy(&mut decoder, spool.as_file_mut())
        .map_err(|e| anyhow::anyhow!("{name}: cannot decompress it: {e}"))?;
    check::check_file_reporting(spool.path(), name, policy, [None, None], keylog)
}

fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}
