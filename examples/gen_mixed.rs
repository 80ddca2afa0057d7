//! Writes a large, realistic benchmark capture built from the real TLS conversations in
//! `samples/*.pcap` (the input of `scripts/bench_perf.sh` and `scripts/bench_multi.sh`).
//!
//! ```text
//! cargo run --release --example gen_mixed -- [--format pcap|pcapng] [--size 256M] [--seed N]
//!                                            [--live N] [--samples DIR]
//!                                            [--profile bulk|handshake-dense] OUT
//! ```
//!
//! * `--size`: 10M, 256M, 1G, 4G… (K/M/G/T are binary units; default 256M). The file stops just
//!   before the packet that would make it larger, ending every live connection abruptly.
//! * `--format`: classic pcap (µs timestamps) or pcapng (SHB, one Ethernet IDB with snap length
//!   262144 and `if_tsresol` 6, then EPBs). Default pcap.
//! * `--seed`: the same arguments give a byte-identical file (default seed 1).
//! * `--live`: connections open at the same time (default 200).
//! * `--samples`: folder of the sample captures (default: this crate's `samples/`).
//! * `--profile`: `bulk` (default; described below) or `handshake-dense`, the captures attached
//!   to tickets: short connections, about 9 per MiB, a third of them failing (the failure
//!   scenarios' weights scaled to 333 per 1000, the successes' to 667) and 16–640 KiB of
//!   application data per successful handshake instead of 50 KiB–2 MiB; the same mix of TLS
//!   1.2/1.3 and IPv4/IPv6.
//! * `--keylog FILE`: also write a key log (NSS format) with a line per secret for the client
//!   random of every sample's ClientHello (every connection replays one), made-up secrets
//!   from the seed, so that `diagnose --keylog` matches every TLS connection and tries its
//!   keys (`scripts/bench_keylog.sh`).
//!
//! How: every sample's TCP conversation is read once (`pcapscrub::capture::CaptureReader`) and
//! kept as a list of events (direction, flags, sequence and acknowledgement numbers relative to
//! each side's ISN, payload, gap). Each synthetic connection picks a scenario (about 80%
//! successful handshakes: tls12-complete, tls13-complete, ipv6-tls12-complete,
//! tls12-client-cert, hrr-tls13; about 20% the failure samples), a client out of tens of
//! thousands (10.0.0.0/8, fd00::/8) and a server out of a few hundred (172.16.0.0/12,
//! fdc8::/16) with its own host name, and about 25% of connections run over IPv6 whatever the
//! sample's family. The sample's events are replayed with fresh Ethernet/IP/TCP headers (new
//! addresses, ports, MACs, ISNs, TCP timestamps, valid IPv4 and TCP checksums), payloads cut at
//! the MSS (1448 bytes over IPv4, 1428 over IPv6) and the ClientHello's SNI rewritten to the
//! server's name (all lengths fixed up). Successful handshakes then carry 50 KiB–2 MiB of TLS
//! application data records (mostly downloads, some uploads) acknowledged every two segments,
//! before the sample's own close (close_notify, FIN). Up to `--live` connections are interleaved
//! by time; timestamps start at 1_700_000_000 s and only grow.
//!
//! Prints `packets=… connections=… bytes=… ipv6_connections=… failures=…` on standard output
//! (`failures`: connections whose scenario is not a completed handshake).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pcapscrub::capture::{CaptureReader, Event};
use testkit::checksum::{fold, sum16};

const START_US: u64 = 1_700_000_000 * 1_000_000;
const SNAPLEN: u32 = 262_144;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

const CLIENT: usize = 0;
const SERVER: usize = 1;

/// (sample file, weight per 1000 connections, successful handshake).
const SCENARIOS: &[(&str, u32, bool)] = &[
    ("tls12-complete", 260, true),
    ("tls13-complete", 210, true),
    ("ipv6-tls12-complete", 100, true),
    ("tls12-client-cert", 100, true),
    ("hrr-tls13", 130, true),
    ("tls13-only-vs-tls12-server", 25, false),
    ("syn-unanswered", 15, false),
    ("tcp-refused", 20, false),
    ("tcp-closed-before-hello", 10, false),
    ("hello-unanswered", 10, false),
    ("hello-reset", 15, false),
    ("hello-closed", 10, false),
    ("client-alert-unknown-ca", 25, false),
    ("client-alert-unknown-ca-tls13", 20, false),
    ("client-aborted-tls13", 15, false),
    ("not-tls", 10, false),
    ("handshake-incomplete", 15, false),
    ("mid-stream", 5, false),
];

/// What kind of capture is made (`--profile`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    Bulk,
    HandshakeDense,
}

impl Profile {
    /// A scenario's weight per 1000 connections: the table's for `bulk`; for
    /// `handshake-dense` the successes scaled from their 800 to 667 and the failures from
    /// their 200 to 333, so a third of the connections fail.
    fn weight(self, weight: u32, success: bool) -> u32 {
        match (self, success) {
            (Profile::Bulk, _) => weight,
            (Profile::HandshakeDense, true) => weight * 667 / 800,
            (Profile::HandshakeDense, false) => weight * 333 / 200,
        }
    }

    /// Application data after a successful handshake: bytes, from and to (log-uniform).
    fn bulk_bytes(self) -> (u64, u64) {
        match self {
            Profile::Bulk => (50 << 10, 2 << 20),
            Profile::HandshakeDense => (16 << 10, 640 << 10),
        }
    }
}

const CLIENT_HOSTS: u32 = 40_000;
const SERVER_HOSTS: u32 = 400;
const GATEWAYS: u32 = 4;

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum OutFormat {
    Pcap,
    PcapNg,
}

struct Args {
    format: OutFormat,
    size: u64,
    seed: u64,
    live: usize,
    samples: PathBuf,
    out: PathBuf,
    keylog: Option<PathBuf>,
    profile: Profile,
}

