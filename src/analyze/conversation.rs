//! What one connection said, as far as the diagnosis needs it: TCP set-up and tear-down,
//! and each direction's TLS records and handshake messages, with a timeline.

use std::borrow::Cow;

use super::decrypt::{ConnectionKeys, KeyRun};
use super::ech;
use super::quic_state::QuicState;
use super::recognise::UdpProtocol;
use crate::flow::{Side, TransportKind};
use crate::keylog::protection::Opened;
use crate::plan::KeptRange;
use crate::plan::keep::KeepList;
use crate::preamble::{Outcome, Recogniser};
use crate::redact::Redactor;
use crate::stable_names::stable_names;
use crate::tls::facts::{
    self, CertificateFacts, ClientHelloFacts, HandshakeFacts, ServerHelloFacts,
    alert_description_name, cipher_suite_name, group_name, handshake_type_name, version_name,
};
use crate::tls::records::{RecordHeader, RecordSink};
use crate::tls::spans::{self, Negotiated};

/// Handshake bytes collected per direction at most (docs/architecture.md: reassembly through the handshake,
/// capped per connection).
pub const MAX_HANDSHAKE_BYTES: usize = 256 * 1024;
/// Payload bytes above which a segment no longer fits a reduced path MTU (1280, IPv6's
/// minimum, less headers): its unanswered retransmission suggests a path-MTU black hole.
pub const LARGE_SEGMENT: usize = 1200;
/// Timeline entries kept per connection; the rest are counted.
pub const MAX_TIMELINE: usize = 64;
/// Stream bytes kept from the start of each direction, to recognise SSLv2 hellos and to say
/// what a non-TLS answer looks like.
const PREFIX_BYTES: usize = 1024;
/// Without an SSLv2 hello, this much of the prefix is enough to say what the bytes look like;
/// keeping less per direction keeps memory per connection small.
const PREFIX_LABEL_BYTES: usize = 64;

const CONTENT_CCS: u8 = 20;
const CONTENT_ALERT: u8 = 21;
const CONTENT_HANDSHAKE: u8 = 22;
const CONTENT_APPLICATION: u8 = 23;
/// Handshake type of Finished: TLS 1.3 keys move on after it.
const FINISHED: u8 = 20;

/// A moment of the capture: seconds since its first packet, and the absolute Unix time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moment {
    pub rel: f64,
    pub unix: i64,
}

stable_names! {
    /// Who sent something, in client/server terms (resolved once roles are known).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Peer {
        Client = "client",
        Server = "server",
    }
}

/// A code point's name: almost always a static table entry, so a connection's facts cost no
/// allocation per name (a capture can hold hundreds of thousands of connections).
pub type Name = Cow<'static, str>;

/// One timeline entry, still in A/B terms until roles are resolved.
#[derive(Debug, Clone)]
pub struct RawEvent {
    pub t: f64,
    pub side: Side,
    pub event: Name,
}

/// A TLS alert as seen on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alert {
    /// Level and description, when the alert was sent in plaintext or opened with a key log.
    pub plain: Option<(u8, u8)>,
    pub t: f64,
    /// It was encrypted and a key log opened it.
    pub decrypted: bool,
}

/// TCP facts of one direction.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpSide {
    pub syns: u32,
    pub syn_acks: u32,
    pub fin: Option<f64>,
    pub rst: Option<f64>,
    pub payload_segments: u64,
    pub retransmitted_segments: u64,
    /// The last retransmitted segment larger than [`LARGE_SEGMENT`] bytes: when, and its
    /// payload size (a path-MTU black hole drops exactly these).
    pub large_retransmission: Option<(f64, usize)>,
    pub first_payload: Option<f64>,
    pub last_packet: f64,
}

