//! Verdicts (README, "Verdicts"): one per TCP connection, with a one-line explanation and a hint.

use crate::stable_names::stable_names;

stable_names! {
    /// Where a connection's TLS handshake ended, by the stable names README lists.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Verdict {
        TcpUnanswered = "tcp_unanswered",
        TcpRefused = "tcp_refused",
        TcpClosedBeforeHello = "tcp_closed_before_hello",
        HelloUnanswered = "hello_unanswered",
        HelloReset = "hello_reset",
        HelloClosed = "hello_closed",
        ServerAlert = "server_alert",
        ClientAlert = "client_alert",
        ClientAborted = "client_aborted",
        NotTls = "not_tls",
        HandshakeComplete = "handshake_complete",
        HandshakeIncomplete = "handshake_incomplete",
        MidStream = "mid_stream",
    }
}

impl Verdict {
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
