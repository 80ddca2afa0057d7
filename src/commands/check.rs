//! `pcapscrub check PATH...`: the pre-commit / CI gate. Exit 0 clean, 1 findings, 2 unreadable.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::check::{self, Finding};
use crate::policy::Policy;

use super::diagnose::OutputFormat;

/// File name endings that are captures whatever their content says (then confirmed by magic).
const CAPTURE_EXTENSIONS: [&str; 4] = ["pcap", "pcapng", "cap", "dmp"];

pub struct CheckOptions<'a> {
    pub paths: &'a [PathBuf],
    pub policy: &'a Policy,
    pub format: OutputFormat,
    pub max_findings: usize,
    /// Files checked at once (0: one per core).
    pub jobs: usize,
}

/// The outcome over all files.
pub struct CheckOutcome {
    pub report: String,
    pub findings: usize,
    pub errors: usize,
    /// One sentence per unreadable input, for stderr.
    pub error_lines: Vec<String>,
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
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in opts.paths {
        collect(p, true, &mut files, &mut errors);
    }
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
    let check_one = |file: &PathBuf| {
        let name = file.display().to_string();
        let result = check_maybe_gzipped(file, &name, opts.policy);
        (name, result)
    };
    let results: Vec<_> = match super::thread_pool(opts.jobs) {
        Ok(pool) => pool.install(|| files.par_iter().map(check_one).collect()),
        Err(_) => files.iter().map(check_one).collect(),
    };
    for (name, result) in results {
        match result {
            Ok(report) => {
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
    };
    CheckOutcome {
        report,
        findings: total,
        errors: error_count,
        error_lines,
    }
}

/// Files to check under `path`: named capture files, and any file that starts with a capture
/// magic number. Explicitly named files are always checked.
fn collect(
    path: &Path,
    explicit: bool,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<(String, String)>,
) {
    let shown = path.display().to_string();
    // Links are followed to files (a gate must not pass a linked capture), but not into
    // folders while recursing (no loops).
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let why = crate::capture::reader::io_reason(&e);
            errors.push((shown.clone(), format!("{shown}: cannot read it: {why}")));
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
            errors.push((shown.clone(), format!("{shown}: cannot list the folder")));
            return;
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            collect(&child, false, files, errors);
        }
    } else if meta.is_file() && (explicit || looks_like_capture(path)) {
        files.push(path.to_path_buf());
    }
}

/// Checks a capture, decompressing a gzip-compressed one first (into a temporary file: both
/// passes need to read it).
fn check_maybe_gzipped(
    path: &Path,
    name: &str,
    policy: &Policy,
) -> anyhow::Result<check::FileReport> {
    if !is_gzip(path) {
        return check::check_file(path, name, policy);
    }
    let mut spool = tempfile::NamedTempFile::new()?;
    let file = File::open(path)?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    std::io::copy(&mut decoder, spool.as_file_mut())
        .map_err(|e| anyhow::anyhow!("{name}: cannot decompress it: {e}"))?;
    check::check_file(spool.path(), name, policy)
}

fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

fn looks_like_capture(path: &Path) -> bool {
    // `x.pcap.gz`: a compressed capture, checked after decompression.
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if let Some(inner) = name.strip_suffix(".gz")
        && CAPTURE_EXTENSIONS
            .iter()
            .any(|e| inner.ends_with(&format!(".{e}")))
        && is_gzip(path)
    {
        return true;
    }
    let by_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| CAPTURE_EXTENSIONS.iter().any(|c| e.eq_ignore_ascii_case(c)));
    by_name || has_capture_magic(path)
}

fn has_capture_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    if f.read_exact(&mut magic).is_err() {
        return false;
    }
    matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    )
}
