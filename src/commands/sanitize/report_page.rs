//! `report.html`, assembled from the captures' parts (scratch files made by
//! `crate::report::visual::render`) into a temporary file of the evidence folder, hashed as it
//! is written, then scanned by the canary a batch of lines at a time. The page has a table row
//! per connection, so it grows with the captures: it is never held in memory whole
//! (docs/architecture.md, "Memory").

use std::fs::File;
use std::io::{BufWriter, Seek};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

use crate::canary::Canary;
use crate::report::evidence::{EvidenceDir, REPORT_FILE};
use crate::report::hashing::HashingWriter;
use crate::report::html;

/// The page, written and scanned, with its SHA-256 (hex), ready to be staged.
pub fn write(
    evidence: &EvidenceDir,
    canary: &Canary,
    parts: &mut [File],
) -> Result<(NamedTempFile, String)> {
    let mut file = evidence.temp_file()?;
    let path = evidence.path().join(REPORT_FILE);
    let cannot_write = || format!("cannot write {}", path.display());
    let sha256 = {
        let mut w = BufWriter::new(HashingWriter::new(file.as_file_mut()));
        html::write_document(parts, &mut w).with_context(cannot_write)?;
        w.into_inner()
            .map_err(|e| e.into_error())
            .with_context(cannot_write)?
            .finish()
    };
    file.as_file().sync_all().with_context(cannot_write)?;
    file.rewind().with_context(cannot_write)?;
    canary
        .check_text_lines(REPORT_FILE, file.as_file_mut())
        .with_context(cannot_write)??;
    Ok((file, sha256))
}
