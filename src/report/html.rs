//! `report.html`: one self-contained page for a person opening a ticket attachment — the
//! capture's verdict, a table of its connections and a ladder diagram per connection. Inline
//! CSS and SVG only: no script, no URL of any kind, and a Content-Security-Policy that forbids
//! fetching anything, so opening it sends no request. Every text written is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};

use super::ladder::{self, Ladder, escape};
use crate::analyze::diagnosis::Diagnosis;
use crate::analyze::verdict::Verdict;

/// The page's Content-Security-Policy: nothing may be fetched; only the inline style applies.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// Connections drawn in full per capture; the rest are listed in the table only.
pub const FULL_CONNECTIONS: usize = 200;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;background:#fff}\
h1{font-size:22px}h2{font-size:19px;margin-top:32px}h3{font-size:16px}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;font-size:13px}\
th{background:#eee}.mono{font-family:monospace}\
.failure{color:#a00000;font-weight:bold}.success{color:#1a6b1a;font-weight:bold}\
.verdict-banner{font-size:20px;padding:8px 12px;border:2px solid #888;display:inline-block}\
section.connection{border-top:1px solid #ccc;margin-top:24px}\
svg.ladder{display:block;border:1px solid #ddd;margin:8px 0}";

/// What the top of a capture's part says.
pub struct Overview {
    pub title: String,
    pub verdict: Option<Verdict>,
    pub verdict_counts: BTreeMap<Verdict, u64>,
    pub packets: u64,
    /// Seconds from the capture's first packet to its last connection event.
    pub span: f64,
    /// What sanitizing removed or replaced, by name (only the counts above zero).
    pub removed: Vec<(String, u64)>,
}

/// One line of the connection table.
pub struct Row {
    pub id: usize,
    pub anchor: String,
    pub verdict: Verdict,
    pub client: String,
    pub server: String,
    pub sni_pseudonym: Option<String>,
    pub versions: String,
    pub alert: Option<String>,
    /// Drawn in full below (false past the first [`FULL_CONNECTIONS`]).
    pub detailed: bool,
}

/// The table's order, as indices into `verdicts` (the connections in table order): failures
/// first, the most significant verdict first, then by number. Four bytes a connection, where
/// the rows themselves would be a few hundred: the rows are then made one at a time.
pub fn significance_order(verdicts: &[Verdict]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..verdicts.len() as u32).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(rank(verdicts[i as usize])), i));
    order
}

/// The capture verdict's ranking (see `verdict::overall`), for one connection.
pub fn rank(v: Verdict) -> u8 {
    if v.is_failure() {
        100 + v.significance()
    } else {
        v.significance()
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    if v.is_failure() { "failure" } else { "success" }
}

/// The page around the captures' parts (each a file rewound to its start), copied into
/// `out`: the page grows with the connections (a table row each), so it is never held whole.
pub fn write_document(parts: &mut [impl Read], out: &mut impl Write) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>pcapscrub report</title><style>{STYLE}</style></head><body>\n\
         <h1>pcapscrub report</h1>\n<p>Addresses, names and payloads are pseudonyms: this page was made from the sanitized evidence only.</p>\n"
    )?;
    for p in parts {
        io::copy(p, out)?;
    }
    out.write_all(b"</body></html>\n")
}

/// A capture's part: overview, the table (its `rows` rows made by [`table_row`], in a file
/// rewound to its start), then the detailed connections (already in table order).
pub fn write_capture_part(
    out: &mut impl Write,
    overview: &Overview,
    table: &mut impl Read,
    rows: usize,
    details: &[String],
) -> io::Result<()> {
    let mut head = String::new();
    write_overview(&mut head, overview);
    head.push_str(
        "<h3>Connections</h3><table class=\"connections\"><tr><th>#</th><th>verdict</th><th>client → server</th><th>SNI</th><th>versions</th><th>alert</th></tr>\n",
    );
    out.write_all(head.as_bytes())?;
    io::copy(table, out)?;
    out.write_all(b"</table>\n")?;
    let hidden = rows - details.len();
    if hidden > 0 {
        writeln!(
            out,
            "<p class=\"truncated\">The first {} connections in this order are drawn below; the other {hidden} are in the table only (their facts are in the summary).</p>",
            details.len()
        )?;
    }
    for d in details {
        out.write_all(d.as_bytes())?;
    }
    Ok(())
}

fn write_overview(out: &mut String, o: &Overview) {
    let _ = writeln!(out, "<h2>{}</h2>", escape(&o.title));
    match o.verdict {
        Some(v) => {
            let _ = writeln!(
                out,
                "<p>Verdict: <span class=\"capture-verdict verdict-banner {}\">{}</span></p>",
                verdict_class(v),
                v.as_str()
            );
        }
        None => out.push_str(
            "<p>Verdict: <span class=\"capture-verdict verdict-banner\">none (no TCP connection)</span></p>\n",
        ),
    }
    out.push_str("<table class=\"facts\">");
    let _ = write!(
        out,
        "<tr><th>packets</th><td>{}</td></tr><tr><th>time span</th><td>{}</td></tr>",
        o.packets,
        ladder::duration_text(o.span)
    );
    for (v, n) in &o.verdict_counts {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{n} connection{}</td></tr>",
            v.as_str(),
            if *n == 1 { "" } else { "s" }
        );
    }
    out.push_str("</table>\n<h3>Removed or replaced</h3><table class=\"removed\">");
    for (what, n) in &o.removed {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{n}</td></tr>",
            escape(&what.replace('_', " "))
        );
    }
    out.push_str("</table>\n");
}

