//! A QUIC connection's Handshake keys from a key log (docs/udp.md): the key log's lines are
//! looked up by the ClientHello's random in the run's [`KeyRun`] (so they count as matched,
//! as a TCP connection's do), and once the ServerHello names the suite, each direction's
//! handshake traffic secret gives the packet keys of the Handshake space (RFC 9001 5.1),
//! installed in the connection's session. A matched line whose keys open no Handshake packet
//! counts as failed. Nothing here touches the plan: Handshake packets keep only their header
//! with and without keys.

use super::decrypt::KeyRun;
use crate::keylog::ClientRandom;
use crate::keylog::file::{Label, Secrets};
use crate::keylog::suite;
use crate::quic::keys;
use crate::quic::session::Session;
use crate::tls::extensions::Side as Role;

/// What the key log gives one QUIC connection. No `Debug`: it holds secrets until the
/// ServerHello (wiped when dropped, `crate::keylog::secret`).
pub struct QuicKeyLog {
    random: ClientRandom,
    /// Until the ServerHello says how to use them.
    secrets: Option<Secrets>,
    /// A Handshake packet of that role opened with its keys, by role index.
    opened: [bool; 2],
    /// The keys failed on a whole Handshake packet of a role none had opened yet (counted
    /// once in the run).
    failed: bool,
}

impl QuicKeyLog {
    /// The key log's secrets for the connection whose ClientHello carried `random`, when a
    /// key log has them.
    pub fn for_hello(run: &mut KeyRun, random: &[u8; 32]) -> Option<QuicKeyLog> {
        let random = ClientRandom(*random);
        let secrets = run.secrets_for(&random)?;
        Some(QuicKeyLog {
            random,
            secrets: Some(secrets),
            opened: [false; 2],
            failed: false,
        })
    }

    /// The ServerHello chose TLS 1.3 suite `suite`: each direction's Handshake keys, for the
    /// version of the connection's Initial packets, are installed in `session` (once).
    pub fn server_hello(&mut self, session: &mut Session, suite: u16) {
        let Some(secrets) = self.secrets.take() else {
            return;
        };
        let (Some((aead, hash)), Some((version, _))) =
            (suite::tls13(suite), session.initial_keys())
        else {
            return;
        };
        for (role, label) in [
            (Role::Client, Label::ClientHandshakeTraffic),
            (Role::Server, Label::ServerHandshakeTraffic),
        ] {
            let derived = secrets
                .get(label)
                .and_then(|s| keys::from_secret(version, aead, hash, s.as_bytes()));
            if let Some(k) = derived {
                session.set_handshake_keys(role, k);
            }
        }
    }

    /// A Handshake packet of `role`, wholly captured, was tried with its keys: `opened` or not.
    /// The first that does not open before one of its role did marks the line as failed.
    pub fn handshake_packet(&mut self, run: &mut KeyRun, role: Role, opened: bool) {
        let seen = &mut self.opened[role as usize];
        if opened {
            *seen = true;
        } else if !*seen && !self.failed {
            self.failed = true;
            run.note_failed(self.random);
        }
    }

    /// Some Handshake packet opened with the key log's keys.
    pub fn opened(&self) -> bool {
        self.opened.iter().any(|&o| o)
    }
}
