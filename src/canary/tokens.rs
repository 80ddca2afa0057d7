//! Address-shaped tokens in text: dotted quads, IPv6 literals and MAC literals (`:` or `-`),
//! parsed to their bytes so that a set lookup decides whether one is a secret. A token is a
//! maximal run of the characters its kind is made of, so `10.0.0.1` inside `10.0.0.12` or
//! `110.0.0.1` is not that address: it is another one, looked up in its own right.

use std::net::Ipv6Addr;

use super::prefix::{PrefixFilter, first4};

/// The shortest literal worth parsing (`a::b`).
const MIN_TOKEN: usize = 4;

/// An address spelled in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAddress {
    V4([u8; 4]),
    V6([u8; 16]),
    Mac([u8; 6]),
}

/// Bytes that can be part of some address token: hex digits, `.`, `:` and `-`.
const fn token_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_hexdigit() || c == b'.' || c == b':' || c == b'-';
        b += 1;
    }
    t
}
static IN_TOKEN: [bool; 256] = token_table();

/// The first address-shaped token of `text` for which `hit` says yes.
pub fn find<T>(text: &[u8], mut hit: impl FnMut(TextAddress) -> Option<T>) -> Option<T> {
    let mut at = 0;
    while at < text.len() {
        // Every address holds a separator: look for one, then widen to the whole token.
        let Some(sep) = memchr::memchr3(b'.', b':', b'-', &text[at..]) else {
            break;
        };
        let sep = at + sep;
        // `at` is the end of the previous token (a byte outside every token) or the start.
        let start = text[at..sep]
            .iter()
            .rposition(|&b| !IN_TOKEN[b as usize])
            .map_or(at, |i| at + i + 1);
        let end = text[sep..]
            .iter()
            .position(|&b| !IN_TOKEN[b as usize])
            .map_or(text.len(), |i| sep + i);
        if end - start >= MIN_TOKEN
            && let Some(found) = in_token(&text[start..end], &mut hit)
        {
            return Some(found);
        }
        at = end.max(sep + 1);
    }
    None
}

/// The addresses of one token: its maximal runs of IPv4 characters, of IPv6 characters and the
/// token itself as a MAC.
fn in_token<T>(token: &[u8], hit: &mut impl FnMut(TextAddress) -> Option<T>) -> Option<T> {
    let v4 = |b: u8| b.is_ascii_digit() || b == b'.';
    let v6 = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mac = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'-';
    runs(token, v4)
        .filter_map(|r| parse_ipv4(r.trim_ascii_dots()).map(TextAddress::V4))
        .chain(runs(token, v6).filter_map(|r| parse_ipv6(r).map(TextAddress::V6)))
        .chain(runs(token, mac).filter_map(|r| parse_mac(r).map(TextAddress::Mac)))
        .find_map(hit)
}

trait TrimDots {
    fn trim_ascii_dots(&self) -> &[u8];
}

impl TrimDots for [u8] {
    /// Without the dots around it: `10.0.0.1.` ends a sentence.
    fn trim_ascii_dots(&self) -> &[u8] {
        let s = self.iter().position(|&b| b != b'.').unwrap_or(self.len());
        let e = self.iter().rposition(|&b| b != b'.').map_or(s, |i| i + 1);
        &self[s..e]
    }
}

/// The maximal runs of bytes `f` accepts.
fn runs(token: &[u8], f: impl Fn(u8) -> bool + Copy) -> impl Iterator<Item = &[u8]> {
    token
        .split(move |&b| !f(b))
        .filter(|r| r.len() >= MIN_TOKEN && r.iter().any(|&b| !b.is_ascii_hexdigit()))
}