/// TLS facts of one direction, filled by the record walker through [`RecordSink`].
#[derive(Debug, Default)]
pub struct TlsSide {
    pub prefix: Vec<u8>,
    /// Stream offset `prefix` starts at: 0, or where TLS starts after a preamble.
    pub prefix_base: i64,
    pub records: u64,
    pub first_content_type: Option<u8>,
    pub ccs: Option<f64>,
    pub handshake_buf: Vec<u8>,
    pub handshake_bytes: usize,
    pub handshake_truncated: bool,
    pub client_hellos: u32,
    pub client_hello: Option<Box<ClientHelloFacts>>,
    pub client_hello_len: usize,
    pub server_hello: Option<Box<ServerHelloFacts>>,
    pub hello_retry: Option<Box<ServerHelloFacts>>,
    pub certificates: Vec<CertificateFacts>,
    pub certificate_messages: u32,
    pub certificate_request: bool,
    /// An EncryptedExtensions was read (with the key log): whether it carried ECH retry
    /// configurations, the server's rejection of ECH (`super::ech`).
    pub ech_retry_configs: Option<bool>,
    /// The ALPN protocol a decrypted EncryptedExtensions selected (TLS 1.3 sends it there).
    pub encrypted_alpn: Option<String>,
    /// A Finished of this direction was read with the key log.
    pub finished_decrypted: bool,
    pub alerts: Vec<Alert>,
    /// Records of type 23, and type-22 records sent after this side's ChangeCipherSpec in
    /// TLS ≤ 1.2 (encrypted Finished).
    pub encrypted_records: u64,
    pub first_encrypted: Option<(f64, usize)>,
    pub sslv2_hello: bool,
    /// The first bytes of an SSLv2-compatible ClientHello are in `keep`.
    sslv2_header_kept: bool,
    pub malformed: Vec<String>,
    /// What the sanitized capture keeps of this direction, and what it removes.
    pub keep: KeepList,
    /// The pseudonym the first SNI name got.
    pub sni_pseudonym: Option<Vec<u8>>,
    /// Stream offset of each run of bytes in `handshake_buf`: (position in the buffer, offset).
    handshake_runs: Vec<(usize, i64)>,
    alert_body: [u8; 2],
}

impl TlsSide {
    /// A direction that carried nothing: what [`Conversation::tls`] shows for it.
    const EMPTY: TlsSide = TlsSide {
        prefix: Vec::new(),
        prefix_base: 0,
        records: 0,
        first_content_type: None,
        ccs: None,
        handshake_buf: Vec::new(),
        handshake_bytes: 0,
        handshake_truncated: false,
        client_hellos: 0,
        client_hello: None,
        client_hello_len: 0,
        server_hello: None,
        hello_retry: None,
        certificates: Vec::new(),
        certificate_messages: 0,
        certificate_request: false,
        ech_retry_configs: None,
        encrypted_alpn: None,
        finished_decrypted: false,
        alerts: Vec::new(),
        encrypted_records: 0,
        first_encrypted: None,
        sslv2_hello: false,
        sslv2_header_kept: false,
        malformed: Vec::new(),
        keep: KeepList::EMPTY,
        sni_pseudonym: None,
        handshake_runs: Vec::new(),
        alert_body: [0; 2],
    };
}

static EMPTY_TLS: TlsSide = TlsSide::EMPTY;

impl TlsSide {
    /// Compares a retransmitted copy of the stream bytes at `off` with what this side holds of
    /// the first copy: what it keeps, and the handshake bytes still being collected.
    pub fn compare_copy(&mut self, off: i64, new: &[u8]) {
        let buf = &self.handshake_buf;
        let runs = &self.handshake_runs;
        let held = runs.iter().enumerate().filter_map(|(i, &(pos, at))| {
            let run_end = runs.get(i + 1).map_or(buf.len(), |r| r.0);
            (run_end > pos).then(|| (at, &buf[pos..run_end]))
        });
        self.keep.compare_copy(held, off, new);
    }
}

