//! What pass 1 keeps in memory for each finished connection (docs/architecture.md, "Memory"):
//! its diagnosis and plans go to the spill store, and what stays — the connection's record in
//! the flow table — must stay a few hundred bytes, or the peak of `diagnose`, `sanitize` and
//! `check` grows with the capture (a 4 GiB handshake-dense capture holds 32,000 connections).
//!
//! The heap is counted by this test binary's own allocator, on the test's thread only (pass 1
//! of one input runs on the calling thread), so the count is exact and needs no timing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pcapscrub::analyze::analyze;
use pcapscrub::anonymize::{AddressPlanner, MappingKey};
use pcapscrub::capture::CaptureReader;
use pcapscrub::policy::Policy;
use pcapscrub::redact::Redactor;
use testkit::conv::Conv;
use testkit::fixture::tls_client_record;
use testkit::link::Link;
use testkit::pcap::{PcapFormat, pcap_file};

/// Counts the bytes allocated and not yet freed by each thread.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // `try_with`: a thread being torn down has no counter left, and needs none.
    let _ = LIVE.try_with(|live| live.set(live.get() + bytes));
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

// SAFETY: every call is passed to the system allocator unchanged; only the sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `n` short TLS connections, one after the other, each on its own server port: handshake,
/// a ClientHello, the server's RST.
fn short_connections(n: u16) -> Vec<u8> {
    let mut records = Vec::new();
    for i in 0..n {
        let mut conv = Conv::standard();
        conv.server_port = 1024 + i;
        conv.at(u64::from(i) * 1_000)
            .handshake()
            .data(true, &tls_client_record())
            .rst_ack(false);
        records.extend(conv.records(false, |ip, c| Link::Ethernet.frame(ip, false, c)));
    }
    pcap_file(PcapFormat::new(1), &records)
}

/// Heap bytes held once pass 1 of `n` connections is over (its analysis, the address
/// planner's observations and the names seen), while they are still held.
fn heap_after_pass1(dir: &tempfile::TempDir, n: u16) -> isize {
    let path = dir.path().join(format!("short-{n}.pcap"));
    std::fs::write(&path, short_connections(n)).unwrap();
    let key = MappingKey::random();
    let before = live();
    let mut planner = AddressPlanner::new();
    let mut redactor = Redactor::new(&Policy::default(), &key);
    let mut reader = CaptureReader::open(&path, "short").unwrap();
    let analysis = analyze(&mut reader, &mut planner, &mut redactor).unwrap();
    drop(reader);
    assert_eq!(analysis.connections.len(), usize::from(n));
    let held = live() - before;
    drop((analysis, planner, redactor));
    held
}

/// 6,000 more finished connections cost less than 320 bytes each (276 now). Before the flow table's
/// index held its key a second time and every connection its (mostly empty) plans, they cost
/// 526. The counts are powers of two apart times 1,000, so the table's Vecs are as full
/// in both runs and their doubling does not blur the difference.
#[test]
fn a_finished_connection_keeps_a_few_hundred_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // The first few hundred diagnoses and plans of the process stay in memory (the spill
    // store's budget): spend it first, so that both measured runs spill everything.
    heap_after_pass1(&dir, 600);
    let small = heap_after_pass1(&dir, 2_000);
    let large = heap_after_pass1(&dir, 8_000);
    let per_connection = (large - small) / 6_000;
    eprintln!(
        "pass 1 holds {small} bytes for 2,000 connections, {large} for 8,000: {per_connection} a connection"
    );
    assert!(
        per_connection < 320,
        "a finished connection keeps {per_connection} bytes in memory"
    );
}
