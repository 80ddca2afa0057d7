//! Writes a benchmark capture of many half-open TLS connections: each one sends SYN, gets
//! SYN-ACK, sends ACK and a 300-byte ClientHello (a valid TLS record with an SNI), and never
//! hears back. Used by `scripts/bench_half_open.sh` to see how `diagnose` and `sanitize` grow
//! with the number of live connections.
//!
//! ```text
//! cargo run --release --example gen_half_open -- [--reset] OUT.pcap [CONNECTIONS]
//! ```
//!
//! CONNECTIONS defaults to 100000. With `--reset` the server answers every ClientHello with
//! RST,ACK 50 µs later, so each connection is over before the next one starts (the same
//! capture shape, but never more than one live connection: for comparison).
//!
//! Connection `i` goes from 10.x.y.z (the `i + 1`-th address of 10.0.0.0/8, so every
//! connection has its own client address) to 10.255.0.1:443. Everything is derived from `i`, so
//! the file is the same on every run. Classic pcap, Ethernet, microsecond timestamps, valid
//! IPv4 and TCP checksums. Prints `connections=… packets=… bytes=…` on standard output.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use testkit::checksum::{fold, pseudo_sum, sum16};
use testkit::tls::{TLS10, extension, handshake, record, server_name, u16s, vec16};

const SERVER_IP: [u8; 4] = [10, 255, 0, 1];
const SERVER_PORT: u16 = 443;
const SERVER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0xff, 0x00, 0x01];
/// Size of every ClientHello record, header included.
const HELLO_RECORD: usize = 300;
/// 2023-11-14T22:13:20Z.
const START_SEC: u64 = 1_700_000_000;
/// Connection `i` starts at `i * SPACING_US`; its packets are `STEP_US` apart.
const SPACING_US: u64 = 250;
const STEP_US: u64 = 50;

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let reset = args.first().is_some_and(|a| a == "--reset");
    if reset {
        args.remove(0);
    }
    let (out, n) = match args.as_slice() {
        [out] => (out.clone(), 100_000),
        [out, n] => match n.parse::<u32>() {
            Ok(n) if (1..0x00ff_0000).contains(&n) => (out.clone(), n),
            _ => return usage("CONNECTIONS must be a number from 1 to 16711679"),
        },
        _ => return usage("expected [--reset] OUT.pcap [CONNECTIONS]"),
    };
    match write_capture(&out, n, reset) {
        Ok((packets, bytes)) => {
            println!("connections={n} packets={packets} bytes={bytes}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_half_open: cannot write {out}: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("gen_half_open: {msg}\nusage: gen_half_open [--reset] OUT.pcap [CONNECTIONS]");
    ExitCode::from(2)
}

fn write_capture(path: &str, n: u32, reset: bool) -> std::io::Result<(u64, u64)> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut bytes = 0u64;
    let mut put = |w: &mut BufWriter<File>, b: &[u8]| -> std::io::Result<()> {
        bytes += b.len() as u64;
        w.write_all(b)
    };
    // Classic pcap header: little-endian, microseconds, v2.4, snaplen 262144, Ethernet.
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    put(&mut w, &header)?;

    let mut packets = 0u64;
    let mut frame = Vec::with_capacity(512);
    for i in 0..n {
        let c = Client::new(i);
        let t0 = u64::from(i) * SPACING_US;
        let hello = client_hello(i);
        let c1 = c.isn.wrapping_add(1);
        let s1 = c.server_isn.wrapping_add(1);
        let after_hello = c1.wrapping_add(hello.len() as u32);
        let steps: [(bool, u32, u32, u8, &[u8]); 5] = [
            (true, c.isn, 0, SYN, &[]),
            (false, c.server_isn, c1, SYN | ACK, &[]),
            (true, c1, s1, ACK, &[]),
            (true, c1, s1, PSH | ACK, &hello),
            (false, s1, after_hello, RST | ACK, &[]),
        ];
        let used = if reset { 5 } else { 4 };
        for (k, (from_client, seq, ack, flags, payload)) in steps.into_iter().take(used).enumerate()
        {
            frame.clear();
            c.frame(&mut frame, from_client, seq, ack, flags, payload);
            let t = t0 + k as u64 * STEP_US;
            let mut rec = Vec::with_capacity(16);
            rec.extend_from_slice(&((START_SEC + t / 1_000_000) as u32).to_le_bytes());
            rec.extend_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
            rec.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            rec.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            put(&mut w, &rec)?;
            put(&mut w, &frame)?;
            packets += 1;
        }
    }
    w.flush()?;
    Ok((packets, bytes))
}

/// A small deterministic mixer (splitmix64) for ISNs and random-looking fields.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Bytes derived from `seed`.
fn fill(out: &mut Vec<u8>, seed: u64, n: usize) {
    let mut k = 0u64;
    let start = out.len();
    while out.len() < start + n {
        let word = mix(seed ^ k.wrapping_mul(0x1000_0000_01b3)).to_be_bytes();
        let take = (start + n - out.len()).min(8);
        out.extend_from_slice(&word[..take]);
        k += 1;
    }
}

struct Client {
    ip: [u8; 4],
    mac: [u8; 6],
    port: u16,
    isn: u32,
    server_isn: u32,
}

impl Client {
    fn new(i: u32) -> Client {
        let a = i + 1;
        let ip = [10, (a >> 16) as u8, (a >> 8) as u8, a as u8];
        let h = mix(u64::from(i));
        Client {
            ip,
            mac: [0x02, 0x00, ip[1], ip[2], ip[3], 0x01],
            port: 32_768 + (i % 28_232) as u16,
            isn: h as u32,
            server_isn: (h >> 32) as u32,
        }
    }

    /// One Ethernet/IPv4/TCP frame of this connection.
    fn frame(
        &self,
        f: &mut Vec<u8>,
        from_client: bool,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let (src_mac, dst_mac) = if from_client {
            (self.mac, SERVER_MAC)
        } else {
            (SERVER_MAC, self.mac)
        };
        let (src, dst, sport, dport) = if from_client {
            (self.ip, SERVER_IP, self.port, SERVER_PORT)
        } else {
            (SERVER_IP, self.ip, SERVER_PORT, self.port)
        };
        f.extend_from_slice(&dst_mac);
        f.extend_from_slice(&src_mac);
        f.extend_from_slice(&0x0800u16.to_be_bytes());

        let options: &[u8] = if flags & SYN != 0 {
            &[2, 4, 0x05, 0xb4, 1, 1, 4, 2] // MSS 1460, NOP, NOP, SACK permitted
        } else {
            &[]
        };
        let tcp_len = 20 + options.len() + payload.len();
        let total = 20 + tcp_len;

        let ip_at = f.len();
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&(total as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        let c = fold(sum16(&f[ip_at..ip_at + 20]));
        f[ip_at + 10..ip_at + 12].copy_from_slice(&c.to_be_bytes());

        let tcp_at = f.len();
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&ack.to_be_bytes());
        f.push((((20 + options.len()) / 4) as u8) << 4);
        f.push(flags);
        f.extend_from_slice(&64_240u16.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0]);
        f.extend_from_slice(options);
        f.extend_from_slice(payload);
        let c = fold(sum16(&f[tcp_at..]) + pseudo_sum(&src, &dst, 6, tcp_len));
        f[tcp_at + 16..tcp_at + 18].copy_from_slice(&c.to_be_bytes());

        if f.len() < 60 {
            f.resize(60, 0);
        }
    }
}