/// Everything we learn about one connection in pass 1.
#[derive(Debug, Default)]
pub struct Conversation {
    /// TCP, or UDP with the handshake protocol its content was recognised as
    /// (`super::recognise`); `tcp` then stays empty and `datagrams` counts.
    pub transport: TransportKind,
    pub udp: Option<UdpProtocol>,
    /// UDP datagrams per direction (by [`Side`] index).
    pub datagrams: [u64; 2],
    pub tcp: [TcpSide; 2],
    /// Each direction's TLS state, made when the direction first carries payload: a
    /// connection that never gets an answer (a scan, a SYN flood, a hello nobody answers) pays
    /// for one direction only.
    pub(super) tls: [Option<Box<TlsSide>>; 2],
    pub timeline: Vec<RawEvent>,
    pub timeline_omitted: u64,
    /// Set once a ServerHello (or HelloRetryRequest) selected TLS 1.3 or a 1.3 draft: from then
    /// on type-22 records after a ChangeCipherSpec are still plaintext (middlebox
    /// compatibility mode), and the server's flight is encrypted.
    pub tls13: bool,
    /// What the first ServerHello settled: the layouts of the messages after it (the
    /// ClientKeyExchange of the other direction included) depend on it.
    pub negotiated: Negotiated,
    pub handshake_ack: bool,
    /// Unix time of the first packet, for certificate validity "at capture time".
    pub first_unix: Option<i64>,
    /// Finalised while still open, because too many connections were open at once.
    pub finalised_early: bool,
    /// ICMP "fragmentation needed" and ICMPv6 "Packet Too Big" errors quoting this
    /// connection's segments (`super::icmp`).
    pub path_mtu_errors: u32,
    /// The cleartext preamble before TLS, while one may be there (`crate::preamble`).
    pub preamble: PreambleState,
    /// The key log's keys for this connection, when it has them (`super::decrypt`): dropped
    /// with the conversation.
    pub keys: Option<Box<ConnectionKeys>>,
    /// A QUIC connection's packet protection state and what it read (`super::quic`).
    pub quic: Option<Box<QuicState>>,
}

/// Whether a connection opens with a cleartext preamble (STARTTLS, CONNECT…).
#[derive(Debug, Default)]
pub enum PreambleState {
    /// No payload yet.
    #[default]
    NotYet,
    /// It opened with TLS, or with bytes no preamble grammar reads.
    Absent,
    Present(Box<Recogniser>),
}

impl Conversation {
    /// How the connection's preamble ended, when it had one.
    pub fn preamble_outcome(&self) -> Option<Outcome> {
        match &self.preamble {
            PreambleState::Present(r) => r.outcome(),
            _ => None,
        }
    }

    /// The preamble is still being read: the record walk of its bytes says nothing yet.
    pub fn in_preamble(&self) -> bool {
        matches!(&self.preamble, PreambleState::Present(r) if r.open())
    }
}

impl Conversation {
    /// The TLS state of a direction (empty if it carried nothing).
    pub fn tls(&self, side: Side) -> &TlsSide {
        self.tls[side.index()].as_deref().unwrap_or(&EMPTY_TLS)
    }

    /// Both directions' TLS states, by [`Side`] index.
    pub fn into_tls(self) -> [TlsSide; 2] {
        self.tls
            .map(|t| t.map_or_else(TlsSide::default, |boxed| *boxed))
    }
    pub fn push_event(&mut self, t: f64, side: Side, event: impl Into<Name>) {
        push_event(
            &mut self.timeline,
            &mut self.timeline_omitted,
            t,
            side,
            event,
        );
    }
}

pub(super) fn push_event(
    timeline: &mut Vec<RawEvent>,
    omitted: &mut u64,
    t: f64,
    side: Side,
    event: impl Into<Name>,
) {
    if timeline.len() < MAX_TIMELINE {
        timeline.push(RawEvent {
            t,
            side,
            event: event.into(),
        });
    } else {
        *omitted += 1;
    }
}

