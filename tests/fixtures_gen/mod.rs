//! Capture fixtures for the tests that drive the binary: the builders of `testkit` (re-exported
//! here), searches for the fixture identities in outputs, small readers for what `pcapscrub`
//! writes, and running the binary.
//!
//! Every fixture uses private addresses (10.1.2.3, 10.9.8.7, fd00::1, fd00::2) and MACs of the
//! form 12:34:56:78:9a:bX (`testkit::fixture`), so a test can search the output bytes for them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

// ---------------------------------------------------------------------------------------------
// Builders (frames, capture files, TLS, the fixture identities): testkit
// ---------------------------------------------------------------------------------------------

// Each test file uses a subset of them.
#[allow(unused_imports)]
pub use testkit::{
    checksum::*, conv, fixture::*, link::*, net::*, pcap::*, pcapng::*, tcp::*, tls,
};

// ---------------------------------------------------------------------------------------------
// Fixture identities in outputs
// ---------------------------------------------------------------------------------------------

/// Every identifying byte string of the fixtures (addresses, MACs, payload marker).
pub fn identifying_patterns() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("client MAC", CLIENT_MAC.to_vec()),
        ("server MAC", SERVER_MAC.to_vec()),
        ("other MAC", OTHER_MAC.to_vec()),
        ("client IPv4", CLIENT_V4.to_vec()),
        ("server IPv4", SERVER_V4.to_vec()),
        ("other IPv4", OTHER_V4.to_vec()),
        ("client IPv6", CLIENT_V6.to_vec()),
        ("server IPv6", SERVER_V6.to_vec()),
        ("payload marker", SECRET.to_vec()),
    ]
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Panics naming every fixture identity found in `bytes`.
pub fn assert_no_identifying_bytes(bytes: &[u8], what: &str) {
    let found: Vec<&str> = identifying_patterns()
        .into_iter()
        .filter(|(_, p)| contains(bytes, p))
        .map(|(n, _)| n)
        .collect();
    assert!(found.is_empty(), "{what} still contains: {found:?}");
}

