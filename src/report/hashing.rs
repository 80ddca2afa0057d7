//! SHA-256 helpers (sha2 0.11 digests have no hex formatting of their own).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use crate::capture::window::Window;

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

/// A writer that hashes what goes through it: the digest of a file written this way (the
/// summary) is known when it is staged, so it is not read back for SHA256SUMS.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The SHA-256 (hex) of everything written.
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.hasher.update(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A file's SHA-256, read through the same mapped window as the captures (no copy).
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let mut window = Window::without_mapping_ahead(file, meta.len(), meta.is_file());
    let mut h = Sha256::new();
    loop {
        let n = window.fill_to(1 << 20)?;
        if n == 0 {
            break;
        }
        let r = window.consume(n);
        h.update(&window.bytes()[r]);
    }
    Ok(hex(&h.finalize()))
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

/// Writes a file in large chunks and hashes what it writes, so the output's digest costs no
/// second read. In the background mode the writing and hashing run on a thread of their own
/// and the caller only fills buffers: pass 2 spent a fifth of its time in the output's SHA-256
/// and the `write` calls, and the input's digest leaves a core free for them by then. The
/// inline mode (`--jobs 1`) does the same on the caller's thread.
pub struct HashedFileWriter {
    buf: Vec<u8>,
    sink: Sink,
}

enum Sink {
    Inline(ChunkWriter),
    Background {
        /// `None` once the worker was told the end.
        full: Option<SyncSender<Vec<u8>>>,
        empty: Receiver<Vec<u8>>,
        worker: Option<JoinHandle<io::Result<FileWritten>>>,
    },
}

/// The file, hashed as it is written, and its size so far.
struct ChunkWriter {
    out: HashingWriter<File>,
    bytes: u64,
    /// On a helper thread: sync every this many bytes, so that the sync at the end, which the
    /// caller waits for, has little left to write.
    sync_every: Option<u64>,
    synced: u64,
}

impl ChunkWriter {
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.out.write_all(chunk)?;
        self.bytes += chunk.len() as u64;
        if let Some(every) = self.sync_every
            && self.bytes - self.synced >= every
        {
            self.out.get_ref().sync_data()?;
            self.synced = self.bytes;
        }
        Ok(())
    }

    /// Syncs the file (evidence is complete on disk before it is renamed into place).
    fn finish(self) -> io::Result<FileWritten> {
        self.out.get_ref().sync_all()?;
        Ok(FileWritten {
            sha256: self.out.finish(),
            bytes: self.bytes,
        })
    }
}

/// What [`HashedFileWriter::finish`] wrote: the file's SHA-256 (hex) and size.
pub struct FileWritten {
    pub sha256: String,
    pub bytes: u64,
}

impl HashedFileWriter {
    /// Bytes written at a time.
    const CHUNK: usize = 512 * 1024;
    /// Chunks waiting for the worker: beyond this the caller waits, so memory stays bounded.
    const QUEUED: usize = 2;
    /// The worker syncs every 8 MiB while pass 2 runs: the final sync of a 35 MiB output took
    /// 20 ms of waiting at the end of the run.
    const SYNC_EVERY: u64 = 8 << 20;

    pub fn new(file: File, background: bool) -> HashedFileWriter {
        let writer = ChunkWriter {
            out: HashingWriter::new(file),
            bytes: 0,
            sync_every: background.then_some(Self::SYNC_EVERY),
            synced: 0,
        };
        let sink = if background {
            let (full_tx, full_rx) = sync_channel::<Vec<u8>>(Self::QUEUED);
            let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(Self::QUEUED + 1);
            let worker = std::thread::spawn(move || {
                let mut writer = writer;
                for chunk in full_rx {
                    writer.write(&chunk)?;
                    // The buffer goes back for reuse; when the caller holds enough, it is freed.
                    let _ = empty_tx.try_send(chunk);
                }
                writer.finish()
            });
            Sink::Background {
                full: Some(full_tx),
                empty: empty_rx,
                worker: Some(worker),
            }
        } else {
            Sink::Inline(writer)
        };
        HashedFileWriter {
            buf: Vec::with_capacity(Self::CHUNK),
            sink,
        }
    }

