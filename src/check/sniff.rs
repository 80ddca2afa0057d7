//! Is this file a packet capture? Decided by content, so that a capture renamed `capture.bin`
//! or compressed as `capture.pcap.gz` is still checked: a gate that trusts file names is
//! bypassed by renaming.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// First four bytes of the capture formats the reader opens (pcap in both byte orders, with
/// microsecond and nanosecond timestamps, and the pcapng section header block).
const CAPTURE_MAGICS: [[u8; 4]; 5] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x0a, 0x0d, 0x0d, 0x0a],
];

/// The gzip member header's first two bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// File name endings that say "capture" whatever the content (a file so named that does not
/// parse is an error, not a pass).
const CAPTURE_EXTENSIONS: [&str; 4] = ["pcap", "pcapng", "cap", "dmp"];

/// What a file holds, as far as `check` cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Starts with a capture magic number.
    Capture,
    /// gzip whose decompressed content starts with a capture magic number.
    GzipCapture,
    /// Anything else: not checked.
    Other,
}

impl Content {
    pub fn is_capture(self) -> bool {
        self != Content::Other
    }
}

/// Whether the file's name says it is a capture (`x.pcap`, `x.pcapng.gz`, …).
pub fn named_as_capture(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    CAPTURE_EXTENSIONS
        .iter()
        .any(|e| name.strip_suffix(e).is_some_and(|s| s.ends_with('.')))
}

/// What the file holds. A gzip file whose start cannot be decompressed is an error: it may be
/// a capture, and a gate must not pass what it could not read.
pub fn sniff(path: &Path) -> io::Result<Content> {
    let start = read_start(File::open(path)?)?;
    if CAPTURE_MAGICS.iter().any(|m| start.starts_with(m)) {
        return Ok(Content::Capture);
    }
    if !start.starts_with(&GZIP_MAGIC) {
        return Ok(Content::Other);
    }
    let decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(File::open(path)?));
    let inner = read_start(decoder)?;
    Ok(if CAPTURE_MAGICS.iter().any(|m| inner.starts_with(m)) {
        Content::GzipCapture
    } else {
        Content::Other
    })
}

/// Up to the first four bytes (fewer when the content is shorter).
fn read_start(reader: impl Read) -> io::Result<Vec<u8>> {
    let mut start = Vec::with_capacity(4);
    reader.take(4).read_to_end(&mut start)?;
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_say_capture() {
        for n in [
            "a.pcap",
            "A.PCAPNG",
            "b.cap",
            "c.dmp",
            "d.pcap.gz",
            "e f.pcapng.GZ",
        ] {
            assert!(named_as_capture(Path::new(n)), "{n}");
        }
        for n in ["pcap", "a.bin", "a.gz", "a.txt", "apcap", "x.pcap.zip"] {
            assert!(!named_as_capture(Path::new(n)), "{n}");
        }
    }
}
