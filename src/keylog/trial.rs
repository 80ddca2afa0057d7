//! Encrypted Client Hello and key logs (docs/decisions.md, "ECH: accepted is what the key log
//! opens"). When a server accepts ECH, the handshake continues with the inner ClientHello,
//! and a key log names the connection's TLS 1.3 secrets by the *inner* hello's random
//! (draft-ietf-tls-keylogfile, RFC 9850 section 3: the inner random when ECH was accepted,
//! the outer one otherwise). The capture shows only the outer hello, so no line matches by
//! random. The connection is found by trying instead: the first protected record the server
//! sent is opened with the server handshake traffic secret of each candidate line; the AEAD's
//! tag accepts exactly one, and that open is both the match and the proof that ECH was
//! accepted.

use super::file::{Label, Secrets};
use super::protection::Opened;
use super::secret::ClientRandom;
use super::session::{Sender, Session};

/// TLS 1.3 protects every record as application_data (RFC 8446 5.2).
const CONTENT_APPLICATION: u8 = 23;

/// Candidates tried for one connection at most: a key log of a browser's day holds a few
/// thousand connections, and each try opens one record.
pub const MAX_TRIALS_PER_CONNECTION: usize = 4096;

/// The candidate whose secrets opened the record: its session (the server's record counted),
/// the random that names it in the key log, and what the record held.
pub struct Found {
    pub random: ClientRandom,
    pub session: Session,
    pub opened: Opened,
}

/// Tries `candidates` (lines that matched no ClientHello) on the server's first protected
/// record `header` + `body`, under TLS 1.3 suite `suite`. `tried` counts the attempts made,
/// so a caller can bound the work of a whole run.
pub fn open_first_server_record<'a>(
    candidates: impl Iterator<Item = (&'a ClientRandom, &'a Secrets)>,
    suite: u16,
    header: &[u8; 5],
    body: &[u8],
    tried: &mut u64,
) -> Option<Found> {
    let usable = candidates
        .filter(|(_, s)| s.get(Label::ServerHandshakeTraffic).is_some())
        .take(MAX_TRIALS_PER_CONNECTION);
    for (random, secrets) in usable {
        *tried += 1;
        let Some(mut session) = Session::tls13(secrets, suite) else {
            continue;
        };
        let Some(ticket) = session.record(Sender::Server, CONTENT_APPLICATION, body.len()) else {
            continue;
        };
        if let Some(opened) = session.open(Sender::Server, ticket, header, body) {
            return Some(Found {
                random: *random,
                session,
                opened,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use aes_gcm::Aes128Gcm;
    use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};

    use super::*;
    use crate::keylog::KeyLog;
    use crate::keylog::schedule::tls13_key_iv;
    use crate::keylog::suite::Hash;

    /// A record sealed with a made-up server handshake traffic secret (test material): an
    /// EncryptedExtensions message in TLS_AES_128_GCM_SHA256, sequence number 0.
    fn sealed(secret: &[u8; 32]) -> ([u8; 5], Vec<u8>) {
        let (key, iv) = tls13_key_iv(Hash::Sha256, secret, 16).expect("key and iv");
        let mut inner = vec![8, 0, 0, 2, 0, 0, 22];
        let len = (inner.len() + 16) as u16;
        let header = [23, 3, 3, (len >> 8) as u8, len as u8];
        let cipher = Aes128Gcm::new_from_slice(&key).expect("key");
        let nonce = Nonce::<Aes128Gcm>::try_from(&iv[..]).expect("iv");
        cipher
            .encrypt_in_place(&nonce, &header, &mut inner)
            .expect("seal");
        (header, inner)
    }

    fn line(label: &str, random: u8, secret: u8) -> String {
        format!(
            "{label} {} {}\n",
            format!("{random:02x}").repeat(32),
            format!("{secret:02x}").repeat(32)
        )
    }

    #[test]
    fn the_secret_that_opens_the_record_is_found_among_others() {
        let mut text = String::new();
        for r in 1..=5u8 {
            text.push_str(&line("SERVER_HANDSHAKE_TRAFFIC_SECRET", r, r + 0x40));
        }
        // A TLS 1.2 line has no secret to try.
        text.push_str(&format!(
            "CLIENT_RANDOM {} {}\n",
            "66".repeat(32),
            "77".repeat(48)
        ));
        let mut log = KeyLog::default();
        log.read("t", text.as_bytes());
        let (header, body) = sealed(&[0x43; 32]);
        let mut tried = 0;
        let found = open_first_server_record(log.entries(), 0x1301, &header, &body, &mut tried)
            .expect("the third line opens it");
        assert_eq!(found.random.0, [3; 32]);
        assert_eq!(found.opened.content_type, 22);
        assert_eq!(&found.opened.plaintext[..], &[8, 0, 0, 2, 0, 0]);
        assert!((1..=5).contains(&tried));
        // A record no line opens: every usable line tried once, nothing found.
        let (header, body) = sealed(&[0x99; 32]);
        let mut tried = 0;
        assert!(
            open_first_server_record(log.entries(), 0x1301, &header, &body, &mut tried).is_none()
        );
        assert_eq!(tried, 5);
    }
}