const USAGE: &str = "usage: gen_mixed [--format pcap|pcapng] [--size 256M] [--seed N] [--live N] \
                     [--samples DIR] [--keylog FILE] [--profile bulk|handshake-dense] OUT";

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return None,
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let v: f64 = num.parse().ok()?;
    (v > 0.0).then_some((v * mul as f64) as u64)
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        format: OutFormat::Pcap,
        size: 256 << 20,
        seed: 1,
        live: 200,
        samples: Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"),
        out: PathBuf::new(),
        keylog: None,
        profile: Profile::Bulk,
    };
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--format" => {
                args.format = match value("--format")?.as_str() {
                    "pcap" => OutFormat::Pcap,
                    "pcapng" => OutFormat::PcapNg,
                    f => return Err(format!("unknown format {f:?} (pcap or pcapng)")),
                }
            }
            "--size" => {
                let v = value("--size")?;
                args.size = parse_size(&v).ok_or(format!("bad size {v:?} (e.g. 10M, 256M, 1G)"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                args.seed = v.parse().map_err(|_| format!("bad seed {v:?}"))?;
            }
            "--live" => {
                let v = value("--live")?;
                args.live = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or(format!("bad --live {v:?} (1 to 100000)"))?;
            }
            "--samples" => args.samples = PathBuf::from(value("--samples")?),
            "--keylog" => args.keylog = Some(PathBuf::from(value("--keylog")?)),
            "--profile" => {
                args.profile = match value("--profile")?.as_str() {
                    "bulk" => Profile::Bulk,
                    "handshake-dense" => Profile::HandshakeDense,
                    p => return Err(format!("unknown profile {p:?} (bulk or handshake-dense)")),
                }
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') && s != "-" => return Err(format!("unknown option {s}")),
            _ if out.is_none() => out = Some(PathBuf::from(&a)),
            _ => return Err("only one OUT file".into()),
        }
    }
    args.out = out.ok_or("OUT is missing")?;
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen_mixed: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let samples = match load_samples(&args.samples, args.profile) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gen_mixed: {e}");
            return ExitCode::from(2);
        }
    };
    match generate(&args, &samples) {
        Ok(st) => {
            println!(
                "packets={} connections={} bytes={} ipv6_connections={} failures={}",
                st.packets, st.connections, st.bytes, st.ipv6_connections, st.failures
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_mixed: cannot write {}: {e}", args.out.display());
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (splitmix64)
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
    /// Log-uniform in `lo..=hi`.
    fn log_range(&mut self, lo: u64, hi: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let v = (lo as f64) * ((hi as f64) / (lo as f64)).powf(u);
        (v as u64).clamp(lo, hi)
    }
}

fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

// ---------------------------------------------------------------------------------------------
// Samples
// ---------------------------------------------------------------------------------------------

/// One TCP segment of a sample, relative to the sample's own connection.
struct SampleEvent {
    from_client: bool,
    flags: u8,
    /// Sequence number minus the sender's ISN (or its first sequence number without a SYN).
    rel_seq: u32,
    /// Acknowledgement number minus the other side's ISN (meaningful with ACK).
    rel_ack: u32,
    /// Microseconds since the previous TCP segment of the sample.
    gap_us: u64,
    payload: Vec<u8>,
    /// The payload holds a ClientHello record whose SNI is rewritten per connection.
    client_hello: bool,
}

struct Sample {
    events: Vec<SampleEvent>,
    /// Index of the first event after which bulk application data is inserted (successful
    /// handshakes only: the first close_notify, FIN or RST).
    split: usize,
    success: bool,
    tls13: bool,
    /// The sample's server port (kept for `not-tls`, a plain HTTP server on port 80).
    server_port: u16,
    weight: u32,
}

struct RawSegment {
    src: Vec<u8>,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    time_us: u64,
    payload: Vec<u8>,
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}
fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The TCP segment in an Ethernet frame, if any.
fn parse_tcp(frame: &[u8], time_us: u64) -> Option<RawSegment> {
    if frame.len() < 14 {
        return None;
    }
    let ethertype = be16(&frame[12..]);
    let (src, l4, l4_end) = match ethertype {
        0x0800 => {
            let ip = &frame[14..];
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            if ip.len() < 20 || ip[9] != 6 {
                return None;
            }
            let total = usize::from(be16(&ip[2..])).min(ip.len());
            (ip[12..16].to_vec(), 14 + ihl, 14 + total)
        }
        0x86dd => {
            let ip = &frame[14..];
            if ip.len() < 40 || ip[6] != 6 {
                return None;
            }
            let plen = usize::from(be16(&ip[4..]));
            (ip[8..24].to_vec(), 54, (54 + plen).min(frame.len()))
        }
        _ => return None,
    };
    let tcp = frame.get(l4..l4_end)?;
    let off = usize::from(tcp[12] >> 4) * 4;
    Some(RawSegment {
        src,
        sport: be16(tcp),
        dport: be16(&tcp[2..]),
        seq: be32(&tcp[4..]),
        ack: be32(&tcp[8..]),
        flags: tcp[13] & 0x3f,
        time_us,
        payload: tcp.get(off..)?.to_vec(),
    })
}

/// Whether a payload holds a ClientHello handshake record.
fn has_client_hello(p: &[u8]) -> bool {
    let mut pos = 0;
    while pos + 6 <= p.len() {
        let len = usize::from(be16(&p[pos + 3..]));
        if p[pos] == 22 && p[pos + 5] == 1 {
            return true;
        }
        pos += 5 + len;
    }
    false
}

/// A payload that starts the close of a successful connection: a plaintext alert record, or a
/// single 19-byte TLS 1.3 record (an encrypted close_notify under AES-GCM).
fn is_close_notify(p: &[u8], tls13: bool) -> bool {
    if p.len() < 5 {
        return false;
    }
    let len = usize::from(be16(&p[3..]));
    p.len() == 5 + len && (p[0] == 21 || (tls13 && p[0] == 23 && len == 19))
}

fn load_samples(dir: &Path, profile: Profile) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    for &(name, weight, success) in SCENARIOS {
        let weight = profile.weight(weight, success);
        let path = dir.join(format!("{name}.pcap"));
        let shown = path.display().to_string();
        let mut reader = CaptureReader::open(&path, &shown).map_err(|e| e.to_string())?;
        let pcap = reader.pcap_header().is_some();
        let mut segs = Vec::new();
        while let Some(ev) = reader.next_event().map_err(|e| e.to_string())? {
            if let Event::Packet(p) = ev {
                if p.link_type != 1 {
                    continue;
                }
                let t = (p.time_ns(pcap) / 1000) as u64;
                if let Some(s) = parse_tcp(p.data, t) {
                    segs.push(s);
                }
            }
        }
        if segs.is_empty() {
            return Err(format!("{shown}: no TCP segment"));
        }
        // The client sends the first bare SYN; without one, the side with the higher port.
        let (client_src, client_port) = match segs.iter().find(|s| s.flags & (SYN | ACK) == SYN) {
            Some(s) => (s.src.clone(), s.sport),
            None => {
                let s = &segs[0];
                if s.sport > s.dport {
                    (s.src.clone(), s.sport)
                } else {
                    (
                        segs.iter()
                            .find(|x| x.src != s.src)
                            .map_or(vec![], |x| x.src.clone()),
                        s.dport,
                    )
                }
            }
        };
        let is_client = |s: &RawSegment| s.src == client_src && s.sport == client_port;
        let server_port = segs
            .iter()
            .map(|s| if is_client(s) { s.dport } else { s.sport })
            .next()
            .unwrap_or(443);
        // Each side's base: its SYN's sequence number, else its first sequence number.
        let mut base = [None::<u32>; 2];
        for s in &segs {
            let side = if is_client(s) { CLIENT } else { SERVER };
            if s.flags & SYN != 0 {
                base[side] = Some(s.seq);
            } else {
                base[side].get_or_insert(s.seq);
            }
        }
        let tls13 = name.contains("tls13");
        let mut events = Vec::with_capacity(segs.len());
        let mut prev_t = segs[0].time_us;
        for s in segs {
            let side = if is_client(&s) { CLIENT } else { SERVER };
            let other_base = base[1 - side].unwrap_or(s.ack.wrapping_sub(1));
            let client_hello = side == CLIENT && has_client_hello(&s.payload);
            events.push(SampleEvent {
                from_client: side == CLIENT,
                flags: s.flags,
                rel_seq: s.seq.wrapping_sub(base[side].unwrap_or(s.seq)),
                rel_ack: if s.flags & ACK != 0 {
                    s.ack.wrapping_sub(other_base)
                } else {
                    0
                },
                gap_us: s.time_us.saturating_sub(prev_t),
                payload: s.payload,
                client_hello,
            });
            prev_t = s.time_us;
        }
        let split = if success {
            events
                .iter()
                .position(|e| e.flags & (FIN | RST) != 0 || is_close_notify(&e.payload, tls13))
                .unwrap_or(events.len())
        } else {
            events.len()
        };
        out.push(Sample {
            events,
            split,
            success,
            tls13,
            server_port,
            weight,
        });
    }
    Ok(out)
}

/// Copies `payload` into `out`, with the SNI of every ClientHello record replaced by `name` and
/// every length around it fixed up. Returns false (and leaves `out` holding an unchanged copy)
/// when a ClientHello does not parse.
fn rewrite_sni(payload: &[u8], name: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut pos = 0;
    while pos + 5 <= payload.len() {
        let rlen = usize::from(be16(&payload[pos + 3..]));
        let end = (pos + 5 + rlen).min(payload.len());
        let rec = &payload[pos..end];
        if rec[0] == 22 && rec.len() == 5 + rlen && rlen >= 4 && rec[5] == 1 {
            if !rewrite_hello_record(rec, name, out) {
                out.clear();
                out.extend_from_slice(payload);
                return false;
            }
        } else {
            out.extend_from_slice(rec);
        }
        pos = end;
    }
    out.extend_from_slice(&payload[pos..]);
    true
}

fn rewrite_hello_record(rec: &[u8], name: &[u8], out: &mut Vec<u8>) -> bool {
    let hs = &rec[5..];
    let hlen = usize::from(hs[1]) << 16 | usize::from(be16(&hs[2..]));
    if hlen + 4 != hs.len() {
        return false;
    }
    let body = &hs[4..];
    let mut i = 2 + 32;
    let Some(&sid) = body.get(i) else {
        return false;
    };
    i += 1 + usize::from(sid);
    let Some(cs) = body.get(i..i + 2) else {
        return false;
    };
    i += 2 + usize::from(be16(cs));
    let Some(&comp) = body.get(i) else {
        return false;
    };
    i += 1 + usize::from(comp);
    let ext_at = i;
    let Some(el) = body.get(i..i + 2) else {
        return false;
    };
    let exts_end = i + 2 + usize::from(be16(el));
    if exts_end != body.len() {
        return false;
    }
    let mut j = i + 2;
    let mut sni = None;
    while j + 4 <= exts_end {
        let len = usize::from(be16(&body[j + 2..]));
        if be16(&body[j..]) == 0 {
            sni = Some((j, j + 4 + len));
        }
        j += 4 + len;
    }
    let Some((s0, s1)) = sni else { return false };
    let new_ext_len = 4 + 5 + name.len();
    let delta = new_ext_len as isize - (s1 - s0) as isize;
    let new_body = (body.len() as isize + delta) as usize;
    let new_exts = (exts_end - ext_at - 2) as isize + delta;
    out.extend_from_slice(&[22, rec[1], rec[2]]);
    out.extend_from_slice(&((new_body + 4) as u16).to_be_bytes());
    out.push(1);
    out.extend_from_slice(&(new_body as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&body[..ext_at]);
    out.extend_from_slice(&(new_exts as u16).to_be_bytes());
    out.extend_from_slice(&body[ext_at + 2..s0]);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&((5 + name.len()) as u16).to_be_bytes());
    out.extend_from_slice(&((3 + name.len()) as u16).to_be_bytes());
    out.push(0);
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&body[s1..]);
    true
}

