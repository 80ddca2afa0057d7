//! What `report.html` and the ladder SVG show of one capture, gathered from the same data as
//! its summary: the analysis' diagnoses (read back from the spill file when they were not
//! kept in memory), the mapping's pseudonyms and the summary's head. Never the input's bytes.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Seek, Write};

use anyhow::Result;

use super::html::{self, FULL_CONNECTIONS, Overview, Row};
use super::ladder::{self, Ladder};
use super::summary::{SummaryHead, endpoint_pseudonym};
use crate::analyze::Analysis;
use crate::analyze::diagnosis::Diagnosis;
use crate::anonymize::Mapping;

/// Failing connections drawn in the standalone ladder SVG (a ticket's image stays readable).
pub const LADDER_SVG_CONNECTIONS: usize = 20;

/// One capture's part of `report.html` and its ladder SVG.
pub struct CaptureVisuals {
    /// In a scratch file, rewound to its start: the part has a table row per connection, so
    /// it grows with the capture and is never held in memory.
    pub html_part: File,
    pub ladder_svg: String,
}

/// Gathers and renders one capture; `scratch` gives the temporary files the part is written
/// to. `index` numbers the inputs from 0: the first capture's sections are `#conn-N`, the next
/// ones' `#capture-K-conn-N`.
pub fn render(
    analysis: &Analysis,
    mapping: &mut Mapping,
    head: &SummaryHead,
    index: usize,
    title: &str,
    scratch: impl Fn() -> Result<File>,
) -> Result<CaptureVisuals> {
    let anchor_prefix = if index == 0 {
        "conn-".to_string()
    } else {
        format!("capture-{}-conn-", index + 1)
    };
    let verdicts: Vec<_> = analysis
        .connections
        .iter()
        .map(|(_, c)| c.verdict)
        .collect();
    let order = html::significance_order(&verdicts);
    drop(verdicts);
    // The rows are made in table order, one at a time, each from its diagnosis (read back
    // from the spill file on a large capture) and written out at once; only the detailed
    // connections' sections are kept, at most FULL_CONNECTIONS of them.
    let mut table = BufWriter::new(scratch()?);
    let mut line = String::new();
    let mut verdict_counts = BTreeMap::new();
    let mut span: f64 = 0.0;
    let mut details = Vec::new();
    let mut failing: Vec<(Row, Diagnosis)> = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        let c = &analysis.connections.get(i as usize).1;
        let d = analysis.diagnosis(c)?;
        *verdict_counts.entry(d.verdict).or_insert(0u64) += 1;
        if let Some(last) = d.timeline.last() {
            span = span.max(last.t);
        }
        let id = i as usize + 1;
        let row = Row {
            id,
            anchor: format!("{anchor_prefix}{id}"),
            verdict: d.verdict,
            client: endpoint_pseudonym(mapping, c.client_endpoint()),
            server: endpoint_pseudonym(mapping, c.server_endpoint()),
            sni_pseudonym: d.tls.as_ref().and_then(|t| t.sni_pseudonym.clone()),
            versions: versions_text(&d),
            alert: d
                .tls
                .as_ref()
                .and_then(|t| t.alerts.first())
                .map(html::alert_text),
            detailed: pos < FULL_CONNECTIONS,
        };
        line.clear();
        html::table_row(&mut line, &row);
        table.write_all(line.as_bytes())?;
        if row.detailed {
            details.push(html::connection_section(&row, &d));
            if d.verdict.is_failure() && pos < LADDER_SVG_CONNECTIONS {
                failing.push((row, d.into_owned()));
            }
        }
    }
    let mut table = table.into_inner().map_err(|e| e.into_error())?;
    table.rewind()?;
    let overview = Overview {
        title: title.to_string(),
        verdict: analysis.verdict(),
        verdict_counts,
        packets: head.input.packets,
        span,
        removed: removed_counts(head),
    };
    let ladders: Vec<Ladder<'_>> = failing
        .iter()
        .map(|(r, d)| Ladder {
            title: format!(
                "Connection {}: {} ({} → {})",
                r.id, r.verdict, r.client, r.server
            ),
            client: &r.client,
            server: &r.server,
            diagnosis: d,
        })
        .collect();
    let note = ladders
        .is_empty()
        .then_some("No connection of this capture failed: nothing to draw.");
    let ladder_svg = ladder::standalone_svg(&ladders, note);
    let mut part = BufWriter::new(scratch()?);
    html::write_capture_part(&mut part, &overview, &mut table, order.len(), &details)?;
    let mut html_part = part.into_inner().map_err(|e| e.into_error())?;
    html_part.rewind()?;
    Ok(CaptureVisuals {
        html_part,
        ladder_svg,
    })
}

/// `TLS 1.3 offered, TLS 1.2 negotiated`: what the table's versions column says.
fn versions_text(d: &Diagnosis) -> String {
    let Some(t) = &d.tls else {
        return String::new();
    };
    let offered = t.versions_offered.join(", ");
    match &t.negotiated_version {
        Some(n) if offered.is_empty() => format!("{n} negotiated"),
        Some(n) => format!("{offered} offered, {n} negotiated"),
        None if offered.is_empty() => String::new(),
        None => format!("{offered} offered"),
    }
}

/// The summary's counts of what was removed or replaced, those above zero, by their summary
/// key: one list, read from the same structures the summary writes.
fn removed_counts(head: &SummaryHead) -> Vec<(String, u64)> {
    let mut out = vec![(
        "payload_bytes_removed".to_string(),
        head.output.payload_bytes_removed,
    )];
    for (reason, n) in &head.output.packets_dropped {
        out.push((format!("packets dropped ({reason})"), *n));
    }
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&head.redactions) {
        for (key, value) in fields {
            match value {
                serde_json::Value::Number(n) => out.push((key, n.as_u64().unwrap_or(0))),
                serde_json::Value::Object(inner) => {
                    for (k, v) in inner {
                        out.push((format!("{key}: {k}"), v.as_u64().unwrap_or(0)));
                    }
                }
                _ => {}
            }
        }
    }
    // Counts of what was kept (record headers, handshake bytes) are not removals.
    out.retain(|(key, n)| *n > 0 && !key.ends_with("_kept"));
    out
}
