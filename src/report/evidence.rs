//! The evidence folder: mode 0700, files 0600, each written to a temporary file and renamed
//! into place only when everything succeeded, then SHA256SUMS over what was written.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tempfile::NamedTempFile;

use super::hashing::sha256_hex;
use crate::interrupt;

pub const SUMS_FILE: &str = "SHA256SUMS";
/// The self-contained HTML report of every capture in the folder.
pub const REPORT_FILE: &str = "report.html";
/// The canonical effective policy the evidence was made under: `verify` and `check` judge the
/// folder by it, and each summary's policy hash is the hash of exactly this file.
pub const POLICY_FILE: &str = "policy.yaml";

/// Prefix of the temporary files a run writes into the folder; a run that was killed outright
/// (SIGKILL, power loss) may leave some, which the next run removes.
const TEMP_PREFIX: &str = ".pcapscrub-";

/// The evidence files' stem unless `--name` is given: it says nothing about the input.
pub const DEFAULT_STEM: &str = "capture";

/// The sanitized client log's stem: like the captures', it says nothing about the file it
/// came from.
pub const CLIENT_LOG_STEM: &str = "client-log";

/// The sanitized client log's file name.
pub fn client_log_file() -> String {
    format!("{CLIENT_LOG_STEM}.sanitized.txt")
}

/// The stem of one input's evidence files (`STEM.sanitized.pcap`, `STEM.summary.yaml`): a plain
/// file name, never a path or a hidden file, so it cannot place a file anywhere but in OUTDIR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceStem(String);

impl EvidenceStem {
    /// The stems of `count` inputs, in input order: the stem itself for one input, `STEM-1`,
    /// `STEM-2`, ... for several.
    pub fn numbered(&self, count: usize) -> Vec<EvidenceStem> {
        if count == 1 {
            return vec![self.clone()];
        }
        (1..=count)
            .map(|i| EvidenceStem(format!("{}-{i}", self.0)))
            .collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn capture_file(&self, extension: &str) -> String {
        format!("{}.sanitized.{extension}", self.0)
    }

    pub fn summary_file(&self) -> String {
        format!("{}.summary.yaml", self.0)
    }

    /// The summary as JSON (`--summary-format json|both`).
    pub fn summary_json_file(&self) -> String {
        format!("{}.summary.json", self.0)
    }

    /// The ladder diagrams of the capture's failing connections.
    pub fn ladder_file(&self) -> String {
        format!("{}.ladder.svg", self.0)
    }
}

impl Default for EvidenceStem {
    fn default() -> Self {
        EvidenceStem(DEFAULT_STEM.to_string())
    }
}

impl std::str::FromStr for EvidenceStem {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("the name is empty".into());
        }
        if s.starts_with('.') {
            return Err(format!("`{s}` starts with a dot (a hidden file)"));
        }
        if let Some(c) = s
            .chars()
            .find(|c| *c == '/' || *c == '\\' || c.is_control())
        {
            return Err(format!(
                "`{}` holds {c:?}: give a plain file name without a folder",
                s.escape_debug()
            ));
        }
        if s.contains(".sanitized.") || s.ends_with(".sanitized") {
            return Err(format!(
                "`{s}` holds `.sanitized`, which marks the evidence files' own names"
            ));
        }
        if s.len() > 200 {
            return Err("the name is longer than 200 bytes".into());
        }
        Ok(EvidenceStem(s.to_string()))
    }
}

impl std::fmt::Display for EvidenceStem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An evidence folder being written. Dropping it before [`EvidenceDir::commit`] removes every
/// temporary file (and the folder, if this run created it): an error leaves nothing partial.
pub struct EvidenceDir {
    path: PathBuf,
    /// Folders this run created (the evidence folder and any missing parents), innermost last.
    created: Vec<PathBuf>,
    /// Staged files, their final names and their SHA-256 (hex), computed as they were written:
    /// nothing is read back for SHA256SUMS.
    staged: Vec<(NamedTempFile, String, String)>,
    /// With `--force`: the files the folder's previous SHA256SUMS listed. The new SHA256SUMS
    /// replaces it, so those this run does not rewrite are removed once it is in place.
    previous: Vec<String>,
    committed: bool,
}