    /// Writes the buffer, or hands it to the worker and takes an empty one.
    fn hand_over(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Inline(w) => {
                w.write(&self.buf)?;
                self.buf.clear();
                Ok(())
            }
            Sink::Background {
                full,
                empty,
                worker,
            } => {
                let mut next = empty
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(Self::CHUNK));
                next.clear();
                let chunk = std::mem::replace(&mut self.buf, next);
                if full.as_ref().is_some_and(|tx| tx.send(chunk).is_ok()) {
                    return Ok(());
                }
                // The worker stopped: it failed, and its error says why.
                Err(join_worker(full, worker).err().unwrap_or_else(|| {
                    io::Error::other("the writing thread stopped before the end")
                }))
            }
        }
    }

    /// Writes what is buffered and syncs the file; returns its digest and size.
    pub fn finish(mut self) -> io::Result<FileWritten> {
        if !self.buf.is_empty() {
            self.hand_over()?;
        }
        match self.sink {
            Sink::Inline(w) => w.finish(),
            Sink::Background {
                mut full,
                mut worker,
                ..
            } => join_worker(&mut full, &mut worker),
        }
    }
}

/// Tells the worker the end (drops its sender) and waits for it to write, hash and sync
/// everything.
fn join_worker(
    full: &mut Option<SyncSender<Vec<u8>>>,
    worker: &mut Option<JoinHandle<io::Result<FileWritten>>>,
) -> io::Result<FileWritten> {
    *full = None;
    match worker.take() {
        Some(w) => w
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writing thread failed"))),
        None => Err(io::Error::other("the file was already finished")),
    }
}

impl Write for HashedFileWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > Self::CHUNK && !self.buf.is_empty() {
            self.hand_over()?;
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    /// Chunks are written whole; `finish` writes the last one.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: usize = HashedFileWriter::CHUNK;

    /// Takes at most three bytes per call, like a writer interrupted mid-buffer.
    struct Trickle(Vec<u8>);

    impl Write for Trickle {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            let n = data.len().min(3);
            self.0.extend_from_slice(&data[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn hashing_writer_hashes_only_what_its_writer_took() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut written = Trickle(Vec::new());
        let mut w = HashingWriter::new(&mut written);
        w.write_all(&data[..1]).unwrap();
        w.write_all(&data[1..]).unwrap();
        w.flush().unwrap();
        let digest = w.finish();
        assert_eq!(written.0, data);
        assert_eq!(digest, sha256_hex(&data));
    }

    #[test]
    fn hashed_writer_writes_and_hashes_exactly_what_it_was_given() {
        // Writes smaller than, equal to and larger than a chunk, in an order that leaves a
        // partial buffer at every hand-over.
        let sizes = [1, 16, 1_514, CHUNK, 3, 2 * CHUNK + 5];
        for background in [true, false] {
            let mut expected = Vec::new();
            let out = tempfile::NamedTempFile::new().unwrap();
            let mut w = HashedFileWriter::new(out.reopen().unwrap(), background);
            for (i, n) in sizes.iter().cycle().take(40).enumerate() {
                let data: Vec<u8> = (0..*n).map(|j| (i + j) as u8).collect();
                w.write_all(&data).unwrap();
                expected.extend_from_slice(&data);
            }
            let written = w.finish().unwrap();
            assert_eq!(std::fs::read(out.path()).unwrap(), expected, "{background}");
            assert_eq!(written.sha256, sha256_hex(&expected));
            assert_eq!(written.bytes, expected.len() as u64);
        }
    }

    #[test]
    fn hashed_writer_reports_a_failed_write() {
        for background in [true, false] {
            let out = tempfile::NamedTempFile::new().unwrap();
            // A file opened for reading only: every write fails.
            let mut w = HashedFileWriter::new(File::open(out.path()).unwrap(), background);
            let chunk = vec![0u8; CHUNK];
            // Either a later hand-over or finish() sees the error; nothing panics.
            let during = (0..8).map(|_| w.write_all(&chunk)).find(Result::is_err);
            let result = match during {
                Some(e) => e,
                None => w.finish().map(|_| ()),
            };
            assert!(
                result.is_err(),
                "background {background}: a failed write is reported"
            );
        }
    }

    #[test]
    fn file_digest_is_the_digest_of_its_bytes_mapped_or_read() {
        for len in [0usize, 1, 64, (8 << 20) + 1_000_001] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let mut f = tempfile::NamedTempFile::new().unwrap();
            f.write_all(&bytes).unwrap();
            assert_eq!(
                sha256_file(f.path()).unwrap(),
                sha256_hex(&bytes),
                "{len} bytes"
            );
        }
    }
}
