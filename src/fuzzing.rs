//! Support for the fuzz harnesses in `fuzz/`: the `sanitize` pipeline on bytes.
//!
//! Not part of the tool's interface (hidden from the documentation; it changes with the
//! harnesses). [`sanitize_in_memory`] runs exactly what `pcapscrub sanitize CAPTURE -o DIR`
//! runs ([`crate::commands::sanitize::run`]: reader, analysis, address plan, rewrite, writer,
//! summary, SHA256SUMS) and hands back the evidence folder's contents as bytes.
//!
//! The capture reader reads files (pass 2 reads the capture again), so the input bytes are
//! written to a scratch file first, and the evidence folder is a scratch folder. Scratch files go
//! to `$PCAPSCRUB_FUZZ_TMPDIR` when set, else `/dev/shm` when it exists (no disk I/O), else the
//! system's temporary folder; they are removed when the values holding them are dropped.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tempfile::{NamedTempFile, TempDir};

use crate::anonymize::MappingKey;
use crate::capture::{CaptureReader, Event, ReadError};
use crate::commands::sanitize::{self, SanitizeOptions};
use crate::policy::Policy;
use crate::report::evidence::EvidenceStem;

/// The mapping key of every fuzzing run: fixed, so a run is repeatable (a random key would make
/// the same input behave differently from one execution to the next).
pub const FUZZ_KEY: &[u8; 32] = b"pcapscrub-fuzz-key/not-a-secret!";

pub fn fuzz_key() -> MappingKey {
    MappingKey::from_bytes(FUZZ_KEY).expect("FUZZ_KEY has the minimum key length")
}

/// Where scratch files and folders are created.
pub fn scratch_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("PCAPSCRUB_FUZZ_TMPDIR") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// `bytes` in a new scratch file (removed when the returned value is dropped).
pub fn scratch_file(bytes: &[u8]) -> io::Result<NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("pcapscrub-fuzz-")
        .tempfile_in(scratch_root())?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(file)
}

/// A packet as the reader returned it, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPacket {
    pub number: u64,
    pub interface: u32,
    pub link_type: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

/// Every packet of a capture given as bytes, read with [`CaptureReader`]; other events are
/// skipped. `Err` when the reader refuses the capture.
pub fn read_packets(bytes: &[u8]) -> Result<Vec<OwnedPacket>> {
    let file = scratch_file(bytes).context("cannot write a scratch file")?;
    let mut reader = CaptureReader::open(file.path(), "fuzz-input")?;
    let mut out = Vec::new();
    while let Some(event) = reader
        .next_event()
        .map_err(|e: ReadError| anyhow::anyhow!(e))?
    {
        if let Event::Packet(p) = event {
            out.push(OwnedPacket {
                number: p.number,
                interface: p.interface,
                link_type: p.link_type,
                orig_len: p.orig_len,
                data: p.data.to_vec(),
            });
        }
    }
    Ok(out)
}

/// The evidence folder `sanitize` wrote, read back.
pub struct SanitizedOutput {
    /// The sanitized capture file.
    pub capture: Vec<u8>,
    /// Its file name (`capture.sanitized.pcap` or `.pcapng`).
    pub capture_name: String,
    pub summary_yaml: String,
    pub sha256sums: String,
    /// The evidence folder itself (removed on drop), for checks that want the files, e.g.
    /// [`crate::commands::verify::run`].
    pub dir: TempDir,
}

impl SanitizedOutput {
    pub fn evidence_dir(&self) -> PathBuf {
        self.dir.path().join("evidence")
    }
}

/// Runs `pcapscrub sanitize` on `input` (a capture file's bytes) with `policy` and the fixed
/// [`fuzz_key`]. `Err` is what the command would report as an error (exit status 2).
pub fn sanitize_in_memory(input: &[u8], policy: &Policy) -> Result<SanitizedOutput> {
    sanitize_with_key(input, policy, &fuzz_key())
}

/// [`sanitize_in_memory`] with a chosen mapping key.
pub fn sanitize_with_key(
    input: &[u8],
    policy: &Policy,
    key: &MappingKey,
) -> Result<SanitizedOutput> {
    let dir = tempfile::Builder::new()
        .prefix("pcapscrub-fuzz-")
        .tempdir_in(scratch_root())
        .context("cannot create a scratch folder")?;
    let capture = dir.path().join("input.cap");
    std::fs::write(&capture, input).context("cannot write the scratch capture")?;
    let outdir = dir.path().join("evidence");
    let inputs = [capture.to_string_lossy().into_owned()];
    sanitize::run(&SanitizeOptions {
        inputs: &inputs,
        outdir: &outdir,
        policy,
        key,
        force: false,
        client_log: None,
        jobs: 1,
        name: &EvidenceStem::default(),
        mapping_out: None,
        summary: Default::default(),
        keylog: None,
        plan: None,
    })?;
    let (mut capture_name, mut summary_name) = (None, None);
    for entry in std::fs::read_dir(&outdir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.contains(".sanitized.pcap") {
            capture_name = Some(name);
        } else if name.ends_with(".summary.yaml") {
            summary_name = Some(name);
        }
    }
    let (Some(capture_name), Some(summary_name)) = (capture_name, summary_name) else {
        bail!(
            "sanitize wrote no capture or no summary into {}",
            outdir.display()
        );
    };
    Ok(SanitizedOutput {
        capture: std::fs::read(outdir.join(&capture_name))?,
        capture_name,
        summary_yaml: std::fs::read_to_string(outdir.join(summary_name))?,
        sha256sums: std::fs::read_to_string(outdir.join("SHA256SUMS"))?,
        dir,
    })
}
