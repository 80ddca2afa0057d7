//! From what a connection said to a verdict, an explanation and a hint — the reading an
//! engineer does with `tcpdump -nn -S -r`, done for every connection.

use serde::{Deserialize, Serialize};

use super::conversation::{
    Alert, Conversation, Name, Peer, TlsSide, is_sslv2_server_hello, is_tls13, offered_versions,
};
use super::ech::{self, EchEvidence, EchStatus};
use super::udp_verdict::{self, Protocol};
use super::verdict::{FINALISED_EARLY, Reading, Verdict};
use crate::flow::{Side, TransportKind};
use crate::preamble::{Outcome, Refusal};
use crate::tls::facts::{
    CertificateFacts, ChainChecks, SniSummary, alert_description_name, chain_checks,
    cipher_suite_name, group_name, version_name,
};
use crate::tls::registry;

/// An alert, attributed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertFacts {
    pub from: Peer,
    pub encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u8>,
    /// It was encrypted and the key log opened it (`--keylog`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub decrypted: bool,
}

/// For `skip_serializing_if`: a flag that is off is left out of a report.
pub fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TcpFacts {
    pub syn_retransmissions: u32,
    pub established: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_close: Option<CloseFacts>,
    pub retransmitted_segments: PerPeer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseFacts {
    pub by: Peer,
    pub how: Name,
    pub t: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PerPeer {
    pub client: u64,
    pub server: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsFacts {
    pub versions_offered: Vec<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negotiated_version: Option<Name>,
    pub hello_retry_request: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<Name>,
    pub cipher_suites_offered: usize,
    pub groups_offered: Vec<Name>,
    pub key_share_groups: Vec<Name>,
    pub alpn_offered: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn_selected: Option<String>,
    pub sni: SniSummary,
    /// What the SNI became in the sanitized capture (same length, reserved name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni_pseudonym: Option<String>,
    pub ech: bool,
    /// What became of the ECH offer (`super::ech`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ech_status: Option<EchStatus>,
    pub psk: bool,
    pub session_ticket: bool,
    pub sslv2_hello: bool,
    pub certificate_request: bool,
    pub server_certificates: Vec<CertificateFacts>,
    pub client_certificates: Vec<CertificateFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_chain: Option<ChainChecks>,
    pub records: PerPeer,
    pub encrypted_records: PerPeer,
    pub alerts: Vec<AlertFacts>,
    /// A key log opened records of this connection (`--keylog`): the facts above include
    /// what TLS 1.3 encrypts (its certificates, its alerts). Facts only, never a byte.
    #[serde(default, skip_serializing_if = "is_false")]
    pub decrypted: bool,
    /// Handshake bytes were missing from the capture or past the collection cap: facts may be
    /// partial (nothing is invented).
    pub incomplete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub t: f64,
    pub from: Peer,
    pub event: Name,
}

/// The diagnosis of one connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Diagnosis {
    #[serde(default)]
    pub transport: TransportKind,
    pub protocol: Protocol,
    pub verdict: Verdict,
    pub explanation: String,
    pub hint: Name,
    /// Absent over UDP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    pub timeline: Vec<TimelineEntry>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeline_omitted: u64,
    /// The client spoke a plaintext protocol (HTTP, SMTP…) from the start: this connection never
    /// tried TLS, so it does not decide the capture's overall verdict.
    pub plaintext_protocol: bool,
    /// The host name the client asked for (SENSITIVE: for the engineer's own `diagnose` and for
    /// redaction; never serialized).
    #[serde(skip)]
    pub sni_name: Option<String>,
}

/// For `skip_serializing_if`: a count of zero is left out of a report.
pub fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Facts that only depend on the client/server split.
struct Sides<'a> {
    conv: &'a Conversation,
    client: Side,
}

impl<'a> Sides<'a> {
    fn peer(&self, side: Side) -> Peer {
        if side == self.client {
            Peer::Client
        } else {
            Peer::Server
        }
    }
    fn c_tls(&self) -> &'a TlsSide {
        self.conv.tls(self.client)
    }
    fn s_tls(&self) -> &'a TlsSide {
        self.conv.tls(self.client.other())
    }
    fn c_tcp(&self) -> &'a super::conversation::TcpSide {
        &self.conv.tcp[self.client.index()]
    }
    fn s_tcp(&self) -> &'a super::conversation::TcpSide {
        &self.conv.tcp[self.client.other().index()]
    }
}

