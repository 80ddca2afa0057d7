//! Streaming reader for pcap and pcapng: records and pcapng packet blocks are slices of a window
//! that moves forward over the file (`capture::window`); other pcapng blocks are copied into one
//! reused buffer.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;

use super::format::{self, DroppedBlock, Format, Interface, PcapHeader, RawTimestamp};
use super::window::Window;

/// A record larger than this is corrupt, whatever the header's snap length says: no capture
/// tool writes one, and honouring it would let a 30-byte file demand a 4 GiB buffer.
pub const MAX_RECORD: u64 = 256 * 1024 * 1024;

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_IDB: u32 = 0x0000_0001;
const PCAPNG_OPB: u32 = 0x0000_0002;
const PCAPNG_SPB: u32 = 0x0000_0003;
const PCAPNG_NRB: u32 = 0x0000_0004;
const PCAPNG_ISB: u32 = 0x0000_0005;
const PCAPNG_EPB: u32 = 0x0000_0006;
const PCAPNG_JOURNAL: u32 = 0x0000_0009;
const PCAPNG_DSB: u32 = 0x0000_000A;
/// Decryption Secrets Block type of a TLS key log in NSS format ("TLSK").
const DSB_TLS_KEY_LOG: u32 = 0x544c_534b;
const PCAPNG_CUSTOM: u32 = 0x0000_0BAD;
const PCAPNG_CUSTOM_NOCOPY: u32 = 0x4000_0BAD;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

const OPT_ENDOFOPT: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// An input error: always names the file, and the packet and byte offset where known.
#[derive(Debug)]
pub struct ReadError {
    pub file: String,
    pub packet: Option<u64>,
    pub offset: Option<u64>,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match (self.packet, self.offset) {
            (Some(p), Some(o)) => write!(f, ", packet {p} (byte offset {o})")?,
            (None, Some(o)) => write!(f, ", byte offset {o}")?,
            (Some(p), None) => write!(f, ", packet {p}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ReadError {}

/// One packet as stored, borrowing the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based frame number across the whole file, as Wireshark counts them.
    pub number: u64,
    /// pcapng interface index (0 for pcap).
    pub interface: u32,
    pub link_type: u32,
    pub ts: RawTimestamp,
    pub orig_len: u32,
    /// Timestamp units per second of this packet's file or interface.
    pub units_per_second: u64,
    /// pcapng `if_tsoffset` in seconds (0 for pcap).
    pub ts_offset: i64,
    pub data: &'a [u8],
}

impl Packet<'_> {
    /// The packet's time in nanoseconds since the Unix epoch (pcap timestamps are (seconds,
    /// fraction); pcapng timestamps are one 64-bit count of interface units plus an offset).
    pub fn time_ns(&self, pcap: bool) -> i128 {
        let units = i128::from(self.units_per_second.max(1));
        let ns = if pcap {
            i128::from(self.ts.hi) * 1_000_000_000 + i128::from(self.ts.lo) * 1_000_000_000 / units
        } else {
            let raw = (i128::from(self.ts.hi) << 32) | i128::from(self.ts.lo);
            raw * 1_000_000_000 / units
        };
        ns + i128::from(self.ts_offset) * 1_000_000_000
    }
}

/// What the reader found next.
#[derive(Debug)]
pub enum Event<'a> {
    /// A pcapng section header: interfaces restart from zero.
    Section,
    /// A pcapng interface description.
    Interface(Interface),
    Packet(Packet<'a>),
    /// A pcapng block the output never carries.
    Dropped(DroppedBlock),
    /// A pcapng Decryption Secrets Block holding a TLS key log (`crate::keylog`): read for the
    /// diagnosis, dropped from the output like any [`DroppedBlock::DecryptionSecrets`]. No
    /// `Debug` of the secrets: only their length is shown.
    TlsKeyLog(SecretText<'a>),
    /// A packet record that cannot be used (e.g. it names an interface that does not exist);
    /// counted and dropped, the rest of the capture is processed.
    BadPacket {
        number: u64,
        reason: &'static str,
    },
}

/// The text of an embedded key log: key material, never formatted.
pub struct SecretText<'a>(pub &'a [u8]);

impl std::fmt::Debug for SecretText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretText({} bytes)", self.0.len())
    }
}

