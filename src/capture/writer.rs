//! Writes pcap (the input's byte order, resolution, snap length and link type; nothing else of
//! its global header) and pcapng (section header, interface descriptions and enhanced packet
//! blocks only, little-endian, no options but our own name).

use std::io::{self, Write};

use super::format::{Interface, PcapHeader, RawTimestamp};

const SHB_USERAPPL: u16 = 4;
/// The pcap format version written, whatever the input's minor version.
const PCAP_VERSION: (u16, u16) = (2, 4);
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

pub enum CaptureWriter<W: Write> {
    Pcap { out: W, header: PcapHeader },
    PcapNg { out: W },
}

impl<W: Write> CaptureWriter<W> {
    /// A pcap writer; the global header is written at once, in the input's byte order and
    /// timestamp resolution, so timestamps are copied unit for unit.
    pub fn pcap(mut out: W, header: PcapHeader) -> io::Result<Self> {
        let magic: u32 = if header.nanosecond {
            0xa1b2_3c4d
        } else {
            0xa1b2_c3d4
        };
        let mut h = Vec::with_capacity(24);
        let be = header.big_endian;
        put_u32(&mut h, magic, be);
        // Version 2.4, thiszone and sigfigs 0 (what every writer since libpcap 0.4 puts there):
        // the input's values say where and with what software it was captured. The link type
        // goes without its FCS bits, since the reader removed the FCS from every packet.
        put_u16(&mut h, PCAP_VERSION.0, be);
        put_u16(&mut h, PCAP_VERSION.1, be);
        put_u32(&mut h, 0, be);
        put_u32(&mut h, 0, be);
        put_u32(&mut h, header.snaplen, be);
        put_u32(&mut h, header.link_type(), be);
        out.write_all(&h)?;
        Ok(CaptureWriter::Pcap { out, header })
    }

    /// A pcapng writer; sections and interfaces are written as the input announces them.
    pub fn pcapng(out: W) -> Self {
        CaptureWriter::PcapNg { out }
    }

    /// Starts a pcapng section (no-op for pcap).
    pub fn section(&mut self) -> io::Result<()> {
        let CaptureWriter::PcapNg { out } = self else {
            return Ok(());
        };
        let app = format!("pcapscrub {}", env!("CARGO_PKG_VERSION"));
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        put_option(&mut body, SHB_USERAPPL, app.as_bytes());
        put_option(&mut body, 0, &[]);
        write_block(out, 0x0A0D_0D0A, &body)
    }

    pub fn interface(&mut self, iface: &Interface) -> io::Result<()> {
        let CaptureWriter::PcapNg { out } = self else {
            return Ok(());
        };
        let mut body = Vec::with_capacity(32);
        body.extend_from_slice(&iface.link_type.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&iface.snaplen.to_le_bytes());
        if let Some(r) = iface.tsresol {
            put_option(&mut body, IF_TSRESOL, &[r]);
        }
        if let Some(o) = iface.tsoffset {
            put_option(&mut body, IF_TSOFFSET, &o.to_le_bytes());
        }
        if iface.tsresol.is_some() || iface.tsoffset.is_some() {
            put_option(&mut body, 0, &[]);
        }
        write_block(out, 1, &body)
    }

    pub fn packet(
        &mut self,
        interface: u32,
        ts: RawTimestamp,
        orig_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        match self {
            CaptureWriter::Pcap { out, header } => {
                let be = header.big_endian;
                let mut rec = [0u8; 16];
                for (i, v) in [ts.hi, ts.lo, data.len() as u32, orig_len]
                    .into_iter()
                    .enumerate()
                {
                    let b = if be { v.to_be_bytes() } else { v.to_le_bytes() };
                    rec[i * 4..i * 4 + 4].copy_from_slice(&b);
                }
                out.write_all(&rec)?;
                out.write_all(data)
            }
            CaptureWriter::PcapNg { out } => {
                let padded = data.len().next_multiple_of(4);
                let total = (32 + padded) as u32;
                let mut head = [0u8; 28];
                for (i, v) in [
                    6,
                    total,
                    interface,
                    ts.hi,
                    ts.lo,
                    data.len() as u32,
                    orig_len,
                ]
                .into_iter()
                .enumerate()
                {
                    head[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
                }
                out.write_all(&head)?;
                out.write_all(data)?;
                out.write_all(&[0u8; 3][..padded - data.len()])?;
                out.write_all(&total.to_le_bytes())
            }
        }
    }

    pub fn into_inner(self) -> W {
        match self {
            CaptureWriter::Pcap { out, .. } | CaptureWriter::PcapNg { out } => out,
        }
    }
}

fn write_block<W: Write>(out: &mut W, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

fn put_option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(value.len() as u16).to_le_bytes());
    body.extend_from_slice(value);
    body.resize(body.len().next_multiple_of(4), 0);
}

fn put_u16(v: &mut Vec<u8>, x: u16, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn put_u32(v: &mut Vec<u8>, x: u32, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}
