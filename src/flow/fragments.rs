//! IP fragment reassembly (IPv4 and the IPv6 Fragment header), bounded like a real stack: a
//! datagram is handed on only when every byte of it arrived, whole and consistent; anything
//! else (a hole at the end of its time, overlapping bytes that disagree, a fragment cut by the
//! snap length, a bound hit) leaves it unreassembled, and its fragments are treated as they
//! were before reassembly existed (docs/decisions.md, "IP fragments").
//!
//! It knows nothing of TCP or TLS: it gives back the datagram's first header and its
//! fragmentable part, with where each fragment's bytes went.

use super::path::PathId;
use crate::wire::Ip;

/// Datagrams being reassembled at once, at most (a fragment of one more is not reassembled).
pub const MAX_DATAGRAMS: usize = 1024;

/// Bytes of one datagram's fragmentable part, at most: what the 16-bit length fields allow.
pub const MAX_DATAGRAM_BYTES: usize = 65_535;

/// Fragment bytes held at once over all datagrams (Linux's `ipfrag_high_thresh` is 4 MiB).
pub const MAX_HELD_BYTES: usize = 4 * 1024 * 1024;

/// How long (capture time) a datagram waits for its missing fragments: Linux's
/// `ipfrag_time` and RFC 8200's 60 s bound; the shorter one.
pub const TIMEOUT_NS: i128 = 30_000_000_000;

/// Fragments recorded per datagram, at most (8-byte fragments of a 64 KiB datagram are 8,192;
/// a real path MTU makes a few).
pub const MAX_FRAGMENTS_PER_DATAGRAM: usize = 256;

/// What identifies the fragments of one datagram: addresses, protocol (IPv4 only; IPv6 keys
/// on addresses and identification, RFC 8200 section 4.5) and identification, and the path
/// the fragments came by: the same inner addresses in two tunnels are two hosts' datagrams
/// (docs/decisions.md, "Connections keyed by their path").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DatagramKey {
    pub path: PathId,
    pub version: u8,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub proto: u8,
    pub id: u32,
}

/// One fragment as offered: where it goes and the bytes it carries.
#[derive(Debug, Clone, Copy)]
pub struct FragmentIn<'a> {
    pub key: DatagramKey,
    /// Offset of `data` in the fragmentable part.
    pub offset: usize,
    pub more: bool,
    /// The headers before the fragmentable part (the IPv4 header; the IPv6 header, its
    /// extension headers and the Fragment header), from the IP header's first byte.
    pub head: &'a [u8],
    /// The fragment's bytes as captured.
    pub data: &'a [u8],
    /// The capture holds fewer bytes than the IP header says the fragment carries.
    pub truncated: bool,
    pub number: u64,
    pub time_ns: i128,
}

impl<'a> FragmentIn<'a> {
    /// The fragment `ip` describes in the frame `data`, which came by `path`; `None` when
    /// `ip` is not a fragment.
    pub fn of(
        data: &'a [u8],
        ip: &Ip,
        path: PathId,
        number: u64,
        time_ns: i128,
    ) -> Option<FragmentIn<'a>> {
        let f = ip.fragment(data)?;
        let n = ip.addr_len();
        let (mut src, mut dst) = ([0u8; 16], [0u8; 16]);
        src[..n].copy_from_slice(data.get(ip.src..ip.src + n)?);
        dst[..n].copy_from_slice(data.get(ip.dst..ip.dst + n)?);
        let end = ip.end.min(data.len());
        let data_start = f.data_start;
        Some(FragmentIn {
            key: DatagramKey {
                path,
                version: ip.version,
                src,
                dst,
                proto: if ip.version == 4 { ip.proto } else { 0 },
                id: f.id,
            },
            offset: f.offset,
            more: f.more,
            head: data.get(ip.start..data_start)?,
            data: data.get(data_start..end.max(data_start))?,
            truncated: data.len() < ip.end,
            number,
            time_ns,
        })
    }
}

/// Where one fragment's bytes went in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub number: u64,
    pub offset: usize,
    pub len: usize,
}

/// A datagram whose every byte arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub key: DatagramKey,
    /// The first fragment's headers (see [`FragmentIn::head`]).
    pub head: Vec<u8>,
    /// The fragmentable part, in order.
    pub payload: Vec<u8>,
    /// Every fragment that carried part of it (duplicates included), in arrival order.
    pub fragments: Vec<Placed>,
}

