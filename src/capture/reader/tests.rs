//! The reader's handling of what it must not keep: a secrets block's bytes.

use super::*;
use testkit::pcapng::Ng;

/// The secrets block's bytes are gone from the reader's buffer once the next event is
/// asked for (or the capture ended).
#[test]
fn a_secrets_block_is_wiped_after_it_was_read() {
    let secret = b"CLIENT_RANDOM 0011 SECRET-MARK-pcapscrub-test\n";
    let mut ng = Ng::section(false, &[]);
    // A short block after the secrets would not overwrite them all.
    ng.idb(1, 65_535, &[])
        .dsb(secret)
        .custom(0x0000_0BAD, &[1, 2, 3, 4])
        .dsb(secret);
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &ng.buf).expect("write");
    let mut reader = CaptureReader::open(file.path(), "t.pcapng").expect("open");
    let holds = |r: &CaptureReader| r.buf.windows(11).any(|w| w == b"SECRET-MARK");
    let mut seen = 0;
    let mut after_secrets = 0;
    loop {
        let secrets = match reader.next_event().expect("event") {
            Some(Event::TlsKeyLog(text)) => {
                assert_eq!(text.0, &secret[..]);
                true
            }
            Some(_) => false,
            None => break,
        };
        if secrets {
            seen += 1;
        } else if seen > 0 {
            after_secrets += 1;
            assert!(!holds(&reader), "the block after the secrets");
        }
    }
    assert_eq!((seen, after_secrets), (2, 1));
    assert!(!holds(&reader) && !reader.secrets_in_buf);
}
