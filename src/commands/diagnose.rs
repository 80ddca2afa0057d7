//! `pcapscrub diagnose`: analysis only; a tcpdump-style reading of every connection with a
//! verdict, an explanation and a hint. Real addresses unless `--sanitized`.

use std::borrow::Cow;
use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde::Serialize;

use super::input::Input;
use super::progress::Progress;
use crate::analyze::diagnosis::Diagnosis;
use crate::analyze::verdict::Verdict;
use crate::analyze::{self, Analysis, Connection};
use crate::anonymize::{AddressPlanner, Mapping, MappingKey};
use crate::capture::CaptureReader;
use crate::flow::{Endpoint, TransportKind};
use crate::policy::Policy;
use crate::redact::Redactor;
use crate::report::streamed::Streamed;
use crate::report::summary::{
    SummaryLead, address_pseudonym, address_text, endpoint_pseudonym, endpoint_text, path_text,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Yaml,
    /// The same keys as YAML, one JSON object.
    Json,
}

/// Which connections a report shows (`--connection`, `--verdict`, `--all`). The capture's
/// verdict and its per-verdict counts always cover every connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionFilter {
    /// Only the connection with this id (1-based, as reports number them).
    pub connection: Option<usize>,
    /// Only connections with this verdict.
    pub verdict: Option<Verdict>,
    /// Text: every selected connection in full, not only the failing ones and not capped.
    pub all: bool,
}

impl ConnectionFilter {
    fn selects(&self, id: usize, verdict: Verdict) -> bool {
        self.connection.is_none_or(|n| n == id) && self.verdict.is_none_or(|v| v == verdict)
    }

    fn narrows(&self) -> bool {
        self.connection.is_some() || self.verdict.is_some()
    }
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
    pub filter: ConnectionFilter,
    pub color: bool,
    /// The key logs given with `--keylog` (`crate::keylog`).
    pub keylog: Option<std::sync::Arc<crate::keylog::KeyLog>>,
}

/// How a `--sanitized` report names the capture: its path may say whose it is.
const SANITIZED_LABEL: &str = "capture";

/// Connections shown in full in the text report before the rest are only counted.
const MAX_DETAILED: usize = 20;

/// Analyses the capture and writes the report to `out`.
pub fn run(opts: &DiagnoseOptions<'_>, out: &mut impl std::io::Write) -> Result<()> {
    let input = Input::resolve(opts.input)?;
    let mut reader = CaptureReader::open(input.path(), &input.name)?;
    let bar = Progress::on_terminal().file("diagnose", &input.name, (1, 1), input.size_bytes(), 1);
    if let Some(f) = bar.pass(0) {
        reader.on_progress(f);
    }
    let mut planner = AddressPlanner::new();
    let mut redactor = Redactor::throwaway(opts.policy, opts.key);
    let analysis = analyze::analyze_with(
        &mut reader,
        &mut planner,
        &mut redactor,
        analyze::Keep::DiagnosisOnly,
        opts.keylog.clone(),
    )?;
    bar.finish();
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
    if let Some(note) = super::keylog::note(label, &analysis) {
        eprintln!("note: {note}");
    }
    let count = analysis.connections.len();
    if let Some(n) = opts.filter.connection
        && (n == 0 || n > count)
    {
        anyhow::bail!(
            "{label} has {count} TCP connection{}: there is no connection {n}",
            if count == 1 { "" } else { "s" }
        );
    }
    // The real start time is shown unless the pseudonymous view follows a policy that hides it.
    let show_start =
        !opts.sanitized || opts.policy.timestamps != crate::policy::TimestampMode::Shift;
    let mut names = |e: Endpoint, port: bool| endpoint_name(e, port, mapping.as_mut());
    let overall = analysis.verdict();
    match opts.format {
        OutputFormat::Yaml | OutputFormat::Json => {
            let report = machine_report(
                label,
                &analysis,
                &mut names,
                opts.sanitized,
                show_start,
                opts.filter,
            );
            let cannot = "cannot write the report to standard output";
            if opts.format == OutputFormat::Json {
                serde_json::to_writer_pretty(&mut *out, &report).context(cannot)?;
                out.write_all(b"\n").context(cannot)
            } else {
                serde_saphyr::to_io_writer(out, &report).context(cannot)
            }
        }
        OutputFormat::Text => {
            let text = text_report(
                !opts.sanitized,
                label,
                &analysis,
                overall,
                &mut names,
                opts.color,
                opts.filter,
            )?;
            out.write_all(text.as_bytes())
                .context("cannot write the report to standard output")
        }
    }
}

/// An endpoint as the report names it: real or pseudonymous, with its port or (a tunnel's
/// endpoint) without.
fn endpoint_name(e: Endpoint, port: bool, mapping: Option<&mut Mapping>) -> String {
    match (mapping, port) {
        (None, true) => endpoint_text(e.addr_bytes(), e.port),
        (None, false) => address_text(e.addr_bytes()),
        (Some(m), true) => endpoint_pseudonym(m, e),
        (Some(m), false) => address_pseudonym(m, e),
    }
}