/// The record sink for one direction of one connection during one delivery.
pub struct SideSink<'a> {
    pub tls: &'a mut TlsSide,
    pub timeline: &'a mut Vec<RawEvent>,
    pub omitted: &'a mut u64,
    pub tls13: &'a mut bool,
    pub negotiated: &'a mut Negotiated,
    pub redactor: &'a mut Redactor,
    pub side: Side,
    pub now: Moment,
    pub keys: &'a mut Option<Box<ConnectionKeys>>,
    pub key_run: &'a mut KeyRun,
}

impl SideSink<'_> {
    /// Notes an event of this direction, at this moment, on the timeline.
    pub(super) fn event(&mut self, text: impl Into<Name>) {
        push_event(self.timeline, self.omitted, self.now.rel, self.side, text);
    }

    /// A type-22 record is plaintext unless this side already switched to its keys
    /// (ChangeCipherSpec in TLS ≤ 1.2).
    fn handshake_is_plaintext(&self) -> bool {
        self.tls.ccs.is_none() || *self.tls13
    }

    fn collect_handshake(&mut self, chunk: &[u8], offset: i64) {
        // An empty chunk would open a zero-length run at an earlier offset than what is kept
        // after it (`kept` must stay in stream order: the rewriter binary-searches it).
        if self.tls.handshake_truncated || chunk.is_empty() {
            return;
        }
        let room = MAX_HANDSHAKE_BYTES.saturating_sub(self.tls.handshake_bytes);
        if chunk.len() > room {
            self.tls.handshake_truncated = true;
            return;
        }
        self.tls.handshake_bytes += chunk.len();
        let at = self.tls.handshake_buf.len();
        let contiguous = self
            .tls
            .handshake_runs
            .last()
            .is_some_and(|&(pos, off)| off + (at - pos) as i64 == offset);
        if !contiguous {
            self.tls.handshake_runs.push((at, offset));
        }
        self.tls.handshake_buf.extend_from_slice(chunk);
        self.drain_messages();
    }

    /// Removes the first `n` bytes of the handshake buffer; returns the stream pieces they
    /// came from as (offset, length).
    fn take_message_pieces(&mut self, n: usize) -> Vec<(i64, usize)> {
        let runs = &mut self.tls.handshake_runs;
        let mut pieces = Vec::new();
        for (i, &(pos, off)) in runs.iter().enumerate() {
            if pos >= n {
                break;
            }
            let end = runs.get(i + 1).map_or(usize::MAX, |r| r.0).min(n);
            pieces.push((off, end - pos));
        }
        // Re-base the remaining runs on the shortened buffer.
        let mut rest: Vec<(usize, i64)> = Vec::new();
        for (i, &(pos, off)) in runs.iter().enumerate() {
            let end = runs.get(i + 1).map_or(usize::MAX, |r| r.0);
            if end <= n {
                continue;
            }
            let skip = n.saturating_sub(pos);
            rest.push((pos.saturating_sub(n), off + skip as i64));
        }
        *runs = rest;
        pieces
    }

    /// Redacts a complete message and keeps it, or (when it cannot be walked) removes it.
    fn keep_message(&mut self, mut message: Vec<u8>, pieces: &[(i64, usize)], hello_retry: bool) {
        let Some(found) = spans::locate(&message, self.negotiated) else {
            self.tls.keep.remove_message(message, pieces);
            return;
        };
        let original = message.clone();
        if let Some(p) = self.redactor.redact(&mut message, &found, hello_retry) {
            self.tls.sni_pseudonym.get_or_insert(p);
        }
        let changed: Vec<&spans::Span> = found
            .iter()
            .filter(|sp| message[sp.start..sp.end] != original[sp.start..sp.end])
            .collect();
        let mut certificates = self.redactor.take_certificates();
        certificates.retain(|&(start, _, _)| changed.iter().any(|sp| sp.start == start));
        self.tls
            .keep
            .keep_message(&message, &original, pieces, &changed, &certificates);
    }

    fn drain_messages(&mut self) {
        loop {
            let buf = &self.tls.handshake_buf;
            if buf.is_empty() {
                // Release the buffer between messages: most connections are idle here.
                self.tls.handshake_buf = Vec::new();
                return;
            }
            if buf.len() < 4 {
                return;
            }
            let len =
                (usize::from(buf[1]) << 16) | (usize::from(buf[2]) << 8) | usize::from(buf[3]);
            if len > MAX_HANDSHAKE_BYTES {
                self.tls.handshake_truncated = true;
                self.tls.handshake_buf.clear();
                return;
            }
            if buf.len() < 4 + len {
                return;
            }
            let msg_type = buf[0];
            let message: Vec<u8> = self.tls.handshake_buf.drain(..4 + len).collect();
            let pieces = self.take_message_pieces(4 + len);
            let cache = &mut self.redactor.parsed_certificates;
            let parsed = facts::parse_handshake_with(
                msg_type,
                &message[4..],
                *self.tls13,
                &mut |position, der| cache.facts(position, der),
            );
            let hello_retry =
                matches!(&parsed, HandshakeFacts::ServerHello(sh) if sh.hello_retry_request);
            // A type the facts do not interpret may still be one the span walker knows;
            // `keep_message` removes it when it does not.
            let keep = !matches!(parsed, HandshakeFacts::Malformed { .. });
            self.record_message(msg_type, 4 + len, parsed);
            if keep {
                self.keep_message(message, &pieces, hello_retry);
            } else {
                self.tls.keep.remove_message(message, &pieces);
            }
        }
    }

    /// A whole handshake message's facts: its timeline event and what the diagnosis reads
    /// (`super::dtls_feed` hands DTLS messages here too).
    pub(super) fn record_message(&mut self, msg_type: u8, size: usize, parsed: HandshakeFacts) {
        match parsed {
            HandshakeFacts::ClientHello(ch) => {
                self.tls.client_hellos += 1;
                let versions = offered_versions(&ch);
                let sni = ch
                    .sni
                    .as_ref()
                    .map(|s| format!(", SNI of {} characters", s.length))
                    .unwrap_or_default();
                let ech = if ch.ech { ", ECH offered" } else { "" };
                self.event(format!(
                    "ClientHello {size} B offering {versions}{sni}{ech}"
                ));
                if self.keys.is_none() {
                    *self.keys =
                        ConnectionKeys::for_hello(self.key_run, self.side, &ch.random, ch.ech);
                }
                if self.tls.client_hello.is_none() {
                    self.tls.client_hello = Some(Box::new(ch));
                    self.tls.client_hello_len = size;
                }
            }
            HandshakeFacts::ServerHello(sh) => {
                let v = sh.negotiated_version();
                if is_tls13(v) {
                    *self.tls13 = true;
                }
                if let Some(keys) = self.keys.as_deref_mut() {
                    keys.server_hello(&sh, is_tls13(v));
                }
                if sh.hello_retry_request {
                    let group = sh
                        .selected_group
                        .map(|g| format!(" asking for group {}", group_name(g)))
                        .unwrap_or_default();
                    self.event(format!("HelloRetryRequest{group}{}", ech::hrr_note(&sh)));
                    self.tls.hello_retry.get_or_insert(Box::new(sh));
                } else {
                    self.event(format!(
                        "ServerHello {}, {}",
                        version_name(v),
                        cipher_suite_name(sh.cipher_suite)
                    ));
                    if self.tls.server_hello.is_none() {
                        *self.negotiated = Negotiated {
                            version: Some(v),
                            cipher_suite: Some(sh.cipher_suite),
                        };
                    }
                    self.tls.server_hello.get_or_insert(Box::new(sh));
                }
            }
            HandshakeFacts::Certificate { certificates, .. } => {
                let event = self.tls.certificate_message(certificates);
                self.event(event);
            }
            HandshakeFacts::EncryptedExtensions { extensions, alpn } => {
                let event = self.tls.encrypted_extensions(&extensions, alpn);
                self.event(event);
            }
            HandshakeFacts::CertificateRequest { .. } => {
                self.tls.certificate_request = true;
                self.event("CertificateRequest");
            }
            HandshakeFacts::Malformed { reason, .. } => {
                self.event(format!(
                    "malformed {} ({reason})",
                    handshake_type_name(msg_type)
                ));
                self.tls
                    .malformed
                    .push(format!("{}: {reason}", handshake_type_name(msg_type)));
            }
            _ => self.event(handshake_type_name(msg_type)),
        }
    }
}

