//! The evidence folder: mode 0700, files 0600, each written to a temporary file and renamed
//! into place only when everything succeeded, then SHA256SUMS over what was written.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tempfile::NamedTempFile;

use super::hashing::sha256_hex;

pub const SUMS_FILE: &str = "SHA256SUMS";

/// An evidence folder being written. Dropping it before [`EvidenceDir::commit`] removes every
/// temporary file (and the folder, if this run created it): an error leaves nothing partial.
pub struct EvidenceDir {
    path: PathBuf,
    /// Folders this run created (the evidence folder and any missing parents), innermost last.
    created: Vec<PathBuf>,
    /// Staged files, their final names and their SHA-256 (hex), computed as they were written:
    /// nothing is read back for SHA256SUMS.
    staged: Vec<(NamedTempFile, String, String)>,
    committed: bool,
}

impl EvidenceDir {
    pub fn prepare(path: &Path, force: bool) -> Result<EvidenceDir> {
        let shown = path.display();
        let created = match fs::metadata(path) {
            Ok(meta) if !meta.is_dir() => bail!("{shown} exists and is not a folder"),
            Ok(_) => {
                let non_empty = fs::read_dir(path)
                    .with_context(|| format!("cannot list {shown}"))?
                    .next()
                    .is_some();
                if non_empty && !force {
                    bail!(
                        "{shown} is not empty; choose another folder or pass --force to write into it"
                    );
                }
                Vec::new()
            }
            Err(_) => {
                let missing: Vec<PathBuf> = path
                    .ancestors()
                    .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
                    .map(Path::to_path_buf)
                    .collect();
                fs::create_dir_all(path).with_context(|| format!("cannot create {shown}"))?;
                missing.into_iter().rev().collect()
            }
        };
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot set the permissions of {shown}"))?;
        Ok(EvidenceDir {
            path: path.to_path_buf(),
            created,
            staged: Vec::new(),
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new temporary file inside the folder (tempfile creates it 0600).
    pub fn temp_file(&self) -> Result<NamedTempFile> {
        tempfile::Builder::new()
            .prefix(".pcapscrub-")
            .tempfile_in(&self.path)
            .with_context(|| format!("cannot create a file in {}", self.path.display()))
    }

    /// A temporary file without a name in the folder, deleted when dropped: for intermediate
    /// results that are never staged.
    pub fn scratch_file(&self) -> Result<fs::File> {
        tempfile::tempfile_in(&self.path)
            .with_context(|| format!("cannot create a file in {}", self.path.display()))
    }

    /// Stages a finished temporary file under its final name, with the SHA-256 (hex) of what
    /// was written to it: a large capture or summary is then not read again for SHA256SUMS.
    pub fn stage(&mut self, file: NamedTempFile, name: &str, sha256: String) -> Result<()> {
        if self.staged.iter().any(|(_, n, _)| n == name) || name == SUMS_FILE {
            bail!("two outputs would both be named {name}; give the inputs different names");
        }
        self.staged.push((file, name.to_string(), sha256));
        Ok(())
    }

    /// Writes `bytes` to a new temporary file and stages it.
    pub fn stage_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut f = self.temp_file()?;
        f.write_all(bytes)
            .and_then(|_| f.as_file().sync_all())
            .with_context(|| format!("cannot write {name}"))?;
        self.stage(f, name, sha256_hex(bytes))
    }

    /// Renames every staged file into place and writes SHA256SUMS; returns the final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut lines: Vec<(&str, &str)> = self
            .staged
            .iter()
            .map(|(_, name, digest)| (name.as_str(), digest.as_str()))
            .collect();
        lines.sort();
        let sums: String = lines.iter().map(|(n, d)| format!("{d}  {n}\n")).collect();
        // SHA256SUMS is the one name stage() refuses, so callers cannot shadow it.
        let mut sums_file = self.temp_file()?;
        sums_file
            .write_all(sums.as_bytes())
            .with_context(|| format!("cannot write {SUMS_FILE}"))?;
        // SHA256SUMS goes last: a folder with it in place holds every file it lists.
        let mut paths = Vec::new();
        for (file, name, _) in std::mem::take(&mut self.staged) {
            paths.push(self.persist(file, &name)?);
        }
        paths.push(self.persist(sums_file, SUMS_FILE)?);
        self.committed = true;
        Ok(paths)
    }

    /// Renames a temporary file to its final name in the folder, mode 0600.
    fn persist(&self, file: NamedTempFile, name: &str) -> Result<PathBuf> {
        let target = self.path.join(name);
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))?;
        file.persist(&target)
            .with_context(|| format!("cannot write {}", target.display()))?;
        Ok(target)
    }
}

impl Drop for EvidenceDir {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        self.staged.clear();
        // Innermost first; remove_dir refuses a folder that is not empty.
        for dir in self.created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}