/// What `--format yaml|json` prints: the summary's lead, then the connections.
#[derive(Serialize)]
struct MachineReport<'a> {
    #[serde(flatten)]
    lead: SummaryLead,
    file: String,
    packets: u64,
    connections: Streamed<Box<dyn Iterator<Item = Result<MachineConnection<'a>>> + 'a>>,
}

#[derive(Serialize)]
struct MachineConnection<'a> {
    id: usize,
    client: String,
    server: String,
    /// The name the client asked for: the real one on the engineer's own machine, the
    /// pseudonym the evidence carries under `--sanitized`.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_name: Option<String>,
    /// The encapsulations the connection was carried in (absent for a plain connection).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path: Vec<String>,
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

fn machine_report<'a>(
    label: &str,
    analysis: &'a Analysis,
    names: &'a mut impl FnMut(Endpoint, bool) -> String,
    sanitized: bool,
    show_start: bool,
    filter: ConnectionFilter,
) -> MachineReport<'a> {
    let connections = analysis
        .connections
        .iter()
        .enumerate()
        .filter(move |(i, (_, c))| filter.selects(i + 1, c.verdict))
        .map(move |(i, (_, c))| {
            let d = analysis.diagnosis(c)?;
            let server_name = if sanitized {
                d.tls.as_ref().and_then(|t| t.sni_pseudonym.clone())
            } else {
                d.sni_name.clone()
            };
            Ok(MachineConnection {
                id: i + 1,
                client: names(c.client_endpoint(), true),
                server: names(c.server_endpoint(), true),
                server_name,
                path: path_text(analysis.paths.layers(c.key.path), |e| names(e, false)),
                diagnosis: shown_diagnosis(d, sanitized),
            })
        });
    MachineReport {
        lead: SummaryLead::of(analysis, show_start),
        file: label.to_string(),
        packets: analysis.packets,
        connections: Streamed::new(Box::new(connections)),
    }
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
    names: &mut impl FnMut(Endpoint, bool) -> String,
    color: bool,
    filter: ConnectionFilter,
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
    let udp = analysis
        .connections
        .iter()
        .filter(|(k, _)| k.transport == TransportKind::Udp)
        .count();
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    let udp_text = if udp > 0 {
        format!(", {udp} UDP connection{}", plural(udp))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{label}: {} packets, {} TCP connection{}{udp_text}; verdict: {overall_text}",
        analysis.packets,
        n - udp,
        plural(n - udp)
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
    // A narrowed report shows what was asked for; otherwise the failures, or everything
    // when there is little.
    let show_all = filter.all || filter.narrows() || n <= 5;
    let cap = if filter.all { usize::MAX } else { MAX_DETAILED };
    let mut shown = 0;
    let mut rest: std::collections::BTreeMap<&'static str, usize> =
        std::collections::BTreeMap::new();
    for (i, c) in order {
        let v = c.verdict;
        if !filter.selects(i + 1, v) {
            continue;
        }
        if (v.is_failure() || show_all) && shown < cap {
            shown += 1;
            let d = analysis.diagnosis(c)?;
            let path = path_text(analysis.paths.layers(c.key.path), |e| names(e, false));
            connection_text(&mut out, i + 1, c, &path, &d, names, &paint);
        } else {
            *rest.entry(v.as_str()).or_insert(0) += 1;
        }
    }
    if !rest.is_empty() {
        let parts: Vec<String> = rest.iter().map(|(v, k)| format!("{v} ×{k}")).collect();
        let _ = writeln!(
            out,
            "\nother connections: {} (--all lists them, --verdict NAME or --connection N picks)",
            parts.join(", ")
        );
    } else if shown == 0 && filter.narrows() {
        let _ = writeln!(out, "\nno connection matches the filter");
    }
    Ok(out)
}

fn connection_text(
    out: &mut String,
    id: usize,
    c: &Connection,
    path: &[String],
    d: &Diagnosis,
    names: &mut impl FnMut(Endpoint, bool) -> String,
    paint: &Paint,
) {
    let via = if path.is_empty() {
        String::new()
    } else {
        format!("  via {}", path.join(" / "))
    };
    let over = match d.transport {
        TransportKind::Udp => format!("  ({} over UDP)", d.protocol.as_str().to_uppercase()),
        TransportKind::Tcp => String::new(),
    };
    let _ = writeln!(
        out,
        "\nconnection {id}: {} -> {}  {}{over}{via}",
        names(c.client_endpoint(), true),
        names(c.server_endpoint(), true),
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
    if let Some(ech) = d.tls.as_ref().and_then(|t| t.ech_status) {
        let _ = writeln!(out, "  ECH: {}", ech.describe());
    }
    let _ = writeln!(
        out,
        "  verdict: {}: {}",
        paint.verdict(d.verdict),
        d.explanation
    );
    let _ = writeln!(out, "  hint:    {}", d.hint);
}
