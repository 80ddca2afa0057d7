//! The errors of loading or parsing a policy.

use std::path::{Path, PathBuf};

use super::builtin::BUILTIN_NAMES;

/// Errors from loading or parsing a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy file could not be read.
    ///
    /// The I/O error's text is part of this error's message, so it is
    /// deliberately not also exposed as `source()`: printing the chain
    /// (`{:#}` with anyhow) would otherwise repeat it.
    #[error("{}", io_message(file, error))]
    Io {
        /// The path as given.
        file: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The policy text is not a valid policy.
    #[error("policy {origin}, line {line}: {message}")]
    Invalid {
        /// Where the text came from (a path, or `builtin NAME`).
        origin: String,
        /// 1-based line of the problem.
        line: u64,
        /// What is wrong, without the location.
        message: String,
    },
}

fn io_message(file: &Path, error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::NotFound {
        format!(
            "policy file `{}` does not exist, and it is not a built-in policy ({})",
            file.display(),
            BUILTIN_NAMES.join(", ")
        )
    } else {
        format!("cannot read policy file `{}`: {error}", file.display())
    }
}
