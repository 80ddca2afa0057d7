//! capture_reader: the bytes as a pcap/pcapng file; read every event.
//!
//! Invariants: no panic; packet numbers count up by one (packets and unusable packet records
//! alike); a packet's data and the bytes read never exceed the file; the events end (each
//! consumes at least one 12-byte block or 16-byte record); no single allocation is larger than
//! the reader's fixed buffers (1 MiB read buffer, 64 KiB record buffer) or twice the file size:
//! a record that claims 4 GiB must not get 4 GiB (SECURITY.md: "bounds every allocation by the
//! file's own size").
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;
use pcapscrub::capture::{CaptureReader, Event};
use pcapscrub::fuzzing::scratch_file;

/// The system allocator, remembering the largest single request.
struct Tracking;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LARGEST.fetch_max(new, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

const READ_BUFFER: usize = 1 << 20;
const RECORD_BUFFER: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let file = scratch_file(data).expect("scratch file");
    LARGEST.store(0, Ordering::Relaxed);
    let len = data.len();
    if let Ok(mut reader) = CaptureReader::open(file.path(), "fuzz") {
        let pcap = reader.pcap_header().is_some();
        let mut number = 0u64;
        let mut events = 0usize;
        loop {
            let event = match reader.next_event() {
                Ok(Some(e)) => e,
                Ok(None) => {
                    // The end stays the end.
                    assert!(matches!(reader.next_event(), Ok(None)));
                    break;
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    break;
                }
            };
            events += 1;
            assert!(events <= len / 12 + 1, "more events than the file can hold");
            match event {
                Event::Packet(p) => {
                    number += 1;
                    assert_eq!(p.number, number, "packet numbers count up by one");
                    assert!(p.data.len() <= len, "packet longer than the file");
                    let _ = p.time_ns(pcap);
                }
                Event::BadPacket { number: n, .. } => {
                    number += 1;
                    assert_eq!(n, number, "packet numbers count up by one");
                }
                Event::Section | Event::Interface(_) | Event::Dropped(_) => {}
                // A Decryption Secrets Block's text: held by the reader's buffer, never longer
                // than the file.
                Event::TlsKeyLog(text) => {
                    assert!(text.0.len() <= len, "secrets longer than the file");
                }
            }
        }
        assert!(
            reader.bytes_read() <= len as u64,
            "read past the end of the file"
        );
        assert_eq!(reader.packets_read(), number);
    }
    let largest = LARGEST.load(Ordering::Relaxed);
    let bound = (READ_BUFFER + RECORD_BUFFER).max(2 * len + RECORD_BUFFER);
    assert!(
        largest <= bound,
        "an allocation of {largest} bytes for a {len}-byte file (bound {bound})"
    );
});