pub fn diagnose(
    conv: &Conversation,
    client: Side,
    server_port: u16,
    incomplete_stream: bool,
) -> Diagnosis {
    let sides = Sides { conv, client };
    let tcp = tcp_facts(&sides);
    let tls = tls_facts(&sides, incomplete_stream);
    let (verdict, explanation, mut hint) = match conv.udp {
        // Over UDP the evidence maps onto the same verdicts (docs/udp.md).
        Some(protocol) => {
            let alert = first_plain_alert(&sides)
                .map(|(peer, level, desc)| alert_reading(&sides, tls.as_ref(), peer, level, desc));
            udp_verdict::decide(conv, client, protocol, alert)
        }
        None => decide(&sides, &tcp, tls.as_ref(), server_port),
    };
    if let Some(black_hole) = path_mtu_black_hole(&sides, verdict) {
        hint = format!("{hint}; {black_hole}").into();
    }
    if let Some(note) = ech::aborted_note(verdict, tls.as_ref().and_then(|t| t.ech_status)) {
        hint = format!("{hint}; {note}").into();
    }
    let c = sides.c_tls();
    let plaintext_protocol =
        verdict == Verdict::NotTls && !hello_started(c) && !c.prefix.is_empty();
    let timeline = conv
        .timeline
        .iter()
        .map(|e| TimelineEntry {
            t: round6(e.t),
            from: sides.peer(e.side),
            event: e.event.clone(),
        })
        .collect();
    let sni_name = sides
        .c_tls()
        .client_hello
        .as_ref()
        .and_then(|ch| ch.sni.as_ref())
        .and_then(|s| s.names.first().cloned());
    let protocol = match conv.udp {
        Some(p) => Protocol::from(p),
        None if tls.is_some() => Protocol::Tls,
        None => Protocol::None,
    };
    Diagnosis {
        transport: conv.transport,
        protocol,
        verdict,
        explanation,
        hint,
        tcp: (conv.transport == TransportKind::Tcp).then_some(tcp),
        tls,
        timeline,
        timeline_omitted: conv.timeline_omitted,
        plaintext_protocol,
        sni_name,
    }
}

/// The client opened with a TLS handshake record (its ClientHello may still be incomplete in the
/// capture), or an SSLv2-compatible hello.
fn hello_started(c: &TlsSide) -> bool {
    c.client_hello.is_some() || c.first_content_type == Some(22)
}

/// The ClientHello happened, even if the capture started after it: the server answered it.
fn hello_evident(c: &TlsSide, sv: &TlsSide) -> bool {
    hello_started(c) || sv.server_hello.is_some() || sv.hello_retry.is_some()
}

fn round6(t: f64) -> f64 {
    (t * 1e6).round() / 1e6
}

fn tcp_facts(s: &Sides<'_>) -> TcpFacts {
    let mut closes: Vec<CloseFacts> = Vec::new();
    for side in [Side::A, Side::B] {
        let t = &s.conv.tcp[side.index()];
        if let Some(at) = t.fin {
            closes.push(CloseFacts {
                by: s.peer(side),
                how: "fin".into(),
                t: round6(at),
            });
        }
        if let Some(at) = t.rst {
            closes.push(CloseFacts {
                by: s.peer(side),
                how: "rst".into(),
                t: round6(at),
            });
        }
    }
    let first_close = closes.into_iter().min_by(|a, b| a.t.total_cmp(&b.t));
    TcpFacts {
        syn_retransmissions: s.c_tcp().syns.saturating_sub(1),
        established: s.s_tcp().syn_acks > 0 && s.conv.handshake_ack,
        first_close,
        retransmitted_segments: PerPeer {
            client: s.c_tcp().retransmitted_segments,
            server: s.s_tcp().retransmitted_segments,
        },
    }
}

