//! The bytes of an input file, seen through a window that moves forward: records are handed
//! out as slices of it, so a packet's bytes are never copied by the reader.
//!
//! A regular file is memory-mapped, a few MiB at a time. Reading it instead (`read(2)` into a
//! buffer) copies every byte once, and that copy was a third of `diagnose`'s time: most of a
//! TLS capture is application data, whose bytes pass 1 never looks at. The mapping moves
//! forward so that the pages mapped, which count in the process's resident memory, stay a few
//! MiB whatever the file's size. Anything that cannot be mapped (a pipe, an empty file, a
//! failed `mmap`) is read into a buffer instead, with the same behaviour.
//!
//! Mapping a window and filling its page table costs about as much as copying it would (a
//! sixth of `diagnose`'s time on a 256 MiB capture, docs/decisions.md), so a file of more
//! than one window has a thread of its own that maps the next window, and unmaps the last
//! one, while the reader works through the current one ([`Ahead`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::mpsc;

use memmap2::{Mmap, MmapOptions};

/// Bytes mapped at a time (a record larger than this gets a mapping of its own size). Two
/// windows are resident at once (the one read and the one mapped ahead), so this is half the
/// mapped memory.
const MAP_SIZE: usize = 4 << 20;
/// How far before the current window's end the next one starts: the record the reader is in
/// when it reaches the end is then whole in the next window. Larger records (a pcapng block
/// of a jumbo frame, say) get a window mapped on the spot, as without [`Ahead`].
const AHEAD_OVERLAP: usize = 256 << 10;
/// Bytes read at a time when the file is not mapped.
const READ_SIZE: usize = 1 << 20;

pub struct Window {
    file: File,
    file_len: u64,
    /// Whether the file is mapped (else it is read into `buf`).
    mapped: bool,
    /// The mapped part of the file (`None` before the first mapping and at the end), and
    /// where in the file it starts.
    map: Option<Mmap>,
    map_at: u64,
    buf: Vec<u8>,
    /// The first byte not yet consumed, and the end of the bytes available, in `bytes()`.
    start: usize,
    end: usize,
    /// The thread that maps the next window, once the file proved larger than one.
    ahead: Option<Ahead>,
    /// Whether a thread may map ahead ([`Window::without_mapping_ahead`]).
    may_map_ahead: bool,
}

impl Window {
    /// `file_len` is the file's size when it was opened; a regular file of that size is mapped.
    pub fn new(file: File, file_len: u64, regular: bool) -> Window {
        let mapped = regular && file_len > 0;
        Window {
            file,
            file_len,
            mapped,
            map: None,
            map_at: 0,
            buf: if mapped {
                Vec::new()
            } else {
                vec![0; READ_SIZE]
            },
            start: 0,
            end: 0,
            ahead: None,
            may_map_ahead: true,
        }
    }

    /// A window that maps on the spot only. For the input's digest: it runs beside pass 1,
    /// which keeps both cores busy, so a mapping thread would only add its windows to the
    /// resident memory (8 MiB more at the peak of `sanitize`).
    pub fn without_mapping_ahead(file: File, file_len: u64, regular: bool) -> Window {
        Window {
            may_map_ahead: false,
            ..Window::new(file, file_len, regular)
        }
    }

    /// Bytes available but not consumed.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// The window's bytes; `consume` returns ranges into them.
    pub fn bytes(&self) -> &[u8] {
        match &self.map {
            Some(m) => m,
            None => &self.buf,
        }
    }

    /// The bytes available and not consumed.
    pub fn unconsumed(&self) -> &[u8] {
        &self.bytes()[self.start..self.end]
    }

    /// Makes `n` bytes available from the first unconsumed one; returns how many are (fewer
    /// only at the end of the file).
    pub fn fill_to(&mut self, n: usize) -> io::Result<usize> {
        if self.len() >= n {
            Ok(n)
        } else if self.mapped {
            self.remap(n)
        } else {
            self.read_to(n)
        }
    }

    /// Consumes `n` available bytes; returns where they are in `bytes()`.
    pub fn consume(&mut self, n: usize) -> Range<usize> {
        let r = self.start..self.start + n;
        self.start += n;
        r
    }

    /// Hints that the first unconsumed bytes are needed soon. A record header in a mapped file
    /// is otherwise a cache miss for each packet: the packets between two headers are mostly
    /// payload that nothing reads, so the hardware prefetcher never sees a stream.
    #[inline]
    pub fn prefetch_next(&self) {
        // Three cache lines: the record header and the packet's link, IP and TCP headers.
        #[cfg(target_arch = "x86_64")]
        for line in [0, 64, 128] {
            if let Some(b) = self.bytes().get(self.start + line) {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                // SAFETY: a prefetch only hints the cache; it never faults and reads nothing
                // the program sees. The pointer is in bounds anyway.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(b).cast()) };
            }
        }
    }

