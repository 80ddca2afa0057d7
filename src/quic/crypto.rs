//! One packet number space's CRYPTO stream in one direction, reassembled by offset from
//! frames that arrive in any order, repeated or overlapping, across packets and datagrams
//! (RFC 9000 19.6, 7.5), and the TLS handshake messages it holds. A post-quantum ClientHello
//! spans two Initial packets, so a hello is read only from the in-order prefix.
//!
//! Bounded: at most [`MAX_STREAM`] bytes of stream offset are reassembled, and at most as many
//! bytes of frames wait past a gap (frames that overlap at different offsets would otherwise
//! each be held whole); a frame past either bound is refused and the stream marked, as a
//! hello that long is no longer read.

use std::collections::BTreeMap;
use std::ops::Range;

use zeroize::Zeroize;

/// The most stream offset reassembled per space and direction: far above the largest real
/// ClientHello (a post-quantum one is under 2 KB) and a certificate chain in Handshake
/// packets, and a bound on what a hostile capture can make the tool hold.
pub const MAX_STREAM: u64 = 64 * 1024;

/// A CRYPTO stream being reassembled. A Handshake space's holds what a key log opened, so
/// its bytes are wiped when it is dropped and when its buffer grows.
#[derive(Debug, Default, Clone)]
pub struct CryptoStream {
    /// The bytes from offset 0 without a gap.
    contiguous: Vec<u8>,
    /// Frames that start past the contiguous prefix, by offset.
    pending: BTreeMap<u64, Vec<u8>>,
    /// Bytes held in `pending`.
    pending_bytes: usize,
    /// A frame reached past [`MAX_STREAM`].
    overflowed: bool,
}

impl Drop for CryptoStream {
    fn drop(&mut self) {
        self.contiguous.zeroize();
        self.pending.values_mut().for_each(Zeroize::zeroize);
    }
}

/// Appends `data` to `buf`, moving it to a larger buffer itself when it must grow, so that the
/// old buffer is wiped rather than freed with its bytes in it.
fn extend_wiping(buf: &mut Vec<u8>, data: &[u8]) {
    let need = buf.len() + data.len();
    if need > buf.capacity() {
        let mut grown = Vec::with_capacity(
            need.max(2 * buf.capacity())
                .min(MAX_STREAM as usize)
                .max(need),
        );
        grown.extend_from_slice(buf);
        buf.zeroize();
        *buf = grown;
    }
    buf.extend_from_slice(data);
}

/// One complete handshake message in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub msg_type: u8,
    /// The whole message (4-byte header included) as a range of stream offsets.
    pub range: Range<usize>,
}

impl Message {
    /// The body's stream offsets (after the type and the 24-bit length).
    pub fn body(&self) -> Range<usize> {
        self.range.start + 4..self.range.end
    }
}

