//! An Initial packet written back after its handshake was redacted: the frames that carry
//! nothing free-form are kept, the CRYPTO data is taken from the redacted stream, the
//! connection IDs are replaced by their pseudonyms, and the packet is sealed again with the
//! Initial keys of the mapped original Destination Connection ID, so a reader that derives
//! them (Wireshark) opens the rewritten packet and reads the redacted hello.
//!
//! Fail closed (docs/architecture.md, "Rules that hold everywhere"): CRYPTO bytes past the
//! redacted stream (a hello not read completely), a CONNECTION_CLOSE reason phrase, the token
//! and every byte after a frame the walk stopped at become zeros. Zeros after the last frame
//! read are PADDING frames, so the payload still parses; the packet keeps its length, so its
//! Length field and the datagram stay true.

use zeroize::Zeroizing;

use super::frames::{FrameKind, Frames};
use super::header::LongHeader;
use super::keys::PacketKeys;
use super::packet::{self, Opened};

/// What an Initial packet is rewritten with.
pub struct Rewrite<'a> {
    /// The pseudonyms of the header's Destination and Source Connection IDs (same lengths).
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// This direction's Initial CRYPTO stream, redacted, from offset 0: the bytes a CRYPTO
    /// frame carries at an offset below its length are taken from it, the rest are zeros.
    pub stream: &'a [u8],
    /// The Initial keys of this direction derived from the mapped original Destination
    /// Connection ID.
    pub keys: &'a PacketKeys,
}

/// The plaintext payload with the frames' free-form and unread bytes replaced.
pub fn payload(opened: &Opened, frames: &Frames, stream: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = opened.payload.clone();
    for f in &frames.frames {
        match &f.kind {
            FrameKind::Crypto { offset, data } => {
                for (i, b) in out[data.clone()].iter_mut().enumerate() {
                    let at = usize::try_from(offset + i as u64).ok();
                    *b = at.and_then(|at| stream.get(at)).copied().unwrap_or(0);
                }
            }
            FrameKind::ConnectionClose { reason, .. } => out[reason.clone()].fill(0),
            FrameKind::Padding | FrameKind::Ping | FrameKind::Ack { .. } => {}
        }
    }
    if let Some(stop) = frames.stopped_at {
        out[stop..].fill(0);
    }
    out
}

/// The rewritten packet: the same length as `opened`'s; `None` when a pseudonym's length
/// differs from its ID's or the packet cannot be sealed.
pub fn initial(
    h: &LongHeader,
    opened: &Opened,
    frames: &Frames,
    with: &Rewrite,
) -> Option<Vec<u8>> {
    let mut header = opened.header.clone();
    for (range, mapped) in [
        (h.ids.dcid.clone(), with.dcid),
        (h.ids.scid.clone(), with.scid),
    ] {
        let field = header.get_mut(range)?;
        if field.len() != mapped.len() {
            return None;
        }
        field.copy_from_slice(mapped);
    }
    // A token is the server's opaque value (RFC 9000 8.1): never kept.
    header.get_mut(h.token.clone())?.fill(0);
    let rewritten = Opened {
        header,
        pn_len: opened.pn_len,
        pn: opened.pn,
        payload: payload(opened, frames, with.stream),
    };
    packet::seal(&rewritten, true, with.keys)
}
