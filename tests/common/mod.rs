//! Shared fixtures for the tshark interoperability tests (`tests/interop.rs`).
//!
//! Everything expensive happens once per test process and is shared by all tests:
//! * [`inputs`]: the samples (`samples/*.pcap`) and the corpus (`../shared/corpus`), copied
//!   into a private work folder first, so a sample being regenerated while the tests run
//!   cannot change under them;
//! * [`sanitized`]: every input sanitized on its own with a fixed key, one evidence folder each;
//! * [`dissections`]: tshark's view of every input and output (one tshark call per file and mode).
//!
//! The work folder lives under `CARGO_TARGET_TMPDIR` (inside `target/`), so `cargo clean`
//! removes it; folders of earlier runs older than an hour are removed at start.

#![allow(dead_code)]

pub mod tls;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

/// The fixed mapping key (≥ 32 bytes) of every keyed run.
pub const KEY: &[u8] = b"pcapscrub interop tests: a fixed 48-byte key!!!!";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub use testkit::need::corpus_dir;

/// Writes straight to the process's stderr, past the test harness's output capture, so the
/// line is seen even when the test passes.
pub fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Work folder, inputs
// ---------------------------------------------------------------------------------------------

pub fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        std::fs::create_dir_all(&base).expect("cannot create CARGO_TARGET_TMPDIR");
        remove_stale_work_dirs(&base);
        tempfile::Builder::new()
            .prefix("interop-")
            .tempdir_in(&base)
            .expect("cannot create the work folder")
            .keep()
    })
}

fn remove_stale_work_dirs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < hour_ago);
        if old && e.file_name().to_string_lossy().starts_with("interop-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// One capture under test (a private snapshot of a sample or corpus file).
#[derive(Debug)]
pub struct Input {
    /// File name as found, e.g. `ndpi-dtls.pcap`.
    pub name: String,
    /// File name without its last extension: the `<stem>` of the evidence files.
    pub stem: String,
    /// The snapshot this process reads.
    pub path: PathBuf,
    /// Container by magic number (not by extension).
    pub pcapng: bool,
    pub from_corpus: bool,
    pub bytes: Vec<u8>,
}

impl Input {
    pub fn out_ext(&self) -> &'static str {
        if self.pcapng { "pcapng" } else { "pcap" }
    }
}

pub fn is_pcapng(data: &[u8]) -> bool {
    data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a])
}

pub fn is_pcap(data: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 4] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
    ];
    data.len() >= 4 && MAGICS.iter().any(|m| data[..4] == *m)
}

fn capture_files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|x| exts.iter().any(|e| x.eq_ignore_ascii_case(e)))
        })
        .collect();
    v.sort();
    v
}

/// Whether the corpus is there (decided once; see `testkit::need`: without it, the sweeps run
/// on the samples only, and fail when `CI` is set).
pub fn corpus_present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    *PRESENT.get_or_init(|| testkit::need::corpus().is_some())
}

/// The preamble captures of `samples/paths/` (made by `samples/make-paths.sh`): STARTTLS,
/// SSLRequest, CONNECT and SOCKS. Part of [`path_samples`]; `tests/preambles.rs` checks what
/// tshark shows of each sanitized copy. Append a file here when its support lands.
pub const PREAMBLE_SAMPLES: &[&str] = &[
    "smtp-starttls.pcap",
    "imap-starttls.pcap",
    "postgres-ssl.pcap",
    "postgres-gssenc.pcap",
    "connect-proxy.pcap",
    "connect-407.pcap",
    "ftp-auth-tls.pcap",
    "pop3-stls.pcap",
    "ldap-starttls.pcap",
    "xmpp-starttls.pcap",
    "mysql-ssl.pcap",
    "socks5.pcap",
    "socks4a.pcap",
    "socks5-refused.pcap",
];

/// The other captures of `samples/paths/` whose encapsulation pcapscrub supports (tunnels,
/// fragments, ICMP errors). Append a file here when its support lands.
pub const ENCAPSULATION_SAMPLES: &[&str] = &[
    "icmp-frag-needed.pcap",
    "icmpv6-packet-too-big.pcap",
    "vxlan.pcap",
    "gre.pcap",
    "gretap.pcap",
    "ipip.pcap",
    "sit.pcap",
    "geneve.pcap",
    "gtpu.pcap",
    "l2tp.pcap",
    "vxlan-8472.pcap",
    "4in6.pcap",
    "6in6.pcap",
    "erspan2.pcap",
    "erspan3.pcap",
    "mpls.pcap",
    "ipv4-fragments.pcap",
];

