//! `pcapscrub check PATH...`: the pre-commit / CI gate. Exit 0 clean, 1 findings, 2 unreadable.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

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
}

/// The outcome over all files.
pub struct CheckOutcome {
    pub report: String,
    pub findings: usize,
    pub errors: usize,
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
    for e in &errors {
        let _ = writeln!(text, "{e}");
        yaml.push(YamlFile {
            file: e.clone(),
            error: Some(e.clone()),
            findings: Vec::new(),
            more_findings: 0,
        });
    }
    let mut error_count = errors.len();
    for file in files {
        let name = file.display().to_string();
        match check::check_file(&file, &name, opts.policy) {
            Ok(mut report) => {
                report.findings = aggregate(report.findings);
                total += report.findings.len();
                let more = report.findings.len().saturating_sub(opts.max_findings);
                report.findings.truncate(opts.max_findings);
                for f in &report.findings {
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
                    findings: report.findings,
                    more_findings: more,
                });
            }
            Err(e) => {
                error_count += 1;
                let line = format!("{e:#}");
                let _ = writeln!(text, "{line}");
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
    }
}

/// One line per (kind, detail), at its first packet, with how many packets share it; most
/// important kinds first.
fn aggregate(findings: Vec<Finding>) -> Vec<Finding> {
    let mut groups: Vec<(Finding, usize)> = Vec::new();
    let mut index: std::collections::HashMap<(check::FindingKind, String), usize> =
        std::collections::HashMap::new();
    for f in findings {
        match index.get(&(f.kind, f.detail.clone())) {
            Some(&i) => groups[i].1 += 1,
            None => {
                index.insert((f.kind, f.detail.clone()), groups.len());
                groups.push((f, 1));
            }
        }
    }
    groups.sort_by_key(|(f, _)| (f.kind, f.packet));
    groups
        .into_iter()
        .map(|(mut f, n)| {
            if n > 1 {
                f.detail = format!("{} (and {} more packets)", f.detail, n - 1);
            }
            f
        })
        .collect()
}

/// Files to check under `path`: named capture files, and any file that starts with a capture
/// magic number. Explicitly named files are always checked.
fn collect(path: &Path, explicit: bool, files: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(format!(
                "{}: cannot read it: {}",
                path.display(),
                crate::capture::reader::io_reason(&e)
            ));
            return;
        }
    };
    if meta.is_dir() {
        let skip = path
            .file_name()
            .is_some_and(|n| n == ".git" || n == "target");
        if skip && !explicit {
            return;
        }
        let Ok(entries) = fs::read_dir(path) else {
            errors.push(format!("{}: cannot list the folder", path.display()));
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

fn looks_like_capture(path: &Path) -> bool {
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
