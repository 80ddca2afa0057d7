//! The client log an engineer attaches next to a capture (`curl -v`, `openssl s_client`,
//! `openssl s_client -brief`), sanitized with the very same mapping as the capture.
//!
//! What is replaced, line by line (line endings, `\n` or `\r\n`, are kept as they were):
//!
//! * IPv4 literals (dotted quads, not part of a longer dotted number) and IPv6 literals
//!   (compressed, full, bracketed, with a `%zone` that is kept, IPv4-embedded) go through
//!   [`LogMapper::ipv4`] / [`LogMapper::ipv6`]; IPv6 is written back in `Ipv6Addr`'s canonical
//!   form. Clock times, MAC addresses, colon-separated byte strings and `SSL routines::x` are
//!   not addresses.
//! * Host names (two or more dot-joined labels, the last one 2..=63 letters) go through
//!   [`LogMapper::host`] (lowercased; the pseudonym has the same length), except file names
//!   (`index.html`, `ca-certificates.crt`, ...) and tokens right after a single `/` (URL paths).
//! * E-mail addresses: the local part becomes `x`s, the domain a host pseudonym.
//! * Certificate distinguished names (curl's `subject:`/`issuer:`, openssl's `subject=`,
//!   `issuer=`, `depth=N`, chain `s:`/`i:`, `Peer certificate:`, bare DN lines such as the
//!   acceptable client CA names): every attribute value becomes `x`s of the same length, or a
//!   host pseudonym / mapped address / sanitized e-mail when it is one. Attribute names stay.
//! * PEM blocks become the single line [`PEM_REMOVED`].
//! * openssl session dumps: `Session-ID`, `Session-ID-ctx`, `Master-Key`, `Resumption PSK`,
//!   `Key-Arg` values become `0`s, `PSK identity`, `PSK identity hint`, `SRP username` values
//!   `x`s (a value of `None` stays); the hex dump after `TLS session ticket:` is removed. Other
//!   hex dumps (openssl `-debug`'s `0000 - 16 03 ...`, `-msg`'s bare `16 03 01 ...`, curl
//!   `--trace`'s `0000: 16 03 ...`) keep their shape with every byte zeroed, as they carry the
//!   SNI and other payload bytes. `SSLKEYLOGFILE` lines (`CLIENT_RANDOM ...`, `*_SECRET ...`)
//!   get their hex zeroed.
//! * The values of `Cookie`, `Set-Cookie`, `Authorization`, `Proxy-Authorization`,
//!   `X-Api-Key` and `X-Auth-Token` headers (also curl's HTTP/2 `[cookie: ...]` lines), the
//!   value in curl's `Added cookie name="value"` and the user name in `with user 'name'`,
//!   the user-info part of URLs (`https://user:pass@host`), and on a pasted `curl ...` /
//!   `openssl ...` command line the arguments of `-u`, `-b`/`--cookie`, `--oauth2-bearer`,
//!   `-psk`, `-pass`, ... and secret `-H` header values become `x`s.
//!
//! "Same length" is counted in characters. Not handled on purpose: host names inside a path
//! (`/etc/certs/api.example.net/chain.crt`), single-label names (`localhost`, `db01`), and
//! non-ASCII (IDN) host names in their Unicode form.
//!
//! Everything else is copied byte for byte, so error texts, TLS record lines, timestamps and
//! version strings stay readable.
//!
//! The scanner is a hand-written single pass over each line; look-aheads are bounded or never
//! repeated over the same bytes, so the work is linear in the size of the log.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// What the sanitizer calls to map things; implemented by the caller with its run-wide mapping
/// (so the log uses the very same pseudonyms as the sanitized capture).
pub trait LogMapper {
    fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4];
    fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16];
    /// A same-length pseudonym for a host name (lowercase ASCII in, same length out).
    fn host(&mut self, name: &str) -> String;
}

/// What [`sanitize_log`] replaced. Each counter counts occurrences; a DN value that is a host
/// name counts in both `dn_values` and `hosts`, and an e-mail's domain counts in `hosts` too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogReport {
    /// Lines read from the input (a last line without a line ending counts too).
    pub lines: usize,
    pub ipv4: usize,
    pub ipv6: usize,
    pub hosts: usize,
    pub emails: usize,
    pub dn_values: usize,
    pub pem_blocks: usize,
}

/// The line a PEM block (`-----BEGIN ...-----` to `-----END ...-----`) is replaced with.
pub const PEM_REMOVED: &str = "[PEM block removed by pcapscrub]";

/// Sanitizes a `curl -v` / `openssl s_client` log. Never fails and never panics; the output has
/// the same lines as the input except that each PEM block becomes one line and the hex dump
/// after `TLS session ticket:` is dropped.
pub fn sanitize_log(text: &str, mapper: &mut impl LogMapper) -> (String, LogReport) {
    let mut s = Scrubber {
        mapper,
        out: String::with_capacity(text.len() + text.len() / 8),
        report: LogReport::default(),
    };
    let mut mode = Mode::Normal;
    let mut last_ending = "";
    for (line, ending) in split_lines(text) {
        s.report.lines += 1;
        last_ending = ending;
        mode = s.line(line, ending, mode);
    }
    if mode == Mode::Pem {
        // An unterminated PEM block runs to the end of the log: everything after BEGIN is gone.
        s.out.push_str(last_ending);
    }
    (s.out, s.report)
}

/// Lines with their endings: `("text", "\n")`, `("text", "\r\n")`, and for a last line
/// without a newline `("text", "")` (or `"\r"` when it ends in a lone carriage return).
fn split_lines(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (with_cr, ending_nl, next) = match rest.find('\n') {
            Some(p) => (&rest[..p], true, &rest[p + 1..]),
            None => (rest, false, ""),
        };
        rest = next;
        let item = match (with_cr.strip_suffix('\r'), ending_nl) {
            (Some(line), true) => (line, "\r\n"),
            (Some(line), false) => (line, "\r"),
            (None, true) => (with_cr, "\n"),
            (None, false) => (with_cr, ""),
        };
        Some(item)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Inside a PEM block: lines are dropped until the END line.
    Pem,
    /// After `TLS session ticket:`: hex dump lines are dropped.
    Ticket,
}

/// Header names whose values are secrets (compared case-insensitively).
const SECRET_HEADERS: &[&str] = &[
    "cookie",
    "set-cookie",
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "x-auth-token",
];

/// The same, as curl shows them on its HTTP/2 lines (`* [HTTP/2] [1] [cookie: a=b]`).
const H2_SECRET_HEADERS: &[&str] = &[
    "[cookie:",
    "[set-cookie:",
    "[authorization:",
    "[proxy-authorization:",
    "[x-api-key:",
    "[x-auth-token:",
];

/// File-name extensions: a dotted token ending in one of these is not a host name.
const FILE_EXTENSIONS: &[&str] = &[
    "html", "htm", "php", "js", "css", "json", "txt", "pem", "crt", "key", "cer", "der", "csr",
    "p12", "pfx", "conf", "cnf", "log", "xml", "yaml", "yml", "sh", "py", "so", "dll", "exe", "gz",
    "zip", "tar", "png", "jpg", "svg", "ico", "jpeg", "gif", "pdf", "csv", "ini", "toml", "tmp",
    "bak", "jks",
];

/// RDN attribute names that mark a line starting with `NAME=` / `NAME = ` / `/NAME=` as a
/// distinguished name even without a `subject:`-like prefix (openssl's acceptable client CA
/// names, pasted DNs).
const DN_LINE_ATTRS: &[&str] = &[
    "CN",
    "C",
    "O",
    "OU",
    "L",
    "ST",
    "DC",
    "UID",
    "SN",
    "GN",
    "emailAddress",
    "serialNumber",
    "street",
    "postalCode",
    "organizationIdentifier",
    "businessCategory",
    "jurisdictionC",
    "jurisdictionST",
    "jurisdictionL",
];

/// Longest hex/colon/dot run taken for an IPv6 literal (45 is the longest textual IPv6
/// address with an embedded IPv4 part, plus a little for trailing punctuation).
const MAX_IPV6_RUN: usize = 48;
/// Longest local part of an e-mail address (RFC 5321).
const MAX_LOCAL_PART: usize = 64;
/// Longest RDN attribute name or OID looked at.
const MAX_ATTR_NAME: usize = 64;
/// Longest URL authority looked at for a user-info part.
const MAX_AUTHORITY: usize = 512;

struct Scrubber<'m, M> {
    mapper: &'m mut M,
    out: String,
    report: LogReport,
}