    /// Maps the file from the first unconsumed byte, at least `n` bytes of it where the file
    /// has them. Only the file's size at opening is mapped: as with `read`, bytes appended
    /// later are not seen.
    fn remap(&mut self, n: usize) -> io::Result<usize> {
        let from = self.map_at + self.start as u64;
        let left = self.file_len.saturating_sub(from);
        let len = (n.max(MAP_SIZE) as u64).min(left) as usize;
        // Unmap the old window first (on the mapping thread, if there is one): one window
        // read and one mapped ahead count as resident memory, not more.
        let old = self.map.take();
        self.map_at = from;
        self.start = 0;
        self.end = 0;
        if len == 0 {
            drop(old);
            return Ok(0);
        }
        let need = (n as u64).min(left);
        if let Some(ahead) = self.ahead.as_mut() {
            ahead.retire(old);
            if let Some((at, m)) = ahead.take(from, need) {
                // The window mapped ahead starts a little before `from` (it overlaps the
                // end of the last one): the bytes before `from` were consumed already.
                let skip = (from - at) as usize;
                self.map_at = at;
                self.start = skip;
                self.end = m.len();
                self.map = Some(m);
                self.request_next();
                return Ok((self.end - self.start).min(n));
            }
        } else {
            drop(old);
        }
        match map_window(&self.file, from, len) {
            Ok(m) => {
                self.map = Some(m);
                self.end = len;
                if self.ahead.is_none() && self.may_map_ahead && from + (len as u64) < self.file_len
                {
                    // More than one window: map the rest ahead from now on.
                    self.ahead = Ahead::start(&self.file);
                }
                self.request_next();
                Ok(len.min(n))
            }
            Err(_) => {
                // Some files cannot be mapped (some network and special file systems): read
                // them from here on.
                self.ahead = None;
                self.file.seek(SeekFrom::Start(from))?;
                self.mapped = false;
                self.buf = vec![0; READ_SIZE];
                self.read_to(n)
            }
        }
    }

    /// Asks the mapping thread for the window after the current one.
    fn request_next(&mut self) {
        let Some(ahead) = self.ahead.as_mut() else {
            return;
        };
        let end = self.map_at + self.end as u64;
        if end >= self.file_len {
            return;
        }
        let at = end.saturating_sub(AHEAD_OVERLAP as u64).max(self.map_at);
        let len = (MAP_SIZE as u64).min(self.file_len - at) as usize;
        ahead.request(at, len);
    }

    fn read_to(&mut self, n: usize) -> io::Result<usize> {
        if self.buf.len() - self.start < n {
            // Move what is left to the front (less than one record) to make room.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() < n {
                self.buf.resize(n, 0);
            }
        }
        while self.len() < n {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.len().min(n))
    }
}

/// Maps `len` bytes of `file` from `at`, read-only, every page in place.
fn map_window(file: &File, at: u64, len: usize) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only and private; its bytes are only read through slices
    // that borrow the window holding it, so none outlives the mapping. A file truncated by
    // another process while it is mapped makes the next access fault (SIGBUS) instead of
    // returning an error: SECURITY.md states this limit. `populate` maps every page of the
    // window in one call instead of one fault per page.
    let m = unsafe {
        MmapOptions::new()
            .offset(at)
            .len(len)
            .populate()
            .map(file)?
    };
    // The window is read once, front to back; the advice is only a hint.
    let _ = m.advise(memmap2::Advice::Sequential);
    Ok(m)
}

/// What the mapping thread is asked to do.
enum Job {
    /// Map (and populate) `len` bytes from `at`.
    Map { at: u64, len: usize },
    /// Unmap a window the reader is done with (tearing down its pages costs time too).
    Retire(Mmap),
}

/// A window mapped by the mapping thread, or why it could not be.
type Mapped = (u64, io::Result<Mmap>);

/// The mapping thread of one window: it maps the next window while the reader reads the
/// current one. It ends when the window is dropped (its job queue closes).
struct Ahead {
    jobs: mpsc::Sender<Job>,
    mapped: mpsc::Receiver<Mapped>,
    /// A window was asked for and not taken yet.
    pending: bool,
}

impl Ahead {
    /// Starts the thread; `None` when it cannot be (the window then maps on the spot).
    fn start(file: &File) -> Option<Ahead> {
        let file = file.try_clone().ok()?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let (done, mapped) = mpsc::sync_channel::<Mapped>(1);
        std::thread::Builder::new()
            .name("pcapscrub-map".into())
            .spawn(move || {
                for job in queue {
                    match job {
                        Job::Map { at, len } => {
                            if done.send((at, map_window(&file, at, len))).is_err() {
                                return;
                            }
                        }
                        Job::Retire(m) => drop(m),
                    }
                }
            })
            .ok()?;
        Some(Ahead {
            jobs,
            mapped,
            pending: false,
        })
    }

