//! The windows a host-name pseudonym must not share with the name it replaces (see the
//! guarantees in `names/mod.rs`).

/// The 3-octet windows of a (lowercased) name, which no output window may repeat. Only windows
/// made of output characters (`a-z 0-9 . -`) can ever match, so they are kept as a bitset over
/// the 38³ such windows (6.9 kB): a lookup is an index, not a hash.
pub(super) struct Forbidden {
    name: Vec<u8>,
    bits: Vec<u64>,
}

/// Output characters, numbered.
const WINDOW_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789.-";
const WINDOW_CODES: usize = WINDOW_CHARS.len() * WINDOW_CHARS.len() * WINDOW_CHARS.len();

/// `WINDOW_CHARS` index of each octet, `u8::MAX` for the rest.
const CHAR_CODES: [u8; 256] = {
    let mut table = [u8::MAX; 256];
    let mut i = 0;
    while i < WINDOW_CHARS.len() {
        table[WINDOW_CHARS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn char_code(b: u8) -> Option<usize> {
    let code = CHAR_CODES[usize::from(b)];
    (code != u8::MAX).then_some(usize::from(code))
}

fn window_code(w: &[u8]) -> Option<usize> {
    let n = WINDOW_CHARS.len();
    match w {
        [a, b, c] => Some((char_code(*a)? * n + char_code(*b)?) * n + char_code(*c)?),
        _ => None,
    }
}

impl Forbidden {
    pub(super) fn new(name: &[u8]) -> Forbidden {
        let mut bits = vec![0u64; WINDOW_CODES.div_ceil(64)];
        for code in name.windows(3).filter_map(window_code) {
            bits[code / 64] |= 1 << (code % 64);
        }
        Forbidden {
            name: name.to_vec(),
            bits,
        }
    }

    pub(super) fn hit(&self, w: &[u8]) -> bool {
        window_code(w).is_some_and(|code| self.bits[code / 64] & (1 << (code % 64)) != 0)
    }

    /// No window of `out` starting before `exempt_from` (the reserved suffix) is forbidden,
    /// and `out` is not the name itself.
    pub(super) fn clean(&self, out: &[u8], exempt_from: usize) -> bool {
        out != self.name.as_slice() && out.windows(3).take(exempt_from).all(|w| !self.hit(w))
    }
}
