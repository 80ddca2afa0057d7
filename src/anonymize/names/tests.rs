//! Tests of the host-name pseudonyms (`names/mod.rs`).

use super::shape::{ALNUM, EXAMPLE, INVALID, TEST, label_lengths};
use super::*;
use crate::anonymize::key::MappingKey;
use hmac::KeyInit;

const KEY: [u8; 32] = [7; 32];
const OTHER_KEY: [u8; 32] = [8; 32];
const STYLES: [NameStyle; 2] = [NameStyle::Pseudonym, NameStyle::Hash];

fn mapping_key(bytes: [u8; 32]) -> MappingKey {
    MappingKey::from_bytes(&bytes).expect("a 32-byte key")
}

/// Deterministic test data (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick(&mut self, alphabet: &[u8]) -> u8 {
        alphabet[self.below(alphabet.len())]
    }
}

/// A host-name-like string of exactly `len` octets: labels of letters, digits and
/// hyphens, with common words mixed in so that inputs share windows with each other.
fn host_like(rng: &mut Rng, len: usize) -> Vec<u8> {
    const WORDS: [&[u8]; 8] = [
        b"www", b"api", b"cdn", b"example", b"com", b"net", b"test", b"mail",
    ];
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let label_start = out.is_empty() || out.last() == Some(&b'.');
        if !label_start && out.len() + 1 < len && rng.below(6) == 0 {
            out.push(b'.');
        } else if label_start && rng.below(3) == 0 {
            out.extend_from_slice(WORDS[rng.below(WORDS.len())]);
        } else {
            out.push(rng.pick(b"abcdefghijklmnopqrstuvwxyz0123456789-"));
        }
    }
    out.truncate(len);
    out
}

/// Syntax every output must have.
fn assert_syntax(out: &[u8], len: usize) {
    let text = String::from_utf8_lossy(out);
    assert_eq!(out.len(), len, "{text}");
    assert!(
        out.iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(b)),
        "{text}"
    );
    for label in out.split(|&b| b == b'.') {
        assert!((1..=63).contains(&label.len()), "label in {text}");
        assert!(
            label.first() != Some(&b'-') && label.last() != Some(&b'-'),
            "{text}"
        );
    }
}

fn suffix_len(out: &[u8]) -> usize {
    [EXAMPLE, TEST, INVALID]
        .into_iter()
        .find(|s| out.len() > s.len() && out.ends_with(s))
        .map_or(0, <[u8]>::len)
}

/// No 3-octet window of `out`, other than those wholly inside a reserved suffix, occurs in
/// the lowercased `name`; and `out` is not `name`.
fn assert_nothing_shared(name: &[u8], out: &[u8]) {
    let name = name.to_ascii_lowercase();
    assert_ne!(out, name.as_slice());
    let exempt_from = out.len() - suffix_len(out);
    let windows: HashSet<&[u8]> = name.windows(3).collect();
    for w in out.windows(3).take(exempt_from) {
        assert!(
            !windows.contains(w),
            "{:?} shares {:?} with {:?}",
            String::from_utf8_lossy(out),
            String::from_utf8_lossy(w),
            String::from_utf8_lossy(&name),
        );
    }
}

#[test]
fn every_length_is_exact_and_valid() {
    let mut rng = Rng(1);
    for style in STYLES {
        let mut m = NameMapper::new(&mapping_key(KEY), style);
        for len in 1..=255 {
            for _ in 0..3 {
                let name = host_like(&mut rng, len);
                let out = m.map(&name);
                assert_syntax(&out, len);
                assert_nothing_shared(&name, &out);
            }
        }
        assert_eq!(m.degraded(), 0);
    }
}

#[test]
fn shapes_by_length() {
    for style in STYLES {
        for len in 1..=255 {
            let mut m = NameMapper::new(&mapping_key(KEY), style);
            let out = m.map(&vec![b'q'; len]);
            let text = String::from_utf8_lossy(&out);
            match (style, len) {
                (_, 1..=5) => {
                    assert!(!out.contains(&b'.'), "{text}");
                    if style == NameStyle::Pseudonym {
                        assert!(out.iter().all(u8::is_ascii_lowercase), "{text}");
                    }
                }
                (NameStyle::Pseudonym, 6..=8) => assert!(out.ends_with(TEST), "{text}"),
                (NameStyle::Pseudonym, _) => assert!(out.ends_with(EXAMPLE), "{text}"),
                (NameStyle::Hash, 6..=8) => assert!(out.ends_with(TEST), "{text}"),
                (NameStyle::Hash, _) => assert!(out.ends_with(INVALID), "{text}"),
            }
        }
    }
    let mut m = NameMapper::new(&mapping_key(KEY), NameStyle::Pseudonym);
    assert_eq!(m.map(b"www.google.com").len(), 14);
}

