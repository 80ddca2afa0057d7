//! Token scanners: is this piece of a line one of the structural things a client prints
//! (a number, a TLS version, a cipher name, an error text, a date), or an address or host
//! name that can be mapped? Each answers for a whole piece, never for part of one.

use std::net::Ipv6Addr;

/// Longest structural token or phrase taken (longer pieces are not what clients print).
const MAX_TOKEN: usize = 200;

/// Decimal digits.
pub fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|c| c.is_ascii_digit())
}

/// Hexadecimal digits (error codes, `CONNECTED(00000003)`).
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `3.0.11`, `7.88.1`: dotted numbers that are not an IPv4 address.
pub fn is_dotted_version(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.split('.').all(is_number) && parse_ipv4(s).is_none()
}

/// `TLSv1.3`, `TLSv1`, `SSLv3`, `DTLSv1.2`, `TLS1.3`.
pub fn is_tls_version(s: &str) -> bool {
    let rest = ["DTLS", "TLS", "SSL"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .map(|r| r.strip_prefix('v').unwrap_or(r));
    match rest {
        Some(r) => matches!(r, "1" | "1.0" | "1.1" | "1.2" | "1.3" | "2" | "3"),
        None => false,
    }
}

/// An algorithm, cipher, group or keyword name: `TLS_AES_256_GCM_SHA384`, `X25519`,
/// `RSA-PSS`, `sha256WithRSAEncryption`, `ECDHE-RSA-AES256-GCM-SHA384`, `RSA-PSS+SHA256`.
/// No dots, so it is never a host name; not an IPv6 address.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+'))
        && s.bytes().any(|c| c.is_ascii_alphabetic())
}

/// A `:`-separated list of names (`RSA-PSS+SHA256:ECDSA+SHA256`), not an IPv6 address.
pub fn is_name_list(s: &str) -> bool {
    parse_ipv6_literal(s).is_none() && s.split(':').all(is_name)
}

/// An error text, alert or message name as clients print them: words of letters, digits,
/// `'`, `-`, `_`, `(`, `)`, `,` separated by single blanks; a `.`, `:` or `;` only at a
/// word's end. No word may be a host name, an address or an e-mail: those hold a dot or
/// `@` inside a word, which a phrase never has.
pub fn is_phrase(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_TOKEN || s.starts_with(' ') {
        return false;
    }
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| match c {
        b' ' => b.get(i + 1) != Some(&b' '),
        b'.' | b':' | b';' => b.get(i + 1).is_none_or(|&n| n == b' ' || n == b'.'),
        c => c.is_ascii_alphanumeric() || matches!(c, b'\'' | b'-' | b'_' | b'(' | b')' | b','),
    })
}

/// A date or time as clients print it: `Jan 15 00:00:00 2024 GMT`, `2026-12-07 02:59:46 UTC`,
/// `Mon, 07 Dec 2026 02:59:51 GMT`. Letters, digits, blanks, `:`, `,`, `-`, `+` only.
pub fn is_date(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes().any(|c| c.is_ascii_digit())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b' ' | b':' | b',' | b'-' | b'+'))
}

/// A row of curl's progress meter: six or more columns of digits, `--:--:--` and `k`/`M`/`G`
/// (carriage returns between its updates included; a long run keeps many updates).
pub fn is_progress_row(s: &str) -> bool {
    s.len() <= 64 * 1024
        && s.split_ascii_whitespace().count() >= 6
        && s.bytes().all(|c| {
            c.is_ascii_digit() || matches!(c, b' ' | b'\r' | b'-' | b':' | b'k' | b'M' | b'G')
        })
}

/// ALPN protocol identifiers as curl lists them (`h2,http/1.1`).
pub fn is_alpn_list(s: &str) -> bool {
    const KNOWN: &[&str] = &["h2", "h2c", "h3", "http/1.1", "http/1.0", "http/0.9"];
    s.split(',').all(|p| KNOWN.contains(&p.trim()))
}

/// A Python function name in a traceback frame: an identifier or `<module>`-like.
pub fn is_python_function(s: &str) -> bool {
    let inner = s
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(s);
    !inner.is_empty()
        && inner.len() <= 64
        && inner
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !inner.as_bytes()[0].is_ascii_digit()
}

/// A source file of a TLS library, as OpenSSL names it in an error line
/// (`ssl/record/rec_layer_s3.c`).
pub fn is_library_source(s: &str) -> bool {
    s.len() <= 64
        && !s.starts_with('/')
        && s.ends_with(".c")
        && s.bytes().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'/' | b'.')
        })
        && s.matches('.').count() == 1
}

/// A dotted quad with every octet 0..=255 (at most three digits each).
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
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

/// An IPv6 literal, possibly with a `%zone`: the address and the zone (with its `%`).
pub fn parse_ipv6_with_zone(s: &str) -> Option<(Ipv6Addr, &str)> {
    let (addr, zone) = match s.find('%') {
        Some(p) => s.split_at(p),
        None => (s, ""),
    };
    if !zone
        .bytes()
        .skip(1)
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        return None;
    }
    parse_ipv6_literal(addr).map(|a| (a, zone))
}

