//! SOCKS proxies: SOCKS4 and 4a (the client's CONNECT with a user id and, for 4a, a host
//! name; the proxy's 8-byte reply) and SOCKS5 (RFC 1928: the method greeting, the chosen
//! method, RFC 1929 username/password when chosen, the CONNECT request with an IPv4 or IPv6
//! address or a host name, the reply). A granted CONNECT starts the tunnel (TLS follows);
//! any other reply is a proxy's refusal. Every field is binary and fixed by the grammar: the
//! version, command, method, address type, lengths and reply codes are kept when their value
//! is registered; addresses, names, user ids and passwords are filled.

use super::buffer::Keep;
use super::dialogue::{Dialogue, Role, Step};
use super::outcome::{Refusal, SocksTarget};

/// SOCKS5 authentication methods (IANA "SOCKS Methods"): 0x04 is unassigned.
fn method_name(m: u8) -> Option<&'static str> {
    Some(match m {
        0x00 => "no authentication",
        0x01 => "GSSAPI",
        0x02 => "username/password",
        0x03 => "CHAP",
        0x05 => "challenge-response",
        0x06 => "SSL",
        0x07 => "NDS",
        0x08 => "multi-authentication framework",
        0x09 => "JSON parameter block",
        _ => return None,
    })
}

/// SOCKS5 reply codes (RFC 1928 §6).
fn reply_name(rep: u8) -> Option<&'static str> {
    Some(match rep {
        0 => "succeeded",
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => return None,
    })
}

/// SOCKS4 reply codes.
fn v4_reply_name(cd: u8) -> Option<&'static str> {
    Some(match cd {
        90 => "request granted",
        91 => "request rejected or failed",
        92 => "request rejected: no identd on the client",
        93 => "request rejected: identd user mismatch",
        _ => return None,
    })
}

/// The RFC 1929 status of an accepted user name and password; any other value is a failure
/// whose code the RFC leaves to the proxy: it is filled (the filler is not 0, so the answer
/// still reads as a failure).
const AUTH_SUCCESS: u8 = 0x00;

/// The status a refused method negotiation is reported with (no method acceptable).
const NO_ACCEPTABLE_METHOD: u8 = 0xFF;
/// Longest user id or SOCKS4a host name followed (a name is at most 255 bytes).
const MAX_NUL_STRING: usize = 255;

/// Where a SOCKS preamble is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Socks {
    V4Request,
    V4Reply {
        target: SocksTarget,
        port: u16,
        v4a: bool,
    },
    V5Greeting,
    V5Method {
        offered: Vec<u8>,
    },
    V5Auth,
    V5AuthReply,
    V5Request,
    V5Reply {
        target: SocksTarget,
        port: u16,
    },
}

/// What a direction's first bytes say about SOCKS.
pub enum Opening {
    Is(Socks),
    Maybe,
    No,
}

/// A client's first bytes: a SOCKS5 greeting listing registered methods, or a SOCKS4 CONNECT
/// with its user id (and host name) ended by NUL.
pub fn opening(b: &[u8]) -> Opening {
    match b.first() {
        Some(5) => match greeting(b) {
            Parsed::Done(_) => Opening::Is(Socks::V5Greeting),
            Parsed::Short => Opening::Maybe,
            Parsed::Bad => Opening::No,
        },
        Some(4) => match v4_request(b) {
            Parsed::Done(_) => Opening::Is(Socks::V4Request),
            Parsed::Short => Opening::Maybe,
            Parsed::Bad => Opening::No,
        },
        _ => Opening::No,
    }
}

/// A grammar's answer on the bytes held so far.
enum Parsed<T> {
    Done(T),
    /// A prefix of something valid: wait for more.
    Short,
    Bad,
}

/// A SOCKS5 greeting: its length and the methods offered.
fn greeting(b: &[u8]) -> Parsed<(usize, Vec<u8>)> {
    let Some(&n) = b.get(1) else {
        return Parsed::Short;
    };
    let n = usize::from(n);
    if n == 0 {
        return Parsed::Bad;
    }
    let methods = &b[2..b.len().min(2 + n)];
    if methods.iter().any(|&m| method_name(m).is_none()) {
        return Parsed::Bad;
    }
    if methods.len() < n {
        return Parsed::Short;
    }
    Parsed::Done((2 + n, methods.to_vec()))
}

/// A SOCKS4 CONNECT: its length, port, and the 4a host name's range (when the address is
/// 0.0.0.x, x not 0) or the address's.
struct V4Request {
    len: usize,
    port: u16,
    user: (usize, usize),
    name: Option<(usize, usize)>,
}