#[test]
fn consistent_within_and_across_runs() {
    let names: [&[u8]; 6] = [
        b"api.pcapscrub-test.example",
        b"www.example.com",
        b"a",
        b"xn--bcher-kva.example",
        b"\x00\x01\xff binary",
        "b\u{fc}cher.de".as_bytes(),
    ];
    for style in STYLES {
        let mut a = NameMapper::new(&mapping_key(KEY), style);
        let first: Vec<_> = names.iter().map(|n| a.map(n)).collect();
        let again: Vec<_> = names.iter().map(|n| a.map(n)).collect();
        assert_eq!(first, again);
        assert_eq!(a.len(), names.len());
        let mut b = NameMapper::new(&mapping_key(KEY), style);
        let other_run: Vec<_> = names.iter().rev().map(|n| b.map(n)).rev().collect();
        assert_eq!(first, other_run, "order does not matter without collisions");
        // Case-insensitive.
        assert_eq!(a.map(b"WWW.Example.COM"), first[1]);
        assert_eq!(a.len(), names.len());
        for (n, out) in names.iter().zip(&first) {
            assert_syntax(out, n.len());
            assert_nothing_shared(n, out);
        }
    }
}

#[test]
fn different_keys_give_different_outputs() {
    let mut rng = Rng(2);
    for style in STYLES {
        let mut a = NameMapper::new(&mapping_key(KEY), style);
        let mut b = NameMapper::new(&mapping_key(OTHER_KEY), style);
        let mut same = 0;
        for len in 10..=255 {
            let name = host_like(&mut rng, len);
            same += usize::from(a.map(&name) == b.map(&name));
        }
        assert_eq!(same, 0, "{style:?}");
    }
}

/// 10,000 distinct names of each length give 10,000 distinct, clean outputs.
fn ten_thousand_per_length(style: NameStyle, seed: u64) {
    let mut rng = Rng(seed);
    for len in [3, 5, 6, 8, 9, 10, 14, 40, 63, 64, 255] {
        let mut names = HashSet::new();
        while names.len() < 10_000 {
            names.insert(host_like(&mut rng, len));
        }
        let mut m = NameMapper::new(&mapping_key(KEY), style);
        let mut outputs = HashSet::new();
        for name in &names {
            let out = m.map(name);
            assert_syntax(&out, len);
            assert_nothing_shared(name, &out);
            outputs.insert(out);
        }
        assert_eq!(outputs.len(), 10_000, "{style:?} length {len}");
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.degraded(), 0, "{style:?} length {len}");
    }
}

#[test]
fn ten_thousand_pseudonyms_per_length_stay_distinct() {
    ten_thousand_per_length(NameStyle::Pseudonym, 3);
}

#[test]
fn ten_thousand_hashes_per_length_stay_distinct() {
    ten_thousand_per_length(NameStyle::Hash, 33);
}

#[test]
fn short_lengths_fill_their_whole_space() {
    // 1 octet: 26 letters; 2 octets: 26 × 36 (letters-only first, then letter + digit).
    for style in STYLES {
        for (len, capacity) in [(1usize, 26usize), (2, 26 * 36)] {
            let mut m = NameMapper::new(&mapping_key(KEY), style);
            let mut outputs = HashSet::new();
            let inputs: Vec<Vec<u8>> = (0..=0xffffu32)
                .map(|v| v.to_be_bytes()[4 - len..].to_vec())
                .filter(|n| n.iter().all(|b| !b.is_ascii_uppercase()))
                .collect::<HashSet<_>>()
                .into_iter()
                .take(capacity + 5)
                .collect();
            for name in &inputs {
                let out = m.map(name);
                assert_syntax(&out, len);
                outputs.insert(out);
            }
            // Pseudonym: exactly the letters-first space. Hash: hex forms (digits too)
            // first, then that space, so at least as many.
            if style == NameStyle::Pseudonym {
                assert_eq!(outputs.len(), capacity, "{len}");
            } else {
                assert!(outputs.len() >= capacity, "{len}");
            }
            assert_eq!(
                outputs.len() + m.degraded(),
                inputs.len(),
                "{style:?} {len}"
            );
        }
    }
}

#[test]
fn non_host_names_map_to_ascii() {
    let mut rng = Rng(4);
    for style in STYLES {
        let mut m = NameMapper::new(&mapping_key(KEY), style);
        for len in 1..=255 {
            let binary: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let out = m.map(&binary);
            assert_syntax(&out, len);
            assert_nothing_shared(&binary, &out);
            let utf8: Vec<u8> = "ü例.".bytes().cycle().take(len).collect();
            let out = m.map(&utf8);
            assert_syntax(&out, len);
        }
        assert_eq!(m.degraded(), 0);
    }
}

