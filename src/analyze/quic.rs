//! QUIC connections in pass 1 (docs/udp.md): every datagram of a connection recognised as QUIC
//! goes through its `quic::session::Session`; what that opens becomes timeline events and the
//! same hello facts a TLS connection has, so the verdict and the summary read them alike.
//! Without a key log only the Initial packets open (their keys come from the client's first
//! Destination Connection ID); Handshake packets are counted. With one, the ServerHello gives
//! the Handshake keys (`super::quic_keys`), installed before the next packet of the same
//! datagram is read, and the Handshake space's messages are noted as a decrypted TLS 1.3
//! flight is. The Initial CRYPTO streams' messages are redacted as TLS redacts them, and every
//! datagram planned for the sanitized copy (`super::quic_plan`): the same with and without
//! the key log.

use super::conversation::{Alert, Conversation, TlsSide, offered_versions};
use super::decrypt::KeyRun;
use super::quic_keys::QuicKeyLog;
use super::quic_plan::{Kept, PlannedDatagram};
use super::quic_state::QuicState;
use crate::flow::Side;
use crate::quic::frames::{self, FrameKind};
use crate::quic::header::Header;
use crate::quic::session::{Seen, Space};
use crate::redact::Redactor;
use crate::tls::extensions::Side as Role;
use crate::tls::facts::{
    self, HandshakeFacts, alert_description_name, cipher_suite_name, handshake_type_name,
    version_name,
};
use crate::tls::spans::Negotiated;

/// A direction's TLS state, made when it is first needed (as a TCP direction's is).
fn tls_mut(conv: &mut Conversation, side: Side) -> &mut TlsSide {
    conv.tls[side.index()].get_or_insert_with(Default::default)
}

fn role(side: Side, client: Side) -> Role {
    if side == client {
        Role::Client
    } else {
        Role::Server
    }
}

/// One datagram of a QUIC connection.
pub(super) struct QuicDatagram<'a> {
    pub number: u64,
    pub bytes: &'a [u8],
    /// Its length as the UDP header states it (the capture may hold fewer).
    pub claimed: usize,
    pub t: f64,
}

/// Reads one datagram `from` one side of a QUIC connection whose client is `client`, and
/// plans what the sanitized copy carries of it.
pub(super) fn datagram(
    conv: &mut Conversation,
    client: Side,
    from: Side,
    d: QuicDatagram<'_>,
    redactor: &mut Redactor,
    key_run: &mut KeyRun,
) {
    let QuicDatagram {
        number,
        bytes,
        claimed,
        t,
    } = d;
    let mut state = conv.quic.take().unwrap_or_default();
    let sender = role(from, client);
    let key_dcid_before = state.session.key_dcid().map(<[u8]>::to_vec);
    // A datagram the capture cut short is read as if its missing bytes were zeros: the
    // headers of its packets are still there (a packet they fall in does not open).
    let padded;
    let whole = match bytes.len() < claimed {
        true => {
            padded = [bytes, &vec![0; claimed - bytes.len()]].concat();
            &padded[..]
        }
        false => bytes,
    };
    let mut kept = Kept::new();
    let mut closes = Vec::new();
    let mut seen = Vec::new();
    // Packet by packet: the ServerHello of the server's first Initial gives the Handshake
    // keys (with a key log) that open the Handshake packets coalesced after it.
    for (range, header) in state.session.packets(sender, whole) {
        let captured = range.end <= bytes.len();
        let packet = state
            .session
            .packet(sender, &whole[range.clone()], range, header);
        if state.plan.restart(state.session.attempt(), &mut kept) {
            // A new attempt's hello is read (and redacted) again.
            state.read[Space::Initial as usize] = [0; 2];
        }
        packet_events(conv, &mut state, &packet, from, t, &mut closes);
        if packet.space == Some(Space::Handshake)
            && captured
            && state.session.has_handshake_keys(sender)
            && let Some(k) = state.key_log.as_mut()
        {
            k.handshake_packet(key_run, sender, packet.opened.is_some());
        }
        let sent = Sent {
            role: sender,
            side: from,
            t,
        };
        for space in [Space::Initial, Space::Handshake] {
            read_messages(conv, &mut state, space, sent, redactor, key_run);
        }
        seen.push(packet);
    }
    let planned = PlannedDatagram {
        number,
        side: from,
        role: sender,
        bytes: whole,
        captured: bytes.len(),
        seen: &seen,
        key_dcid: state.session.key_dcid(),
        key_dcid_before: key_dcid_before.as_deref(),
    };
    state.plan.datagram(&planned, redactor, &mut kept);
    keep(conv, kept);
    conv.quic = Some(state);
}

