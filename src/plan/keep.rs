//! One direction's keep-list while pass 1 plans it: the redacted handshake messages, alert and
//! ChangeCipherSpec bodies to keep, by stream offset; the headers of removed messages, kept
//! only when a kept message follows them; and, when the connection is finished, the list
//! reduced to the [`DirectionPlan`] pass 2 applies (docs/decisions.md, "Keep-lists, not
//! edit-lists"). What is redacted is decided before (`crate::redact`); this module decides
//! where the bytes go and which survive.

use super::retransmissions::Retransmissions;
use super::{CertificatePiece, DirectionPlan, KeptRange, certificate_pieces};
use crate::tls::records::RecordHeader;
use crate::tls::spans::{Span, SpanKind};

/// One direction's kept ranges while the connection is followed.
#[derive(Debug, Default)]
pub struct KeepList {
    /// Plaintext handshake bytes (redacted), alert and ChangeCipherSpec bodies to keep.
    pub kept: Vec<KeptRange>,
    /// Handshake messages that are not kept (unknown, malformed or not walkable): removed.
    pub messages_removed: u64,
    /// Removed messages (4-byte header, zero body) waiting to be kept only if a kept message
    /// follows them: then their headers keep its framing readable.
    removed_pending: Vec<KeptRange>,
    /// Where each handshake message in `kept` or `removed_pending` begins (its 4-byte header),
    /// in stream order: a conflict inside a message removes it from there, whole.
    message_starts: Vec<i64>,
    /// `kept` or `removed_pending` is out of stream order: sorted before a comparison.
    kept_unsorted: bool,
    /// Retransmitted copies compared with the kept bytes.
    retransmissions: Retransmissions,
    /// Where the kept placeholder certificates sit.
    certificates: Vec<CertificatePiece>,
}

impl KeepList {
    /// Nothing kept (a `const` for a direction that carried nothing).
    pub const EMPTY: KeepList = KeepList {
        kept: Vec::new(),
        messages_removed: 0,
        removed_pending: Vec::new(),
        message_starts: Vec::new(),
        kept_unsorted: false,
        retransmissions: Retransmissions::EMPTY,
        certificates: Vec::new(),
    };

    /// Keeps a range after the removed messages before it (so `kept` stays in stream order).
    pub fn keep(&mut self, range: KeptRange) {
        self.flush_removed();
        self.push_kept(range);
    }

    /// Something after removed messages is kept: their headers are written, for framing.
    fn flush_removed(&mut self) {
        for range in std::mem::take(&mut self.removed_pending) {
            self.push_kept(range);
        }
    }

    /// Appends to `kept`, noting when that breaks stream order (a ChangeCipherSpec kept
    /// before the end of a handshake message that began earlier).
    fn push_kept(&mut self, range: KeptRange) {
        self.kept_unsorted |= self.kept.last().is_some_and(|k| k.offset > range.offset);
        self.kept.push(range);
    }

    /// Keeps a (redacted) message at the stream pieces it came from, as (offset, length),
    /// after the headers of the removed messages before it; `changed` are the spans the
    /// redaction changed, reported by `check`; `certificates` the placeholders among them, as
    /// (start, end, number).
    pub fn keep_message(
        &mut self,
        message: &[u8],
        original: &[u8],
        pieces: &[(i64, usize)],
        changed: &[&Span],
        certificates: &[(usize, usize, usize)],
    ) {
        self.flush_removed();
        self.push_pieces(message, original, pieces, changed);
        if !certificates.is_empty() {
            let mut at = 0;
            for &(offset, len) in pieces {
                self.certificates
                    .extend(certificate_pieces(certificates, (at, at + len), offset));
                at += len;
            }
        }
    }

    /// Notes placeholder certificate pieces kept by the caller (a DTLS message's fragments).
    pub fn note_certificates(&mut self, pieces: impl Iterator<Item = CertificatePiece>) {
        self.certificates.extend(pieces);
    }

    /// Removes a message we cannot walk (unknown type, malformed): its body is never written,
    /// whatever the policy, since we cannot tell what it holds. When a kept message follows it
    /// in the stream, its 4-byte header and a zero body are written so that message keeps its
    /// framing for whoever reads the output (Wireshark, `check`, a second run); otherwise the
    /// whole message is cut.
    pub fn remove_message(&mut self, mut message: Vec<u8>, pieces: &[(i64, usize)]) {
        self.messages_removed += 1;
        let body = Span {
            start: 4.min(message.len()),
            end: message.len(),
            kind: SpanKind::UnwalkableMessage,
        };
        let changed = message[body.start..].iter().any(|&b| b != 0);
        let original = changed.then(|| message.clone());
        message[body.start..].fill(0);
        let spans = if changed { vec![&body] } else { Vec::new() };
        let kept_before = self.kept.len();
        self.push_pieces(
            &message,
            original.as_deref().unwrap_or(&message),
            pieces,
            &spans,
        );
        let pending: Vec<KeptRange> = self.kept.drain(kept_before..).collect();
        self.removed_pending.extend(pending);
    }

