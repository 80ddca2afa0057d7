//! The sanitized copy of a QUIC connection, planned in pass 1 (docs/udp.md): what each packet
//! of each datagram becomes, at the datagram's place in its direction's plan
//! (`crate::plan::datagram_base`), so pass 2 writes it from the packet number alone, as it
//! writes a DTLS datagram.
//!
//! - An Initial packet that opened is resealed (`crate::quic::reseal`): its CRYPTO data from
//!   this direction's Initial CRYPTO stream as redacted (the same redaction as TLS), its
//!   connection IDs mapped, sealed with the Initial keys of the mapped original Destination
//!   Connection ID. A hello may span several Initials: a packet waits until the redacted
//!   stream covers its CRYPTO data (or the connection ends; bytes never redacted are zeros).
//! - Every other packet keeps its header with mapped IDs (`crate::quic::skeleton`); its
//!   protected payload is removed (zeros, cut after the datagram's last kept byte).
//! - Bytes after the last packet the walk read: zeros that pad the datagram are kept (the
//!   datagram stays whole, its UDP checksum true); anything else is removed.
//! - A datagram the capture cut short was read with zeros for its missing bytes (its packets'
//!   headers are still there, so a second run reads the sanitized copy alike): nothing past
//!   the bytes captured is kept.

use std::ops::Range;

use crate::flow::Side;
use crate::plan::{KeptRange, datagram_base};
use crate::quic::crypto::Message;
use crate::quic::frames::{FrameKind, Frames};
use crate::quic::header::{Header, LongHeader};
use crate::quic::keys::{self, InitialKeys};
use crate::quic::packet::Opened;
use crate::quic::reseal::{self, Rewrite};
use crate::quic::session::Seen;
use crate::quic::skeleton;
use crate::quic::version::{LongType, Version};
use crate::redact::Redactor;
use crate::tls::extensions::Side as Role;
use crate::tls::spans::{self, Negotiated, SpanKind};

/// A (stream or packet) byte range the redaction changed, and what it held.
type Changed = (usize, usize, SpanKind);

/// What the output carries of one QUIC connection, while pass 1 follows it.
#[derive(Default)]
pub struct QuicPlan {
    /// Each role's Initial CRYPTO stream from offset 0 as the output carries it: the messages
    /// read so far, redacted.
    redacted: [Vec<u8>; 2],
    /// The ranges of `redacted` the redaction changed (what `check` reports).
    changed: [Vec<Changed>; 2],
    /// Opened Initials waiting for the redacted stream to cover their CRYPTO data.
    pending: Vec<Pending>,
    /// The session's attempt `redacted` belongs to.
    attempt: u64,
    /// The Initial keys of the last mapped original Destination Connection ID.
    keys: Option<(Version, Vec<u8>, InitialKeys)>,
}

struct Pending {
    side: Side,
    role: Role,
    at: i64,
    header: LongHeader,
    opened: Opened,
    frames: Frames,
    dcid: Vec<u8>,
    scid: Vec<u8>,
    version: Version,
    /// The mapped original Destination Connection ID the keys come from.
    key_dcid: Vec<u8>,
    /// What the packet becomes should it not seal again: its header, as for any packet not
    /// resealed.
    skeleton: Vec<u8>,
}

/// One datagram of a QUIC connection as the session read it.
pub struct PlannedDatagram<'a> {
    pub number: u64,
    pub side: Side,
    pub role: Role,
    /// Its bytes, zeros after those the capture holds, up to its length as the UDP header
    /// states it.
    pub bytes: &'a [u8],
    /// How many of them the capture holds: nothing is kept past them.
    pub captured: usize,
    pub seen: &'a [Seen],
    /// The session's original Destination Connection ID once the datagram was read, and
    /// before (a Retry answers the one before).
    pub key_dcid: Option<&'a [u8]>,
    pub key_dcid_before: Option<&'a [u8]>,
}

/// Ranges to keep, by the side whose plan they go to.
pub type Kept = Vec<(Side, KeptRange)>;

fn role_index(role: Role) -> usize {
    match role {
        Role::Client => 0,
        Role::Server => 1,
    }
}

impl QuicPlan {
    /// The session started its Initial streams again (`attempt` differs from the last seen):
    /// the waiting Initials are resealed from the streams of their attempt, which are then
    /// dropped. `true` when it did.
    pub fn restart(&mut self, attempt: u64, out: &mut Kept) -> bool {
        if attempt == self.attempt {
            return false;
        }
        self.flush(true, out);
        self.redacted = Default::default();
        self.changed = Default::default();
        self.attempt = attempt;
        true
    }

    /// Redacts one whole message of `role`'s Initial CRYPTO stream (`stream`: its bytes from
    /// offset 0), as TLS redacts it; returns the pseudonym of its first server name.
    pub fn message(
        &mut self,
        role: Role,
        stream: &[u8],
        m: &Message,
        negotiated: &Negotiated,
        hello_retry: bool,
        redactor: &mut Redactor,
    ) -> Option<Vec<u8>> {
        let i = role_index(role);
        let original = stream.get(m.range.clone())?;
        let mut message = original.to_vec();
        let mut pseudonym = None;
        let changed = &mut self.changed[i];
        match spans::locate(&message, negotiated) {
            Some(found) => {
                pseudonym = redactor.redact(&mut message, &found, hello_retry);
                changed.extend(
                    found
                        .iter()
                        .filter(|s| message[s.start..s.end] != original[s.start..s.end])
                        .map(|s| (m.range.start + s.start, m.range.start + s.end, s.kind)),
                );
            }
            None => {
                // Not walkable: its header keeps the framing, its body is zeros (as over TCP).
                let body = 4.min(message.len());
                message[body..].fill(0);
                if message[..] != original[..] {
                    let start = m.range.start + 4.min(m.range.len());
                    changed.push((start, m.range.end, SpanKind::UnwalkableMessage));
                }
            }
        }
        let redacted = &mut self.redacted[i];
        if redacted.len() < m.range.end {
            redacted.resize(m.range.end, 0);
        }
        redacted[m.range.clone()].copy_from_slice(&message);
        pseudonym
    }