impl Datagram {
    /// The datagram as one unfragmented IP packet after `outside` (the bytes of a frame
    /// before its fragment's IP header: the link and tunnel headers it is decoded behind):
    /// the first fragment's header with the fragment fields cleared and the length fields set
    /// (an IPv6 packet keeps its Fragment header as an atomic fragment, RFC 6946, so no other
    /// header needs to change). No checksum is recomputed and the outer headers' lengths are
    /// left as they were: the packet is only read.
    pub fn packet_after(&self, outside: &[u8]) -> Vec<u8> {
        let at = outside.len();
        let mut p = Vec::with_capacity(at + self.head.len() + self.payload.len());
        p.extend_from_slice(outside);
        p.extend_from_slice(&self.head);
        p.extend_from_slice(&self.payload);
        let len = p.len() - at;
        if self.key.version == 4 {
            let total = u16::try_from(len).unwrap_or(u16::MAX);
            p[at + 2..at + 4].copy_from_slice(&total.to_be_bytes());
            p[at + 6] &= 0x40; // keep DF, clear MF and the offset
            p[at + 7] = 0;
        } else {
            let payload = u16::try_from(len - 40).unwrap_or(u16::MAX);
            p[at + 4..at + 6].copy_from_slice(&payload.to_be_bytes());
            let frag = at + self.head.len() - 8;
            p[frag + 2] = 0;
            p[frag + 3] = 0;
        }
        p
    }
}

/// What became of an offered fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// Held until its datagram is complete.
    Held,
    /// Its datagram is complete.
    Complete(Datagram),
    /// Not reassembled (see [`Refusal`]); its datagram, if any, is abandoned.
    Refused(Refusal),
}

/// Why a fragment was not reassembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The capture holds less than the fragment carried.
    Truncated,
    /// Its bytes disagree with bytes of the same datagram that arrived before.
    Conflict,
    /// A non-last fragment whose length is not a multiple of 8, an empty one, two different
    /// ends, bytes past the end, or a first fragment with another header.
    Malformed,
    /// The datagram would exceed [`MAX_DATAGRAM_BYTES`] or [`MAX_FRAGMENTS_PER_DATAGRAM`].
    TooLarge,
    /// [`MAX_DATAGRAMS`] or [`MAX_HELD_BYTES`] reached.
    Full,
    /// Its datagram was abandoned before (for one of the reasons above).
    Abandoned,
}

/// A datagram being reassembled.
#[derive(Debug)]
struct Pending {
    key: DatagramKey,
    first_ns: i128,
    /// The first fragment's headers, once it arrived.
    head: Option<Vec<u8>>,
    bytes: Vec<u8>,
    /// Which bytes of `bytes` arrived: sorted, disjoint, merged (start, end) ranges.
    have: Vec<(usize, usize)>,
    /// The end of the datagram, once the last fragment arrived.
    end: Option<usize>,
    fragments: Vec<Placed>,
    /// Abandoned: later fragments are refused until the entry times out, so that no
    /// datagram is completed from a mix of the fragments before and after a conflict.
    abandoned: bool,
}

impl Pending {
    fn complete(&self) -> bool {
        self.head.is_some() && self.end.is_some_and(|e| self.have == [(0, e)])
    }

    /// Notes that [from, to) arrived.
    fn add_range(&mut self, from: usize, to: usize) {
        self.have.push((from, to));
        self.have.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.have.len());
        for &(a, b) in &self.have {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.have = merged;
    }

    /// Whether the bytes at `offset` agree with those already there.
    fn agrees(&self, offset: usize, data: &[u8]) -> bool {
        let end = offset + data.len();
        self.have.iter().all(|&(a, b)| {
            let (lo, hi) = (a.max(offset), b.min(end));
            lo >= hi || self.bytes[lo..hi] == data[lo - offset..hi - offset]
        })
    }
}

/// The datagrams being reassembled.
#[derive(Debug, Default)]
pub struct Reassembler {
    pending: Vec<Pending>,
    held: usize,
}

