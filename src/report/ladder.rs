//! Ladder diagrams: one connection's timeline drawn as arrows between a client line and a
//! server line, the picture a Wireshark flow graph gives, made from the pseudonymous
//! diagnosis only. Rows are evenly spaced (one per event, each labelled with its time); a long
//! silence between two events is drawn as a break in both lines labelled with its length.
//!
//! Every drawing uses presentation attributes, not a style sheet, so the same markup reads
//! the same inline in `report.html` and in the standalone `.ladder.svg`.

use std::fmt::Write as _;

use crate::analyze::conversation::Peer;
use crate::analyze::diagnosis::{Diagnosis, TimelineEntry};

/// One connection to draw: its pseudonymous endpoints and its diagnosis.
pub struct Ladder<'a> {
    pub title: String,
    pub client: &'a str,
    pub server: &'a str,
    pub diagnosis: &'a Diagnosis,
}

/// What an event is, from the start of its timeline text: the arrow's class and colour.
/// Longer prefixes come before the shorter ones they extend (`SYN-ACK` before `SYN`).
const EVENT_KINDS: [(&str, &str); 14] = [
    ("SYN-ACK", "syn-ack"),
    ("SYN", "syn"),
    ("ACK", "ack"),
    ("ClientHello", "client-hello"),
    ("HelloRetryRequest", "hrr"),
    ("ServerHello", "server-hello"),
    ("CertificateRequest", "certificate-request"),
    ("Certificate", "certificate"),
    ("Alert", "alert"),
    ("encrypted alert", "alert"),
    ("FIN", "fin"),
    ("RST", "rst"),
    ("malformed", "malformed"),
    ("ChangeCipherSpec", "change-cipher-spec"),
];

/// The class of an event that starts with none of the [`EVENT_KINDS`] prefixes.
const OTHER_KIND: &str = "other";

/// The kind of a timeline event (`syn`, `client-hello`, `alert`, ... or `other`).
pub fn event_kind(text: &str) -> &'static str {
    EVENT_KINDS
        .iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map_or(OTHER_KIND, |(_, kind)| kind)
}

/// A retransmitted segment or SYN: its arrow is dashed.
fn is_retransmission(text: &str) -> bool {
    text.contains("retransmission")
}

fn colour(kind: &str) -> &'static str {
    match kind {
        "alert" | "rst" | "malformed" => "#c00000",
        "syn" | "syn-ack" | "ack" | "fin" => "#555555",
        "client-hello" | "server-hello" | "hrr" => "#0b5394",
        "certificate" | "certificate-request" => "#38761d",
        _ => "#333333",
    }
}

/// Silences longer than this (seconds) are drawn as a labelled break in the lines.
const GAP_SECONDS: f64 = 1.0;

const WIDTH: u32 = 960;
const CLIENT_X: u32 = 250;
const SERVER_X: u32 = 850;
const HEADER: u32 = 58;
const ROW: u32 = 38;
const BREAK: u32 = 30;
const FOOTER: u32 = 16;

/// Vertical position of each event and of each break (its top and its label).
struct Layout {
    rows: Vec<u32>,
    breaks: Vec<(u32, f64)>,
    height: u32,
}

fn layout(timeline: &[TimelineEntry]) -> Layout {
    let mut y = HEADER;
    let mut rows = Vec::with_capacity(timeline.len());
    let mut breaks = Vec::new();
    let mut previous: Option<f64> = None;
    for e in timeline {
        if let Some(p) = previous
            && e.t - p > GAP_SECONDS
        {
            breaks.push((y, e.t - p));
            y += BREAK;
        }
        y += ROW;
        rows.push(y);
        previous = Some(e.t);
    }
    Layout {
        rows,
        breaks,
        height: y + FOOTER,
    }
}

/// Height in pixels of one connection's drawing.
pub fn height(d: &Diagnosis) -> u32 {
    layout(&d.timeline).height
}

/// The ladder as an `<svg>` element for an HTML page (inline SVG in HTML needs no namespace).
pub fn inline_svg(l: &Ladder<'_>) -> String {
    let h = height(l.diagnosis);
    let mut out = format!(
        "<svg class=\"ladder\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\" role=\"img\">"
    );
    draw(&mut out, l);
    out.push_str("</svg>");
    out
}

