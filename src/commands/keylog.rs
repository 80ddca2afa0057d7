//! `--keylog FILE` (repeatable): the key logs read once for the whole run, and the one-line
//! note each capture gets about them. Messages name a key log file and a line number, never a
//! line's content (it may be key material).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use crate::analyze::Analysis;
use crate::keylog::KeyLog;

/// Largest key log read (a browser's log over weeks stays far below).
const MAX_KEYLOG_BYTES: u64 = 256 << 20;

/// Reads every key log given; `None` when none was. An unreadable file is an error naming
/// it; lines that are not key log lines are counted, and the first of each file is noted.
pub fn load(paths: &[PathBuf]) -> Result<Option<Arc<KeyLog>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut log = KeyLog::default();
    for path in paths {
        let name = path.display().to_string();
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_KEYLOG_BYTES {
            anyhow::bail!(
                "key log {name}: {size} bytes, more than the {MAX_KEYLOG_BYTES} a key log may have"
            );
        }
        let text = zeroize::Zeroizing::new(
            std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read key log {name}: {}", io_reason(&e)))?,
        );
        log.read(&name, &text);
    }
    for bad in &log.first_malformed {
        eprintln!("note: {bad} (lines like it are ignored and counted)");
    }
    Ok(Some(Arc::new(log)))
}

/// What a capture made of the key logs, in one line for standard error (`None` without any).
pub fn note(label: &str, analysis: &Analysis) -> Option<String> {
    for bad in &analysis.keylog_notes {
        eprintln!("note: {label}: {bad}");
    }
    analysis.keylog.map(|t| t.describe(label))
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
