//! The client log an engineer attaches next to a capture (`curl -v`, `openssl s_client`,
//! `gnutls-cli`, a Python `ssl`/`urllib`/`requests` traceback), sanitized with the very same
//! mapping as the capture.
//!
//! Fail closed, line by line: a line is kept only when it fits one of the known line shapes
//! of a supported client ([`shapes`]) and every field in it is either structural (verbs, TLS
//! versions, cipher names, alert and verify error texts, codes, counts, dates) or mapped
//! (addresses and host names to the capture's pseudonyms, distinguished-name values to `x`s,
//! fingerprints, serials, pins and session keys to same-length filler, paths to `[path]`,
//! header and command-line values removed). Any other line becomes
//! `[line removed: N characters]`: a body, a source line, a hex dump, a line of a client we
//! do not know. The output has exactly the input's lines and line endings (`\n`, `\r\n`).
//!
//! Not finding secrets inside kept text is the point: nothing unknown is kept, so nothing
//! needs finding. A sanitized log sanitizes to itself under an identity mapping, which is
//! how [`unsanitized_lines`] (used by `verify`) re-checks one.

mod command;
mod dn;
mod http;
mod pattern;
mod shapes;
mod tokens;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use dn::DnPiece;
use http::ValueRule;
use pattern::{Hole, Piece};

/// What the sanitizer calls to map things; implemented by the caller with its run-wide mapping
/// (so the log uses the very same pseudonyms as the sanitized capture).
pub trait LogMapper {
    fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4];
    fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16];
    /// A same-length pseudonym for a host name (lowercase ASCII in, same length out).
    fn host(&mut self, name: &str) -> String;
}

/// What [`sanitize_log`] kept, removed and replaced (counted over kept lines).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LogReport {
    /// Lines read from the input (a last line without a line ending counts too).
    pub lines: usize,
    pub lines_kept: usize,
    /// Lines that fit no known shape, replaced by `[line removed: N characters]`.
    pub lines_removed: usize,
    /// Header values, command-line values and paths removed from kept lines.
    pub values_removed: usize,
    /// Fingerprints, serials, pins, session IDs and keys, user names: same-length filler.
    pub secrets_filled: usize,
    pub dn_values: usize,
    pub ipv4: usize,
    pub ipv6: usize,
    pub hosts: usize,
}

/// The line that stands for a removed one.
pub fn removed_line(chars: usize) -> String {
    format!("[line removed: {chars} characters]")
}

/// Trust store paths that say which defaults a client used and name no one: kept.
const SYSTEM_PATHS: &[&str] = &[
    "/etc/ssl/certs",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/cert.pem",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/tls/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/usr/local/etc/openssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

/// What stands for a path that is not a system trust store.
const PATH_REMOVED: &str = "[path]";

/// Sanitizes a client log. Never fails and never panics; every input line gives one output
/// line with the same ending.
pub fn sanitize_log(text: &str, mapper: &mut impl LogMapper) -> (String, LogReport) {
    let mut r = Renderer {
        mapper,
        out: String::with_capacity(text.len()),
        report: LogReport::default(),
    };
    for (line, ending) in split_lines(text) {
        r.report.lines += 1;
        match shapes::classify(line) {
            Some(pieces) => {
                r.report.lines_kept += 1;
                for piece in pieces {
                    match piece {
                        Piece::Literal(t) => r.out.push_str(t),
                        Piece::Field(hole, t) => r.field(hole, t),
                    }
                }
            }
            None => {
                r.report.lines_removed += 1;
                r.out.push_str(&removed_line(line.chars().count()));
            }
        }
        r.out.push_str(ending);
    }
    (r.out, r.report)
}

/// The lines (1-based) of an already sanitized log that the sanitizer would not have written:
/// a line that fits no shape, that would change when sanitized again, or that holds an
/// address or host name the output may not hold.
pub fn unsanitized_lines(
    text: &str,
    address_allowed: impl Fn(IpAddr) -> bool,
    name_allowed: impl Fn(&str) -> bool,
) -> Vec<usize> {
    let mut bad = Vec::new();
    for (i, (line, _)) in split_lines(text).enumerate() {
        let mut check = IdentityCheck {
            address_allowed: &address_allowed,
            name_allowed: &name_allowed,
            refused: false,
        };
        let (again, report) = sanitize_log(line, &mut check);
        if report.lines_removed > 0 || again != line || check.refused {
            bad.push(i + 1);
        }
    }
    bad
}

/// Maps everything to itself and notes whether anything was not already a pseudonym.
struct IdentityCheck<'a, A, N> {
    address_allowed: &'a A,
    name_allowed: &'a N,
    refused: bool,
}