fn v4_request(b: &[u8]) -> Parsed<V4Request> {
    if b.len() < 9 {
        // Version 4, command CONNECT: anything shorter is a prefix while those agree.
        return if b.get(1).is_none_or(|&c| c == 1) {
            Parsed::Short
        } else {
            Parsed::Bad
        };
    }
    if b[1] != 1 {
        return Parsed::Bad;
    }
    let port = u16::from_be_bytes([b[2], b[3]]);
    let v4a = b[4..7] == [0, 0, 0] && b[7] != 0;
    let Some(user_end) = nul_string(b, 8) else {
        return short_or_bad(b, 8);
    };
    let user = (8, user_end);
    if !v4a {
        return Parsed::Done(V4Request {
            len: user_end + 1,
            port,
            user,
            name: None,
        });
    }
    let at = user_end + 1;
    match nul_string(b, at) {
        Some(end) if end > at => Parsed::Done(V4Request {
            len: end + 1,
            port,
            user,
            name: Some((at, end)),
        }),
        Some(_) => Parsed::Bad,
        None => short_or_bad(b, at),
    }
}

/// Where the NUL ending a printable string at `at` is.
fn nul_string(b: &[u8], at: usize) -> Option<usize> {
    let rest = b.get(at..)?;
    let end = rest.iter().take(MAX_NUL_STRING + 1).position(|&c| c == 0)?;
    rest[..end]
        .iter()
        .all(|c| c.is_ascii_graphic())
        .then_some(at + end)
}

/// A string at `at` without its NUL yet: more may come while it is printable and short.
fn short_or_bad<T>(b: &[u8], at: usize) -> Parsed<T> {
    let rest = b.get(at..).unwrap_or(&[]);
    if rest.len() <= MAX_NUL_STRING && rest.iter().all(|c| c.is_ascii_graphic()) {
        Parsed::Short
    } else {
        Parsed::Bad
    }
}

