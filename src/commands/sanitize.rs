//! `pcapscrub sanitize`: analyze every input (one shared mapping), rewrite each into the
//! evidence folder, write the summaries and SHA256SUMS.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

mod outcome;
mod report_page;
mod summaries;

use super::pass1::{self, HandshakeRedactions, Pass1, Pass1Settings};
pub use outcome::RunResult;
pub use summaries::SummarySettings;

use super::input::Input;
use super::private_mapping::PrivateMappingFile;
use super::progress::{FileBar, Progress};
use crate::analyze::{self, Analysis};
use crate::anonymize::{AddressPair, Mapping, MappingKey};
use crate::canary::checker::PacketChecker;
use crate::canary::{self, Canary, ObservedAddresses};
use crate::capture::reader::ReadWarning;
use crate::capture::{CaptureReader, CaptureWriter, Event, Format};
use crate::client_log::{LogMapper, sanitize_log};
use crate::interrupt;
use crate::policy::Policy;
use crate::redact::Redactor;
use crate::report::evidence::{
    CLIENT_LOG_STEM, EvidenceDir, EvidenceStem, POLICY_FILE, REPORT_FILE, SUMS_FILE,
    client_log_file,
};
use crate::report::hashing::{HashedFileWriter, QueuedDigest, digests_in_background, sha256_file};
use crate::report::mapping_table::{EntryKind, MappingTable};
use crate::report::summary::{
    ClientLogFacts, InputFacts, OutputFacts, PolicyFacts, Redactions, SummaryHead, SummaryLead,
    Tool, address_pseudonym, endpoint_pseudonym, path_text,
};
use crate::report::visual::{self, CaptureVisuals};
use crate::rewrite::{DropReason, RewriteStats, Rewriter, RewrittenPacket};
use rayon::prelude::*;

pub struct SanitizeOptions<'a> {
    pub inputs: &'a [String],
    pub outdir: &'a Path,
    pub policy: &'a Policy,
    pub key: &'a MappingKey,
    pub force: bool,
    /// A client's verbose log (`curl -v`, `openssl s_client`) to sanitize with the same mapping.
    pub client_log: Option<&'a Path>,
    /// Captures rewritten at once (0: one per core; 1: everything on one thread).
    pub jobs: usize,
    /// The evidence files' stem (numbered for several inputs).
    pub name: &'a EvidenceStem,
    /// Where to write the sender's private pseudonym → original table (outside OUTDIR).
    pub mapping_out: Option<&'a Path>,
    /// Which summary files, and how much of each timeline they keep.
    pub summary: SummarySettings,
    /// The key logs given with `--keylog`: read for the diagnosis only, the capture written
    /// is the same without them.
    pub keylog: Option<std::sync::Arc<crate::keylog::KeyLog>>,
    /// `--plan`: the merged plan of a run these inputs are a shard of (docs/sharding.md); the
    /// mapping, pseudonyms, placeholder numbers and evidence stems are the run's.
    pub plan: Option<&'a Path>,
}

/// What a finished run put in place, and what it found.
pub struct Sanitized {
    /// Every file written (the evidence folder's, then the private mapping's).
    pub written: Vec<PathBuf>,
    pub result: RunResult,
}