fn tls_facts(s: &Sides<'_>, incomplete_stream: bool) -> Option<TlsFacts> {
    let (c, sv) = (s.c_tls(), s.s_tls());
    let ch = c.client_hello.as_ref();
    if ch.is_none() && sv.server_hello.is_none() && sv.records == 0 && c.records == 0 {
        return None;
    }
    let sh = sv.server_hello.as_ref().or(sv.hello_retry.as_ref());
    let names = |v: &[u16], f: fn(u16) -> Name| v.iter().map(|&x| f(x)).collect::<Vec<_>>();
    let capture_time = s.conv.first_unix.unwrap_or(0);
    let sni_name = ch
        .and_then(|h| h.sni.as_ref())
        .and_then(|x| x.names.first())
        .map(String::as_str);
    let server_chain = (!sv.certificates.is_empty())
        .then(|| chain_checks(&sv.certificates, sni_name, capture_time));
    let mut alerts: Vec<(f64, AlertFacts)> = Vec::new();
    for (side, tls) in [(s.client, c), (s.client.other(), sv)] {
        for a in &tls.alerts {
            alerts.push((a.t, alert_facts(s.peer(side), a)));
        }
    }
    alerts.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(TlsFacts {
        versions_offered: ch
            .map(|h| {
                if h.supported_versions.is_empty() {
                    vec![version_name(h.legacy_version)]
                } else {
                    names(&h.supported_versions, version_name)
                }
            })
            .unwrap_or_default(),
        negotiated_version: sv
            .server_hello
            .as_ref()
            .map(|h| version_name(h.negotiated_version()))
            .or_else(|| is_sslv2_server_hello(&sv.prefix).then(|| version_name(0x0002))),
        hello_retry_request: sv.hello_retry.is_some(),
        cipher_suite: sv
            .server_hello
            .as_ref()
            .map(|h| cipher_suite_name(h.cipher_suite)),
        cipher_suites_offered: ch.map(|h| h.cipher_suites.len()).unwrap_or(0),
        groups_offered: ch.map(|h| names(&h.groups, group_name)).unwrap_or_default(),
        key_share_groups: ch
            .map(|h| names(&h.key_share_groups, group_name))
            .unwrap_or_default(),
        alpn_offered: ch
            .map(|h| h.alpn.iter().map(|n| alpn_shown(n)).collect())
            .unwrap_or_default(),
        // TLS 1.3 selects it in the EncryptedExtensions, read only with a key log.
        alpn_selected: sh
            .and_then(|h| h.alpn.as_deref())
            .or(sv.encrypted_alpn.as_deref())
            .map(alpn_shown),
        sni: ch
            .and_then(|h| h.sni.as_ref())
            .map(|x| x.summary())
            .unwrap_or_default(),
        sni_pseudonym: c
            .sni_pseudonym
            .as_ref()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        ech: ch.is_some_and(|h| h.ech),
        ech_status: ech::status(EchEvidence {
            offered: ch.is_some_and(|h| h.ech),
            inner_keys: s.conv.keys.as_ref().is_some_and(|k| k.ech_inner),
            hrr_confirmation: sv.hello_retry.as_deref().is_some_and(ech::hrr_confirms),
            retry_configs: sv.ech_retry_configs,
            client_ech_required: c
                .alerts
                .iter()
                .any(|a| a.plain.is_some_and(|(_, desc)| desc == ech::ECH_REQUIRED)),
        }),
        psk: ch.is_some_and(|h| h.psk),
        session_ticket: ch.is_some_and(|h| h.session_ticket),
        sslv2_hello: c.sslv2_hello,
        certificate_request: sv.certificate_request,
        server_certificates: sv.certificates.iter().map(|c| c.public()).collect(),
        client_certificates: c.certificates.iter().map(|c| c.public()).collect(),
        server_chain,
        records: PerPeer {
            client: c.records,
            server: sv.records,
        },
        encrypted_records: PerPeer {
            client: c.encrypted_records,
            server: sv.encrypted_records,
        },
        alerts: alerts.into_iter().map(|(_, a)| a).collect(),
        decrypted: s.conv.keys.as_ref().is_some_and(|k| k.opened)
            || s.conv.quic.as_ref().is_some_and(|q| q.handshake_opened()),
        incomplete: incomplete_stream || c.handshake_truncated || sv.handshake_truncated,
    })
}

/// A protocol name as reports show it: a registered ID by its name, any other only by its
/// length, since it can be anything (an internal service name, a planted secret).
fn alpn_shown(name: &str) -> String {
    if registry::is_alpn_protocol(name.as_bytes()) {
        name.to_string()
    } else {
        format!("unregistered ({} bytes)", name.len())
    }
}

