//! tls_parse: the bytes as one direction's TCP byte stream, through the record walker
//! (`tls::records`), then every complete handshake message through the facts parser
//! (`tls::facts::parse_handshake`), the sensitive-span finder (`tls::spans::locate`) and the
//! redactor (`redact::Redactor`, default policy), plus the SSLv2 hello parsers.
//!
//! The first byte is control: bit 0 guessed start (mid-connection), bit 1 TLS 1.2 layouts
//! (else TLS 1.0), bit 2 TLS 1.3 layouts (Certificate, CertificateRequest, NewSessionTicket),
//! bits 3.. the chunk size the stream is fed in (1..=32 bytes); the chunk size also picks the
//! negotiated cipher suite from `SUITES`, so every ClientKeyExchange grammar is reached.
//!
//! Invariants: no panic; the walker reports headers back to back from offset 0, each equal to
//! the stream's bytes there, and body chunks inside their record, equal to the stream's bytes;
//! spans lie within the message, after its 4-byte header, in order without overlap; redaction
//! keeps the length, changes nothing outside the spans, and leaves a message whose spans are
//! found again at the same places (every length field still valid); a certificate replaced by a
//! placeholder parses as X.509 with subject `CN=redacted-<n>`; a CA name placeholder parses as a
//! DER Name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pcapscrub::analyze::conversation::sslv2_client_hello_len;
use pcapscrub::fuzzing::fuzz_key;
use pcapscrub::policy::Policy;
use pcapscrub::redact::Redactor;
use pcapscrub::tls::facts::{parse_handshake, parse_sslv2_client_hello};
use pcapscrub::tls::records::{RecordHeader, RecordSink, RecordWalker, Start};
use pcapscrub::tls::spans::{Negotiated, SpanKind, locate};
use x509_parser::prelude::FromDer;

/// Cipher suites of every key exchange the ClientKeyExchange walker knows, and one it does not.
const SUITES: [Option<u16>; 9] = [
    None,
    Some(0x002f),
    Some(0x0033),
    Some(0xc02f),
    Some(0x00ae),
    Some(0x00aa),
    Some(0xc037),
    Some(0x00b6),
    Some(0xc01a),
];

struct Collect<'a> {
    stream: &'a [u8],
    headers: Vec<RecordHeader>,
    handshake: Vec<u8>,
}

impl RecordSink for Collect<'_> {
    fn header(&mut self, h: &RecordHeader) {
        let expected = self.headers.last().map_or(0, |p| p.end());
        assert_eq!(h.offset, expected, "record headers are back to back from 0");
        let at = h.offset as usize;
        assert_eq!(
            &self.stream[at..at + 5],
            &h.bytes,
            "header bytes are the stream's"
        );
        self.headers.push(*h);
    }

    fn body(&mut self, h: &RecordHeader, at: usize, chunk: &[u8]) {
        assert_eq!(self.headers.last(), Some(h), "body of the last header");
        assert!(
            at + chunk.len() <= h.body_len(),
            "body chunk past its record"
        );
        let from = h.offset as usize + 5 + at;
        assert_eq!(
            &self.stream[from..from + chunk.len()],
            chunk,
            "body bytes are the stream's"
        );
        if h.content_type() == 22 {
            self.handshake.extend_from_slice(chunk);
        }
    }
}