/// A standalone SVG file of several ladders one below the other, each under its title. A
/// standalone SVG file needs the SVG namespace declaration: that namespace name is the only
/// URL-like string written.
pub fn standalone_svg(ladders: &[Ladder<'_>], note: Option<&str>) -> String {
    const TITLE: u32 = 28;
    let mut body = String::new();
    let mut y = 0;
    if let Some(note) = note {
        let _ = write!(
            body,
            "<text x=\"10\" y=\"{}\" font-family=\"sans-serif\" font-size=\"14\">{}</text>",
            y + 20,
            escape(note)
        );
        y += TITLE;
    }
    for l in ladders {
        let _ = write!(
            body,
            "<text x=\"10\" y=\"{}\" font-family=\"sans-serif\" font-size=\"16\" font-weight=\"bold\">{}</text><g transform=\"translate(0,{})\">",
            y + 20,
            escape(&l.title),
            y + TITLE
        );
        draw(&mut body, l);
        body.push_str("</g>");
        y += TITLE + height(l.diagnosis);
    }
    let h = y.max(TITLE);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"{}\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\"><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>{body}</svg>\n",
        SVG_NAMESPACE
    )
}

/// The SVG namespace name, required on the root of a standalone SVG file.
pub const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

fn draw(out: &mut String, l: &Ladder<'_>) {
    let d = l.diagnosis;
    let lay = layout(&d.timeline);
    let bottom = lay.height - FOOTER / 2;
    for (x, role, who) in [
        (CLIENT_X, "client", l.client),
        (SERVER_X, "server", l.server),
    ] {
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"20\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"14\" font-weight=\"bold\">{role}</text>\
             <text x=\"{x}\" y=\"38\" text-anchor=\"middle\" font-family=\"monospace\" font-size=\"13\">{}</text>\
             <line class=\"lifeline\" x1=\"{x}\" y1=\"46\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#888888\" stroke-width=\"2\"/>",
            escape(who)
        );
    }
    for &(y, seconds) in &lay.breaks {
        draw_break(out, y, seconds);
    }
    let certificates = certificate_note(d);
    for (e, &y) in d.timeline.iter().zip(&lay.rows) {
        let note = (event_kind(&e.event) == "certificate" && e.from == Peer::Server)
            .then_some(certificates.as_deref())
            .flatten();
        draw_arrow(out, e, y, note);
    }
    if d.timeline_omitted > 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"12\">… {} more events not recorded</text>",
            (CLIENT_X + SERVER_X) / 2,
            lay.height - 2,
            d.timeline_omitted
        );
    }
}

/// A silence: both lines interrupted by a white band with two slanted strokes each, and its
/// length written between them.
fn draw_break(out: &mut String, y: u32, seconds: f64) {
    let (top, bottom) = (y + 6, y + BREAK + 2);
    let _ = write!(
        out,
        "<g class=\"gap\"><rect x=\"0\" y=\"{top}\" width=\"{WIDTH}\" height=\"{}\" fill=\"#ffffff\"/>",
        bottom - top
    );
    for x in [CLIENT_X, SERVER_X] {
        for dy in [top, bottom] {
            let _ = write!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888888\" stroke-width=\"2\"/>",
                x - 8,
                dy + 3,
                x + 8,
                dy - 3
            );
        }
    }
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\" font-style=\"italic\" fill=\"#555555\">+{} (no packet of this connection)</text></g>",
        (CLIENT_X + SERVER_X) / 2,
        (top + bottom) / 2 + 4,
        duration_text(seconds)
    );
}

/// `2.014 ms`, `2.31 s`, `1 min 40 s`, `3 h 12 min`: a break's length.
pub fn duration_text(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.3} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.2} s")
    } else if seconds < 3600.0 {
        format!(
            "{} min {} s",
            (seconds / 60.0) as u64,
            (seconds % 60.0) as u64
        )
    } else {
        format!(
            "{} h {} min",
            (seconds / 3600.0) as u64,
            ((seconds % 3600.0) / 60.0) as u64
        )
    }
}

