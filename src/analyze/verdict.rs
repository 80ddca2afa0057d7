//! Verdicts (README, "Verdicts"): one per TCP connection, with a one-line explanation and a hint.

use serde::{Deserialize, Serialize};

/// Where a connection's TLS handshake ended. `as_str` gives the stable names README lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    TcpUnanswered,
    TcpRefused,
    TcpClosedBeforeHello,
    HelloUnanswered,
    HelloReset,
    HelloClosed,
    ServerAlert,
    ClientAlert,
    ClientAborted,
    NotTls,
    HandshakeComplete,
    HandshakeIncomplete,
    MidStream,
}

impl Verdict {
    pub const ALL: [Verdict; 13] = [
        Verdict::TcpUnanswered,
        Verdict::TcpRefused,
        Verdict::TcpClosedBeforeHello,
        Verdict::HelloUnanswered,
        Verdict::HelloReset,
        Verdict::HelloClosed,
        Verdict::ServerAlert,
        Verdict::ClientAlert,
        Verdict::ClientAborted,
        Verdict::NotTls,
        Verdict::HandshakeComplete,
        Verdict::HandshakeIncomplete,
        Verdict::MidStream,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TcpUnanswered => "tcp_unanswered",
            Verdict::TcpRefused => "tcp_refused",
            Verdict::TcpClosedBeforeHello => "tcp_closed_before_hello",
            Verdict::HelloUnanswered => "hello_unanswered",
            Verdict::HelloReset => "hello_reset",
            Verdict::HelloClosed => "hello_closed",
            Verdict::ServerAlert => "server_alert",
            Verdict::ClientAlert => "client_alert",
            Verdict::ClientAborted => "client_aborted",
            Verdict::NotTls => "not_tls",
            Verdict::HandshakeComplete => "handshake_complete",
            Verdict::HandshakeIncomplete => "handshake_incomplete",
            Verdict::MidStream => "mid_stream",
        }
    }

    pub fn from_name(name: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == name)
    }

    /// False for the verdicts that report no failure (a finished handshake, or one we saw
    /// only the middle of).
    pub fn is_failure(self) -> bool {
        !matches!(self, Verdict::HandshakeComplete | Verdict::MidStream)
    }

    /// How much a verdict says about why a capture was taken: the capture's overall verdict is
    /// its connection with the highest significance. Explicit TLS rejections first, then
    /// silent TLS failures, then transport failures, then the inconclusive.
    pub fn significance(self) -> u8 {
        match self {
            Verdict::ServerAlert => 13,
            Verdict::ClientAlert => 12,
            Verdict::ClientAborted => 11,
            Verdict::NotTls => 10,
            Verdict::HelloReset => 9,
            Verdict::HelloClosed => 8,
            Verdict::HelloUnanswered => 7,
            Verdict::TcpRefused => 6,
            Verdict::TcpUnanswered => 5,
            Verdict::TcpClosedBeforeHello => 4,
            Verdict::HandshakeIncomplete => 3,
            Verdict::HandshakeComplete => 2,
            Verdict::MidStream => 1,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The capture's verdict: its most significant failing connection, else `handshake_complete`
/// when some connection completed, else the most significant of the rest. `None` when the
/// capture holds no TCP connection at all.
pub fn overall<I: IntoIterator<Item = Verdict>>(verdicts: I) -> Option<Verdict> {
    verdicts.into_iter().max_by_key(|v| {
        if v.is_failure() {
            100 + v.significance()
        } else {
            v.significance()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::from_name(v.as_str()), Some(v));
        }
    }

    #[test]
    fn failing_connection_wins_over_complete_ones() {
        let v = overall([
            Verdict::HandshakeComplete,
            Verdict::TcpUnanswered,
            Verdict::HandshakeComplete,
        ]);
        assert_eq!(v, Some(Verdict::TcpUnanswered));
        assert_eq!(
            overall([Verdict::MidStream, Verdict::HandshakeComplete]),
            Some(Verdict::HandshakeComplete)
        );
        assert_eq!(overall([]), None);
        assert_eq!(
            overall([Verdict::TcpRefused, Verdict::ServerAlert]),
            Some(Verdict::ServerAlert)
        );
    }
}
