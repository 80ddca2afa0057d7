//! Views of QUIC packet headers as they sit in a datagram (RFC 9000 17, RFC 8999 for the
//! version-independent part): where each field is, before header protection is removed.
//!
//! A long header names its connection IDs' lengths; a short header does not, so its
//! Destination Connection ID length comes from the connection (what the peer chose as its
//! Source Connection ID). Only versions 1 and 2 are parsed past the invariant fields: a
//! long header of any other version is [`Header::OtherVersion`] and runs to the datagram's end.

use std::ops::Range;

use super::varint::Cursor;
use super::version::{LongType, Version};

/// Longest connection ID QUIC v1 and v2 allow (RFC 9000 17.2).
pub const MAX_CID_LEN: usize = 20;

/// Length of the Retry integrity tag (RFC 9001 5.8).
pub const RETRY_TAG_LEN: usize = 16;

/// The fields every long header has (RFC 8999 5.1). Ranges are from the packet's first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invariant {
    pub version: u32,
    pub dcid: Range<usize>,
    pub scid: Range<usize>,
}

/// An Initial, 0-RTT or Handshake packet of version 1 or 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongHeader {
    pub version: Version,
    pub packet_type: LongType,
    pub ids: Invariant,
    /// Initial packets: the token (empty when the token length is 0); others: empty at the
    /// Length field.
    pub token: Range<usize>,
    /// The Length field (a variable-length integer): its bytes, to rewrite at the same width.
    pub length_field: Range<usize>,
    /// Where the (protected) packet number starts.
    pub pn_offset: usize,
    /// Where the packet ends: `pn_offset` + Length.
    pub end: usize,
}

/// A Version Negotiation packet (RFC 9000 17.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionNegotiation {
    pub ids: Invariant,
    pub supported: Vec<u32>,
}

/// A Retry packet (RFC 9000 17.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub version: Version,
    pub ids: Invariant,
    pub token: Range<usize>,
    pub tag: Range<usize>,
}

/// A 1-RTT packet (RFC 9000 17.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortHeader {
    pub dcid: Range<usize>,
    pub pn_offset: usize,
}

/// One packet's header; every packet but a long Initial, 0-RTT or Handshake runs to the end
/// of its datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Long(LongHeader),
    VersionNegotiation(VersionNegotiation),
    Retry(Retry),
    /// A long header of a version this tool does not parse: only the invariant fields.
    OtherVersion(Invariant),
    Short(ShortHeader),
}

impl Header {
    /// Where the packet ends within `packet` (the bytes given to [`parse`]).
    pub fn end(&self, packet_len: usize) -> usize {
        match self {
            Header::Long(h) => h.end,
            _ => packet_len,
        }
    }
}

/// Whether the first byte starts a long header.
pub fn is_long(first: u8) -> bool {
    first & 0x80 != 0
}

/// Parses the header of the packet at the start of `packet`; `short_dcid_len` is the
/// Destination Connection ID length a short header would have on this connection, `None`
/// when it is unknown (a short header is then not parsed). `None` when the bytes are not a
/// well-formed header.
pub fn parse(packet: &[u8], short_dcid_len: Option<usize>) -> Option<Header> {
    let first = *packet.first()?;
    if !is_long(first) {
        let len = short_dcid_len?;
        // The fixed bit, and room for the packet number and the header protection sample.
        if first & 0x40 == 0 || len > MAX_CID_LEN || packet.len() < 1 + len + 4 + 16 {
            return None;
        }
        return Some(Header::Short(ShortHeader {
            dcid: 1..1 + len,
            pn_offset: 1 + len,
        }));
    }
    let mut c = Cursor::new(packet);
    c.u8()?;
    let version_number = c.u32()?;
    let dcid_len = usize::from(c.u8()?);
    let dcid = c.pos()..c.pos() + dcid_len;
    c.take(dcid_len)?;
    let scid_len = usize::from(c.u8()?);
    let scid = c.pos()..c.pos() + scid_len;
    c.take(scid_len)?;
    let ids = Invariant {
        version: version_number,
        dcid,
        scid,
    };
    if version_number == 0 {
        let list = c.take(c.remaining())?;
        if list.is_empty() || list.len() % 4 != 0 {
            return None;
        }
        let supported = list
            .chunks_exact(4)
            .map(|v| u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
            .collect();
        return Some(Header::VersionNegotiation(VersionNegotiation {
            ids,
            supported,
        }));
    }
    let Some(version) = Version::from_wire(version_number) else {
        return Some(Header::OtherVersion(ids));
    };
    if dcid_len > MAX_CID_LEN || scid_len > MAX_CID_LEN {
        return None;
    }
    let packet_type = version.long_type(first >> 4);
    if packet_type == LongType::Retry {
        let token_len = c.remaining().checked_sub(RETRY_TAG_LEN)?;
        let token = c.pos()..c.pos() + token_len;
        return Some(Header::Retry(Retry {
            version,
            ids,
            tag: token.end..packet.len(),
            token,
        }));
    }
    let token = if packet_type == LongType::Initial {
        let len = c.varint()?;
        let start = c.pos();
        c.take_varint_len(len)?;
        start..c.pos()
    } else {
        c.pos()..c.pos()
    };
    let length_start = c.pos();
    let length = usize::try_from(c.varint()?).ok()?;
    let pn_offset = c.pos();
    let end = pn_offset.checked_add(length)?;
    // The packet number (1 to 4 bytes) and the 16-byte sample after its 4th byte must fit.
    if end > packet.len() || length < 4 + 16 {
        return None;
    }
    Some(Header::Long(LongHeader {
        version,
        packet_type,
        ids,
        token,
        length_field: length_start..pn_offset,
        pn_offset,
        end,
    }))
}

/// The packets of one UDP datagram (RFC 9000 12.2: several long-header packets may be
/// coalesced, a short-header one can only be last). Each item is the packet's range in the
/// datagram and its header; iteration stops at bytes that are no packet (trailing zeros some
/// stacks pad with, or garbage), which [`Packets::rest`] then gives.
pub struct Packets<'a> {
    datagram: &'a [u8],
    at: usize,
    short_dcid_len: Option<usize>,
    stopped: bool,
}

impl<'a> Packets<'a> {
    pub fn new(datagram: &'a [u8], short_dcid_len: Option<usize>) -> Packets<'a> {
        Packets {
            datagram,
            at: 0,
            short_dcid_len,
            stopped: false,
        }
    }

    /// The range of the datagram no packet was read from (empty when every byte was).
    pub fn rest(&self) -> Range<usize> {
        self.at..self.datagram.len()
    }
}

impl Iterator for Packets<'_> {
    type Item = (Range<usize>, Header);

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped || self.at >= self.datagram.len() {
            return None;
        }
        let packet = &self.datagram[self.at..];
        let Some(header) = parse(packet, self.short_dcid_len) else {
            self.stopped = true;
            return None;
        };
        let start = self.at;
        self.at += header.end(packet.len());
        Some((start..self.at, header))
    }
}
