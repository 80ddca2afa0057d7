//! One capture's summary files: `STEM.summary.yaml`, `STEM.summary.json` or both
//! (`--summary-format`), each its head followed by its connections. The connections need only
//! pass 1 and the mapping, so they are written to scratch files (and scanned by the canary
//! there) while pass 2 runs; the head needs pass 2's counts and is joined to them at the end.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

use crate::analyze::Analysis;
use crate::anonymize::Mapping;
use crate::canary::Canary;
use crate::report::evidence::{EvidenceDir, EvidenceStem};
use crate::report::hashing::HashingWriter;
use crate::report::streamed::Streamed;
use crate::report::summary::{
    CompactFacts, ConnectionEntry, ConnectionFacts, ConnectionIter, PerDirection, SummaryFormat,
    SummaryFull, SummaryHead, SummaryTail, address_pseudonym, cap_timeline, endpoint_pseudonym,
    path_text, write_yaml,
};
use crate::report::summary_json;

/// What the summaries hold and in which files (`--summary-format`, `--summary-timeline`,
/// `--summary-full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummarySettings {
    pub format: SummaryFormat,
    /// Timeline events kept per connection; the rest are counted.
    pub timeline: usize,
    /// Connections described in full; the others get compact entries.
    pub full: SummaryFull,
}

impl Default for SummarySettings {
    fn default() -> Self {
        SummarySettings {
            format: SummaryFormat::default(),
            timeline: crate::report::summary::SUMMARY_TIMELINE,
            full: SummaryFull::MostSignificant(crate::report::summary::SUMMARY_FULL),
        }
    }
}

/// The connections of each summary file asked for, in scratch files deleted when dropped.
pub struct Tails {
    yaml: Option<File>,
    json: Option<File>,
}

/// A finished summary file, ready to be staged.
pub struct SummaryFile {
    pub file: NamedTempFile,
    pub name: String,
    pub sha256: String,
}

/// Writes the connections of every summary file asked for. `mapping` is a copy in which
/// every endpoint was already looked up, so each file names them as pass 2 writes them.
pub fn write_tails(
    analysis: &Analysis,
    mapping: &Mapping,
    evidence: &EvidenceDir,
    canary: &Canary,
    settings: SummarySettings,
) -> Result<Tails> {
    let cap = settings.timeline;
    let verdicts: Vec<_> = analysis
        .connections
        .iter()
        .map(|(_, c)| c.verdict)
        .collect();
    let full = settings.full.chosen(&verdicts);
    let full = &full;
    let yaml = settings
        .format
        .yaml()
        .then(|| {
            tail_file(evidence, canary, |w| {
                let mut mapping = mapping.clone();
                let tail = SummaryTail {
                    connections: Streamed::new(connection_facts(analysis, &mut mapping, cap, full)),
                };
                write_yaml(&tail, w)
            })
        })
        .transpose()?;
    let json = settings
        .format
        .json()
        .then(|| {
            tail_file(evidence, canary, |w| {
                let mut mapping = mapping.clone();
                summary_json::write_connections(
                    connection_facts(analysis, &mut mapping, cap, full),
                    w,
                )
            })
        })
        .transpose()?;
    Ok(Tails { yaml, json })
}

/// A scratch file filled by `write`, then scanned by the canary off the critical path.
fn tail_file(
    evidence: &EvidenceDir,
    canary: &Canary,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> Result<()>,
) -> Result<File> {
    let mut file = evidence.scratch_file()?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, &mut file);
        write(&mut w)
            .and_then(|()| w.flush().map_err(anyhow::Error::from))
            .with_context(|| {
                format!(
                    "cannot write the summary's connections to a temporary file in {}",
                    evidence.path().display()
                )
            })?;
    }
    // Read back in batches of lines: 100,000 connections make a summary of 150 MB.
    file.rewind().context("cannot scan the summary")?;
    canary
        .check_text_lines("the summary", &mut file)
        .context("cannot scan the summary")??;
    Ok(file)
}

/// Each summary file: its head (scanned here; no secret spans the line break between head and
/// connections) followed by its connections, hashed as it is written.
pub fn assemble(
    head: &SummaryHead,
    tails: Tails,
    stem: &EvidenceStem,
    evidence: &EvidenceDir,
    canary: &Canary,
) -> Result<Vec<SummaryFile>> {
    let mut files = Vec::new();
    if let Some(tail) = tails.yaml {
        let mut head_text = Vec::new();
        write_yaml(head, &mut head_text)?;
        files.push(join(
            &head_text,
            tail,
            stem.summary_file(),
            evidence,
            canary,
        )?);
    }
    if let Some(tail) = tails.json {
        let head_text = summary_json::head_text(head)?;
        files.push(join(
            &head_text,
            tail,
            stem.summary_json_file(),
            evidence,
            canary,
        )?);
    }
    Ok(files)
}

fn join(
    head_text: &[u8],
    mut tail: File,
    name: String,
    evidence: &EvidenceDir,
    canary: &Canary,
) -> Result<SummaryFile> {
    let path = evidence.path().join(&name);
    let cannot_write = || format!("cannot write {}", path.display());
    canary.check_text("the summary", head_text)?;
    let mut file = evidence.temp_file()?;
    let sha256 = {
        // Hashed below the buffer: the digest is updated a buffer at a time, not per scalar.
        let mut w = BufWriter::new(HashingWriter::new(file.as_file_mut()));
        w.write_all(head_text).with_context(cannot_write)?;
        tail.rewind()
            .and_then(|_| std::io::copy(&mut tail, &mut w))
            .with_context(cannot_write)?;
        w.into_inner()
            .map_err(|e| e.into_error())
            .with_context(cannot_write)?
            .finish()
    };
    Ok(SummaryFile { file, name, sha256 })
}

/// The summary's connections, each made as it is written, its timeline cut to `cap` events;
/// those not `full` compact.
fn connection_facts<'a>(
    analysis: &'a Analysis,
    mapping: &'a mut Mapping,
    cap: usize,
    full: &'a [bool],
) -> ConnectionIter<'a> {
    Box::new(
        analysis
            .connections
            .iter()
            .enumerate()
            .map(move |(i, (_, c))| {
                let client = endpoint_pseudonym(mapping, c.client_endpoint());
                let server = endpoint_pseudonym(mapping, c.server_endpoint());
                let path = path_text(analysis.paths.layers(c.key.path), |e| {
                    address_pseudonym(mapping, e)
                });
                let facts = ConnectionFacts {
                    id: i + 1,
                    client,
                    server,
                    path,
                    diagnosis: cap_timeline(analysis.diagnosis(c)?, cap),
                    packets: PerDirection {
                        client: c.client_stats().packets,
                        server: c.server_stats().packets,
                    },
                    bytes: PerDirection {
                        client: c.client_stats().payload_bytes,
                        server: c.server_stats().payload_bytes,
                    },
                    packets_after_close: c.packets_after_close,
                };
                Ok(if full.get(i).copied().unwrap_or(true) {
                    ConnectionEntry::Full(Box::new(facts))
                } else {
                    ConnectionEntry::Compact(Box::new(CompactFacts::of(facts)))
                })
            }),
    )
}