/// Runs the whole sanitize job; returns the files written and the run's result. Any error leaves no evidence behind.
///
/// Pass 1 runs on `jobs` threads, each input on its own, and the inputs' observations are
/// then merged in input order into one address plan and one redactor (`pass1`, so the mapping
/// is shared and its choices never depend on timing); pass 2 and the input digests then run
/// on `jobs` threads, each with a copy of the frozen mapping, and the outputs are staged in
/// input order: the evidence is byte-identical whatever the number of threads.
pub fn run(opts: &SanitizeOptions<'_>) -> Result<Sanitized> {
    let inputs = Input::resolve_all(opts.inputs)?;
    let pool = super::thread_pool(opts.jobs)?;
    let shard = match opts.plan {
        Some(path) => Some(Shard::of(path, &inputs, opts.policy, &pool)?),
        None => None,
    };
    let places: Vec<usize> = match &shard {
        Some(s) => s.places.clone(),
        None => (0..inputs.len()).collect(),
    };
    let run_stems = opts
        .name
        .numbered(shard.as_ref().map_or(inputs.len(), |s| s.plan.inputs.len()));
    let stems: Vec<EvidenceStem> = places.iter().map(|&p| run_stems[p].clone()).collect();
    let mapping_out = opts
        .mapping_out
        .map(|path| PrivateMappingFile::check(path, opts.outdir, opts.force))
        .transpose()?;
    let mut evidence = EvidenceDir::prepare(opts.outdir, opts.force)?;
    // Hashing an input costs as much as analysing it, so it runs beside pass 1 on another
    // core: one thread hashes the inputs in turn.
    // With `--jobs 1` everything runs on one thread: each input is hashed after its pass 2.
    let helpers = opts.jobs != 1;
    let paths = || inputs.iter().map(|i| i.path().to_path_buf());
    let mut digests: Vec<InputDigest> = if let Some(s) = &shard {
        s.digests.iter().cloned().map(InputDigest::Known).collect()
    } else if helpers {
        digests_in_background(paths().collect())
            .into_iter()
            .map(InputDigest::Queued)
            .collect()
    } else {
        paths().map(InputDigest::Inline).collect()
    };
    let progress = Progress::on_terminal();
    let bars: Vec<FileBar> = inputs
        .iter()
        .enumerate()
        .map(|(k, i)| {
            progress.file(
                "sanitize",
                &i.name,
                (k + 1, inputs.len()),
                i.size_bytes(),
                2,
            )
        })
        .collect();
    let settings = Pass1Settings {
        policy: opts.policy,
        key: opts.key,
        keylog: opts.keylog.clone(),
    };
    let Pass1 {
        analyses,
        handshake: handshake_counts,
        planner,
        mut redactor,
        ..
    } = pass1::run(
        &inputs,
        &bars,
        &pool,
        &settings,
        shard.as_ref().map(|s| (&s.plan, s.places.as_slice())),
    )?;
    let observed = ObservedAddresses::of(&planner);
    let mut mapping = planner
        .finish(opts.key)
        .context("cannot build the address mapping")?;
    mapping.set_allowlist(opts.policy.allowlist());
    let canary = canary::build(&redactor.seen, &observed, &mut mapping)?;
    // The log is sanitized before the summaries are written, which count its lines; on a
    // copy of the mapping, so that addresses only the log holds change nothing in the
    // captures' summaries.
    let (client_log, log_mapping) = match opts.client_log {
        Some(log) => {
            let mut log_mapping = mapping.clone();
            let clean = sanitize_client_log(log, &mut log_mapping, &mut redactor)?;
            (Some(clean), Some(log_mapping))
        }
        None => (None, None),
    };
    let log_facts = client_log.as_ref().map(|l| l.facts.clone());
    for (input, analysis) in inputs.iter().zip(&analyses) {
        for w in analysis_warnings(&input.name, analysis) {
            eprintln!("warning: {w}");
        }
    }
    let jobs: Vec<_> = inputs
        .iter()
        .zip(&stems)
        .zip(&analyses)
        .zip(handshake_counts)
        .zip(std::mem::take(&mut digests))
        .zip(&bars)
        .collect();
    let evidence_ref = &evidence;
    let mapping_ref = &mapping;
    let want_pairs = mapping_out.is_some();
    let canary_ref = &canary;
    let outputs: Vec<Result<InputOutputs>> = pool.install(|| {
        jobs.into_par_iter()
            .enumerate()
            .map(
                |(index, (((((input, stem), analysis), handshake), digest), bar))| {
                    let mut mapping = mapping_ref.clone();
                    let out = write_outputs(
                        input,
                        stem,
                        analysis,
                        handshake,
                        digest,
                        opts.policy,
                        &mut mapping,
                        evidence_ref,
                        canary_ref,
                        helpers,
                        log_facts.as_ref(),
                        want_pairs,
                        places[index],
                        bar,
                        opts.summary,
                    );
                    bar.finish();
                    out
                },
            )
            .collect()
    });
    let mut table = MappingTable::default();
    let mut report_parts = Vec::new();
    let mut result = RunResult::of(&analyses)?;
    for ((out, input), stem) in outputs.into_iter().zip(&inputs).zip(&stems) {
        let out = out?;
        result.packets_written += out.stats.packets_written;
        result.payload_bytes_removed += out.stats.payload_bytes_removed;
        evidence.stage(out.capture, &out.capture_name, out.capture_sha256)?;
        for summary in out.summaries {
            evidence.stage(summary.file, &summary.name, summary.sha256)?;
        }
        evidence.stage_bytes(&out.ladder_name, out.visuals.ladder_svg.as_bytes())?;
        report_parts.push(out.visuals.html_part);
        table.push(EntryKind::Stem, stem.to_string(), input.origin());
        out.address_pairs
            .into_iter()
            .for_each(|p| table.push_address(p));
    }
    let (report, report_sha256) = report_page::write(&evidence, &canary, &mut report_parts)?;
    evidence.stage(report, REPORT_FILE, report_sha256)?;
    if let Some(log) = client_log {
        canary.check_text("the client log", log.text.as_bytes())?;
        evidence.stage_bytes(&log.facts.file, log.text.as_bytes())?;
    }
    // The summaries' policy hash is the hash of these very bytes.
    evidence.stage_bytes(POLICY_FILE, opts.policy.canonical_yaml().as_bytes())?;
    if let Some(path) = opts.client_log {
        let origin = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        table.push(
            EntryKind::Stem,
            CLIENT_LOG_STEM.to_string(),
            origin.to_string_lossy().into_owned(),
        );
    }
    let staged_mapping = match mapping_out {
        Some(file) => {
            // The log's copy of the mapping holds every planned address and those only the
            // log names.
            log_mapping
                .as_ref()
                .unwrap_or(&mapping)
                .pairs()
                .into_iter()
                .for_each(|p| table.push_address(p));
            for (original, pseudonym) in redactor.name_pairs() {
                table.push(EntryKind::Name, pseudonym, original);
            }
            Some(file.stage(&table)?)
        }
        None => None,
    };
    canary.check_text(SUMS_FILE, evidence.sums().as_bytes())?;
    if let Some(spent) = canary.spent() {
        let (text, keys) = canary.pattern_counts();
        eprintln!(
            "canary scan: {:.3} s ({text} text patterns, {keys} set keys)",
            spent.as_secs_f64()
        );
    }
    // The private mapping and the evidence are put in place together: an interrupt comes
    // before both or after both, and a failure of either leaves neither.
    let mut guard = interrupt::lock();
    let placed_mapping = staged_mapping.map(|m| m.persist()).transpose()?;
    let mut written = match evidence.commit(&mut guard) {
        Ok(paths) => paths,
        Err(e) => {
            if let Some(path) = &placed_mapping {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    guard.finish();
    written.extend(placed_mapping);
    Ok(Sanitized { written, result })
}

/// How an input's SHA-256 is obtained.
enum InputDigest {
    Queued(QueuedDigest),
    Inline(PathBuf),
    /// Hashed already (to find the input in a plan).
    Known(String),
}

impl InputDigest {
    fn get(self) -> std::io::Result<String> {
        match self {
            InputDigest::Queued(d) => d.wait(),
            InputDigest::Inline(path) => sha256_file(&path),
            InputDigest::Known(digest) => Ok(digest),
        }
    }
}

/// `--plan`: the run these inputs are a shard of.
struct Shard {
    plan: crate::shard::RunPlan,
    /// Each input's place in the run.
    places: Vec<usize>,
    digests: Vec<String>,
}

impl Shard {
    fn of(
        path: &Path,
        inputs: &[Input],
        policy: &Policy,
        pool: &rayon::ThreadPool,
    ) -> Result<Shard> {
        let (plan, _) = super::shard_plan::read(path, Some(policy))?;
        let digests = super::shard_plan::input_digests(inputs, pool)?;
        let places = super::shard_plan::places(&plan, path, inputs, &digests)?;
        Ok(Shard {
            plan,
            places,
            digests,
        })
    }
}

/// One input's sanitized capture and summary, written to temporary files of the evidence folder.
struct InputOutputs {
    /// With `--mapping-out`: every address pass 2 rewrote (it may meet addresses pass 1 did
    /// not plan, so the run's mapping alone does not hold them all).
    address_pairs: Vec<AddressPair>,
    capture: tempfile::NamedTempFile,
    capture_name: String,
    capture_sha256: String,
    /// Its summary files (YAML, JSON or both).
    summaries: Vec<summaries::SummaryFile>,
    /// This capture's part of report.html and its ladder SVG.
    visuals: CaptureVisuals,
    ladder_name: String,
    /// What pass 2 wrote and removed, for the run's one-line result.
    stats: RewriteStats,
}

/// Pass 2 of one input, then its summary. The summary's connections are written to a scratch
/// file meanwhile, on a helper thread unless `helpers` is false (`--jobs 1`); the summary is
/// then its head followed by that file.
#[allow(clippy::too_many_arguments)]
fn write_outputs(
    input: &Input,
    stem: &EvidenceStem,
    analysis: &Analysis,
    handshake: HandshakeRedactions,
    digest: InputDigest,
    policy: &Policy,
    mapping: &mut Mapping,
    evidence: &EvidenceDir,
    canary: &Canary,
    helpers: bool,
    log_facts: Option<&ClientLogFacts>,
    want_pairs: bool,
    index: usize,
    bar: &FileBar,
    summary_settings: SummarySettings,
) -> Result<InputOutputs> {
    let capture_name = stem.capture_file(analysis.format.extension());
    let capture_path = evidence.path().join(&capture_name);
    let capture = evidence.temp_file()?;
    // Every endpoint is looked up before the summary's copy of the mapping is taken: the copy
    // then holds each endpoint's pseudonym as pass 2 writes it, and a lookup that adds a
    // mapping warning has added it to the warnings the summary's head lists.
    for (_, c) in analysis.connections.iter() {
        endpoint_pseudonym(mapping, c.client_endpoint());
        endpoint_pseudonym(mapping, c.server_endpoint());
        path_text(analysis.paths.layers(c.key.path), |e| {
            address_pseudonym(mapping, e)
        });
    }
    let tail_mapping = mapping.clone();
    let (written, tail) = if helpers {
        std::thread::scope(|s| {
            let tail = s.spawn(|| {
                summaries::write_tails(analysis, &tail_mapping, evidence, canary, summary_settings)
            });
            let written = rewrite_capture(
                input,
                analysis,
                policy,
                mapping,
                (capture.as_file(), &capture_path),
                canary,
                true,
                bar,
            );
            let tail = tail
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the summary's writing thread failed")));
            (written, tail)
        })
    } else {
        (
            rewrite_capture(
                input,
                analysis,
                policy,
                mapping,
                (capture.as_file(), &capture_path),
                canary,
                false,
                bar,
            ),
            summaries::write_tails(analysis, &tail_mapping, evidence, canary, summary_settings),
        )
    };
    let (written, tails) = (written?, tail?);
    let input_sha256 = digest
        .get()
        .with_context(|| format!("cannot hash {}", input.name))?;
    let head = summary_head(
        &input_sha256,
        analysis,
        policy,
        mapping,
        &capture_name,
        &written,
        handshake,
        log_facts,
    );
    let summaries = summaries::assemble(&head, tails, stem, evidence, canary)?;
    let visuals = visual::render(analysis, mapping, &head, index, stem.as_str(), || {
        evidence.scratch_file()
    })?;
    canary.check_text("the ladder diagram", visuals.ladder_svg.as_bytes())?;
    Ok(InputOutputs {
        address_pairs: if want_pairs {
            mapping.pairs()
        } else {
            Vec::new()
        },
        capture,
        capture_name,
        capture_sha256: written.sha256.clone(),
        summaries,
        visuals,
        ladder_name: stem.ladder_file(),
        stats: written.stats.clone(),
    })
}

/// Maps a client log's addresses and host names exactly as the captures were mapped.
struct RunMapper<'a> {
    mapping: &'a mut Mapping,
    redactor: &'a mut Redactor,
}

impl LogMapper for RunMapper<'_> {
    fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4] {
        self.mapping.ipv4(a)
    }

    fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16] {
        self.mapping.ipv6(a)
    }

    fn host(&mut self, name: &str) -> String {
        if crate::redact::is_reserved_name(name.as_bytes()) {
            return name.to_string();
        }
        match self.redactor.name_pseudonym(name.as_bytes()) {
            Some(p) => String::from_utf8_lossy(&p).into_owned(),
            // `sni: keep` still must not leak names through the log: hide them.
            None => "x".repeat(name.len()),
        }
    }
}

