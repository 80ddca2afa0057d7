//! DTLS over a UDP connection (docs/udp.md): each datagram's records (`crate::dtls::records`)
//! on the timeline like TLS records, plaintext handshake fragments reassembled into whole
//! messages (`crate::dtls::handshake`) that go through the one handshake grammar for their
//! facts and their redaction (`crate::tls`), and the plan of what the sanitized copy keeps.
//!
//! Datagrams are not a stream: each datagram's payload gets its own place in its direction's
//! plan, from its packet number (`crate::plan::datagram_base`), so pass 2 finds it from the
//! packet alone. Kept: every record header (13 bytes, or a DTLS 1.3 unified header without a
//! connection ID), the fragment headers of registered handshake types, each fragment of a
//! message that was whole and walked completely (redacted, and only where its bytes are those
//! of the message), plaintext ChangeCipherSpec and alert bodies. Every other byte — encrypted
//! record bodies included — is removed, as over TCP.

use super::conversation::{Alert, Conversation, Moment, SideSink, is_tls13};
use super::decrypt::KeyRun;
use crate::dtls::handshake::{self, Added, Fragment, Reassembly};
use crate::dtls::records::{
    self, CONTENT_ALERT, CONTENT_APPLICATION, CONTENT_CCS, CONTENT_HANDSHAKE, DtlsHeader,
    RecordKind,
};
use crate::flow::Side;
use crate::plan::{KeptRange, datagram_base};
use crate::redact::Redactor;
use crate::tls::facts::{self, HandshakeFacts, alert_description_name, handshake_type_name};
use crate::tls::spans::{self, Span};

/// One direction's DTLS handshake: its messages being reassembled, and what became of each.
#[derive(Debug, Default)]
pub(super) struct DtlsSide {
    reassembly: Reassembly,
    messages: Vec<MessagePlan>,
}

#[derive(Debug)]
struct MessagePlan {
    seq: u16,
    /// Its fragments seen before it was whole.
    pieces: Vec<Piece>,
    outcome: Option<Outcome>,
}

/// Where a fragment's bytes sit in the plan, and which bytes of its message they are.
#[derive(Debug, Clone, Copy)]
struct Piece {
    at: i64,
    offset: usize,
    len: usize,
}

#[derive(Debug)]
enum Outcome {
    /// The message in TLS framing (type, 24-bit length, body) as redacted, and the spans the
    /// redaction changed (what `check` reports).
    Kept {
        redacted: Vec<u8>,
        changed: Vec<Span>,
        /// The placeholder certificates among `changed`, as (start, end, number).
        certificates: Vec<(usize, usize, usize)>,
    },
    /// Malformed or not walkable: no byte of its body is kept.
    Removed,
}

/// One datagram of a DTLS connection.
pub(super) struct DtlsDatagram<'a> {
    pub number: u64,
    pub bytes: &'a [u8],
    /// Its length as the UDP header states it.
    pub claimed: usize,
}

/// Reads a datagram's records into the conversation and plans what its bytes become.
pub(super) fn feed(
    dtls: &mut DtlsSide,
    conv: &mut Conversation,
    side: Side,
    d: DtlsDatagram<'_>,
    now: Moment,
    redactor: &mut Redactor,
    key_run: &mut KeyRun,
) {
    let Conversation {
        tls,
        timeline,
        timeline_omitted,
        tls13,
        negotiated,
        keys,
        ..
    } = conv;
    let mut sink = SideSink {
        tls: tls[side.index()].get_or_insert_with(Box::default),
        timeline,
        omitted: timeline_omitted,
        tls13,
        negotiated,
        redactor,
        side,
        now,
        keys,
        key_run,
    };
    let base = datagram_base(d.number);
    for r in records::walk(d.bytes, d.claimed) {
        let Some(header) = d.bytes.get(r.at..r.body_start()) else {
            break;
        };
        sink.tls.records += 1;
        keep(&mut sink, base + r.at as i64, header, Vec::new(), false);
        // What the capture holds of the body (all of it, unless the capture cut the datagram).
        let captured = d.bytes.get(r.body_start()..r.end().min(d.bytes.len()));
        let body = captured.filter(|b| b.len() == r.body_len());
        let body_at = base + r.body_start() as i64;
        match r.kind {
            RecordKind::Unified { length, .. } => {
                sink.tls
                    .first_content_type
                    .get_or_insert(CONTENT_APPLICATION);
                encrypted(&mut sink, "encrypted record", length);
            }
            RecordKind::Plain(h) => {
                sink.tls.first_content_type.get_or_insert(h.content_type);
                if h.content_type == CONTENT_HANDSHAKE && !h.encrypted() {
                    let part = captured.unwrap_or_default();
                    handshake_record(&mut sink, dtls, part, r.body_len(), body_at);
                } else {
                    plain_record(&mut sink, &h, body, body_at);
                }
            }
        }
    }
}