/// A whole string that is an IPv6 literal (two or more colons, parsed by `Ipv6Addr`).
pub fn parse_ipv6_literal(s: &str) -> Option<Ipv6Addr> {
    if s.bytes().filter(|&c| c == b':').count() < 2 {
        return None;
    }
    s.parse().ok()
}

/// A host name as it appears where a client prints one: one or more dot-joined labels of
/// `[A-Za-z0-9_-]{1,63}`, at most 253 characters. Where a client prints a host, any such
/// token is one (`localhost` and `db01` included); the position, not the shape, decides.
pub fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        })
}

/// `local@domain` with a host-name domain: the two parts.
pub fn split_email(s: &str) -> Option<(&str, &str)> {
    let (local, domain) = s.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-'));
    (local_ok && domain.contains('.') && is_host_name(domain)).then_some((local, domain))
}

/// `host:port`, `1.2.3.4:port`, `[v6]:port`: the host (without brackets) and the port.
pub fn split_endpoint(s: &str) -> Option<(&str, &str)> {
    let (host, port) = match s.strip_prefix('[') {
        Some(rest) => {
            let (h, p) = rest.split_once("]:")?;
            parse_ipv6_with_zone(h)?;
            (h, p)
        }
        None => {
            let (h, p) = s.rsplit_once(':')?;
            (is_host_name(h) || parse_ipv4(h).is_some()).then_some((h, p))?
        }
    };
    is_number(port).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_tokens() {
        assert!(is_tls_version("TLSv1.3") && is_tls_version("SSLv3") && is_tls_version("TLS1.2"));
        assert!(!is_tls_version("TLSv1.9") && !is_tls_version("TLSv1.3x"));
        assert!(is_name("TLS_AES_256_GCM_SHA384") && is_name("RSA-PSS") && is_name("X25519"));
        assert!(!is_name("api.example.net") && !is_name("2048") && !is_name(""));
        assert!(is_name_list("RSA-PSS+SHA256:ECDSA+SHA256"));
        assert!(!is_name_list("fe80::1") && !is_name_list("dead:beef:cafe::1"));
        assert!(is_dotted_version("3.0.11") && !is_dotted_version("10.77.0.2"));
        assert!(is_hex("0A00042E") && !is_hex("0x12"));
    }

    #[test]
    fn phrases_hold_no_names_or_addresses() {
        for ok in [
            "unable to get local issuer certificate",
            "tlsv1 alert protocol version",
            "unknown CA",
            "certificate verify failed: unable to get local issuer certificate",
            "The certificate is NOT trusted. The certificate issuer is unknown.",
            "server did not agree on a protocol. Uses default.",
            "RSA sign, ECDSA sign",
            "Newsession Ticket",
        ] {
            assert!(is_phrase(ok), "{ok:?}");
        }
        for bad in [
            "connect to api.example.net failed",
            "from 10.1.2.3",
            "mail ops@example.com",
            "fe80::1 unreachable",
            "path /home/alice",
            "two  blanks",
            " leading",
            "",
            "x=1",
        ] {
            assert!(!is_phrase(bad), "{bad:?}");
        }
    }

    #[test]
    fn dates_and_progress() {
        assert!(is_date("Jan 15 00:00:00 2024 GMT") && is_date("2026-12-07 02:59:46 UTC"));
        assert!(is_date("Mon, 07 Dec 2026 02:59:51 GMT"));
        assert!(!is_date("10.1.2.3") && !is_date("api.example.net") && !is_date("GMT"));
        assert!(is_progress_row(
            "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
        ));
        assert!(is_progress_row(
            "\r  0     0    0     0    0     0      0      0 --:--:--"
        ));
        assert!(!is_progress_row("10.77.0.2 0 0 0 0 0") && !is_progress_row("0 0"));
    }

    #[test]
    fn addresses_and_hosts() {
        assert_eq!(parse_ipv4("10.77.0.2"), Some([10, 77, 0, 2]));
        assert_eq!(parse_ipv4("1.2.3"), None);
        assert_eq!(parse_ipv4("1.2.3.256"), None);
        assert_eq!(parse_ipv4("01.2.3.4444"), None);
        let (a, zone) = parse_ipv6_with_zone("fe80::1%eth0").unwrap();
        assert_eq!((a, zone), ("fe80::1".parse().unwrap(), "%eth0"));
        assert!(parse_ipv6_literal("12:34").is_none());
        assert!(is_host_name("api.example.net") && is_host_name("db01"));
        assert!(!is_host_name("a..b") && !is_host_name("a b") && !is_host_name(""));
        assert_eq!(split_email("ops@example.net"), Some(("ops", "example.net")));
        assert_eq!(split_email("ops@localhost"), None);
    }

    #[test]
    fn python_and_library_names() {
        assert!(is_python_function("<module>") && is_python_function("do_open"));
        assert!(!is_python_function("a.b") && !is_python_function("<>"));
        assert!(is_library_source("ssl/record/rec_layer_s3.c"));
        assert!(!is_library_source("/home/alice/x.c"));
        assert!(!is_library_source("api.example.c.c"));
        assert!(is_alpn_list("h2,http/1.1") && !is_alpn_list("h2,evil.example"));
    }
}
