//! SHA-256 helpers (sha2 0.11 digests have no hex formatting of their own).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    s
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// A file's SHA-256, computed on its own thread: hashing a large capture costs as much CPU as
/// analysing it, so it runs beside the analysis instead of after it.
pub struct BackgroundDigest {
    handle: std::thread::JoinHandle<io::Result<String>>,
}

impl BackgroundDigest {
    pub fn start(path: &Path) -> BackgroundDigest {
        let path = path.to_path_buf();
        BackgroundDigest {
            handle: std::thread::spawn(move || sha256_file(&path)),
        }
    }

    /// Waits for the digest.
    pub fn wait(self) -> io::Result<String> {
        self.handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the hashing thread failed")))
    }
}

/// Several files' SHA-256, computed one after another on one thread while the caller works;
/// each digest is handed over as soon as it is ready.
pub fn digests_in_background(paths: Vec<std::path::PathBuf>) -> Vec<QueuedDigest> {
    let (senders, receivers): (Vec<_>, Vec<_>) = paths
        .iter()
        .map(|_| std::sync::mpsc::sync_channel(1))
        .unzip();
    std::thread::spawn(move || {
        for (path, tx) in paths.iter().zip(senders) {
            // A receiver gone means the run failed: stop hashing.
            if tx.send(sha256_file(path)).is_err() {
                return;
            }
        }
    });
    receivers
        .into_iter()
        .map(|rx| QueuedDigest { rx })
        .collect()
}

/// One file's digest from [`digests_in_background`].
pub struct QueuedDigest {
    rx: std::sync::mpsc::Receiver<io::Result<String>>,
}

impl QueuedDigest {
    pub fn wait(self) -> io::Result<String> {
        self.rx
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the hashing thread failed")))
    }
}

/// A writer that hashes what passes through it, so the output's digest costs no second read.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex(&self.hasher.finalize()), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
