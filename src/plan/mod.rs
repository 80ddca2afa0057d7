//! The plan pass 1 makes and pass 2 applies: per direction of a connection, which stream bytes
//! are kept (TLS record headers, redacted handshake bytes, alert and ChangeCipherSpec bodies),
//! by stream offset, so every copy of a retransmitted segment is written the same way; the rest
//! is removed (docs/architecture.md, "Keep-lists, not edit-lists" in docs/decisions.md).
//! [`keep`] builds one direction's keep-list while pass 1 follows the connection,
//! [`retransmissions`] notes where retransmitted copies disagree with the first, and [`store`]
//! keeps the plans of finished connections until pass 2 needs them.

pub mod fragments;
pub mod keep;
pub mod renumber;
pub mod retransmissions;
pub mod store;

use crate::tls::records::RecordHeader;
use crate::tls::spans::SpanKind;

/// Bytes of a stream that the sanitized capture keeps (after redaction), at their offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRange {
    pub offset: i64,
    pub bytes: Vec<u8>,
    /// The parts the redaction changed, as (start, end, kind) within `bytes`: what `check`
    /// reports for this range.
    pub redacted: Vec<(u32, u32, SpanKind)>,
    /// Part of a handshake message (not an alert or ChangeCipherSpec body, nor an SSLv2
    /// header): the handshake stream's framing runs through it.
    pub handshake: bool,
}

/// What the rewriter needs of one direction: where its stream starts and which bytes are TLS
/// record headers.
#[derive(Debug, Clone, Default)]
pub struct DirectionPlan {
    pub base: Option<u32>,
    pub headers: Vec<RecordHeader>,
    /// Redacted handshake bytes, alert and ChangeCipherSpec bodies, sorted by offset.
    pub kept: Vec<KeptRange>,
    /// Where the placeholder certificates in `kept` sit, so that they can be numbered again
    /// once the inputs analysed before this one are known (`crate::redact::numbering`).
    pub certificates: Vec<CertificatePiece>,
}

/// Part of a placeholder certificate kept in a direction's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificatePiece {
    /// Stream offset of the piece's first byte.
    pub offset: i64,
    pub len: u32,
    /// The placeholder's number, as pass 1 gave it.
    pub number: u32,
    /// Where the piece begins inside the certificate.
    pub from: u32,
}

/// The parts of `certificates` (as (start, end, number) in a message) that the message's bytes
/// `from..to`, kept at stream offset `at`, hold.
pub fn certificate_pieces(
    certificates: &[(usize, usize, usize)],
    (from, to): (usize, usize),
    at: i64,
) -> impl Iterator<Item = CertificatePiece> + '_ {
    certificates
        .iter()
        .filter(move |&&(start, end, _)| start < to && end > from)
        .map(move |&(start, end, number)| {
            let first = start.max(from);
            CertificatePiece {
                offset: at + (first - from) as i64,
                len: (end.min(to) - first) as u32,
                number: number as u32,
                from: (first - start) as u32,
            }
        })
}

/// Where a UDP datagram's payload sits in its direction's plan. Datagrams are not a stream, so
/// each has its own slot of 2^16 bytes (more than a UDP payload can hold), numbered by its
/// packet: pass 2 finds a datagram's kept bytes from its packet number alone, and every
/// offset stays below 2^63 for any packet number a capture can have (2^47).
pub fn datagram_base(packet: u64) -> i64 {
    i64::try_from(packet.min(1 << 46)).unwrap_or(0) << 16
}

/// Both directions' plans, by [`crate::flow::Side`] index.
pub type Plans = [DirectionPlan; 2];
