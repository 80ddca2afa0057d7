//! Facts from complete TLS handshake messages.
//!
//! The caller reassembles handshake messages across records and segments and hands over one
//! message at a time as `(msg_type, body)`, body being the bytes after the 4-byte handshake
//! header. [`parse_handshake`] turns it into [`HandshakeFacts`]; the name functions render code
//! points for user-facing text.
//!
//! Rules that hold throughout, because captures are hostile:
//! - nothing panics and nothing indexes unchecked: all reads go through a bounds-checked
//!   [`reader::Reader`]; a body whose framing does not add up becomes
//!   [`HandshakeFacts::Malformed`] with a short reason;
//! - unknown code points are kept as numbers, never dropped or guessed;
//! - host names (SNI, certificate names, subject/issuer DER) are SENSITIVE. They are kept for
//!   checks such as [`chain_checks`] but are never serialized and never printed by `Debug`;
//!   serializing any of these types is safe for the shareable summary.

mod certificate;
mod hello;
mod messages;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use crate::tls::names::{
    alert_description_name, cipher_suite_name, extension_name, group_name, handshake_type_name,
    is_tls13_version, signature_scheme_name, version_name,
};
pub use crate::tls::registry::is_grease;
pub use certificate::{
    CertificateFacts, ChainChecks, MAX_CHAIN_LEN, certificate_facts, certificate_facts_of,
    certificate_matches_host, chain_checks, dns_name_matches, key_type_and_bits,
};
pub use hello::{
    ClientHelloFacts, HELLO_RETRY_REQUEST_RANDOM, ServerHelloFacts, SniFacts, SniSummary,
    parse_sslv2_client_hello,
};

/// What one handshake message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HandshakeFacts {
    ClientHello(ClientHelloFacts),
    /// A ServerHello, including a HelloRetryRequest (`hello_retry_request`), whether sent as a
    /// ServerHello with the special random (RFC 8446) or as message type 6 (drafts up to 21).
    ServerHello(ServerHelloFacts),
    /// The chain in wire order (position 0 is the leaf). `tls13` tells which layout was read.
    Certificate {
        certificates: Vec<CertificateFacts>,
        tls13: bool,
    },
    CertificateRequest {
        /// Number of certificate_authorities names the server listed.
        ca_names: usize,
    },
    ServerKeyExchange,
    ServerHelloDone,
    ClientKeyExchange,
    CertificateVerify,
    Finished,
    NewSessionTicket {
        ticket_length: usize,
        /// ticket_lifetime_hint (TLS 1.2) or ticket_lifetime (TLS 1.3), seconds.
        lifetime: u32,
    },
    CertificateStatus {
        /// Length of the stapled OCSP response.
        length: usize,
    },
    /// Extension types in wire order (an encrypted_client_hello here carries the server's
    /// retry configurations: it rejected ECH), and the ALPN protocol the server selected.
    EncryptedExtensions {
        extensions: Vec<u16>,
        alpn: Option<String>,
    },
    HelloRequest,
    EndOfEarlyData,
    KeyUpdate,
    /// A message type this module does not interpret (HelloVerifyRequest, CertificateURL,
    /// CompressedCertificate, NextProtocol, unassigned values, ...).
    Other {
        msg_type: u8,
    },
    /// The body does not fit the message type's layout.
    Malformed {
        msg_type: u8,
        reason: String,
    },
}

/// Turns one complete handshake message into facts. `tls13_certificate` selects the TLS 1.3
/// layout for a Certificate message (context + entries with extensions); the caller knows it
/// from the negotiated version. Never panics, whatever the bytes.
pub fn parse_handshake(msg_type: u8, body: &[u8], tls13_certificate: bool) -> HandshakeFacts {
    parse_handshake_with(msg_type, body, tls13_certificate, &mut certificate_facts)
}

/// [`parse_handshake`], with each certificate's facts from `facts_of(position, der)` (which
/// must give what [`certificate_facts`] gives: pass 1 answers from the certificates it already
/// parsed).
pub fn parse_handshake_with(
    msg_type: u8,
    body: &[u8],
    tls13_certificate: bool,
    facts_of: &mut dyn FnMut(usize, &[u8]) -> CertificateFacts,
) -> HandshakeFacts {
    let malformed = |reason: String| HandshakeFacts::Malformed { msg_type, reason };
    // Messages that carry nothing must be empty; trailing bytes mean a framing error upstream
    // or a hostile peer, and a server would answer decode_error.
    let empty = |facts: HandshakeFacts| {
        if body.is_empty() {
            facts
        } else {
            malformed(format!(
                "{} unexpected bytes in an empty message",
                body.len()
            ))
        }
    };
    match msg_type {
        0 => empty(HandshakeFacts::HelloRequest),
        1 => hello::parse_client_hello(body).map_or_else(malformed, HandshakeFacts::ClientHello),
        2 | 6 => hello::parse_server_hello(msg_type, body)
            .map_or_else(malformed, HandshakeFacts::ServerHello),
        4 => messages::parse_new_session_ticket(body).map_or_else(
            malformed,
            |(ticket_length, lifetime)| HandshakeFacts::NewSessionTicket {
                ticket_length,
                lifetime,
            },
        ),
        5 => empty(HandshakeFacts::EndOfEarlyData),
        8 => messages::encrypted_extensions(body).map_or_else(malformed, |(extensions, alpn)| {
            HandshakeFacts::EncryptedExtensions { extensions, alpn }
        }),
        11 => certificate::parse_certificate(body, tls13_certificate, facts_of).map_or_else(
            malformed,
            |certificates| HandshakeFacts::Certificate {
                certificates,
                tls13: tls13_certificate,
            },
        ),
        // Key exchange and signature bodies depend on the negotiated suite; their bytes are
        // opaque here, only their presence is a fact.
        12 => HandshakeFacts::ServerKeyExchange,
        13 => messages::parse_certificate_request(body).map_or_else(malformed, |ca_names| {
            HandshakeFacts::CertificateRequest { ca_names }
        }),
        14 => empty(HandshakeFacts::ServerHelloDone),
        15 => HandshakeFacts::CertificateVerify,
        16 => HandshakeFacts::ClientKeyExchange,
        20 if body.is_empty() => malformed("empty Finished".to_string()),
        20 => HandshakeFacts::Finished,
        22 => messages::parse_certificate_status(body).map_or_else(malformed, |length| {
            HandshakeFacts::CertificateStatus { length }
        }),
        // RFC 8446 4.6.3: exactly one KeyUpdateRequest byte.
        24 if body.len() == 1 => HandshakeFacts::KeyUpdate,
        24 => malformed(format!("KeyUpdate of {} bytes, expected 1", body.len())),
        _ => HandshakeFacts::Other { msg_type },
    }
}
