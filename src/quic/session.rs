//! One QUIC connection's packets opened as they come, datagram by datagram: the Initial keys
//! derived from the client's first Destination Connection ID (again after a Retry or a new
//! attempt), Handshake keys when a key log gives them, the largest packet number per space
//! and direction, and the CRYPTO streams of the Initial and Handshake spaces.

use std::ops::Range;

use super::crypto::CryptoStream;
use super::frames::{self, FrameKind, Frames};
use super::header::{self, Header, Packets};
use super::keys::{self, InitialKeys, PacketKeys};
use super::packet::{self, Opened};
use super::version::{LongType, Version};
use crate::tls::extensions::Side;

/// A packet number space whose CRYPTO stream this tool reads (RFC 9000 12.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    Initial,
    Handshake,
}

impl Space {
    fn index(self) -> usize {
        match self {
            Space::Initial => 0,
            Space::Handshake => 1,
        }
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

/// One packet of a datagram, opened when its keys are known.
pub struct Seen {
    /// The packet's bytes in the datagram.
    pub range: Range<usize>,
    pub header: Header,
    /// The space of an Initial or Handshake packet.
    pub space: Option<Space>,
    /// The packet with its protection removed, when it authenticated.
    pub opened: Option<Opened>,
    /// Its frames, when it was opened.
    pub frames: Option<Frames>,
}

/// A connection's packet protection state.
#[derive(Default)]
pub struct Session {
    /// The client's first Destination Connection ID of the current attempt: the Initial keys
    /// come from it (RFC 9001 5.2).
    key_dcid: Option<Vec<u8>>,
    initial: Option<(Version, InitialKeys)>,
    handshake: [Option<PacketKeys>; 2],
    largest: [[Option<u64>; 2]; 2],
    crypto: [[CryptoStream; 2]; 2],
    /// The Source Connection ID length each side announced: the Destination Connection ID
    /// length of the short headers sent to it.
    scid_len: [Option<usize>; 2],
    /// The Destination Connection ID of a client Initial that did not open, while no keys are
    /// known: the server's Initials may open with its keys.
    unopened_dcid: Option<Vec<u8>>,
    /// Times the Initial CRYPTO streams started again (a Version Negotiation, a new attempt):
    /// what was read of them before belongs to the earlier attempt.
    attempt: u64,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// The Destination Connection ID the Initial keys are derived from.
    pub fn key_dcid(&self) -> Option<&[u8]> {
        self.key_dcid.as_deref()
    }

    /// Counts the restarts of the Initial CRYPTO streams (see [`Session::datagram`]).
    pub fn attempt(&self) -> u64 {
        self.attempt
    }

    /// Sets the Handshake keys `side` sends with (from a key log's handshake traffic secret).
    pub fn set_handshake_keys(&mut self, side: Side, keys: PacketKeys) {
        self.handshake[side_index(side)] = Some(keys);
    }

    /// The CRYPTO stream `side` sent in `space`.
    pub fn crypto(&self, space: Space, side: Side) -> &CryptoStream {
        &self.crypto[space.index()][side_index(side)]
    }

    /// The Initial keys in use, with their version.
    pub fn initial_keys(&self) -> Option<(Version, &InitialKeys)> {
        self.initial.as_ref().map(|(v, k)| (*v, k))
    }

    /// Whether the Handshake keys `side` sends with are known.
    pub fn has_handshake_keys(&self, side: Side) -> bool {
        self.handshake[side_index(side)].is_some()
    }

    /// Reads one datagram `from` one side: every packet in it, opened where the keys are
    /// known, its CRYPTO frames added to their stream.
    pub fn datagram(&mut self, from: Side, datagram: &[u8]) -> Vec<Seen> {
        let mut out = Vec::new();
        for (range, header) in self.packets(from, datagram) {
            let seen = self.packet(from, &datagram[range.clone()], range, header);
            out.push(seen);
        }
        out
    }

    /// The packets of one datagram `from` one side, each to be read with
    /// [`Session::packet`]: what one packet gives (a ServerHello, so the Handshake keys) can
    /// open the next one of the same datagram.
    pub fn packets<'a>(&self, from: Side, datagram: &'a [u8]) -> Packets<'a> {
        let to = match from {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        Packets::new(datagram, self.scid_len[side_index(to)])
    }

    /// Reads one packet `from` one side (`bytes`, at `range` in its datagram): opened where
    /// the keys are known, its CRYPTO frames added to their stream.
    pub fn packet(
        &mut self,
        from: Side,
        bytes: &[u8],
        range: Range<usize>,
        header: Header,
    ) -> Seen {
        let mut seen = Seen {
            range,
            header,
            space: None,
            opened: None,
            frames: None,
        };
        match &seen.header {
            Header::Retry(_) | Header::VersionNegotiation(_) => {
                // The client starts again: a new Destination Connection ID, new Initial keys
                // (RFC 9000 17.2.5.2, 6.2), and a new ClientHello after Version Negotiation.
                self.key_dcid = None;
                self.initial = None;
                if matches!(seen.header, Header::VersionNegotiation(_)) {
                    self.crypto[0] = Default::default();
                    self.largest[0] = [None; 2];
                    self.attempt += 1;
                }
                return seen;
            }
            Header::Long(h) => {
                self.scid_len[side_index(from)] = Some(h.ids.scid.len());
                let space = match h.packet_type {
                    LongType::Initial => Space::Initial,
                    LongType::Handshake => Space::Handshake,
                    _ => return seen,
                };
                seen.space = Some(space);
                let opened = match space {
                    Space::Initial => self.open_initial(from, bytes, h),
                    Space::Handshake => self.handshake[side_index(from)].as_ref().and_then(|k| {
                        let largest = self.largest[1][side_index(from)];
                        packet::open(bytes, h.pn_offset, true, k, largest)
                    }),
                };
                if let Some(opened) = opened {
                    let slot = &mut self.largest[space.index()][side_index(from)];
                    *slot = Some(slot.map_or(opened.pn, |l| l.max(opened.pn)));
                    let frames = frames::parse(&opened.payload);
                    let stream = &mut self.crypto[space.index()][side_index(from)];
                    for f in &frames.frames {
                        if let FrameKind::Crypto { offset, data } = &f.kind {
                            stream.insert(*offset, &opened.payload[data.clone()]);
                        }
                    }
                    seen.frames = Some(frames);
                    seen.opened = Some(opened);
                }
            }
            Header::OtherVersion(_) | Header::Short(_) => {}
        }
        seen
    }

    fn open_initial(&mut self, from: Side, bytes: &[u8], h: &header::LongHeader) -> Option<Opened> {
        let largest = self.largest[0][side_index(from)];
        if let Some((version, keys)) = &self.initial
            && *version == h.version
            && let Some(opened) =
                packet::open(bytes, h.pn_offset, true, keys.sending(from), largest)
        {
            return Some(opened);
        }
        if from != Side::Client {
            return self.open_server_initial_unkeyed(bytes, h);
        }
        // A client Initial the current keys do not open starts an attempt: its Destination
        // Connection ID is the one the keys come from.
        let dcid = &bytes[h.ids.dcid.clone()];
        let keys = keys::initial(h.version, dcid)?;
        let Some(opened) = packet::open(bytes, h.pn_offset, true, &keys.client, None) else {
            // Cut by the capture, say: its ID may still open the server's answer.
            if self.initial.is_none() {
                self.unopened_dcid = Some(dcid.to_vec());
            }
            return None;
        };
        if self.key_dcid.is_some() {
            // A new attempt: its ClientHello starts a new stream.
            self.crypto[0] = Default::default();
            self.largest[0] = [None; 2];
            self.attempt += 1;
        }
        self.key_dcid = Some(dcid.to_vec());
        self.initial = Some((h.version, keys));
        self.unopened_dcid = None;
        Some(opened)
    }

    /// A server Initial before any client Initial opened: the keys of the Destination
    /// Connection ID of a client Initial that did not open (a capture that cut it short), when
    /// they open this one.
    fn open_server_initial_unkeyed(
        &mut self,
        bytes: &[u8],
        h: &header::LongHeader,
    ) -> Option<Opened> {
        if self.initial.is_some() {
            return None;
        }
        let dcid = self.unopened_dcid.clone()?;
        let keys = keys::initial(h.version, &dcid)?;
        let opened = packet::open(bytes, h.pn_offset, true, &keys.server, None)?;
        self.key_dcid = Some(dcid);
        self.initial = Some((h.version, keys));
        self.unopened_dcid = None;
        Some(opened)
    }
}