/// One line of the connection table, appended to `out`.
pub fn table_row(out: &mut String, r: &Row) {
    let id = if r.detailed {
        format!("<a href=\"#{}\">{}</a>", r.anchor, r.id)
    } else {
        r.id.to_string()
    };
    let _ = writeln!(
        out,
        "<tr><td>{id}</td><td class=\"{}\">{}</td><td class=\"mono\">{} → {}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
        verdict_class(r.verdict),
        r.verdict.as_str(),
        escape(&r.client),
        escape(&r.server),
        escape(r.sni_pseudonym.as_deref().unwrap_or("")),
        escape(&r.versions),
        escape(r.alert.as_deref().unwrap_or(""))
    );
}

/// One connection's section: heading, ladder, explanation, hint and facts.
pub fn connection_section(row: &Row, d: &Diagnosis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section class=\"connection\" id=\"{}\"><h3>Connection {}: <span class=\"verdict {}\">{}</span> <span class=\"mono\">{} → {}</span></h3>",
        row.anchor,
        row.id,
        verdict_class(row.verdict),
        row.verdict.as_str(),
        escape(&row.client),
        escape(&row.server)
    );
    out.push_str(&ladder::inline_svg(&Ladder {
        title: String::new(),
        client: &row.client,
        server: &row.server,
        diagnosis: d,
    }));
    let _ = write!(
        out,
        "\n<p class=\"explanation\">{}</p><p class=\"hint\">Hint: {}</p>\n<table class=\"facts\">",
        escape(&d.explanation),
        escape(&d.hint)
    );
    for (name, value) in facts(row, d) {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    out.push_str("</table></section>\n");
    out
}

/// The facts listed under a ladder, by name.
fn facts(row: &Row, d: &Diagnosis) -> Vec<(&'static str, String)> {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let mut f = vec![
        ("transport", d.transport.as_str().to_string()),
        ("protocol", d.protocol.as_str().to_string()),
    ];
    if let Some(tcp) = &d.tcp {
        f.push(("TCP established", yes_no(tcp.established)));
        f.push(("SYN retransmissions", tcp.syn_retransmissions.to_string()));
        f.push((
            "retransmitted segments",
            format!(
                "client {}, server {}",
                tcp.retransmitted_segments.client, tcp.retransmitted_segments.server
            ),
        ));
        if let Some(c) = &tcp.first_close {
            f.push((
                "first close",
                format!("{} by the {} at {:.6} s", c.how, c.by.as_str(), c.t),
            ));
        }
    }
    if let Some(t) = &d.tls {
        f.push(("versions", row.versions.clone()));
        if let Some(s) = &t.cipher_suite {
            f.push(("cipher suite", s.to_string()));
        }
        f.push(("cipher suites offered", t.cipher_suites_offered.to_string()));
        f.push(("groups offered", t.groups_offered.join(", ")));
        f.push(("key shares", t.key_share_groups.join(", ")));
        f.push(("ALPN offered", t.alpn_offered.join(", ")));
        if let Some(a) = &t.alpn_selected {
            f.push(("ALPN selected", a.clone()));
        }
        if let Some(p) = &t.sni_pseudonym {
            f.push(("SNI (pseudonym)", p.clone()));
        }
        f.push(("HelloRetryRequest", yes_no(t.hello_retry_request)));
        f.push((
            "server certificates",
            t.server_certificates.len().to_string(),
        ));
        f.push((
            "client certificates",
            t.client_certificates.len().to_string(),
        ));
        for a in &t.alerts {
            f.push(("alert", alert_text(a)));
        }
        if t.incomplete {
            f.push((
                "incomplete",
                "handshake bytes missing from the capture".into(),
            ));
        }
    }
    if d.timeline_omitted > 0 {
        f.push((
            "timeline events not recorded",
            d.timeline_omitted.to_string(),
        ));
    }
    f
}

/// `fatal protocol_version (70) from the server`, or `encrypted alert from the client`.
pub fn alert_text(a: &crate::analyze::diagnosis::AlertFacts) -> String {
    match (&a.level, &a.description) {
        (Some(level), Some(desc)) => {
            let code = a.code.map(|c| format!(" ({c})")).unwrap_or_default();
            format!("{level} {desc}{code} from the {}", a.from.as_str())
        }
        _ => format!("encrypted alert from the {}", a.from.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_script_and_no_url() {
        let mut out = Vec::new();
        write_document(&mut [&b"<p>x</p>"[..]], &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains(CONTENT_SECURITY_POLICY) && page.contains("<p>x</p>"));
        for forbidden in ["<script", "http:", "https:", "//"] {
            assert!(!page.contains(forbidden), "{forbidden} in {page}");
        }
    }

    #[test]
    fn failures_sort_before_successes() {
        let verdicts = [
            Verdict::HandshakeComplete,
            Verdict::TcpRefused,
            Verdict::ServerAlert,
            Verdict::TcpRefused,
        ];
        assert_eq!(significance_order(&verdicts), [2, 1, 3, 0]);
    }
}