/// Something that did not stop processing but must be reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadWarning {
    /// The file ends inside a record: everything before it was processed.
    TruncatedRecord { packet: u64, offset: u64 },
}

/// Counts of pcapng options the output does not carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DroppedOptions {
    pub comments: u64,
    pub other: u64,
}

/// Told how far a reader has got (bytes from the file's start), about every
/// [`PROGRESS_STEP`] bytes: progress bars follow a long read with it.
pub type OnProgress = Box<dyn FnMut(u64) + Send>;

/// Bytes between two progress reports: often enough for a bar, rare enough to cost nothing.
pub const PROGRESS_STEP: u64 = 4 << 20;

pub struct CaptureReader {
    name: String,
    progress: Option<OnProgress>,
    /// The offset at which `progress` is told next.
    next_progress: u64,
    input: Window,
    file_len: u64,
    offset: u64,
    format: Format,
    pcap: Option<PcapHeader>,
    ng_big_endian: bool,
    interfaces: Vec<Interface>,
    packets: u64,
    buf: Vec<u8>,
    /// `buf` holds a Decryption Secrets Block's key log: wiped before it is used again, or
    /// when the reader is dropped (docs/decisions.md, "Key logs").
    secrets_in_buf: bool,
    finished: bool,
    pending_section: bool,
    pub warnings: Vec<ReadWarning>,
    pub dropped_options: DroppedOptions,
}

impl Drop for CaptureReader {
    fn drop(&mut self) {
        self.wipe_secrets();
    }
}

impl CaptureReader {
    /// Zeroes the block buffer (its spare capacity too) once the secrets block it held has
    /// been handed out and read.
    fn wipe_secrets(&mut self) {
        if std::mem::take(&mut self.secrets_in_buf) {
            zeroize::Zeroize::zeroize(&mut self.buf);
        }
    }

