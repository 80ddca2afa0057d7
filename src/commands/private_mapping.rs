//! `sanitize --mapping-out FILE`: the sender's private pseudonym → original table, written
//! 0600 next to (never inside) the evidence folder.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tempfile::NamedTempFile;

use crate::interrupt;
use crate::report::mapping_table::MappingTable;

/// Where the table goes, checked before any work is done.
pub struct PrivateMappingFile {
    path: PathBuf,
    /// How messages name it: "private mapping", or "plan" (`pcapscrub plan`, private too).
    label: &'static str,
}

/// The table written to a temporary file beside its final name.
pub struct StagedMapping {
    file: NamedTempFile,
    path: PathBuf,
    label: &'static str,
}

impl PrivateMappingFile {
    /// Refuses a path inside `outdir` (the table would travel with the evidence), an existing
    /// file unless `force`, and a folder that does not exist.
    pub fn check(path: &Path, outdir: &Path, force: bool) -> Result<PrivateMappingFile> {
        Self::check_private(path, Some(outdir), force, "private mapping")
    }

    /// [`Self::check`] for any private file named `label` in messages; `outdir`, when given,
    /// is the evidence folder it must stay out of.
    pub fn check_private(
        path: &Path,
        outdir: Option<&Path>,
        force: bool,
        label: &'static str,
    ) -> Result<PrivateMappingFile> {
        let shown = path.display();
        let resolved = resolved(path).with_context(|| format!("cannot resolve {shown}"))?;
        if let Some(outdir) = outdir {
            let evidence = resolved_dir(outdir)
                .with_context(|| format!("cannot resolve {}", outdir.display()))?;
            if resolved.starts_with(&evidence) {
                bail!(
                    "the {label} {shown} would be inside the evidence folder {}: it must never travel with the evidence; write it elsewhere",
                    outdir.display()
                );
            }
        }
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => bail!("the {label} {shown} is a folder"),
            Ok(_) if !force => {
                bail!(
                    "the {label} {shown} exists; choose another name or pass --force to replace it"
                )
            }
            _ => {}
        }
        let parent = parent_of(path);
        if !parent.is_dir() {
            bail!(
                "cannot write the {label} {shown}: the folder {} does not exist",
                parent.display()
            );
        }
        Ok(PrivateMappingFile {
            path: path.to_path_buf(),
            label,
        })
    }

    /// Writes the table to a temporary file (mode 0600) in the target's folder.
    pub fn stage(&self, table: &MappingTable) -> Result<StagedMapping> {
        self.stage_text(&table.to_text())
    }

    /// Writes `text` to a temporary file (mode 0600) beside the final name.
    pub fn stage_text(&self, text: &str) -> Result<StagedMapping> {
        let label = self.label;
        let cannot_write = || format!("cannot write the {label} {}", self.path.display());
        let parent = parent_of(&self.path);
        let mut file = interrupt::create_tracked(
            || {
                tempfile::Builder::new()
                    .prefix(".pcapscrub-mapping-")
                    .tempfile_in(parent)
            },
            |f| f.path(),
        )
        .with_context(|| format!("cannot write into the folder {}", parent.display()))?;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.as_file().sync_all())
            .with_context(cannot_write)?;
        Ok(StagedMapping {
            file,
            path: self.path.clone(),
            label,
        })
    }
}

impl StagedMapping {
    /// Renames the table into place; call it with the interrupt lock held.
    pub fn persist(self) -> Result<PathBuf> {
        let label = self.label;
        self.file
            .persist(&self.path)
            .with_context(|| format!("cannot write the {label} {}", self.path.display()))?;
        Ok(self.path)
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `path` made absolute with its folder's symbolic links resolved (the folder must exist).
fn resolved(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    Ok(resolved_dir(parent_of(path))?.join(name))
}

/// A folder made absolute with symbolic links resolved as far as it exists (the evidence
/// folder may not be created yet).
fn resolved_dir(dir: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(dir)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize()?;
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    Ok(out)
}