/// A client log sanitized for the evidence folder: its text and what the summary says of it.
struct SanitizedLog {
    text: String,
    facts: ClientLogFacts,
}

fn sanitize_client_log(
    path: &Path,
    mapping: &mut Mapping,
    redactor: &mut Redactor,
) -> Result<SanitizedLog> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the client log {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let (clean, report) = sanitize_log(&text, &mut RunMapper { mapping, redactor });
    Ok(SanitizedLog {
        text: clean,
        facts: ClientLogFacts {
            file: client_log_file(),
            report,
        },
    })
}

/// The output capture's digest and the rewrite counters.
pub struct Written {
    pub sha256: String,
    pub stats: RewriteStats,
}

/// Pass 2 of one input into `file`, which becomes `final_path` (the name errors give).
#[allow(clippy::too_many_arguments)]
fn rewrite_capture(
    input: &Input,
    analysis: &Analysis,
    policy: &Policy,
    mapping: &mut Mapping,
    (file, final_path): (&File, &Path),
    canary: &Canary,
    background_writer: bool,
    bar: &FileBar,
) -> Result<Written> {
    let io_err = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", final_path.display());
    let mut reader = CaptureReader::open(input.path(), &input.name)?;
    if let Some(f) = bar.pass(1) {
        reader.on_progress(f);
    }
    let sink = HashedFileWriter::new(file.try_clone().map_err(io_err)?, background_writer);
    let pcap_header = reader.pcap_header();
    let mut writer = match (analysis.format, pcap_header) {
        (Format::Pcap, Some(h)) => CaptureWriter::pcap(sink, h)?,
        _ => CaptureWriter::pcapng(sink),
    };
    let mut rewriter = Rewriter::new(policy, analysis);
    // The canary scan of the packets runs beside the rewriting when other threads may
    // (`canary::checker`); either way the first leaking packet refuses the evidence.
    std::thread::scope(|scope| -> Result<()> {
        let mut checker = match background_writer {
            true => PacketChecker::background(scope, canary),
            false => PacketChecker::inline(canary),
        };
        let rewritten = rewrite_packets(
            input,
            &mut reader,
            &mut writer,
            &mut rewriter,
            mapping,
            &mut checker,
            &io_err,
        );
        // A leak found beside the rewriting is the reason the run stops, whatever failed
        // after it.
        checker.finish()?;
        rewritten
    })?;
    rewriter.finish().with_context(|| {
        format!(
            "{}: cannot read a connection's plan back from the temporary file",
            input.name
        )
    })?;
    let written = writer.into_inner().finish().map_err(io_err)?;
    Ok(Written {
        sha256: written.sha256,
        stats: rewriter.stats,
    })
}

