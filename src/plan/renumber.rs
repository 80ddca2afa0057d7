//! Placeholder certificates written again with the run's numbers, once the inputs analysed
//! before this one are known (`crate::redact::numbering`, docs/sharding.md).

use super::{CertificatePiece, DirectionPlan, KeptRange};
use crate::redact::numbering::Renumbering;
use crate::tls::spans::SpanKind;

/// Writes every placeholder piece of `plan` as the run numbers it. A piece whose kept range
/// is gone (a retransmission contradicted it) has nothing to write.
pub fn renumber(plan: &mut DirectionPlan, numbers: &Renumbering) {
    if numbers.is_identity() || plan.certificates.is_empty() {
        return;
    }
    // The pieces of one certificate follow each other: it is built once for them.
    let mut last: Option<(u32, Option<Vec<u8>>)> = None;
    for piece in &plan.certificates {
        if last.as_ref().is_none_or(|(n, _)| *n != piece.number) {
            let Some(built) = numbers.rebuilt(piece.number as usize) else {
                continue;
            };
            last = Some((piece.number, built));
        }
        if let Some((_, built)) = &last {
            write_piece(&mut plan.kept, piece, built.as_deref());
        }
    }
}

/// Writes one piece of a rebuilt placeholder (zeros when it cannot be built) into the kept
/// range that holds it, where pass 1 marked a certificate.
fn write_piece(kept: &mut [KeptRange], piece: &CertificatePiece, built: Option<&[u8]>) {
    let at = kept.partition_point(|k| k.offset <= piece.offset);
    let Some(range) = at.checked_sub(1).and_then(|i| kept.get_mut(i)) else {
        return;
    };
    let Ok(start) = usize::try_from(piece.offset - range.offset) else {
        return;
    };
    let end = start + piece.len as usize;
    let marked = range.redacted.iter().any(|&(a, b, kind)| {
        kind == SpanKind::Certificate && a as usize <= start && end <= b as usize
    });
    let Some(target) = range.bytes.get_mut(start..end).filter(|_| marked) else {
        return;
    };
    let from = piece.from as usize;
    match built.and_then(|b| b.get(from..from + target.len())) {
        Some(bytes) => target.copy_from_slice(bytes),
        None => target.fill(0),
    }
}
