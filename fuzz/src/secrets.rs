//! Secret bytes a generated capture holds, and the search for them in what `sanitize` wrote.
//!
//! A secret is a byte string the generator drew from its own PRNG (never from the fuzzer's
//! bytes) and placed where SECURITY.md says it must not survive: SNI host names, certificate
//! contents, tickets, PSK identities, CA names, OCSP responses, signatures, unknown extension
//! data, application data, non-TLS payload, IP option contents. A leak is an 8-byte window of a
//! secret found in the output that does not also occur in the *blanked* input (the same
//! capture generated with every secret replaced by zeros): so bytes the fuzzer itself placed in
//! fields that are kept by design (cipher suites, ALPN, key shares, TCP options...) can never be
//! mistaken for a leak.

use std::collections::HashSet;

pub const WINDOW: usize = 8;

#[derive(Debug, Clone)]
pub struct Secret {
    pub what: &'static str,
    pub bytes: Vec<u8>,
}

fn window(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().expect("8 bytes"))
}

fn windows(hay: &[u8], set: &mut HashSet<u64>) {
    for w in hay.windows(WINDOW) {
        set.insert(window(w));
    }
}

/// The first secret window found in `outputs` that the blanked input does not explain.
pub fn find_leak(secrets: &[Secret], outputs: &[&[u8]], blanked_input: &[u8]) -> Option<String> {
    let mut out = HashSet::new();
    for o in outputs {
        windows(o, &mut out);
    }
    let mut blank: Option<HashSet<u64>> = None;
    for s in secrets {
        for (i, w) in s.bytes.windows(WINDOW).enumerate() {
            let w = window(w);
            if !out.contains(&w) {
                continue;
            }
            let blank = blank.get_or_insert_with(|| {
                let mut set = HashSet::new();
                windows(blanked_input, &mut set);
                set
            });
            if !blank.contains(&w) {
                return Some(format!(
                    "8 bytes at offset {i} of a {} ({} bytes: {:02x?}) survive in the output",
                    s.what,
                    s.bytes.len(),
                    &s.bytes[..s.bytes.len().min(48)]
                ));
            }
        }
    }
    None
}