/// A TLS 1.3 ClientHello record of exactly [`HELLO_RECORD`] bytes for connection `i`, with
/// SNI `srv-NNNNNNN.bench.example`, x25519 key share, ALPN h2/http1.1, padded with extension
/// 21.
fn client_hello(i: u32) -> Vec<u8> {
    let seed = mix(u64::from(i) ^ 0xc11e_4e11_0000_0000);
    let mut body = vec![0x03, 0x03];
    fill(&mut body, seed, 32); // random
    body.push(32);
    fill(&mut body, seed ^ 1, 32); // legacy session id
    let suites: [u16; 9] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
    ];
    body.extend(vec16(&u16s(&suites)));
    body.extend_from_slice(&[1, 0]); // compression: null

    let name = format!("srv-{i:07}.bench.example");
    let mut ext = extension(0, &server_name(&[(0, name.as_bytes())]));
    ext.extend(extension(10, &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]));
    ext.extend(extension(11, &[1, 0]));
    ext.extend(extension(
        13,
        &[
            0, 16, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08,
            0x06, 0x06, 0x01,
        ],
    ));
    ext.extend(extension(16, b"\x00\x0c\x02h2\x08http/1.1"));
    ext.extend(extension(43, &[4, 0x03, 0x04, 0x03, 0x03]));
    ext.extend(extension(45, &[1, 1]));
    let mut ks = vec![0, 36, 0x00, 0x1d, 0, 32];
    fill(&mut ks, seed ^ 2, 32);
    ext.extend(extension(51, &ks));

    // Record header 5 + handshake header 4 + body + extensions length 2 + extensions + the
    // padding extension's own 4-byte header.
    let used = 5 + 4 + body.len() + 2 + ext.len() + 4;
    let pad = HELLO_RECORD
        .checked_sub(used)
        .expect("ClientHello fits in HELLO_RECORD");
    ext.extend(extension(21, &vec![0; pad]));
    body.extend(vec16(&ext));

    let hello = record(22, TLS10, &handshake(1, &body));
    debug_assert_eq!(hello.len(), HELLO_RECORD);
    hello
}