#[test]
fn adversarial_names_share_nothing() {
    // Names built from the output alphabets themselves, names that already end in a
    // reserved suffix, and names dense in 3-character combinations.
    let mut rng = Rng(5);
    let mut names: Vec<Vec<u8>> = Vec::new();
    for len in [9, 10, 14, 30, 63, 64, 100, 253, 255] {
        names.push(vec![b'a'; len]);
        names.push(
            b"0123456789abcdef"
                .iter()
                .copied()
                .cycle()
                .take(len)
                .collect(),
        );
        let mut n: Vec<u8> = (0..len - 8).map(|_| rng.pick(ALNUM)).collect();
        n.extend_from_slice(EXAMPLE);
        names.push(n);
        let mut n: Vec<u8> = (0..len - 8).map(|_| rng.pick(HEX)).collect();
        n.extend_from_slice(INVALID);
        names.push(n);
        names.push((0..len).map(|_| rng.pick(b"ab.")).collect());
        names.push((0..len).map(|_| rng.pick(b"abc123.")).collect());
    }
    // Every window "xy?" for one prefix, many times over.
    names.push(
        ALNUM
            .iter()
            .flat_map(|&c| [b'q', b'q', c])
            .take(255)
            .collect(),
    );
    for style in STYLES {
        let mut m = NameMapper::new(&mapping_key(KEY), style);
        for name in &names {
            let out = m.map(name);
            assert_syntax(&out, name.len());
            assert_nothing_shared(name, &out);
        }
        assert_eq!(m.degraded(), 0);
    }
}

/// Hex of HMAC-SHA-256 under `key` over `data`, computed with the standard constructor.
fn reference_hmac_hex(key: &[u8], data: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(data);
    let digest = mac.finalize().into_bytes();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex characters of a Hash-style output: everything before ".invalid", dots removed.
fn hex_part(out: &[u8]) -> Vec<u8> {
    out[..out.len() - INVALID.len()]
        .iter()
        .copied()
        .filter(|&b| b != b'.')
        .collect()
}

#[test]
fn hash_style_is_plain_hmac_over_the_name() {
    // Names without hex-only windows never need a retry.
    let mut m = NameMapper::new(&mapping_key(KEY), NameStyle::Hash);
    for name in [
        &b"www.google.com"[..],
        b"api.pcapscrub-test.example",
        b"login.microsoftonline.com",
        b"mail.yahoo.com",
    ] {
        let out = m.map(name);
        let hex = hex_part(&out);
        let expected = reference_hmac_hex(&KEY, name);
        let n = hex.len().min(64);
        assert_eq!(&hex[..n], &expected.as_bytes()[..n]);
        assert!(verify_hash(&mapping_key(KEY), name, &out));
    }
    // Also over a mixed-case name, after lowercasing.
    let out = m.map(b"WWW.Google.COM");
    assert!(
        hex_part(&out).starts_with(&reference_hmac_hex(&KEY, b"www.google.com").as_bytes()[..6])
    );
}

#[test]
fn hash_style_is_verifiable() {
    let mut rng = Rng(6);
    let mut retries = [0usize; HASH_ATTEMPTS as usize];
    let mut m = NameMapper::new(&mapping_key(KEY), NameStyle::Hash);
    for len in 9..=255 {
        let name = host_like(&mut rng, len);
        let out = m.map(&name);
        let text = String::from_utf8_lossy(&out);
        assert!(out.ends_with(INVALID), "{len} {text}");
        assert!(verify_hash(&mapping_key(KEY), &name, &out), "{text}");
        if len >= INVALID.len() + 16 {
            // 64 bits of hex or more: another key or name cannot match by chance.
            assert!(!verify_hash(&mapping_key(OTHER_KEY), &name, &out), "{text}");
            assert!(
                !verify_hash(&mapping_key(KEY), &host_like(&mut rng, len), &out),
                "{text}"
            );
        }
        // The hex begins with HMAC(key, name), or HMAC(key, name || "#k") after k retries.
        let hex = hex_part(&out);
        let n = hex.len().min(64);
        let k = (0..HASH_ATTEMPTS).find(|&k| {
            let mut data = name.clone();
            if k > 0 {
                data.extend_from_slice(format!("#{k}").as_bytes());
            }
            hex[..n] == reference_hmac_hex(&KEY, &data).as_bytes()[..n]
        });
        let k = k.unwrap_or_else(|| panic!("{text}: no HMAC prefix"));
        retries[k as usize] += 1;
    }
    // Retries only when the HMAC hex shares a window with the name (~1 in 8 here).
    assert!(retries[0] >= 200, "{retries:?}");
    // A wrong guess does not verify.
    let out = m.map(b"secret.internal.corp");
    assert!(verify_hash(
        &mapping_key(KEY),
        b"SECRET.internal.corp",
        &out
    ));
    assert!(!verify_hash(
        &mapping_key(KEY),
        b"secreT.internal.corq",
        &out
    ));
}

#[test]
fn label_splitting() {
    assert_eq!(label_lengths(1), [1]);
    assert_eq!(label_lengths(63), [63]);
    assert_eq!(label_lengths(64), [32, 31]);
    assert_eq!(label_lengths(127), [63, 63]);
    assert_eq!(label_lengths(128), [42, 42, 42]);
    for total in 1..=1000 {
        let l = label_lengths(total);
        assert_eq!(l.iter().sum::<usize>() + l.len() - 1, total);
        assert!(l.iter().all(|&n| (1..=63).contains(&n)));
    }
}

#[test]
fn debug_prints_no_names() {
    let mut m = NameMapper::new(&mapping_key(KEY), NameStyle::Pseudonym);
    m.map(b"secret.example.com");
    let text = format!("{m:?}");
    assert!(!text.contains("secret"), "{text}");
    assert!(text.contains("names: 1"), "{text}");
}