    /// Opens a capture; `name` is how errors refer to it (the path as the user wrote it).
    pub fn open(path: &Path, name: &str) -> Result<CaptureReader, ReadError> {
        let err = |m: String| ReadError {
            file: name.to_string(),
            packet: None,
            offset: None,
            message: m,
        };
        let file =
            File::open(path).map_err(|e| err(format!("cannot open it: {}", io_reason(&e))))?;
        let meta = file
            .metadata()
            .map_err(|e| err(format!("cannot read it: {}", io_reason(&e))))?;
        if meta.is_dir() {
            return Err(err("is a directory, not a capture file".into()));
        }
        let mut reader = CaptureReader {
            name: name.to_string(),
            progress: None,
            next_progress: u64::MAX,
            input: Window::new(file, meta.len(), meta.is_file()),
            file_len: meta.len(),
            offset: 0,
            format: Format::Pcap,
            pcap: None,
            ng_big_endian: false,
            interfaces: Vec::new(),
            packets: 0,
            buf: Vec::with_capacity(65_536),
            secrets_in_buf: false,
            finished: false,
            pending_section: false,
            warnings: Vec::new(),
            dropped_options: DroppedOptions::default(),
        };
        reader.read_preamble()?;
        Ok(reader)
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The name errors give the capture.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pcap global header (pcap files only).
    pub fn pcap_header(&self) -> Option<PcapHeader> {
        self.pcap
    }

    /// Reports the bytes read so far to `f` as the reading goes on.
    pub fn on_progress(&mut self, f: OnProgress) {
        self.progress = Some(f);
        self.next_progress = 0;
    }

    #[cold]
    fn report_progress(&mut self) {
        if let Some(f) = self.progress.as_mut() {
            f(self.offset);
        }
        self.next_progress = self.offset.saturating_add(PROGRESS_STEP);
    }

    pub fn packets_read(&self) -> u64 {
        self.packets
    }

    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    fn error(&self, packet: Option<u64>, offset: u64, message: impl Into<String>) -> ReadError {
        ReadError {
            file: self.name.clone(),
            packet,
            offset: Some(offset),
            message: message.into(),
        }
    }

    fn read_preamble(&mut self) -> Result<(), ReadError> {
        if self.file_len == 0 {
            return Err(self.error(None, 0, "the file is empty, not a pcap or pcapng capture"));
        }
        let mut magic = [0u8; 4];
        let got = self.fill(&mut magic)?;
        if got < 4 {
            return Err(self.error(
                None,
                0,
                "the file is too short to be a pcap or pcapng capture",
            ));
        }
        match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => self.read_pcap_header(false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => self.read_pcap_header(true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => self.read_pcap_header(false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => self.read_pcap_header(true, true),
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                self.format = Format::PcapNg;
                // The first block must be a section header; it is parsed by next() like any other.
                self.buf.clear();
                self.buf.extend_from_slice(&magic);
                self.pending_section = true;
                Ok(())
            }
            [0x1f, 0x8b, ..] => Err(self.error(
                None,
                0,
                "the file is gzip-compressed; decompress it first (gunzip -k)",
            )),
            _ => Err(self.error(
                None,
                0,
                format!(
                    "not a pcap or pcapng capture (it starts with bytes {:02x} {:02x} {:02x} {:02x})",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            )),
        }
    }

    fn read_pcap_header(&mut self, big_endian: bool, nanosecond: bool) -> Result<(), ReadError> {
        let mut rest = [0u8; 20];
        if self.fill(&mut rest)? < 20 {
            return Err(self.error(
                None,
                0,
                "the pcap file header is cut short (fewer than 24 bytes)",
            ));
        }
        let u16_at = |i: usize| read_u16(&rest[i..i + 2], big_endian);
        let u32_at = |i: usize| read_u32(&rest[i..i + 4], big_endian);
        let header = PcapHeader {
            big_endian,
            nanosecond,
            version_major: u16_at(0),
            version_minor: u16_at(2),
            thiszone: u32_at(4) as i32,
            sigfigs: u32_at(8),
            snaplen: u32_at(12),
            link_type_field: u32_at(16),
        };
        if header.version_major != 2 {
            return Err(self.error(
                None,
                4,
                format!(
                    "unsupported pcap version {}.{}",
                    header.version_major, header.version_minor
                ),
            ));
        }
        self.format = Format::Pcap;
        self.pcap = Some(header);
        Ok(())
    }

    /// Reads as many bytes as are there, up to `out.len()`; returns how many.
    fn fill(&mut self, out: &mut [u8]) -> Result<usize, ReadError> {
        let got = self.peek(out)?;
        self.skip(got);
        Ok(got)
    }

    /// Copies as many bytes as are there, up to `out.len()`, without consuming them.
    fn peek(&mut self, out: &mut [u8]) -> Result<usize, ReadError> {
        let got = self.available(out.len())?;
        out[..got].copy_from_slice(&self.input.unconsumed()[..got]);
        Ok(got)
    }

    /// Consumes `n` available bytes; returns where they are in the window.
    fn skip(&mut self, n: usize) -> std::ops::Range<usize> {
        self.offset += n as u64;
        self.input.consume(n)
    }

    /// Makes up to `n` bytes available in the window (fewer only at the end of the file).
    fn available(&mut self, n: usize) -> Result<usize, ReadError> {
        match self.input.fill_to(n) {
            Ok(got) => Ok(got),
            Err(e) => {
                let at = self.offset + self.input.len() as u64;
                Err(self.error(None, at, format!("read failed: {}", io_reason(&e))))
            }
        }
    }

    fn truncated(&mut self, record_start: u64) -> Result<Option<Event<'_>>, ReadError> {
        if record_start == 0 {
            // Not even the first header is whole: there is no capture to speak of.
            return Err(self.error(
                None,
                0,
                "the capture's first header is cut short; this is not a usable capture",
            ));
        }
        self.warnings.push(ReadWarning::TruncatedRecord {
            packet: self.packets + 1,
            offset: record_start,
        });
        self.finished = true;
        Ok(None)
    }

    /// The next event, or `None` at the end of the file.
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, ReadError> {
        self.wipe_secrets();
        if self.offset >= self.next_progress {
            self.report_progress();
        }
        if self.finished {
            return Ok(None);
        }
        match self.format {
            Format::Pcap => self.next_pcap(),
            Format::PcapNg => self.next_pcapng(),
        }
    }

    fn next_pcap(&mut self) -> Result<Option<Event<'_>>, ReadError> {
        let Some(header) = self.pcap else {
            return Ok(None);
        };
        let start = self.offset;
        let mut rec = [0u8; 16];
        let got = self.fill(&mut rec)?;
        if got == 0 {
            self.finished = true;
            return Ok(None);
        }
        if got < 16 {
            return self.truncated(start);
        }
        let be = header.big_endian;
        let ts = RawTimestamp {
            hi: read_u32(&rec[0..4], be),
            lo: read_u32(&rec[4..8], be),
        };
        let caplen = read_u32(&rec[8..12], be);
        let orig_len = read_u32(&rec[12..16], be);
        let number = self.packets + 1;
        if u64::from(caplen) > MAX_RECORD {
            return Err(self.error(
                Some(number),
                start,
                format!("the record claims {caplen} captured bytes, more than any capture tool writes; the file is corrupt"),
            ));
        }
        if u64::from(caplen) > self.file_len.saturating_sub(self.offset) {
            return self.truncated(start);
        }
        // The packet's bytes are handed out where they lie in the window: no copy per packet.
        let caplen = caplen as usize;
        if self.available(caplen)? < caplen {
            return self.truncated(start);
        }
        let data = self.skip(caplen);
        // The next record's header is where this packet ends: ask for it now, so that it
        // arrives while this packet is processed.
        self.input.prefetch_next();
        self.packets = number;
        // The FCS is neither analysed (it would read as payload) nor written (it is a checksum
        // of the original bytes): every packet is handed on as if captured without it.
        let (data, orig_len) =
            format::without_fcs(&self.input.bytes()[data], orig_len, header.fcs_len());
        Ok(Some(Event::Packet(Packet {
            number,
            interface: 0,
            link_type: header.link_type(),
            ts,
            orig_len,
            units_per_second: header.units_per_second(),
            ts_offset: 0,
            data,
        })))
    }

    fn next_pcapng(&mut self) -> Result<Option<Event<'_>>, ReadError> {
        let start = self.offset - if self.pending_section { 4 } else { 0 };
        let mut head = [0u8; 12];
        // The head is looked at before it is consumed: a packet block is then handed out where
        // it lies in the window, like a pcap record, instead of being copied.
        let peeked = !self.pending_section;
        let have = if self.pending_section {
            head[..4].copy_from_slice(&self.buf[..4]);
            self.pending_section = false;
            4 + self.fill(&mut head[4..])?
        } else {
            self.peek(&mut head)?
        };
        if have == 0 {
            self.finished = true;
            return Ok(None);
        }
        if have < 12 {
            return self.truncated(start);
        }
        let raw_type = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if raw_type == PCAPNG_SHB {
            let bom = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
            self.ng_big_endian = match bom {
                BYTE_ORDER_MAGIC => false,
                _ if bom.swap_bytes() == BYTE_ORDER_MAGIC => true,
                _ => {
                    return Err(self.error(
                        None,
                        start + 8,
                        "pcapng section header has a bad byte-order magic",
                    ));
                }
            };
        }
        let be = self.ng_big_endian;
        let block_type = read_u32(&head[0..4], be);
        let block_len = u64::from(read_u32(&head[4..8], be));
        if block_len < 12 || block_len % 4 != 0 {
            return Err(self.error(
                None,
                start,
                format!(
                    "pcapng block of type 0x{block_type:08x} has an invalid length {block_len}"
                ),
            ));
        }
        if block_len > MAX_RECORD {
            return Err(self.error(
                None,
                start,
                format!("pcapng block of type 0x{block_type:08x} claims {block_len} bytes; the file is corrupt"),
            ));
        }
        if peeked && matches!(block_type, PCAPNG_EPB | PCAPNG_OPB) {
            return self.packet_block_in_window(block_type, block_len, start);
        }
        if peeked {
            self.skip(12);
        }
        // Body (after type and length) plus the trailing length copy; we already hold 4 bytes of it.
        let remaining = block_len - 12;
        if remaining > self.file_len.saturating_sub(self.offset) {
            return self.truncated(start);
        }
        self.buf.clear();
        self.buf.extend_from_slice(&head[8..12]);
        self.buf.resize(4 + remaining as usize, 0);
        let mut body = std::mem::take(&mut self.buf);
        let got = self.fill(&mut body[4..])?;
        self.input.prefetch_next();
        self.buf = body;
        if got < remaining as usize {
            return self.truncated(start);
        }
        let body_len = self.buf.len() - 4;
        let trailer = read_u32(&self.buf[body_len..], be);
        if u64::from(trailer) != block_len {
            return Err(self.error(
                None,
                start,
                format!("pcapng block length {block_len} does not match its trailing copy {trailer}; the file is corrupt"),
            ));
        }
        self.parse_block(block_type, body_len, start)
    }

