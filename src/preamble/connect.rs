//! HTTP CONNECT through a proxy (RFC 9110 §9.3.6): the request line and its header fields, the
//! proxy's status line and fields; a 2xx starts the tunnel (TLS follows), anything else is a
//! refusal, after which the client may ask again on the same connection (a 407 answered with
//! credentials).

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::grammar::{HTTP_HEADERS, TUNNEL_ESTABLISHED, is_one_of, reason_phrase};
use super::outcome::Refusal;

/// The request a CONNECT exchange is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    host: Vec<u8>,
    port: u16,
}

/// Where a CONNECT preamble is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connect {
    Request,
    RequestFields(Target),
    Status(Target),
    ReplyFields {
        target: Target,
        status: u16,
        body: usize,
    },
}

const METHOD: &[u8] = b"CONNECT ";

impl Connect {
    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        let role = match self {
            Connect::Request | Connect::RequestFields(_) => Role::Client,
            _ => Role::Server,
        };
        let (text, len) = match d.owned_line(role) {
            Ok(line) => line,
            Err(step) => return step,
        };
        let mut keep = Keep::default();
        match std::mem::replace(self, Connect::Request) {
            Connect::Request => {
                let Some((target, kept)) = request_line(&text) else {
                    return Step::GiveUp;
                };
                for (a, b) in kept {
                    keep.range(a, b);
                }
                d.secret(&target.host);
                *self = Connect::RequestFields(target);
            }
            Connect::RequestFields(target) => {
                if text.is_empty() {
                    *self = Connect::Status(target);
                } else {
                    let Some(field) = header_field(&text, &mut keep) else {
                        return Step::GiveUp;
                    };
                    if field.name.eq_ignore_ascii_case(b"Host") {
                        d.secret(host_of(&text[field.value_at..]));
                    }
                    *self = Connect::RequestFields(target);
                }
            }
            Connect::Status(target) => {
                let Some(status) = status_line(&text, &mut keep) else {
                    return Step::GiveUp;
                };
                *self = Connect::ReplyFields {
                    target,
                    status,
                    body: 0,
                };
            }
            Connect::ReplyFields {
                target,
                status,
                mut body,
            } => {
                if text.is_empty() {
                    let phrase = reason_phrase(status).unwrap_or(if (200..300).contains(&status) {
                        TUNNEL_ESTABLISHED
                    } else {
                        "(unregistered status)"
                    });
                    let answer = format!("{status} {phrase}");
                    d.connect_event(target.host, target.port, answer.clone());
                    d.take(role, len, &keep);
                    if (200..300).contains(&status) {
                        return Step::Tls;
                    }
                    // The refusal's page (never kept), then perhaps a new request.
                    if d.stream(Role::Server).unread().len() < body {
                        return Step::Refused(Refusal::Proxy { status, answer });
                    }
                    d.stream_mut(Role::Server).skip(body);
                    *self = Connect::Request;
                    return Step::Refused(Refusal::Proxy { status, answer });
                }
                let Some(field) = header_field(&text, &mut keep) else {
                    return Step::GiveUp;
                };
                if field.name.eq_ignore_ascii_case(b"Content-Length") {
                    let value = &text[field.value_at..];
                    if value.is_empty() || value.len() > 7 || !value.iter().all(u8::is_ascii_digit)
                    {
                        return Step::GiveUp;
                    }
                    keep.range(field.value_at, text.len());
                    body = value.iter().fold(0, |n, &c| n * 10 + usize::from(c - b'0'));
                }
                *self = Connect::ReplyFields {
                    target,
                    status,
                    body,
                };
            }
        }
        d.take(role, len, &keep);
        Step::Next
    }
}

/// `CONNECT host:port HTTP/1.x`: the target and the ranges kept (the method, the colon and
/// port digits, the version).
fn request_line(text: &[u8]) -> Option<(Target, Vec<(usize, usize)>)> {
    let rest = text.strip_prefix(METHOD)?;
    let space = rest.iter().position(|&b| b == b' ')?;
    let (authority, version) = (&rest[..space], &rest[space + 1..]);
    if version != b"HTTP/1.1" && version != b"HTTP/1.0" {
        return None;
    }
    let colon = authority.iter().rposition(|&b| b == b':')?;
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    if host.is_empty() || port.is_empty() || port.len() > 5 || !port.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let port = u16::try_from(port.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'))).ok()?;
    let host_start = METHOD.len();
    let colon_at = host_start + colon;
    let kept = vec![(0, host_start), (colon_at, text.len())];
    let host = host
        .strip_prefix(b"[")
        .and_then(|h| h.strip_suffix(b"]"))
        .unwrap_or(host);
    Some((
        Target {
            host: host.to_vec(),
            port,
        },
        kept,
    ))
}

/// `HTTP/1.x NNN reason`: the status; keeps the version, the code and a registered reason.
fn status_line(text: &[u8], keep: &mut Keep) -> Option<u16> {
    let version = text.get(..9)?;
    if version != b"HTTP/1.1 " && version != b"HTTP/1.0 " {
        return None;
    }
    let code = text.get(9..12)?;
    if !code.iter().all(u8::is_ascii_digit) || !matches!(text.get(12), None | Some(b' ')) {
        return None;
    }
    let status = code.iter().fold(0u16, |n, &c| n * 10 + u16::from(c - b'0'));
    if !(200..600).contains(&status) {
        return None;
    }
    keep.range(0, text.len().min(13));
    let reason = text.get(13..).unwrap_or_default();
    let registered = reason_phrase(status)
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(reason))
        || ((200..300).contains(&status)
            && TUNNEL_ESTABLISHED.as_bytes().eq_ignore_ascii_case(reason));
    if registered {
        keep.range(13, text.len());
    }
    Some(status)
}

/// A header field `name: value`.
struct Field<'a> {
    name: &'a [u8],
    value_at: usize,
}

/// Reads a field line; keeps a registered name, the colon and one space after it.
fn header_field<'a>(text: &'a [u8], keep: &mut Keep) -> Option<Field<'a>> {
    let colon = text.iter().position(|&b| b == b':')?;
    let name = &text[..colon];
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    if name.is_empty() || !name.iter().all(token) {
        return None;
    }
    let mut value_at = colon + 1;
    if text.get(value_at) == Some(&b' ') {
        value_at += 1;
    }
    keep.range(colon, value_at);
    if is_one_of(name, HTTP_HEADERS) {
        keep.range(0, colon);
    }
    Some(Field { name, value_at })
}

/// The host of a `host:port` value.
fn host_of(value: &[u8]) -> &[u8] {
    match value.iter().rposition(|&b| b == b':') {
        Some(i) if value[i + 1..].iter().all(u8::is_ascii_digit) => &value[..i],
        _ => value,
    }
}
