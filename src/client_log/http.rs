//! HTTP as curl shows it: URLs, request lines, headers. A header keeps its name; its value
//! only when the header is in [`header_rule`]'s table and the value has that header's
//! grammar, otherwise the value is removed.

use super::tokens;
use super::tokens::split_endpoint;

pub const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];

/// What stands in for a removed header value.
pub const VALUE_REMOVED: &str = "[value removed]";

/// The parts of an `http(s)://host[:port]/path` URL. A URL with user information
/// (`user:pass@host`) is no URL here: its line is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Url<'a> {
    /// `https://`
    pub scheme: &'a str,
    /// The host or address, without brackets.
    pub host: &'a str,
    /// Whether the host was in brackets (IPv6).
    pub bracketed: bool,
    /// `:443` or empty.
    pub port: &'a str,
    /// The path, query and fragment, maybe empty.
    pub path: &'a str,
}

pub fn split_url(s: &str) -> Option<Url<'_>> {
    let scheme_end = ["https://", "http://", "wss://", "ws://"]
        .iter()
        .find(|p| s.starts_with(*p))?
        .len();
    let rest = s.get(scheme_end..)?;
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(auth_end);
    if authority.contains('@') || path.contains(' ') {
        return None;
    }
    let (host, bracketed, port) = if authority.starts_with('[') {
        let (h, p) = match authority.find("]:") {
            Some(_) => split_endpoint(authority)
                .map(|(h, p)| (h, &authority[authority.len() - p.len() - 1..]))?,
            None => (authority.strip_prefix('[')?.strip_suffix(']')?, ""),
        };
        tokens::parse_ipv6_with_zone(h)?;
        (h, true, p)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if tokens::is_number(p) => (h, false, &authority[h.len()..]),
            _ => (authority, false, ""),
        }
    };
    if !(tokens::is_host_name(host) || bracketed) {
        return None;
    }
    Some(Url {
        scheme: &s[..scheme_end],
        host,
        bracketed,
        port,
        path,
    })
}

/// `Name: value` (also HTTP/2's `:path: /x`): the name, the separator and the value.
pub fn split_header(s: &str) -> Option<(&str, &str, &str)> {
    let pseudo = s.starts_with(':');
    let body = if pseudo { &s[1..] } else { s };
    let colon = body.find(':')? + usize::from(pseudo);
    let name = &s[..colon];
    let bare = name.strip_prefix(':').unwrap_or(name);
    if bare.is_empty()
        || bare.len() > 64
        || !bare
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return None;
    }
    let after = &s[colon + 1..];
    let value = after.trim_start_matches(' ');
    Some((name, &after[..after.len() - value.len()], value))
}

/// What happens to a header's value.
#[derive(Debug, Clone, Copy)]
pub enum ValueRule {
    /// Kept when it has this grammar, removed otherwise.
    Keep(fn(&str) -> bool),
    /// A host or `host:port`: mapped.
    Host,
    /// A URL or a path: host mapped, path filled.
    UrlOrPath,
    /// A path: filled.
    Path,
    /// Always removed: cookies, credentials, `Server`, anything not in the table.
    Remove,
}

/// The header table (names compared without case). Values that identify a person, a server
/// or a session (`Server`, `Cookie`, `Set-Cookie`, `Authorization`, `Via`, `X-*`) are not in
/// it and are removed.
pub fn header_rule(name: &str) -> ValueRule {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "content-length" => ValueRule::Keep(tokens::is_number),
        "content-type" | "accept" => ValueRule::Keep(is_media_type_list),
        "date" | "last-modified" | "expires" => ValueRule::Keep(tokens::is_date),
        "connection" | "transfer-encoding" | "content-encoding" | "accept-encoding"
        | "accept-ranges" | "vary" | "cache-control" => ValueRule::Keep(is_name_list),
        "user-agent" => ValueRule::Keep(is_curl_agent),
        ":method" => ValueRule::Keep(|v| METHODS.contains(&v)),
        ":scheme" => ValueRule::Keep(|v| v == "https" || v == "http"),
        ":status" => ValueRule::Keep(tokens::is_number),
        "host" | ":authority" => ValueRule::Host,
        "location" | "content-location" => ValueRule::UrlOrPath,
        ":path" => ValueRule::Path,
        _ => ValueRule::Remove,
    }
}

/// `text/html; charset=utf-8`, `*/*`, `application/json, text/plain;q=0.9`.
fn is_media_type_list(v: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+.^_`|~-".contains(&c))
    };
    v.split(',').all(|item| {
        let mut parts = item.trim().split(';');
        let media = parts.next().unwrap_or_default();
        let media_ok = media.split_once('/').is_some_and(|(t, s)| {
            token(t) && token(s) && !(s.contains('.') && tokens::is_host_name(s))
        });
        media_ok
            && parts.all(|p| {
                p.trim().split_once('=').is_some_and(|(k, v)| {
                    tokens::is_name(k) && tokens::is_name(v.trim_matches('"'))
                })
            })
    })
}

/// `keep-alive`, `gzip, deflate, br`, `no-cache, max-age=0`.
fn is_name_list(v: &str) -> bool {
    v.split(',').all(|item| {
        let item = item.trim();
        match item.split_once('=') {
            Some((k, n)) => tokens::is_name(k) && tokens::is_number(n),
            None => tokens::is_name(item),
        }
    })
}

/// `curl/7.88.1` only: any other agent may name a product of the sender's.
fn is_curl_agent(v: &str) -> bool {
    v.strip_prefix("curl/")
        .is_some_and(tokens::is_dotted_version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = split_url("https://api.example.net:8443/a/b?c=d").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.port, u.path),
            ("https://", "api.example.net", ":8443", "/a/b?c=d")
        );
        let u = split_url("https://[2001:db8::1]:443/").unwrap();
        assert_eq!(
            (u.host, u.bracketed, u.port, u.path),
            ("2001:db8::1", true, ":443", "/")
        );
        assert_eq!(split_url("https://host.example").unwrap().path, "");
        assert!(split_url("https://user:pw@host.example/").is_none());
        assert!(split_url("ftp://host.example/").is_none());
        assert!(split_url("https://a b/").is_none());
    }

    #[test]
    fn headers_and_their_rules() {
        assert_eq!(
            split_header("Content-Type: text/html"),
            Some(("Content-Type", " ", "text/html"))
        );
        assert_eq!(split_header(":path: /x"), Some((":path", " ", "/x")));
        assert_eq!(split_header("Host:"), Some(("Host", "", "")));
        assert!(split_header("not a header").is_none());
        let keeps = |name: &str, v: &str| matches!(header_rule(name), ValueRule::Keep(f) if f(v));
        assert!(keeps("content-type", "text/html; charset=utf-8"));
        assert!(keeps("Accept", "*/*"));
        assert!(keeps("Date", "Mon, 07 Dec 2026 02:59:51 GMT"));
        assert!(keeps("User-Agent", "curl/7.88.1"));
        assert!(!keeps("User-Agent", "AcmeBot/1.0"));
        assert!(!keeps("content-type", "evil.example.com"));
        for name in [
            "Server",
            "Set-Cookie",
            "Cookie",
            "Authorization",
            "X-Served-By",
            "Via",
        ] {
            assert!(matches!(header_rule(name), ValueRule::Remove), "{name}");
        }
    }
}