/// Every capture of `samples/paths/` pcapscrub supports: each is diagnosed and sanitized like
/// any other sample.
pub fn path_samples() -> impl Iterator<Item = &'static str> {
    PREAMBLE_SAMPLES
        .iter()
        .chain(ENCAPSULATION_SAMPLES)
        .copied()
}

/// Samples (`samples/*.pcap`, then [`path_samples`]) first, then the corpus (when present),
/// each sorted by name.
pub fn inputs() -> &'static [Input] {
    static INPUTS: OnceLock<Vec<Input>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let snap = work_dir().join("inputs");
        let mut found: Vec<(PathBuf, bool)> =
            capture_files(&repo_root().join("samples"), &["pcap"])
                .into_iter()
                .map(|p| (p, false))
                .collect();
        assert!(!found.is_empty(), "no samples/*.pcap found");
        let paths = repo_root().join("samples").join("paths");
        found.extend(path_samples().map(|name| (paths.join(name), false)));
        if corpus_present() {
            let corpus = capture_files(&corpus_dir(), &["pcap", "pcapng"]);
            assert!(!corpus.is_empty(), "the corpus folder holds no captures");
            found.extend(corpus.into_iter().map(|p| (p, true)));
        }
        let mut out = Vec::new();
        for (path, from_corpus) in found {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
            // Corpus and samples are separate folders; keep the snapshots apart too.
            let dest_dir = snap.join(if from_corpus { "corpus" } else { "samples" });
            std::fs::create_dir_all(&dest_dir).unwrap();
            let dest = dest_dir.join(&name);
            std::fs::write(&dest, &bytes).unwrap();
            out.push(Input {
                pcapng: is_pcapng(&bytes),
                name,
                stem,
                path: dest,
                from_corpus,
                bytes,
            });
        }
        out
    })
}

pub fn find_input(name: &str) -> Option<(usize, &'static Input)> {
    inputs().iter().enumerate().find(|(_, i)| i.name == name)
}

pub fn key_file() -> &'static Path {
    static KEYFILE: OnceLock<PathBuf> = OnceLock::new();
    KEYFILE.get_or_init(|| {
        let p = work_dir().join("interop.key");
        std::fs::write(&p, KEY).unwrap();
        p
    })
}

// ---------------------------------------------------------------------------------------------
// Running pcapscrub
// ---------------------------------------------------------------------------------------------

/// The binary under test (`fixtures_gen::bin`, the one place that decides how tests run it).
pub fn pcapscrub_bin() -> &'static Path {
    crate::fixtures_gen::bin()
}

pub fn run_sanitize(captures: &[&Path], outdir: &Path, key: Option<&Path>) -> Output {
    let mut cmd = Command::new(pcapscrub_bin());
    cmd.arg("sanitize").args(captures).arg("-o").arg(outdir);
    if let Some(k) = key {
        cmd.arg("--key").arg(k);
    }
    cmd.output().expect("cannot run pcapscrub")
}

/// The parts of `<stem>.summary.yaml` the tests read.
#[derive(Debug, Deserialize)]
pub struct Summary {
    pub input: SummaryInput,
    pub output: SummaryOutput,
    pub redactions: SummaryRedactions,
}

#[derive(Debug, Deserialize)]
pub struct SummaryInput {
    pub packets: u64,
}

#[derive(Debug, Deserialize)]
pub struct SummaryOutput {
    pub file: String,
    pub sha256: String,
    pub packets_written: u64,
    #[serde(default)]
    pub packets_dropped: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
pub struct SummaryRedactions {
    #[serde(default)]
    pub ipv4_addresses_mapped: u64,
    #[serde(default)]
    pub ipv6_addresses_mapped: u64,
    #[serde(default)]
    pub mac_addresses_mapped: u64,
    #[serde(default)]
    pub pcapng_blocks_dropped: BTreeMap<String, u64>,
    #[serde(default)]
    pub pcapng_comments_dropped: u64,
}

impl Summary {
    pub fn dropped_total(&self) -> u64 {
        self.output.packets_dropped.values().sum()
    }
}

/// The keyed, one-file-per-run sanitization of one input.
#[derive(Debug)]
pub struct Sanitized {
    pub outdir: PathBuf,
    pub exit_code: Option<i32>,
    pub stderr: String,
    /// `OUTDIR/<stem>.sanitized.<ext>` (ext from the input's magic number).
    pub capture: PathBuf,
    pub summary_path: PathBuf,
    /// Parsed summary, or why there is none.
    pub summary: Result<Summary, String>,
}

impl Sanitized {
    pub fn ok(&self) -> bool {
        self.exit_code == Some(0) && self.capture.is_file() && self.summary.is_ok()
    }
}

pub fn sanitize_one(input: &Input, outdir: &Path, key: Option<&Path>) -> Sanitized {
    let out = run_sanitize(&[input.path.as_path()], outdir, key);
    let capture = outdir.join(format!("capture.sanitized.{}", input.out_ext()));
    let summary_path = outdir.join("capture.summary.yaml");
    let summary = std::fs::read_to_string(&summary_path)
        .map_err(|e| format!("cannot read {}: {e}", summary_path.display()))
        .and_then(|t| {
            serde_saphyr::from_str::<Summary>(&t)
                .map_err(|e| format!("cannot parse {}: {e}", summary_path.display()))
        });
    Sanitized {
        outdir: outdir.to_path_buf(),
        exit_code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        capture,
        summary_path,
        summary,
    }
}

/// Every input sanitized once with [`KEY`], each into its own evidence folder; index-aligned
/// with [`inputs`].
pub fn sanitized() -> &'static [Sanitized] {
    static DONE: OnceLock<Vec<Sanitized>> = OnceLock::new();
    DONE.get_or_init(|| {
        let root = work_dir().join("keyed");
        std::fs::create_dir_all(&root).unwrap();
        let key = key_file();
        par_map(inputs(), |i| {
            sanitize_one(
                i,
                &root.join(format!("{}-{}", origin(i), i.stem)),
                Some(key),
            )
        })
    })
}