impl CryptoStream {
    /// Adds a CRYPTO frame's data at `offset`; `false` when it reaches past [`MAX_STREAM`], or
    /// would make more than that wait past a gap (it is then not held).
    pub fn insert(&mut self, offset: u64, data: &[u8]) -> bool {
        let Some(end) = offset.checked_add(data.len() as u64) else {
            self.overflowed = true;
            return false;
        };
        if end > MAX_STREAM {
            self.overflowed = true;
            return false;
        }
        let have = self.contiguous.len() as u64;
        if end <= have {
            return true;
        }
        if offset > have {
            let held = self.pending.get(&offset).map_or(0, Vec::len);
            if held >= data.len() {
                return true;
            }
            let waiting = self.pending_bytes - held + data.len();
            if waiting as u64 > MAX_STREAM {
                self.overflowed = true;
                return false;
            }
            self.pending_bytes = waiting;
            if let Some(mut shorter) = self.pending.insert(offset, data.to_vec()) {
                shorter.zeroize();
            }
            return true;
        }
        extend_wiping(&mut self.contiguous, &data[(have - offset) as usize..]);
        // Frames that waited for this one.
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            let have = self.contiguous.len() as u64;
            if start > have {
                break;
            }
            let mut bytes = entry.remove();
            self.pending_bytes -= bytes.len();
            let end = start + bytes.len() as u64;
            if end > have {
                extend_wiping(&mut self.contiguous, &bytes[(have - start) as usize..]);
            }
            bytes.zeroize();
        }
        true
    }

    /// The bytes from offset 0 up to the first gap.
    pub fn contiguous(&self) -> &[u8] {
        &self.contiguous
    }

    /// Whether a frame was refused for reaching past [`MAX_STREAM`].
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The complete handshake messages of the in-order prefix, in order.
    pub fn messages(&self) -> Vec<Message> {
        let mut out = Vec::new();
        let mut at = 0usize;
        while let Some(head) = self.contiguous.get(at..at + 4) {
            let len =
                (usize::from(head[1]) << 16) | (usize::from(head[2]) << 8) | usize::from(head[3]);
            let end = at + 4 + len;
            if end > self.contiguous.len() {
                break;
            }
            out.push(Message {
                msg_type: head[0],
                range: at..end,
            });
            at = end;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_overlapping_and_bounded() {
        let message = [1u8, 0, 0, 6, 10, 11, 12, 13, 14, 15];
        let mut s = CryptoStream::default();
        assert!(s.insert(6, &message[6..]));
        assert!(s.messages().is_empty());
        assert!(s.insert(3, &message[3..8]));
        assert!(s.contiguous().is_empty());
        assert!(s.insert(0, &message[..4]));
        assert!(s.insert(0, &message[..2]));
        assert_eq!(s.contiguous(), message);
        assert_eq!(
            s.messages(),
            [Message {
                msg_type: 1,
                range: 0..10
            }]
        );
        assert_eq!(s.messages()[0].body(), 4..10);
        assert!(!s.insert(MAX_STREAM - 1, &[0, 0]));
        assert!(s.overflowed());
        assert!(!s.insert(u64::MAX, &[0]));
    }

    /// Frames that overlap at different offsets past a gap: what is held stays within
    /// MAX_STREAM bytes, whatever their number (a hostile capture can seal as many Initials as
    /// it likes: their keys are public).
    #[test]
    fn waiting_frames_are_held_within_the_bound() {
        let mut s = CryptoStream::default();
        let frame = vec![7u8; 1_000];
        let mut refused = false;
        for offset in 1..2_000u64 {
            refused |= !s.insert(offset, &frame);
        }
        assert!(refused && s.overflowed());
        let held: usize = s.pending.values().map(Vec::len).sum();
        assert_eq!(held, s.pending_bytes);
        assert!(held as u64 <= MAX_STREAM, "{held} bytes held");
        // The gap filled: what waited joins the stream, and the count with it.
        assert!(s.insert(0, &[1]));
        assert_eq!(s.pending_bytes, 0);
        assert!(s.contiguous().len() > 1_000);
    }

    /// Growing by hand (to wipe the old buffer) keeps every byte, whatever the frame sizes.
    #[test]
    fn a_stream_grown_in_many_steps_keeps_its_bytes() {
        let data: Vec<u8> = (0..MAX_STREAM as usize)
            .map(|i| (i * 31 + i / 7) as u8)
            .collect();
        let mut s = CryptoStream::default();
        let mut at = 0;
        for (k, len) in [1usize, 3, 200, 1_500, 17, 4_000]
            .iter()
            .cycle()
            .enumerate()
        {
            if at == data.len() {
                break;
            }
            let end = (at + len).min(data.len());
            // Every third frame arrives after the next one: it waits past a gap first.
            if k % 3 == 0 && end < data.len() {
                let next_end = (end + 100).min(data.len());
                assert!(s.insert(end as u64, &data[end..next_end]));
            }
            assert!(s.insert(at as u64, &data[at..end]));
            at = s.contiguous().len();
        }
        assert_eq!(s.contiguous(), &data[..]);
    }
}