fn alert_facts(from: Peer, a: &Alert) -> AlertFacts {
    match a.plain {
        Some((level, code)) => AlertFacts {
            from,
            encrypted: a.decrypted,
            decrypted: a.decrypted,
            level: Some(
                match level {
                    1 => "warning",
                    2 => "fatal",
                    _ => "unknown",
                }
                .into(),
            ),
            description: Some(alert_description_name(code).into()),
            code: Some(code),
        },
        None => AlertFacts {
            from,
            encrypted: true,
            decrypted: false,
            level: None,
            description: None,
            code: None,
        },
    }
}

/// The first plaintext alert sent during the handshake, and by whom.
fn first_plain_alert(s: &Sides<'_>) -> Option<(Peer, u8, u8)> {
    let mut best: Option<(f64, Peer, u8, u8)> = None;
    for (side, tls) in [(s.client, s.c_tls()), (s.client.other(), s.s_tls())] {
        for a in &tls.alerts {
            if let Some((level, desc)) = a.plain.filter(|_| !a.decrypted) {
                // close_notify is how a finished conversation ends, not a failure.
                if desc != 0 && best.is_none_or(|b| a.t < b.0) {
                    best = Some((a.t, s.peer(side), level, desc));
                }
            }
        }
    }
    best.map(|(_, p, l, d)| (p, l, d))
}

/// The first fatal alert a key log opened that ended the connection: sent before the peer
/// closed (an alert after the peer's FIN or reset answers the close, as a server's
/// decode_error to a half-closed connection does, and says nothing of the handshake).
fn first_decrypted_rejection(s: &Sides<'_>) -> Option<(Peer, u8, u8, f64)> {
    let mut best: Option<(f64, Peer, u8, u8)> = None;
    for side in [s.client, s.client.other()] {
        let peer_tcp = &s.conv.tcp[side.other().index()];
        let peer_closed = [peer_tcp.fin, peer_tcp.rst]
            .into_iter()
            .flatten()
            .reduce(f64::min);
        for a in &s.conv.tls(side).alerts {
            let Some((2, desc)) = a.plain.filter(|_| a.decrypted) else {
                continue;
            };
            if desc != 0 && peer_closed.is_none_or(|c| a.t < c) && best.is_none_or(|b| a.t < b.0) {
                best = Some((a.t, s.peer(side), 2, desc));
            }
        }
    }
    best.map(|(t, p, l, d)| (p, l, d, t))
}

fn handshake_complete(s: &Sides<'_>) -> bool {
    let (c, sv) = (s.c_tls(), s.s_tls());
    if is_sslv2_server_hello(&sv.prefix) {
        // SSLv2: the client continued (CLIENT-MASTER-KEY) after the server's hello.
        return c.prefix.len() > c.client_hello_len && c.client_hello_len > 0;
    }
    let Some(sh) = sv.server_hello.as_ref() else {
        return false;
    };
    if is_tls13(sh.negotiated_version()) {
        // Server flight (encrypted), then the client's encrypted Finished: a first encrypted
        // client record larger than an encrypted alert, or more than one.
        let client_finished = match c.first_encrypted {
            Some((_, len)) => len > 24 || c.encrypted_records > 1,
            None => false,
        };
        sv.encrypted_records > 0 && client_finished
    } else {
        c.ccs.is_some() && sv.ccs.is_some()
    }
}