impl<M: LogMapper> Scrubber<'_, M> {
    fn line(&mut self, line: &str, ending: &str, mode: Mode) -> Mode {
        match mode {
            Mode::Pem => match pem_marker_end(line, "-----END") {
                Some((_, after)) => {
                    self.scrub_inline(tail(line, after));
                    self.out.push_str(ending);
                    Mode::Normal
                }
                None => Mode::Pem,
            },
            Mode::Ticket if offset_dump_data(line).is_some() => Mode::Ticket,
            Mode::Ticket | Mode::Normal => self.normal_line(line, ending),
        }
    }

    fn normal_line(&mut self, line: &str, ending: &str) -> Mode {
        if let Some((begin, after)) = pem_marker_end(line, "-----BEGIN") {
            self.report.pem_blocks += 1;
            self.scrub_inline(head(line, begin));
            self.out.push_str(PEM_REMOVED);
            let rest = tail(line, after);
            return match pem_marker_end(rest, "-----END") {
                Some((_, end_after)) => {
                    self.scrub_inline(tail(rest, end_after));
                    self.out.push_str(ending);
                    Mode::Normal
                }
                None => Mode::Pem,
            };
        }
        let next = if is_ticket_header(line) {
            Mode::Ticket
        } else {
            Mode::Normal
        };
        self.body(line);
        self.out.push_str(ending);
        next
    }

    /// One line's content (no ending), outside PEM blocks and ticket dumps.
    fn body(&mut self, line: &str) {
        if let Some(data) = offset_dump_data(line) {
            self.out.push_str(head(line, data));
            for c in tail(line, data).chars() {
                self.out.push(match c {
                    c if c.is_ascii_hexdigit() => '0',
                    c if c.is_whitespace() || c == '-' => c,
                    _ => '.',
                });
            }
            return;
        }
        if is_bare_hex_line(line) {
            self.out.extend(
                line.chars()
                    .map(|c| if c.is_ascii_hexdigit() { '0' } else { c }),
            );
            return;
        }
        if let Some(start) = keylog_secrets(line) {
            self.out.push_str(head(line, start));
            self.fill_non_blank(tail(line, start), '0');
            return;
        }
        if let Some((start, fill)) = session_field(line) {
            self.out.push_str(head(line, start));
            let value = tail(line, start);
            if value.trim() == "None" {
                self.out.push_str(value);
            } else {
                self.fill_non_blank(value, fill);
            }
            return;
        }
        if let Some(start) = secret_header_value(line) {
            self.scrub(head(line, start));
            self.fill(tail(line, start), 'x');
            return;
        }
        if let Some(start) = dn_start(line) {
            self.scrub(head(line, start));
            self.scrub_dn(tail(line, start));
            return;
        }
        self.scrub_inline(line);
    }

    /// General text with the in-line secrets curl prints: HTTP/2 `[cookie: ...]` pseudo
    /// headers, `Added cookie name="value"`, `with user 'name'`.
    fn scrub_inline(&mut self, text: &str) {
        let spans = inline_secret_spans(text);
        let mut at = 0;
        for (start, end) in spans {
            self.scrub(slice(text, at, start));
            self.fill(slice(text, start, end), 'x');
            at = end;
        }
        self.scrub(tail(text, at));
    }

    /// The general scanner: addresses, e-mails, host names, URL user-info.
    fn scrub(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        // End of the last hex/colon run looked at for an IPv6 literal: none starts inside it.
        let mut v6_checked_until = 0;
        while let Some(&c) = b.get(i) {
            if !(is_label_byte(c) || c == b':') {
                let n = s
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map_or(1, char::len_utf8);
                self.out.push_str(slice(s, i, i + n));
                i += n;
                continue;
            }
            if let Some(at) = userinfo_end(b, i) {
                self.fill(slice(s, i, at), 'x');
                self.out.push('@');
                i = at + 1;
                continue;
            }
            if i >= v6_checked_until {
                let (run_end, found) = ipv6_at(s, i);
                v6_checked_until = run_end;
                if let Some((end, addr)) = found {
                    self.push_ipv6(addr);
                    i = end;
                    continue;
                }
            }
            if c == b':' {
                self.out.push(':');
                i += 1;
                continue;
            }
            if let Some((at, end)) = email_at(b, i) {
                self.push_email(slice(s, i, at), slice(s, at + 1, end));
                i = end;
                continue;
            }
            let end = label_run_end(b, i);
            self.label_run(s, i, end);
            i = end;
        }
    }

    /// A maximal run of dot-joined labels at `s[start..end]`: an IPv4 address, a host name,
    /// or something else (version number, word, file name) that is copied.
    fn label_run(&mut self, s: &str, start: usize, end: usize) {
        let run = slice(s, start, end);
        let core = run.trim_matches('-');
        let lead = run.len() - run.trim_start_matches('-').len();
        let (pre, rest) = run.split_at(lead);
        let post = tail(rest, core.len());
        self.out.push_str(pre);
        if let Some(a) = parse_ipv4(core) {
            self.push_ipv4(a);
        } else if is_host_name(core) && !after_single_slash(s.as_bytes(), start) {
            self.push_host(core);
        } else {
            self.out.push_str(core);
        }
        self.out.push_str(post);
    }

    /// A distinguished name: `C = US, O = Org, CN = host`, `C=US; O=Org; CN=host`,
    /// `CN=host,O=Org`, `/C=US/O=Org/CN=host`, multi-valued `CN = a + UID = b`.
    fn scrub_dn(&mut self, s: &str) {
        let b = s.as_bytes();
        let slash_form = b.get(skip_blanks(b, 0)) == Some(&b'/');
        let mut i = 0;
        let mut first = true;
        loop {
            let Some(vstart) = dn_assignment(b, i, first && slash_form).map(|a| a.value_start)
            else {
                self.scrub_inline(tail(s, i));
                return;
            };
            self.out.push_str(slice(s, i, vstart));
            let (vend, sep) = dn_value_end(b, vstart, slash_form);
            self.dn_value(slice(s, vstart, vend));
            self.out.push_str(slice(s, vend, sep));
            if sep >= b.len() {
                return;
            }
            self.out.push_str(slice(s, sep, sep + 1));
            i = sep + 1;
            first = false;
        }
    }

    fn dn_value(&mut self, v: &str) {
        if v.is_empty() {
            return;
        }
        self.report.dn_values += 1;
        let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
        let inner = if quoted { slice(v, 1, v.len() - 1) } else { v };
        if quoted {
            self.out.push('"');
        }
        if let Some(a) = parse_ipv4(inner) {
            self.push_ipv4(a);
        } else if let Some(a) = parse_ipv6_literal(inner) {
            self.push_ipv6(a);
        } else if is_host_name(inner) {
            self.push_host(inner);
        } else if let Some(host) = inner.strip_prefix("*.").filter(|h| is_host_name(h)) {
            self.out.push_str("*.");
            self.push_host(host);
        } else if let Some((local, domain)) = split_email(inner) {
            self.push_email(local, domain);
        } else {
            self.fill(inner, 'x');
        }
        if quoted {
            self.out.push('"');
        }
    }

    fn push_ipv4(&mut self, a: [u8; 4]) {
        self.report.ipv4 += 1;
        let m = self.mapper.ipv4(a);
        let _ = write!(self.out, "{}", Ipv4Addr::from(m));
    }

    fn push_ipv6(&mut self, a: Ipv6Addr) {
        self.report.ipv6 += 1;
        let m = self.mapper.ipv6(a.octets());
        let _ = write!(self.out, "{}", Ipv6Addr::from(m));
    }

    fn push_host(&mut self, name: &str) {
        self.report.hosts += 1;
        let pseudonym = self.mapper.host(&name.to_ascii_lowercase());
        self.out.push_str(&pseudonym);
    }

    fn push_email(&mut self, local: &str, domain: &str) {
        self.report.emails += 1;
        self.fill(local, 'x');
        self.out.push('@');
        self.push_host(domain);
    }

    /// `text` with every character replaced by `fill` (same length in characters).
    fn fill(&mut self, text: &str, fill: char) {
        self.out
            .extend(std::iter::repeat_n(fill, text.chars().count()));
    }

    /// `text` with every non-blank character replaced by `fill`.
    fn fill_non_blank(&mut self, text: &str, fill: char) {
        self.out.extend(
            text.chars()
                .map(|c| if c.is_whitespace() { c } else { fill }),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Slicing without panics: every index handed to these is an ASCII position or the end, but a
// bug there must cost text, never the run.

fn slice(s: &str, start: usize, end: usize) -> &str {
    s.get(start..end).unwrap_or_default()
}

fn head(s: &str, end: usize) -> &str {
    s.get(..end).unwrap_or_default()
}

fn tail(s: &str, start: usize) -> &str {
    s.get(start..).unwrap_or_default()
}

/// The byte `n` positions before `i`.
fn before(b: &[u8], i: usize, n: usize) -> Option<u8> {
    i.checked_sub(n).and_then(|k| b.get(k)).copied()
}

fn is_label_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_blank(c)) {
        i += 1;
    }
    i
}

