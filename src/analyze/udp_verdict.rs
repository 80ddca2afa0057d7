//! The verdict of a connection over UDP: the evidence a datagram handshake leaves, mapped onto
//! the verdicts TCP connections use (docs/udp.md has the mapping). There is no transport
//! handshake or close: the verdicts about TCP never apply.

use super::conversation::{Conversation, is_tls13};
use super::recognise::UdpProtocol;
use super::verdict::{FINALISED_EARLY, Reading, Verdict};
use crate::flow::Side;
use crate::stable_names::stable_names;

stable_names! {
    /// The handshake protocol a connection spoke (summary key `protocol`): `none` for a TCP
    /// connection that carried no TLS record.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Protocol {
        Tls = "tls",
        Dtls = "dtls",
        Quic = "quic",
        None = "none",
    }
}

impl From<UdpProtocol> for Protocol {
    fn from(p: UdpProtocol) -> Protocol {
        match p {
            UdpProtocol::Dtls => Protocol::Dtls,
            UdpProtocol::Quic => Protocol::Quic,
        }
    }
}

/// `alert`: the reading of the first plaintext alert, when one was sent (a DTLS alert record
/// at epoch 0), worded as for TLS.
pub fn decide(
    conv: &Conversation,
    client: Side,
    protocol: UdpProtocol,
    alert: Option<Reading>,
) -> Reading {
    let name = match protocol {
        UdpProtocol::Dtls => "DTLS",
        UdpProtocol::Quic => "QUIC",
    };
    let (c, s) = (conv.tls(client), conv.tls(client.other()));
    let (c_sent, s_sent) = (
        conv.datagrams[client.index()],
        conv.datagrams[client.other().index()],
    );
    if protocol == UdpProtocol::Dtls && dtls_complete(conv, client) {
        let version = s
            .server_hello
            .as_ref()
            .map(|h| crate::tls::facts::version_name(h.negotiated_version()))
            .unwrap_or_else(|| "DTLS".into());
        return (
            Verdict::HandshakeComplete,
            format!("both sides finished the {version} handshake: encrypted records went both ways after it"),
            "the DTLS handshake is not the problem: look at the application layer or at what happened after it".into(),
        );
    }
    if protocol == UdpProtocol::Quic
        && conv
            .quic
            .as_ref()
            .is_some_and(|q| q.one_rtt.iter().all(|&n| n > 0))
    {
        return (
            Verdict::HandshakeComplete,
            "both sides sent 1-RTT (short header) packets: the QUIC handshake finished".into(),
            "the QUIC handshake is not the problem: look at the application layer (HTTP/3) or at what happened after it".into(),
        );
    }
    if let Some(reading) = alert {
        return reading;
    }
    if s_sent == 0 {
        let what = match protocol {
            UdpProtocol::Dtls => "ClientHello",
            UdpProtocol::Quic => "Initial",
        };
        let ending = match conv.finalised_early {
            true => FINALISED_EARLY,
            false => "the capture ends there",
        };
        return (
            Verdict::HelloUnanswered,
            format!("the client's {name} {what} ({c_sent} datagram(s)) got no answer; {ending}"),
            "the server never answered over UDP: check that it listens on this port and that no firewall drops UDP on the way; a large hello may not fit the path MTU (datagrams are not split again)".into(),
        );
    }
    if c_sent == 0
        || (c.client_hello.is_none() && s.server_hello.is_none() && c.records + s.records > 0)
    {
        return (
            Verdict::HandshakeIncomplete,
            format!("the capture holds only part of this {name} handshake"),
            "start the capture before the client connects, and capture for longer".into(),
        );
    }
    let last = conv
        .timeline
        .last()
        .map(|e| {
            let who = if e.side == client { "client" } else { "server" };
            format!(" after the {who} sent {}", e.event)
        })
        .unwrap_or_default();
    (
        Verdict::HandshakeIncomplete,
        format!("{name} started but the handshake did not finish in the capture{last}"),
        "capture for longer, or on the other end too, to see how the handshake ended".into(),
    )
}

/// DTLS 1.0/1.2: each side sent its ChangeCipherSpec and encrypted (epoch ≥ 1) records after
/// it (its Finished). DTLS 1.3: the server's encrypted flight and encrypted records from the
/// client after it.
fn dtls_complete(conv: &Conversation, client: Side) -> bool {
    let (c, s) = (conv.tls(client), conv.tls(client.other()));
    let tls13 = s
        .server_hello
        .as_ref()
        .is_some_and(|h| is_tls13(h.negotiated_version()) || h.negotiated_version() == 0xfefc);
    if tls13 {
        s.encrypted_records > 0 && c.encrypted_records > 0
    } else {
        c.ccs.is_some() && s.ccs.is_some() && c.encrypted_records > 0 && s.encrypted_records > 0
    }
}