impl EvidenceDir {
    pub fn prepare(path: &Path, force: bool) -> Result<EvidenceDir> {
        let shown = path.display();
        let created = match fs::metadata(path) {
            Ok(meta) if !meta.is_dir() => bail!("{shown} exists and is not a folder"),
            Ok(_) => {
                let mut non_empty = false;
                for entry in fs::read_dir(path).with_context(|| format!("cannot list {shown}"))? {
                    let entry = entry.with_context(|| format!("cannot list {shown}"))?;
                    // A temporary file left by a run that was killed is ours and never
                    // evidence: it goes, and does not make the folder "not empty".
                    let leftover = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
                        && fs::remove_file(entry.path()).is_ok();
                    non_empty |= !leftover;
                }
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
                let mut guard = interrupt::lock();
                let made = fs::create_dir_all(path);
                // Recorded even after a failure: a parent may have been made.
                if let Some(outermost) = missing.last() {
                    guard.track_dir(outermost);
                }
                made.with_context(|| format!("cannot create the folder {shown}"))?;
                missing.into_iter().rev().collect()
            }
        };
        let evidence = EvidenceDir {
            path: path.to_path_buf(),
            created,
            staged: Vec::new(),
            previous: if force {
                listed_in_sums(path)
            } else {
                Vec::new()
            },
            committed: false,
        };
        // Writing is tried first: a folder the user may not write into should say so, not fail
        // later on its mode.
        drop(evidence.temp_file()?);
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make the folder {shown} private (mode 0700)"))?;
        Ok(evidence)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new temporary file inside the folder (tempfile creates it 0600).
    pub fn temp_file(&self) -> Result<NamedTempFile> {
        self.temp_file_locked(&mut interrupt::lock())
    }

    fn temp_file_locked(&self, guard: &mut interrupt::Guard) -> Result<NamedTempFile> {
        let file = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.path)
            .with_context(|| format!("cannot write into the folder {}", self.path.display()))?;
        guard.track_file(file.path());
        Ok(file)
    }

    /// A temporary file without a name in the folder, deleted when dropped: for intermediate
    /// results that are never staged.
    pub fn scratch_file(&self) -> Result<fs::File> {
        // Under the lock: the file has a name for an instant before it is unlinked.
        let _guard = interrupt::lock();
        tempfile::tempfile_in(&self.path)
            .with_context(|| format!("cannot write into the folder {}", self.path.display()))
    }

    /// Stages a finished temporary file under its final name, with the SHA-256 (hex) of what
    /// was written to it: a large capture or summary is then not read again for SHA256SUMS.
    pub fn stage(&mut self, file: NamedTempFile, name: &str, sha256: String) -> Result<()> {
        if self.staged.iter().any(|(_, n, _)| n == name) || name == SUMS_FILE {
            bail!("two outputs would both be named {name}; give them different names");
        }
        self.staged.push((file, name.to_string(), sha256));
        Ok(())
    }

    /// Writes `bytes` to a new temporary file and stages it.
    pub fn stage_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut f = self.temp_file()?;
        f.write_all(bytes)
            .and_then(|_| f.as_file().sync_all())
            .with_context(|| format!("cannot write {}", self.path.join(name).display()))?;
        self.stage(f, name, sha256_hex(bytes))
    }

    /// The text of SHA256SUMS over the files staged so far.
    pub fn sums(&self) -> String {
        let mut lines: Vec<(&str, &str)> = self
            .staged
            .iter()
            .map(|(_, name, digest)| (name.as_str(), digest.as_str()))
            .collect();
        lines.sort();
        lines.iter().map(|(n, d)| format!("{d}  {n}\n")).collect()
    }

    /// Renames every staged file into place and writes SHA256SUMS; returns the final paths.
    /// The caller holds the interrupt lock (and marks the run finished once all its files are
    /// in place): an interrupt cannot fall between two renames.
    pub fn commit(mut self, guard: &mut interrupt::Guard) -> Result<Vec<PathBuf>> {
        let sums = self.sums();
        // SHA256SUMS is the one name stage() refuses, so callers cannot shadow it.
        let mut sums_file = self.temp_file_locked(guard)?;
        sums_file
            .write_all(sums.as_bytes())
            .with_context(|| format!("cannot write {}", self.path.join(SUMS_FILE).display()))?;
        // SHA256SUMS goes last: a folder with it in place holds every file it lists.
        let mut paths = Vec::new();
        for (file, name, _) in std::mem::take(&mut self.staged) {
            paths.push(self.persist(file, &name)?);
        }
        paths.push(self.persist(sums_file, SUMS_FILE)?);
        self.committed = true;
        for name in &self.previous {
            if !paths.iter().any(|p| p.file_name() == Some(name.as_ref())) {
                let _ = fs::remove_file(self.path.join(name));
            }
        }
        Ok(paths)
    }

    /// Renames a temporary file to its final name in the folder, mode 0600.
    fn persist(&self, file: NamedTempFile, name: &str) -> Result<PathBuf> {
        let target = self.path.join(name);
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private (mode 0600)", target.display()))?;
        file.persist(&target)
            .with_context(|| format!("cannot write {}", target.display()))?;
        Ok(target)
    }
}

/// The plain file names an existing SHA256SUMS lists (none if there is none or it is unreadable).
fn listed_in_sums(dir: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(dir.join(SUMS_FILE)) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| line.split_once("  ").map(|(_, name)| name))
        .filter(|name| {
            !name.is_empty() && !name.contains('/') && !name.starts_with('.') && *name != SUMS_FILE
        })
        .map(str::to_string)
        .collect()
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
