//! dtls_parse: the bytes as the datagrams of one direction of a DTLS connection (each behind a
//! 2-byte big-endian length), through the UDP recognition (`analyze::recognise`), the record
//! layer (`dtls::records::walk`), the handshake fragments and their reassembly
//! (`dtls::handshake`), then every whole message through the facts parser, the span finder and
//! the redactor, as `analyze` does (docs/udp.md).
//!
//! Invariants: no panic; records lie back to back from the datagram's start, within it; each
//! fragment lies within its record body and its message; a whole message equals every
//! fragment's bytes at their offsets; redaction keeps the length, changes nothing outside the
//! spans, and the redacted message walks again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pcapscrub::analyze::recognise::recognise;
use pcapscrub::dtls::handshake::{Added, Reassembly, fragments};
use pcapscrub::dtls::records::{CONTENT_HANDSHAKE, RecordKind, walk};
use pcapscrub::fuzzing::fuzz_key;
use pcapscrub::policy::Policy;
use pcapscrub::redact::Redactor;
use pcapscrub::tls::facts::parse_handshake;
use pcapscrub::tls::spans::{Negotiated, locate};

fn check_message(msg: &[u8], redactor: &mut Redactor) {
    let _ = parse_handshake(msg[0], &msg[4..], false);
    let negotiated = Negotiated::default();
    let Some(spans) = locate(msg, &negotiated) else {
        return;
    };
    let mut red = msg.to_vec();
    redactor.redact(&mut red, &spans, false);
    assert_eq!(red.len(), msg.len());
    let mut inside = vec![false; msg.len()];
    for s in &spans {
        assert!(s.start >= 4 && s.start <= s.end && s.end <= msg.len());
        inside[s.start..s.end].fill(true);
    }
    for (i, (a, b)) in msg.iter().zip(&red).enumerate() {
        assert!(inside[i] || a == b, "byte {i} outside every span changed");
    }
    assert!(
        locate(&red, &negotiated).is_some(),
        "the redacted message walks again"
    );
}

fuzz_target!(|data: &[u8]| {
    let policy = Policy::default();
    let mut redactor = Redactor::new(&policy, &fuzz_key());
    let mut reassembly = Reassembly::default();
    let mut rest = data;
    while let [a, b, tail @ ..] = rest {
        let n = usize::from(u16::from_be_bytes([*a, *b])).min(tail.len());
        let (datagram, next) = tail.split_at(n);
        rest = next;
        let _ = recognise(datagram);
        let mut expected = 0;
        for r in walk(datagram, datagram.len()) {
            assert_eq!(r.at, expected, "records back to back");
            assert!(r.end() <= datagram.len(), "record within the datagram");
            expected = r.end();
            let RecordKind::Plain(h) = r.kind else {
                continue;
            };
            if h.content_type != CONTENT_HANDSHAKE || h.encrypted() {
                continue;
            }
            let body = &datagram[r.body_start()..r.end()];
            let (frags, _) = fragments(body, body.len());
            for f in frags {
                let fh = f.header;
                assert!(f.end() <= body.len(), "fragment within its record");
                assert!(fh.offset + fh.fragment_length <= fh.length);
                let bytes = &body[f.body_at()..f.end()];
                if reassembly.add(&fh, bytes) != Added::Complete {
                    continue;
                }
                let (msg_type, whole) = reassembly.message(fh.message_seq).expect("complete");
                assert_eq!(msg_type, fh.msg_type);
                let at = fh.offset as usize;
                assert_eq!(&whole[at..at + bytes.len()], bytes, "the fragment's bytes");
                let mut msg = vec![msg_type];
                msg.extend_from_slice(&(whole.len() as u32).to_be_bytes()[1..]);
                msg.extend_from_slice(whole);
                check_message(&msg, &mut redactor);
            }
        }
    }
});
