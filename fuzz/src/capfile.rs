//! Minimal pcap / pcapng writers for generated captures.

/// One frame to write.
pub struct Frame {
    pub ts_us: u64,
    pub data: Vec<u8>,
    /// Original length when the frame was cut by a snap length.
    pub orig_len: u32,
}

/// Container of a generated capture.
#[derive(Debug, Clone, Copy)]
pub enum Container {
    Pcap { big_endian: bool, nanosecond: bool },
    PcapNg { big_endian: bool },
}

fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

pub fn write(container: Container, link_type: u32, snaplen: u32, frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    match container {
        Container::Pcap {
            big_endian: be,
            nanosecond,
        } => {
            put32(
                &mut out,
                if nanosecond { 0xa1b2_3c4d } else { 0xa1b2_c3d4 },
                be,
            );
            put16(&mut out, 2, be);
            put16(&mut out, 4, be);
            put32(&mut out, 0, be);
            put32(&mut out, 0, be);
            put32(&mut out, snaplen, be);
            put32(&mut out, link_type, be);
            for f in frames {
                let (sec, frac) = (f.ts_us / 1_000_000, f.ts_us % 1_000_000);
                put32(&mut out, sec as u32, be);
                put32(
                    &mut out,
                    if nanosecond { frac * 1000 } else { frac } as u32,
                    be,
                );
                put32(&mut out, f.data.len() as u32, be);
                put32(&mut out, f.orig_len, be);
                out.extend_from_slice(&f.data);
            }
        }
        Container::PcapNg { big_endian: be } => {
            // Section header block.
            put32(&mut out, 0x0A0D_0D0A, be);
            put32(&mut out, 28, be);
            put32(&mut out, 0x1A2B_3C4D, be);
            put16(&mut out, 1, be);
            put16(&mut out, 0, be);
            out.extend([0xff; 8]);
            put32(&mut out, 28, be);
            // Interface description block.
            put32(&mut out, 1, be);
            put32(&mut out, 20, be);
            put16(&mut out, link_type as u16, be);
            put16(&mut out, 0, be);
            put32(&mut out, snaplen, be);
            put32(&mut out, 20, be);
            for f in frames {
                let padded = f.data.len().next_multiple_of(4);
                let len = (32 + padded) as u32;
                put32(&mut out, 6, be);
                put32(&mut out, len, be);
                put32(&mut out, 0, be);
                put32(&mut out, (f.ts_us >> 32) as u32, be);
                put32(&mut out, f.ts_us as u32, be);
                put32(&mut out, f.data.len() as u32, be);
                put32(&mut out, f.orig_len, be);
                out.extend_from_slice(&f.data);
                out.resize(out.len() + padded - f.data.len(), 0);
                put32(&mut out, len, be);
            }
        }
    }
    out
}