/// The server leaf certificate's facts, written under its Certificate arrow.
fn certificate_note(d: &Diagnosis) -> Option<String> {
    let tls = d.tls.as_ref()?;
    let leaf = tls.server_certificates.first()?;
    let mut facts = vec![match leaf.key_bits {
        Some(bits) => format!("leaf {} {bits}", leaf.key_type),
        None => format!("leaf {}", leaf.key_type),
    }];
    facts.push(leaf.signature_algorithm.clone());
    if leaf.self_signed {
        facts.push("self-signed".into());
    }
    if let Some(chain) = &tls.server_chain {
        if chain.leaf_matches_sni == Some(false) {
            facts.push("name does not match the SNI".into());
        }
        if !chain.in_order {
            facts.push("chain out of order".into());
        }
        if chain.expired_at_capture {
            facts.push("expired at capture time".into());
        }
        if chain.not_yet_valid_at_capture {
            facts.push("not yet valid at capture time".into());
        }
    }
    Some(facts.join(", "))
}

fn draw_arrow(out: &mut String, e: &TimelineEntry, y: u32, note: Option<&str>) {
    let kind = event_kind(&e.event);
    let retransmission = is_retransmission(&e.event);
    let (from, to) = match e.from {
        Peer::Client => (CLIENT_X as i32, SERVER_X as i32),
        Peer::Server => (SERVER_X as i32, CLIENT_X as i32),
    };
    let dir = if to > from { 1 } else { -1 };
    let tip = to - dir * 2;
    let base = tip - dir * 12;
    let stroke = colour(kind);
    let dash = if retransmission {
        " stroke-dasharray=\"8 5\""
    } else {
        ""
    };
    let width = if kind == "alert" { 3 } else { 2 };
    let mut label = e.event.to_string();
    if kind == "alert" {
        label.push_str(&format!(" — sent by the {}", e.from.as_str()));
    }
    let _ = write!(
        out,
        "<g class=\"arrow {kind}{}\"><title>{}</title>\
         <text x=\"12\" y=\"{}\" font-family=\"monospace\" font-size=\"12\" fill=\"#555555\">{:.6} s</text>\
         <line x1=\"{from}\" y1=\"{y}\" x2=\"{base}\" y2=\"{y}\" stroke=\"{stroke}\" stroke-width=\"{width}\"{dash}/>\
         <polygon points=\"{tip},{y} {base},{} {base},{}\" fill=\"{stroke}\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\" fill=\"{stroke}\"{}>{}</text>",
        if retransmission {
            " retransmission"
        } else {
            ""
        },
        escape(&e.event),
        y + 4,
        e.t,
        y - 6,
        y + 6,
        (CLIENT_X + SERVER_X) / 2,
        y - 7,
        if kind == "alert" {
            " font-weight=\"bold\""
        } else {
            ""
        },
        escape(&label)
    );
    if let Some(note) = note {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\" fill=\"{stroke}\">{}</text>",
            (CLIENT_X + SERVER_X) / 2,
            y + 15,
            escape(note)
        );
    }
    out.push_str("</g>");
}

/// Text made safe for HTML and XML, in content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0: shown as a replacement.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_prefer_the_longer_prefix() {
        assert_eq!(event_kind("SYN-ACK"), "syn-ack");
        assert_eq!(event_kind("SYN (retransmission 1)"), "syn");
        assert_eq!(event_kind("CertificateRequest"), "certificate-request");
        assert_eq!(
            event_kind("Certificate with 2 certificate(s)"),
            "certificate"
        );
        assert_eq!(event_kind("Alert fatal protocol_version (70)"), "alert");
        assert_eq!(event_kind("Finished"), OTHER_KIND);
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn breaks_are_labelled_with_their_length() {
        assert_eq!(duration_text(0.002014), "2.014 ms");
        assert_eq!(duration_text(2.3149), "2.31 s");
        assert_eq!(duration_text(100.0), "1 min 40 s");
        assert_eq!(duration_text(7320.0), "2 h 2 min");
    }
}
