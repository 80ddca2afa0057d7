//! keylog_parse: the bytes as the text of an NSS key log (`SSLKEYLOGFILE`), read as a file
//! given with `--keylog` (`keylog::KeyLog::read`) and as a pcapng Decryption Secrets Block
//! that the analysis reads (`analyze::analyze_with`), both at once (docs/decisions.md, "Key
//! logs").
//!
//! Invariants: no panic; every line is counted at most once (used, ignored or malformed); a
//! malformed line is named by its source and number only, never by any of its bytes; the
//! analysis reads the embedded block exactly as the file reader does, and its tally adds up
//! (matched + unmatched = lines; with no connection in the capture nothing matches).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pcapscrub::analyze::{Keep, analyze_with};
use pcapscrub::anonymize::AddressPlanner;
use pcapscrub::capture::CaptureReader;
use pcapscrub::fuzzing::{fuzz_key, scratch_file};
use pcapscrub::keylog::KeyLog;
use pcapscrub::policy::Policy;
use pcapscrub::redact::Redactor;
use testkit::pcapng::Ng;

const SOURCE: &str = "k.txt";

fuzz_target!(|data: &[u8]| {
    let mut log = KeyLog::default();
    log.read(SOURCE, data);
    let c = log.counts;
    let lines = data.split(|&b| b == b'\n').count() as u64;
    assert!(
        c.lines + c.ignored + c.malformed <= lines,
        "a line counted twice"
    );
    assert_eq!(c.malformed > 0, !log.first_malformed.is_empty());
    for m in &log.first_malformed {
        assert!(m.line >= 1 && m.line <= lines);
        assert_eq!(
            m.to_string(),
            format!("key log {SOURCE} line {}: not a key log line", m.line)
        );
    }

    // The same text embedded in a capture, and given as a file too.
    let mut ng = Ng::section(false, &[]);
    ng.idb(1, 65_535, &[]).dsb(data);
    let Ok(file) = scratch_file(&ng.buf) else {
        return;
    };
    let Ok(mut reader) = CaptureReader::open(file.path(), "fuzz.pcapng") else {
        return;
    };
    let policy = Policy::default();
    let mut redactor = Redactor::new(&policy, &fuzz_key());
    let mut planner = AddressPlanner::new();
    let Ok(analysis) = analyze_with(
        &mut reader,
        &mut planner,
        &mut redactor,
        Keep::DiagnosisOnly,
        Some(Arc::new(log)),
    ) else {
        return;
    };
    if let Some(t) = analysis.keylog {
        assert_eq!(t.lines, 2 * c.lines, "the block reads as the file does");
        assert_eq!(t.malformed, 2 * c.malformed);
        assert_eq!((t.matched, t.failed), (0, 0), "no connection to match");
        assert_eq!(t.unmatched, t.lines);
    } else {
        assert_eq!(c, Default::default(), "a key log with any line is tallied");
    }
    for note in &analysis.keylog_notes {
        assert!(note.ends_with(": not a key log line"), "{note}");
    }
});