// ---------------------------------------------------------------------------------------------
// Hosts
// ---------------------------------------------------------------------------------------------

struct Host {
    ip4: [u8; 4],
    ip6: [u8; 16],
    mac: [u8; 6],
}

const OUIS: [[u8; 3]; 6] = [
    [0x00, 0x1b, 0x21],
    [0x3c, 0xfd, 0xfe],
    [0xa4, 0xbb, 0x6d],
    [0xf8, 0x75, 0xa4],
    [0x00, 0x50, 0x56],
    [0xdc, 0xa6, 0x32],
];

fn client_host(seed: u64, i: u32) -> Host {
    let h = mix(seed ^ 0xc11e_0000_0000 ^ u64::from(i));
    let n = i + 1; // 10.0.0.1 …
    let mut ip6 = [0u8; 16];
    ip6[0] = 0xfd;
    ip6[1..8].copy_from_slice(&mix(seed ^ 0xfd00).to_be_bytes()[..7]);
    ip6[8..].copy_from_slice(&h.to_be_bytes());
    let oui = OUIS[(h >> 56) as usize % OUIS.len()];
    Host {
        ip4: [10, (n >> 16) as u8, (n >> 8) as u8, n as u8],
        ip6,
        mac: [
            oui[0],
            oui[1],
            oui[2],
            (h >> 16) as u8,
            (h >> 8) as u8,
            h as u8,
        ],
    }
}