pub fn origin(i: &Input) -> &'static str {
    if i.from_corpus { "corpus" } else { "samples" }
}

// ---------------------------------------------------------------------------------------------
// Parallel map (largest inputs are not special-cased: the pool pulls work as it frees up)
// ---------------------------------------------------------------------------------------------

pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    *slots[i].lock().unwrap() = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap().expect("worker panicked"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// tshark
// ---------------------------------------------------------------------------------------------

/// Whether tshark is usable (decided once; see `testkit::need`): a test that needs it returns
/// when this is false.
pub fn tshark() -> bool {
    static USABLE: OnceLock<bool> = OnceLock::new();
    *USABLE.get_or_init(|| testkit::need::tool("tshark", Command::new("tshark").arg("--version")))
}

/// An empty personal configuration folder, so local Wireshark preferences cannot change
/// what the tests see.
fn tshark_config_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let p = work_dir().join("wireshark-config");
        std::fs::create_dir_all(&p).unwrap();
        p
    })
}

/// Aggregator between occurrences of one field (a byte no field value contains).
const AGG: char = '\u{1f}';

/// Rows of `tshark -T fields -E occurrence=a`: row → column → occurrences.
pub type Rows = Vec<Vec<Vec<String>>>;

/// Per-file tshark options: `zeek-irc-starttls.pcap` carries TLS on 6667 (INDEX.md hint).
fn decode_as(name: &str) -> &'static [&'static str] {
    if name.starts_with("zeek-irc-starttls") {
        &["-d", "tcp.port==6667,tls"]
    } else if name.starts_with("postgres-gssenc") {
        // tshark 4.0's PostgreSQL dissector stops following after a refused GSSENCRequest:
        // decoded as TLS, the client's side (ClientHello) is found again.
        &["-d", "tcp.port==5432,tls"]
    } else if name.starts_with("vxlan-8472") {
        // Linux's legacy VXLAN port, which tshark does not decode as VXLAN by itself.
        &["-d", "udp.port==8472,vxlan"]
    } else {
        &[]
    }
}

pub fn tshark_fields(
    path: &Path,
    name: &str,
    prefs: &[&str],
    fields: &[&str],
) -> Result<Rows, String> {
    let mut cmd = Command::new("tshark");
    cmd.env("WIRESHARK_CONFIG_DIR", tshark_config_dir())
        .arg("-n")
        .arg("-r")
        .arg(path)
        .args(decode_as(name))
        .args(prefs)
        .args([
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=a",
            "-E",
            "quote=n",
        ])
        .arg(format!("-Eaggregator={AGG}"));
    for f in fields {
        cmd.arg("-e").arg(f);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run tshark: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(tshark_failure(path, &out));
    }
    Ok(stdout
        .lines()
        .map(|line| {
            let mut cols: Vec<Vec<String>> = line
                .split('\t')
                .map(|c| {
                    if c.is_empty() {
                        Vec::new()
                    } else {
                        c.split(AGG).map(str::to_string).collect()
                    }
                })
                .collect();
            cols.resize(fields.len(), Vec::new());
            cols
        })
        .collect())
}

pub const CHECKSUM_PREFS: &[&str] = &[
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
];

