//! Capture inputs named on the command line: a path, or `-` for standard input spooled to a
//! temporary file (both passes need to read it).

use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

use crate::interrupt;

/// How messages name standard input.
pub const STANDARD_INPUT: &str = "standard input";

pub struct Input {
    /// How messages name it: the path as given, or "standard input".
    pub name: String,
    path: PathBuf,
    _spool: Option<NamedTempFile>,
}

impl Input {
    pub fn resolve(arg: &str) -> Result<Input> {
        if arg == "-" {
            let mut spool = interrupt::create_tracked(NamedTempFile::new, |f| f.path())
                .context("cannot create a temporary file to hold standard input")?;
            io::copy(&mut io::stdin().lock(), spool.as_file_mut()).with_context(|| {
                format!("cannot copy {STANDARD_INPUT} to {}", spool.path().display())
            })?;
            let path = spool.path().to_path_buf();
            return Ok(Input {
                name: STANDARD_INPUT.into(),
                path,
                _spool: Some(spool),
            });
        }
        Ok(Input {
            name: arg.to_string(),
            path: PathBuf::from(arg),
            _spool: None,
        })
    }

    /// Every capture named on the command line, in order.
    pub fn resolve_all(args: &[String]) -> Result<Vec<Input>> {
        args.iter().map(|a| Input::resolve(a)).collect()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size in bytes (0 when it cannot be read: opening it will say why).
    pub fn size_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// Where the input came from, for the sender's private mapping: the absolute path, or
    /// "standard input".
    pub fn origin(&self) -> String {
        if self._spool.is_some() {
            return STANDARD_INPUT.to_string();
        }
        std::path::absolute(&self.path)
            .unwrap_or_else(|_| self.path.clone())
            .to_string_lossy()
            .into_owned()
    }
}
