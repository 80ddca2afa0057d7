//! DTLS handshake fragments (RFC 6347 §4.2.2 and §4.2.3): each carries a 12-byte header
//! (type, message length, message_seq, fragment_offset, fragment_length) and part of one
//! message; a message is whole once its fragments cover it, whatever their order, and a
//! retransmitted fragment is the same bytes again. The reassembly is bounded: messages of at
//! most [`MAX_MESSAGE`] bytes, at most [`MAX_MESSAGES`] per direction.

/// The handshake fragment header.
pub const FRAGMENT_HEADER_LEN: usize = 12;
/// Largest message reassembled (a certificate chain of a few certificates fits).
pub const MAX_MESSAGE: usize = 256 * 1024;
/// Messages followed per direction: a DTLS handshake has about a dozen.
pub const MAX_MESSAGES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentHeader {
    pub msg_type: u8,
    pub length: u32,
    pub message_seq: u16,
    pub offset: u32,
    pub fragment_length: u32,
}

/// One fragment of a record body: where its header starts in the body, and the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    pub at: usize,
    pub header: FragmentHeader,
}

impl Fragment {
    /// Where its bytes start in the record body.
    pub fn body_at(&self) -> usize {
        self.at + FRAGMENT_HEADER_LEN
    }

    pub fn end(&self) -> usize {
        self.body_at() + self.header.fragment_length as usize
    }
}

fn u24(b: &[u8]) -> u32 {
    (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2])
}

/// The fragments of a plaintext handshake record's body of `claimed` bytes (the capture may
/// hold fewer: `body`), in order, as far as each header is captured and consistent (its
/// fragment within its message, its bytes within the record); `true` when they cover the
/// record exactly. A fragment's bytes may run past what was captured: its header still counts
/// (a sanitized capture cut there is read as it was written).
pub fn fragments(body: &[u8], claimed: usize) -> (Vec<Fragment>, bool) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(h) = body.get(at..at + FRAGMENT_HEADER_LEN) {
        let header = FragmentHeader {
            msg_type: h[0],
            length: u24(&h[1..4]),
            message_seq: u16::from_be_bytes([h[4], h[5]]),
            offset: u24(&h[6..9]),
            fragment_length: u24(&h[9..12]),
        };
        let within_message = u64::from(header.offset) + u64::from(header.fragment_length)
            <= u64::from(header.length);
        let f = Fragment { at, header };
        if !within_message || f.end() > claimed {
            break;
        }
        at = f.end();
        out.push(f);
    }
    (out, at == claimed)
}

/// What adding a fragment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The message is still missing bytes.
    Pending,
    /// This fragment completed the message (`Reassembly::message` gives it).
    Complete,
    /// The message was already whole and this fragment repeats its bytes.
    Repeat,
    /// The fragment contradicts what was seen of its message (other bytes, another type or
    /// length), or the message is past the bounds: it cannot be trusted.
    Refused,
}

/// One message being reassembled.
#[derive(Debug)]
struct Message {
    seq: u16,
    msg_type: u8,
    body: Vec<u8>,
    /// Byte ranges of `body` received, sorted and merged.
    have: Vec<(u32, u32)>,
    whole: bool,
}

impl Message {
    fn covered(&self, from: u32, to: u32) -> bool {
        self.have.iter().any(|&(a, b)| a <= from && to <= b)
    }

    fn insert(&mut self, from: u32, to: u32) {
        self.have.push((from, to));
        self.have.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.have.len());
        for &(a, b) in &self.have {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.whole = merged == [(0, self.body.len() as u32)];
        self.have = merged;
    }
}

/// One direction's handshake messages, by message_seq.
#[derive(Debug, Default)]
pub struct Reassembly {
    messages: Vec<Message>,
}

impl Reassembly {
    /// Adds a fragment's bytes (`bytes`: exactly its `fragment_length` bytes).
    pub fn add(&mut self, h: &FragmentHeader, bytes: &[u8]) -> Added {
        let (from, to) = (h.offset, h.offset + h.fragment_length);
        if h.length as usize > MAX_MESSAGE || bytes.len() != h.fragment_length as usize {
            return Added::Refused;
        }
        let i = match self.messages.iter().position(|m| m.seq == h.message_seq) {
            Some(i) => i,
            None if self.messages.len() < MAX_MESSAGES => {
                self.messages.push(Message {
                    seq: h.message_seq,
                    msg_type: h.msg_type,
                    body: vec![0; h.length as usize],
                    have: Vec::new(),
                    whole: false,
                });
                self.messages.len() - 1
            }
            None => return Added::Refused,
        };
        let m = &mut self.messages[i];
        if m.msg_type != h.msg_type || m.body.len() != h.length as usize {
            return Added::Refused;
        }
        let span = from as usize..to as usize;
        // Bytes seen before must come again unchanged.
        for &(a, b) in &m.have {
            let (lo, hi) = (a.max(from), b.min(to));
            if lo < hi
                && m.body[lo as usize..hi as usize]
                    != bytes[(lo - from) as usize..(hi - from) as usize]
            {
                return Added::Refused;
            }
        }
        if m.whole {
            return Added::Repeat;
        }
        if h.length == 0 {
            m.whole = true;
            return Added::Complete;
        }
        if from == to {
            return Added::Pending;
        }
        if !m.covered(from, to) {
            m.body[span].copy_from_slice(bytes);
            m.insert(from, to);
        }
        if m.whole {
            Added::Complete
        } else {
            Added::Pending
        }
    }

