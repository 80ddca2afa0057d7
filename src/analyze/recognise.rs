//! What a UDP datagram carries, judged by its content on any port: the one place that decides
//! whether a UDP flow is a connection (docs/udp.md). A flow becomes one when a datagram opens
//! a handshake — a DTLS handshake record at epoch 0, or a QUIC long-header packet that only a
//! handshake sends; every other UDP datagram keeps today's rule (its payload is cut).

use crate::dtls::records::{self, CONTENT_HANDSHAKE};
use crate::stable_names::stable_names;

stable_names! {
    /// The handshake protocol a UDP connection speaks (summary key `protocol`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum UdpProtocol {
        Dtls = "dtls",
        Quic = "quic",
    }
}

/// Which end of a handshake a datagram's content proves its sender to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloRole {
    Client,
    Server,
}

/// A datagram recognised as part of a handshake: its protocol, and the role its content
/// proves its sender has (a ClientHello's sender is the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recognised {
    pub protocol: UdpProtocol,
    pub sender: HelloRole,
}

/// QUIC versions whose long header is recognised: 1 (RFC 9000), 2 (RFC 9369), and 0, the
/// Version Negotiation packet (RFC 8999).
pub const QUIC_V1: u32 = 0x0000_0001;
pub const QUIC_V2: u32 = 0x6b33_43cf;
pub const QUIC_VERSION_NEGOTIATION: u32 = 0;

/// The handshake a datagram opens or answers, if its content says so.
pub fn recognise(payload: &[u8]) -> Option<Recognised> {
    recognise_dtls(payload).or_else(|| recognise_quic(payload))
}

/// A DTLS 1.0/1.2 (or 1.3 plaintext) handshake record at epoch 0 carrying a ClientHello (1),
/// ServerHello (2) or HelloVerifyRequest (3). Its body may run past the bytes captured (a
/// snap length, or a sanitized copy that cut a fragment it could not keep): the record walk
/// frames it against the datagram's length later.
fn recognise_dtls(payload: &[u8]) -> Option<Recognised> {
    let header = records::DtlsHeader::parse(payload)?;
    if header.content_type != CONTENT_HANDSHAKE || header.epoch != 0 || header.length == 0 {
        return None;
    }
    let sender = match payload.get(records::HEADER_LEN)? {
        1 => HelloRole::Client,
        2 | 3 => HelloRole::Server,
        _ => return None,
    };
    Some(Recognised {
        protocol: UdpProtocol::Dtls,
        sender,
    })
}

/// A QUIC long header (first two bits set) of a version above whose packet type only a
/// handshake sends: an Initial (type 0 in v1, 1 in v2), or a Version Negotiation.
fn recognise_quic(payload: &[u8]) -> Option<Recognised> {
    let (&first, rest) = payload.split_first()?;
    if first & 0xC0 != 0xC0 || rest.len() < 6 {
        return None;
    }
    let version = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let long_type = (first >> 4) & 0x03;
    let sender = match version {
        QUIC_VERSION_NEGOTIATION => HelloRole::Server,
        QUIC_V1 if long_type == 0 => HelloRole::Client,
        QUIC_V2 if long_type == 1 => HelloRole::Client,
        _ => return None,
    };
    Some(Recognised {
        protocol: UdpProtocol::Quic,
        sender,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dtls_record(content_type: u8, version: [u8; 2], epoch: u16, body: &[u8]) -> Vec<u8> {
        let mut v = vec![content_type, version[0], version[1]];
        v.extend_from_slice(&epoch.to_be_bytes());
        v.extend_from_slice(&[0, 0, 0, 0, 0, 7]);
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn dtls_hellos_are_recognised_with_their_sender() {
        let ch = dtls_record(22, [0xfe, 0xfd], 0, &[1, 0, 0, 0]);
        assert_eq!(
            recognise(&ch),
            Some(Recognised {
                protocol: UdpProtocol::Dtls,
                sender: HelloRole::Client
            })
        );
        let hvr = dtls_record(22, [0xfe, 0xff], 0, &[3, 0, 0, 0]);
        assert_eq!(recognise(&hvr).map(|r| r.sender), Some(HelloRole::Server));
    }

    #[test]
    fn other_dtls_records_and_bad_lengths_are_not_a_handshake() {
        // Application data, an epoch-1 record, a TLS version.
        assert_eq!(recognise(&dtls_record(23, [0xfe, 0xfd], 0, &[1])), None);
        assert_eq!(recognise(&dtls_record(22, [0xfe, 0xfd], 1, &[1])), None);
        assert_eq!(recognise(&dtls_record(22, [0x03, 0x03], 0, &[1])), None);
        // A hello cut by the capture is recognised from its first body byte on.
        let ch = dtls_record(22, [0xfe, 0xfd], 0, &[1, 0, 0, 0]);
        for n in 0..ch.len() {
            assert_eq!(recognise(&ch[..n]).is_some(), n > 13, "{n} bytes");
        }
    }

    #[test]
    fn quic_initials_and_version_negotiation_are_recognised() {
        let v1_initial = [0xC3, 0, 0, 0, 1, 8, 1, 2, 3];
        assert_eq!(
            recognise(&v1_initial).map(|r| r.protocol),
            Some(UdpProtocol::Quic)
        );
        let v2_initial = [0xD3, 0x6b, 0x33, 0x43, 0xcf, 8, 1];
        assert_eq!(
            recognise(&v2_initial).map(|r| r.sender),
            Some(HelloRole::Client)
        );
        let vn = [0x80 | 0x40, 0, 0, 0, 0, 8, 1];
        assert_eq!(recognise(&vn).map(|r| r.sender), Some(HelloRole::Server));
        // A v1 Handshake packet (type 2), a short header, an unknown version, a DNS query.
        assert_eq!(recognise(&[0xE3, 0, 0, 0, 1, 8, 1]), None);
        assert_eq!(recognise(&[0x43, 0, 0, 0, 1, 8, 1]), None);
        assert_eq!(recognise(&[0xC3, 0xff, 0, 0, 0x1d, 8, 1]), None);
        assert_eq!(recognise(&[0x12, 0x34, 1, 0, 0, 1, 0, 0]), None);
    }
}
