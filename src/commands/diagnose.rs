//! `pcapscrub diagnose`: analysis only; a tcpdump-style reading of every connection with a
//! verdict, an explanation and a hint. Real addresses unless `--sanitized`.

use std::borrow::Cow;
use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde::Serialize;

use super::input::Input;
use crate::analyze::diagnosis::Diagnosis;
use crate::analyze::verdict::Verdict;
use crate::analyze::{self, Analysis, Connection};
use crate::anonymize::{AddressPlanner, Mapping, MappingKey};
use crate::capture::CaptureReader;
use crate::flow::Endpoint;
use crate::policy::Policy;
use crate::redact::Redactor;
use crate::report::streamed::Streamed;
use crate::report::summary::{endpoint_pseudonym, endpoint_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Yaml,
}

pub struct DiagnoseOptions<'a> {
    pub input: &'a str,
    pub format: OutputFormat,
    pub sanitized: bool,
    /// The key pseudonyms are made with (`--key`, the same as `sanitize --key`); a random one
    /// without it.
    pub key: &'a MappingKey,
    /// The policy pseudonyms follow (host-name style, allowlist), as `sanitize -p` would.
    pub policy: &'a Policy,
    pub color: bool,
}

/// How a `--sanitized` report names the capture: its path may say whose it is.
const SANITIZED_LABEL: &str = "capture";

/// Connections shown in full in the text report before the rest are only counted.
const MAX_DETAILED: usize = 20;

/// Analyses the capture and writes the report to `out`.
pub fn run(opts: &DiagnoseOptions<'_>, out: &mut impl std::io::Write) -> Result<()> {
    let input = Input::resolve(opts.input)?;
    let mut reader = CaptureReader::open(input.path(), &input.name)?;
    let mut planner = AddressPlanner::new();
    let mut redactor = Redactor::throwaway(opts.policy, opts.key);
    let analysis = analyze::analyze_keeping(
        &mut reader,
        &mut planner,
        &mut redactor,
        analyze::Keep::DiagnosisOnly,
    )?;
    let mut mapping = if opts.sanitized {
        let mut mapping = planner.finish(opts.key)?;
        mapping.set_allowlist(opts.policy.allowlist());
        Some(mapping)
    } else {
        None
    };
    let label = if opts.sanitized {
        SANITIZED_LABEL
    } else {
        input.name.as_str()
    };
    for w in super::sanitize::analysis_warnings(label, &analysis) {
        eprintln!("warning: {w}");
    }
    let mut names = |e: Endpoint| endpoint_name(e, mapping.as_mut());
    let overall = analysis.verdict();
    match opts.format {
        OutputFormat::Yaml => {
            yaml_report(out, label, &analysis, overall, &mut names, opts.sanitized)
        }
        OutputFormat::Text => {
            let text = text_report(
                !opts.sanitized,
                label,
                &analysis,
                overall,
                &mut names,
                opts.color,
            )?;
            out.write_all(text.as_bytes())
                .context("cannot write the report to standard output")
        }
    }
}

fn endpoint_name(e: Endpoint, mapping: Option<&mut Mapping>) -> String {
    match mapping {
        None => endpoint_text(e.addr_bytes(), e.port),
        Some(m) => endpoint_pseudonym(m, e),
    }
}

#[derive(Serialize)]
struct YamlReport<'a> {
    file: String,
    packets: u64,
    verdict: Option<Verdict>,
    connections: Streamed<Box<dyn Iterator<Item = Result<YamlConnection<'a>>> + 'a>>,
}

#[derive(Serialize)]
struct YamlConnection<'a> {
    id: usize,
    client: String,
    server: String,
    #[serde(flatten)]
    diagnosis: Cow<'a, Diagnosis>,
}