fn decide(s: &Sides<'_>, tcp: &TcpFacts, tls: Option<&TlsFacts>, port: u16) -> Reading {
    let (ct, st) = (s.c_tcp(), s.s_tcp());
    let (c, sv) = (s.c_tls(), s.s_tls());
    let syn_seen = ct.syns > 0;
    if !syn_seen && st.syn_acks == 0 && c.client_hello.is_none() && sv.server_hello.is_none() {
        return (
            Verdict::MidStream,
            "the capture starts after this connection's TCP and TLS handshakes".into(),
            "start the capture before the client connects to see the handshake".into(),
        );
    }
    if syn_seen && st.syn_acks == 0 {
        if st.rst.is_some() {
            return (
                Verdict::TcpRefused,
                format!(
                    "the server answered the SYN with a reset: nothing accepts connections on port {port}"
                ),
                format!(
                    "transport problem, not TLS: check that the service runs and listens on port {port}, and that no firewall rejects the connection"
                )
                .into(),
            );
        }
        let n = tcp.syn_retransmissions;
        return (
            Verdict::TcpUnanswered,
            format!("the client sent {} SYN(s) and got no answer", n + 1),
            format!(
                "transport problem: the SYN was retransmitted {n} time(s) with no answer — check routing and firewalls before TLS settings"
            )
            .into(),
        );
    }
    let closer = tcp
        .first_close
        .as_ref()
        .map(|c| format!("the {} {}", c.by.as_str(), close_verb(&c.how)));
    if let Some(Outcome::Refused(refusal)) = s.conv.preamble_outcome() {
        return refused(&refusal);
    }
    if !hello_evident(c, sv) {
        let client_closed = [ct.fin, ct.rst].into_iter().flatten().reduce(f64::min);
        let server_spoke_after_close = ct.first_payload.is_none()
            && matches!((st.first_payload, client_closed), (Some(p), Some(c)) if c <= p);
        if !server_spoke_after_close && (ct.first_payload.is_some() || st.first_payload.is_some()) {
            let who = if ct.first_payload.is_some() {
                "client"
            } else {
                "server"
            };
            return (
                Verdict::NotTls,
                format!("the {who} spoke first with bytes that are not TLS{}", looks_like(if who == "client" { c } else { sv })),
                "this connection does not start with a TLS ClientHello: check the port, or whether the protocol needs STARTTLS first".into(),
            );
        }
        return (
            Verdict::TcpClosedBeforeHello,
            match &closer {
                Some(how) => format!("TCP connected, then {how} before any ClientHello"),
                None => "TCP connected, but no ClientHello was sent before the capture ended".into(),
            },
            "the client never started TLS: check the client's TLS settings and whether it expects a plaintext or STARTTLS protocol on this port; if the server closed, check its connection limits and access rules".into(),
        );
    }
    let versions = c
        .client_hello
        .as_ref()
        .map(|h| offered_versions(h))
        .unwrap_or_default();
    // A fatal alert decides alike whether it was read in clear or with the key log.
    let alert_verdict = |peer: Peer, desc: u8| match peer {
        Peer::Server => (
            Verdict::ServerAlert,
            server_alert_hint(desc, &versions, tls),
        ),
        Peer::Client => (Verdict::ClientAlert, client_alert_hint(desc, tls)),
    };
    if let Some((peer, _, desc, _)) = first_decrypted_rejection(s) {
        let name = alert_description_name(desc);
        let (verdict, hint) = alert_verdict(peer, desc);
        return (
            verdict,
            format!(
                "the {} rejected the handshake with a fatal {name} alert ({desc}), encrypted and read with the key log",
                peer.as_str()
            ),
            hint.into(),
        );
    }
    if handshake_complete(s) {
        let v = tls
            .and_then(|t| t.negotiated_version.clone())
            .unwrap_or_default();
        let suite = tls
            .and_then(|t| t.cipher_suite.clone())
            .map(|x| format!(" with {x}"))
            .unwrap_or_default();
        let read = if c.finished_decrypted && sv.finished_decrypted {
            " (both Finished messages read with the key log)"
        } else {
            ""
        };
        return (
            Verdict::HandshakeComplete,
            format!("both sides finished the {v} handshake{suite}{read}"),
            "the TLS handshake is not the problem: look at the application layer or at what happened after it".into(),
        );
    }
    if let Some((peer, level, desc)) = first_plain_alert(s) {
        return alert_reading(s, tls, peer, level, desc);
    }
    if sv.prefix.is_empty() {
        let size = match c.client_hello_len {
            0 => "incomplete in the capture".to_string(),
            n => format!("{n} B"),
        };
        return match st.rst.or(st.fin).map(|_| if st.rst.is_some() { "rst" } else { "fin" }) {
            Some("rst") => (
                Verdict::HelloReset,
                format!("the server reset the connection after the ClientHello ({size}) without any TLS answer"),
                "the server or a middlebox refused this ClientHello: check SNI- or version-based filtering, the server's TLS versions and ciphers, and its logs".into(),
            ),
            Some(_) => (
                Verdict::HelloClosed,
                format!("the server closed the connection after the ClientHello ({size}) without any TLS answer"),
                "the server dropped the handshake silently: check its logs, its TLS configuration (versions, ciphers, certificate for this SNI) and whether the port really serves TLS".into(),
            ),
            None => {
                let ending = match &closer {
                    Some(how) => format!("; then {how}"),
                    None if s.conv.finalised_early => format!("; {FINALISED_EARLY}"),
                    None => "; the capture ends there".into(),
                };
                (
                    Verdict::HelloUnanswered,
                    format!("the ClientHello ({size}, offering {versions}) got no answer{ending}"),
                    "the server accepted TCP but never answered TLS: a middlebox may drop the ClientHello (check MTU and fragmentation for large hellos), or the server is stuck — check its load and logs".into(),
                )
            }
        };
    }
    if sv.records == 0 && !is_sslv2_server_hello(&sv.prefix) {
        return (
            Verdict::NotTls,
            format!(
                "the server answered the ClientHello with bytes that are not TLS records{}",
                looks_like(sv)
            ),
            format!(
                "port {port} serves another protocol: check the port number, or whether this service needs STARTTLS"
            )
            .into(),
        );
    }
    let tls13 = sv
        .server_hello
        .as_ref()
        .is_some_and(|h| is_tls13(h.negotiated_version()));
    if tls13 && (ct.fin.is_some() || ct.rst.is_some()) && sv.encrypted_records > 0 {
        return (
            Verdict::ClientAborted,
            "TLS 1.3: after the server's encrypted flight the client closed without sending application data (its alert, if any, is encrypted: the client's key log, given with --keylog, would name it)".into(),
            "the client most likely rejected the server's certificate: run it with verbose output (curl -v, openssl s_client) and compare the chain the server sends with the client's trust store and the host name".into(),
        );
    }
    let last = s
        .conv
        .timeline
        .last()
        .map(|e| format!(" after {} sent {}", s.peer(e.side).as_str(), e.event))
        .unwrap_or_default();
    (
        Verdict::HandshakeIncomplete,
        format!("TLS started but the handshake did not finish in the capture{last}"),
        "capture for longer, or on the other end too, to see how the handshake ended".into(),
    )
}