fn plain_record(sink: &mut SideSink<'_>, h: &DtlsHeader, body: Option<&[u8]>, body_at: i64) {
    let len = usize::from(h.length);
    match (h.content_type, h.encrypted()) {
        (CONTENT_CCS, false) => {
            sink.tls.ccs.get_or_insert(sink.now.rel);
            sink.event("ChangeCipherSpec");
            if body == Some(&[1][..]) {
                keep(sink, body_at, &[1], Vec::new(), false);
            }
        }
        (CONTENT_ALERT, false) if len == 2 => match body {
            Some(&[level, desc]) => plain_alert(sink, level, desc, body_at),
            _ => sink.tls.handshake_truncated = true,
        },
        (CONTENT_ALERT, _) => {
            sink.event(format!("encrypted alert ({len} B)"));
            sink.tls.alerts.push(Alert {
                plain: None,
                t: sink.now.rel,
                decrypted: false,
            });
        }
        (CONTENT_HANDSHAKE, true) => encrypted(sink, "encrypted handshake record", len),
        (CONTENT_APPLICATION, _) => {
            let what = if *sink.tls13 && sink.tls.first_encrypted.is_none() {
                "encrypted record"
            } else {
                "application data"
            };
            encrypted(sink, what, len);
        }
        _ => {}
    }
}

fn encrypted(sink: &mut SideSink<'_>, what: &str, len: usize) {
    sink.tls.encrypted_records += 1;
    if sink.tls.first_encrypted.is_none() {
        sink.tls.first_encrypted = Some((sink.now.rel, len));
        sink.event(format!("{what} ({len} B)"));
    }
}

/// A plaintext alert is evidence, not a secret: its two bytes are kept.
fn plain_alert(sink: &mut SideSink<'_>, level: u8, desc: u8, at: i64) {
    keep(sink, at, &[level, desc], Vec::new(), false);
    let level_name = match level {
        1 => "warning",
        2 => "fatal",
        _ => "unknown-level",
    };
    sink.event(format!(
        "Alert {level_name} {} ({desc})",
        alert_description_name(desc)
    ));
    sink.tls.alerts.push(Alert {
        plain: Some((level, desc)),
        t: sink.now.rel,
        decrypted: false,
    });
}

/// A plaintext handshake record of `claimed` body bytes, of which the capture holds `body`.
fn handshake_record(
    sink: &mut SideSink<'_>,
    dtls: &mut DtlsSide,
    body: &[u8],
    claimed: usize,
    body_at: i64,
) {
    let (fragments, _) = handshake::fragments(body, claimed);
    // A record whose first fragment header cannot be read (inconsistent, or cut by the
    // capture) keeps its first byte when it is a registered handshake type: the recogniser
    // (`super::recognise`) needs it to tell this datagram's flow is DTLS, so a second run over
    // the sanitized copy follows the flow as the first did and keeps what the first kept,
    // instead of seeing a bare record header as plain UDP payload.
    if fragments.is_empty()
        && let Some(&msg_type) = body.first()
        && handshake_type_name(msg_type) != "unknown"
    {
        keep(sink, body_at, &[msg_type], Vec::new(), false);
    }
    for f in fragments {
        // The header is numbers only; it is kept for a type the registry knows.
        if handshake_type_name(f.header.msg_type) != "unknown" {
            let header = &body[f.at..f.body_at()];
            keep(sink, body_at + f.at as i64, header, Vec::new(), false);
        }
        match body.get(f.body_at()..f.end()) {
            Some(bytes) => fragment(sink, dtls, &f, bytes, body_at),
            // A message with bytes missing cannot be parsed, redacted or kept.
            None => sink.tls.handshake_truncated = true,
        }
    }
}

