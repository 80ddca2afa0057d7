//! Capture inputs named on the command line: a path, or `-` for standard input spooled to a
//! temporary file (both passes need to read it).

use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

pub struct Input {
    /// How messages name it: the path as given, or `stdin`.
    pub name: String,
    /// The output file stem.
    pub stem: String,
    path: PathBuf,
    _spool: Option<NamedTempFile>,
}

impl Input {
    pub fn resolve(arg: &str) -> Result<Input> {
        if arg == "-" {
            let mut spool = NamedTempFile::new()
                .context("cannot create a temporary file for standard input")?;
            io::copy(&mut io::stdin().lock(), spool.as_file_mut())
                .context("cannot read standard input")?;
            let path = spool.path().to_path_buf();
            return Ok(Input {
                name: "stdin".into(),
                stem: "stdin".into(),
                path,
                _spool: Some(spool),
            });
        }
        let path = PathBuf::from(arg);
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(strip_capture_extension)
            .unwrap_or("capture")
            .to_string();
        Ok(Input {
            name: arg.to_string(),
            stem,
            path,
            _spool: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file name (no folder) for the summary.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|_| self._spool.is_none())
            .unwrap_or("stdin")
            .to_string()
    }
}

fn strip_capture_extension(name: &str) -> &str {
    for ext in [".pcapng", ".pcap", ".cap", ".dmp"] {
        if let Some(stem) = name.strip_suffix(ext).filter(|s| !s.is_empty()) {
            return stem;
        }
    }
    name
}