    /// The whole message of `message_seq` (type and body), once complete.
    pub fn message(&self, message_seq: u16) -> Option<(u8, &[u8])> {
        self.messages
            .iter()
            .find(|m| m.seq == message_seq && m.whole)
            .map(|m| (m.msg_type, &m.body[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(msg_type: u8, seq: u16, length: u32, offset: u32, bytes: &[u8]) -> Vec<u8> {
        let mut v = vec![msg_type];
        v.extend(&length.to_be_bytes()[1..]);
        v.extend(seq.to_be_bytes());
        v.extend(&offset.to_be_bytes()[1..]);
        v.extend(&(bytes.len() as u32).to_be_bytes()[1..]);
        v.extend(bytes);
        v
    }

    fn add(r: &mut Reassembly, raw: &[u8]) -> Added {
        let (f, whole) = fragments(raw, raw.len());
        assert!(whole && f.len() == 1);
        r.add(&f[0].header, &raw[f[0].body_at()..f[0].end()])
    }

    #[test]
    fn fragments_out_of_order_and_repeated_make_one_message() {
        let msg: Vec<u8> = (0..100).collect();
        let mut r = Reassembly::default();
        assert_eq!(
            add(&mut r, &fragment(1, 0, 100, 60, &msg[60..])),
            Added::Pending
        );
        assert_eq!(
            add(&mut r, &fragment(1, 0, 100, 60, &msg[60..])),
            Added::Pending
        );
        assert_eq!(r.message(0), None);
        assert_eq!(
            add(&mut r, &fragment(1, 0, 100, 0, &msg[..70])),
            Added::Complete
        );
        assert_eq!(r.message(0), Some((1, &msg[..])));
        assert_eq!(add(&mut r, &fragment(1, 0, 100, 0, &msg)), Added::Repeat);
        // Other bytes at the same place, another type or length: refused.
        let mut other = msg.clone();
        other[5] ^= 1;
        assert_eq!(
            add(&mut r, &fragment(1, 0, 100, 0, &other[..10])),
            Added::Refused
        );
        assert_eq!(
            add(&mut r, &fragment(2, 0, 100, 0, &msg[..10])),
            Added::Refused
        );
        assert_eq!(
            add(&mut r, &fragment(1, 0, 99, 0, &msg[..10])),
            Added::Refused
        );
    }

    #[test]
    fn a_record_holds_several_fragments_and_lies_are_stopped() {
        let mut body = fragment(2, 1, 4, 0, &[1, 2, 3, 4]);
        body.extend(fragment(14, 2, 0, 0, &[]));
        let (f, whole) = fragments(&body, body.len());
        assert!(whole);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].header.msg_type, 14);
        let mut r = Reassembly::default();
        assert_eq!(r.add(&f[1].header, &[]), Added::Complete);
        // A fragment past its message, or past the record.
        let past = fragment(1, 0, 4, 2, &[1, 2, 3]);
        let (f, whole) = fragments(&past, past.len());
        assert!(f.is_empty() && !whole);
        let raw = fragment(1, 0, 4, 0, &[1, 2, 3, 4]);
        for n in 0..raw.len() {
            let (f, whole) = fragments(&raw[..n], n);
            assert!(f.is_empty() && (n == 0) == whole, "{n}");
            // Claimed whole but cut by the capture: the header counts once it is there.
            let (f, whole) = fragments(&raw[..n], raw.len());
            assert_eq!(f.len(), usize::from(n >= FRAGMENT_HEADER_LEN), "{n}");
            assert_eq!(whole, n >= FRAGMENT_HEADER_LEN, "{n}");
        }
    }

    #[test]
    fn the_reassembly_is_bounded() {
        let mut r = Reassembly::default();
        for seq in 0..MAX_MESSAGES as u16 {
            let h = FragmentHeader {
                msg_type: 1,
                length: 10,
                message_seq: seq,
                offset: 0,
                fragment_length: 1,
            };
            assert_eq!(r.add(&h, &[0]), Added::Pending);
        }
        let h = FragmentHeader {
            msg_type: 1,
            length: 10,
            message_seq: 999,
            offset: 0,
            fragment_length: 1,
        };
        assert_eq!(r.add(&h, &[0]), Added::Refused);
        let huge = FragmentHeader {
            length: MAX_MESSAGE as u32 + 1,
            ..h
        };
        assert_eq!(r.add(&huge, &[0]), Added::Refused);
    }
}