fn fragment(
    sink: &mut SideSink<'_>,
    dtls: &mut DtlsSide,
    f: &Fragment,
    bytes: &[u8],
    body_at: i64,
) {
    let h = &f.header;
    let piece = Piece {
        at: body_at + f.body_at() as i64,
        offset: h.offset as usize,
        len: bytes.len(),
    };
    let added = dtls.reassembly.add(h, bytes);
    if added == Added::Refused {
        return;
    }
    let i = match dtls.messages.iter().position(|m| m.seq == h.message_seq) {
        Some(i) => i,
        None => {
            dtls.messages.push(MessagePlan {
                seq: h.message_seq,
                pieces: Vec::new(),
                outcome: None,
            });
            dtls.messages.len() - 1
        }
    };
    match added {
        Added::Pending => dtls.messages[i].pieces.push(piece),
        Added::Complete => {
            let Some((msg_type, body)) = dtls.reassembly.message(h.message_seq) else {
                return;
            };
            let outcome = whole_message(sink, msg_type, body);
            let plan = &mut dtls.messages[i];
            plan.pieces.push(piece);
            for p in std::mem::take(&mut plan.pieces) {
                keep_piece(sink, &outcome, p);
            }
            plan.outcome = Some(outcome);
        }
        Added::Repeat => {
            if let Some(outcome) = &dtls.messages[i].outcome {
                keep_piece(sink, outcome, piece);
            }
        }
        Added::Refused => {}
    }
}

/// A whole message: its facts on the timeline, and its redaction when the grammar walks it.
fn whole_message(sink: &mut SideSink<'_>, msg_type: u8, body: &[u8]) -> Outcome {
    let mut message = Vec::with_capacity(4 + body.len());
    message.push(msg_type);
    message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    message.extend_from_slice(body);
    let cache = &mut sink.redactor.parsed_certificates;
    let parsed = facts::parse_handshake_with(msg_type, body, *sink.tls13, &mut |position, der| {
        cache.facts(position, der)
    });
    let hello_retry = matches!(&parsed, HandshakeFacts::ServerHello(sh) if sh.hello_retry_request);
    let malformed = matches!(parsed, HandshakeFacts::Malformed { .. });
    let server_hello = matches!(parsed, HandshakeFacts::ServerHello(_));
    sink.record_message(msg_type, message.len(), parsed);
    if server_hello {
        as_tls_layout(sink);
    }
    let found = if malformed {
        None
    } else {
        spans::locate(&message, sink.negotiated)
    };
    let Some(found) = found else {
        sink.tls.keep.messages_removed += 1;
        return Outcome::Removed;
    };
    let original = message.clone();
    if let Some(p) = sink.redactor.redact(&mut message, &found, hello_retry) {
        sink.tls.sni_pseudonym.get_or_insert(p);
    }
    let changed: Vec<Span> = found
        .into_iter()
        .filter(|sp| message[sp.start..sp.end] != original[sp.start..sp.end])
        .collect();
    let mut certificates = sink.redactor.take_certificates();
    certificates.retain(|&(start, _, _)| changed.iter().any(|sp| sp.start == start));
    Outcome::Kept {
        redacted: message,
        changed,
        certificates,
    }
}

/// The messages after a DTLS ServerHello have the layouts of the TLS version DTLS is built on
/// (RFC 6347 §1, RFC 9147 §1): DTLS 1.0 is TLS 1.1's, 1.2 is TLS 1.2's, 1.3 is TLS 1.3's.
fn as_tls_layout(sink: &mut SideSink<'_>) {
    let tls = match sink.negotiated.version {
        Some(0xfeff) => 0x0302,
        Some(0xfefd) => 0x0303,
        Some(0xfefc) => 0x0304,
        _ => return,
    };
    sink.negotiated.version = Some(tls);
    if is_tls13(tls) {
        *sink.tls13 = true;
    }
}

/// Keeps one fragment of a message that was kept: its bytes of the redacted message.
fn keep_piece(sink: &mut SideSink<'_>, outcome: &Outcome, p: Piece) {
    let Outcome::Kept {
        redacted,
        changed,
        certificates,
    } = outcome
    else {
        return;
    };
    let (from, to) = (4 + p.offset, 4 + p.offset + p.len);
    let Some(bytes) = redacted.get(from..to) else {
        return;
    };
    if !bytes.is_empty() {
        sink.tls
            .keep
            .note_certificates(crate::plan::certificate_pieces(
                certificates,
                (from, to),
                p.at,
            ));
    }
    let spans = changed
        .iter()
        .filter(|sp| sp.start < to && sp.end > from)
        .map(|sp| {
            (
                (sp.start.max(from) - from) as u32,
                (sp.end.min(to) - from) as u32,
                sp.kind,
            )
        })
        .collect();
    keep(sink, p.at, bytes, spans, true);
}

fn keep(
    sink: &mut SideSink<'_>,
    offset: i64,
    bytes: &[u8],
    redacted: Vec<(u32, u32, crate::tls::spans::SpanKind)>,
    handshake: bool,
) {
    if bytes.is_empty() {
        return;
    }
    sink.tls.keep.keep(KeptRange {
        offset,
        bytes: bytes.to_vec(),
        redacted,
        handshake,
    });
}
