//! What `report.html` and the ladder SVG show of one capture, gathered from the same data as
//! its summary: the analysis' diagnoses (read back from the spill file when they were not
//! kept in memory), the mapping's pseudonyms and the summary's head. Never the input's bytes.

use std::collections::{BTreeMap, HashMap};

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
    pub html_part: String,
    pub ladder_svg: String,
}

/// Gathers and renders one capture. `index` numbers the inputs from 0: the first capture's
/// sections are `#conn-N`, the next ones' `#capture-K-conn-N`.
pub fn render(
    analysis: &Analysis,
    mapping: &mut Mapping,
    head: &SummaryHead,
    index: usize,
    title: &str,
) -> Result<CaptureVisuals> {
    let anchor_prefix = if index == 0 {
        "conn-".to_string()
    } else {
        format!("capture-{}-conn-", index + 1)
    };
    let mut rows = Vec::with_capacity(analysis.connections.len());
    let mut verdict_counts = BTreeMap::new();
    let mut span: f64 = 0.0;
    for (i, (_, c)) in analysis.connections.iter().enumerate() {
        let d = analysis.diagnosis(c)?;
        *verdict_counts.entry(d.verdict).or_insert(0u64) += 1;
        if let Some(last) = d.timeline.last() {
            span = span.max(last.t);
        }
        let id = i + 1;
        rows.push(Row {
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
            detailed: false,
        });
    }
    html::sort_rows(&mut rows);
    // The detailed connections are the first in table order; their diagnoses are read again
    // (one at a time from the spill file on a large capture) rather than all kept.
    let mut position: HashMap<usize, usize> = HashMap::new();
    for (pos, row) in rows.iter_mut().take(FULL_CONNECTIONS).enumerate() {
        row.detailed = true;
        position.insert(row.id, pos);
    }
    let mut details = vec![String::new(); position.len()];
    let mut failing: Vec<(usize, Diagnosis)> = Vec::new();
    for (i, (_, c)) in analysis.connections.iter().enumerate() {
        let Some(&pos) = position.get(&(i + 1)) else {
            continue;
        };
        let d = analysis.diagnosis(c)?;
        details[pos] = html::connection_section(&rows[pos], &d);
        if d.verdict.is_failure() && pos < LADDER_SVG_CONNECTIONS {
            failing.push((pos, d.into_owned()));
        }
    }
    failing.sort_by_key(|(pos, _)| *pos);
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
        .map(|(pos, d)| {
            let r = &rows[*pos];
            Ladder {
                title: format!(
                    "Connection {}: {} ({} → {})",
                    r.id, r.verdict, r.client, r.server
                ),
                client: &r.client,
                server: &r.server,
                diagnosis: d,
            }
        })
        .collect();
    let note = ladders
        .is_empty()
        .then_some("No connection of this capture failed: nothing to draw.");
    let ladder_svg = ladder::standalone_svg(&ladders, note);
    Ok(CaptureVisuals {
        html_part: html::capture_part(&overview, &rows, &details),
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
