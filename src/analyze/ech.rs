//! Encrypted Client Hello (draft-ietf-tls-esni; extension 0xfe0d, alert `ech_required` 121)
//! as a connection fact: offered, accepted, rejected, or not used by the server. What each
//! needs, and why "offered" alone cannot say more, is in docs/decisions.md ("ECH: accepted is
//! what the key log opens").

use super::verdict::Verdict;
use crate::stable_names::stable_names;
use crate::tls::facts::ServerHelloFacts;
use crate::tls::registry::ext;

stable_names! {
    /// What became of a client's ECH offer, as far as the capture (and a key log) shows.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum EchStatus {
        /// The outer ClientHello carries encrypted_client_hello; nothing shows the server's
        /// answer. GREASE ECH (draft-ietf-tls-esni 6.2) looks exactly the same.
        Offered = "offered",
        /// The server went on with the inner ClientHello: its flight opened with secrets the
        /// key log names by a random the capture does not show (the inner hello's), or its
        /// HelloRetryRequest carried the ECH confirmation.
        Accepted = "accepted",
        /// The server answered the outer ClientHello with retry configurations in its
        /// EncryptedExtensions, or the client said so with an `ech_required` alert.
        Rejected = "rejected",
        /// The server answered the outer ClientHello without retry configurations: the offer
        /// was GREASE, or the server does not do ECH.
        NotUsed = "not_used",
    }
}

impl EchStatus {
    /// One line for the text report.
    pub fn describe(self) -> &'static str {
        match self {
            EchStatus::Offered => {
                "offered (may be GREASE: only the key log tells a real offer from GREASE)"
            }
            EchStatus::Accepted => {
                "accepted: the server went on with the encrypted inner ClientHello"
            }
            EchStatus::Rejected => {
                "rejected: the server answered the outer ClientHello and sent retry configurations"
            }
            EchStatus::NotUsed => {
                "not used: the server answered the outer ClientHello without retry configurations (GREASE ECH, or a server without ECH)"
            }
        }
    }
}

/// Alert `ech_required` (draft-ietf-tls-esni 11.2): the client aborts after a rejection.
pub const ECH_REQUIRED: u8 = 121;

/// The timeline event of a server flight that opened with an unmatched line.
pub const ACCEPTED_EVENT: &str =
    "ECH accepted: the server's flight opened with the key log's secrets of the inner ClientHello";

/// What one connection showed of ECH.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchEvidence {
    /// The outer ClientHello offered ECH.
    pub offered: bool,
    /// The server's flight opened with a line no ClientHello matched.
    pub inner_keys: bool,
    /// The HelloRetryRequest carried encrypted_client_hello (its confirmation).
    pub hrr_confirmation: bool,
    /// An EncryptedExtensions was read: whether it held retry configurations.
    pub retry_configs: Option<bool>,
    /// The client sent `ech_required` (in clear, or read with the key log).
    pub client_ech_required: bool,
}

/// The status the evidence supports; `None` when the client offered no ECH.
pub fn status(e: EchEvidence) -> Option<EchStatus> {
    if !e.offered {
        return None;
    }
    Some(if e.inner_keys || e.hrr_confirmation {
        EchStatus::Accepted
    } else if e.retry_configs == Some(true) || e.client_ech_required {
        EchStatus::Rejected
    } else if e.retry_configs == Some(false) {
        EchStatus::NotUsed
    } else {
        EchStatus::Offered
    })
}

/// A server's HelloRetryRequest sends encrypted_client_hello (an 8-byte confirmation) only
/// when it accepted ECH (draft-ietf-tls-esni 7.2.1).
pub fn hrr_confirms(sh: &ServerHelloFacts) -> bool {
    sh.hello_retry_request && sh.extensions.contains(&ext::ENCRYPTED_CLIENT_HELLO)
}

/// What the HelloRetryRequest's timeline event adds.
pub fn hrr_note(sh: &ServerHelloFacts) -> &'static str {
    if hrr_confirms(sh) {
        ", with the ECH acceptance confirmation"
    } else {
        ""
    }
}

/// EncryptedExtensions carries encrypted_client_hello only as retry configurations: the
/// server rejected ECH (draft-ietf-tls-esni 7.1).
pub fn retry_configs(extensions: &[u16]) -> bool {
    extensions.contains(&ext::ENCRYPTED_CLIENT_HELLO)
}

pub fn encrypted_extensions_event(retry_configs: bool) -> &'static str {
    if retry_configs {
        "EncryptedExtensions with ECH retry configurations (ECH rejected)"
    } else {
        "EncryptedExtensions"
    }
}

/// What the hint of a client that gave up after the server's encrypted flight adds when the
/// client offered ECH and nothing says how the server answered.
pub fn aborted_note(verdict: Verdict, status: Option<EchStatus>) -> Option<&'static str> {
    (verdict == Verdict::ClientAborted && status == Some(EchStatus::Offered)).then_some(
        "the client offered ECH: a client whose offer the server rejects aborts with an encrypted ech_required alert, which its key log (--keylog) would name",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_follows_the_strongest_evidence() {
        let offered = EchEvidence {
            offered: true,
            ..EchEvidence::default()
        };
        assert_eq!(status(EchEvidence::default()), None);
        assert_eq!(status(offered), Some(EchStatus::Offered));
        let with = |f: fn(&mut EchEvidence)| {
            let mut e = offered;
            f(&mut e);
            status(e)
        };
        assert_eq!(with(|e| e.inner_keys = true), Some(EchStatus::Accepted));
        assert_eq!(
            with(|e| e.hrr_confirmation = true),
            Some(EchStatus::Accepted)
        );
        assert_eq!(
            with(|e| e.retry_configs = Some(true)),
            Some(EchStatus::Rejected)
        );
        assert_eq!(
            with(|e| e.client_ech_required = true),
            Some(EchStatus::Rejected)
        );
        assert_eq!(
            with(|e| e.retry_configs = Some(false)),
            Some(EchStatus::NotUsed)
        );
        // Without an offer, nothing is said, whatever else was seen.
        let mut e = offered;
        e.offered = false;
        e.retry_configs = Some(true);
        assert_eq!(status(e), None);
    }

    #[test]
    fn only_a_retry_request_confirms() {
        let mut sh = ServerHelloFacts {
            extensions: vec![43, 0xfe0d],
            ..ServerHelloFacts::default()
        };
        assert!(!hrr_confirms(&sh));
        sh.hello_retry_request = true;
        assert!(hrr_confirms(&sh));
        sh.extensions = vec![43, 51];
        assert!(!hrr_confirms(&sh));
        assert!(retry_configs(&[16, 0xfe0d]) && !retry_configs(&[16]));
    }
}
