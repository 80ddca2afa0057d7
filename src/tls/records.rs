//! Finds the TLS record headers of one direction's byte stream.
//!
//! The sanitizer keeps exactly these 5-byte headers (content type, version, length) and removes
//! every other payload byte. A header is accepted only if it is plausible and sits where the
//! previous record said the next one starts; the first implausible header ends the walk, and
//! everything after it is treated as unknown (removed). That makes "TLS" a property of the
//! content, not of port 443.

/// Largest record body TLS allows (2^14 plaintext plus 2048 bytes of expansion).
pub const MAX_RECORD_BODY: u16 = 16_384 + 2_048;

/// One record header: where it starts in the stream and its five bytes as analysed. The
/// rewriter writes these bytes, not the packet's, so a conflicting retransmission cannot
/// smuggle anything through the kept positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub offset: i64,
    pub bytes: [u8; 5],
}

impl RecordHeader {
    pub fn content_type(&self) -> u8 {
        self.bytes[0]
    }

    pub fn body_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.bytes[3], self.bytes[4]]))
    }

    pub fn end(&self) -> i64 {
        self.offset + 5 + self.body_len() as i64
    }
}

/// How the walk begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The stream start is known (SYN seen): the first record may be a handshake or an alert.
    Known,
    /// The capture began mid-connection: accept only a record that opens a TLS stream
    /// (a handshake record starting a ClientHello or ServerHello), else nothing is kept.
    Guessed,
}

/// Receives what the walker finds: every accepted header, and the body bytes of records as
/// they arrive (in order, possibly in several chunks).
pub trait RecordSink {
    fn header(&mut self, header: &RecordHeader);
    /// `at` is the offset of `chunk` within the record body.
    fn body(&mut self, header: &RecordHeader, at: usize, chunk: &[u8]);
    /// Part of the record's body is not in the capture.
    fn body_missing(&mut self, _header: &RecordHeader) {}
}

/// A sink that wants nothing (sanitize-only walks, tests).
pub struct NoSink;

impl RecordSink for NoSink {
    fn header(&mut self, _: &RecordHeader) {}
    fn body(&mut self, _: &RecordHeader, _: usize, _: &[u8]) {}
}

#[derive(Debug)]
pub struct RecordWalker {
    next_header: i64,
    buf: [u8; 6],
    got: usize,
    need: usize,
    start: Start,
    first: bool,
    lost: bool,
    pub headers: Vec<RecordHeader>,
}

impl RecordWalker {
    pub fn new(start: Start) -> RecordWalker {
        RecordWalker {
            next_header: 0,
            buf: [0; 6],
            got: 0,
            need: if start == Start::Guessed { 6 } else { 5 },
            start,
            first: true,
            lost: false,
            headers: Vec::new(),
        }
    }

    /// True once the stream stopped looking like TLS (or never did).
    pub fn lost(&self) -> bool {
        self.lost
    }

    /// Skips a leading record that is not in TLS framing (an SSLv2-compatible ClientHello):
    /// TLS records are expected from `offset` on. Only valid before any header was taken.
    pub fn skip_to(&mut self, offset: i64) {
        if self.headers.is_empty() && !self.lost && self.got == 0 {
            self.next_header = offset;
            self.first = false;
            self.need = 5;
        }
    }

    /// Steps over `n` stream bytes at `off` that the capture does not hold. Inside a record body
    /// that is fine (the next header is still where the record says); a missing header byte
    /// ends the walk.
    pub fn skip_missing(&mut self, off: i64, n: usize, sink: &mut impl RecordSink) {
        if self.lost {
            return;
        }
        let end = off + n as i64;
        // A guessed start peeks at the first body byte; when the capture ends right after the
        // header (a cut segment, or a sanitized capture), judge the header without it.
        if self.need == 6 && self.got == 5 && off == self.next_header + 5 {
            self.accept_header(None, sink);
        }
        if self.lost {
            return;
        }
        let at_header = self.next_header + self.got as i64;
        if off < at_header
            && let Some(last) = self.headers.last()
        {
            sink.body_missing(last);
        }
        if end > at_header {
            self.lost = true;
        }
    }