struct Server {
    host: Host,
    port: u16,
    name: Vec<u8>,
}

const WORDS: &[&str] = &[
    "api", "cdn", "auth", "login", "static", "media", "img", "shop", "pay", "mail", "sync",
    "update", "files", "portal", "tracker", "metrics", "edge", "app", "www", "data", "stream",
    "chat", "video", "docs", "status", "partner", "billing", "search", "maps", "store",
];
const ORGS: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "contoso",
    "fabrikam",
    "northwind",
    "tailspin",
    "wingtip",
    "litware",
    "proseware",
    "adventure-works",
    "woodgrove",
];

fn server(seed: u64, i: u32) -> Server {
    let h = mix(seed ^ 0x5e7e_0000_0000 ^ u64::from(i));
    let n = i + 1;
    let mut ip6 = [0u8; 16];
    ip6[0] = 0xfd;
    ip6[1] = 0xc8;
    ip6[2..8].copy_from_slice(&mix(seed ^ 0xfdc8 ^ u64::from(i / 16)).to_be_bytes()[..6]);
    ip6[8..].copy_from_slice(&h.to_be_bytes());
    let w = WORDS[(h % WORDS.len() as u64) as usize];
    let o = ORGS[((h >> 8) % ORGS.len() as u64) as usize];
    let tld = [
        "example.com",
        "example.net",
        "example.org",
        "example",
        "test",
    ][(h >> 16) as usize % 5];
    let name = match (h >> 24) % 4 {
        0 => format!("{w}.{o}.{tld}"),
        1 => format!("{w}{}.{o}.{tld}", (h >> 32) % 50),
        2 => format!(
            "{w}-{}.eu-west-{}.{o}.{tld}",
            (h >> 32) % 20,
            (h >> 40) % 3 + 1
        ),
        _ => format!("{o}-{w}.{tld}"),
    };
    Server {
        host: Host {
            ip4: [172, 16 + (n >> 16) as u8 % 16, (n >> 8) as u8, n as u8],
            ip6,
            mac: [0; 6],
        },
        port: if (h >> 48).is_multiple_of(10) {
            8443
        } else {
            443
        },
        name: name.into_bytes(),
    }
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

/// What one TCP segment looks like, before its payload.
struct Seg {
    from_client: bool,
    flags: u8,
    seq: u32,
    ack: u32,
    window: u16,
    tsval: u32,
    tsecr: u32,
}

struct Endpoints {
    v6: bool,
    ip4: [[u8; 4]; 2],
    ip6: [[u8; 16]; 2],
    /// [client's MAC, gateway's MAC].
    mac: [[u8; 6]; 2],
    port: [u16; 2],
    ttl: [u8; 2],
    mss: u16,
    flow: [u32; 2],
}

/// Writes the Ethernet, IP and TCP headers of `seg` into `f` (cleared first); the caller then
/// appends the payload and calls [`finish`]. Returns (IP offset, TCP offset).
fn begin(f: &mut Vec<u8>, ep: &Endpoints, ip_id: u16, seg: &Seg) -> (usize, usize) {
    f.clear();
    let (s, d) = if seg.from_client {
        (CLIENT, SERVER)
    } else {
        (SERVER, CLIENT)
    };
    f.extend_from_slice(&ep.mac[d]);
    f.extend_from_slice(&ep.mac[s]);
    if ep.v6 {
        f.extend_from_slice(&[0x86, 0xdd]);
        let ip_at = f.len();
        f.extend_from_slice(&(0x6000_0000u32 | ep.flow[s]).to_be_bytes());
        f.extend_from_slice(&[0, 0, 6, ep.ttl[s]]);
        f.extend_from_slice(&ep.ip6[s]);
        f.extend_from_slice(&ep.ip6[d]);
        let tcp_at = tcp_header(f, ep, s, d, seg);
        (ip_at, tcp_at)
    } else {
        f.extend_from_slice(&[0x08, 0x00]);
        let ip_at = f.len();
        f.extend_from_slice(&[0x45, 0, 0, 0]);
        f.extend_from_slice(&ip_id.to_be_bytes());
        f.extend_from_slice(&[0x40, 0, ep.ttl[s], 6, 0, 0]);
        f.extend_from_slice(&ep.ip4[s]);
        f.extend_from_slice(&ep.ip4[d]);
        let tcp_at = tcp_header(f, ep, s, d, seg);
        (ip_at, tcp_at)
    }
}

fn tcp_header(f: &mut Vec<u8>, ep: &Endpoints, s: usize, d: usize, seg: &Seg) -> usize {
    let at = f.len();
    f.extend_from_slice(&ep.port[s].to_be_bytes());
    f.extend_from_slice(&ep.port[d].to_be_bytes());
    f.extend_from_slice(&seg.seq.to_be_bytes());
    f.extend_from_slice(&seg.ack.to_be_bytes());
    let opt_len = if seg.flags & SYN != 0 {
        20
    } else if seg.flags & RST != 0 {
        0
    } else {
        12
    };
    f.push((((20 + opt_len) / 4) as u8) << 4);
    f.push(seg.flags);
    f.extend_from_slice(&seg.window.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0]);
    if seg.flags & SYN != 0 {
        f.extend_from_slice(&[2, 4]);
        f.extend_from_slice(&ep.mss.to_be_bytes());
        f.extend_from_slice(&[4, 2, 8, 10]);
        f.extend_from_slice(&seg.tsval.to_be_bytes());
        f.extend_from_slice(&seg.tsecr.to_be_bytes());
        f.extend_from_slice(&[1, 3, 3, 7]);
    } else if opt_len == 12 {
        f.extend_from_slice(&[1, 1, 8, 10]);
        f.extend_from_slice(&seg.tsval.to_be_bytes());
        f.extend_from_slice(&seg.tsecr.to_be_bytes());
    }
    at
}