    fn parse_block(
        &mut self,
        block_type: u32,
        body_len: usize,
        start: u64,
    ) -> Result<Option<Event<'_>>, ReadError> {
        let be = self.ng_big_endian;
        match block_type {
            PCAPNG_SHB => {
                if body_len < 16 {
                    return Err(self.error(None, start, "pcapng section header is too short"));
                }
                let major = read_u16(&self.buf[4..6], be);
                if major != 1 {
                    return Err(self.error(
                        None,
                        start,
                        format!("unsupported pcapng version {major}"),
                    ));
                }
                let opts = scan_options(&self.buf[16..body_len], be);
                // Our own `shb_userappl` (a sanitized capture read again) is not something the
                // output drops: it writes the same option back.
                let ours = opts
                    .iter()
                    .any(|o| o.code == SHB_USERAPPL && o.value.starts_with(b"pcapscrub "));
                count_options(
                    &mut self.dropped_options,
                    opts,
                    if ours { &[SHB_USERAPPL] } else { &[] },
                );
                self.interfaces.clear();
                Ok(Some(Event::Section))
            }
            PCAPNG_IDB => {
                if body_len < 8 {
                    return Err(self.error(
                        None,
                        start,
                        "pcapng interface description is too short",
                    ));
                }
                let mut iface = Interface {
                    link_type: read_u16(&self.buf[0..2], be),
                    snaplen: read_u32(&self.buf[4..8], be),
                    tsresol: None,
                    tsoffset: None,
                };
                let opts = scan_options(&self.buf[8..body_len], be);
                for opt in opts.iter() {
                    match (opt.code, opt.value.len()) {
                        (IF_TSRESOL, 1) => iface.tsresol = Some(opt.value[0]),
                        (IF_TSOFFSET, 8) => iface.tsoffset = Some(read_u64(opt.value, be) as i64),
                        _ => {}
                    }
                }
                count_options(&mut self.dropped_options, opts, &[IF_TSRESOL, IF_TSOFFSET]);
                if iface.units_per_second().is_none() {
                    return Err(self.error(
                        None,
                        start,
                        "pcapng interface has an impossible timestamp resolution",
                    ));
                }
                self.interfaces.push(iface);
                Ok(Some(Event::Interface(iface)))
            }
            PCAPNG_EPB | PCAPNG_OPB => {
                self.parse_packet_block(block_type, BlockBody::Copied(body_len), start)
            }
            PCAPNG_SPB => {
                if body_len < 4 {
                    return Err(self.error(
                        Some(self.packets + 1),
                        start,
                        "simple packet block is too short",
                    ));
                }
                let Some(iface) = self.interfaces.first().copied() else {
                    self.packets += 1;
                    return Ok(Some(Event::BadPacket {
                        number: self.packets,
                        reason: "unknown_interface",
                    }));
                };
                let orig_len = read_u32(&self.buf[0..4], be);
                let mut caplen = (body_len - 4).min(orig_len as usize);
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                self.packets += 1;
                Ok(Some(Event::Packet(Packet {
                    number: self.packets,
                    interface: 0,
                    link_type: u32::from(iface.link_type),
                    ts: RawTimestamp { hi: 0, lo: 0 },
                    orig_len,
                    units_per_second: iface.units_per_second().unwrap_or(1_000_000),
                    ts_offset: iface.tsoffset.unwrap_or(0),
                    data: &self.buf[4..4 + caplen],
                })))
            }
            PCAPNG_NRB => Ok(Some(Event::Dropped(DroppedBlock::NameResolution))),
            PCAPNG_ISB => Ok(Some(Event::Dropped(DroppedBlock::InterfaceStatistics))),
            PCAPNG_DSB => {
                // Secrets type, secrets length, the secrets (padded to 32 bits), options.
                let text = (body_len >= 8)
                    .then(|| (read_u32(&self.buf[0..4], be), read_u32(&self.buf[4..8], be)))
                    .filter(|&(kind, _)| kind == DSB_TLS_KEY_LOG)
                    .and_then(|(_, len)| self.buf.get(8..8usize.checked_add(len as usize)?))
                    .filter(|text| 8 + text.len() <= body_len);
                // Any secrets block: its bytes are key material, whatever its type says.
                self.secrets_in_buf = true;
                Ok(Some(match text {
                    Some(text) => Event::TlsKeyLog(SecretText(text)),
                    None => Event::Dropped(DroppedBlock::DecryptionSecrets),
                }))
            }
            PCAPNG_JOURNAL => Ok(Some(Event::Dropped(DroppedBlock::SystemdJournal))),
            PCAPNG_CUSTOM | PCAPNG_CUSTOM_NOCOPY => Ok(Some(Event::Dropped(DroppedBlock::Custom))),
            _ => Ok(Some(Event::Dropped(DroppedBlock::Unknown))),
        }
    }

    /// A packet block read in place: the whole block (`block_len` bytes from `start`, whose
    /// first 12 were only peeked) is consumed from the window and parsed where it lies.
    fn packet_block_in_window(
        &mut self,
        block_type: u32,
        block_len: u64,
        start: u64,
    ) -> Result<Option<Event<'_>>, ReadError> {
        let len = block_len as usize;
        if block_len > self.file_len.saturating_sub(self.offset) || self.available(len)? < len {
            return self.truncated(start);
        }
        let block = self.skip(len);
        self.input.prefetch_next();
        let trailer = read_u32(
            &self.input.bytes()[block.end - 4..block.end],
            self.ng_big_endian,
        );
        if u64::from(trailer) != block_len {
            return Err(self.error(
                None,
                start,
                format!("pcapng block length {block_len} does not match its trailing copy {trailer}; the file is corrupt"),
            ));
        }
        // The body: after type and length, before the trailing length.
        let body = block.start + 8..block.end - 4;
        self.parse_packet_block(block_type, BlockBody::InWindow(body), start)
    }

    fn parse_packet_block(
        &mut self,
        block_type: u32,
        body: BlockBody,
        start: u64,
    ) -> Result<Option<Event<'_>>, ReadError> {
        let be = self.ng_big_endian;
        let number = self.packets + 1;
        let buf: &[u8] = match body {
            BlockBody::Copied(len) => &self.buf[..len],
            BlockBody::InWindow(r) => &self.input.bytes()[r],
        };
        let body_len = buf.len();
        if body_len < 20 {
            return Err(self.error(Some(number), start, "packet block is too short"));
        }
        let interface = if block_type == PCAPNG_EPB {
            read_u32(&buf[0..4], be)
        } else {
            u32::from(read_u16(&buf[0..2], be))
        };
        let ts = RawTimestamp {
            hi: read_u32(&buf[4..8], be),
            lo: read_u32(&buf[8..12], be),
        };
        let caplen = read_u32(&buf[12..16], be) as usize;
        let orig_len = read_u32(&buf[16..20], be);
        if caplen > body_len - 20 {
            return Err(self.error(
                Some(number),
                start,
                format!(
                    "packet block claims {caplen} captured bytes but holds only {}",
                    body_len - 20
                ),
            ));
        }
        let Some(iface) = self.interfaces.get(interface as usize).copied() else {
            self.packets = number;
            return Ok(Some(Event::BadPacket {
                number,
                reason: "unknown_interface",
            }));
        };
        let padded = (20 + caplen).next_multiple_of(4).min(body_len);
        let opts = scan_options(&buf[padded..body_len], be);
        count_options(&mut self.dropped_options, opts, &[]);
        self.packets = number;
        Ok(Some(Event::Packet(Packet {
            number,
            interface,
            link_type: u32::from(iface.link_type),
            ts,
            orig_len,
            units_per_second: iface.units_per_second().unwrap_or(1_000_000),
            ts_offset: iface.tsoffset.unwrap_or(0),
            data: &buf[20..20 + caplen],
        })))
    }
}