impl RecordSink for SideSink<'_> {
    fn header(&mut self, h: &RecordHeader) {
        self.tls.records += 1;
        self.tls.first_content_type.get_or_insert(h.content_type());
        match h.content_type() {
            CONTENT_CCS => {
                self.tls.ccs.get_or_insert(self.now.rel);
                self.event("ChangeCipherSpec");
            }
            CONTENT_HANDSHAKE if !self.handshake_is_plaintext() => {
                self.note_encrypted(h, "encrypted handshake record")
            }
            CONTENT_APPLICATION => {
                let what = if *self.tls13 && self.tls.first_encrypted.is_none() {
                    "encrypted record"
                } else {
                    "application data"
                };
                self.note_encrypted(h, what);
            }
            _ => {}
        }
        if let Some(keys) = self.keys.as_deref_mut() {
            keys.header(self.side, h);
        }
    }

    fn body_missing(&mut self, h: &RecordHeader) {
        if let Some(keys) = self.keys.as_deref_mut() {
            keys.missing(self.side);
        }
        // A handshake message with bytes missing cannot be parsed, redacted or kept.
        if h.content_type() == CONTENT_HANDSHAKE && self.handshake_is_plaintext() {
            self.tls.handshake_truncated = true;
        }
    }

    fn body(&mut self, h: &RecordHeader, at: usize, chunk: &[u8]) {
        let (opened, ech_found) = match self.keys.as_deref_mut() {
            Some(keys) if keys.collecting(self.side, h) => {
                let opened = keys.body(self.key_run, self.side, h, chunk);
                (opened, keys.take_ech_found())
            }
            _ => (None, false),
        };
        if ech_found {
            self.event(ech::ACCEPTED_EVENT);
        }
        if let Some(opened) = opened {
            self.opened(opened);
            // An encrypted alert that opened is that alert, not an unnamed encrypted one.
            if h.content_type() == CONTENT_ALERT {
                return;
            }
        }
        let offset = h.offset + 5 + at as i64;
        match h.content_type() {
            CONTENT_HANDSHAKE if self.handshake_is_plaintext() => {
                self.collect_handshake(chunk, offset)
            }
            CONTENT_CCS if h.body_len() == 1 => {
                self.tls.keep.keep(KeptRange {
                    offset,
                    bytes: chunk.to_vec(),
                    redacted: Vec::new(),
                    handshake: false,
                });
            }
            CONTENT_ALERT => {
                for (i, b) in chunk.iter().enumerate() {
                    if let Some(slot) = self.tls.alert_body.get_mut(at + i) {
                        *slot = *b;
                    }
                }
                if at + chunk.len() == h.body_len() {
                    self.finish_alert(h);
                }
            }
            _ => {}
        }
    }
}