    fn request(&mut self, at: u64, len: usize) {
        self.pending = self.jobs.send(Job::Map { at, len }).is_ok();
    }

    fn retire(&mut self, old: Option<Mmap>) {
        if let Some(m) = old {
            // A thread gone (it never is before the window) hands the window back in the
            // error, which drops it here.
            let _ = self.jobs.send(Job::Retire(m));
        }
    }

    /// The window asked for, when it holds the `need` bytes from `from`; `None` otherwise
    /// (a record longer than [`AHEAD_OVERLAP`] began before it, or the mapping failed): the
    /// caller then maps on the spot.
    fn take(&mut self, from: u64, need: u64) -> Option<(u64, Mmap)> {
        if !std::mem::take(&mut self.pending) {
            return None;
        }
        let (at, m) = self.mapped.recv().ok()?;
        let m = m.ok()?;
        let covers = at <= from && at + m.len() as u64 >= from + need;
        if covers {
            Some((at, m))
        } else {
            self.retire(Some(m));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A file of `len` bytes that all differ from their neighbours' position pattern.
    fn file_of(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        (f, bytes)
    }

    fn window(f: &tempfile::NamedTempFile, mapped: bool) -> Window {
        let file = File::open(f.path()).unwrap();
        let len = file.metadata().unwrap().len();
        Window::new(file, len, mapped)
    }

    /// Takes records of the given sizes from both kinds of window; both must hand out exactly
    /// the file's bytes, in order, and agree on how many are left at the end.
    fn read_both(len: usize, sizes: &[usize]) {
        let (f, bytes) = file_of(len);
        for mapped in [true, false] {
            let mut w = window(&f, mapped);
            let mut at = 0;
            for &n in sizes.iter().cycle().take(10_000) {
                let got = w.fill_to(n).unwrap();
                assert_eq!(got, n.min(len - at), "mapped {mapped}, at {at}, asked {n}");
                let r = w.consume(got);
                assert_eq!(
                    &w.bytes()[r],
                    &bytes[at..at + got],
                    "mapped {mapped} at {at}"
                );
                at += got;
                if at == len {
                    break;
                }
            }
            assert_eq!(at, len, "mapped {mapped}: the whole file was handed out");
            assert_eq!(
                w.fill_to(16).unwrap(),
                0,
                "mapped {mapped}: nothing after the end"
            );
        }
    }

    #[test]
    fn records_across_window_boundaries_are_whole() {
        // Odd sizes, so that records straddle every 8 MiB mapping and every 1 MiB read.
        read_both(3 * MAP_SIZE + 12_345, &[16, 1_514, 16, 60, 16, 65_535, 7]);
    }

    #[test]
    fn records_longer_than_the_overlap_of_two_windows_are_whole() {
        // A record that begins more than AHEAD_OVERLAP before a window's end is not in the
        // window mapped ahead: it gets one mapped on the spot.
        read_both(
            5 * MAP_SIZE + 999,
            &[16, AHEAD_OVERLAP + 4_097, 16, 1_514, 16, 3 * AHEAD_OVERLAP],
        );
    }

    #[test]
    fn a_record_larger_than_a_window_is_whole() {
        read_both(2 * MAP_SIZE + 100, &[16, MAP_SIZE + 3 * READ_SIZE + 1]);
    }

    #[test]
    fn a_file_cut_inside_a_record_hands_out_what_there_is() {
        let (f, bytes) = file_of(1_000);
        for mapped in [true, false] {
            let mut w = window(&f, mapped);
            assert_eq!(w.fill_to(990).unwrap(), 990);
            w.consume(990);
            assert_eq!(w.fill_to(16).unwrap(), 10, "mapped {mapped}");
            let r = w.consume(10);
            assert_eq!(&w.bytes()[r], &bytes[990..]);
        }
    }

    #[test]
    fn an_empty_file_is_read_not_mapped() {
        let (f, _) = file_of(0);
        let mut w = window(&f, true);
        assert!(!w.mapped, "mmap of an empty file fails: it is read instead");
        assert_eq!(w.fill_to(24).unwrap(), 0);
    }

    #[test]
    fn bytes_appended_after_opening_are_not_seen() {
        let (mut f, _) = file_of(100);
        let mut w = window(&f, true);
        f.write_all(&[0xAA; 50]).unwrap();
        f.flush().unwrap();
        assert_eq!(w.fill_to(200).unwrap(), 100);
    }
}