/// The reading of a plaintext alert that ended the handshake.
fn alert_reading(
    s: &Sides<'_>,
    tls: Option<&TlsFacts>,
    peer: Peer,
    level: u8,
    desc: u8,
) -> Reading {
    let level_name = if level == 1 { "warning" } else { "fatal" };
    let name = alert_description_name(desc);
    let (verdict, hint) = match peer {
        Peer::Server => {
            let versions = s
                .c_tls()
                .client_hello
                .as_ref()
                .map(|h| offered_versions(h))
                .unwrap_or_default();
            (
                Verdict::ServerAlert,
                server_alert_hint(desc, &versions, tls),
            )
        }
        Peer::Client => (Verdict::ClientAlert, client_alert_hint(desc, tls)),
    };
    (
        verdict,
        format!(
            "the {} rejected the handshake with a {level_name} {name} alert ({desc})",
            peer.as_str()
        ),
        hint.into(),
    )
}

/// A path-MTU black hole: a handshake that stalled after a side retransmitted a segment of
/// more than [`super::conversation::LARGE_SEGMENT`] bytes and got nothing back (no packet at all from the peer after
/// the retransmission), while no ICMP "fragmentation needed" / "Packet Too Big" error reached
/// the capture. A router that drops large packets without that error looks exactly like this.
fn path_mtu_black_hole(s: &Sides<'_>, verdict: Verdict) -> Option<String> {
    if !matches!(
        verdict,
        Verdict::HelloUnanswered | Verdict::HandshakeIncomplete
    ) || s.conv.path_mtu_errors > 0
    {
        return None;
    }
    [(s.c_tcp(), s.s_tcp(), "client"), (s.s_tcp(), s.c_tcp(), "server")]
        .into_iter()
        .find_map(|(from, peer, who)| {
            let (t, size) = from.large_retransmission?;
            (peer.last_packet <= t).then(|| {
                format!(
                    "the {who} retransmitted a {size} B segment and got no answer, and no ICMP \"fragmentation needed\" or \"Packet Too Big\" came back: a path-MTU black hole may drop large packets — check the MTU along the path, clamp the TCP MSS, and let those ICMP errors through firewalls"
                )
            })
        })
}