impl SideSink<'_> {
    fn note_encrypted(&mut self, h: &RecordHeader, what: &str) {
        self.tls.encrypted_records += 1;
        if self.tls.first_encrypted.is_none() {
            self.tls.first_encrypted = Some((self.now.rel, h.body_len()));
            self.event(format!("{what} ({} B)", h.body_len()));
        }
    }

    /// An alert record of exactly two bytes is plaintext; anything longer is encrypted.
    fn finish_alert(&mut self, h: &RecordHeader) {
        let body_len = h.body_len();
        let t = self.now.rel;
        if body_len == 2 {
            let [level, desc] = self.tls.alert_body;
            // A plaintext alert is evidence, not a secret: keep its two bytes.
            self.tls.keep.keep(KeptRange {
                offset: h.offset + 5,
                bytes: vec![level, desc],
                redacted: Vec::new(),
                handshake: false,
            });
            let level_name = alert_level_name(level);
            self.event(format!(
                "Alert {level_name} {} ({desc})",
                alert_description_name(desc)
            ));
            self.tls.alerts.push(Alert {
                plain: Some((level, desc)),
                t,
                decrypted: false,
            });
        } else {
            self.event(format!("encrypted alert ({body_len} B)"));
            self.tls.alerts.push(Alert {
                plain: None,
                t,
                decrypted: false,
            });
        }
    }

    /// A record the key log opened: its handshake messages go through the one grammar for
    /// their facts (never into the plan: nothing decrypted is kept), its alert is named.
    fn opened(&mut self, opened: Opened) {
        match opened.content_type {
            CONTENT_HANDSHAKE => {
                let messages = match self.keys.as_deref_mut() {
                    Some(keys) => keys.handshake_messages(self.side, &opened.plaintext),
                    None => Vec::new(),
                };
                for m in messages {
                    let parsed = facts::parse_handshake(m.msg_type, &m.body, *self.tls13);
                    if m.msg_type == FINISHED {
                        self.tls.finished_decrypted = true;
                        if let Some(keys) = self.keys.as_deref_mut() {
                            keys.finished(self.side);
                        }
                    }
                    self.record_message(m.msg_type, m.size, parsed);
                }
            }
            CONTENT_ALERT => {
                let &[level, desc] = &opened.plaintext[..] else {
                    self.event("malformed alert (decrypted)");
                    return;
                };
                self.event(format!(
                    "Alert {} {} ({desc}), decrypted",
                    alert_level_name(level),
                    alert_description_name(desc)
                ));
                self.tls.alerts.push(Alert {
                    plain: Some((level, desc)),
                    t: self.now.rel,
                    decrypted: true,
                });
            }
            _ => {}
        }
    }
}