    /// Keeps `message` (redacted from `original`) at its stream pieces; notes the original
    /// bytes of each changed part, to compare retransmissions with.
    fn push_pieces(
        &mut self,
        message: &[u8],
        original: &[u8],
        pieces: &[(i64, usize)],
        changed: &[&Span],
    ) {
        if let Some(&(start, _)) = pieces.iter().find(|&&(_, len)| len > 0) {
            self.message_starts.push(start);
        }
        let mut at = 0;
        for &(offset, len) in pieces {
            if len == 0 {
                continue;
            }
            let redacted = changed
                .iter()
                .filter(|sp| sp.start < at + len && sp.end > at)
                .map(|sp| {
                    (
                        (sp.start.max(at) - at) as u32,
                        (sp.end.min(at + len) - at) as u32,
                        sp.kind,
                    )
                })
                .collect::<Vec<(u32, u32, SpanKind)>>();
            self.retransmissions
                .note_originals(offset, &redacted, &original[at..at + len]);
            if self.kept.is_empty() {
                // Most directions keep one range (a hello): no spare slots per connection.
                self.kept.reserve_exact(1);
            }
            self.push_kept(KeptRange {
                offset,
                bytes: message[at..at + len].to_vec(),
                redacted,
                handshake: true,
            });
            at += len;
        }
    }

    /// The handshake is over (or the stream cannot be followed): later retransmissions are not
    /// compared.
    pub fn stop_comparing(&mut self) {
        self.retransmissions.stop_comparing();
    }

    /// Compares a retransmitted copy of the stream bytes at `off` with what this direction
    /// holds of the first copy: the bytes kept for the output and the handshake bytes still
    /// being collected (`held`, as (stream offset, bytes)); notes where they differ.
    pub fn compare_copy<'h>(
        &mut self,
        held: impl Iterator<Item = (i64, &'h [u8])>,
        off: i64,
        new: &[u8],
    ) {
        if self.retransmissions.stopped() {
            return;
        }
        if self.kept_unsorted {
            // Stable, like the final sort: equal offsets stay in the order they were kept.
            self.kept.sort_by_key(|k| k.offset);
            self.removed_pending.sort_by_key(|k| k.offset);
            self.kept_unsorted = false;
        }
        // `kept` is in stream order while the connection is followed.
        self.retransmissions
            .compare_copy([&self.kept, &self.removed_pending], held, off, new);
    }

    /// The plan of this direction once its connection is finished: stream `base`, the record
    /// `headers` the walker found, and the kept ranges no retransmission contradicted; with
    /// the number of kept ranges removed for a conflict. `sslv2_header_kept`: the first bytes
    /// of an SSLv2-compatible hello were kept at offset 0 and the framing after them was found
    /// by stepping over the hello.
    pub fn finish(
        mut self,
        base: Option<u32>,
        mut headers: Vec<RecordHeader>,
        sslv2_header_kept: bool,
    ) -> (DirectionPlan, u64) {
        let mut conflicted = 0;
        // Bytes a retransmission contradicted are removed, in every copy (fail closed).
        let conflicts = std::mem::take(&mut self.retransmissions.conflicts);
        let hits = |k: &KeptRange| {
            let end = k.offset + k.bytes.len() as i64;
            conflicts.iter().any(|&(a, b)| k.offset < b && a < end)
        };
        let mut kept = self.kept;
        // The rewriter and `check` binary-search the ranges: stream order, whatever the order
        // in which they were kept.
        kept.sort_by_key(|k| k.offset);
        // The record framing after an SSLv2-compatible hello was found by stepping over the
        // hello; when its kept header is removed, the framing after it cannot be found again
        // in the output, so it is not shown either.
        let sslv2_header_removed = sslv2_header_kept
            && kept
                .iter()
                .any(|k| k.offset == 0 && !k.handshake && hits(k));
        // Once part of a handshake message is removed, the framing of the messages after it
        // cannot be shown truthfully (a reader would take the removed bytes' zeros for
        // messages): the handshake bytes from there on are removed too, from the start of
        // that message. (Its pieces before the conflict, kept, would make it a message cut
        // short, which a second run removes: the output would not be a fixed point.)
        let cut = kept
            .iter()
            .filter(|k| k.handshake && hits(k))
            .map(|k| k.offset)
            .min()
            .map(|c| {
                let message_start = self
                    .message_starts
                    .iter()
                    .copied()
                    .filter(|&s| s <= c)
                    .max();
                message_start.unwrap_or(c)
            });
        kept.retain(|k| {
            let drop = hits(k) || (k.handshake && cut.is_some_and(|c| k.offset >= c));
            conflicted += u64::from(drop);
            !drop
        });
        kept.shrink_to_fit();
        if sslv2_header_removed {
            headers.clear();
        }
        // Kept until pass 2: no spare capacity.
        headers.shrink_to_fit();
        let mut certificates = self.certificates;
        certificates.shrink_to_fit();
        let plan = DirectionPlan {
            base,
            headers,
            kept,
            certificates,
        };
        (plan, conflicted)
    }
}