/// Where a packet block's body is (after type and length, before the trailing length).
enum BlockBody {
    /// Its first `n` bytes of the reader's block buffer.
    Copied(usize),
    /// This range of the window.
    InWindow(std::ops::Range<usize>),
}

/// Counts the options of a block that the output will not carry.
fn count_options(counts: &mut DroppedOptions, opts: OptionScan<'_>, kept: &[u16]) {
    for opt in opts.iter() {
        if opt.code == OPT_COMMENT {
            counts.comments += 1;
        } else if !kept.contains(&opt.code) {
            counts.other += 1;
        }
    }
}

/// A pcapng option: code and value.
struct BlockOption<'a> {
    code: u16,
    value: &'a [u8],
}

/// The options area of a block; iteration stops at `opt_endofopt` or at the first option that
/// runs past the area (malformed options are simply not carried over).
#[derive(Clone, Copy)]
struct OptionScan<'a> {
    area: &'a [u8],
    big_endian: bool,
}

fn scan_options(area: &[u8], big_endian: bool) -> OptionScan<'_> {
    OptionScan { area, big_endian }
}

impl<'a> OptionScan<'a> {
    fn iter(self) -> impl Iterator<Item = BlockOption<'a>> {
        let mut rest = self.area;
        let be = self.big_endian;
        std::iter::from_fn(move || {
            if rest.len() < 4 {
                return None;
            }
            let code = read_u16(&rest[0..2], be);
            let len = read_u16(&rest[2..4], be) as usize;
            if code == OPT_ENDOFOPT || 4 + len > rest.len() {
                return None;
            }
            let value = &rest[4..4 + len];
            let step = (4 + len).next_multiple_of(4).min(rest.len());
            rest = &rest[step..];
            Some(BlockOption { code, value })
        })
    }
}

fn read_u16(b: &[u8], big_endian: bool) -> u16 {
    let a = [b[0], b[1]];
    if big_endian {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

fn read_u32(b: &[u8], big_endian: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

fn read_u64(b: &[u8], big_endian: bool) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    if big_endian {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    }
}

/// The reason part of an I/O error, without Rust's "(os error N)" noise.
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests;