/// Fills in lengths and checksums once the payload is in place.
fn finish(f: &mut [u8], v6: bool, ip_at: usize, tcp_at: usize) {
    let tcp_len = f.len() - tcp_at;
    let mut acc = sum16(&f[tcp_at..]) + 6 + tcp_len as u64;
    if v6 {
        f[ip_at + 4..ip_at + 6].copy_from_slice(&(tcp_len as u16).to_be_bytes());
        acc += sum16(&f[ip_at + 8..ip_at + 40]);
    } else {
        let total = (f.len() - ip_at) as u16;
        f[ip_at + 2..ip_at + 4].copy_from_slice(&total.to_be_bytes());
        let c = fold(sum16(&f[ip_at..ip_at + 20]));
        f[ip_at + 10..ip_at + 12].copy_from_slice(&c.to_be_bytes());
        acc += sum16(&f[ip_at + 12..ip_at + 20]);
    }
    let c = fold(acc);
    f[tcp_at + 16..tcp_at + 18].copy_from_slice(&c.to_be_bytes());
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

/// Random-looking bytes for application data bodies: POOL bytes plus a tail so that any slice
/// of up to 2048 bytes starting below POOL is in range.
const POOL: usize = 1 << 20;

/// One direction's transfer of application data records within the bulk phase.
#[derive(Default)]
struct Transfer {
    max_body: u64,
    full: u64,
    last_body: u64,
    total: u64,
    pos: u64,
    salt: u64,
}

impl Transfer {
    fn new(bytes: u64, max_body: u64, salt: u64) -> Transfer {
        let rec = max_body + 5;
        let full = bytes / rec;
        let last_body = (bytes % rec).clamp(37, max_body);
        Transfer {
            max_body,
            full,
            last_body,
            total: full * rec + last_body + 5,
            pos: 0,
            salt,
        }
    }

    /// Appends the next `n` bytes of the record stream.
    fn fill(&mut self, out: &mut Vec<u8>, mut n: u64, pool: &[u8]) {
        let rec = self.max_body + 5;
        while n > 0 {
            let (o, body) = if self.pos < self.full * rec {
                (self.pos % rec, self.max_body)
            } else {
                (self.pos - self.full * rec, self.last_body)
            };
            let take = if o < 5 {
                let hdr = [0x17, 3, 3, (body >> 8) as u8, body as u8];
                let t = (5 - o).min(n);
                out.extend_from_slice(&hdr[o as usize..(o + t) as usize]);
                t
            } else {
                let t = (body + 5 - o).min(n);
                let start = ((self.salt + self.pos) % POOL as u64) as usize;
                out.extend_from_slice(&pool[start..start + t as usize]);
                t
            };
            self.pos += take;
            n -= take;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Sample,
    Bulk,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Request,
    Response,
}

struct Conn {
    sample: usize,
    ep: Endpoints,
    rng: Rng,
    sni: Vec<u8>,
    isn: [u32; 2],
    /// Bytes added to each side's sequence space so far (SNI rewrite, bulk data).
    shift: [u32; 2],
    /// Next sequence number of each side, relative to its ISN.
    nxt: [u32; 2],
    seen: [bool; 2],
    ip_id: [u16; 2],
    ts_base: [u32; 2],
    last_tsval: [u32; 2],
    window: [u16; 2],
    rtt_us: u64,
    gap_us: u64,
    phase: Phase,
    ev: usize,
    ev_off: usize,
    hello: Vec<u8>,
    hello_active: bool,
    bulk_done: bool,
    // Bulk state.
    upload: bool,
    rounds_left: u32,
    round_bytes: u64,
    stage: Stage,
    xfer: Transfer,
    sender: usize,
    unacked: u32,
    ack_due: bool,
    bulk_sent: [u32; 2],
    /// Counted in the statistics (once its first packet is written).
    counted: bool,
    /// Application data after a successful handshake, from and to (`Profile::bulk_bytes`).
    bulk_bytes: (u64, u64),
}

impl Conn {
    fn mss(&self) -> usize {
        if self.ep.v6 { 1428 } else { 1448 }
    }

    /// Builds the segment's headers into `f`, then its payload through `payload`.
    fn frame(
        &mut self,
        f: &mut Vec<u8>,
        now_us: u64,
        from_client: bool,
        flags: u8,
        (seq, ack): (u32, u32),
        payload: impl FnOnce(&mut Vec<u8>),
    ) {
        let s = if from_client { CLIENT } else { SERVER };
        let tsval = self.ts_base[s].wrapping_add((now_us / 1000) as u32);
        let window = if flags & RST != 0 {
            0
        } else if flags & SYN != 0 {
            if flags & ACK != 0 { 65_160 } else { 64_240 }
        } else {
            self.window[s]
        };
        let seg = Seg {
            from_client,
            flags,
            seq: self.isn[s].wrapping_add(seq),
            ack: if flags & ACK != 0 {
                self.isn[1 - s].wrapping_add(ack)
            } else {
                0
            },
            window,
            tsval,
            tsecr: if flags & ACK != 0 {
                self.last_tsval[1 - s]
            } else {
                0
            },
        };
        self.last_tsval[s] = tsval;
        let id = self.ip_id[s];
        self.ip_id[s] = id.wrapping_add(1);
        let (ip_at, tcp_at) = begin(f, &self.ep, id, &seg);
        payload(f);
        finish(f, self.ep.v6, ip_at, tcp_at);
    }

    fn advance_nxt(&mut self, side: usize, end: u32) {
        if !self.seen[side] || (end.wrapping_sub(self.nxt[side]) as i32) > 0 {
            self.nxt[side] = end;
            self.seen[side] = true;
        }
    }

    /// Writes the connection's next packet into `f`; returns the gap to the one after it, or
    /// None when this was the last.
    fn emit(
        &mut self,
        samples: &[Sample],
        pool: &[u8],
        now_us: u64,
        f: &mut Vec<u8>,
    ) -> Option<u64> {
        match self.phase {
            Phase::Sample => self.emit_sample(samples, now_us, f),
            Phase::Bulk => self.emit_bulk(pool, now_us, f),
        }
    }

    fn emit_sample(&mut self, samples: &[Sample], now_us: u64, f: &mut Vec<u8>) -> Option<u64> {
        let sample = &samples[self.sample];
        let ev = &sample.events[self.ev];
        let side = if ev.from_client { CLIENT } else { SERVER };
        if self.ev_off == 0 && ev.client_hello {
            let mut buf = std::mem::take(&mut self.hello);
            self.hello_active = rewrite_sni(&ev.payload, &self.sni, &mut buf);
            self.hello = buf;
        }
        let payload: &[u8] = if self.hello_active {
            &self.hello
        } else {
            &ev.payload
        };
        let chunk = (payload.len() - self.ev_off).min(self.mss());
        let last = self.ev_off + chunk >= payload.len();
        let flags = if last {
            ev.flags
        } else {
            ev.flags & !(FIN | PSH)
        };
        let seq = ev
            .rel_seq
            .wrapping_add(self.shift[side])
            .wrapping_add(self.ev_off as u32);
        let ack = ev.rel_ack.wrapping_add(self.shift[1 - side]);
        let end = seq
            .wrapping_add(chunk as u32)
            .wrapping_add(u32::from(flags & SYN != 0) + u32::from(flags & FIN != 0));
        let (off, new_len) = (self.ev_off, payload.len());
        let hello = std::mem::take(&mut self.hello);
        let src: &[u8] = if self.hello_active {
            &hello
        } else {
            &ev.payload
        };
        self.frame(f, now_us, ev.from_client, flags, (seq, ack), |f| {
            f.extend_from_slice(&src[off..off + chunk]);
        });
        self.hello = hello;
        self.advance_nxt(side, end);
        if !last {
            self.ev_off += chunk;
            return Some(self.rng.range(2, 15));
        }
        if self.hello_active {
            let delta = (new_len as u32).wrapping_sub(ev.payload.len() as u32);
            self.shift[side] = self.shift[side].wrapping_add(delta);
            self.hello_active = false;
        }
        self.ev_off = 0;
        self.ev += 1;
        if sample.success && !self.bulk_done && self.ev == sample.split {
            self.start_bulk(sample.tls13);
            return Some(self.rng.range(1_000, 60_000));
        }
        let next = sample.events.get(self.ev)?;
        let mut gap = next.gap_us;
        if ev.from_client && !next.from_client {
            gap += self.rtt_us;
        }
        Some(gap)
    }

    fn start_bulk(&mut self, tls13: bool) {
        self.phase = Phase::Bulk;
        self.bulk_done = true;
        self.upload = self.rng.chance(100);
        self.rounds_left = self.rng.range(1, 4) as u32;
        let total = self.rng.log_range(self.bulk_bytes.0, self.bulk_bytes.1);
        self.round_bytes = total / u64::from(self.rounds_left);
        self.bulk_sent = [0, 0];
        self.unacked = 0;
        self.ack_due = false;
        self.xfer.max_body = if tls13 { 16_401 } else { 16_408 };
        self.start_transfer(Stage::Request);
    }

    fn start_transfer(&mut self, stage: Stage) {
        self.stage = stage;
        let max_body = self.xfer.max_body;
        let salt = self.rng.next() % POOL as u64;
        let (sender, bytes) = match (stage, self.upload) {
            (Stage::Request, false) => (CLIENT, self.rng.range(90, 1_200)),
            (Stage::Request, true) => (CLIENT, self.round_bytes),
            (Stage::Response, false) => (SERVER, self.round_bytes),
            (Stage::Response, true) => (SERVER, self.rng.range(60, 600)),
        };
        self.sender = sender;
        self.xfer = Transfer::new(bytes, max_body, salt);
    }

    fn emit_bulk(&mut self, pool: &[u8], now_us: u64, f: &mut Vec<u8>) -> Option<u64> {
        let s = self.sender;
        let r = 1 - s;
        if self.ack_due {
            let (seq, ack) = (self.nxt[r], self.nxt[s]);
            self.frame(f, now_us, r == CLIENT, ACK, (seq, ack), |_| {});
            self.ack_due = false;
            self.unacked = 0;
            if self.xfer.pos < self.xfer.total {
                return Some(self.gap_us);
            }
            return Some(match self.stage {
                Stage::Request => {
                    self.start_transfer(Stage::Response);
                    self.rtt_us / 2 + self.rng.range(100, 5_000)
                }
                Stage::Response => {
                    self.rounds_left -= 1;
                    if self.rounds_left > 0 {
                        self.start_transfer(Stage::Request);
                        self.rng.range(1_000, 50_000)
                    } else {
                        // Back to the sample's own close, after the bulk bytes.
                        self.shift[CLIENT] =
                            self.shift[CLIENT].wrapping_add(self.bulk_sent[CLIENT]);
                        self.shift[SERVER] =
                            self.shift[SERVER].wrapping_add(self.bulk_sent[SERVER]);
                        self.phase = Phase::Sample;
                        self.rng.range(1_000, 200_000)
                    }
                }
            });
        }
        let len = (self.xfer.total - self.xfer.pos).min(self.mss() as u64);
        let last = self.xfer.pos + len == self.xfer.total;
        let flags = if last { ACK | PSH } else { ACK };
        let (seq, ack) = (self.nxt[s], self.nxt[r]);
        let mut xfer = std::mem::take(&mut self.xfer);
        self.frame(f, now_us, s == CLIENT, flags, (seq, ack), |f| {
            xfer.fill(f, len, pool)
        });
        self.xfer = xfer;
        self.nxt[s] = seq.wrapping_add(len as u32);
        self.bulk_sent[s] = self.bulk_sent[s].wrapping_add(len as u32);
        self.unacked += 1;
        if self.unacked >= 2 || last {
            self.ack_due = true;
            // The capture point is next to the client: its ACKs follow the data at once, the
            // server's come about a round trip later.
            return Some(if r == CLIENT {
                self.rng.range(15, 80)
            } else {
                self.rtt_us.min(400)
            });
        }
        Some(self.gap_us)
    }
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    packets: u64,
    connections: u64,
    bytes: u64,
    ipv6_connections: u64,
    failures: u64,
}

struct World {
    seed: u64,
    rng: Rng,
    servers: Vec<Server>,
    gateways: Vec<[u8; 6]>,
    weight_total: u32,
    bulk_bytes: (u64, u64),
}

impl World {
    fn new_conn(&mut self, samples: &[Sample]) -> Conn {
        let mut pick = (self.rng.next() % u64::from(self.weight_total)) as u32;
        let mut sample = 0;
        for (i, s) in samples.iter().enumerate() {
            if pick < s.weight {
                sample = i;
                break;
            }
            pick -= s.weight;
        }
        let smp = &samples[sample];
        let mut rng = Rng(self.rng.next());
        let v6 = rng.chance(250);
        // A few heavy clients, a long tail of others.
        let ci = if rng.chance(200) {
            rng.range(0, 199) as u32
        } else {
            rng.range(0, u64::from(CLIENT_HOSTS) - 1) as u32
        };
        let client = client_host(self.seed, ci);
        // Servers: popular ones first (roughly Zipf).
        let si = (rng.log_range(1, u64::from(SERVER_HOSTS)) - 1) as u32;
        let srv = &self.servers[si as usize];
        let gw = self.gateways[(u64::from(ci) % u64::from(GATEWAYS)) as usize];
        let server_port = if smp.server_port == 80 { 80 } else { srv.port };
        let ep = Endpoints {
            v6,
            ip4: [client.ip4, srv.host.ip4],
            ip6: [client.ip6, srv.host.ip6],
            mac: [client.mac, gw],
            port: [rng.range(32_768, 60_999) as u16, server_port],
            ttl: [64, [64, 57, 54, 52, 118, 246][(si % 6) as usize]],
            mss: if v6 { 1440 } else { 1460 },
            flow: [rng.next() as u32 & 0xf_ffff, rng.next() as u32 & 0xf_ffff],
        };
        let rtt_us = rng.log_range(300, 80_000);
        Conn {
            sample,
            sni: srv.name.clone(),
            isn: [rng.next() as u32, rng.next() as u32],
            shift: [0, 0],
            nxt: [0, 0],
            seen: [false, false],
            ip_id: [rng.next() as u16, rng.next() as u16],
            ts_base: [rng.next() as u32, rng.next() as u32],
            last_tsval: [0, 0],
            window: [rng.range(400, 1_000) as u16, rng.range(400, 1_000) as u16],
            rtt_us,
            gap_us: rng.log_range(1_000, 30_000),
            phase: Phase::Sample,
            ev: 0,
            ev_off: 0,
            hello: Vec::new(),
            hello_active: false,
            bulk_done: false,
            upload: false,
            rounds_left: 0,
            round_bytes: 0,
            stage: Stage::Request,
            xfer: Transfer::default(),
            sender: SERVER,
            unacked: 0,
            ack_due: false,
            bulk_sent: [0, 0],
            counted: false,
            bulk_bytes: self.bulk_bytes,
            ep,
            rng,
        }
    }
}

fn write_header(w: &mut impl Write, format: OutFormat) -> std::io::Result<u64> {
    let mut h = Vec::with_capacity(64);
    match format {
        OutFormat::Pcap => {
            h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
            h.extend_from_slice(&2u16.to_le_bytes());
            h.extend_from_slice(&4u16.to_le_bytes());
            h.extend_from_slice(&[0; 8]);
            h.extend_from_slice(&SNAPLEN.to_le_bytes());
            h.extend_from_slice(&1u32.to_le_bytes());
        }
        OutFormat::PcapNg => {
            // Section header block, no options.
            h.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
            h.extend_from_slice(&28u32.to_le_bytes());
            h.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&(-1i64).to_le_bytes());
            h.extend_from_slice(&28u32.to_le_bytes());
            // Interface description block: Ethernet, if_tsresol 6, opt_endofopt.
            h.extend_from_slice(&1u32.to_le_bytes());
            h.extend_from_slice(&32u32.to_le_bytes());
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&SNAPLEN.to_le_bytes());
            h.extend_from_slice(&9u16.to_le_bytes());
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&[6, 0, 0, 0]);
            h.extend_from_slice(&[0, 0, 0, 0]);
            h.extend_from_slice(&32u32.to_le_bytes());
        }
    }
    w.write_all(&h)?;
    Ok(h.len() as u64)
}