fn check_message(msg: &[u8], negotiated: &Negotiated, tls13_cert: bool, redactor: &mut Redactor) {
    let _ = parse_handshake(msg[0], &msg[4..], tls13_cert);
    let Some(spans) = locate(msg, negotiated) else {
        return;
    };
    let mut prev_end = 4;
    for s in &spans {
        assert!(
            s.start >= prev_end && s.start <= s.end && s.end <= msg.len(),
            "span {s:?} out of order or outside the {}-byte message",
            msg.len()
        );
        prev_end = s.end;
    }
    let mut red = msg.to_vec();
    redactor.redact(&mut red, &spans, false);
    assert_eq!(red.len(), msg.len());
    let mut inside = vec![false; msg.len()];
    for s in &spans {
        inside[s.start..s.end].fill(true);
    }
    for (i, (a, b)) in msg.iter().zip(&red).enumerate() {
        assert!(inside[i] || a == b, "byte {i} outside every span changed");
    }
    let again = locate(&red, negotiated).expect("the redacted message walks again");
    // Redaction may only take spans away, never move or add one: filler can turn a body that
    // did not parse into one that does (non-zero padding filled with zeros is valid padding),
    // and then that span is gone, but every span left lies inside one of the first walk's.
    for s in &again {
        assert!(
            spans.iter().any(|t| t.start <= s.start && s.end <= t.end),
            "redaction moved or added the span {s:?} (first walk: {spans:?})"
        );
    }
    for s in &spans {
        let bytes = &red[s.start..s.end];
        match s.kind {
            SpanKind::Certificate
                if bytes.iter().any(|&b| b != 0) && bytes != &msg[s.start..s.end] =>
            {
                let (rest, cert) = x509_parser::parse_x509_certificate(bytes)
                    .unwrap_or_else(|e| panic!("certificate placeholder does not parse: {e}"));
                assert!(rest.is_empty(), "trailing bytes after the placeholder");
                let cn: Vec<_> = cert.subject().iter_common_name().collect();
                assert_eq!(cn.len(), 1);
                assert!(cn[0].as_str().is_ok_and(|s| s.starts_with("redacted-")));
            }
            SpanKind::CaName if bytes.iter().any(|&b| b != 0) => {
                let (rest, _) = x509_parser::x509::X509Name::from_der(bytes)
                    .unwrap_or_else(|e| panic!("CA name placeholder does not parse: {e}"));
                assert!(
                    rest.is_empty(),
                    "trailing bytes after the CA name placeholder"
                );
            }
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, stream)) = data.split_first() else {
        return;
    };
    let start = if ctl & 1 == 0 {
        Start::Known
    } else {
        Start::Guessed
    };
    let tls12 = ctl & 2 != 0;
    let tls13_cert = ctl & 4 != 0;
    let chunk = 1 + usize::from(ctl >> 3);
    let negotiated = Negotiated {
        version: Some(match (tls13_cert, tls12) {
            (true, _) => 0x0304,
            (false, true) => 0x0303,
            (false, false) => 0x0301,
        }),
        cipher_suite: SUITES[chunk % SUITES.len()],
    };

    if let Some(n) = sslv2_client_hello_len(stream) {
        assert!(n >= 2);
    }
    if stream.len() >= 2 {
        let _ = parse_sslv2_client_hello(&stream[2..]);
    }

    let mut walker = RecordWalker::new(start);
    let mut sink = Collect {
        stream,
        headers: Vec::new(),
        handshake: Vec::new(),
    };
    let mut off = 0i64;
    for c in stream.chunks(chunk) {
        walker.consume(off, c, &mut sink);
        off += c.len() as i64;
    }
    assert_eq!(
        walker.headers, sink.headers,
        "walker and sink agree on the headers"
    );

    let mut redactor = Redactor::new(&Policy::ticket(), &fuzz_key());
    let mut rest = &sink.handshake[..];
    while rest.len() >= 4 {
        let n = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        if rest.len() < 4 + n {
            break;
        }
        check_message(&rest[..4 + n], &negotiated, tls13_cert, &mut redactor);
        rest = &rest[4 + n..];
    }
    // The stream itself as one message too (reaches message types the walker would refuse).
    if stream.len() >= 4 {
        let n = usize::from(stream[1]) << 16 | usize::from(stream[2]) << 8 | usize::from(stream[3]);
        if stream.len() == 4 + n {
            check_message(stream, &negotiated, tls13_cert, &mut redactor);
        }
    }
});
