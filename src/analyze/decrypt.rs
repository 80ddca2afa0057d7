//! Key logs in pass 1 (SPEC 9.2): which connection the key log has secrets for (matched by
//! its ClientHello random), and the records of that connection opened with them. Everything
//! opened stays in memory, feeds the diagnosis only, and is wiped when dropped; the keys go
//! with the connection when it is finalised. Nothing here touches the plan: the sanitized
//! capture is the same with and without keys. A connection that offered Encrypted Client
//! Hello and whose random no line names is looked for among the lines no connection matched
//! (`crate::keylog::trial`): the one that opens the server's first record is its match.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::flow::Side;
use crate::keylog::file::Secrets;
use crate::keylog::protection::Opened;
use crate::keylog::session::{Sender, Ticket};
use crate::keylog::trial::{self, Found};
use crate::keylog::{ClientRandom, KeyLog, Session};
use crate::tls::facts::ServerHelloFacts;
use crate::tls::records::RecordHeader;

/// Where secrets embedded in the capture come from, in messages.
pub const EMBEDDED: &str = "the capture's decryption secrets";

/// TLS extension encrypt_then_mac (RFC 7366).
const ENCRYPT_THEN_MAC: u16 = 22;

/// TLS 1.3 protects every record as application_data (RFC 8446 5.2).
const CONTENT_APPLICATION: u8 = 23;

/// Key log lines tried on ECH connections in one pass at most (`crate::keylog::trial`): a
/// capture of many connections that offered ECH (Chrome sends GREASE ECH on every one) with
/// a key log from elsewhere must not cost a trial of every line for each of them.
const MAX_ECH_TRIALS_PER_RUN: u64 = 1 << 20;

/// The key logs of one pass 1: those given on the command line, those the capture embeds,
/// and which of their lines matched a connection.
#[derive(Default)]
pub struct KeyRun {
    given: Option<Arc<KeyLog>>,
    embedded: KeyLog,
    matched: HashSet<ClientRandom>,
    failed: HashSet<ClientRandom>,
    /// Lines tried on ECH connections so far (bounded by [`MAX_ECH_TRIALS_PER_RUN`]).
    ech_trials: u64,
}

/// What became of the key log's lines in one capture: numbers only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLogTally {
    /// Lines with a secret this tool uses (both the files given and the capture's own).
    pub lines: u64,
    /// Lines whose client random is a connection of this capture.
    pub matched: u64,
    /// Lines that matched no connection.
    pub unmatched: u64,
    /// Matched lines whose secrets did not open the connection's records.
    pub failed: u64,
    /// Lines that are not key log lines.
    pub malformed: u64,
}

impl KeyLogTally {
    /// One line for standard error about the capture `label`: numbers only, never a line.
    pub fn describe(&self, label: &str) -> String {
        format!(
            "{label}: key log: {} line{}, {} matched a connection, {} matched none, {} did not open their connection's records{}",
            self.lines,
            if self.lines == 1 { "" } else { "s" },
            self.matched,
            self.unmatched,
            self.failed,
            if self.malformed > 0 {
                format!(", {} not key log lines", self.malformed)
            } else {
                String::new()
            }
        )
    }
}

impl KeyRun {
    pub fn new(given: Option<Arc<KeyLog>>) -> KeyRun {
        KeyRun {
            given,
            ..KeyRun::default()
        }
    }

    /// Reads a pcapng Decryption Secrets Block's key log text.
    pub fn add_embedded(&mut self, text: &[u8]) {
        self.embedded.read(EMBEDDED, text);
    }

    fn active(&self) -> bool {
        !self.embedded.is_empty() || self.given.as_ref().is_some_and(|g| !g.is_empty())
    }

    fn lookup(&mut self, random: &ClientRandom) -> Option<Secrets> {
        let found = self
            .embedded
            .secrets(random)
            .or_else(|| self.given.as_ref()?.secrets(random))?
            .clone();
        self.matched.insert(*random);
        Some(found)
    }

    /// The secrets a key log has for the connection whose ClientHello carried `random` (a
    /// QUIC connection's, `super::quic_keys`): its lines then count as matched.
    pub(super) fn secrets_for(&mut self, random: &ClientRandom) -> Option<Secrets> {
        if !self.active() {
            return None;
        }
        self.lookup(random)
    }

    /// The secrets of `random`'s lines did not open what they should have.
    pub(super) fn note_failed(&mut self, random: ClientRandom) {
        self.failed.insert(random);
    }