/// Bytes one packet of `len` bytes takes in the file.
fn record_len(format: OutFormat, len: usize) -> u64 {
    match format {
        OutFormat::Pcap => 16 + len as u64,
        OutFormat::PcapNg => 32 + len.next_multiple_of(4) as u64,
    }
}

fn write_packet(
    w: &mut impl Write,
    format: OutFormat,
    t_us: u64,
    frame: &[u8],
) -> std::io::Result<()> {
    let len = frame.len() as u32;
    match format {
        OutFormat::Pcap => {
            let mut h = [0u8; 16];
            h[0..4].copy_from_slice(&((t_us / 1_000_000) as u32).to_le_bytes());
            h[4..8].copy_from_slice(&((t_us % 1_000_000) as u32).to_le_bytes());
            h[8..12].copy_from_slice(&len.to_le_bytes());
            h[12..16].copy_from_slice(&len.to_le_bytes());
            w.write_all(&h)?;
            w.write_all(frame)
        }
        OutFormat::PcapNg => {
            let padded = frame.len().next_multiple_of(4);
            let total = (32 + padded) as u32;
            let mut h = [0u8; 28];
            h[0..4].copy_from_slice(&6u32.to_le_bytes());
            h[4..8].copy_from_slice(&total.to_le_bytes());
            h[12..16].copy_from_slice(&((t_us >> 32) as u32).to_le_bytes());
            h[16..20].copy_from_slice(&(t_us as u32).to_le_bytes());
            h[20..24].copy_from_slice(&len.to_le_bytes());
            h[24..28].copy_from_slice(&len.to_le_bytes());
            w.write_all(&h)?;
            w.write_all(frame)?;
            w.write_all(&[0u8; 3][..padded - frame.len()])?;
            w.write_all(&total.to_le_bytes())
        }
    }
}