/// Expert severity "Error" (`PI_ERROR`) and the checksum group (`PI_CHECKSUM`).
const PI_SEVERITY_MASK: u32 = 0x00f0_0000;
const PI_ERROR: u32 = 0x0080_0000;
const PI_GROUP_MASK: u32 = 0xff00_0000;
const PI_CHECKSUM: u32 = 0x0100_0000;
const PI_MALFORMED: u32 = 0x0700_0000;
const PI_WARN: u32 = 0x0060_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrKind {
    V4,
    V6,
    Mac,
}

/// Address fields: (tshark field, kind). The first group is the IP/IPv6/ARP/link-layer headers
/// (incl. the IPv6 routing header's address list); the rest are addresses inside ICMP/ICMPv6
/// headers (the redirect gateway stays in the kept ICMP header), IPv4 options, neighbour
/// discovery, DNS and DHCP, in case their bytes survive.
pub const ADDRESS_FIELDS: &[(&str, AddrKind)] = &[
    ("ip.src", AddrKind::V4),
    ("ip.dst", AddrKind::V4),
    ("arp.src.proto_ipv4", AddrKind::V4),
    ("arp.dst.proto_ipv4", AddrKind::V4),
    ("ipv6.src", AddrKind::V6),
    ("ipv6.dst", AddrKind::V6),
    ("ipv6.routing.src.addr", AddrKind::V6),
    ("eth.src", AddrKind::Mac),
    ("eth.dst", AddrKind::Mac),
    ("arp.src.hw_mac", AddrKind::Mac),
    ("arp.dst.hw_mac", AddrKind::Mac),
    ("sll.src.eth", AddrKind::Mac),
    ("icmp.redir_gw", AddrKind::V4),
    ("icmp.router_address", AddrKind::V4),
    ("ip.opt.addr", AddrKind::V4),
    ("ip.rec_rt", AddrKind::V4),
    ("ip.src_rt", AddrKind::V4),
    ("igmp.saddr", AddrKind::V4),
    ("icmpv6.nd.ns.target_address", AddrKind::V6),
    ("icmpv6.nd.rd.target_address", AddrKind::V6),
    ("icmpv6.nd.na.target_address", AddrKind::V6),
    ("icmpv6.opt.linkaddr", AddrKind::Mac),
    ("dns.a", AddrKind::V4),
    ("dns.aaaa", AddrKind::V6),
    ("dhcp.ip.client", AddrKind::V4),
    ("dhcp.ip.your", AddrKind::V4),
    ("dhcp.hw.mac_addr", AddrKind::Mac),
];

const PLAIN_HEAD: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "frame.len",
    "frame.cap_len",
    "_ws.malformed",
    "_ws.expert.severity",
    "_ws.expert.group",
    "_ws.expert.message",
    "icmp.type",
    "icmpv6.type",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
];

/// TCP fields compared by `same_packets_same_fields` (first occurrence).
pub const TCP_FIELDS: [&str; 5] = [
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
];