/// Pass 2's loop over the input's records: each packet rewritten, scanned and written.
fn rewrite_packets(
    input: &Input,
    reader: &mut CaptureReader,
    writer: &mut CaptureWriter<HashedFileWriter>,
    rewriter: &mut Rewriter<'_>,
    mapping: &mut Mapping,
    checker: &mut PacketChecker<'_, '_>,
    io_err: &dyn Fn(std::io::Error) -> anyhow::Error,
) -> Result<()> {
    let pcap = reader.pcap_header().is_some();
    while let Some(event) = reader.next_event()? {
        match event {
            Event::Section => writer.section().map_err(io_err)?,
            Event::Interface(mut iface) => {
                let units = iface.units_per_second().unwrap_or(1_000_000);
                if !rewriter.can_shift_at(units) {
                    anyhow::bail!(
                        "{}: an interface counts time in units of 1/{units} s, too fine for 64-bit timestamps to reach the year 2000: sanitize it with a policy whose timestamps are kept",
                        input.name
                    );
                }
                if rewriter.shifts_time() {
                    iface.tsoffset = None;
                }
                writer.interface(&iface).map_err(io_err)?
            }
            Event::Dropped(_) | Event::TlsKeyLog(_) => {}
            Event::BadPacket { .. } => rewriter.count_drop(DropReason::UnknownInterface),
            Event::Packet(pkt) => {
                let ts = rewriter.timestamp(&pkt, pcap);
                match rewriter.packet(&pkt, mapping) {
                    Ok(RewrittenPacket { bytes, layout }) => {
                        checker.check(pkt.number, layout, bytes)?;
                        writer
                            .packet(pkt.interface, ts, pkt.orig_len, bytes)
                            .map_err(io_err)?;
                        rewriter.stats.packets_written += 1;
                    }
                    Err(reason) => rewriter.count_drop(reason),
                }
            }
        }
    }
    Ok(())
}

