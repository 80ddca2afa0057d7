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
        ProxyRefused = "proxy_refused",
        StarttlsRefused = "starttls_refused",
        HandshakeComplete = "handshake_complete",
        HandshakeIncomplete = "handshake_incomplete",
        MidStream = "mid_stream",
    }
}

/// How an explanation ends for a connection finalised while still open (`super::flows`,
/// `MAX_LIVE`): its silence is not the capture's end.
pub const FINALISED_EARLY: &str =
    "it was still idle when too many connections were open to follow them all";

/// A connection's verdict with its one-line explanation and its hint.
pub type Reading = (Verdict, String, std::borrow::Cow<'static, str>);

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
            Verdict::ServerAlert => 15,
            Verdict::ClientAlert => 14,
            Verdict::ClientAborted => 13,
            // A refusal before TLS is as explicit as an alert, but says nothing of TLS itself.
            Verdict::ProxyRefused => 12,
            Verdict::StarttlsRefused => 11,
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
    verdicts.into_iter().max_by_key(|&v| rank(v))
}

/// The capture's verdict from its connections' (verdict, plaintext protocol): the most
/// significant among the connections that tried TLS; only when none did, among all. A client
/// that spoke HTTP or SMTP from the start never tried TLS, so it does not decide a capture
/// whose TLS connections say more. The summary states it and `verify` recomputes it from the
/// summary's connections with this one rule.
pub fn of_capture(connections: impl IntoIterator<Item = (Verdict, bool)>) -> Option<Verdict> {
    let (mut tls, mut all) = (None, None);
    for (v, plaintext) in connections {
        if !plaintext {
            tls = overall(tls.into_iter().chain([v]));
        }
        all = overall(all.into_iter().chain([v]));
    }
    tls.or(all)
}

/// The order [`overall`] chooses by: failures above the rest, each by significance.
pub fn rank(v: Verdict) -> u8 {
    if v.is_failure() {
        100 + v.significance()
    } else {
        v.significance()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names are a contract README lists; a verdict added without documenting it (or
    /// renamed) fails here.
    #[test]
    fn readme_lists_every_verdict_name_in_order() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let section = readme
            .split("\n## Verdicts\n")
            .nth(1)
            .and_then(|rest| rest.split("`.").next())
            .expect("README has a Verdicts section listing the names");
        let listed: Vec<&str> = section.split('`').skip(1).step_by(2).collect();
        let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(listed, names);
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