impl<A: Fn(IpAddr) -> bool, N: Fn(&str) -> bool> LogMapper for IdentityCheck<'_, A, N> {
    fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4] {
        self.refused |= !(self.address_allowed)(IpAddr::V4(a.into()));
        a
    }

    fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16] {
        self.refused |= !(self.address_allowed)(IpAddr::V6(a.into()));
        a
    }

    fn host(&mut self, name: &str) -> String {
        self.refused |= !(self.name_allowed)(name);
        name.to_string()
    }
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
        Some(match (with_cr.strip_suffix('\r'), ending_nl) {
            (Some(line), true) => (line, "\r\n"),
            (Some(line), false) => (line, "\r"),
            (None, true) => (with_cr, "\n"),
            (None, false) => (with_cr, ""),
        })
    })
}

/// Writes the fields of kept lines: structural ones as they are, the rest mapped or filled.
struct Renderer<'m, M> {
    mapper: &'m mut M,
    out: String,
    report: LogReport,
}

impl<M: LogMapper> Renderer<'_, M> {
    fn field(&mut self, hole: Hole, text: &str) {
        match hole {
            Hole::Num
            | Hole::Hex
            | Hole::Version
            | Hole::Dotted
            | Hole::Name
            | Hole::Names
            | Hole::Phrase
            | Hole::Date
            | Hole::Alpn
            | Hole::Progress
            | Hole::PyException
            | Hole::PyFunction
            | Hole::LibrarySource
            | Hole::Method
            | Hole::HttpVersion => self.out.push_str(text),
            Hole::Host | Hole::Addr => self.host_or_addr(text),
            Hole::Addrs => {
                for (i, addr) in text.split(", ").enumerate() {
                    self.out.push_str(if i == 0 { "" } else { ", " });
                    self.host_or_addr(addr);
                }
            }
            Hole::CertName => {
                let bare = text.strip_prefix("*.").unwrap_or(text);
                self.out.push_str(&text[..text.len() - bare.len()]);
                self.host_or_addr(bare);
            }
            Hole::Endpoint => self.endpoint(text),
            Hole::Dn => self.dn(text),
            Hole::Secret => self.secret(text),
            Hole::Path => self.path(text),
            Hole::UrlPath => self.url_path(text),
            Hole::Url => self.url(text),
            Hole::Header => self.header(text),
            Hole::Command => match command::render(text) {
                Some(clean) => {
                    self.report.values_removed += clean.matches(command::VALUE_REMOVED).count();
                    self.out.push_str(&clean);
                }
                None => self.out.push_str(command::VALUE_REMOVED),
            },
        }
    }

    /// An address (IPv6 maybe with a `%zone`, kept) or a host name.
    fn host_or_addr(&mut self, text: &str) {
        if let Some(a) = tokens::parse_ipv4(text) {
            self.report.ipv4 += 1;
            let m = self.mapper.ipv4(a);
            let _ = write!(self.out, "{}", Ipv4Addr::from(m));
        } else if let Some((a, zone)) = tokens::parse_ipv6_with_zone(text) {
            self.report.ipv6 += 1;
            let m = self.mapper.ipv6(a.octets());
            let _ = write!(self.out, "{}{zone}", Ipv6Addr::from(m));
        } else {
            self.report.hosts += 1;
            let pseudonym = self.mapper.host(&text.to_ascii_lowercase());
            self.out.push_str(&pseudonym);
        }
    }

    fn endpoint(&mut self, text: &str) {
        let Some((host, port)) = tokens::split_endpoint(text) else {
            return self.fill(text, 'x');
        };
        let bracketed = text.starts_with('[');
        self.out.push_str(if bracketed { "[" } else { "" });
        self.host_or_addr(host);
        self.out.push_str(if bracketed { "]:" } else { ":" });
        self.out.push_str(port);
    }

    fn dn(&mut self, text: &str) {
        for piece in dn::parse(text).unwrap_or_default() {
            match piece {
                DnPiece::Text(t) => self.out.push_str(t),
                DnPiece::Value(v) => self.dn_value(v),
            }
        }
    }

    /// A host name (one with a dot, maybe `*.`) or an address is mapped; an e-mail keeps its
    /// shape; anything else becomes `x`s of the same length.
    fn dn_value(&mut self, v: &str) {
        if v.is_empty() {
            return;
        }
        self.report.dn_values += 1;
        let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
        let inner = if quoted { &v[1..v.len() - 1] } else { v };
        let bare = inner.strip_prefix("*.").unwrap_or(inner);
        if quoted {
            self.out.push('"');
        }
        if tokens::parse_ipv4(inner).is_some() || tokens::parse_ipv6_literal(inner).is_some() {
            self.host_or_addr(inner);
        } else if bare.contains('.') && tokens::is_host_name(bare) {
            self.out.push_str(&inner[..inner.len() - bare.len()]);
            self.host_or_addr(bare);
        } else if let Some((local, domain)) = tokens::split_email(inner) {
            self.fill(local, 'x');
            self.out.push('@');
            self.host_or_addr(domain);
        } else {
            self.fill(inner, 'x');
        }
        if quoted {
            self.out.push('"');
        }
    }

    /// Same-length filler: `0`s for hex (`:` and blanks kept), `x`s for anything else.
    fn secret(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.report.secrets_filled += 1;
        let hex = text
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b' '))
            || text.strip_prefix("0x").is_some_and(tokens::is_hex);
        let fill = if hex { '0' } else { 'x' };
        self.out.extend(text.chars().map(|c| match c {
            ':' | ' ' if hex => c,
            _ => fill,
        }));
    }

    fn path(&mut self, text: &str) {
        if SYSTEM_PATHS.contains(&text) || text == PATH_REMOVED {
            self.out.push_str(text);
        } else {
            self.report.values_removed += 1;
            self.out.push_str(PATH_REMOVED);
        }
    }

    /// A URL path and query: `/`, `?`, `&`, `=` kept, every other character an `x`.
    fn url_path(&mut self, text: &str) {
        self.out.extend(text.chars().map(|c| match c {
            '/' | '?' | '&' | '=' | '#' => c,
            _ => 'x',
        }));
    }

    fn url(&mut self, text: &str) {
        let Some(u) = http::split_url(text) else {
            return self.fill(text, 'x');
        };
        self.out.push_str(u.scheme);
        self.out.push_str(if u.bracketed { "[" } else { "" });
        self.host_or_addr(u.host);
        self.out.push_str(if u.bracketed { "]" } else { "" });
        self.out.push_str(u.port);
        self.url_path(u.path);
    }

    /// `Name: value`: the name kept, the value by the header table.
    fn header(&mut self, text: &str) {
        let Some((name, sep, value)) = http::split_header(text) else {
            return self.fill(text, 'x');
        };
        self.out.push_str(name);
        self.out.push(':');
        self.out.push_str(sep);
        if value.is_empty() || value == http::VALUE_REMOVED {
            self.out.push_str(value);
            return;
        }
        match http::header_rule(name) {
            ValueRule::Keep(valid) if valid(value) => self.out.push_str(value),
            ValueRule::Host if tokens::split_endpoint(value).is_some() => self.endpoint(value),
            ValueRule::Host if tokens::is_host_name(value) => self.host_or_addr(value),
            ValueRule::UrlOrPath if http::split_url(value).is_some() => self.url(value),
            ValueRule::UrlOrPath | ValueRule::Path
                if value.starts_with('/') && !value.contains(' ') =>
            {
                self.url_path(value)
            }
            _ => {
                self.report.values_removed += 1;
                self.out.push_str(http::VALUE_REMOVED);
            }
        }
    }

    /// `text` with every character replaced by `fill` (same length in characters).
    fn fill(&mut self, text: &str, fill: char) {
        self.out
            .extend(std::iter::repeat_n(fill, text.chars().count()));
    }
}

#[cfg(test)]
mod tests;