/// The client random of the first ClientHello record in `payload`.
fn client_random(payload: &[u8]) -> Option<&[u8]> {
    let mut pos = 0;
    while pos + 6 <= payload.len() {
        let len = usize::from(be16(&payload[pos + 3..]));
        if payload[pos] == 22 && payload[pos + 5] == 1 {
            // Record header, handshake header, legacy_version, then the random.
            return payload.get(pos + 11..pos + 43);
        }
        pos += 5 + len;
    }
    None
}

/// A key log for the samples' client randoms: made-up secrets (deterministic from the seed)
/// for the labels a client of the sample's version writes.
fn write_keylog(path: &Path, samples: &[Sample], seed: u64) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(
        w,
        "# gen_mixed key log: made-up secrets for the benchmark capture"
    )?;
    let mut rng = Rng(seed ^ 0x6b65_796c_6f67);
    let mut hex = |n: usize| -> String {
        (0..n)
            .map(|_| format!("{:02x}", rng.next() as u8))
            .collect()
    };
    for s in samples {
        let Some(random) = s
            .events
            .iter()
            .filter(|e| e.client_hello)
            .find_map(|e| client_random(&e.payload))
        else {
            continue;
        };
        let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
        if s.tls13 {
            for label in [
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0",
            ] {
                writeln!(w, "{label} {random} {}", hex(48))?;
            }
        } else {
            writeln!(w, "CLIENT_RANDOM {random} {}", hex(48))?;
        }
    }
    w.flush()
}

