//! What a secret is, for both halves of the canary: the kinds the refusal names, and the byte
//! rules `collect.rs` (gathering what a run saw) and `addresses.rs` (the sets searched) share.

/// What kind of secret a pattern stands for; the refusal names it, never the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    Ipv4Address,
    Ipv6Address,
    /// A solicited-node multicast group (or its `33:33:ff:…` MAC) built from a real address.
    SolicitedNodeGroup,
    MacAddress,
    /// An IPv6 interface identifier derived from a real MAC (EUI-64).
    InterfaceId,
    HostName,
    /// A subject, issuer or CA-name attribute of a replaced certificate.
    CertificateName,
    PskIdentity,
    SessionTicket,
    SessionId,
    Random,
    /// A QUIC connection ID (header or transport parameter).
    ConnectionId,
}

impl SecretKind {
    /// The noun phrase for the refusal sentence.
    pub fn describe(self) -> &'static str {
        match self {
            SecretKind::Ipv4Address => "an IPv4 address",
            SecretKind::Ipv6Address => "an IPv6 address",
            SecretKind::SolicitedNodeGroup => "a solicited-node group built from an IPv6 address",
            SecretKind::MacAddress => "a MAC address",
            SecretKind::InterfaceId => "an IPv6 interface identifier built from a MAC address",
            SecretKind::HostName => "a host name",
            SecretKind::CertificateName => "a certificate name",
            SecretKind::PskIdentity => "a PSK identity",
            SecretKind::SessionTicket => "a session ticket",
            SecretKind::SessionId => "a session id",
            SecretKind::Random => "a handshake random",
            SecretKind::ConnectionId => "a QUIC connection id",
        }
    }
}

/// Fewer than three distinct byte values (`00:00:00:00:00:01`, `1.1.1.1`): such bytes are what
/// zero-filled payload and NOP-filled options are made of, so they say nothing as bytes (their
/// text forms are still searched).
pub(crate) fn too_plain(bytes: &[u8]) -> bool {
    let mut distinct: Vec<u8> = bytes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len() < 3
}

/// The modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A).
pub(crate) fn eui64(m: [u8; 6]) -> [u8; 8] {
    [m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]]
}