fn alert_level_name(level: u8) -> &'static str {
    match level {
        1 => "warning",
        2 => "fatal",
        _ => "unknown-level",
    }
}

/// SSLv2 record header: a CLIENT-HELLO (message type 1) with the two-byte length form.
pub fn sslv2_client_hello_len(prefix: &[u8]) -> Option<usize> {
    match prefix {
        [b0, b1, 1, ..] if b0 & 0x80 != 0 => {
            Some((usize::from(b0 & 0x7F) << 8 | usize::from(*b1)) + 2)
        }
        _ => None,
    }
}

/// Bytes of an SSLv2-compatible ClientHello the sanitized capture keeps: the two-byte record
/// length, the message type and the offered version.
pub const SSLV2_HELLO_KEPT: usize = 5;

/// SSLv2 SERVER-HELLO (message type 4).
pub fn is_sslv2_server_hello(prefix: &[u8]) -> bool {
    matches!(prefix, [b0, _, 4, ..] if b0 & 0x80 != 0)
}

impl TlsSide {
    /// A Certificate message of this direction (the first chain is the one diagnosed); its
    /// timeline event. TLS, DTLS and QUIC note it alike.
    pub(super) fn certificate_message(&mut self, certificates: Vec<CertificateFacts>) -> String {
        let event = format!("Certificate with {} certificate(s)", certificates.len());
        self.certificate_messages += 1;
        if self.certificates.is_empty() {
            self.certificates = certificates;
        }
        event
    }

