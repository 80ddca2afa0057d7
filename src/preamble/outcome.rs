//! What the recogniser hands the analysis: timeline events, the skeleton pieces the sanitized
//! capture keeps, and how the preamble ended.

use std::borrow::Cow;

use crate::flow::Side;

/// A structural timeline event of the preamble (never a name or free text of the peers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub side: Side,
    pub what: EventText,
}

/// An event's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventText {
    Text(Cow<'static, str>),
    /// A CONNECT request and the proxy's answer: the host name is shown only through the
    /// mapping, like an SNI.
    Connect {
        host: Vec<u8>,
        port: u16,
        answer: String,
    },
    /// A SOCKS CONNECT and the proxy's reply: a host name is shown only through the mapping,
    /// an address not at all (it is the inner destination, outside the one mapping).
    Socks {
        version: &'static str,
        target: SocksTarget,
        port: u16,
        answer: String,
    },
}

/// What a SOCKS CONNECT names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocksTarget {
    Name(Vec<u8>),
    Ipv4,
    Ipv6,
}

impl Event {
    /// The event as the timeline shows it; `pseudonym` maps a host name (`None`: the name is
    /// left out).
    pub fn render(&self, pseudonym: impl FnOnce(&[u8]) -> Option<Vec<u8>>) -> String {
        match &self.what {
            EventText::Text(t) => t.to_string(),
            EventText::Connect { host, port, answer } => {
                let name = pseudonym(host)
                    .map(|p| String::from_utf8_lossy(&p).into_owned())
                    .unwrap_or_else(|| "host".into());
                format!("CONNECT {name}:{port} → {answer}")
            }
            EventText::Socks {
                version,
                target,
                port,
                answer,
            } => {
                let name = match target {
                    SocksTarget::Name(host) => pseudonym(host)
                        .map(|p| String::from_utf8_lossy(&p).into_owned())
                        .unwrap_or_else(|| "host".into()),
                    SocksTarget::Ipv4 => "an IPv4 address".into(),
                    SocksTarget::Ipv6 => "an IPv6 address".into(),
                };
                format!("{version} CONNECT {name}:{port} → {answer}")
            }
        }
    }
}

/// Bytes of a preamble line the sanitized capture writes at their stream offset: the keywords
/// the grammar parsed, and filler everywhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub offset: i64,
    pub bytes: Vec<u8>,
    /// Where the filler replaced other bytes, as (start, end) within `bytes`.
    pub filled: Vec<(u32, u32)>,
}

/// Why the TLS that a preamble prepares did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The proxy answered CONNECT with a status that is not 2xx.
    Proxy { status: u16, answer: String },
    /// The server answered the STARTTLS command (or SSLRequest) with a refusal.
    Starttls {
        protocol: &'static str,
        answer: String,
    },
    /// The server did not offer STARTTLS, and the client did not ask for it.
    NotOffered { protocol: &'static str },
}

/// How a recognised preamble ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// TLS starts after it, at these stream offsets (by [`Side`] index).
    Tls {
        protocol: &'static str,
        at: [i64; 2],
    },
    Refused(Refusal),
    /// Recognised, but the capture ends before it did.
    Unfinished {
        protocol: &'static str,
    },
}