    /// Marks the stream as no longer followable (a hole in the capture).
    pub fn lose(&mut self) {
        self.lost = true;
    }

    /// Consumes contiguous stream bytes starting at `off`.
    pub fn consume(&mut self, off: i64, data: &[u8], sink: &mut impl RecordSink) {
        let end = off + data.len() as i64;
        let mut pos = off;
        while pos < end && !self.lost {
            let at_header = self.next_header + self.got as i64;
            if pos < at_header {
                let to = at_header.min(end);
                if let Some(last) = self.headers.last() {
                    let at = (pos - last.offset - 5) as usize;
                    sink.body(last, at, &data[(pos - off) as usize..(to - off) as usize]);
                }
                pos = to;
                continue;
            }
            let from = (pos - off) as usize;
            let take = (self.need - self.got).min((end - pos) as usize);
            self.buf[self.got..self.got + take].copy_from_slice(&data[from..from + take]);
            self.got += take;
            pos += take as i64;
            if self.got == self.need {
                let peeked = self.need - 5;
                let peek = (peeked > 0).then_some(self.buf[5]);
                self.accept_header(peek, sink);
                // A guessed start peeks at the first body byte: hand it back as body.
                pos -= peeked as i64;
            }
        }
    }

    /// `peek` is the first body byte when a guessed start could look at it.
    fn accept_header(&mut self, peek: Option<u8>, sink: &mut impl RecordSink) {
        let mut bytes = [0u8; 5];
        bytes.copy_from_slice(&self.buf[..5]);
        let header = RecordHeader {
            offset: self.next_header,
            bytes,
        };
        if !self.plausible(&header, peek) {
            self.lost = true;
            return;
        }
        self.headers.push(header);
        sink.header(&header);
        self.next_header = header.end();
        self.got = 0;
        self.need = 5;
        self.first = false;
    }

