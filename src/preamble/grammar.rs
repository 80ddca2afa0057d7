//! Line grammars the text preambles share: reply codes (SMTP, FTP), words, keywords from a
//! registry, and the standard reason phrases of HTTP status codes.

/// `NNN ` / `NNN-` / `NNN` at the start of a reply line: the code and whether it is the last
/// line of the reply.
pub fn reply_code(text: &[u8]) -> Option<(u16, bool)> {
    let digits = text.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'1'..=b'5').contains(&digits[0]) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    match text.get(3) {
        None | Some(b' ') => Some((code, true)),
        Some(b'-') => Some((code, false)),
        _ => None,
    }
}

/// The first word of a line (up to a space) and where the rest starts.
pub fn first_word(text: &[u8]) -> (&[u8], usize) {
    match text.iter().position(|&b| b == b' ') {
        Some(i) => (&text[..i], i + 1),
        None => (text, text.len()),
    }
}

/// `end`, or one past it when a space follows there: a kept word keeps the separator after
/// it, so the skeleton still reads as the same words (and is its own skeleton).
pub fn with_space(text: &[u8], end: usize) -> usize {
    if text.get(end) == Some(&b' ') {
        end + 1
    } else {
        end
    }
}

/// `word` is one of `registry` (ASCII case-insensitive).
pub fn is_one_of(word: &[u8], registry: &[&str]) -> bool {
    registry
        .iter()
        .any(|k| k.as_bytes().eq_ignore_ascii_case(word))
}

/// SMTP service extensions (IANA "SMTP Service Extensions" registry): kept as keywords of an
/// EHLO reply line, their parameters filled.
pub const SMTP_EXTENSIONS: &[&str] = &[
    "8BITMIME",
    "ATRN",
    "AUTH",
    "BINARYMIME",
    "BURL",
    "CHECKPOINT",
    "CHUNKING",
    "CONNEG",
    "CONPERM",
    "DELIVERBY",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "ETRN",
    "EXPN",
    "FUTURERELEASE",
    "HELP",
    "LIMITS",
    "MT-PRIORITY",
    "MTRK",
    "NO-SOLICITING",
    "ONEX",
    "PIPELINING",
    "REQUIRETLS",
    "RRVS",
    "SIZE",
    "SMTPUTF8",
    "STARTTLS",
    "SUBMITTER",
    "TURN",
    "UTF8SMTP",
    "VERB",
    "VRFY",
];

/// IMAP capabilities kept in a CAPABILITY response (IANA "IMAP Capabilities", the ones a
/// STARTTLS dialogue shows); others are filled.
pub const IMAP_CAPABILITIES: &[&str] = &[
    "IMAP4rev1",
    "IMAP4rev2",
    "STARTTLS",
    "LOGINDISABLED",
    "AUTH=PLAIN",
    "AUTH=LOGIN",
    "SASL-IR",
    "LITERAL+",
    "LITERAL-",
    "ID",
    "ENABLE",
    "IDLE",
    "NAMESPACE",
    "UNSELECT",
    "UIDPLUS",
    "CHILDREN",
];

/// POP3 capabilities (IANA "POP3 Extension Mechanism" registry).
pub const POP3_CAPABILITIES: &[&str] = &[
    "TOP",
    "USER",
    "SASL",
    "RESP-CODES",
    "LOGIN-DELAY",
    "PIPELINING",
    "EXPIRE",
    "UIDL",
    "IMPLEMENTATION",
    "AUTH-RESP-CODE",
    "STLS",
    "UTF8",
    "LANG",
];

/// HTTP header fields kept by name in a CONNECT request or answer (their values are filled,
/// a Content-Length's digits aside).
pub const HTTP_HEADERS: &[&str] = &[
    "Host",
    "User-Agent",
    "Proxy-Connection",
    "Connection",
    "Keep-Alive",
    "Proxy-Authorization",
    "Proxy-Authenticate",
    "Content-Length",
    "Content-Type",
    "Cache-Control",
    "Pragma",
    "Server",
    "Date",
    "Via",
    "Mime-Version",
    "X-Squid-Error",
];

/// The standard reason phrase of an HTTP status (RFC 9110), and the one proxies send for a
/// tunnel; any other phrase is filled.
pub fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// The reason phrase a proxy sends with a 200 for an established tunnel.
pub const TUNNEL_ESTABLISHED: &str = "Connection established";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_codes() {
        assert_eq!(reply_code(b"250-PIPELINING"), Some((250, false)));
        assert_eq!(reply_code(b"220 ready"), Some((220, true)));
        assert_eq!(reply_code(b"220"), Some((220, true)));
        assert_eq!(reply_code(b"22"), None);
        assert_eq!(reply_code(b"2200"), None);
        assert_eq!(reply_code(b"abc "), None);
        assert_eq!(reply_code(b"620 x"), None);
    }
}