impl Socks {
    pub fn protocol(&self) -> &'static str {
        match self {
            Socks::V4Request | Socks::V4Reply { v4a: false, .. } => "SOCKS4",
            Socks::V4Reply { v4a: true, .. } => "SOCKS4a",
            _ => "SOCKS5",
        }
    }

    pub fn step(&mut self, d: &mut Dialogue) -> Step {
        match std::mem::replace(self, Socks::V5Greeting) {
            Socks::V4Request => self.v4_request(d),
            Socks::V4Reply { target, port, v4a } => {
                *self = Socks::V4Reply { target, port, v4a };
                self.v4_reply(d)
            }
            Socks::V5Greeting => self.v5_greeting(d),
            Socks::V5Method { offered } => self.v5_method(d, offered),
            Socks::V5Auth => self.v5_auth(d),
            Socks::V5AuthReply => self.v5_auth_reply(d),
            Socks::V5Request => self.v5_request(d),
            Socks::V5Reply { target, port } => self.v5_reply(d, target, port),
        }
    }

    fn v4_request(&mut self, d: &mut Dialogue) -> Step {
        let r = match v4_request(d.stream(Role::Client).unread()) {
            Parsed::Done(r) => r,
            Parsed::Short => {
                *self = Socks::V4Request;
                return Step::Wait;
            }
            Parsed::Bad => return Step::GiveUp,
        };
        let b = d.stream(Role::Client).unread();
        let user = b[r.user.0..r.user.1].to_vec();
        let name = r.name.map(|(from, to)| b[from..to].to_vec());
        d.secret(&user);
        let target = match name {
            Some(name) => {
                d.secret(&name);
                SocksTarget::Name(name)
            }
            None => SocksTarget::Ipv4,
        };
        // Version, command and port; the address (0.0.0.x in 4a), user id and name filled;
        // the NULs that end them kept.
        let mut keep = Keep::default();
        keep.range(0, 4).range(r.user.1, r.user.1 + 1);
        if let Some((_, end)) = r.name {
            keep.range(4, 7).range(end, end + 1);
        }
        d.take_binary(Role::Client, r.len, &keep);
        let v4a = r.name.is_some();
        d.event(
            Role::Client,
            if v4a {
                "SOCKS4a CONNECT"
            } else {
                "SOCKS4 CONNECT"
            },
        );
        *self = Socks::V4Reply {
            target,
            port: r.port,
            v4a,
        };
        Step::Next
    }

    fn v4_reply(&mut self, d: &mut Dialogue) -> Step {
        let Socks::V4Reply { target, port, v4a } = self.clone() else {
            return Step::GiveUp;
        };
        let b = d.stream(Role::Server).unread();
        if b.len() < 8 {
            return if b.first().is_none_or(|&v| v == 0) {
                Step::Wait
            } else {
                Step::GiveUp
            };
        }
        let Some(answer) = v4_reply_name(b[1]).filter(|_| b[0] == 0) else {
            return Step::GiveUp;
        };
        let cd = b[1];
        // Version and code kept; the port and address the proxy bound are filled.
        d.take_binary(Role::Server, 8, Keep::default().range(0, 2));
        let version = if v4a { "SOCKS4a" } else { "SOCKS4" };
        d.socks_event(version, target, port, answer.into());
        if cd == 90 {
            Step::Tls
        } else {
            Step::Refused(Refusal::Proxy {
                status: u16::from(cd),
                answer: answer.into(),
            })
        }
    }

    fn v5_greeting(&mut self, d: &mut Dialogue) -> Step {
        let (len, offered) = match greeting(d.stream(Role::Client).unread()) {
            Parsed::Done(g) => g,
            Parsed::Short => {
                *self = Socks::V5Greeting;
                return Step::Wait;
            }
            Parsed::Bad => return Step::GiveUp,
        };
        d.take_binary(Role::Client, len, &Keep::all(len));
        let names: Vec<&str> = offered.iter().filter_map(|&m| method_name(m)).collect();
        d.event(
            Role::Client,
            format!("SOCKS5 greeting (methods: {})", names.join(", ")),
        );
        *self = Socks::V5Method { offered };
        Step::Next
    }

    fn v5_method(&mut self, d: &mut Dialogue, offered: Vec<u8>) -> Step {
        let b = d.stream(Role::Server).unread();
        if b.len() < 2 {
            *self = Socks::V5Method { offered };
            return if b.first().is_none_or(|&v| v == 5) {
                Step::Wait
            } else {
                Step::GiveUp
            };
        }
        let method = b[1];
        if b[0] != 5 || (method != NO_ACCEPTABLE_METHOD && !offered.contains(&method)) {
            return Step::GiveUp;
        }
        d.take_binary(Role::Server, 2, &Keep::all(2));
        if method == NO_ACCEPTABLE_METHOD {
            let answer = "no acceptable authentication method".to_string();
            d.event(Role::Server, format!("SOCKS5 method → {answer}"));
            return Step::Refused(Refusal::Proxy {
                status: u16::from(method),
                answer,
            });
        }
        let name = method_name(method).unwrap_or("unregistered");
        d.event(Role::Server, format!("SOCKS5 method → {name}"));
        *self = match method {
            0x00 => Socks::V5Request,
            0x02 => Socks::V5Auth,
            // A method whose messages this grammar does not know: not followed further.
            _ => return Step::GiveUp,
        };
        Step::Next
    }

    /// RFC 1929: version 1, the user name and the password, each after its length.
    fn v5_auth(&mut self, d: &mut Dialogue) -> Step {
        let b = d.stream(Role::Client).unread();
        let user_len = b.get(1).map(|&n| usize::from(n));
        let pass_len = user_len.and_then(|u| b.get(2 + u)).map(|&n| usize::from(n));
        if b.first().is_some_and(|&v| v != 1) || user_len == Some(0) {
            return Step::GiveUp;
        }
        let (Some(u), Some(p)) = (user_len, pass_len) else {
            *self = Socks::V5Auth;
            return Step::Wait;
        };
        let len = 3 + u + p;
        if b.len() < len {
            *self = Socks::V5Auth;
            return Step::Wait;
        }
        let (user, pass) = (b[2..2 + u].to_vec(), b[3 + u..len].to_vec());
        d.secret(&user);
        d.secret(&pass);
        d.take_binary(
            Role::Client,
            len,
            Keep::default().range(0, 2).range(2 + u, 3 + u),
        );
        d.event(Role::Client, "SOCKS5 username/password");
        *self = Socks::V5AuthReply;
        Step::Next
    }

    fn v5_auth_reply(&mut self, d: &mut Dialogue) -> Step {
        let b = d.stream(Role::Server).unread();
        if b.len() < 2 {
            *self = Socks::V5AuthReply;
            return if b.first().is_none_or(|&v| v == 1) {
                Step::Wait
            } else {
                Step::GiveUp
            };
        }
        if b[0] != 1 {
            return Step::GiveUp;
        }
        let status = b[1];
        let kept = if status == AUTH_SUCCESS { 2 } else { 1 };
        d.take_binary(Role::Server, 2, &Keep::all(kept));
        if status != AUTH_SUCCESS {
            let answer = "authentication failed".to_string();
            d.event(Role::Server, format!("SOCKS5 username/password → {answer}"));
            return Step::Refused(Refusal::Proxy {
                status: u16::from(status),
                answer,
            });
        }
        d.event(Role::Server, "SOCKS5 username/password → accepted");
        *self = Socks::V5Request;
        Step::Next
    }

    fn v5_request(&mut self, d: &mut Dialogue) -> Step {
        let b = d.stream(Role::Client).unread();
        let a = match v5_address(b, |cmd| cmd == 1) {
            Parsed::Done(a) => a,
            Parsed::Short => {
                *self = Socks::V5Request;
                return Step::Wait;
            }
            Parsed::Bad => return Step::GiveUp,
        };
        let keep = a.keep(true);
        let target = match a.target {
            SocksTarget::Name(_) => {
                let name = b[a.addr.0..a.addr.1].to_vec();
                d.secret(&name);
                SocksTarget::Name(name)
            }
            t => t,
        };
        d.take_binary(Role::Client, a.len, &keep);
        d.event(Role::Client, "SOCKS5 CONNECT");
        *self = Socks::V5Reply {
            target,
            port: a.port,
        };
        Step::Next
    }

    fn v5_reply(&mut self, d: &mut Dialogue, target: SocksTarget, port: u16) -> Step {
        let b = d.stream(Role::Server).unread();
        let a = match v5_address(b, |rep| reply_name(rep).is_some()) {
            Parsed::Done(a) => a,
            Parsed::Short => {
                *self = Socks::V5Reply { target, port };
                return Step::Wait;
            }
            Parsed::Bad => return Step::GiveUp,
        };
        let rep = b[1];
        let answer = reply_name(rep).unwrap_or("unregistered").to_string();
        if let SocksTarget::Name(_) = a.target {
            let name = b[a.addr.0..a.addr.1].to_vec();
            d.secret(&name);
        }
        // The address and port the proxy bound are its own outside: filled.
        d.take_binary(Role::Server, a.len, &a.keep(false));
        d.socks_event("SOCKS5", target, port, answer.clone());
        if rep == 0 {
            Step::Tls
        } else {
            Step::Refused(Refusal::Proxy {
                status: u16::from(rep),
                answer,
            })
        }
    }
}