    /// Plans one datagram: what each of its packets becomes.
    pub fn datagram(&mut self, d: &PlannedDatagram<'_>, redactor: &mut Redactor, out: &mut Kept) {
        let base = datagram_base(d.number);
        let mut map = |cid: &[u8]| redactor.connection_id(cid);
        let mut read_to = 0;
        for p in d.seen {
            read_to = p.range.end;
            let packet = &d.bytes[p.range.clone()];
            if let (Header::Long(h), Some(opened), Some(frames), Some(key_dcid)) =
                (&p.header, &p.opened, &p.frames, d.key_dcid)
                && h.packet_type == LongType::Initial
            {
                self.pending.push(Pending {
                    side: d.side,
                    role: d.role,
                    at: base + p.range.start as i64,
                    header: h.clone(),
                    opened: opened.clone(),
                    frames: frames.clone(),
                    dcid: map(&packet[h.ids.dcid.clone()]),
                    scid: map(&packet[h.ids.scid.clone()]),
                    version: h.version,
                    key_dcid: map(key_dcid),
                    skeleton: skeleton::kept(packet, &p.header, None, &mut map),
                });
                continue;
            }
            let odcid = match &p.header {
                Header::Retry(_) => d.key_dcid_before.map(&mut map),
                _ => None,
            };
            let mut bytes = skeleton::kept(packet, &p.header, odcid.as_deref(), &mut map);
            // Nothing past what the capture holds (a packet it cut short).
            bytes.truncate(d.captured.saturating_sub(p.range.start));
            keep(out, d.side, base + p.range.start as i64, bytes, Vec::new());
        }
        let rest = d.bytes.get(read_to..d.captured).unwrap_or_default();
        if d.captured == d.bytes.len() && rest.iter().all(|&b| b == 0) {
            // Zeros some stacks pad a datagram with after its last packet: kept, so the
            // datagram stays whole (and its UDP checksum true).
            keep(
                out,
                d.side,
                base + read_to as i64,
                rest.to_vec(),
                Vec::new(),
            );
        }
        self.flush(false, out);
    }

    /// Reseals the waiting Initials whose CRYPTO data the redacted stream covers (all of
    /// them when `force`: bytes it does not cover become zeros).
    pub fn flush(&mut self, force: bool, out: &mut Kept) {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            let i = role_index(p.role);
            if !force && !covered(&p.frames, self.redacted[i].len()) {
                self.pending.push(p);
                continue;
            }
            let bytes = self.reseal(&p);
            let spans = match bytes.is_some() {
                true => packet_spans(&p, &self.changed[i]),
                false => Vec::new(),
            };
            let bytes = bytes.unwrap_or_else(|| p.skeleton.clone());
            keep(out, p.side, p.at, bytes, spans);
        }
    }

    fn reseal(&mut self, p: &Pending) -> Option<Vec<u8>> {
        let fresh = !matches!(&self.keys, Some((v, d, _)) if *v == p.version && *d == p.key_dcid);
        if fresh {
            self.keys = Some((
                p.version,
                p.key_dcid.clone(),
                keys::initial(p.version, &p.key_dcid)?,
            ));
        }
        let (_, _, keys) = self.keys.as_ref()?;
        let with = Rewrite {
            dcid: &p.dcid,
            scid: &p.scid,
            stream: &self.redacted[role_index(p.role)],
            keys: keys.sending(p.role),
        };
        reseal::initial(&p.header, &p.opened, &p.frames, &with)
    }
}

/// Whether every CRYPTO byte of `frames` lies below `len`.
fn covered(frames: &Frames, len: usize) -> bool {
    frames.frames.iter().all(|f| match &f.kind {
        FrameKind::Crypto { offset, data } => {
            usize::try_from(*offset).is_ok_and(|o| o.saturating_add(data.len()) <= len)
        }
        _ => true,
    })
}

/// The stream ranges the redaction changed, where the packet carries them (the ciphertext
/// byte of a plaintext byte sits at the same place): what `check` reports.
fn packet_spans(p: &Pending, changed: &[Changed]) -> Vec<(u32, u32, SpanKind)> {
    let header_len = p.opened.header.len();
    let mut out = Vec::new();
    for f in &p.frames.frames {
        let FrameKind::Crypto { offset, data } = &f.kind else {
            continue;
        };
        let Ok(offset) = usize::try_from(*offset) else {
            continue;
        };
        let frame: Range<usize> = offset..offset + data.len();
        for &(a, b, kind) in changed {
            let (from, to) = (a.max(frame.start), b.min(frame.end));
            if from < to {
                let at = header_len + data.start - offset;
                out.push(((at + from) as u32, (at + to) as u32, kind));
            }
        }
    }
    out
}

fn keep(
    out: &mut Kept,
    side: Side,
    offset: i64,
    bytes: Vec<u8>,
    redacted: Vec<(u32, u32, SpanKind)>,
) {
    if bytes.is_empty() {
        return;
    }
    out.push((
        side,
        KeptRange {
            offset,
            bytes,
            redacted,
            handshake: false,
        },
    ));
}