/// The timeline events of one packet's header, and of the CONNECTION_CLOSE it carries
/// (`closes`: the error codes the datagram closed with so far — a peer repeats its
/// CONNECTION_CLOSE in each space it has keys for, RFC 9000 10.2.3: one close).
fn packet_events(
    conv: &mut Conversation,
    state: &mut QuicState,
    packet: &Seen,
    from: Side,
    t: f64,
    closes: &mut Vec<u64>,
) {
    match &packet.header {
        Header::VersionNegotiation(vn) => {
            let versions: Vec<String> = vn.supported.iter().map(|v| format!("0x{v:08x}")).collect();
            conv.push_event(
                t,
                from,
                format!("Version Negotiation offering {}", versions.join(", ")),
            );
        }
        Header::Retry(_) => conv.push_event(t, from, "Retry"),
        Header::OtherVersion(ids) => conv.push_event(
            t,
            from,
            format!("long header of version 0x{:08x}, not read", ids.version),
        ),
        Header::Short(_) => {
            state.one_rtt[from.index()] += 1;
            if state.one_rtt[from.index()] == 1 {
                conv.push_event(t, from, "first 1-RTT packet");
            }
        }
        Header::Long(_) => {
            if packet.space == Some(Space::Handshake) && packet.opened.is_none() {
                state.unopened_handshake[from.index()] += 1;
                if state.unopened_handshake[from.index()] == 1 {
                    conv.push_event(t, from, "first Handshake packet (encrypted)");
                }
            }
        }
    }
    for frame in packet.frames.iter().flat_map(|f| &f.frames) {
        if let FrameKind::ConnectionClose { error_code, .. } = frame.kind
            && !closes.contains(&error_code)
        {
            closes.push(error_code);
            connection_close(conv, from, error_code, t);
        }
    }
}

/// The connection is over: the Initials still waiting for their hello are resealed with what
/// was redacted of it (the rest of their CRYPTO data becomes zeros).
pub(super) fn finish(conv: &mut Conversation) {
    let mut kept = Kept::new();
    if let Some(state) = conv.quic.as_mut() {
        state.plan.flush(true, &mut kept);
    }
    keep(conv, kept);
}

fn keep(conv: &mut Conversation, kept: Kept) {
    for (side, range) in kept {
        tls_mut(conv, side).keep.keep(range);
    }
}

fn connection_close(conv: &mut Conversation, from: Side, error_code: u64, t: f64) {
    match frames::crypto_error_alert(error_code) {
        Some(alert) => {
            conv.push_event(
                t,
                from,
                format!(
                    "CONNECTION_CLOSE with TLS alert {} ({alert})",
                    alert_description_name(alert)
                ),
            );
            // A CRYPTO_ERROR closes the connection: the alert is fatal (RFC 9001 4.8).
            tls_mut(conv, from).alerts.push(Alert {
                plain: Some((2, alert)),
                t,
                decrypted: false,
            });
        }
        None => conv.push_event(
            t,
            from,
            format!("CONNECTION_CLOSE with error 0x{error_code:x}"),
        ),
    }
}

/// Who sent the datagram being read, and when.
#[derive(Clone, Copy)]
struct Sent {
    role: Role,
    side: Side,
    t: f64,
}

