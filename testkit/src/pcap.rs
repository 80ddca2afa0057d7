//! Classic pcap files: the file header and records, in either byte order and resolution.

use crate::bytes::{put_u16, put_u32};

#[derive(Clone, Copy, Debug)]
pub struct PcapFormat {
    pub big_endian: bool,
    pub nanosecond: bool,
    pub snaplen: u32,
    pub link_type: u32,
}

impl PcapFormat {
    pub fn new(link_type: u32) -> PcapFormat {
        PcapFormat {
            big_endian: false,
            nanosecond: false,
            snaplen: 262_144,
            link_type,
        }
    }
}

pub fn pcap_header(f: PcapFormat) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    let magic = if f.nanosecond {
        0xa1b2_3c4d
    } else {
        0xa1b2_c3d4
    };
    put_u32(&mut h, magic, f.big_endian);
    put_u16(&mut h, 2, f.big_endian);
    put_u16(&mut h, 4, f.big_endian);
    put_u32(&mut h, 0, f.big_endian);
    put_u32(&mut h, 0, f.big_endian);
    put_u32(&mut h, f.snaplen, f.big_endian);
    put_u32(&mut h, f.link_type, f.big_endian);
    h
}

/// A record header with explicit caplen/orig_len, then `data` (which may be shorter, to cut).
pub fn pcap_record_raw(
    be: bool,
    ts_sec: u32,
    ts_frac: u32,
    caplen: u32,
    orig_len: u32,
    data: &[u8],
) -> Vec<u8> {
    let mut r = Vec::with_capacity(16 + data.len());
    put_u32(&mut r, ts_sec, be);
    put_u32(&mut r, ts_frac, be);
    put_u32(&mut r, caplen, be);
    put_u32(&mut r, orig_len, be);
    r.extend_from_slice(data);
    r
}

#[derive(Clone, Debug)]
pub struct Rec {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub data: Vec<u8>,
}

pub fn pcap_file(f: PcapFormat, recs: &[Rec]) -> Vec<u8> {
    let mut out = pcap_header(f);
    for r in recs {
        let n = r.data.len() as u32;
        out.extend(pcap_record_raw(
            f.big_endian,
            r.ts_sec,
            r.ts_frac,
            n,
            n,
            &r.data,
        ));
    }
    out
}

/// Records one second apart (plus a sub-second part) starting at 2023-11-14T22:13:20Z.
pub fn timed(frames: Vec<Vec<u8>>, nanosecond: bool) -> Vec<Rec> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, data)| Rec {
            ts_sec: 1_700_000_000 + i as u32,
            ts_frac: if nanosecond {
                123_456_789 + i as u32
            } else {
                123_456 + i as u32
            },
            data,
        })
        .collect()
}