/// Without `--sanitized` the pseudonym would come from a throw-away key and mean nothing:
/// leave it out.
fn shown_diagnosis(d: Cow<'_, Diagnosis>, sanitized: bool) -> Cow<'_, Diagnosis> {
    if sanitized || d.tls.as_ref().is_none_or(|t| t.sni_pseudonym.is_none()) {
        return d;
    }
    let mut d = d.into_owned();
    if let Some(t) = d.tls.as_mut() {
        t.sni_pseudonym = None;
    }
    Cow::Owned(d)
}

fn yaml_report(
    out: &mut impl std::io::Write,
    label: &str,
    analysis: &Analysis,
    overall: Option<Verdict>,
    names: &mut impl FnMut(Endpoint) -> String,
    sanitized: bool,
) -> Result<()> {
    let connections = analysis
        .connections
        .iter()
        .enumerate()
        .map(move |(i, (_, c))| {
            Ok(YamlConnection {
                id: i + 1,
                client: names(c.client_endpoint()),
                server: names(c.server_endpoint()),
                diagnosis: shown_diagnosis(analysis.diagnosis(c)?, sanitized),
            })
        });
    let report = YamlReport {
        file: label.to_string(),
        packets: analysis.packets,
        verdict: overall,
        connections: Streamed::new(Box::new(connections)),
    };
    serde_saphyr::to_io_writer(out, &report).context("cannot write the report to standard output")
}

struct Paint {
    on: bool,
    /// Show the real SNI (the engineer's own machine) rather than the pseudonym.
    real_names: bool,
}

impl Paint {
    fn verdict(&self, v: Verdict) -> String {
        if !self.on {
            return v.as_str().to_string();
        }
        let code = if v.is_failure() { "1;31" } else { "1;32" };
        format!("\x1b[{code}m{}\x1b[0m", v.as_str())
    }

    fn dim(&self, s: &str) -> String {
        if self.on {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn text_report(
    real_names: bool,
    label: &str,
    analysis: &Analysis,
    overall: Option<Verdict>,
    names: &mut impl FnMut(Endpoint) -> String,
    color: bool,
) -> Result<String> {
    let paint = Paint {
        on: color,
        real_names,
    };
    let mut out = String::new();
    let n = analysis.connections.len();
    let overall_text = overall
        .map(|v| paint.verdict(v))
        .unwrap_or_else(|| "none (no TCP connection)".into());
    let _ = writeln!(
        out,
        "{label}: {} packets, {n} TCP connection{}; verdict: {overall_text}",
        analysis.packets,
        if n == 1 { "" } else { "s" }
    );
    let mut order: Vec<(usize, &Connection)> = analysis
        .connections
        .iter()
        .map(|(_, c)| &**c)
        .enumerate()
        .collect();
    // Failing connections first, most significant first; then in capture order.
    order.sort_by_key(|(i, c)| {
        let v = c.verdict;
        (!v.is_failure(), std::cmp::Reverse(v.significance()), *i)
    });
    let show_all = n <= 5;
    let mut shown = 0;
    let mut rest: std::collections::BTreeMap<&'static str, usize> =
        std::collections::BTreeMap::new();
    for (i, c) in order {
        let v = c.verdict;
        if (v.is_failure() || show_all) && shown < MAX_DETAILED {
            shown += 1;
            let d = analysis.diagnosis(c)?;
            connection_text(&mut out, i + 1, c, &d, names, &paint);
        } else {
            *rest.entry(v.as_str()).or_insert(0) += 1;
        }
    }
    if !rest.is_empty() {
        let parts: Vec<String> = rest.iter().map(|(v, k)| format!("{v} ×{k}")).collect();
        let _ = writeln!(out, "\nother connections: {}", parts.join(", "));
    }
    Ok(out)
}

fn connection_text(
    out: &mut String,
    id: usize,
    c: &Connection,
    d: &Diagnosis,
    names: &mut impl FnMut(Endpoint) -> String,
    paint: &Paint,
) {
    let _ = writeln!(
        out,
        "\nconnection {id}: {} -> {}  {}",
        names(c.client_endpoint()),
        names(c.server_endpoint()),
        paint.verdict(d.verdict)
    );
    for e in &d.timeline {
        let _ = writeln!(out, "  {:>12.6}  {:<6}  {}", e.t, e.from.as_str(), e.event);
    }
    if d.timeline_omitted > 0 {
        let _ = writeln!(
            out,
            "  {}",
            paint.dim(&format!("… {} more events", d.timeline_omitted))
        );
    }
    let name = if paint.real_names {
        d.sni_name.clone()
    } else {
        d.tls.as_ref().and_then(|t| t.sni_pseudonym.clone())
    };
    if let Some(name) = name {
        let _ = writeln!(out, "  server name (SNI): {name}");
    }
    let _ = writeln!(
        out,
        "  verdict: {}: {}",
        paint.verdict(d.verdict),
        d.explanation
    );
    let _ = writeln!(out, "  hint:    {}", d.hint);
}