fn generate(args: &Args, samples: &[Sample]) -> std::io::Result<Stats> {
    if let Some(path) = &args.keylog {
        write_keylog(path, samples, args.seed)?;
    }
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&args.out)?);
    let mut stats = Stats {
        bytes: write_header(&mut w, args.format)?,
        ..Stats::default()
    };

    let seed = mix(args.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x006d_6978_6564);
    let mut pool_rng = Rng(seed ^ 0x9001);
    let mut pool = Vec::with_capacity(POOL + 2048);
    while pool.len() < POOL + 2048 {
        pool.extend_from_slice(&pool_rng.next().to_le_bytes());
    }
    let mut world = World {
        seed,
        rng: Rng(seed),
        servers: (0..SERVER_HOSTS).map(|i| server(seed, i)).collect(),
        gateways: (0..GATEWAYS)
            .map(|i| {
                let h = mix(seed ^ 0x6a7e ^ u64::from(i)).to_be_bytes();
                [0x00, 0x00, 0x0c, h[0], h[1], h[2]]
            })
            .collect(),
        weight_total: samples.iter().map(|s| s.weight).sum(),
        bulk_bytes: args.profile.bulk_bytes(),
    };

    let mut conns = Vec::with_capacity(args.live);
    let mut heap = BinaryHeap::with_capacity(args.live);
    let mut t = START_US;
    let mut order = 0u64;
    for slot in 0..args.live {
        conns.push(world.new_conn(samples));
        t += world.rng.range(100, 3_000);
        heap.push(Reverse((t, order, slot)));
        order += 1;
    }

    let mut frame = Vec::with_capacity(2048);
    while let Some(Reverse((now, _, slot))) = heap.pop() {
        let next = conns[slot].emit(samples, &pool, now - START_US, &mut frame);
        let rec = record_len(args.format, frame.len());
        if stats.bytes + rec > args.size {
            break;
        }
        write_packet(&mut w, args.format, now, &frame)?;
        stats.bytes += rec;
        stats.packets += 1;
        let c = &mut conns[slot];
        if !c.counted {
            c.counted = true;
            stats.connections += 1;
            stats.ipv6_connections += u64::from(c.ep.v6);
            stats.failures += u64::from(!samples[c.sample].success);
        }
        let at = match next {
            Some(gap) => now + gap.max(1),
            None => {
                conns[slot] = world.new_conn(samples);
                now + world.rng.range(50, 4_000)
            }
        };
        heap.push(Reverse((at, order, slot)));
        order += 1;
    }
    w.flush()?;
    Ok(stats)
}
