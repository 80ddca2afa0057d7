//! The keys of one connection, both directions, as its handshake moves them on: TLS 1.3 from
//! the handshake traffic secrets to the application traffic secrets after each side's
//! Finished (RFC 8446 7.1), TLS 1.2 from the key block once each side sent ChangeCipherSpec.
//! The session decides which records are worth opening: every handshake record, and after
//! the handshake only records small enough to be an alert (the diagnosis reads nothing
//! else, and application data is most of a capture).

use zeroize::Zeroizing;

use super::file::{Label, Secrets};
use super::protection::{DirectionKeys, Opened, mac_len};
use super::schedule::{KeyBytes, tls12_prf, tls13_key_iv};
use super::suite::{self, Protection};

/// After the handshake, records up to this size are opened: an alert is 2 bytes, plus its
/// content type, the tag and (TLS 1.3) a little padding.
const SMALL_RECORD: usize = 64;

const CONTENT_CCS: u8 = 20;
const CONTENT_APPLICATION: u8 = 23;

/// A direction of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Client,
    Server,
}

/// What the session holds for one direction.
#[derive(Default)]
struct Direction {
    keys: Option<DirectionKeys>,
    /// TLS 1.3: the handshake keys are in force (the application keys come after Finished).
    handshake: bool,
    /// TLS 1.3: the application traffic secret's keys, waiting for Finished; TLS 1.2: the
    /// key block's keys, waiting for ChangeCipherSpec.
    next: Option<DirectionKeys>,
    /// A record failed to open: the keys are wrong for it, nothing more is tried.
    failed: bool,
}

/// A record the session chose to open, with the sequence number it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    seq: u64,
}

/// One connection's keys. Dropped with the connection; every key wipes itself.
pub struct Session {
    tls13: bool,
    client: Direction,
    server: Direction,
}

impl Session {
    /// TLS 1.3 with `suite`: the handshake keys of each direction whose secret the key log
    /// holds. `None` for a suite this tool cannot open or without any handshake secret.
    pub fn tls13(secrets: &Secrets, suite: u16) -> Option<Session> {
        let (aead, hash) = suite::tls13(suite)?;
        let keys = |label| {
            let secret = secrets.get(label)?;
            let (key, iv) = tls13_key_iv(hash, secret.as_bytes(), aead.key_len())?;
            Some(DirectionKeys::tls13(aead, key, iv))
        };
        let direction = |hs, app| Direction {
            keys: keys(hs),
            handshake: true,
            next: keys(app),
            failed: false,
        };
        let session = Session {
            tls13: true,
            client: direction(Label::ClientHandshakeTraffic, Label::ClientTraffic0),
            server: direction(Label::ServerHandshakeTraffic, Label::ServerTraffic0),
        };
        (session.client.keys.is_some() || session.server.keys.is_some()).then_some(session)
    }

    /// TLS 1.2 with `suite`: the key block from the master secret and both randoms (RFC 5246
    /// 6.3), in force from each side's ChangeCipherSpec.
    pub fn tls12(
        secrets: &Secrets,
        suite: u16,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        encrypt_then_mac: bool,
    ) -> Option<Session> {
        let (protection, prf) = suite::tls12(suite)?;
        let master = secrets.get(Label::ClientRandom)?;
        if master.as_bytes().len() != 48 {
            return None;
        }
        let (mac_len, key_len, iv_len) = match protection {
            Protection::Aead(aead) => (0, aead.key_len(), aead.tls12_fixed_iv_len()),
            Protection::Cbc { key_len, mac } => (mac_len(mac), key_len, 0),
        };
        let mut seed = [0u8; 64];
        seed[..32].copy_from_slice(server_random);
        seed[32..].copy_from_slice(client_random);
        let block_len = 2 * (mac_len + key_len + iv_len);
        let block = tls12_prf(prf, master.as_bytes(), b"key expansion", &seed, block_len);
        if block.len() != block_len {
            return None;
        }
        let mut at = 0;
        let mut take = |n: usize| -> KeyBytes {
            let part = Zeroizing::new(block[at..at + n].to_vec());
            at += n;
            part
        };
        let (c_mac, s_mac) = (take(mac_len), take(mac_len));
        let (c_key, s_key) = (take(key_len), take(key_len));
        let (c_iv, s_iv) = (take(iv_len), take(iv_len));
        let etm = encrypt_then_mac && matches!(protection, Protection::Cbc { .. });
        let direction = |key, iv, mac| Direction {
            keys: None,
            handshake: false,
            next: Some(DirectionKeys::tls12(protection, key, iv, mac, etm)),
            failed: false,
        };
        Some(Session {
            tls13: false,
            client: direction(c_key, c_iv, c_mac),
            server: direction(s_key, s_iv, s_mac),
        })
    }

    fn direction(&mut self, from: Sender) -> &mut Direction {
        match from {
            Sender::Client => &mut self.client,
            Sender::Server => &mut self.server,
        }
    }

    /// A record header from `from`: whether to open its body (the ticket says with which
    /// sequence number). Every protected record takes a sequence number, opened or not.
    pub fn record(&mut self, from: Sender, content_type: u8, body_len: usize) -> Option<Ticket> {
        let tls13 = self.tls13;
        let d = self.direction(from);
        if content_type == CONTENT_CCS {
            if !tls13 && d.keys.is_none() {
                // TLS 1.2: the keys are in force from the next record on.
                d.keys = d.next.take();
            }
            return None;
        }
        // TLS 1.3 protects records of type application_data only (RFC 8446 5.2).
        if tls13 && content_type != CONTENT_APPLICATION {
            return None;
        }
        let keys = d.keys.as_mut()?;
        let seq = keys.next_seq();
        let wanted = if tls13 {
            d.handshake || body_len <= SMALL_RECORD
        } else {
            content_type != CONTENT_APPLICATION
        };
        (wanted && !d.failed).then_some(Ticket { seq })
    }

    /// Opens the record a [`Ticket`] was given for. `None` when it does not authenticate: the
    /// direction then stops opening records.
    pub fn open(
        &mut self,
        from: Sender,
        ticket: Ticket,
        header: &[u8; 5],
        body: &[u8],
    ) -> Option<Opened> {
        let d = self.direction(from);
        let opened = d.keys.as_ref()?.open(ticket.seq, header, body);
        if opened.is_none() {
            d.failed = true;
        }
        opened
    }

    /// TLS 1.3: `from` sent its Finished; its next records use the application traffic keys.
    pub fn finished(&mut self, from: Sender) {
        if !self.tls13 {
            return;
        }
        let d = self.direction(from);
        if d.handshake {
            d.handshake = false;
            d.keys = d.next.take();
        }
    }

    pub fn is_tls13(&self) -> bool {
        self.tls13
    }
}