impl Reassembler {
    /// Datagrams being reassembled (abandoned ones waiting for their time out included).
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Bytes held over all datagrams.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Takes one fragment; the datagrams older than [`TIMEOUT_NS`] are given up first.
    pub fn offer(&mut self, f: &FragmentIn<'_>) -> Offer {
        self.expire(f.time_ns);
        let i = match self.pending.iter().position(|p| p.key == f.key) {
            Some(i) => i,
            None => {
                if self.pending.len() >= MAX_DATAGRAMS {
                    return Offer::Refused(Refusal::Full);
                }
                self.pending.push(Pending {
                    key: f.key,
                    first_ns: f.time_ns,
                    head: None,
                    bytes: Vec::new(),
                    have: Vec::new(),
                    end: None,
                    fragments: Vec::new(),
                    abandoned: false,
                });
                self.pending.len() - 1
            }
        };
        match self.place(i, f) {
            Ok(()) if self.pending[i].complete() => {
                let p = self.pending.swap_remove(i);
                self.held -= p.bytes.len();
                let end = p.end.unwrap_or(0);
                let mut payload = p.bytes;
                payload.truncate(end);
                Offer::Complete(Datagram {
                    key: p.key,
                    head: p.head.unwrap_or_default(),
                    payload,
                    fragments: p.fragments,
                })
            }
            Ok(()) => Offer::Held,
            Err(Refusal::Abandoned) => Offer::Refused(Refusal::Abandoned),
            Err(why) => {
                let p = &mut self.pending[i];
                self.held -= p.bytes.len();
                p.abandoned = true;
                p.bytes = Vec::new();
                p.have = Vec::new();
                p.head = None;
                p.fragments = Vec::new();
                Offer::Refused(why)
            }
        }
    }

    /// Puts the fragment's bytes into datagram `i`, or says why not.
    fn place(&mut self, i: usize, f: &FragmentIn<'_>) -> Result<(), Refusal> {
        let p = &self.pending[i];
        if p.abandoned {
            return Err(Refusal::Abandoned);
        }
        if f.truncated {
            return Err(Refusal::Truncated);
        }
        let end = f.offset + f.data.len();
        if f.data.is_empty() || (f.more && !f.data.len().is_multiple_of(8)) {
            return Err(Refusal::Malformed);
        }
        if end > MAX_DATAGRAM_BYTES || p.fragments.len() >= MAX_FRAGMENTS_PER_DATAGRAM {
            return Err(Refusal::TooLarge);
        }
        // The last fragment fixes the end; no byte may lie past it, and no other fragment
        // may say the datagram ends elsewhere.
        let known_end = p.end.or((!f.more).then_some(end));
        if known_end.is_some_and(|e| end > e || (!f.more && e != end))
            || (!f.more && p.have.last().is_some_and(|&(_, b)| b > end))
        {
            return Err(Refusal::Malformed);
        }
        if f.offset == 0
            && let Some(head) = &p.head
            && head.as_slice() != strip_fragment_fields(f.head, f.key.version).as_slice()
        {
            return Err(Refusal::Conflict);
        }
        if !p.agrees(f.offset, f.data) {
            return Err(Refusal::Conflict);
        }
        let grow = end.saturating_sub(p.bytes.len());
        if self.held + grow > MAX_HELD_BYTES {
            return Err(Refusal::Full);
        }
        let p = &mut self.pending[i];
        if p.bytes.len() < end {
            p.bytes.resize(end, 0);
        }
        p.bytes[f.offset..end].copy_from_slice(f.data);
        self.held += grow;
        p.add_range(f.offset, end);
        p.end = known_end;
        if f.offset == 0 && p.head.is_none() {
            p.head = Some(strip_fragment_fields(f.head, f.key.version));
        }
        p.fragments.push(Placed {
            number: f.number,
            offset: f.offset,
            len: f.data.len(),
        });
        Ok(())
    }

    /// Gives up the datagrams whose first fragment is more than [`TIMEOUT_NS`] older than
    /// `now_ns`.
    fn expire(&mut self, now_ns: i128) {
        let held = &mut self.held;
        self.pending.retain(|p| {
            let keep = now_ns.saturating_sub(p.first_ns) <= TIMEOUT_NS;
            if !keep {
                *held -= p.bytes.len();
            }
            keep
        });
    }
}

/// A first fragment's headers with the fields that differ between copies of it (IPv4
/// checksum, and nothing else: identification, flags and offset are the same) cleared, so two
/// copies compare equal when they carry the same header.
fn strip_fragment_fields(head: &[u8], version: u8) -> Vec<u8> {
    let mut h = head.to_vec();
    if version == 4 && h.len() >= 12 {
        h[10] = 0;
        h[11] = 0;
    }
    h
}

#[cfg(test)]
mod tests;