/// The handshake messages of the sender's CRYPTO stream in `space` not read yet. A
/// ServerHello installs the key log's Handshake keys, when it has them.
fn read_messages(
    conv: &mut Conversation,
    state: &mut QuicState,
    space: Space,
    sent: Sent,
    redactor: &mut Redactor,
    key_run: &mut KeyRun,
) {
    let Sent { role, side, t } = sent;
    let stream = state.session.crypto(space, role);
    let messages = stream.messages();
    let slot = &mut state.read[space as usize][role as usize];
    let where_ = match space {
        Space::Initial => "Initial",
        Space::Handshake => "Handshake",
    };
    let mut chosen_suite = None;
    for m in messages.iter().skip(*slot) {
        let body = &stream.contiguous()[m.body()];
        let size = m.range.len();
        let parsed = facts::parse_handshake(m.msg_type, body, true);
        let hello_retry =
            matches!(&parsed, HandshakeFacts::ServerHello(sh) if sh.hello_retry_request);
        match parsed {
            HandshakeFacts::ClientHello(ch) => {
                let sni = ch
                    .sni
                    .as_ref()
                    .map(|s| format!(", SNI of {} characters", s.length))
                    .unwrap_or_default();
                let versions = offered_versions(&ch);
                conv.push_event(
                    t,
                    side,
                    format!("{where_}: ClientHello {size} B offering {versions}{sni}"),
                );
                if state.key_log.is_none() {
                    state.key_log = QuicKeyLog::for_hello(key_run, &ch.random);
                }
                let tls = tls_mut(conv, side);
                tls.client_hellos += 1;
                if tls.client_hello.is_none() {
                    tls.client_hello = Some(Box::new(ch));
                    tls.client_hello_len = size;
                }
            }
            HandshakeFacts::ServerHello(sh) => {
                let v = sh.negotiated_version();
                conv.push_event(
                    t,
                    side,
                    format!(
                        "{where_}: ServerHello {}, {}",
                        version_name(v),
                        cipher_suite_name(sh.cipher_suite)
                    ),
                );
                conv.tls13 = true;
                if !hello_retry {
                    chosen_suite.get_or_insert(sh.cipher_suite);
                }
                if conv.tls(side).server_hello.is_none() {
                    conv.negotiated = Negotiated {
                        version: Some(v),
                        cipher_suite: Some(sh.cipher_suite),
                    };
                    tls_mut(conv, side).server_hello = Some(Box::new(sh));
                }
            }
            // What the key log opens of the Handshake space, noted as over TCP.
            HandshakeFacts::EncryptedExtensions { extensions, alpn } => {
                let event = tls_mut(conv, side).encrypted_extensions(&extensions, alpn);
                conv.push_event(t, side, format!("{where_}: {event}"));
            }
            HandshakeFacts::Certificate { certificates, .. } => {
                let event = tls_mut(conv, side).certificate_message(certificates);
                conv.push_event(t, side, format!("{where_}: {event}"));
            }
            HandshakeFacts::CertificateRequest { .. } => {
                tls_mut(conv, side).certificate_request = true;
                conv.push_event(t, side, format!("{where_}: CertificateRequest"));
            }
            HandshakeFacts::Malformed { reason, .. } => conv.push_event(
                t,
                side,
                format!(
                    "{where_}: malformed {} ({reason})",
                    handshake_type_name(m.msg_type)
                ),
            ),
            HandshakeFacts::Finished => {
                // Only a key log opens the Handshake space a Finished travels in.
                tls_mut(conv, side).finished_decrypted = true;
                conv.push_event(t, side, format!("{where_}: Finished"));
            }
            _ => conv.push_event(
                t,
                side,
                format!("{where_}: {}", handshake_type_name(m.msg_type)),
            ),
        }
        // The Initial space is what the output carries (resealed); the Handshake space's
        // messages, read with a key log, are not.
        if space == Space::Initial {
            let all = stream.contiguous();
            let negotiated = conv.negotiated;
            let pseudonym = state
                .plan
                .message(role, all, m, &negotiated, hello_retry, redactor);
            if let Some(p) = pseudonym {
                tls_mut(conv, side).sni_pseudonym.get_or_insert(p);
            }
        }
    }
    *slot = messages.len();
    if let (Some(suite), Some(k)) = (chosen_suite, state.key_log.as_mut()) {
        k.server_hello(&mut state.session, suite);
    }
}