/// A preamble refused the TLS it was preparing: a proxy's CONNECT answer, or a STARTTLS (or
/// SSLRequest) refused or never offered.
fn refused(refusal: &Refusal) -> Reading {
    match refusal {
        Refusal::Proxy { status, answer } => (
            Verdict::ProxyRefused,
            format!("the proxy refused the CONNECT request: {answer}"),
            match status {
                407 => "the proxy wants credentials: configure the client's proxy user and password (Proxy-Authorization), or its proxy authentication scheme",
                403 => "the proxy's access rules forbid this destination or port: check its allow-list (many proxies allow CONNECT to port 443 only)",
                502..=504 => "the proxy could not reach the destination: check the host name and port the client asks for, and the proxy's own connectivity and DNS",
                _ => "the proxy did not open the tunnel: check its logs for this request",
            }
            .into(),
        ),
        Refusal::Starttls { protocol, answer } => (
            Verdict::StarttlsRefused,
            format!("the {protocol} server refused to start TLS (it answered {answer})"),
            "the server does not start TLS on this connection: check that TLS is enabled on it (certificate and key loaded, STARTTLS allowed on this port) and its logs".into(),
        ),
        Refusal::NotOffered { protocol } => (
            Verdict::StarttlsRefused,
            format!("the {protocol} server did not offer STARTTLS, and the client went on without TLS"),
            "enable STARTTLS on the server, or make the client require TLS (so it fails loudly instead of continuing in cleartext)".into(),
        ),
    }
}

fn close_verb(how: &str) -> &'static str {
    if how == "rst" {
        "reset it"
    } else {
        "closed it (FIN)"
    }
}

/// A label for non-TLS bytes, never the bytes themselves.
fn looks_like(side: &TlsSide) -> &'static str {
    let p = &side.prefix;
    let starts = |s: &[u8]| p.starts_with(s);
    if starts(b"HTTP/") || starts(b"GET ") || starts(b"POST ") || starts(b"HEAD ") || starts(b"<") {
        " (it looks like HTTP)"
    } else if starts(b"SSH-") {
        " (it looks like SSH)"
    } else if p.first().is_some_and(|b| b.is_ascii_alphanumeric())
        && p.iter().take(64).all(|b| b.is_ascii())
    {
        " (it looks like a text protocol)"
    } else {
        ""
    }
}

fn server_alert_hint(desc: u8, versions: &str, tls: Option<&TlsFacts>) -> String {
    // What a key log showed of the client's certificate (TLS 1.3 encrypts it).
    let client_sent_none = tls.is_some_and(|t| t.decrypted && t.client_certificates.is_empty());
    let client_sent_one = tls.is_some_and(|t| t.decrypted && !t.client_certificates.is_empty());
    match alert_description_name(desc) {
        "certificate_required" | "handshake_failure" if client_sent_none && tls.is_some_and(|t| t.certificate_request) => {
            "the server requires a client certificate and none was sent: configure the client with its certificate and key (curl --cert/--key, openssl s_client -cert/-key)".into()
        }
        "unknown_ca" | "bad_certificate" | "certificate_unknown" if client_sent_one => {
            "the server does not trust the issuer of the client's certificate: use a client certificate issued by a CA the server trusts, and send its intermediates with it".into()
        }
        "certificate_expired" if client_sent_one => {
            "the server found the client's certificate expired: renew the client certificate (or check the server's clock)".into()
        }
        "protocol_version" => format!(
            "the server accepts none of the versions the client offered (client offered {versions}): check the server's minimum/maximum TLS version or the client's"
        ),
        "handshake_failure" => "no common ground: compare the client's cipher suites, groups and signature algorithms (in the summary) with the server's configuration".into(),
        "unrecognized_name" => "the server does not serve the host name the client sent (SNI): check the name the client uses and the server's virtual hosts".into(),
        "insufficient_security" => "the server requires stronger ciphers than the client offered: update the client's cipher list".into(),
        "inappropriate_fallback" => "the client retried with a lower version after a failure: fix the first failure (often a middlebox) instead".into(),
        "no_application_protocol" => "the server supports none of the ALPN protocols the client offered (e.g. h2, http/1.1): check ALPN settings on both sides".into(),
        "certificate_required" | "bad_certificate" | "unknown_ca" | "certificate_unknown" | "certificate_expired" | "access_denied" => {
            "the server rejected the client's certificate (or its absence): check the client certificate, its chain and the CAs the server trusts".into()
        }
        "decode_error" | "illegal_parameter" | "unexpected_message" => "the server could not parse the client's handshake: check for a middlebox altering traffic, or a client/server implementation bug".into(),
        "internal_error" => "the server failed internally: check the server's logs".into(),
        "unknown_psk_identity" => "the server does not know the client's pre-shared key identity: check the PSK configuration".into(),
        _ => "read the alert description and compare the client's offer with the server's TLS configuration".into(),
    }
}