/// Four decimal numbers up to 255, leading zeros allowed (some tools pad them).
fn parse_ipv4(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for o in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = p.iter().fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
        *o = u8::try_from(v).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Any spelling `std` accepts (compressed, full, with an IPv4 tail); a trailing `.` or a single
/// trailing `:` ends a sentence or a label rather than the address.
fn parse_ipv6(s: &[u8]) -> Option<[u8; 16]> {
    if s.iter().filter(|&&b| b == b':').count() < 2 {
        return None;
    }
    let parse = |s: &[u8]| {
        std::str::from_utf8(s)
            .ok()?
            .parse::<Ipv6Addr>()
            .ok()
            .map(|a| a.octets())
    };
    let s = s.trim_ascii_dots();
    parse(s).or_else(|| {
        let shorter = s.strip_suffix(b":")?;
        (!shorter.ends_with(b":")).then(|| parse(shorter))?
    })
}

/// Six pairs of hex digits, any case, all separated by `:` or all by `-`.
fn parse_mac(s: &[u8]) -> Option<[u8; 6]> {
    if s.len() != 17 {
        return None;
    }
    let sep = s[2];
    if sep != b':' && sep != b'-' {
        return None;
    }
    let mut out = [0u8; 6];
    for (i, o) in out.iter_mut().enumerate() {
        let at = i * 3;
        if i > 0 && s[at - 1] != sep {
            return None;
        }
        let hex = std::str::from_utf8(&s[at..at + 2]).ok()?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *o = u8::from_str_radix(hex, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<TextAddress> {
        let mut out = vec![];
        find(text.as_bytes(), |a| {
            out.push(a);
            None::<()>
        });
        out
    }

    fn v6(s: &str) -> TextAddress {
        TextAddress::V6(s.parse::<Ipv6Addr>().unwrap().octets())
    }

    #[test]
    fn dotted_quads_are_whole_tokens() {
        assert_eq!(
            all("connect to 10.0.0.1:443"),
            [TextAddress::V4([10, 0, 0, 1])]
        );
        assert_eq!(all("at 10.0.0.1."), [TextAddress::V4([10, 0, 0, 1])]);
        assert_eq!(all("x 10.0.0.12 y"), [TextAddress::V4([10, 0, 0, 12])]);
        assert_eq!(all("x 110.0.0.1 y"), [TextAddress::V4([110, 0, 0, 1])]);
        assert_eq!(all("x 10.0.0.1.5 y"), []);
        assert_eq!(all("x 10.0.0.256 y"), []);
        assert_eq!(all("010.000.000.001"), [TextAddress::V4([10, 0, 0, 1])]);
        assert_eq!(all("version 1.2.3 and 1.2"), []);
        assert_eq!(all("a,1.2.3.4,b"), [TextAddress::V4([1, 2, 3, 4])]);
    }

    #[test]
    fn ipv6_literals_in_every_spelling() {
        assert_eq!(all("[fe80::1]:443"), [v6("fe80::1")]);
        assert_eq!(all("fe80::12"), [v6("fe80::12")]);
        assert_eq!(all("2fe80::1"), []);
        assert_eq!(all("host a::1 up"), [v6("a::1")]);
        assert_eq!(all("addr fd77::ab:cdef."), [v6("fd77::ab:cdef")]);
        assert_eq!(all("addr fd77::ab:cdef: up"), [v6("fd77::ab:cdef")]);
        assert_eq!(
            all("FD77:0000:0000:0000:0000:0000:00AB:CDEF"),
            [v6("fd77::ab:cdef")]
        );
        assert_eq!(all("fd77:0:0:0:0:0:ab:cdef"), [v6("fd77::ab:cdef")]);
        assert_eq!(
            all("::ffff:10.0.0.1"),
            [TextAddress::V4([10, 0, 0, 1]), v6("::ffff:10.0.0.1")]
        );
        assert_eq!(all("time 12:34:56 key: value"), []);
    }

    #[test]
    fn mac_literals_in_any_case_and_separator() {
        let m = TextAddress::Mac([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
        assert_eq!(all("ether AA:BB:CC:DD:EE:FF"), [m]);
        assert_eq!(all("ether aa-bb-Cc-dd-ee-ff,"), [m]);
        assert_eq!(all("aa:bb:cc:dd:ee:ff:00"), []);
        assert_eq!(all("aa:bb:cc-dd:ee:ff"), []);
        assert_eq!(all("xaa-bb-cc-dd-ee-ff"), [m], "x is not part of a MAC");
    }

    #[test]
    fn no_panic_on_separators_at_the_edges() {
        for s in ["", ".", ":", "-", "...:::---", "1.2.3.4", "ff:", ":ff"] {
            all(s);
        }
        assert_eq!(all("1.2.3.4"), [TextAddress::V4([1, 2, 3, 4])]);
    }
}

/// Bytes a host name token is made of.
pub fn in_name(b: u8) -> bool {
    IN_NAME[b as usize]
}

const fn name_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_';
        b += 1;
    }
    t
}
static IN_NAME: [bool; 256] = name_table();

/// The longest token whose names are looked up (a DNS name has at most 253 characters).
const MAX_NAME_TOKEN: usize = 253;
/// At most this many labels of a token are tried as a name's first or last label.
const MAX_LABELS: usize = 16;

/// The lengths and first four bytes of the names searched for: a candidate that fails either is
/// not looked up (in a text file most words are name-shaped, and each has many label-aligned
/// parts).
#[derive(Default)]
pub struct NameFilter {
    lengths: [u64; 4],
    prefixes: PrefixFilter,
}

impl NameFilter {
    /// The filter for `names` (lowercase, each at least four bytes).
    pub fn of<'a>(names: impl Iterator<Item = &'a [u8]>) -> NameFilter {
        let mut lengths = [0u64; 4];
        let mut firsts = Vec::new();
        for n in names.filter(|n| (4..=MAX_NAME_TOKEN).contains(&n.len())) {
            lengths[n.len() / 64] |= 1 << (n.len() % 64);
            firsts.push(first4(n));
        }
        NameFilter {
            lengths,
            prefixes: PrefixFilter::of(&firsts),
        }
    }

    /// Whether `candidate` (name characters, any case) may be one of the names. ORing 0x20
    /// lowercases a letter and leaves every other name character as it is.
    fn may_be(&self, candidate: &[u8]) -> bool {
        let len = candidate.len();
        (4..=MAX_NAME_TOKEN).contains(&len)
            && self.lengths[len / 64] & (1 << (len % 64)) != 0
            && self.prefixes.may_hold(first4(candidate) | 0x2020_2020)
    }
}

/// The first name-shaped candidate of `text` that `filter` lets through and for which `hit`,
/// given it (lowercased) and its whole token, says yes: every maximal run of name characters
/// and every part of it that starts and ends at a label boundary, so `corp.net` is found
/// inside `api.corp.net.`, but not `corp.ne` in `corp.net`.
pub fn find_name<T>(
    text: &[u8],
    filter: &NameFilter,
    mut hit: impl FnMut(&[u8], &[u8]) -> Option<T>,
) -> Option<T> {
    let mut buf = [0u8; MAX_NAME_TOKEN];
    // Hand-written loops: this runs over every carried byte of the capture and every output
    // file. Label starts (the token's and the first dots') and, for each, the next ends (dots,
    // then the token's end) up to MAX_LABELS of each: the first 2 × MAX_LABELS dots are all
    // any pair can use. They are noted in the same pass that finds the token's end.
    let mut dots = [0usize; 2 * MAX_LABELS];
    let mut at = 0;
    while at < text.len() {
        if !IN_NAME[text[at] as usize] {
            at += 1;
            continue;
        }
        let start = at;
        let mut n_dots = 0;
        while at < text.len() && IN_NAME[text[at] as usize] {
            if text[at] == b'.' && n_dots < dots.len() {
                dots[n_dots] = at - start;
                n_dots += 1;
            }
            at += 1;
        }
        let token = &text[start..at];
        if !(4..=MAX_NAME_TOKEN).contains(&token.len()) {
            continue;
        }
        let dots = &dots[..n_dots];
        let starts = std::iter::once(0)
            .chain(dots.iter().map(|&d| d + 1))
            .take(MAX_LABELS);
        let mut lowered = false;
        for s in starts {
            let after: &[usize] = &dots[dots.partition_point(|&d| d <= s)..];
            // With the array full, at least MAX_LABELS dots follow any start: the end is never
            // among the first MAX_LABELS ends.
            let ends = after
                .iter()
                .copied()
                .chain(std::iter::once(token.len()))
                .take(MAX_LABELS);
            for e in ends {
                if !filter.may_be(&token[s..e]) {
                    continue;
                }
                if !lowered {
                    buf[..token.len()].copy_from_slice(token);
                    buf[..token.len()].make_ascii_lowercase();
                    lowered = true;
                }
                let lower = &buf[..token.len()];
                if let Some(found) = hit(&lower[s..e], lower) {
                    return Some(found);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod name_tests {
    use super::*;

    /// Every candidate the filter lets through for `names`.
    fn found(text: &str, names: &[&str]) -> Vec<String> {
        let filter = NameFilter::of(names.iter().map(|n| n.as_bytes()));
        let mut out = vec![];
        find_name(text.as_bytes(), &filter, |n, _| {
            out.push(String::from_utf8_lossy(n).into_owned());
            None::<()>
        });
        out
    }

    #[test]
    fn names_are_tokens_and_their_label_aligned_parts() {
        let every = [
            "api.corp",
            "api.corp.net",
            "corp",
            "corp.net",
            "xapi",
            "xapi.corp",
        ];
        let every = [
            &every[..],
            &["xapi.corp.net", "intranet", "nets", "corp.nets"],
        ]
        .concat();
        let all = |text| found(text, &every);
        assert_eq!(
            all("sni: API.corp.net:443"),
            ["api.corp", "api.corp.net", "corp", "corp.net"]
        );
        assert_eq!(all("\x08intranet\x00"), ["intranet"]);
        assert_eq!(all("abc"), Vec::<String>::new());
        assert_eq!(
            all("xapi.corp.net"),
            ["xapi", "xapi.corp", "xapi.corp.net", "corp", "corp.net"]
        );
        assert_eq!(all("corp.nets"), ["corp", "corp.nets", "nets"]);
    }

    #[test]
    fn the_filter_passes_only_the_names_lengths_and_first_bytes() {
        assert_eq!(found("sni: API.corp.net:443", &["corp.net"]), ["corp.net"]);
        assert_eq!(found("corp.net", &["corp.ne"]), Vec::<String>::new());
        assert_eq!(found("api.corp.net", &["abcd.efgh"]), Vec::<String>::new());
        assert_eq!(found("anything at all", &[]), Vec::<String>::new());
    }

    /// Past sixteen labels: a name starting at the sixteenth label and ending sixteen labels
    /// later is tried, one ending further is not (the bound the search keeps).
    #[test]
    fn long_tokens_are_tried_within_the_label_bounds() {
        let labels: Vec<String> = (0..40).map(|i| format!("l{i:02}")).collect();
        let token = labels.join(".");
        let reach = labels[15..31].join(".");
        assert_eq!(found(&token, &[&reach]), [reach]);
        let beyond = labels[15..32].join(".");
        assert_eq!(found(&token, &[&beyond]), Vec::<String>::new());
        let late = labels[16..20].join(".");
        assert_eq!(found(&token, &[&late]), Vec::<String>::new());
    }
}