/// A SOCKS5 request or reply: version 5, a command or reply code, zero, the address type, the
/// address (a name after its length) and the port.
struct V5Address {
    len: usize,
    target: SocksTarget,
    /// The address bytes (a name's without its length byte).
    addr: (usize, usize),
    port: u16,
}

impl V5Address {
    /// Version, code, reserved byte, address type and a name's length; the port when asked.
    fn keep(&self, port: bool) -> Keep {
        let mut keep = Keep::default();
        keep.range(0, self.addr.0);
        if port {
            keep.range(self.addr.1, self.len);
        }
        keep
    }
}

fn v5_address(b: &[u8], code_ok: impl Fn(u8) -> bool) -> Parsed<V5Address> {
    let fixed = [Some(5), None, Some(0)];
    for (i, want) in fixed.iter().enumerate() {
        match (b.get(i), want) {
            (None, _) => return Parsed::Short,
            (Some(&v), Some(w)) if v != *w => return Parsed::Bad,
            (Some(&v), None) if !code_ok(v) => return Parsed::Bad,
            _ => {}
        }
    }
    let Some(&atyp) = b.get(3) else {
        return Parsed::Short;
    };
    let (target, addr) = match atyp {
        1 => (SocksTarget::Ipv4, (4, 8)),
        4 => (SocksTarget::Ipv6, (4, 20)),
        3 => match b.get(4) {
            None => return Parsed::Short,
            Some(0) => return Parsed::Bad,
            Some(&n) => (SocksTarget::Name(Vec::new()), (5, 5 + usize::from(n))),
        },
        _ => return Parsed::Bad,
    };
    let len = addr.1 + 2;
    if b.len() < len {
        return Parsed::Short;
    }
    if matches!(target, SocksTarget::Name(_)) && !b[addr.0..addr.1].iter().all(u8::is_ascii_graphic)
    {
        return Parsed::Bad;
    }
    Parsed::Done(V5Address {
        len,
        target,
        addr,
        port: u16::from_be_bytes([b[addr.1], b[addr.1 + 1]]),
    })
}
