//! What the container formats hold, shared by the reader and the writer: the format itself, the
//! pcap global header, pcapng interfaces, raw timestamps and the kinds of dropped blocks. Kept
//! apart from `mod.rs` so `reader` and `writer` do not import the folder's `mod.rs` back (data
//! flows one way: docs/architecture.md).

use crate::stable_names::stable_names;

stable_names! {
    /// The container format, detected from the magic number (never from the file name).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Format {
        Pcap = "pcap",
        PcapNg = "pcapng",
    }
}

impl Format {
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

/// The global header of a classic pcap file. The output repeats only what a reader needs (byte
/// order, timestamp resolution, snap length, link type); `thiszone`, `sigfigs`, the minor version
/// and the link type's upper bits are read but never written back (see `writer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapHeader {
    pub big_endian: bool,
    pub nanosecond: bool,
    pub version_major: u16,
    pub version_minor: u16,
    pub thiszone: i32,
    pub sigfigs: u32,
    pub snaplen: u32,
    /// The link-type field as stored: the link type in the low 16 bits; above it, bits that say
    /// whether every packet ends with a frame check sequence, and how long it is.
    pub link_type_field: u32,
}

/// Set in a pcap link-type field when the packets carry a frame check sequence.
const FCS_PRESENT: u32 = 0x0400_0000;

impl PcapHeader {
    pub fn link_type(&self) -> u32 {
        self.link_type_field & 0xFFFF
    }

    /// Bytes of frame check sequence at the end of every frame as sent: the top four bits of
    /// the link-type field count 16-bit words, when the FCS-present bit is set.
    pub fn fcs_len(&self) -> u32 {
        if self.link_type_field & FCS_PRESENT == 0 {
            return 0;
        }
        (self.link_type_field >> 28) * 2
    }

    /// Timestamp units per second of this file.
    pub fn units_per_second(&self) -> u64 {
        if self.nanosecond {
            1_000_000_000
        } else {
            1_000_000
        }
    }
}

/// A frame without its trailing frame check sequence of `fcs_len` bytes, and its original length
/// without it. The FCS is the last bytes of the frame as sent, so it is in the captured bytes only
/// as far as they reach into the frame's last `fcs_len` bytes; whatever of it was captured goes.
pub(crate) fn without_fcs(data: &[u8], orig_len: u32, fcs_len: u32) -> (&[u8], u32) {
    if fcs_len == 0 {
        return (data, orig_len);
    }
    let frame_len = orig_len.saturating_sub(fcs_len);
    let keep = data.len().min(frame_len as usize);
    (&data[..keep], frame_len)
}

/// A pcapng interface description, reduced to what the output keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    pub link_type: u16,
    pub snaplen: u32,
    /// The raw `if_tsresol` option byte, when present (absent means microseconds).
    pub tsresol: Option<u8>,
    /// The `if_tsoffset` option in seconds, when present.
    pub tsoffset: Option<i64>,
}

impl Interface {
    /// Timestamp units per second on this interface; `None` when the resolution is one we
    /// cannot express in integer units per second (2^-n with n > 63, 10^-n with n > 19).
    pub fn units_per_second(&self) -> Option<u64> {
        match self.tsresol {
            None => Some(1_000_000),
            Some(r) if r & 0x80 != 0 => 1u64.checked_shl(u32::from(r & 0x7F)),
            Some(r) => 10u64.checked_pow(u32::from(r)),
        }
    }
}

/// A timestamp exactly as stored: (seconds, fraction) for pcap, (high, low) words for pcapng.
/// Copied through untouched so the output has the same timestamps to the last unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawTimestamp {
    pub hi: u32,
    pub lo: u32,
}

stable_names! {
    /// What a dropped pcapng block or option was: counted by kind in the summary.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum DroppedBlock {
        NameResolution = "name_resolution",
        InterfaceStatistics = "interface_statistics",
        DecryptionSecrets = "decryption_secrets",
        Custom = "custom",
        SystemdJournal = "systemd_journal",
        Unknown = "unknown",
    }
}