    /// An EncryptedExtensions read with the key log: whether it carried ECH retry
    /// configurations, and the ALPN protocol it selected; its timeline event.
    pub(super) fn encrypted_extensions(
        &mut self,
        extensions: &[u16],
        alpn: Option<String>,
    ) -> &'static str {
        let retry = ech::retry_configs(extensions);
        self.ech_retry_configs = Some(retry);
        self.encrypted_alpn = alpn;
        ech::encrypted_extensions_event(retry)
    }

    /// TLS starts at `offset` after a preamble: the prefix is what follows it.
    pub fn restart_prefix(&mut self, offset: i64) {
        self.prefix.clear();
        self.prefix_base = offset;
    }

    /// Keeps the first bytes of the stream.
    ///
    /// Called for every in-order chunk of every connection: the test that the chunk does not
    /// continue the prefix (nearly always) is inlined.
    #[inline]
    pub fn keep_prefix(&mut self, off: i64, data: &[u8]) {
        if off == self.prefix_base + self.prefix.len() as i64 {
            self.extend_prefix(data);
        }
    }

    /// Appends what the prefix still wants of `data`, which continues it.
    #[inline(never)]
    fn extend_prefix(&mut self, data: &[u8]) {
        let want = if self.prefix.len() < 3 {
            3
        } else {
            sslv2_client_hello_len(&self.prefix).map_or(PREFIX_LABEL_BYTES, |l| l.min(PREFIX_BYTES))
        };
        if self.prefix.len() >= want {
            return;
        }
        let take = (want - self.prefix.len()).min(data.len());
        self.prefix.extend_from_slice(&data[..take]);
        if self.prefix.len() == 3 && take < data.len() {
            // Now that the first bytes tell whether this is an SSLv2 hello, take the rest.
            self.extend_prefix(&data[take..]);
        }
    }

    /// Keeps an SSLv2-compatible ClientHello's record header, message type and version like a
    /// TLS record header: harmless, and they let a sanitized capture (which holds nothing
    /// else of the hello) be walked, and sanitized again, past the removed hello.
    fn keep_sslv2_header(&mut self, len: usize) {
        let n = SSLV2_HELLO_KEPT.min(len);
        if self.sslv2_header_kept || self.prefix.len() < n {
            return;
        }
        let version = (self.prefix.get(3).copied(), self.prefix.get(4).copied());
        if n == SSLV2_HELLO_KEPT && !matches!(version, (Some(0), Some(2)) | (Some(3), Some(0..=4)))
        {
            return;
        }
        self.sslv2_header_kept = true;
        self.keep.kept.push(KeptRange {
            offset: 0,
            bytes: self.prefix[..n].to_vec(),
            redacted: Vec::new(),
            handshake: false,
        });
    }

    /// The first bytes of an SSLv2-compatible hello were kept (at stream offset 0).
    pub fn sslv2_hello_header_kept(&self) -> bool {
        self.sslv2_header_kept
    }

    /// Parses an SSLv2-compatible ClientHello once the prefix holds it all.
    pub fn try_sslv2_hello(&mut self) -> bool {
        if self.client_hello.is_some() {
            return false;
        }
        let Some(len) = sslv2_client_hello_len(&self.prefix) else {
            return false;
        };
        self.keep_sslv2_header(len);
        if self.prefix.len() < len {
            return false;
        }
        match facts::parse_sslv2_client_hello(&self.prefix[2..len]) {
            Some(ch) => {
                self.client_hello = Some(Box::new(ch));
                self.client_hello_len = len;
                self.client_hellos += 1;
                self.sslv2_hello = true;
                true
            }
            None => false,
        }
    }
}

pub fn is_tls13(v: u16) -> bool {
    // 0xfefc: DTLS 1.3, whose handshake is TLS 1.3's.
    v == 0x0304 || v == 0xfefc || (0x7f00..=0x7fff).contains(&v) || (0xfb00..=0xfbff).contains(&v)
}

/// "TLS 1.3, TLS 1.2" from supported_versions, else the legacy version.
pub fn offered_versions(ch: &ClientHelloFacts) -> String {
    if ch.supported_versions.is_empty() {
        return format!("{} (legacy version field)", version_name(ch.legacy_version));
    }
    let names: Vec<_> = ch
        .supported_versions
        .iter()
        .map(|&v| version_name(v))
        .collect();
    if names.len() == 1 {
        format!("only {}", names[0])
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests;