/// Panics when a summary's text names any fixture identity (addresses in text form, the
/// payload marker, names carried in payloads or pcapng metadata).
pub fn assert_summary_clean(path: &Path) {
    let text = std::fs::read_to_string(path).expect("summary exists");
    for needle in [
        "10.1.2.3",
        "10.9.8.7",
        "10.4.5.6",
        "fd00::1",
        "fd00::2",
        "12:34:56:78:9a:b",
        "fixture-secret",
        "intranet",
        "acme",
    ] {
        assert!(
            !text.contains(needle),
            "{} reveals {needle}",
            path.display()
        );
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcapOut {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

// ---------------------------------------------------------------------------------------------
// diagnose's text timeline
// ---------------------------------------------------------------------------------------------

/// `pcapscrub diagnose PATH --format yaml`, insisting on exit 0 and no panic text.
pub fn diagnose_yaml(path: &Path) -> serde_json_like::Value {
    let out = cmd()
        .arg("diagnose")
        .arg(path)
        .args(["--format", "yaml"])
        .output()
        .expect("run pcapscrub");
    let err = stderr_text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "diagnose {} failed: {err}",
        path.display()
    );
    assert!(!err.contains("panicked"), "panic text: {err}");
    let text = String::from_utf8(out.stdout).expect("diagnose prints UTF-8");
    serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("diagnose output is not YAML ({e}):\n{text}"))
}

/// `pcapscrub diagnose samples/NAME` (NAME may name a subfolder: `paths/gre.pcap`): its text
/// output (exit 0 insisted on).
pub fn diagnose_sample(name: &str) -> String {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    let out = cmd()
        .arg("diagnose")
        .arg(sample)
        .output()
        .expect("run pcapscrub");
    assert_eq!(
        out.status.code(),
        Some(0),
        "diagnose {name}: {}",
        stderr_text(&out)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The timeline rows of `diagnose`'s text, in order: (peer, event), without the time column.
pub fn timeline_events(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let t = words.next()?;
            t.parse::<f64>().ok()?;
            let peer = words.next()?.to_string();
            Some((peer, words.collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

/// `expected` appear in `got` in this order (others may come between).
pub fn in_order(got: &[(String, String)], expected: &[(&str, &str)]) -> bool {
    let mut it = got.iter();
    expected
        .iter()
        .all(|(peer, what)| it.any(|(p, w)| p == peer && w == what))
}

/// Reads a pcap file with `pcap-file` (an independent reader): its header and raw records.
pub fn read_pcap(bytes: &[u8]) -> (pcap_file::pcap::PcapHeader, Vec<PcapOut>) {
    let mut reader = pcap_file::pcap::PcapReader::new(bytes).expect("output is a valid pcap");
    let header = reader.header();
    let mut out = Vec::new();
    while let Some(pkt) = reader.next_raw_packet() {
        let pkt = pkt.expect("output pcap record is readable");
        assert_eq!(
            pkt.incl_len as usize,
            pkt.data.len(),
            "record length field matches its data"
        );
        out.push(PcapOut {
            ts_sec: pkt.ts_sec,
            ts_frac: pkt.ts_frac,
            orig_len: pkt.orig_len,
            data: pkt.data.to_vec(),
        });
    }
    (header, out)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NgOut {
    Section {
        options: Vec<(u16, Vec<u8>)>,
    },
    Interface {
        link_type: u16,
        snaplen: u32,
        options: Vec<(u16, Vec<u8>)>,
    },
    Packet {
        iface: u32,
        ts_hi: u32,
        ts_lo: u32,
        orig_len: u32,
        data: Vec<u8>,
        options: Vec<(u16, Vec<u8>)>,
    },
    Other(u32),
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn parse_le_options(mut area: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while area.len() >= 4 {
        let code = le16(area);
        let len = le16(&area[2..]) as usize;
        if code == 0 {
            break;
        }
        assert!(4 + len <= area.len(), "option {code} runs past its block");
        out.push((code, area[4..4 + len].to_vec()));
        area = &area[(4 + len).next_multiple_of(4).min(area.len())..];
    }
    out
}

fn ng_block(type_: u32, body: &[u8]) -> NgOut {
    match type_ {
        0x0a0d_0d0a => {
            assert_eq!(le32(body), 0x1a2b_3c4d, "output sections are little-endian");
            NgOut::Section {
                options: parse_le_options(&body[16..]),
            }
        }
        1 => NgOut::Interface {
            link_type: le16(body),
            snaplen: le32(&body[4..]),
            options: parse_le_options(&body[8..]),
        },
        6 => {
            let caplen = le32(&body[12..]) as usize;
            NgOut::Packet {
                iface: le32(body),
                ts_hi: le32(&body[4..]),
                ts_lo: le32(&body[8..]),
                orig_len: le32(&body[16..]),
                data: body[20..20 + caplen].to_vec(),
                options: parse_le_options(&body[(20 + caplen).next_multiple_of(4)..]),
            }
        }
        other => NgOut::Other(other),
    }
}

/// Reads a pcapng file with `pcap-file`'s parser (framing, section and interface validation)
/// and decodes each block.
pub fn read_pcapng(bytes: &[u8]) -> Vec<NgOut> {
    use pcap_file::pcapng::PcapNgParser;
    use pcap_file::pcapng::blocks::section_header::SectionHeaderOption;
    let (mut rest, mut parser) = PcapNgParser::new(bytes).expect("output is a valid pcapng");
    // The parser consumed the first section header; decode it from the raw bytes we hold.
    let first_len = le32(&bytes[4..8]) as usize;
    let mut blocks = vec![ng_block(0x0a0d_0d0a, &bytes[8..first_len - 4])];
    assert!(
        parser
            .section()
            .options
            .iter()
            .all(|o| matches!(o, SectionHeaderOption::UserApplication(_))),
        "pcap-file sees only shb_userappl in the first section"
    );
    while !rest.is_empty() {
        let (r, raw) = parser
            .next_raw_block(rest)
            .expect("output pcapng block is readable");
        blocks.push(ng_block(raw.type_, &raw.body));
        rest = r;
    }
    blocks
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// The binary under test: the one way every test runs pcapscrub. A private copy of the build,
/// taken once per build (named by its size and modification time) and shared by every test
/// process of that build, so a `target/release/pcapscrub` rebuilt while the tests run cannot
/// change under them; copies of earlier builds older than an hour are removed.
pub fn bin() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let built = Path::new(env!("CARGO_BIN_EXE_pcapscrub"));
        let meta = std::fs::metadata(built).expect("the pcapscrub binary is built");
        let stamp = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bin");
        std::fs::create_dir_all(&dir).expect("cannot create the binary copy folder");
        let name = format!("pcapscrub-{}-{stamp}", meta.len());
        let dest = dir.join(&name);
        if !dest.exists() {
            let staged = dir.join(format!(".{name}.{}", std::process::id()));
            std::fs::copy(built, &staged).expect("cannot copy the pcapscrub binary");
            std::fs::rename(&staged, &dest).expect("cannot put the binary copy in place");
        }
        remove_stale_copies(&dir, &name);
        dest
    })
}

fn remove_stale_copies(dir: &Path, keep: &str) {
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < hour_ago);
        if old && entry.file_name() != keep {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `bin()` as a `std::process::Command` with a fixed environment (no backtraces asked for).
pub fn command() -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    c
}

/// A command for the binary with a fixed environment (no backtraces asked for, no colour).
pub fn cmd() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(bin());
    c.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .timeout(std::time::Duration::from_secs(60));
    c
}

pub fn stderr_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the shape every error must have: exit 2, exactly one line on stderr that mentions
/// `name`, and no trace of a panic.
pub fn assert_one_line_error(out: &Output, name: &str) -> String {
    let err = stderr_text(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit status 2 expected; stderr: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic text on stderr: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "exactly one line on stderr expected, got: {err:?}"
    );
    assert!(err.ends_with('\n'), "the error line is terminated: {err:?}");
    assert!(err.contains(name), "the error names {name}: {err}");
    err
}

/// A scratch folder with helpers to place inputs and name outputs.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

/// Runs `pcapscrub sanitize INPUT... -o OUTDIR EXTRA...`.
pub fn sanitize(inputs: &[&Path], outdir: &Path, extra: &[&str]) -> Output {
    let mut c = cmd();
    c.arg("sanitize");
    for i in inputs {
        c.arg(i);
    }
    c.arg("-o").arg(outdir).args(extra);
    c.output().expect("run pcapscrub")
}

/// A capture of `samples/udp`, or of the corpus when `corpus` (`None` when the corpus is
/// missing: `testkit::need::corpus` decides whether that skips or fails).
pub fn udp_capture(file: &str, corpus: bool) -> Option<PathBuf> {
    if corpus {
        Some(testkit::need::corpus()?.join(file))
    } else {
        Some(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("samples/udp")
                .join(file),
        )
    }
}

/// Sanitizes `path` into `outdir` with `extra` arguments, insisting on success (the canary
/// refuses leaking evidence): the sanitized capture.
pub fn sanitized_capture(path: &Path, outdir: &Path, extra: &[&str]) -> PathBuf {
    let o = sanitize(&[path], outdir, extra);
    assert_eq!(
        o.status.code(),
        Some(0),
        "sanitize {} (the canary refuses leaking evidence): {}",
        path.display(),
        stderr_text(&o)
    );
    std::fs::read_dir(outdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("capture.sanitized")
        })
        .expect("a sanitized capture")
}

/// `diagnose --format json` of `path`, which must succeed.
pub fn diagnose_json(path: &Path) -> serde_json::Value {
    diagnose_json_with(path, &[])
}

/// `diagnose --format json` of `path` with `extra` arguments (`--keylog FILE`), which must
/// succeed.
pub fn diagnose_json_with(path: &Path, extra: &[&str]) -> serde_json::Value {
    let out = cmd()
        .arg("diagnose")
        .arg(path)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("run pcapscrub");
    assert_eq!(out.status.code(), Some(0), "diagnose {}", path.display());
    serde_json::from_slice(&out.stdout).expect("diagnose --format json is JSON")
}

/// `check` of `path`: its exit code and its findings.
pub fn check_output(path: &Path) -> (Option<i32>, String) {
    let o = cmd()
        .arg("check")
        .arg(path)
        .output()
        .expect("run pcapscrub");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// `check` passes the sanitized copy (exit 0) and reports the raw capture (exit 1); returns
/// the raw capture's findings. `label` names the case in a failure.
pub fn check_passes_copy_reports_raw(sanitized: &Path, raw: &Path, label: &str) -> String {
    let (code, findings) = check_output(sanitized);
    assert_eq!(code, Some(0), "{label}: check of the copy: {findings}");
    let (code, findings) = check_output(raw);
    assert_eq!(code, Some(1), "{label}: check of the raw capture");
    findings
}

/// The server names tshark read in a capture's ClientHellos (`before`) and in its sanitized
/// copy (`after`): as many, and each the pseudonym of `sni` (same length, `.example`), or the
/// same when the capture's names are kept (`sni` is `None`).
pub fn assert_pseudonym_hellos(file: &str, sni: Option<&str>, before: &[String], after: &[String]) {
    assert_eq!(before.len(), after.len(), "{file}: ClientHellos");
    for (b, a) in before.iter().zip(after) {
        match sni {
            Some(sni) => {
                assert_eq!(b, sni, "{file}");
                assert_eq!(a.len(), sni.len(), "{file}: {a}");
                assert!(a.ends_with(".example") && a != sni, "{file}: {a}");
            }
            None => assert_eq!(a, b, "{file}"),
        }
    }
}

/// Runs sanitize and insists on success (exit 0, no panic text).
pub fn sanitize_ok(inputs: &[&Path], outdir: &Path, extra: &[&str]) -> Output {
    let out = sanitize(inputs, outdir, extra);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(0), "sanitize failed: {err}");
    assert!(!err.contains("panicked"), "panic text: {err}");
    out
}

/// Reads a summary YAML into a generic value.
pub fn summary(path: &Path) -> serde_json_like::Value {
    let text = std::fs::read_to_string(path).expect("summary exists");
    serde_saphyr::from_str(&text).expect("summary is YAML")
}

/// A minimal generic YAML value (serde-saphyr deserializes into any `Deserialize` type).
pub mod serde_json_like {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(untagged)]
    pub enum Value {
        Null,
        Bool(bool),
        Int(i64),
        Float(f64),
        Str(String),
        Seq(Vec<Value>),
        Map(BTreeMap<String, Value>),
    }

    impl Value {
        /// Follows a dotted path of map keys; `None` when a key is missing.
        pub fn get(&self, path: &str) -> Option<&Value> {
            let mut v = self;
            for key in path.split('.') {
                match v {
                    Value::Map(m) => v = m.get(key)?,
                    _ => return None,
                }
            }
            Some(v)
        }

        /// The integer at `path`; panics with the path when absent or not an integer.
        pub fn int(&self, path: &str) -> i64 {
            match self.get(path) {
                Some(Value::Int(i)) => *i,
                other => panic!("{path}: expected an integer, found {other:?}"),
            }
        }

        /// The integer at `path`, 0 when absent (for count maps that omit zero entries).
        pub fn count(&self, path: &str) -> i64 {
            match self.get(path) {
                None => 0,
                Some(Value::Int(i)) => *i,
                other => panic!("{path}: expected a count, found {other:?}"),
            }
        }

        pub fn str(&self, path: &str) -> &str {
            match self.get(path) {
                Some(Value::Str(s)) => s,
                other => panic!("{path}: expected text, found {other:?}"),
            }
        }

        pub fn seq(&self, path: &str) -> &[Value] {
            match self.get(path) {
                Some(Value::Seq(s)) => s,
                other => panic!("{path}: expected a list, found {other:?}"),
            }
        }

        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::Str(s) => Some(s),
                _ => None,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hashing and file modes
// ---------------------------------------------------------------------------------------------

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// Names in a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("list folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
