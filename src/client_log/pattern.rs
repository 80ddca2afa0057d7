//! Line shapes written as templates: literal text with typed holes, `* Connected to {host}
//! ({addr}) port {num} (#{num})`. A line matches a template when every literal is found in
//! order and every hole's text is valid for its kind. A hole ends where the next literal is
//! first found (or at the end of the line): no backtracking, so a line costs at most one
//! pass per template.

use super::tokens::{self, split_endpoint};

/// What a hole may hold. Structural kinds are copied; the others are mapped or filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hole {
    /// Decimal digits.
    Num,
    /// Hexadecimal digits (error codes).
    Hex,
    /// `TLSv1.3`, `SSLv3`.
    Version,
    /// `3.0.11` (a program version).
    Dotted,
    /// A cipher, group, algorithm or keyword name.
    Name,
    /// `:`-separated names (signature algorithm lists).
    Names,
    /// An error text, alert or message name.
    Phrase,
    /// A date or time.
    Date,
    /// curl's ALPN list.
    Alpn,
    /// A row of curl's progress meter.
    Progress,
    /// A Python exception class from the table of TLS-related ones.
    PyException,
    /// A Python function name in a frame line.
    PyFunction,
    /// A TLS library's source file (`ssl/record/rec_layer_s3.c`).
    LibrarySource,
    /// A host name or an address: mapped.
    Host,
    /// A host name, maybe a wildcard `*.name`: mapped.
    CertName,
    /// An IPv4 or IPv6 address (IPv6 maybe with a `%zone`): mapped.
    Addr,
    /// Addresses separated by `, ` (curl's resolver lines): each mapped.
    Addrs,
    /// `host:port`, `a.b.c.d:port`, `[v6]:port`: the address or host mapped.
    Endpoint,
    /// A distinguished name: each value replaced by a placeholder.
    Dn,
    /// Key material, fingerprints, serials, pins, session IDs, user names: same-length filler.
    Secret,
    /// A file path: kept when it is a well-known system trust store, else `[path]`.
    Path,
    /// A URL path and query: every character but `/` filled.
    UrlPath,
    /// `https://host[:port]/path`: host mapped, path filled.
    Url,
    /// An HTTP method.
    Method,
    /// `1.1`, `2`, `1.0`, `1.x`, `3`.
    HttpVersion,
    /// `Name: value` of an HTTP header: the name kept, the value by the header table.
    Header,
    /// A pasted command line: program and flags kept, values removed.
    Command,
}

impl Hole {
    fn from_name(name: &str) -> Option<Hole> {
        Some(match name {
            "num" => Hole::Num,
            "hex" => Hole::Hex,
            "ver" => Hole::Version,
            "dotted" => Hole::Dotted,
            "name" => Hole::Name,
            "names" => Hole::Names,
            "phrase" => Hole::Phrase,
            "date" => Hole::Date,
            "alpn" => Hole::Alpn,
            "progress" => Hole::Progress,
            "pyexc" => Hole::PyException,
            "pyfn" => Hole::PyFunction,
            "src" => Hole::LibrarySource,
            "host" => Hole::Host,
            "certname" => Hole::CertName,
            "addr" => Hole::Addr,
            "addrs" => Hole::Addrs,
            "endpoint" => Hole::Endpoint,
            "dn" => Hole::Dn,
            "secret" => Hole::Secret,
            "path" => Hole::Path,
            "urlpath" => Hole::UrlPath,
            "url" => Hole::Url,
            "method" => Hole::Method,
            "httpver" => Hole::HttpVersion,
            "header" => Hole::Header,
            "command" => Hole::Command,
            _ => return None,
        })
    }

    /// Whether `text` may fill this hole (mapped kinds check that they can be mapped).
    fn accepts(self, text: &str) -> bool {
        match self {
            Hole::Num => tokens::is_number(text),
            Hole::Hex => tokens::is_hex(text),
            Hole::Version => tokens::is_tls_version(text),
            Hole::Dotted => tokens::is_dotted_version(text),
            Hole::Name => tokens::is_name(text),
            Hole::Names => tokens::is_name_list(text),
            Hole::Phrase => tokens::is_phrase(text),
            Hole::Date => tokens::is_date(text),
            Hole::Alpn => tokens::is_alpn_list(text),
            Hole::Progress => tokens::is_progress_row(text),
            Hole::PyException => PYTHON_EXCEPTIONS.contains(&text),
            Hole::PyFunction => tokens::is_python_function(text),
            Hole::LibrarySource => tokens::is_library_source(text),
            Hole::Host => tokens::is_host_name(text) || is_addr(text),
            Hole::CertName => tokens::is_host_name(text.strip_prefix("*.").unwrap_or(text)),
            Hole::Addr => is_addr(text),
            Hole::Addrs => text.split(", ").all(is_addr),
            Hole::Endpoint => split_endpoint(text).is_some(),
            Hole::Dn => super::dn::parse(text).is_some(),
            Hole::Secret => text.len() <= 1024 && !text.contains('\t'),
            Hole::Path => !text.is_empty() && text.len() <= 4096,
            Hole::UrlPath => text.starts_with('/') && !text.contains(' '),
            Hole::Url => super::http::split_url(text).is_some(),
            Hole::Method => super::http::METHODS.contains(&text),
            Hole::HttpVersion => matches!(text, "1.0" | "1.1" | "1.x" | "2" | "3"),
            Hole::Header => super::http::split_header(text).is_some(),
            Hole::Command => super::command::is_command(text),
        }
    }
}

