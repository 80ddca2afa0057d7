//! Writes a benchmark capture of many QUIC connections, built from one QUIC sample (classic
//! pcap, Ethernet, IPv4, as `samples/udp/quic-complete.pcap`): the sample's packets repeated
//! once per connection, each copy with its own client address (the `i + 1`-th of 10.0.0.0/8)
//! and client port, and later timestamps. Connection IDs and the packets' protection are the
//! sample's (rewriting an ID would mean sealing the Initials again), so every copy's Initials
//! open, are redacted and are resealed as the sample's are. Used by `scripts/bench_quic.sh`.
//!
//! ```text
//! cargo run --release --example gen_quic -- [--unrecognised] SAMPLE.pcap OUT.pcap [CONNECTIONS]
//! ```
//!
//! CONNECTIONS defaults to 10000. With `--unrecognised` the version field of each datagram's
//! first long header becomes 0xdeadbeef, a version nobody speaks: no flow is recognised as
//! QUIC, so the same bytes go through `sanitize` as plain UDP (the baseline). IPv4 header and
//! UDP checksums are recomputed. Prints `connections=… packets=… initials=…` on standard
//! output (initials: the long-header Initial packets starting a datagram, per connection times
//! connections).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use testkit::checksum::{fold, pseudo_sum, sum16};

/// Connection `i` starts `i * SPACING_US` after the sample's first packet.
const SPACING_US: u64 = 20_000;

struct Record {
    sec: u32,
    usec: u32,
    /// The packet's length on the wire (the sample may hold fewer bytes).
    wire: u32,
    data: Vec<u8>,
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let unrecognised = args.first().is_some_and(|a| a == "--unrecognised");
    if unrecognised {
        args.remove(0);
    }
    let (sample, out, n) = match args.as_slice() {
        [s, o] => (s.clone(), o.clone(), 10_000),
        [s, o, n] => match n.parse::<u32>() {
            Ok(n) if (1..0x00ff_0000).contains(&n) => (s.clone(), o.clone(), n),
            _ => return usage("CONNECTIONS must be a number from 1 to 16711679"),
        },
        _ => return usage("expected [--unrecognised] SAMPLE.pcap OUT.pcap [CONNECTIONS]"),
    };
    let (header, records) = match read_sample(&sample) {
        Ok(r) => r,
        Err(e) => return usage(&format!("{sample}: {e}")),
    };
    match write_capture(&out, &header, &records, n, unrecognised) {
        Ok((packets, initials)) => {
            println!("connections={n} packets={packets} initials={initials}");
            ExitCode::SUCCESS
        }
        Err(e) => usage(&format!("{out}: {e}")),
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("gen_quic: {msg}");
    ExitCode::from(2)
}

fn read_sample(path: &str) -> Result<(Vec<u8>, Vec<Record>), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.len() < 24 || bytes[..4] != [0xd4, 0xc3, 0xb2, 0xa1] || bytes[20..24] != [1, 0, 0, 0] {
        return Err("not a little-endian microsecond pcap of Ethernet".into());
    }
    let le =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let (sec, usec, caplen) = (le(at), le(at + 4), le(at + 8) as usize);
        let data = bytes
            .get(at + 16..at + 16 + caplen)
            .ok_or("a record runs past the end")?
            .to_vec();
        // Ethernet, IPv4 without options, UDP: what the copies' rewriting assumes.
        if data.len() < 42 || data[12..14] != [8, 0] || data[14] != 0x45 || data[23] != 17 {
            return Err("a packet is not Ethernet/IPv4/UDP".into());
        }
        records.push(Record {
            sec,
            usec,
            wire: le(at + 12),
            data,
        });
        at += 16 + caplen;
    }
    Ok((bytes[..24].to_vec(), records))
}

fn write_capture(
    path: &str,
    header: &[u8],
    records: &[Record],
    n: u32,
    unrecognised: bool,
) -> std::io::Result<(u64, u64)> {
    let mut w = BufWriter::new(File::create(path)?);
    w.write_all(header)?;
    let client = records[0].data[26..30].to_vec();
    let (mut packets, mut initials) = (0u64, 0u64);
    for i in 0..n {
        let addr = (i + 1).to_be_bytes();
        let addr = [10, addr[1], addr[2], addr[3]];
        let port = 1024 + (i % 60_000) as u16;
        for r in records {
            let mut d = r.data.clone();
            let from_client = d[26..30] == client[..];
            let (ip_at, port_at) = if from_client { (26, 34) } else { (30, 36) };
            d[ip_at..ip_at + 4].copy_from_slice(&addr);
            d[port_at..port_at + 2].copy_from_slice(&port.to_be_bytes());
            let payload = 42;
            if d.len() > payload + 5 && d[payload] & 0x80 != 0 {
                if d[payload] & 0x30 == 0 && from_client {
                    initials += 1;
                }
                if unrecognised {
                    d[payload + 1..payload + 5].copy_from_slice(&0xdead_beef_u32.to_be_bytes());
                }
            }
            fill_checksums(&mut d);
            let t = u64::from(r.sec) * 1_000_000 + u64::from(r.usec) + u64::from(i) * SPACING_US;
            w.write_all(&((t / 1_000_000) as u32).to_le_bytes())?;
            w.write_all(&((t % 1_000_000) as u32).to_le_bytes())?;
            w.write_all(&(d.len() as u32).to_le_bytes())?;
            w.write_all(&r.wire.to_le_bytes())?;
            w.write_all(&d)?;
            packets += 1;
        }
    }
    w.flush()?;
    Ok((packets, initials))
}

/// The IPv4 header checksum, and the UDP checksum when the capture holds the whole datagram.
fn fill_checksums(d: &mut [u8]) {
    d[24..26].fill(0);
    let c = fold(sum16(&d[14..34]));
    d[24..26].copy_from_slice(&c.to_be_bytes());
    let udp_len = usize::from(u16::from_be_bytes([d[38], d[39]]));
    d[40..42].fill(0);
    if d.len() < 34 + udp_len {
        return;
    }
    let acc = sum16(&d[34..34 + udp_len]) + pseudo_sum(&d[26..30], &d[30..34], 17, udp_len);
    let c = match fold(acc) {
        0 => 0xffff,
        c => c,
    };
    d[40..42].copy_from_slice(&c.to_be_bytes());
}
