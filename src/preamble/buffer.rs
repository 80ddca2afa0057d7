//! One direction of a preamble: its first bytes in order (bounded), read line by line, and the
//! skeleton of each line read — what the sanitized capture keeps of it.

use super::outcome::Piece;

/// Bytes of a direction the recogniser holds at most: a preamble is a few lines; a longer one
/// is not followed (docs/architecture.md, "Bounded memory").
pub const MAX_PREAMBLE_BYTES: usize = 8 * 1024;
/// Longest line taken (SMTP allows 1000 bytes with CRLF; HTTP headers a little more).
const MAX_LINE: usize = 2048;
/// What the sanitized capture writes in place of a byte the grammar does not vouch for: a
/// letter, so the text protocols' dissectors still read a line of text (a name of `x`s, a
/// tag `x`).
pub const FILLER: u8 = b'x';

/// A complete line: `text` without its end of line, `len` with it.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub text: &'a [u8],
    pub len: usize,
}

/// What is next in a direction.
pub enum Next<'a> {
    Line(Line<'a>),
    /// No complete line yet.
    Wait,
    /// A line too long, or a NUL / control byte inside a line: not a text preamble.
    Bad,
}

/// One direction's bytes and how far they were read.
#[derive(Debug, Default)]
pub struct Stream {
    buf: Vec<u8>,
    read: usize,
    /// Every piece kept so far, in stream order.
    pub pieces: Vec<Piece>,
    /// A retransmitted copy disagreed with the bytes held: nothing of this direction is kept.
    pub conflicted: bool,
}

impl Stream {
    /// Appends in-order bytes at stream offset `off`; false when they do not follow what is held
    /// (a hole) or exceed the bound.
    pub fn push(&mut self, off: i64, bytes: &[u8]) -> bool {
        if off != self.buf.len() as i64 || self.buf.len() + bytes.len() > MAX_PREAMBLE_BYTES {
            return false;
        }
        self.buf.extend_from_slice(bytes);
        true
    }

    /// Stream offset of the next unread byte.
    pub fn read_offset(&self) -> i64 {
        self.read as i64
    }

    /// Every byte held, from stream offset 0.
    pub fn held(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes held beyond the read position.
    pub fn unread(&self) -> &[u8] {
        &self.buf[self.read..]
    }

    /// The next line, ended by LF (a CR before it is part of the end of line).
    pub fn line(&self) -> Next<'_> {
        let rest = self.unread();
        let Some(lf) = rest.iter().take(MAX_LINE).position(|&b| b == b'\n') else {
            return if rest.len() >= MAX_LINE || has_control(rest) {
                Next::Bad
            } else {
                Next::Wait
            };
        };
        let text = rest[..lf].strip_suffix(b"\r").unwrap_or(&rest[..lf]);
        if has_control(text) {
            return Next::Bad;
        }
        Next::Line(Line { text, len: lf + 1 })
    }

    /// Takes the next `len` bytes, keeping those `keep` marks (by position) and filler for the
    /// rest. A line's end of line is always kept.
    pub fn take(&mut self, len: usize, keep: &Keep) {
        self.take_as(len, keep, true);
    }

    /// Takes the next `len` bytes of a binary grammar: only what `keep` marks is kept (a byte
    /// that happens to be a line end or the filler is filled like any other).
    pub fn take_binary(&mut self, len: usize, keep: &Keep) {
        self.take_as(len, keep, false);
    }

    fn take_as(&mut self, len: usize, keep: &Keep, text: bool) {
        let at = self.read;
        let original = &self.buf[at..at + len];
        let mut bytes = original.to_vec();
        let mut filled: Vec<(u32, u32)> = Vec::new();
        for (i, b) in bytes.iter_mut().enumerate() {
            let line_end = text && matches!(*b, b'\r' | b'\n');
            if keep.keeps(i) || line_end || *b == FILLER {
                continue;
            }
            *b = FILLER;
            match filled.last_mut() {
                Some(last) if last.1 == i as u32 => last.1 += 1,
                _ => filled.push((i as u32, i as u32 + 1)),
            }
        }
        self.read += len;
        // A piece that continues the last one joins it. A piece per line or tag held about 45
        // bytes of memory per byte read in a dialogue of 2-byte lines (IMAP's `*`; review,
        // 2026-12-07); one growing piece holds the bytes and their filled ranges only.
        if let Some(last) = self.pieces.last_mut()
            && last.offset + last.bytes.len() as i64 == at as i64
        {
            let base = last.bytes.len() as u32;
            for (start, end) in filled {
                match last.filled.last_mut() {
                    Some(prev) if prev.1 == base + start => prev.1 = base + end,
                    _ => last.filled.push((base + start, base + end)),
                }
            }
            last.bytes.extend_from_slice(&bytes);
            return;
        }
        self.pieces.push(Piece {
            offset: at as i64,
            bytes,
            filled,
        });
    }

    /// Steps over `len` bytes that are not kept (a refusal page's body): they are removed.
    pub fn skip(&mut self, len: usize) {
        self.read += len;
    }

    /// Whether a retransmitted copy of the bytes at `off` agrees with what is held.
    pub fn compare(&mut self, off: i64, copy: &[u8]) {
        let Ok(start) = usize::try_from(off) else {
            return;
        };
        let held = self.buf.get(start..).unwrap_or(&[]);
        let n = held.len().min(copy.len());
        if held[..n] != copy[..n] {
            self.conflicted = true;
        }
    }
}

/// A byte that no text preamble line holds (line ends and tabs aside).
fn has_control(text: &[u8]) -> bool {
    text.iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f)
}

/// The positions of a line that the grammar vouches for.
#[derive(Debug, Default)]
pub struct Keep {
    ranges: Vec<(usize, usize)>,
}

impl Keep {
    pub fn all(len: usize) -> Keep {
        Keep {
            ranges: vec![(0, len)],
        }
    }

    pub fn range(&mut self, from: usize, to: usize) -> &mut Keep {
        if from < to {
            self.ranges.push((from, to));
        }
        self
    }

    fn keeps(&self, i: usize) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= i && i < b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_keeps_its_keywords_and_end_and_fills_the_rest() {
        let mut s = Stream::default();
        assert!(s.push(0, b"EHLO mail.example.org\r\nrest"));
        let Next::Line(line) = s.line() else {
            panic!("a line")
        };
        assert_eq!(line.text, b"EHLO mail.example.org");
        let len = line.len;
        s.take(len, Keep::default().range(0, 5));
        assert_eq!(s.pieces[0].bytes, b"EHLO xxxxxxxxxxxxxxxx\r\n");
        assert_eq!(s.pieces[0].offset, 0);
        assert_eq!(s.unread(), b"rest");
        assert!(matches!(s.line(), Next::Wait));
    }

    #[test]
    fn binary_bytes_are_not_a_line() {
        let mut s = Stream::default();
        assert!(s.push(0, &[0x16, 3, 1, 0, 5]));
        assert!(matches!(s.line(), Next::Bad));
        assert!(!s.push(9, b"x"), "a hole");
    }
}