    /// ECH accepted: the line among those no connection matched whose server handshake secret
    /// opens the server's first protected record; it then counts as matched.
    fn find_inner(&mut self, suite: u16, header: &[u8; 5], body: &[u8]) -> Option<Found> {
        if self.ech_trials >= MAX_ECH_TRIALS_PER_RUN {
            return None;
        }
        let matched = &self.matched;
        let candidates = self
            .embedded
            .entries()
            .chain(self.given.iter().flat_map(|g| g.entries()))
            .filter(|(r, _)| !matched.contains(*r));
        let found =
            trial::open_first_server_record(candidates, suite, header, body, &mut self.ech_trials)?;
        self.matched.insert(found.random);
        Some(found)
    }

    /// The counts, when any key log was given or embedded.
    pub fn tally(&self) -> Option<KeyLogTally> {
        let logs: Vec<&KeyLog> = self
            .given
            .as_deref()
            .into_iter()
            .chain((self.embedded.counts != Default::default()).then_some(&self.embedded))
            .collect();
        if logs.is_empty() {
            return None;
        }
        let lines_of = |set: &HashSet<ClientRandom>| -> u64 {
            set.iter()
                .map(|r| {
                    logs.iter()
                        .filter_map(|l| l.secrets(r))
                        .map(|s| s.lines)
                        .sum::<u64>()
                })
                .sum()
        };
        let lines = logs.iter().map(|l| l.counts.lines).sum();
        let matched = lines_of(&self.matched);
        Some(KeyLogTally {
            lines,
            matched,
            unmatched: lines - matched.min(lines),
            failed: lines_of(&self.failed),
            malformed: logs.iter().map(|l| l.counts.malformed).sum(),
        })
    }

    /// Where the capture's own secrets had a line that is not a key log line.
    pub fn embedded_malformed(&self) -> impl Iterator<Item = String> + '_ {
        self.embedded
            .first_malformed
            .iter()
            .map(ToString::to_string)
    }
}

/// One direction's record being collected for opening.
struct Pending {
    /// `None`: the server's first protected record of an ECH connection no line matched, to
    /// be tried with the unmatched lines.
    ticket: Option<Ticket>,
    header: RecordHeader,
    body: Zeroizing<Vec<u8>>,
}

/// The keys of one connection, from its ClientHello on. No `Debug` of its contents: it
/// holds key material and decrypted bytes.
pub struct ConnectionKeys {
    random: ClientRandom,
    client: Side,
    /// Until the ServerHello says how to use them.
    secrets: Option<Secrets>,
    session: Option<Session>,
    /// ECH offered and no line matched the (outer) random: the TLS 1.3 suite the ServerHello
    /// chose, until the server's first protected record has been tried.
    ech_search: Option<u16>,
    /// The outer hello offered ECH and no line named it: the search may still run.
    ech_offered_unmatched: bool,
    /// The server's flight opened with a line no ClientHello of the capture matched: the
    /// handshake went on with the encrypted inner hello, ECH was accepted.
    pub ech_inner: bool,
    /// [`Self::ech_inner`] became true and nobody asked yet ([`Self::take_ech_found`]).
    ech_news: bool,
    pending: [Option<Pending>; 2],
    /// Decrypted handshake bytes waiting for the rest of their message, per direction.
    handshake: [Zeroizing<Vec<u8>>; 2],
    /// Some record was opened.
    pub opened: bool,
    /// Some record did not open.
    pub failed: bool,
}

impl std::fmt::Debug for ConnectionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionKeys")
            .field("opened", &self.opened)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// A decrypted handshake message: its type and its body after the 4-byte header.
pub struct DecryptedMessage {
    pub msg_type: u8,
    pub size: usize,
    pub body: Zeroizing<Vec<u8>>,
}

/// Largest decrypted handshake message collected (a certificate chain fits many times).
const MAX_DECRYPTED_MESSAGE: usize = 256 * 1024;

impl ConnectionKeys {
    /// The keys for the connection whose ClientHello (sent by `client`) carried `random`,
    /// when a key log has them; for a hello that offered ECH (`ech`), a search for them when
    /// it does not (the key log names an accepted ECH connection by its inner random).
    pub fn for_hello(
        run: &mut KeyRun,
        client: Side,
        random: &[u8; 32],
        ech: bool,
    ) -> Option<Box<Self>> {
        if !run.active() {
            return None;
        }
        let random = ClientRandom(*random);
        let secrets = run.lookup(&random);
        if secrets.is_none() && !ech {
            return None;
        }
        Some(Box::new(ConnectionKeys {
            random,
            client,
            ech_offered_unmatched: secrets.is_none(),
            secrets,
            session: None,
            ech_search: None,
            ech_inner: false,
            ech_news: false,
            pending: [None, None],
            handshake: Default::default(),
            opened: false,
            failed: false,
        }))
    }