/// What the user must know about how a capture was read and followed, one sentence each.
pub fn analysis_warnings(name: &str, analysis: &Analysis) -> Vec<String> {
    let mut warnings: Vec<String> = analysis
        .warnings
        .iter()
        .map(|w| warning_text(name, w))
        .collect();
    if analysis.finalised_early > 0 {
        warnings.push(format!(
            "{name}: more than {} connections were open at once, so the {} longest idle were diagnosed as they stood; packets they sent later are counted and their payload removed",
            analyze::MAX_LIVE,
            analysis.finalised_early
        ));
    }
    warnings
}

pub fn warning_text(name: &str, w: &ReadWarning) -> String {
    match w {
        ReadWarning::TruncatedRecord { packet, offset } => format!(
            "{name}, byte offset {offset}: the file ends inside the record that would hold packet {packet}; the {} packets before it were processed",
            packet - 1
        ),
    }
}

/// How the summary's warnings name the input: never by its file name, which may say whose
/// capture it is.
const SUMMARY_INPUT_LABEL: &str = "the input";

#[allow(clippy::too_many_arguments)]
fn summary_head(
    input_sha256: &str,
    analysis: &Analysis,
    policy: &Policy,
    mapping: &Mapping,
    out_name: &str,
    written: &Written,
    handshake: HandshakeRedactions,
    log_facts: Option<&ClientLogFacts>,
) -> SummaryHead {
    let stats = &written.stats;
    let counts = mapping.counts();
    let mapping_warnings = mapping.warnings().to_vec();
    let shifted = policy.timestamps == crate::policy::TimestampMode::Shift;
    SummaryHead {
        lead: SummaryLead::of(analysis, !shifted),
        tool: Tool::default(),
        input: InputFacts {
            sha256: input_sha256.to_string(),
            format: analysis.format.as_str(),
            link_types: analysis
                .link_types
                .iter()
                .map(|&l| crate::wire::link_type_name(l))
                .collect(),
            packets: analysis.packets,
            bytes: analysis.file_bytes,
            warnings: analysis_warnings(SUMMARY_INPUT_LABEL, analysis),
        },
        output: OutputFacts {
            file: out_name.to_string(),
            sha256: written.sha256.clone(),
            packets_written: stats.packets_written,
            packets_dropped: stats
                .dropped
                .iter()
                .map(|(r, n)| (r.as_str().to_string(), *n))
                .collect(),
            payload_bytes_removed: stats.payload_bytes_removed,
        },
        policy: PolicyFacts {
            name: policy.name.clone(),
            sha256: policy.sha256_hex(),
        },
        redactions: Redactions {
            ipv4_addresses_mapped: counts.ipv4 as u64,
            ipv6_addresses_mapped: counts.ipv6 as u64,
            mac_addresses_mapped: counts.mac as u64,
            packets_with_payload_removed: stats.packets_with_payload_removed,
            tls_record_headers_kept: stats.tls_record_headers_kept,
            ip_option_areas_blanked: stats.ip_option_areas_blanked,
            tcp_option_areas_blanked: stats.tcp_option_areas_blanked,
            link_addresses_blanked: stats.link_addresses_blanked,
            tunnel_header_areas_blanked: stats.tunnel_header_areas_blanked,
            unparsed_network_headers_removed: stats.unparsed_network_headers_removed,
            pcapng_blocks_dropped: analysis
                .dropped_blocks
                .iter()
                .map(|(k, n)| (k.as_str().to_string(), *n))
                .collect::<BTreeMap<_, _>>(),
            pcapng_comments_dropped: analysis.dropped_options.comments,
            pcapng_options_dropped: analysis.dropped_options.other,
            mapping_warnings,
            handshake: handshake.counts,
            certificates_zeroed: handshake.certificates_zeroed,
            handshake_messages_removed: analysis
                .connections
                .iter()
                .map(|(_, c)| c.handshake_messages_removed)
                .sum(),
            conflicting_ranges_removed: analysis
                .connections
                .iter()
                .map(|(_, c)| c.conflicted_ranges_removed)
                .sum(),
            handshake_bytes_kept: stats.handshake_bytes_kept,
        },
        client_log: log_facts.cloned(),
    }
}