/// Whether `{name}` in a template is a hole (else the braces are literal text).
#[cfg(test)]
pub fn is_hole_name(name: &str) -> bool {
    Hole::from_name(name).is_some()
}

/// Python exceptions that end a TLS failure's traceback.
const PYTHON_EXCEPTIONS: &[&str] = &[
    "ssl.SSLError",
    "ssl.SSLCertVerificationError",
    "ssl.SSLZeroReturnError",
    "ssl.SSLEOFError",
    "ssl.SSLSyscallError",
    "ssl.CertificateError",
    "urllib.error.URLError",
    "requests.exceptions.SSLError",
    "requests.exceptions.ConnectionError",
    "urllib3.exceptions.SSLError",
    "urllib3.exceptions.MaxRetryError",
    "ConnectionResetError",
    "ConnectionRefusedError",
    "TimeoutError",
    "socket.timeout",
];

fn is_addr(s: &str) -> bool {
    tokens::parse_ipv4(s).is_some() || tokens::parse_ipv6_with_zone(s).is_some()
}

/// A piece of a matched line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text of the template: structural by construction.
    Literal(&'a str),
    /// A hole's text, to be copied, mapped or filled by its kind.
    Field(Hole, &'a str),
}

/// A template split into its literal and hole segments.
enum Segment<'t> {
    Literal(&'t str),
    Hole(Hole),
}

fn segments(template: &str) -> impl Iterator<Item = Segment<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(inner) = rest.strip_prefix('{')
            && let Some(close) = inner.find('}')
            && let Some(hole) = Hole::from_name(&inner[..close])
        {
            rest = &inner[close + 1..];
            return Some(Segment::Hole(hole));
        }
        let next = rest[1..].find('{').map_or(rest.len(), |p| p + 1);
        let (lit, after) = rest.split_at(next);
        rest = after;
        Some(Segment::Literal(lit))
    })
}

/// A template split once into its segments, to be matched against many lines.
pub struct Template(Vec<Segment<'static>>);

impl Template {
    pub fn parse(template: &'static str) -> Template {
        Template(segments(template).collect())
    }

    /// The pieces of `line`, or `None` when it does not fit.
    pub fn matches<'l>(&self, line: &'l str) -> Option<Vec<Piece<'l>>> {
        let segs = &self.0;
        let mut pieces = Vec::with_capacity(segs.len());
        let mut at = 0usize;
        for (k, seg) in segs.iter().enumerate() {
            let rest = line.get(at..)?;
            match seg {
                Segment::Literal(lit) => {
                    if !rest.starts_with(lit) {
                        return None;
                    }
                    pieces.push(Piece::Literal(&rest[..lit.len()]));
                    at += lit.len();
                }
                Segment::Hole(hole) => {
                    let end = match segs.get(k + 1) {
                        // The last literal ends the line, so it is found from the end: a hole
                        // may then hold it (`[cookie: [value removed]]`).
                        Some(Segment::Literal(next)) if k + 2 == segs.len() => {
                            rest.strip_suffix(next)?.len()
                        }
                        Some(Segment::Literal(next)) => rest.find(next)?,
                        Some(Segment::Hole(_)) => return None,
                        None => rest.len(),
                    };
                    let text = &rest[..end];
                    if !hole.accepts(text) {
                        return None;
                    }
                    pieces.push(Piece::Field(*hole, text));
                    at += end;
                }
            }
        }
        (at == line.len()).then_some(pieces)
    }
}

/// Matches `line` against `template` (parsed for this one call).
#[cfg(test)]
pub fn match_template<'l>(template: &'static str, line: &'l str) -> Option<Vec<Piece<'l>>> {
    Template::parse(template).matches(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_lines_with_valid_holes() {
        let t = "* Connected to {host} ({addr}) port {num} (#{num})";
        let p = match_template(t, "* Connected to api.example.net (10.1.2.3) port 443 (#0)");
        assert_eq!(
            p,
            Some(vec![
                Piece::Literal("* Connected to "),
                Piece::Field(Hole::Host, "api.example.net"),
                Piece::Literal(" ("),
                Piece::Field(Hole::Addr, "10.1.2.3"),
                Piece::Literal(") port "),
                Piece::Field(Hole::Num, "443"),
                Piece::Literal(" (#"),
                Piece::Field(Hole::Num, "0"),
                Piece::Literal(")"),
            ])
        );
        assert!(match_template(t, "* Connected to a b (10.1.2.3) port 443 (#0)").is_none());
        assert!(match_template(t, "* Connected to a (10.1.2.3) port 443 (#0) and more").is_none());
        assert!(match_template(t, "* Connected to a (not-an-ip) port 443 (#0)").is_none());
        assert!(match_template("{num}", "").is_none());
        assert!(match_template("---", "---").is_some());
    }

    #[test]
    fn endpoints() {
        assert_eq!(split_endpoint("10.1.2.3:443"), Some(("10.1.2.3", "443")));
        assert_eq!(
            split_endpoint("[fe80::1%eth0]:8443"),
            Some(("fe80::1%eth0", "8443"))
        );
        assert_eq!(
            split_endpoint("api.example.net:443"),
            Some(("api.example.net", "443"))
        );
        assert_eq!(split_endpoint("fe80::1:443"), None);
        assert_eq!(split_endpoint("a b:443"), None);
    }
}