fn client_alert_hint(desc: u8, tls: Option<&TlsFacts>) -> String {
    let chain = tls.and_then(|t| t.server_chain.as_ref());
    let mut notes = Vec::new();
    if let Some(ch) = chain {
        if ch.expired_at_capture {
            notes.push("a certificate of the server's chain had expired at capture time");
        }
        if ch.not_yet_valid_at_capture {
            notes.push("a certificate of the server's chain was not yet valid at capture time");
        }
        if ch.leaf_matches_sni == Some(false) {
            notes.push("the leaf certificate's names do not match the SNI");
        }
        if !ch.in_order {
            notes.push("the chain is not in order");
        }
    }
    let base = match alert_description_name(desc) {
        "unknown_ca" => {
            "the client does not trust the issuer of the server's certificate: install the issuing CA on the client, or have the server send its full chain"
        }
        "certificate_expired" => {
            "the client found an expired certificate: renew the server's certificate (or check the client's clock)"
        }
        "bad_certificate" | "certificate_unknown" | "unsupported_certificate" => {
            "the client rejected the server's certificate: check its host names, key usage and chain against the client's trust store"
        }
        "decrypt_error" => {
            "a signature or Finished check failed: check for a middlebox, or a mismatched key and certificate on the server"
        }
        "protocol_version" => {
            "the client refused the version the server chose: check both sides' minimum and maximum versions"
        }
        "handshake_failure" | "illegal_parameter" => {
            "the client refused the server's choices: compare the ServerHello with what the client offered"
        }
        "ech_required" => {
            "the server rejected Encrypted Client Hello and sent retry configurations: the client should retry with them (a server whose ECH keys changed, or an ECH configuration from stale DNS)"
        }
        _ => {
            "the client gave up on the handshake: run it with verbose output (curl -v, openssl s_client) to see why"
        }
    };
    if notes.is_empty() {
        base.to_string()
    } else {
        format!("{base} ({})", notes.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection whose client retransmitted a 1400-byte segment at t = 1 s, and whose
    /// server sent its last packet at `server_last`.
    fn stalled(server_last: f64, path_mtu_errors: u32) -> Conversation {
        let mut conv = Conversation::default();
        conv.tcp[Side::A.index()].large_retransmission = Some((1.0, 1400));
        conv.tcp[Side::B.index()].last_packet = server_last;
        conv.path_mtu_errors = path_mtu_errors;
        conv
    }

    fn black_hole(conv: &Conversation, verdict: Verdict) -> Option<String> {
        let sides = Sides {
            conv,
            client: Side::A,
        };
        path_mtu_black_hole(&sides, verdict)
    }

    #[test]
    fn an_unanswered_large_retransmission_without_icmp_is_a_black_hole() {
        let hint = black_hole(&stalled(0.5, 0), Verdict::HelloUnanswered);
        assert!(hint.is_some_and(|h| h.contains("1400 B") && h.contains("black hole")));
        assert!(black_hole(&stalled(0.5, 0), Verdict::HandshakeIncomplete).is_some());
        // The router said so: not a black hole.
        assert!(black_hole(&stalled(0.5, 1), Verdict::HelloUnanswered).is_none());
        // The server sent something after the retransmission.
        assert!(black_hole(&stalled(1.5, 0), Verdict::HelloUnanswered).is_none());
        // The handshake finished.
        assert!(black_hole(&stalled(0.5, 0), Verdict::HandshakeComplete).is_none());
        // No large segment was retransmitted.
        let mut small = stalled(0.5, 0);
        small.tcp[0].large_retransmission = None;
        assert!(black_hole(&small, Verdict::HelloUnanswered).is_none());
    }
}