    /// Once: the server's flight just opened with an unmatched line (ECH accepted).
    pub fn take_ech_found(&mut self) -> bool {
        std::mem::take(&mut self.ech_news)
    }

    /// The ServerHello settled version and suite: the session starts (once).
    pub fn server_hello(&mut self, sh: &ServerHelloFacts, tls13: bool) {
        if sh.hello_retry_request || self.session.is_some() {
            return;
        }
        let Some(secrets) = self.secrets.take() else {
            if tls13 && std::mem::take(&mut self.ech_offered_unmatched) {
                self.ech_search = Some(sh.cipher_suite);
            }
            return;
        };
        self.session = if tls13 {
            Session::tls13(&secrets, sh.cipher_suite)
        } else if sh.negotiated_version() == 0x0303 {
            let etm = sh.extensions.contains(&ENCRYPT_THEN_MAC);
            Session::tls12(&secrets, sh.cipher_suite, &self.random.0, &sh.random, etm)
        } else {
            None
        };
    }

    fn sender(&self, side: Side) -> Sender {
        if side == self.client {
            Sender::Client
        } else {
            Sender::Server
        }
    }

    /// A record header of `side`: collect its body when the session opens it.
    pub fn header(&mut self, side: Side, header: &RecordHeader) {
        let sender = self.sender(side);
        let Some(session) = self.session.as_mut() else {
            if sender == Sender::Server
                && header.content_type() == CONTENT_APPLICATION
                && self.ech_search.is_some()
            {
                self.pending[side.index()] = Some(Pending {
                    ticket: None,
                    header: *header,
                    body: Zeroizing::new(Vec::with_capacity(header.body_len())),
                });
            }
            return;
        };
        self.pending[side.index()] = session
            .record(sender, header.content_type(), header.body_len())
            .map(|ticket| Pending {
                ticket: Some(ticket),
                header: *header,
                body: Zeroizing::new(Vec::with_capacity(header.body_len())),
            });
    }

    /// Part of the record's body is missing from the capture: it cannot be opened.
    pub fn missing(&mut self, side: Side) {
        // The server's first record is the only one an ECH search may try (sequence 0).
        if let Some(Pending { ticket: None, .. }) = self.pending[side.index()].take() {
            self.ech_search = None;
        }
    }

    /// Whether `side`'s record `header` is being collected to be opened.
    pub fn collecting(&self, side: Side, header: &RecordHeader) -> bool {
        self.pending[side.index()]
            .as_ref()
            .is_some_and(|p| p.header == *header)
    }

    /// Body bytes of `side`'s record; the record opened once whole. On failure the run
    /// counts the key log's lines as failed.
    pub fn body(
        &mut self,
        run: &mut KeyRun,
        side: Side,
        header: &RecordHeader,
        chunk: &[u8],
    ) -> Option<Opened> {
        let slot = &mut self.pending[side.index()];
        let pending = slot.as_mut().filter(|p| p.header == *header)?;
        pending.body.extend_from_slice(chunk);
        if pending.body.len() < header.body_len() {
            return None;
        }
        let pending = slot.take()?;
        let Some(ticket) = pending.ticket else {
            // Tried once, whatever comes of it: a line that opens no first record is no match.
            let suite = self.ech_search.take()?;
            let found = run.find_inner(suite, &pending.header.bytes, &pending.body)?;
            self.random = found.random;
            self.session = Some(found.session);
            self.opened = true;
            self.ech_inner = true;
            self.ech_news = true;
            return Some(found.opened);
        };
        let sender = self.sender(side);
        let opened =
            self.session
                .as_mut()?
                .open(sender, ticket, &pending.header.bytes, &pending.body);
        match &opened {
            Some(_) => self.opened = true,
            None => {
                self.failed = true;
                run.note_failed(self.random);
            }
        }
        opened
    }

    /// Decrypted handshake bytes of `side`: the whole messages they complete.
    pub fn handshake_messages(&mut self, side: Side, bytes: &[u8]) -> Vec<DecryptedMessage> {
        let buf = &mut self.handshake[side.index()];
        buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let [msg_type, a, b, c, ..] = buf[..] {
            let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
            if len > MAX_DECRYPTED_MESSAGE {
                buf.clear();
                break;
            }
            if buf.len() < 4 + len {
                break;
            }
            let body = Zeroizing::new(buf[4..4 + len].to_vec());
            buf.drain(..4 + len);
            out.push(DecryptedMessage {
                msg_type,
                size: 4 + len,
                body,
            });
        }
        out
    }

    /// `side` sent its Finished: TLS 1.3 moves it to its application keys.
    pub fn finished(&mut self, side: Side) {
        let sender = self.sender(side);
        if let Some(s) = self.session.as_mut() {
            s.finished(sender);
        }
    }
}