#[derive(Debug, Clone)]
pub struct Frame {
    pub number: u64,
    pub time_epoch: String,
    pub len: u64,
    pub cap_len: u64,
    /// `_ws.malformed` plus expert items of severity Error outside the checksum group
    /// (checksums are `checksums_are_right`'s business).
    pub errors: Vec<String>,
    /// Expert warnings and malformed-group items, shown with flagged frames to explain them.
    pub notes: Vec<String>,
    /// An ICMP or ICMPv6 error message (its quoted headers are partial by design).
    pub icmp_error: bool,
    /// First occurrence of each of [`TCP_FIELDS`].
    pub tcp: [Option<String>; 5],
    /// (field, kind, value) for every occurrence of every address field.
    pub addresses: Vec<(&'static str, AddrKind, String)>,
    /// Number of IPv4 and IPv6 headers tshark decoded (more than one: a tunnel or an ICMP
    /// error's quote).
    pub ip_headers: usize,
}

impl Frame {
    pub fn flagged(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Errors then notes, each distinct message once with its count.
    pub fn explain(&self) -> String {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for m in self.errors.iter().chain(&self.notes) {
            match counts.iter_mut().find(|(n, _)| *n == m.as_str()) {
                Some((_, c)) => *c += 1,
                None => counts.push((m, 1)),
            }
        }
        counts
            .iter()
            .map(|(m, c)| {
                if *c > 1 {
                    format!("{m} (x{c})")
                } else {
                    m.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

fn is_icmp_error(icmp: &[String], icmpv6: &[String]) -> bool {
    let first = |v: &[String]| v.first().and_then(|s| s.parse::<u8>().ok());
    matches!(first(icmp), Some(3 | 4 | 5 | 11 | 12)) || matches!(first(icmpv6), Some(1..=4))
}

pub fn dissect_plain(path: &Path, name: &str) -> Result<Vec<Frame>, String> {
    let mut fields: Vec<&str> = PLAIN_HEAD.to_vec();
    fields.extend(ADDRESS_FIELDS.iter().map(|(f, _)| *f));
    let rows = tshark_fields(path, name, &[], &fields)?;
    rows.into_iter()
        .map(|r| {
            let one = |i: usize| r[i].first().cloned().unwrap_or_default();
            let num = |i: usize| {
                one(i)
                    .parse::<u64>()
                    .map_err(|_| format!("bad {} {:?} in {name}", fields[i], one(i)))
            };
            // `_ws.malformed` prints as its own name: only its presence says something.
            let mut errors: Vec<String> = r[4]
                .iter()
                .filter(|m| m.as_str() != "_ws.malformed")
                .cloned()
                .collect();
            if !r[4].is_empty() && errors.is_empty() {
                errors.push("Malformed Packet".into());
            }
            let mut notes = Vec::new();
            let (sev, grp, msg) = (&r[5], &r[6], &r[7]);
            for (k, s) in sev.iter().enumerate() {
                let s: u32 = s.parse().unwrap_or(0);
                let g: u32 = grp.get(k).and_then(|g| g.parse().ok()).unwrap_or(0);
                let m = msg.get(k).map_or("?", String::as_str);
                if s & PI_SEVERITY_MASK >= PI_ERROR && g & PI_GROUP_MASK != PI_CHECKSUM {
                    errors.push(format!("expert error: {m}"));
                } else if s & PI_SEVERITY_MASK >= PI_WARN || g & PI_GROUP_MASK == PI_MALFORMED {
                    notes.push(m.to_string());
                }
            }
            let tcp = std::array::from_fn(|k| r[10 + k].first().cloned());
            let mut addresses = Vec::new();
            for (k, (f, kind)) in ADDRESS_FIELDS.iter().enumerate() {
                for v in &r[PLAIN_HEAD.len() + k] {
                    addresses.push((*f, *kind, v.clone()));
                }
            }
            let ip_headers = ["ip.src", "ipv6.src"]
                .iter()
                .map(|f| addresses.iter().filter(|(g, _, _)| g == f).count())
                .sum();
            Ok(Frame {
                ip_headers,
                number: num(0)?,
                time_epoch: one(1),
                len: num(2)?,
                cap_len: num(3)?,
                errors,
                notes,
                icmp_error: is_icmp_error(&r[8], &r[9]),
                tcp,
                addresses,
            })
        })
        .collect()
}

/// Protocols whose checksum status is checked, in field order.
pub const CHECKSUM_PROTOS: [&str; 6] = ["ip", "tcp", "udp", "icmp", "icmpv6", "gre"];

#[derive(Debug, Clone)]
pub struct ChecksumFrame {
    pub number: u64,
    pub icmp_error: bool,
    /// Per [`CHECKSUM_PROTOS`]: the `<proto>.checksum.status` of every occurrence
    /// (0 bad, 1 good, 2 unverified, 3 not present, 4 illegal).
    pub status: [Vec<u8>; CHECKSUM_PROTOS.len()],
    pub checksum_messages: Vec<String>,
}

pub fn dissect_checksums(path: &Path, name: &str) -> Result<Vec<ChecksumFrame>, String> {
    let mut fields = vec![
        "frame.number",
        "icmp.type",
        "icmpv6.type",
        "_ws.expert.message",
    ];
    let status_fields: Vec<String> = CHECKSUM_PROTOS
        .iter()
        .map(|p| format!("{p}.checksum.status"))
        .collect();
    fields.extend(status_fields.iter().map(String::as_str));
    let rows = tshark_fields(path, name, CHECKSUM_PREFS, &fields)?;
    rows.into_iter()
        .map(|r| {
            let number = r[0]
                .first()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("bad frame.number in {name}"))?;
            let status = std::array::from_fn(|k| {
                r[4 + k].iter().map(|s| s.parse().unwrap_or(255)).collect()
            });
            Ok(ChecksumFrame {
                number,
                icmp_error: is_icmp_error(&r[1], &r[2]),
                status,
                checksum_messages: r[3]
                    .iter()
                    .filter(|m| m.to_ascii_lowercase().contains("checksum"))
                    .cloned()
                    .collect(),
            })
        })
        .collect()
}

/// Bad (0) or illegal (4) checksums of one frame that are not exempt. Exempt: in an ICMP/ICMPv6
/// error, the quoted transport header (any TCP/UDP occurrence: only 8 bytes of it are kept, so
/// its checksum cannot be verified) and quoted ICMP headers (occurrences after the first).
/// The quoted IPv4 header is complete, so its checksum is checked like any other.
pub fn checksum_problems(f: &ChecksumFrame) -> Vec<String> {
    let mut v = Vec::new();
    for (k, proto) in CHECKSUM_PROTOS.iter().enumerate() {
        for (occ, &s) in f.status[k].iter().enumerate() {
            let exempt = f.icmp_error
                && match *proto {
                    "tcp" | "udp" => true,
                    "icmp" | "icmpv6" => occ > 0,
                    _ => false,
                };
            if (s == 0 || s == 4) && !exempt {
                let what = if s == 0 { "bad" } else { "illegal" };
                v.push(format!("{proto}[{occ}] {what} (status {s})"));
            }
        }
    }
    if !v.is_empty() && !f.checksum_messages.is_empty() {
        v.push(format!("tshark: {}", f.checksum_messages.join("; ")));
    }
    v
}

/// tshark's view of one input and its keyed output; index-aligned with [`inputs`].
#[derive(Debug)]
pub struct Dissection {
    pub input: Result<Vec<Frame>, String>,
    pub output: Result<Vec<Frame>, String>,
    pub output_checksums: Result<Vec<ChecksumFrame>, String>,
}

enum Job {
    PlainIn(usize),
    PlainOut(usize),
    ChecksumOut(usize),
}

enum JobResult {
    Plain(Result<Vec<Frame>, String>),
    Checksums(Result<Vec<ChecksumFrame>, String>),
}

pub fn dissections() -> &'static [Dissection] {
    static DONE: OnceLock<Vec<Dissection>> = OnceLock::new();
    DONE.get_or_init(|| {
        assert!(tshark(), "tshark is required");
        let ins = inputs();
        let outs = sanitized();
        // Biggest files first so the two workers finish together.
        let mut order: Vec<usize> = (0..ins.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ins[i].bytes.len()));
        let jobs: Vec<Job> = order
            .iter()
            .flat_map(|&i| [Job::PlainIn(i), Job::PlainOut(i), Job::ChecksumOut(i)])
            .collect();
        let not_sanitized = |i: usize| format!("no output: sanitize of {} failed", ins[i].name);
        let results = par_map(&jobs, |job| match *job {
            Job::PlainIn(i) => JobResult::Plain(dissect_plain(&ins[i].path, &ins[i].name)),
            Job::PlainOut(i) => JobResult::Plain(if outs[i].ok() {
                dissect_plain(&outs[i].capture, &ins[i].name)
            } else {
                Err(not_sanitized(i))
            }),
            Job::ChecksumOut(i) => JobResult::Checksums(if outs[i].ok() {
                dissect_checksums(&outs[i].capture, &ins[i].name)
            } else {
                Err(not_sanitized(i))
            }),
        });
        let mut plain_in: Vec<Option<Result<Vec<Frame>, String>>> =
            ins.iter().map(|_| None).collect();
        let mut plain_out: Vec<Option<Result<Vec<Frame>, String>>> =
            ins.iter().map(|_| None).collect();
        let mut ck_out: Vec<Option<Result<Vec<ChecksumFrame>, String>>> =
            ins.iter().map(|_| None).collect();
        for (job, res) in jobs.iter().zip(results) {
            match (job, res) {
                (Job::PlainIn(i), JobResult::Plain(r)) => plain_in[*i] = Some(r),
                (Job::PlainOut(i), JobResult::Plain(r)) => plain_out[*i] = Some(r),
                (Job::ChecksumOut(i), JobResult::Checksums(r)) => ck_out[*i] = Some(r),
                _ => unreachable!(),
            }
        }
        plain_in
            .into_iter()
            .zip(plain_out)
            .zip(ck_out)
            .map(|((a, b), c)| Dissection {
                input: a.unwrap(),
                output: b.unwrap(),
                output_checksums: c.unwrap(),
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Address ranges
// ---------------------------------------------------------------------------------------------

pub fn in_v4(a: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(a) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

/// Kept as they are by the sanitizer (SECURITY.md): loopback, "this network", limited broadcast,
/// multicast, and the three RFC 5737 documentation /24s.
pub fn v4_kept(a: Ipv4Addr) -> bool {
    in_v4(a, [127, 0, 0, 0], 8)
        || in_v4(a, [0, 0, 0, 0], 8)
        || a == Ipv4Addr::BROADCAST
        || in_v4(a, [224, 0, 0, 0], 4)
        || in_v4(a, [192, 0, 2, 0], 24)
        || in_v4(a, [198, 51, 100, 0], 24)
        || in_v4(a, [203, 0, 113, 0], 24)
}

/// May appear in an output, by the library's one definition (no allowlist: the tests run the
/// shipped policies).
pub fn v4_allowed(a: Ipv4Addr) -> bool {
    pcapscrub::anonymize::address_allowed(a.into(), &pcapscrub::allowlist::Allowlist::default())
}

pub fn v6_kept(a: Ipv6Addr) -> bool {
    let s = a.segments();
    a == Ipv6Addr::LOCALHOST
        || a == Ipv6Addr::UNSPECIFIED
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (a.octets()[0] == 0xff && !is_solicited_node(a))
}

/// ff02::1:ffXX:XXXX: its low 24 bits come from a unicast address and are rewritten.
pub fn is_solicited_node(a: Ipv6Addr) -> bool {
    let s = a.segments();
    s[..5] == [0xff02, 0, 0, 0, 0] && s[5] == 1 && s[6] >> 8 == 0xff
}

/// May appear in an output: the library's one definition of a kept address (see
/// [`v4_allowed`]), or a solicited-node group. The library does not call such a group kept on
/// its own, as its 24 low bits are its member's: the rewrite gives it those of the member's
/// replacement (or keyed bits when the member is not in the capture), so an output group is
/// always made of output bits; `no_original_addresses_survive` checks that no input group is
/// left.
pub fn v6_allowed(a: Ipv6Addr) -> bool {
    pcapscrub::anonymize::address_allowed(a.into(), &pcapscrub::allowlist::Allowlist::default())
        || is_solicited_node(a)
}

pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<u8> = s
        .split(':')
        .map(|p| u8::from_str_radix(p, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    parts.try_into().ok()
}

/// Kept as they are: multicast/broadcast (I/G bit), all-zero, and RFC 7042 documentation MACs.
pub fn mac_kept(m: [u8; 6]) -> bool {
    m[0] & 1 == 1 || m == [0; 6] || m[..5] == [0x00, 0x00, 0x5e, 0x00, 0x53]
}

/// May appear in an output: kept MACs and locally administered ones (U/L bit).
pub fn mac_allowed(m: [u8; 6]) -> bool {
    mac_kept(m) || m[0] & 2 == 2
}

// ---------------------------------------------------------------------------------------------
// pcapng block scanner
// ---------------------------------------------------------------------------------------------

pub const SHB: u32 = 0x0a0d_0d0a;
pub const IDB: u32 = 1;
pub const OPB: u32 = 2;
pub const SPB: u32 = 3;
pub const NRB: u32 = 4;
pub const ISB: u32 = 5;
pub const EPB: u32 = 6;
pub const JOURNAL: u32 = 9;
pub const DSB: u32 = 10;
pub const CB_COPY: u32 = 0x0000_0bad;
pub const CB_NOCOPY: u32 = 0x4000_0bad;

pub const OPT_COMMENT: u16 = 1;
pub const CUSTOM_OPTIONS: [u16; 4] = [2988, 2989, 19372, 19373];

#[derive(Debug)]
pub struct Block {
    pub offset: usize,
    pub btype: u32,
    /// (code, value) of each option; `None` when this block type's options cannot be located.
    pub options: Option<Vec<(u16, Vec<u8>)>>,
}

fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// Walks the blocks of a pcapng file (any byte order, several sections).
pub fn scan_pcapng(data: &[u8]) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut off = 0usize;
    let mut le = true;
    while off < data.len() {
        if data.len() - off < 12 {
            return Err(format!("{} stray bytes at offset {off}", data.len() - off));
        }
        let raw_type = u32::from_le_bytes(data[off..off + 4].try_into().unwrap());
        if raw_type == SHB {
            le = match &data[off + 8..off + 12] {
                [0x4d, 0x3c, 0x2b, 0x1a] => true,
                [0x1a, 0x2b, 0x3c, 0x4d] => false,
                other => return Err(format!("bad byte-order magic {other:02x?} at {off}")),
            };
        }
        let u32_at = |p: usize| {
            let b: [u8; 4] = data[p..p + 4].try_into().unwrap();
            if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        };
        let u16_at = |p: usize| {
            let b: [u8; 2] = data[p..p + 2].try_into().unwrap();
            if le {
                u16::from_le_bytes(b)
            } else {
                u16::from_be_bytes(b)
            }
        };
        let btype = u32_at(off);
        let len = u32_at(off + 4) as usize;
        if len < 12 || !len.is_multiple_of(4) || off + len > data.len() {
            return Err(format!("bad block length {len} at offset {off}"));
        }
        if u32_at(off + len - 4) as usize != len {
            return Err(format!(
                "trailing length differs from {len} at offset {off}"
            ));
        }
        let body = off + 8;
        let end = off + len - 4;
        // Where the options start, for block types whose fixed part is known.
        let opt_start: Option<usize> = match btype {
            SHB => Some(body + 16),
            IDB => Some(body + 8),
            EPB if end >= body + 20 => Some(body + 20 + pad4(u32_at(body + 12) as usize)),
            OPB if end >= body + 20 => Some(body + 20 + pad4(u32_at(body + 12) as usize)),
            ISB => Some(body + 12),
            DSB if end >= body + 8 => Some(body + 8 + pad4(u32_at(body + 4) as usize)),
            NRB => {
                let mut p = body;
                loop {
                    if p + 4 > end {
                        break None;
                    }
                    let (rtype, rlen) = (u16_at(p), u16_at(p + 2) as usize);
                    p += 4 + pad4(rlen);
                    if rtype == 0 {
                        break Some(p);
                    }
                }
            }
            _ => None,
        };
        let options = opt_start.filter(|&s| s <= end).map(|mut p| {
            let mut opts = Vec::new();
            while p + 4 <= end {
                let (code, olen) = (u16_at(p), u16_at(p + 2) as usize);
                if code == 0 || p + 4 + olen > end {
                    break;
                }
                opts.push((code, data[p + 4..p + 4 + olen].to_vec()));
                p += 4 + pad4(olen);
            }
            opts
        });
        blocks.push(Block {
            offset: off,
            btype,
            options,
        });
        off += len;
    }
    Ok(blocks)
}

/// The summary's `pcapng_blocks_dropped` key for a block type that must not survive.
pub fn dropped_kind(btype: u32) -> Option<&'static str> {
    match btype {
        NRB => Some("name_resolution"),
        ISB => Some("interface_statistics"),
        DSB => Some("decryption_secrets"),
        CB_COPY | CB_NOCOPY => Some("custom"),
        JOURNAL => Some("systemd_journal"),
        SHB | IDB | OPB | SPB | EPB => None,
        _ => Some("unknown"),
    }
}

// ---------------------------------------------------------------------------------------------
// Byte search
// ---------------------------------------------------------------------------------------------

pub fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return Vec::new();
    }
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Offsets of `needle` in `hay` (ASCII case-insensitive) not glued to a neighbouring character
/// of `word` (so `10.0.0.1` is not found inside `110.0.0.12`). Works on raw bytes, so it also
/// finds text inside a binary capture.
pub fn find_text(hay: &[u8], needle: &str, word: impl Fn(u8) -> bool) -> Vec<usize> {
    let h = hay.to_ascii_lowercase();
    let n = needle.to_ascii_lowercase();
    find_all(&h, n.as_bytes())
        .into_iter()
        .filter(|&i| {
            let before = i.checked_sub(1).map(|j| h[j]);
            let after = h.get(i + n.len()).copied();
            !before.is_some_and(&word) && !after.is_some_and(&word)
        })
        .collect()
}

/// Packet number (1-based) and offset within the packet data for a file offset of a pcap or
/// pcapng capture, to make byte hits readable.
pub fn locate(data: &[u8], offset: usize) -> String {
    if is_pcapng(data) {
        if let Ok(blocks) = scan_pcapng(data) {
            let mut n = 0;
            for b in blocks {
                if b.btype == EPB || b.btype == SPB || b.btype == OPB {
                    n += 1;
                }
                let len = u32::from_le_bytes(data[b.offset + 4..b.offset + 8].try_into().unwrap())
                    as usize;
                if (b.offset..b.offset + len).contains(&offset) {
                    let data_start = b.offset + if b.btype == SPB { 12 } else { 28 };
                    return if matches!(b.btype, EPB | SPB | OPB) && offset >= data_start {
                        format!("packet {n}, byte {} of its data", offset - data_start)
                    } else {
                        format!("block type {:#x} at offset {}", b.btype, b.offset)
                    };
                }
            }
        }
        return "?".into();
    }
    if data.len() < 24 {
        return "?".into();
    }
    let le = data[..4] == [0xd4, 0xc3, 0xb2, 0xa1] || data[..4] == [0x4d, 0x3c, 0xb2, 0xa1];
    let mut p = 24usize;
    let mut n = 0;
    if offset < 24 {
        return "file header".into();
    }
    while p + 16 <= data.len() {
        n += 1;
        let b: [u8; 4] = data[p + 8..p + 12].try_into().unwrap();
        let caplen = if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        } as usize;
        if offset < p + 16 {
            return format!("record header of packet {n}");
        }
        if offset < p + 16 + caplen {
            return format!("packet {n}, byte {} of its data", offset - p - 16);
        }
        p += 16 + caplen;
    }
    "?".into()
}

/// One line for a failed tshark run: its status and its stderr, less the root warning.
pub fn tshark_failure(path: &Path, out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let msg: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("This could be dangerous"))
        .collect();
    format!(
        "tshark -r {} exited with {}: {}",
        path.display(),
        out.status,
        msg.join(" ")
    )
}