    fn plausible(&self, h: &RecordHeader, peek: Option<u8>) -> bool {
        let [content_type, major, minor, ..] = h.bytes;
        let generic = (20..=24).contains(&content_type)
            && major == 3
            && minor <= 4
            && h.body_len() <= usize::from(MAX_RECORD_BODY);
        if !generic || !self.first {
            return generic;
        }
        match self.start {
            Start::Known => matches!(content_type, 21 | 22),
            // Mid-connection: a hello opens a stream; any other record must at least carry a
            // real TLS record version (1.0-1.3) to be believed.
            Start::Guessed => {
                (content_type == 22 && matches!(peek, Some(1 | 2)) && h.body_len() >= 4)
                    || ((20..=23).contains(&content_type) && (1..=4).contains(&minor))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![t, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn finds_headers_across_arbitrary_splits() {
        let mut stream = record(22, &[1, 0, 0, 2, 9, 9]);
        stream.extend(record(20, &[1]));
        stream.extend(record(23, &[7; 40]));
        for split in 1..stream.len() {
            let mut w = RecordWalker::new(Start::Known);
            w.consume(0, &stream[..split], &mut NoSink);
            w.consume(split as i64, &stream[split..], &mut NoSink);
            let offsets: Vec<i64> = w.headers.iter().map(|h| h.offset).collect();
            assert_eq!(offsets, vec![0, 11, 17], "split at {split}");
            assert!(!w.lost());
        }
    }

    #[test]
    fn plaintext_is_not_tls() {
        let mut w = RecordWalker::new(Start::Known);
        w.consume(0, b"HTTP/1.1 200 OK\r\n", &mut NoSink);
        assert!(w.lost());
        assert!(w.headers.is_empty());
    }

    /// Collects record bodies as delivered.
    #[derive(Default)]
    struct Bodies(Vec<u8>);

    impl RecordSink for Bodies {
        fn header(&mut self, _: &RecordHeader) {}
        fn body(&mut self, _: &RecordHeader, at: usize, chunk: &[u8]) {
            assert!(at + chunk.len() <= 5);
            self.0.extend_from_slice(chunk);
        }
    }

    #[test]
    fn guessed_start_delivers_the_peeked_body_byte() {
        let stream = record(22, &[1, 0, 0, 1, 7]);
        for split in 1..stream.len() {
            let mut w = RecordWalker::new(Start::Guessed);
            let mut bodies = Bodies::default();
            w.consume(0, &stream[..split], &mut bodies);
            w.consume(split as i64, &stream[split..], &mut bodies);
            assert_eq!(bodies.0, vec![1, 0, 0, 1, 7], "split at {split}");
        }
    }

    #[test]
    fn missing_body_bytes_do_not_stop_the_walk() {
        // A known start opens with a handshake (or alert) record.
        let first = record(22, &[7; 40]);
        let second = record(21, &[1, 0]);
        let mut w = RecordWalker::new(Start::Known);
        w.consume(0, &first[..5], &mut NoSink);
        w.skip_missing(5, 40, &mut NoSink);
        w.consume(45, &second, &mut NoSink);
        assert_eq!(
            w.headers.iter().map(|h| h.offset).collect::<Vec<_>>(),
            vec![0, 45]
        );
        // A header that falls in the missing bytes ends it.
        let mut w = RecordWalker::new(Start::Known);
        w.consume(0, &first[..5], &mut NoSink);
        w.skip_missing(5, 42, &mut NoSink);
        assert!(w.lost());
    }

    #[test]
    fn guessed_start_needs_a_plausible_tls_record() {
        let mut w = RecordWalker::new(Start::Guessed);
        w.consume(0, b"HTTP/1.1 200 OK\r\n", &mut NoSink);
        assert!(w.lost());
        // An SSL 3.0-versioned data record is not believed mid-stream.
        let mut w = RecordWalker::new(Start::Guessed);
        let mut ssl3 = record(23, &[0; 10]);
        ssl3[2] = 0;
        w.consume(0, &ssl3, &mut NoSink);
        assert!(w.lost());
        let mut w = RecordWalker::new(Start::Guessed);
        w.consume(0, &record(23, &[0; 10]), &mut NoSink);
        assert_eq!(w.headers.len(), 1);
        let mut w = RecordWalker::new(Start::Guessed);
        w.consume(0, &record(22, &[2, 0, 0, 1, 0]), &mut NoSink);
        assert_eq!(w.headers.len(), 1);
    }

    /// A sanitized mid-stream capture holds a record's 5 header bytes and nothing of its
    /// body: a guessed start must judge the header without peeking at the body.
    #[test]
    fn guessed_start_judges_a_header_whose_body_is_missing() {
        let stream = record(23, &[0; 40]);
        let mut w = RecordWalker::new(Start::Guessed);
        w.consume(0, &stream[..5], &mut NoSink);
        w.skip_missing(5, 40, &mut NoSink);
        w.consume(45, &record(21, &[0; 26]), &mut NoSink);
        assert!(!w.lost());
        assert_eq!(
            w.headers.iter().map(|h| h.offset).collect::<Vec<_>>(),
            vec![0, 45]
        );
        // Without the peeked byte an SSL 3.0 hello cannot be told from noise: not believed.
        let mut hello = record(22, &[1, 0, 0, 1, 7]);
        hello[2] = 0;
        let mut w = RecordWalker::new(Start::Guessed);
        w.consume(0, &hello[..5], &mut NoSink);
        w.skip_missing(5, 5, &mut NoSink);
        assert!(w.lost());
        assert!(w.headers.is_empty());
        // The same hello with its body captured is believed.
        let mut w = RecordWalker::new(Start::Guessed);
        w.consume(0, &hello, &mut NoSink);
        assert_eq!(w.headers.len(), 1);
    }
}