fn starts_with_ci(b: &[u8], at: usize, word: &str) -> bool {
    b.get(at..at + word.len())
        .is_some_and(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// Where a line's content starts: after leading blanks and a `--trace-time` clock
/// (`20:27:10.004283 `) or a `--trace-ascii` offset (`0000: `).
fn content_start(b: &[u8]) -> usize {
    let i = skip_blanks(b, 0);
    let mut j = i;
    while b
        .get(j)
        .is_some_and(|&c| c.is_ascii_digit() || c == b':' || c == b'.')
    {
        j += 1;
    }
    if b.get(i..j).is_some_and(|r| r.contains(&b':')) && b.get(j).is_some_and(|&c| is_blank(c)) {
        skip_blanks(b, j)
    } else {
        i
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens.

/// End of the maximal run `LABEL(.LABEL)*` starting at `i` (labels are `[A-Za-z0-9_-]+`); a
/// dot not followed by a label byte (sentence end, `...`) is not part of the run.
fn label_run_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    loop {
        while b.get(j).is_some_and(|&c| is_label_byte(c)) {
            j += 1;
        }
        if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(|&c| is_label_byte(c)) {
            j += 1;
        } else {
            return j;
        }
    }
}

/// A dotted quad with every octet 0..=255 (at most three digits each).
fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for slot in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// Host-name shape: at least two labels of `[A-Za-z0-9_-]{1,63}`, the last one 2..=63
/// letters, and not a file name (`index.html`, `server.pem`).
fn is_host_name(s: &str) -> bool {
    let mut labels = 0usize;
    let mut last = "";
    for label in s.split('.') {
        if label.is_empty() || label.len() > 63 || !label.bytes().all(is_label_byte) {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2
        && last.len() >= 2
        && last.bytes().all(|c| c.is_ascii_alphabetic())
        && !FILE_EXTENSIONS.iter().any(|e| last.eq_ignore_ascii_case(e))
}

/// A token right after a single `/` is a path segment (`GET /index.html`, `/a/b.json`,
/// `curl/7.88.1`); after `//` it is a URL's host.
fn after_single_slash(b: &[u8], i: usize) -> bool {
    before(b, i, 1) == Some(b'/') && before(b, i, 2) != Some(b'/')
}

fn is_local_part_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// `local@domain` starting at `i`: returns the positions of `@` and of the domain's end.
fn email_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut at = i;
    while b.get(at).is_some_and(|&c| is_local_part_byte(c)) {
        at += 1;
        if at - i > MAX_LOCAL_PART {
            return None;
        }
    }
    if at == i || b.get(at) != Some(&b'@') || !b.get(at + 1).is_some_and(|&c| is_label_byte(c)) {
        return None;
    }
    let end = label_run_end(b, at + 1);
    let domain = std::str::from_utf8(b.get(at + 1..end)?).ok()?;
    is_host_name(domain).then_some((at, end))
}

/// A whole string that is an e-mail address, split into local part and domain.
fn split_email(s: &str) -> Option<(&str, &str)> {
    let (at, end) = email_at(s.as_bytes(), 0)?;
    (end == s.len()).then(|| (slice(s, 0, at), tail(s, at + 1)))
}

/// Right after `//`, an authority with `user[:password]@`: returns the position of the `@`.
fn userinfo_end(b: &[u8], i: usize) -> Option<usize> {
    if i.checked_sub(2).and_then(|k| b.get(k..i)) != Some(b"//") {
        return None;
    }
    let mut at = None;
    let mut j = i;
    while let Some(&c) = b.get(j) {
        if c.is_ascii_whitespace()
            || matches!(
                c,
                b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'[' | b']' | b'\\'
            )
            || j - i > MAX_AUTHORITY
        {
            break;
        }
        if c == b'@' {
            at = Some(j);
        }
        j += 1;
    }
    at.filter(|&a| a > i)
}

/// Looks for an IPv6 literal at `i` (a hex digit or `:`). Returns the end of the run of hex
/// digits, colons and dots that starts there (no literal can start inside it: a partial match
/// in `dead:beef:...:bead` or a fingerprint is no address) and, if the run is one, the
/// address's end and value.
///
/// Requires `Ipv6Addr` to parse it, two or more colons, a hex digit, a start that does not
/// continue a word (`SSL routines::tlsv1`, `foo::bar`), an end that is not followed by a word
/// byte, and, without `::`, at least one group longer than two characters (MAC addresses,
/// serial numbers and fingerprints are colon-separated bytes; clock times have no `::` and do
/// not parse).
fn ipv6_at(s: &str, i: usize) -> (usize, Option<(usize, Ipv6Addr)>) {
    let b = s.as_bytes();
    if before(b, i, 1).is_some_and(|c| is_word_byte(c) || c == b'.') {
        return (i, None);
    }
    let mut j = i;
    while b
        .get(j)
        .is_some_and(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
    {
        j += 1;
    }
    if j - i > MAX_IPV6_RUN || b.get(j).is_some_and(|&c| is_word_byte(c)) {
        return (j, None);
    }
    let mut end = j;
    // Trailing punctuation (`fe80::1.`, `2001:db8::1:`, `::1...`) is not part of the address.
    for _ in 0..4 {
        if let Some(a) = parse_ipv6_literal(slice(s, i, end)) {
            return (j, Some((end, a)));
        }
        if end > i && matches!(before(b, end, 1), Some(b'.' | b':')) {
            end -= 1;
        } else {
            break;
        }
    }
    (j, None)
}

/// A whole string that is a plausible IPv6 literal (see [`ipv6_at`]).
fn parse_ipv6_literal(cand: &str) -> Option<Ipv6Addr> {
    if cand.bytes().filter(|&c| c == b':').count() < 2
        || !cand.bytes().any(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    if !cand.contains("::") && cand.split(':').all(|g| g.len() <= 2) {
        return None;
    }
    cand.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Whole-line shapes.

/// `-----BEGIN LABEL-----` (or `-----END LABEL-----`): the marker's start and end.
fn pem_marker_end(line: &str, marker: &str) -> Option<(usize, usize)> {
    let start = line.find(marker)?;
    let after_marker = start + marker.len();
    let close = tail(line, after_marker).find("-----")?;
    Some((start, after_marker + close + 5))
}

fn is_ticket_header(line: &str) -> bool {
    let b = line.as_bytes();
    let p = content_start(b);
    let key = "TLS session ticket";
    starts_with_ci(b, p, key) && b.get(skip_blanks(b, p + key.len())) == Some(&b':')
}

/// A hex dump line: openssl's `    0000 - 16 03 01 00 f4 01 00 00-f0 03 03 ...   .....` or
/// curl `--trace`'s `0000: 16 03 01 00 f4 01 00 00 f0 03 03 ... .....`: where the bytes start.
fn offset_dump_data(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let p = skip_blanks(b, 0);
    let mut j = p;
    while b.get(j).is_some_and(u8::is_ascii_hexdigit) {
        j += 1;
    }
    if !(4..=8).contains(&(j - p)) {
        return None;
    }
    let hex_pair = |at: usize| {
        b.get(at..at + 2)
            .is_some_and(|pair| pair.iter().all(u8::is_ascii_hexdigit))
    };
    if b.get(j..j + 3) == Some(b" - ") {
        let data = j + 3;
        hex_pair(data).then_some(data)
    } else if b.get(j..j + 2) == Some(b": ") {
        // Two bytes at least, so that `--trace-ascii`'s `0000: GET / HTTP/1.1` stays text.
        let data = j + 2;
        (hex_pair(data)
            && b.get(data + 2) == Some(&b' ')
            && hex_pair(data + 3)
            && b.get(data + 5) == Some(&b' '))
        .then_some(data)
    } else {
        None
    }
}

/// `-msg`'s bare hex lines: `    16 03 01 00 f4 01 00 00 f0 03 03 ...` (two or more bytes).
fn is_bare_hex_line(line: &str) -> bool {
    let mut n = 0usize;
    for tok in line.split_ascii_whitespace() {
        if tok.len() != 2 || !tok.bytes().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
        n += 1;
    }
    n >= 2
}

/// `SSLKEYLOGFILE` lines (`CLIENT_RANDOM <random> <secret>`, `..._TRAFFIC_SECRET_0 ...`,
/// `EXPORTER_SECRET ...`): where the hex starts.
fn keylog_secrets(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let p = skip_blanks(b, 0);
    let mut j = p;
    while b
        .get(j)
        .is_some_and(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
    {
        j += 1;
    }
    let label = std::str::from_utf8(b.get(p..j)?).ok()?;
    let keylog = label == "CLIENT_RANDOM" || (label.contains("SECRET") && label.contains('_'));
    (keylog && b.get(j).is_some_and(|&c| is_blank(c))).then_some(j)
}

/// openssl's `SSL-Session:` fields whose values are secret: the value's start and the fill
/// character (`0` for key material and IDs, `x` for identities).
fn session_field(line: &str) -> Option<(usize, char)> {
    let b = line.as_bytes();
    let p = content_start(b);
    let colon = p + tail(line, p).find(':')?;
    let fill = match slice(line, p, colon).trim_end() {
        "Session-ID" | "Session-ID-ctx" | "Master-Key" | "Resumption PSK" | "Key-Arg" => '0',
        "PSK identity" | "PSK identity hint" | "SRP username" => 'x',
        _ => return None,
    };
    Some((colon + 1, fill))
}

/// `> Cookie: ...`, `< set-cookie: ...`, `Authorization: ...`: where the value starts.
fn secret_header_value(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut p = content_start(b);
    if matches!(b.get(p), Some(b'>' | b'<')) {
        p = skip_blanks(b, p + 1);
    }
    let mut j = p;
    while b
        .get(j)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-')
    {
        j += 1;
    }
    if j == p || b.get(j) != Some(&b':') {
        return None;
    }
    let name = b.get(p..j)?;
    SECRET_HEADERS
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h.as_bytes()))
        .then(|| skip_blanks(b, j + 1))
}

/// Secret spans inside a line: `[cookie: ...]`-style HTTP/2 pseudo headers (to the last `]`),
/// the value of `Added cookie name="value"`, the user of `with user 'name'`. Sorted and
/// disjoint.
fn inline_secret_spans(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut spans = Vec::new();
    // One pass finds the first occurrence of each marker.
    let mut h2 = [None; H2_SECRET_HEADERS.len()];
    let mut cookie = None;
    let mut user = None;
    for (i, &c) in b.iter().enumerate() {
        match c.to_ascii_lowercase() {
            b'[' => {
                for (slot, needle) in h2.iter_mut().zip(H2_SECRET_HEADERS) {
                    if slot.is_none() && starts_with_ci(b, i, needle) {
                        *slot = Some(i + needle.len());
                    }
                }
            }
            b'a' | b'r' if cookie.is_none() => {
                cookie = ["added cookie ", "replaced cookie "]
                    .iter()
                    .find(|m| starts_with_ci(b, i, m))
                    .map(|m| i + m.len());
            }
            b' ' if user.is_none() && starts_with_ci(b, i, " with user '") => {
                user = Some(i + " with user '".len());
            }
            _ => {}
        }
    }
    for after in h2.into_iter().flatten() {
        let start = skip_blanks(b, after);
        let end = match line.rfind(']') {
            Some(e) if e >= start => e,
            _ => line.len(),
        };
        spans.push((start, end));
    }
    if let Some(after) = cookie {
        if let Some(q) = tail(line, after).find("=\"") {
            let start = after + q + 2;
            let end = tail(line, start)
                .find('"')
                .map_or(line.len(), |e| start + e);
            spans.push((start, end));
        }
    }
    if let Some(start) = user {
        let end = tail(line, start)
            .find('\'')
            .map_or(line.len(), |e| start + e);
        spans.push((start, end));
    }
    command_line_spans(line, &mut spans);
    spans.sort_unstable();
    let mut disjoint: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match disjoint.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => disjoint.push((start, end)),
        }
    }
    disjoint
}

/// Options whose argument is a secret on a pasted `curl` / `openssl s_client` command line.
const SECRET_OPTIONS: &[&str] = &[
    // curl
    "-u",
    "--user",
    "-U",
    "--proxy-user",
    "-b",
    "--cookie",
    "--oauth2-bearer",
    "--pass",
    "--proxy-pass",
    "--tlsuser",
    "--tlspassword",
    "--proxy-tlsuser",
    "--proxy-tlspassword",
    // openssl s_client
    "-pass",
    "-psk",
    "-psk_identity",
    "-srpuser",
    "-srppass",
];

/// Options whose argument is a header (`-H 'Cookie: a=b'`).
const HEADER_OPTIONS: &[&str] = &["-H", "--header", "--proxy-header"];

/// Blank-separated words of a command line, quotes (`'...'`, `"..."`) keeping blanks inside a
/// word: each word's range and its content's range (inside the quotes when it is quoted).
fn shell_words(line: &str) -> Vec<((usize, usize), (usize, usize))> {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = skip_blanks(b, 0);
    while i < b.len() {
        let start = i;
        let mut quote = None;
        while let Some(&c) = b.get(i) {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if is_blank(c) => break,
                None if c == b'\'' || c == b'"' => quote = Some(c),
                None => {}
            }
            i += 1;
        }
        words.push(((start, i), unquoted(b, start, i)));
        i = skip_blanks(b, i);
    }
    words
}

/// `b[start..end]` without one pair of surrounding quotes.
fn unquoted(b: &[u8], start: usize, end: usize) -> (usize, usize) {
    match (b.get(start), end.checked_sub(1).and_then(|e| b.get(e))) {
        (Some(&q @ (b'\'' | b'"')), Some(&e)) if end - start >= 2 && e == q => (start + 1, end - 1),
        _ => (start, end),
    }
}

/// On a `curl ...` / `openssl ...` command line: the arguments of [`SECRET_OPTIONS`]
/// (`-u alice:pw`, `--cookie='a=b'`) and the values of secret headers given with `-H`.
fn command_line_spans(line: &str, spans: &mut Vec<(usize, usize)>) {
    if !line.contains("curl") && !line.contains("openssl") {
        return;
    }
    let words = shell_words(line);
    let is_command = words.iter().any(|&(w, _)| {
        let word = slice(line, w.0, w.1);
        let name = word.rsplit('/').next().unwrap_or(word);
        name == "curl" || name == "openssl"
    });
    if !is_command {
        return;
    }
    let b = line.as_bytes();
    let mut k = 0;
    while let Some(&((ws, we), _)) = words.get(k) {
        let word = slice(line, ws, we);
        let next = words.get(k + 1).map(|&(_, content)| content);
        if let Some((opt, _)) = word.split_once('=').filter(|(o, _)| o.starts_with("--")) {
            if SECRET_OPTIONS.contains(&opt) {
                spans.push(unquoted(b, ws + opt.len() + 1, we));
            }
        } else if SECRET_OPTIONS.contains(&word) {
            if let Some(arg) = next {
                spans.push(arg);
                k += 1;
            }
        } else if HEADER_OPTIONS.contains(&word) {
            if let Some((hs, he)) = next {
                if let Some(vstart) = secret_header_value(slice(line, hs, he)) {
                    spans.push((hs + vstart, he));
                }
                k += 1;
            }
        }
        k += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Distinguished names.

/// Where the distinguished name starts on a certificate line, if this is one:
/// curl `*  subject: ...` / `*  issuer: ...`, openssl `subject=...`, `issuer=...`,
/// `depth=N ...`, chain ` 0 s:...` / `   i:...`, `Peer certificate: ...`, x509 `Subject: ...`,
/// or a line that is itself a DN starting with a well-known attribute (`C = US, O = ...`).
fn dn_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut p = content_start(b);
    if b.get(p) == Some(&b'*') {
        p = skip_blanks(b, p + 1);
    }
    for key in [
        "subject:",
        "issuer:",
        "subject=",
        "issuer=",
        "peer certificate:",
    ] {
        if starts_with_ci(b, p, key) {
            return Some(skip_blanks(b, p + key.len()));
        }
    }
    if starts_with_ci(b, p, "depth=") {
        let mut j = p + "depth=".len();
        while b.get(j).is_some_and(|&c| c.is_ascii_digit() || c == b'-') {
            j += 1;
        }
        return b
            .get(j)
            .is_some_and(|&c| is_blank(c))
            .then(|| skip_blanks(b, j));
    }
    // Certificate chain: ` 0 s:...` then `   i:...`.
    let mut j = p;
    while b.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    if j > p {
        if !b.get(j).is_some_and(|&c| is_blank(c)) {
            return None;
        }
        j = skip_blanks(b, j);
    }
    if matches!(b.get(j..j + 2), Some(b"s:" | b"i:")) {
        return Some(j + 2);
    }
    let assignment = dn_assignment(b, p, true)?;
    let name = b.get(assignment.name.0..assignment.name.1)?;
    DN_LINE_ATTRS
        .iter()
        .any(|a| a.as_bytes() == name)
        .then_some(p)
}

struct Assignment {
    /// The attribute name's byte range.
    name: (usize, usize),
    /// Where the value starts (after `=` and blanks).
    value_start: usize,
}

/// `NAME=`, `NAME = ` or an OID `2.5.4.3 = ` at `i` (after blanks, and after one `/` when
/// `allow_slash`).
fn dn_assignment(b: &[u8], i: usize, allow_slash: bool) -> Option<Assignment> {
    let mut j = skip_blanks(b, i);
    if allow_slash && b.get(j) == Some(&b'/') {
        j += 1;
    }
    let start = j;
    let first = *b.get(j)?;
    let limit = start + MAX_ATTR_NAME + 1;
    if first.is_ascii_alphabetic() {
        while j < limit
            && b.get(j)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-')
        {
            j += 1;
        }
    } else if first.is_ascii_digit() {
        while j < limit && b.get(j).is_some_and(|&c| c.is_ascii_digit() || c == b'.') {
            j += 1;
        }
        if !b.get(start..j).is_some_and(|r| r.contains(&b'.')) {
            return None;
        }
    } else {
        return None;
    }
    if j - start > MAX_ATTR_NAME {
        return None;
    }
    let name = (start, j);
    let eq = skip_blanks(b, j);
    if b.get(eq) != Some(&b'=') {
        return None;
    }
    Some(Assignment {
        name,
        value_start: skip_blanks(b, eq + 1),
    })
}

/// The end of the value starting at `vstart` (trailing blanks excluded) and the position of
/// the separator after it (or the end): a `,` `;` `+` (or `/` in the slash form) that is
/// followed by another `NAME=`. Quoted values (`"Example, Inc."`) and `\,` escapes are
/// skipped.
fn dn_value_end(b: &[u8], vstart: usize, slash_form: bool) -> (usize, usize) {
    let mut k = vstart;
    if b.get(k) == Some(&b'"') {
        k += 1;
        while let Some(&c) = b.get(k) {
            k += if c == b'\\' { 2 } else { 1 };
            if c == b'"' {
                break;
            }
        }
    }
    let mut sep = b.len();
    while let Some(&c) = b.get(k) {
        if c == b'\\' {
            k += 2;
            continue;
        }
        let is_sep = matches!(c, b',' | b';' | b'+') || (slash_form && c == b'/');
        if is_sep && dn_assignment(b, k + 1, false).is_some() {
            sep = k;
            break;
        }
        k += 1;
    }
    let mut vend = sep;
    while vend > vstart && before(b, vend, 1).is_some_and(is_blank) {
        vend -= 1;
    }
    (vend, sep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Maps IPv4 to 192.0.2.N, IPv6 to 2001:db8::5c:N, hosts to same-length `hhh…N.example`,
    /// in order of first appearance, and remembers every mapping.
    #[derive(Default)]
    struct Fake {
        v4: HashMap<[u8; 4], [u8; 4]>,
        v6: HashMap<[u8; 16], [u8; 16]>,
        hosts: HashMap<String, String>,
    }

    fn pseudonym(n: usize, len: usize) -> String {
        let base = format!("{n}.example");
        let digits = n.to_string();
        if len >= base.len() {
            "h".repeat(len - base.len()) + &base
        } else if len > digits.len() {
            "h".repeat(len - digits.len()) + &digits
        } else {
            "h".repeat(len)
        }
    }

    impl LogMapper for Fake {
        fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4] {
            let n = self.v4.len() + 1;
            *self.v4.entry(a).or_insert([192, 0, 2, n as u8])
        }
        fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16] {
            let n = self.v6.len() as u16 + 1;
            *self
                .v6
                .entry(a)
                .or_insert(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0x5c, n).octets())
        }
        fn host(&mut self, name: &str) -> String {
            assert!(
                !name.bytes().any(|c| c.is_ascii_uppercase()),
                "host() got uppercase {name:?}"
            );
            let n = self.hosts.len() + 1;
            self.hosts
                .entry(name.to_string())
                .or_insert_with(|| pseudonym(n, name.len()))
                .clone()
        }
    }

    fn run(text: &str) -> (String, LogReport, Fake) {
        let mut fake = Fake::default();
        let (out, report) = sanitize_log(text, &mut fake);
        (out, report, fake)
    }

    fn clean(text: &str) -> String {
        run(text).0
    }

    #[track_caller]
    fn assert_absent(out: &str, secrets: &[&str]) {
        let lower = out.to_ascii_lowercase();
        for s in secrets {
            assert!(
                !lower.contains(&s.to_ascii_lowercase()),
                "{s:?} survived in:\n{out}"
            );
        }
    }

    #[track_caller]
    fn assert_lines_kept(out: &str, lines: &[&str]) {
        for l in lines {
            assert!(
                out.lines().any(|o| o == *l),
                "line {l:?} not kept byte-identical in:\n{out}"
            );
        }
    }

    #[track_caller]
    fn assert_unchanged(line: &str) {
        let (out, report, _) = run(line);
        assert_eq!(out, line);
        assert_eq!(
            (
                report.ipv4,
                report.ipv6,
                report.hosts,
                report.emails,
                report.dn_values
            ),
            (0, 0, 0, 0, 0),
            "{line:?}"
        );
    }

    #[track_caller]
    fn assert_host_lengths(out: &str, fake: &Fake) {
        for (orig, ps) in &fake.hosts {
            assert_eq!(orig.len(), ps.len(), "{orig} -> {ps}");
            assert!(out.contains(ps.as_str()), "{ps} not in output");
        }
    }

    // ----- fixtures --------------------------------------------------------------------------

    const CURL_TLS13_FAIL: &str = r#"$ curl -v --tlsv1.3 https://api.example.net/v1/health
*   Trying 203.0.113.20:443...
* Connected to api.example.net (203.0.113.20) port 443 (#0)
* ALPN: offers h2,http/1.1
* TLSv1.3 (OUT), TLS handshake, Client hello (1):
*  CAfile: /etc/ssl/certs/ca-certificates.crt
*  CApath: /etc/ssl/certs
* TLSv1.3 (IN), TLS alert, protocol version (582):
* OpenSSL/3.0.11: error:0A00042E:SSL routines::tlsv1 alert protocol version
* Closing connection 0
curl: (35) error:0A00042E:SSL routines::tlsv1 alert protocol version
"#;

    const CURL_OK: &str = r#"$ curl -v --cookie 'session=9f8e7d6c5b4a' https://api.example.net/v1/orders?id=42
* Host api.example.net:443 was resolved.
* IPv6: (none)
* IPv4: 203.0.113.20
*   Trying 203.0.113.20:443...
* Connected to api.example.net (203.0.113.20) port 443
* ALPN: curl offers h2,http/1.1
* TLSv1.3 (OUT), TLS handshake, Client hello (1):
*  CAfile: /etc/ssl/certs/ca-certificates.crt
*  CApath: /etc/ssl/certs
* TLSv1.3 (IN), TLS handshake, Server hello (2):
* TLSv1.3 (IN), TLS handshake, Encrypted Extensions (8):
* TLSv1.3 (IN), TLS handshake, Certificate (11):
* TLSv1.3 (IN), TLS handshake, CERT verify (15):
* TLSv1.3 (IN), TLS handshake, Finished (20):
* TLSv1.3 (OUT), TLS change cipher, Change cipher spec (1):
* TLSv1.3 (OUT), TLS handshake, Finished (20):
* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / X25519 / RSASSA-PSS
* ALPN: server accepted h2
* Server certificate:
*  subject: C=DE; ST=Hessen; L=Frankfurt am Main; O=Example Payments GmbH; CN=api.example.net
*  start date: Jan 15 00:00:00 2024 GMT
*  expire date: Feb 14 23:59:59 2025 GMT
*  subjectAltName: host "api.example.net" matched cert's "*.example.net"
*  issuer: C=US; O=Let's Encrypt; CN=R3
*  SSL certificate verify ok.
*   Certificate level 0: Public key type RSA (2048/112 Bits/secBits), signed using sha256WithRSAEncryption
* using HTTP/2
* [HTTP/2] [1] OPENED stream for https://api.example.net/v1/orders?id=42
* [HTTP/2] [1] [:method: GET]
* [HTTP/2] [1] [:scheme: https]
* [HTTP/2] [1] [:authority: api.example.net]
* [HTTP/2] [1] [:path: /v1/orders?id=42]
* [HTTP/2] [1] [user-agent: curl/8.5.0]
* [HTTP/2] [1] [accept: */*]
* [HTTP/2] [1] [cookie: session=9f8e7d6c5b4a; csrftoken=Zm9vYmFyYmF6]
* [HTTP/2] [1] [authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig]
> GET /v1/orders?id=42 HTTP/2
> Host: api.example.net
> User-Agent: curl/8.5.0
> Accept: */*
> Cookie: session=9f8e7d6c5b4a; csrftoken=Zm9vYmFyYmF6
> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig
>
* TLSv1.3 (IN), TLS handshake, Newsession Ticket (4):
< HTTP/2 200
< date: Mon, 15 Jan 2024 10:20:30 GMT
< content-type: application/json
< set-cookie: session=0a1b2c3d4e5f; Domain=example.net; Path=/; Secure; HttpOnly
< location: https://static.example.net/assets/app.js
< x-served-by: edge-fra1.cdn.example.org
<
* Added cookie session="0a1b2c3d4e5f" for domain example.net, path /, expire 0
{"ok":true,"contact":"ops-oncall@example.net"}
* Connection #0 to host api.example.net left intact
"#;

    const PEM_BODY: [&str; 3] = [
        "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ",
        "RTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD",
        "VQQDExlCYWx0aW1vcmUgQ3liZXJUcnVzdCBSb290MB4XDTAwMDUxMjE4NDYwMFoX",
    ];

    const SESSION_ID: &str = "5F2A0C3B9E8D7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3F2A";
    const MASTER_KEY: &str = "A1B2C3D4E5F60718293A4B5C6D7E8F90112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF0";

    fn openssl_fixture() -> String {
        format!(
            r#"$ openssl s_client -connect 10.1.2.3:443 -servername db.internal.corp -showcerts
CONNECTED(00000003)
depth=1 C = US, O = Example Corp, OU = Internal PKI, CN = Example Corp Issuing CA 2
verify error:num=20:unable to get local issuer certificate
verify return:1
depth=0 C = US, ST = California, L = San Jose, O = "Example Corp, Inc.", CN = db.internal.corp, emailAddress = dba-team@example.com
verify return:1
---
Certificate chain
 0 s:C = US, ST = California, L = San Jose, O = "Example Corp, Inc.", CN = db.internal.corp, emailAddress = dba-team@example.com
   i:C = US, O = Example Corp, OU = Internal PKI, CN = Example Corp Issuing CA 2
   a:PKEY: rsaEncryption, 2048 (bit); sigalg: RSA-SHA256
   v:NotBefore: Mar  1 00:00:00 2024 GMT; NotAfter: Mar  1 23:59:59 2025 GMT
-----BEGIN CERTIFICATE-----
{p0}
{p1}
{p2}
-----END CERTIFICATE-----
---
Server certificate
subject=C = US, ST = California, L = San Jose, O = "Example Corp, Inc.", CN = db.internal.corp, emailAddress = dba-team@example.com
issuer=C = US, O = Example Corp, OU = Internal PKI, CN = Example Corp Issuing CA 2
---
Acceptable client certificate CA names
C = US, O = Example Corp, CN = Example Corp Client CA
Client Certificate Types: RSA sign, ECDSA sign
Peer signing digest: SHA256
Peer signature type: RSA-PSS
Server Temp Key: X25519, 253 bits
---
SSL handshake has read 3012 bytes and written 401 bytes
Verification error: unable to get local issuer certificate
---
New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384
Server public key is 2048 bit
Secure Renegotiation IS supported
Compression: NONE
Expansion: NONE
No ALPN negotiated
SSL-Session:
    Protocol  : TLSv1.2
    Cipher    : ECDHE-RSA-AES256-GCM-SHA384
    Session-ID: {sid}
    Session-ID-ctx: 
    Master-Key: {mk}
    PSK identity: None
    PSK identity hint: None
    SRP username: None
    TLS session ticket lifetime hint: 300 (seconds)
    TLS session ticket:
    0000 - 6c 8e 1a 9f 22 3b 44 d0-5e 77 81 93 a2 b4 c6 d8   l...";D.^w......
    0010 - e1 f3 05 17 29 3b 4d 5f-61 73 85 97 a9 bb cd df   ....);M_as......
    0020 - 64 62 2e 69 6e 74 65 72-6e 61 6c 2e 63 6f 72 70   db.internal.corp

    Start Time: 1709280000
    Timeout   : 7200 (sec)
    Verify return code: 20 (unable to get local issuer certificate)
    Extended master secret: yes
---
40C7D1F2B17F0000:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:ssl/record/rec_layer_s3.c:317:
DONE
"#,
            p0 = PEM_BODY[0],
            p1 = PEM_BODY[1],
            p2 = PEM_BODY[2],
            sid = SESSION_ID,
            mk = MASTER_KEY,
        )
    }

    const OPENSSL_TLS13_SESSION: &str = r#"---
Post-Handshake New Session Ticket arrived:
SSL-Session:
    Protocol  : TLSv1.3
    Cipher    : TLS_AES_256_GCM_SHA384
    Session-ID: 0F3B5D7F9E1C2A4B6D8F0E1D2C3B4A5968778695A4B3C2D1E0F1A2B3C4D5E6F7
    Session-ID-ctx:
    Resumption PSK: 8A7C6E5D4B3A29180F1E2D3C4B5A69788796A5B4C3D2E1F00112233445566778899AABBCCDDEEFF0011223344556677
    PSK identity: None
    PSK identity hint: None
    SRP username: None
    TLS session ticket lifetime hint: 7200 (seconds)
    TLS session ticket:
    0000 - 1f 2e 3d 4c 5b 6a 79 88-97 a6 b5 c4 d3 e2 f1 00   ..=L[jy.........
    0010 - 61 70 69 2e 65 78 61 6d-70 6c 65 2e 6e 65 74 00   api.example.net.

    Start Time: 1709280000
    Timeout   : 7200 (sec)
    Verify return code: 0 (ok)
    Extended master secret: no
    Max Early Data: 0
---
read R BLOCK
"#;

    const OPENSSL_BRIEF: &str = r#"$ openssl s_client -brief -connect 10.1.2.3:443 -servername db.internal.corp
depth=0 CN = db.internal.corp
verify error:num=20:unable to get local issuer certificate
CONNECTION ESTABLISHED
Protocol version: TLSv1.3
Ciphersuite: TLS_AES_256_GCM_SHA384
Peer certificate: CN = db.internal.corp
Hash used: SHA256
Signature type: RSA-PSS
Verification error: unable to get local issuer certificate
Peer Temp Key: X25519, 253 bits
"#;

    const CURL_V6: &str = r#"$ curl -v https://v6.example.org:8443/
* Host v6.example.org:8443 was resolved.
* IPv6: 2600:1f18:24e6:b900::1, fe80::1%eth0
* IPv4: (none)
*   Trying [2600:1f18:24e6:b900::1]:8443...
* Immediate connect fail for fe80::1%eth0: Network is unreachable
* Connected to v6.example.org (2600:1f18:24e6:b900::1) port 8443
> GET / HTTP/1.1
> Host: [2600:1f18:24e6:b900::1]:8443
> User-Agent: curl/8.5.0
* Recv failure: Connection reset by peer
* OpenSSL SSL_connect: Connection reset by peer in connection to v6.example.org:8443
* Closing connection
curl: (35) Recv failure: Connection reset by peer
"#;

    // ----- fixture tests ---------------------------------------------------------------------

    #[test]
    fn curl_tls13_failure() {
        let (out, report, fake) = run(CURL_TLS13_FAIL);
        assert_absent(&out, &["api.example.net", "203.0.113.20"]);
        assert_lines_kept(
            &out,
            &[
                "* TLSv1.3 (IN), TLS alert, protocol version (582):",
                "* TLSv1.3 (OUT), TLS handshake, Client hello (1):",
                "curl: (35) error:0A00042E:SSL routines::tlsv1 alert protocol version",
                "* OpenSSL/3.0.11: error:0A00042E:SSL routines::tlsv1 alert protocol version",
                "*  CAfile: /etc/ssl/certs/ca-certificates.crt",
                "*  CApath: /etc/ssl/certs",
                "* ALPN: offers h2,http/1.1",
                "* Closing connection 0",
                "*   Trying 192.0.2.1:443...",
                "* Connected to hhhhhh1.example (192.0.2.1) port 443 (#0)",
                "$ curl -v --tlsv1.3 https://hhhhhh1.example/v1/health",
            ],
        );
        assert_eq!(out.lines().count(), CURL_TLS13_FAIL.lines().count());
        assert_eq!(
            out.len(),
            CURL_TLS13_FAIL.len() - 2 * 3,
            "IPv4 got shorter, rest kept"
        );
        assert_host_lengths(&out, &fake);
        assert_eq!(report.lines, 11);
        assert_eq!(report.ipv4, 2);
        assert_eq!(report.hosts, 2);
        assert_eq!(
            (
                report.ipv6,
                report.emails,
                report.dn_values,
                report.pem_blocks
            ),
            (0, 0, 0, 0)
        );
    }

    #[test]
    fn curl_success_with_certificate_and_cookies() {
        let (out, report, fake) = run(CURL_OK);
        assert_absent(
            &out,
            &[
                "api.example.net",
                "example.net",
                "example.org",
                "203.0.113.20",
                "Hessen",
                "Frankfurt",
                "Example Payments",
                "Let's Encrypt",
                "CN=R3",
                "9f8e7d6c5b4a",
                "Zm9vYmFy",
                "0a1b2c3d4e5f",
                "eyJhbGci",
                "c2VjcmV0",
                "ops-oncall",
                "Bearer",
            ],
        );
        let x = |secret: &str| "x".repeat(secret.len());
        let api = &fake.hosts["api.example.net"];
        let apex = &fake.hosts["example.net"];
        let cookie = "session=9f8e7d6c5b4a; csrftoken=Zm9vYmFyYmF6";
        assert_lines_kept(
            &out,
            &[
                &format!(
                    "*  subject: C=xx; ST=xxxxxx; L={}; O={}; CN={api}",
                    x("Frankfurt am Main"),
                    x("Example Payments GmbH")
                ),
                "*  issuer: C=xx; O=xxxxxxxxxxxxx; CN=xx",
                &format!("*  subjectAltName: host \"{api}\" matched cert's \"*.{apex}\""),
                "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / X25519 / RSASSA-PSS",
                "* ALPN: server accepted h2",
                "*  start date: Jan 15 00:00:00 2024 GMT",
                "*   Certificate level 0: Public key type RSA (2048/112 Bits/secBits), signed using sha256WithRSAEncryption",
                "* [HTTP/2] [1] [:method: GET]",
                "* [HTTP/2] [1] [:path: /v1/orders?id=42]",
                "* [HTTP/2] [1] [user-agent: curl/8.5.0]",
                &format!("* [HTTP/2] [1] [cookie: {}]", x(cookie)),
                &format!(
                    "$ curl -v --cookie '{}' https://{api}/v1/orders?id=42",
                    x("session=9f8e7d6c5b4a")
                ),
                "> GET /v1/orders?id=42 HTTP/2",
                &format!("> Host: {api}"),
                "> User-Agent: curl/8.5.0",
                &format!("> Cookie: {}", x(cookie)),
                "< HTTP/2 200",
                "< date: Mon, 15 Jan 2024 10:20:30 GMT",
                "< content-type: application/json",
                &format!(
                    "< location: https://{}/assets/app.js",
                    fake.hosts["static.example.net"]
                ),
                "* TLSv1.3 (IN), TLS handshake, Newsession Ticket (4):",
                &format!(
                    "* Added cookie session=\"xxxxxxxxxxxx\" for domain {apex}, path /, expire 0"
                ),
                &format!("{{\"ok\":true,\"contact\":\"xxxxxxxxxx@{apex}\"}}"),
            ],
        );
        assert!(out.contains("> Authorization: xxxxxxx"));
        assert_eq!(out.lines().count(), CURL_OK.lines().count());
        assert_host_lengths(&out, &fake);
        assert_eq!(report.emails, 1);
        assert_eq!(report.dn_values, 8);
        assert_eq!(report.ipv4, 3);
    }

    #[test]
    fn openssl_s_client_transcript() {
        let input = openssl_fixture();
        let (out, report, fake) = run(&input);
        let mut secrets = vec![
            "db.internal.corp",
            "10.1.2.3",
            "Example Corp",
            "Internal PKI",
            "California",
            "San Jose",
            "Inc.",
            "dba-team",
            "example.com",
            SESSION_ID,
            MASTER_KEY,
            "6c 8e 1a 9f",
            "BEGIN CERTIFICATE",
        ];
        secrets.extend(PEM_BODY);
        assert_absent(&out, &secrets);
        assert_lines_kept(
            &out,
            &[
                "CONNECTED(00000003)",
                "verify error:num=20:unable to get local issuer certificate",
                "verify return:1",
                "depth=1 C = xx, O = xxxxxxxxxxxx, OU = xxxxxxxxxxxx, CN = xxxxxxxxxxxxxxxxxxxxxxxxx",
                " 0 s:C = xx, ST = xxxxxxxxxx, L = xxxxxxxx, O = \"xxxxxxxxxxxxxxxxxx\", CN = hhhhhhh1.example, emailAddress = xxxxxxxx@hh2.example",
                "   i:C = xx, O = xxxxxxxxxxxx, OU = xxxxxxxxxxxx, CN = xxxxxxxxxxxxxxxxxxxxxxxxx",
                "   a:PKEY: rsaEncryption, 2048 (bit); sigalg: RSA-SHA256",
                "   v:NotBefore: Mar  1 00:00:00 2024 GMT; NotAfter: Mar  1 23:59:59 2025 GMT",
                PEM_REMOVED,
                "issuer=C = xx, O = xxxxxxxxxxxx, OU = xxxxxxxxxxxx, CN = xxxxxxxxxxxxxxxxxxxxxxxxx",
                "C = xx, O = xxxxxxxxxxxx, CN = xxxxxxxxxxxxxxxxxxxxxx",
                "Client Certificate Types: RSA sign, ECDSA sign",
                "Verification error: unable to get local issuer certificate",
                "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384",
                "    Protocol  : TLSv1.2",
                "    Cipher    : ECDHE-RSA-AES256-GCM-SHA384",
                "    Session-ID-ctx: ",
                "    PSK identity: None",
                "    TLS session ticket lifetime hint: 300 (seconds)",
                "    TLS session ticket:",
                "    Start Time: 1709280000",
                "    Verify return code: 20 (unable to get local issuer certificate)",
                "40C7D1F2B17F0000:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:ssl/record/rec_layer_s3.c:317:",
                "DONE",
            ],
        );
        assert!(out.contains(&format!(
            "    Session-ID: {}\n",
            "0".repeat(SESSION_ID.len())
        )));
        assert!(out.contains(&format!(
            "    Master-Key: {}\n",
            "0".repeat(MASTER_KEY.len())
        )));
        // The ticket dump is gone; the blank line after it stays.
        assert!(out.contains("    TLS session ticket:\n\n    Start Time: 1709280000\n"));
        // 5 PEM lines become 1, 3 dump lines are dropped.
        assert_eq!(out.lines().count(), input.lines().count() - 4 - 3);
        assert_eq!(report.pem_blocks, 1);
        assert_eq!(report.ipv4, 1);
        assert!(report.dn_values >= 30, "{report:?}");
        assert_eq!(report.emails, 3);
        assert_host_lengths(&out, &fake);
    }

    #[test]
    fn openssl_tls13_session_never_keeps_key_material() {
        let (out, _, _) = run(OPENSSL_TLS13_SESSION);
        assert_absent(
            &out,
            &[
                "8A7C6E5D4B3A",
                "0F3B5D7F9E1C",
                "1f 2e 3d",
                "api.example.net",
                "61 70 69",
            ],
        );
        assert!(out.contains("    Resumption PSK: 000000000000"));
        assert!(out.contains("    Session-ID-ctx:\n"));
        assert_lines_kept(&out, &["    Max Early Data: 0", "read R BLOCK", "---"]);
        assert_eq!(
            out.lines().count(),
            OPENSSL_TLS13_SESSION.lines().count() - 2
        );
    }

    #[test]
    fn openssl_brief() {
        let (out, report, _) = run(OPENSSL_BRIEF);
        assert_absent(&out, &["db.internal.corp", "10.1.2.3"]);
        assert_lines_kept(
            &out,
            &[
                "depth=0 CN = hhhhhhh1.example",
                "Peer certificate: CN = hhhhhhh1.example",
                "CONNECTION ESTABLISHED",
                "Protocol version: TLSv1.3",
                "Ciphersuite: TLS_AES_256_GCM_SHA384",
                "Verification error: unable to get local issuer certificate",
                "Peer Temp Key: X25519, 253 bits",
            ],
        );
        assert_eq!(report.dn_values, 2);
    }

    #[test]
    fn curl_ipv6() {
        let (out, report, fake) = run(CURL_V6);
        assert_absent(&out, &["2600:1f18", "fe80::1", "v6.example.org"]);
        assert_lines_kept(
            &out,
            &[
                "* IPv6: 2001:db8::5c:1, 2001:db8::5c:2%eth0",
                "*   Trying [2001:db8::5c:1]:8443...",
                "* Immediate connect fail for 2001:db8::5c:2%eth0: Network is unreachable",
                "* Connected to hhhhh1.example (2001:db8::5c:1) port 8443",
                "> Host: [2001:db8::5c:1]:8443",
                "> GET / HTTP/1.1",
                "* IPv4: (none)",
                "curl: (35) Recv failure: Connection reset by peer",
            ],
        );
        assert_eq!(report.ipv6, 6);
        assert_eq!(report.ipv4, 0);
        assert_host_lengths(&out, &fake);
    }

    #[test]
    fn crlf_and_missing_final_newline_are_kept() {
        let crlf = CURL_OK.replace('\n', "\r\n");
        let (out_crlf, report_crlf, _) = run(&crlf);
        let (out_lf, report_lf, _) = run(CURL_OK);
        assert_eq!(out_crlf, out_lf.replace('\n', "\r\n"));
        assert_eq!(report_crlf, report_lf);

        let pem_crlf = openssl_fixture().replace('\n', "\r\n");
        let out = clean(&pem_crlf);
        assert!(out.contains(&format!("{PEM_REMOVED}\r\n---\r\n")));
        assert!(!out.replace("\r\n", "").contains('\n'));

        assert_eq!(
            clean("Host: a.example.com"),
            "Host: h1.example.com".replace("h1.example.com", &pseudonym(1, 13))
        );
        assert_eq!(clean("x\r"), "x\r");
        assert_eq!(clean("a\n\nb\r\n"), "a\n\nb\r\n");
        assert_eq!(clean(""), "");
    }

    // ----- IPv4 ------------------------------------------------------------------------------

    #[test]
    fn ipv4_forms() {
        assert_eq!(
            clean("Trying 203.0.113.20:443..."),
            "Trying 192.0.2.1:443..."
        );
        assert_eq!(clean("(203.0.113.20)"), "(192.0.2.1)");
        assert_eq!(clean("IP: 10.0.0.1"), "IP: 192.0.2.1");
        assert_eq!(clean("http://10.0.0.1:8080/x"), "http://192.0.2.1:8080/x");
        assert_eq!(
            clean("GET http://10.0.0.1/10.0.0.2/ HTTP/1.1"),
            "GET http://192.0.2.1/192.0.2.2/ HTTP/1.1"
        );
        assert_eq!(clean("reached 10.0.0.1."), "reached 192.0.2.1.");
        assert_eq!(clean("a=10.0.0.1,b=10.0.0.1"), "a=192.0.2.1,b=192.0.2.1");
        assert_eq!(clean("net 10.0.0.0/8"), "net 192.0.2.1/8");
        assert_eq!(clean("IP Address:198.51.100.7"), "IP Address:192.0.2.1");
    }

    #[test]
    fn not_ipv4() {
        assert_unchanged("version 1.2.3.4.5");
        assert_unchanged("1.2.3.4.5");
        assert_unchanged("256.1.1.1 and 1.2.3.1000");
        assert_unchanged("v1.2.3.4");
        assert_unchanged(
            "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.11 zlib/1.2.13 nghttp2/1.52.0",
        );
        assert_unchanged("Release-Date: 2023-02-20");
    }

    #[test]
    fn ip_inside_a_host_name_is_part_of_the_host() {
        let (out, report, _) = run("1.2.3.4.nip.io");
        assert_eq!(out.len(), "1.2.3.4.nip.io".len());
        assert_eq!((report.hosts, report.ipv4), (1, 0));
    }

    // ----- IPv6 ------------------------------------------------------------------------------

    #[test]
    fn ipv6_forms() {
        assert_eq!(clean("[2600:1f18::1]:443"), "[2001:db8::5c:1]:443");
        assert_eq!(clean("fe80::1%eth0"), "2001:db8::5c:1%eth0");
        assert_eq!(
            clean("https://[fe80::1%25eth0]:443/"),
            "https://[2001:db8::5c:1%25eth0]:443/"
        );
        assert_eq!(
            clean("2001:0DB8:0000:0000:0000:0000:0000:0001"),
            "2001:db8::5c:1"
        );
        assert_eq!(
            clean("IP Address:2600:1F18:0:0:0:0:0:1, DNS:x"),
            "IP Address:2001:db8::5c:1, DNS:x"
        );
        assert_eq!(
            clean("(2600:1f18::1) port 443"),
            "(2001:db8::5c:1) port 443"
        );
        assert_eq!(clean("addr 2600:1f18::1."), "addr 2001:db8::5c:1.");
        assert_eq!(clean("Trying ::1..."), "Trying 2001:db8::5c:1...");
        assert_eq!(clean("to 2001:db8::"), "to 2001:db8::5c:1");
        let (out, report, _) = run("from ::ffff:198.51.100.7 port 1");
        assert_eq!(out, "from 2001:db8::5c:1 port 1");
        assert_eq!((report.ipv6, report.ipv4), (1, 0));
    }

    #[test]
    fn not_ipv6() {
        assert_unchanged("20:27:10.004283 * TLSv1.3 (OUT), TLS handshake, Client hello (1):");
        assert_unchanged("12:34:56 and 2024-01-15T10:20:30Z and 10:20:30.5");
        assert_unchanged("ether 08:00:27:ab:cd:ef  txqueuelen 1000");
        assert_unchanged("Serial Number: 04:d2:3a:77:10:9e:aa:01");
        assert_unchanged(
            "SHA256 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
        );
        assert_unchanged("curl: (35) error:0A00042E:SSL routines::tlsv1 alert protocol version");
        assert_unchanged("error:0A000086:SSL routines::certificate verify failed");
        assert_unchanged("at std::io::add and foo::bad and Foo::cafe");
        assert_unchanged("C++ says :: and a:b:c");
        assert_unchanged("Using Stream ID: 1 (easy handle 0x5581ebd5ceb0)");
        assert_unchanged(
            "4097E5F7B07F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:ssl/record/rec_layer_s3.c:1586:SSL alert number 40",
        );
        assert_unchanged("dead:beef:cafe:babe:f00d:d00d:feed:face:bead");
        assert_unchanged("2001:db8::1zz");
    }

    // ----- host names, e-mails, URLs ---------------------------------------------------------

    #[test]
    fn host_names() {
        let (out, _, fake) =
            run("Connected to API.Example.NET port 443; *.example.net; api.example.net.");
        let api = &fake.hosts["api.example.net"];
        let wild = &fake.hosts["example.net"];
        assert_eq!(
            out,
            format!("Connected to {api} port 443; *.{wild}; {api}.")
        );
        assert_eq!(
            clean("https://h.example.com/a/b.json?x=1#frag"),
            format!("https://{}/a/b.json?x=1#frag", pseudonym(1, 13))
        );
        assert_eq!(
            clean("DNS:a.example, DNS:b.example"),
            "DNS:1.example, DNS:2.example"
        );
        assert_eq!(
            clean("-servername db.internal.corp"),
            "-servername hhhhhhh1.example"
        );
        assert_eq!(
            clean("--resolve x-api.example.net:443:10.0.0.1"),
            format!("--resolve {}:443:192.0.2.1", pseudonym(1, 17))
        );
        assert_eq!(
            clean("(api.example.net)"),
            format!("({})", pseudonym(1, 15))
        );
    }

    #[test]
    fn not_host_names() {
        assert_unchanged("GET /index.html HTTP/1.1");
        assert_unchanged("GET /v1/users.list HTTP/1.1");
        assert_unchanged("*  CAfile: /etc/ssl/certs/ca-certificates.crt");
        assert_unchanged(
            "loading server.pem, client.KEY, app.js, style.css, data.json, run.sh, libssl.so.3",
        );
        assert_unchanged("e.g. i.e. TLSv1.3 HTTP/1.1 h2 http/1.1 ssl3_record.c:354");
        assert_unchanged("* TLSv1.3 (OUT), TLS handshake, Client hello (1):");
        assert_unchanged("TLS_AES_256_GCM_SHA384 ecdsa-with-SHA384 id-ecPublicKey prime256v1");
        assert_unchanged("localhost and db01");
    }

    #[test]
    fn emails_and_userinfo() {
        let (out, report, _) =
            run("contact <ops-oncall+tls@Example.NET>, emailAddress=a.b@c.example");
        assert_eq!(
            out,
            format!(
                "contact <xxxxxxxxxxxxxx@{}>, emailAddress=xxx@{}",
                pseudonym(1, 11),
                pseudonym(2, 9)
            )
        );
        assert_eq!(report.emails, 2);
        assert_eq!(
            clean("Location: https://alice:s3cret@api.example.net/x"),
            format!("Location: https://xxxxxxxxxxxx@{}/x", pseudonym(1, 15))
        );
        assert_eq!(clean("ftp://bob@[2600::1]/"), "ftp://xxx@[2001:db8::5c:1]/");
        assert_eq!(
            clean("mailto:alice@example.com"),
            format!("mailto:xxxxx@{}", pseudonym(1, 11))
        );
    }

    // ----- distinguished names ---------------------------------------------------------------

    #[test]
    fn dn_formats() {
        let e = pseudonym(1, 15);
        assert_eq!(
            clean("*  subject: CN=api.example.net"),
            format!("*  subject: CN={e}")
        );
        assert_eq!(
            clean("*  issuer: C=US; O=Let's Encrypt; CN=R3"),
            "*  issuer: C=xx; O=xxxxxxxxxxxxx; CN=xx"
        );
        assert_eq!(
            clean("subject=CN = api.example.net"),
            format!("subject=CN = {e}")
        );
        assert_eq!(
            clean("issuer=C = US, O = Let's Encrypt, CN = R3"),
            "issuer=C = xx, O = xxxxxxxxxxxxx, CN = xx"
        );
        // openssl 1.0's slash form, GnuTLS's RFC 4514 form.
        assert_eq!(
            clean("subject=/C=US/O=Let's Encrypt/CN=api.example.net"),
            format!("subject=/C=xx/O=xxxxxxxxxxxxx/CN={e}")
        );
        assert_eq!(
            clean("*   subject: CN=api.example.net,O=Example\\, Inc.,C=US"),
            format!("*   subject: CN={e},O=xxxxxxxxxxxxxx,C=xx")
        );
        // Unquoted value with a comma in curl's `; ` form, multi-valued RDN, wildcard, IP.
        assert_eq!(
            clean(
                "*  subject: O=Example, Inc.; CN=*.example.net + serialNumber=12345; CN=10.9.8.7"
            ),
            format!(
                "*  subject: O=xxxxxxxxxxxxx; CN=*.{} + serialNumber=xxxxx; CN=192.0.2.1",
                pseudonym(1, 11)
            )
        );
        assert_eq!(
            clean("depth=2 C = US, O = Internet Security Research Group, CN = ISRG Root X1"),
            format!("depth=2 C = xx, O = {}, CN = xxxxxxxxxxxx", "x".repeat(32))
        );
        assert_eq!(
            clean(" 1 s:C = US, O = Let's Encrypt, CN = R3"),
            " 1 s:C = xx, O = xxxxxxxxxxxxx, CN = xx"
        );
        assert_eq!(
            clean(
                "        Issuer: C = US, O = DigiCert Inc, CN = DigiCert TLS RSA SHA256 2020 CA1"
            ),
            format!(
                "        Issuer: C = xx, O = xxxxxxxxxxxx, CN = {}",
                "x".repeat(32)
            )
        );
        assert_eq!(
            clean("20:27:10.004283 *  issuer: C=US; CN=R3"),
            "20:27:10.004283 *  issuer: C=xx; CN=xx"
        );
        assert_eq!(
            clean("subject=2.5.4.3 = Secret Name, OU = Ops"),
            "subject=2.5.4.3 = xxxxxxxxxxx, OU = xxx"
        );
        assert_eq!(
            clean("subject=O = \"Example, Inc.\", CN = R3\r\n"),
            "subject=O = \"xxxxxxxxxxxxx\", CN = xx\r\n"
        );
        assert_eq!(clean("*  subject: "), "*  subject: ");
        assert_eq!(
            clean("subject=Société Générale"),
            "subject=Société Générale"
        );
        assert_eq!(
            clean("*  subject: O=Société Générale"),
            "*  subject: O=xxxxxxxxxxxxxxxx"
        );
        let (_, report, _) = run("issuer=C = US, O = Let's Encrypt, CN = R3");
        assert_eq!(report.dn_values, 3);
    }

    #[test]
    fn subject_alt_name_lines() {
        let a = pseudonym(1, 15);
        assert_eq!(
            clean("*  subjectAltName: host \"api.example.net\" matched cert's \"api.example.net\""),
            format!("*  subjectAltName: host \"{a}\" matched cert's \"{a}\"")
        );
        assert_eq!(
            clean(
                "* SSL: no alternative certificate subject name matches target host name 'api.example.net'"
            ),
            format!(
                "* SSL: no alternative certificate subject name matches target host name '{a}'"
            )
        );
    }

    // ----- PEM, sessions, dumps, key logs ----------------------------------------------------

    #[test]
    fn pem_blocks() {
        let text = "a\n-----BEGIN CERTIFICATE-----\nMIIB\nAAAA\n-----END CERTIFICATE-----\nb\n\
                    -----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";
        let (out, report, _) = run(text);
        assert_eq!(out, format!("a\n{PEM_REMOVED}\nb\n{PEM_REMOVED}\n"));
        assert_eq!(report.pem_blocks, 2);
        // Unterminated: everything after BEGIN is gone.
        assert_eq!(
            clean("x\n-----BEGIN CERTIFICATE-----\nMIIB\nAAAA"),
            format!("x\n{PEM_REMOVED}")
        );
        assert_eq!(
            clean("x\n-----BEGIN CERTIFICATE-----\nMIIB\n"),
            format!("x\n{PEM_REMOVED}\n")
        );
        // On one line, and with text around the markers.
        assert_eq!(
            clean("cert: -----BEGIN CERTIFICATE-----MIIB-----END CERTIFICATE----- from 10.0.0.1\n"),
            format!("cert: {PEM_REMOVED} from 192.0.2.1\n")
        );
        assert_unchanged("the -----BEGIN marker is missing its closing dashes");
    }

    #[test]
    fn session_fields() {
        assert_eq!(
            clean("    Session-ID: ABCDEF0123"),
            "    Session-ID: 0000000000"
        );
        assert_eq!(
            clean("    Master-Key: ABCDEF0123\r\n"),
            "    Master-Key: 0000000000\r\n"
        );
        assert_eq!(clean("    Key-Arg   : None"), "    Key-Arg   : None");
        assert_eq!(
            clean("    PSK identity: Client_identity"),
            "    PSK identity: xxxxxxxxxxxxxxx"
        );
        assert_eq!(clean("    SRP username: alice"), "    SRP username: xxxxx");
        assert_unchanged("    TLS session ticket lifetime hint: 7200 (seconds)");
        // A ticket header followed by something else than a dump does not swallow it.
        assert_eq!(
            clean("    TLS session ticket:\nnext 10.0.0.1\n"),
            "    TLS session ticket:\nnext 192.0.2.1\n"
        );
    }

    #[test]
    fn other_hex_dumps_are_zeroed_not_dropped() {
        let debug = "read from 0x55d0 [0x55d5] (16 bytes => 16 (0x10))\n\
                     0000 - 61 70 69 2e 65 78 61 6d-70 6c 65 2e 6e 65 74 00   api.example.net.\n";
        let out = clean(debug);
        assert_eq!(
            out,
            "read from 0x55d0 [0x55d5] (16 bytes => 16 (0x10))\n\
             0000 - 00 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00   0...0.0...0..0..\n"
        );
        let msg =
            ">>> TLS 1.3, Handshake [length 00f4], ClientHello\n    01 00 00 f0 03 03 61 70\n";
        assert_eq!(
            clean(msg),
            ">>> TLS 1.3, Handshake [length 00f4], ClientHello\n    00 00 00 00 00 00 00 00\n"
        );
    }

    #[test]
    fn curl_trace_hex_is_zeroed_trace_ascii_is_text() {
        let trace = "0000: 16 03 01 00 f4 01 00 00 f0 03 03 61 70 69 2e 65 ...........api.e\n\
                     0000: GET / HTTP/1.1\n\
                     0010: Host: api.example.net\n";
        assert_eq!(
            clean(trace),
            format!(
                "0000: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ...........0...0\n\
                 0000: GET / HTTP/1.1\n\
                 0010: Host: {}\n",
                pseudonym(1, 15)
            )
        );
    }

    #[test]
    fn keylog_lines() {
        assert_eq!(clean("CLIENT_RANDOM 0a1b 9f8e"), "CLIENT_RANDOM 0000 0000");
        assert_eq!(
            clean("SERVER_TRAFFIC_SECRET_0 abcd ef01"),
            "SERVER_TRAFFIC_SECRET_0 0000 0000"
        );
    }

    // ----- headers and cookies ---------------------------------------------------------------

    #[test]
    fn secret_headers() {
        assert_eq!(clean("> Cookie: a=1; b=2"), "> Cookie: xxxxxxxx");
        assert_eq!(
            clean("< set-cookie: id=abc; Domain=example.net"),
            "< set-cookie: xxxxxxxxxxxxxxxxxxxxxxxxxx"
        );
        assert_eq!(
            clean("> Authorization: Basic YWxpY2U6czNjcmV0"),
            "> Authorization: xxxxxxxxxxxxxxxxxxxxxx"
        );
        assert_eq!(
            clean("> Proxy-Authorization: Basic Ym9iOnB3"),
            "> Proxy-Authorization: xxxxxxxxxxxxxx"
        );
        assert_eq!(clean("Cookie: a=1\r\n"), "Cookie: xxx\r\n");
        assert_eq!(
            clean("20:27:10.004283 > Cookie: a=1"),
            "20:27:10.004283 > Cookie: xxx"
        );
        assert_eq!(clean("* h2h3 [cookie: a=1]"), "* h2h3 [cookie: xxx]");
        assert_eq!(
            clean("* [HTTP/2] [1] [authorization: Bearer a]b]"),
            "* [HTTP/2] [1] [authorization: xxxxxxxxxx]"
        );
        assert_eq!(
            clean("* Replaced cookie sid=\"v4lue\" for domain api.example.net, path /, expire 0"),
            format!(
                "* Replaced cookie sid=\"xxxxx\" for domain {}, path /, expire 0",
                pseudonym(1, 15)
            )
        );
        assert_eq!(
            clean("* Server auth using Basic with user 'alice'"),
            "* Server auth using Basic with user 'xxxxx'"
        );
        assert_unchanged("> Accept: */*");
        assert_unchanged("< x-cookie-policy: strict");
    }

    #[test]
    fn pasted_command_lines() {
        let api = pseudonym(1, 15);
        assert_eq!(
            clean(
                "$ curl -sv -u alice:hunter2 -H \"Authorization: Bearer abc\" -H 'X-Trace: 1' https://api.example.net/"
            ),
            format!(
                "$ curl -sv -u xxxxxxxxxxxxx -H \"Authorization: xxxxxxxxxx\" -H 'X-Trace: 1' https://{api}/"
            )
        );
        assert_eq!(
            clean(
                "/usr/bin/curl --cookie='sid=abc def' --oauth2-bearer tok3n https://api.example.net"
            ),
            format!("/usr/bin/curl --cookie='xxxxxxxxxxx' --oauth2-bearer xxxxx https://{api}")
        );
        assert_eq!(
            clean("openssl s_client -connect 10.1.2.3:443 -psk 1a2b3c -psk_identity client1"),
            "openssl s_client -connect 192.0.2.1:443 -psk xxxxxx -psk_identity xxxxxxx"
        );
        // Not a command line: `-u` is just text.
        assert_unchanged("run with -u to update");
    }

    // ----- properties ------------------------------------------------------------------------

    mod props {
        use super::*;
        use proptest::prelude::*;

        const LOGGY: &str = "[a-zA-Z0-9.:/@=,;\"'\\[\\]%*+<> \\-_\\n\\r\\té]{0,200}";

        fn line_count(s: &str) -> usize {
            split_lines(s).count()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn arbitrary_strings_never_panic(s in any::<String>()) {
                let (_, report, _) = run(&s);
                prop_assert_eq!(report.lines, line_count(&s));
            }

            #[test]
            fn log_like_strings_keep_their_lines(s in LOGGY) {
                let (out, report, _) = run(&s);
                prop_assert_eq!(report.lines, line_count(&s));
                if !s.contains("-----BEGIN") && !s.contains("TLS session ticket") {
                    prop_assert_eq!(line_count(&out), line_count(&s));
                    prop_assert_eq!(out.matches('\n').count(), s.matches('\n').count());
                }
            }

            #[test]
            fn certificate_like_lines_never_panic(
                prefix in "(\\*  subject: |issuer=|depth=0 | 0 s:|   i:|> Cookie: |    Session-ID: |)",
                body in LOGGY,
            ) {
                let s = format!("{prefix}{body}");
                let _ = run(&s);
            }

            #[test]
            fn ipv4_literals_are_always_mapped(
                a in 0u8..=255, b in 0u8..=255, c in 0u8..=255,
                pre in "[a-z ]{0,5}[ (\\[=:,]",
                post in "[ )\\]:,][a-z ]{0,5}",
            ) {
                let ip = format!("10.{a}.{b}.{c}");
                let (out, report, _) = run(&format!("{pre}{ip}{post}"));
                prop_assert!(!out.contains(&ip), "{} kept in {}", ip, out);
                prop_assert_eq!(report.ipv4, 1);
            }

            #[test]
            fn host_names_are_always_mapped_with_their_length(
                labels in proptest::collection::vec("[a-g0-9][a-g0-9-]{0,8}", 1..4),
                tld in "[a-g]{2,8}",
                pre in "[a-z ]{0,5}[ (\"'=:,]",
                post in "[ )\"':,][a-z ]{0,5}",
            ) {
                let host = format!("{}.{tld}", labels.join("."));
                let input = format!("{pre}{host}{post}");
                let (out, report, _) = run(&input);
                prop_assert!(!out.contains(&host), "{} kept in {}", host, out);
                prop_assert_eq!(out.len(), input.len());
                prop_assert_eq!(report.hosts, 1);
            }

            #[test]
            fn ipv6_literals_are_always_mapped(
                groups in proptest::array::uniform8(0u16..=0xffff),
                pre in "[a-z ]{0,5}[ (\\[=,]",
                post in "[ )\\],][a-z ]{0,5}",
            ) {
                let addr = Ipv6Addr::from(groups);
                // Addresses whose compressed form is only short groups without `::` look like
                // byte strings and are skipped by design; everything else must be mapped.
                let text = addr.to_string();
                prop_assume!(text.contains("::") || text.split(':').any(|g| g.len() > 2));
                let (out, report, _) = run(&format!("{pre}{text}{post}"));
                prop_assert!(!out.contains(&text), "{} kept in {}", text, out);
                prop_assert_eq!(report.ipv6, 1);
            }
        }
    }
}
