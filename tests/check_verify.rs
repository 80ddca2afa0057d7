//! `pcapscrub check` and `pcapscrub verify` end to end: findings on every raw sample (and never a
//! secret in full in the output), every sanitized sample checking clean under each shipped policy,
//! sanitize being idempotent on overflow pseudonyms (the samples and the corpus:
//! `tests/idempotence.rs`), folders and recursion, exit statuses, `--max-findings`, the YAML
//! format, pcapng metadata, and `verify` catching every kind of tampering with an evidence folder.
//!
//! Uses the committed samples (`samples/*.pcap`) and fixtures built in code; no tshark.

mod fixtures_gen;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Output;

use fixtures_gen::{Ng, OPT_COMMENT, Scratch, cmd, read_pcap, sha256_hex};
use serde::Deserialize;

/// The server name every sample's ClientHello carries.
const SAMPLE_SNI: &str = "api.pcapscrub-test.example";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Every committed raw sample, sorted.
fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(samples_dir())
        .expect("samples/ is readable")
        .map(|e| e.expect("samples/ entry").path())
        .filter(|p| p.extension() == Some(OsStr::new("pcap")))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no samples/*.pcap found");
    v
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// One run of the binary.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn both(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out: Output = cmd().args(args).output().expect("pcapscrub runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "pcapscrub panicked:\n{stderr}"
    );
    Run {
        code: out.status.code().expect("exit status (not a signal)"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }
}

fn check(paths: &[&Path], extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec![OsStr::new("check")];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    args.extend(extra.iter().map(OsStr::new));
    run(args)
}

fn write_key(dir: &Scratch) -> PathBuf {
    dir.write("team.key", b"check-verify-test-key-0123456789abcdef")
}

/// Sanitizes `input` alone into `outdir`; returns the sanitized capture's path.
fn sanitize_into(input: &Path, outdir: &Path, key: &Path, extra: &[&str]) -> PathBuf {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("sanitize"),
        input.as_os_str(),
        OsStr::new("-o"),
        outdir.as_os_str(),
        OsStr::new("--key"),
        key.as_os_str(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    let r = run(args);
    assert_eq!(r.code, 0, "sanitize {} failed: {r}", input.display());
    sanitized_capture(outdir)
}

/// The one `*.sanitized.pcap|pcapng` in an evidence folder.
fn sanitized_capture(outdir: &Path) -> PathBuf {
    let found: Vec<PathBuf> = fs::read_dir(outdir)
        .expect("evidence folder")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".sanitized.pcap") || n.ends_with(".sanitized.pcapng")
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one sanitized capture in {}",
        outdir.display()
    );
    found.into_iter().next().unwrap()
}

/// A `FILE:PACKET: KIND: detail` line, or a `FILE: … and N more findings` line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Finding {
        file: String,
        packet: Option<u64>,
        kind: String,
        detail: String,
    },
    More {
        file: String,
        count: usize,
    },
}

/// Parses check's text output (file names in these tests never hold `": "`).
fn parse_lines(stdout: &str) -> Vec<Line> {
    stdout
        .lines()
        .map(|line| {
            let (head, rest) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("not a check line: {line:?}"));
            if let Some(n) = rest.strip_prefix("… and ") {
                let count = n
                    .strip_suffix(" more findings")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("bad count line: {line:?}"));
                return Line::More {
                    file: head.to_string(),
                    count,
                };
            }
            let (file, at) = head
                .rsplit_once(':')
                .unwrap_or_else(|| panic!("no FILE:PACKET in {line:?}"));
            let packet = match at {
                "-" => None,
                n => Some(
                    n.parse()
                        .unwrap_or_else(|_| panic!("bad packet number in {line:?}")),
                ),
            };
            let (kind, detail) = rest
                .split_once(": ")
                .unwrap_or_else(|| panic!("no KIND: detail in {line:?}"));
            Line::Finding {
                file: file.to_string(),
                packet,
                kind: kind.to_string(),
                detail: detail.to_string(),
            }
        })
        .collect()
}

const KINDS: [&str; 12] = [
    "sni",
    "certificate",
    "ticket",
    "address",
    "mac",
    "dns-name",
    "http-host",
    "payload",
    "ip-option",
    "tcp-option",
    "comment",
    "pcapng-block",
];

fn kinds_of(lines: &[Line]) -> BTreeSet<String> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Finding { kind, .. } => Some(kind.clone()),
            Line::More { .. } => None,
        })
        .collect()
}

fn files_of(lines: &[Line]) -> BTreeSet<String> {
    lines
        .iter()
        .map(|l| match l {
            Line::Finding { file, .. } | Line::More { file, .. } => file.clone(),
        })
        .collect()
}

fn mac_text(m: &[u8]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Every address and MAC of a raw (Ethernet) sample, as text a careless report would print.
fn identities_as_text(sample: &Path) -> BTreeSet<String> {
    let (header, records) = read_pcap(&fs::read(sample).unwrap());
    assert_eq!(
        u32::from(header.datalink),
        1,
        "{}: the samples are Ethernet",
        sample.display()
    );
    let mut out = BTreeSet::new();
    let mac = |m: &[u8], out: &mut BTreeSet<String>| {
        if m[0] & 1 == 0 && m.iter().any(|&b| b != 0) {
            out.insert(mac_text(m)); // the whole MAC
            out.insert(mac_text(&m[2..])); // anything past the masked `aa:bb:…`
        }
    };
    let v4 = |a: &[u8], out: &mut BTreeSet<String>| {
        let a = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
        if !a.is_unspecified() && !a.is_broadcast() {
            out.insert(a.to_string());
            let o = a.octets();
            out.insert(format!("{}.{}.{}.", o[0], o[1], o[2])); // more than `10.77.x.x`
        }
    };
    let v6 = |a: &[u8], out: &mut BTreeSet<String>| {
        let a = Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap());
        if !a.is_unspecified() {
            out.insert(a.to_string());
        }
    };
    for r in &records {
        let d = &r.data;
        if d.len() < 14 {
            continue;
        }
        mac(&d[0..6], &mut out);
        mac(&d[6..12], &mut out);
        match u16::from_be_bytes([d[12], d[13]]) {
            0x0806 if d.len() >= 42 => {
                mac(&d[22..28], &mut out);
                v4(&d[28..32], &mut out);
                mac(&d[32..38], &mut out);
                v4(&d[38..42], &mut out);
            }
            0x0800 if d.len() >= 34 => {
                v4(&d[26..30], &mut out);
                v4(&d[30..34], &mut out);
            }
            0x86dd if d.len() >= 54 => {
                v6(&d[22..38], &mut out);
                v6(&d[38..54], &mut out);
            }
            _ => {}
        }
    }
    out
}

/// Panics when `text` holds any of `secrets`, the samples' SNI or part of it.
fn assert_no_secret(text: &str, secrets: &BTreeSet<String>, what: &str) {
    let mut leaked: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| text.contains(s))
        .collect();
    for name in [SAMPLE_SNI, "pcapscrub-test"] {
        if text.contains(name) {
            leaked.push(name);
        }
    }
    assert!(
        leaked.is_empty(),
        "{what} prints secrets in full: {leaked:?}\n{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Raw samples: findings, kinds, masking
// ---------------------------------------------------------------------------------------------

/// The kinds `check` must report for each raw sample (ticket policy) — exactly these.
fn expected_kinds(stem: &str) -> Option<&'static [&'static str]> {
    const TCP_ONLY: &[&str] = &["address", "mac"];
    const HELLO_ONLY: &[&str] = &["sni", "address", "mac"];
    const TLS13: &[&str] = &["sni", "address", "mac", "payload"];
    const TLS12_NO_DATA: &[&str] = &["sni", "certificate", "ticket", "address", "mac"];
    const TLS12: &[&str] = &["sni", "certificate", "ticket", "address", "mac", "payload"];
    Some(match stem {
        "syn-unanswered" | "tcp-refused" | "tcp-closed-before-hello" => TCP_ONLY,
        "hello-unanswered" | "hello-reset" | "hello-closed" | "tls13-only-vs-tls12-server" => {
            HELLO_ONLY
        }
        "tls13-complete"
        | "hrr-tls13"
        | "client-aborted-tls13"
        | "client-alert-unknown-ca-tls13" => TLS13,
        "client-alert-unknown-ca" | "handshake-incomplete" => TLS12_NO_DATA,
        "tls12-complete" | "tls12-client-cert" | "ipv6-tls12-complete" => TLS12,
        "mid-stream" => &["address", "mac", "payload"],
        // The client sent a ClientHello (with SNI); the server answered in HTTP.
        "not-tls" => &["sni", "address", "mac", "http-host"],
        _ => return None,
    })
}

#[test]
fn every_raw_sample_has_findings_of_the_right_kinds() {
    let mut problems = Vec::new();
    for sample in samples() {
        let s = stem(&sample);
        let r = check(&[&sample], &["--max-findings", "1000"]);
        if r.code != 1 {
            problems.push(format!("{s}: exit 1 expected: {r}"));
            continue;
        }
        let lines = parse_lines(&r.stdout);
        let shown = sample.display().to_string();
        assert_eq!(
            files_of(&lines),
            BTreeSet::from([shown.clone()]),
            "{s}: every line names the file as given"
        );
        for l in &lines {
            if let Line::Finding {
                kind,
                detail,
                packet,
                ..
            } = l
            {
                assert!(KINDS.contains(&kind.as_str()), "{s}: unknown kind {kind}");
                assert!(!detail.is_empty(), "{s}: empty detail");
                assert!(packet.is_some(), "{s}: a pcap finding names its packet");
            }
        }
        let found = kinds_of(&lines);
        let Some(want) = expected_kinds(&s) else {
            problems.push(format!(
                "{s}: a sample without an expectation here (found {found:?}); add it"
            ));
            continue;
        };
        let want: BTreeSet<String> = want.iter().map(|k| k.to_string()).collect();
        if found != want {
            problems.push(format!("{s}: kinds {found:?}, expected {want:?}"));
        }
        assert!(!r.stdout.contains("more findings"), "{s}: uncapped output");
        assert_no_secret(&r.stdout, &identities_as_text(&sample), &s);
        assert_no_secret(&r.stderr, &identities_as_text(&sample), &s);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn findings_point_at_the_right_packets_most_important_first() {
    let sample = samples_dir().join("tls12-complete.pcap");
    let r = check(&[&sample], &["--max-findings", "1000"]);
    assert_eq!(r.code, 1, "{r}");
    let lines = parse_lines(&r.stdout);
    let at = |k: &str| {
        lines.iter().find_map(|l| match l {
            Line::Finding { kind, packet, .. } if kind == k => *packet,
            _ => None,
        })
    };
    // Packet 6 is the ClientHello, 8 the server's first flight with the leaf certificate.
    assert_eq!(at("sni"), Some(6), "{}", r.stdout);
    assert_eq!(at("certificate"), Some(8), "{}", r.stdout);
    // The SNI is masked: two characters each end and the length.
    assert!(
        r.stdout.contains(": sni: ap…le (26 chars)"),
        "masked SNI: {}",
        r.stdout
    );
    // Most important kinds first: the order of kinds follows KINDS.
    let order: Vec<usize> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Finding { kind, .. } => KINDS.iter().position(|k| k == kind),
            Line::More { .. } => None,
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "findings sorted by importance: {}",
        r.stdout
    );
}

#[test]
fn yaml_output_parses_and_masks() {
    #[derive(Deserialize, Debug)]
    struct YamlFinding {
        kind: String,
        packet: u64,
        detail: String,
    }
    #[derive(Deserialize, Debug)]
    struct YamlFile {
        file: String,
        #[serde(default)]
        error: Option<String>,
        findings: Vec<YamlFinding>,
        #[serde(default)]
        more_findings: usize,
    }
    let a = samples_dir().join("tls12-complete.pcap");
    let b = samples_dir().join("syn-unanswered.pcap");
    let r = check(&[&a, &b], &["--format", "yaml"]);
    assert_eq!(r.code, 1, "{r}");
    let files: Vec<YamlFile> = serde_saphyr::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("check --format yaml parses: {e}\n{}", r.stdout));
    assert_eq!(files.len(), 2, "{files:?}");
    let by_name: BTreeMap<&str, &YamlFile> = files.iter().map(|f| (f.file.as_str(), f)).collect();
    let fa = by_name[a.display().to_string().as_str()];
    let fb = by_name[b.display().to_string().as_str()];
    for f in [fa, fb] {
        assert!(f.error.is_none(), "{f:?}");
        assert!(!f.findings.is_empty(), "{f:?}");
        for x in &f.findings {
            assert!(KINDS.contains(&x.kind.as_str()), "{x:?}");
            assert!(x.packet > 0 && !x.detail.is_empty(), "{x:?}");
        }
    }
    let kinds: BTreeSet<&str> = fa.findings.iter().map(|f| f.kind.as_str()).collect();
    assert!(
        ["sni", "certificate", "address", "mac", "payload"]
            .iter()
            .all(|k| kinds.contains(k)),
        "{kinds:?}"
    );
    let kinds: BTreeSet<&str> = fb.findings.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(kinds, BTreeSet::from(["address", "mac"]));
    assert_eq!(fb.more_findings, 0);
    let mut secrets = identities_as_text(&a);
    secrets.extend(identities_as_text(&b));
    assert_no_secret(&r.stdout, &secrets, "yaml output");

    // The same findings as the text format, in the same order.
    let text = parse_lines(&check(&[&a], &[]).stdout);
    let text: Vec<(String, Option<u64>, String)> = text
        .into_iter()
        .filter_map(|l| match l {
            Line::Finding {
                kind,
                packet,
                detail,
                ..
            } => Some((kind, packet, detail)),
            Line::More { .. } => None,
        })
        .collect();
    let yaml: Vec<(String, Option<u64>, String)> = fa
        .findings
        .iter()
        .map(|f| (f.kind.clone(), Some(f.packet), f.detail.clone()))
        .collect();
    assert_eq!(text, yaml);
}

#[test]
fn max_findings_caps_the_lines_and_counts_the_rest() {
    let sample = samples_dir().join("tls12-complete.pcap");
    let all = check(&[&sample], &["--max-findings", "1000"]);
    let total = parse_lines(&all.stdout).len();
    assert!(total > 3, "enough findings to cap: {all}");

    let r = check(&[&sample], &["--max-findings", "2"]);
    assert_eq!(r.code, 1, "{r}");
    let lines = parse_lines(&r.stdout);
    assert_eq!(lines.len(), 3, "two findings and one count line: {r}");
    assert_eq!(lines[..2], parse_lines(&all.stdout)[..2], "the first two");
    assert_eq!(
        lines[2],
        Line::More {
            file: sample.display().to_string(),
            count: total - 2
        },
        "{r}"
    );
    assert!(
        r.stdout
            .ends_with(&format!("… and {} more findings\n", total - 2)),
        "{r}"
    );

    // The default cap is 20 per file, and each file is capped on its own.
    let other = samples_dir().join("hrr-tls13.pcap");
    let r = check(&[&sample, &other], &["--max-findings", "1"]);
    let lines = parse_lines(&r.stdout);
    assert_eq!(lines.len(), 4, "{r}");
    assert_eq!(files_of(&lines).len(), 2, "{r}");
}

// ---------------------------------------------------------------------------------------------
// Round trip: whatever sanitize writes checks clean (under the same policy)
// ---------------------------------------------------------------------------------------------

fn round_trip(policy: &str) {
    let s = Scratch::new();
    let key = write_key(&s);
    let mut dirty = Vec::new();
    for sample in samples() {
        let out = sanitize_into(&sample, &s.path(&stem(&sample)), &key, &["-p", policy]);
        let r = check(&[&out], &["-p", policy]);
        if r.code != 0 || !r.stdout.is_empty() {
            dirty.push(format!("{}: {r}", stem(&sample)));
        }
    }
    assert!(
        dirty.is_empty(),
        "sanitize -p {policy} output does not check clean under -p {policy}:\n{}",
        dirty.join("\n")
    );
}

#[test]
fn sanitized_samples_check_clean_ticket() {
    round_trip("ticket");
}

#[test]
fn sanitized_samples_check_clean_strict() {
    round_trip("strict");
}

#[test]
fn sanitized_samples_check_clean_review() {
    round_trip("review");
}

// ---------------------------------------------------------------------------------------------
// Idempotence of the overflow pseudonyms (the samples and the corpus: tests/idempotence.rs)
// ---------------------------------------------------------------------------------------------

/// More hosts than the documentation ranges hold (256 MACs, 254 IPv4 clients): the overflow
/// pseudonyms (locally administered MACs, 198.18.0.0/15) must check clean and stay put too.
#[test]
fn many_hosts_round_trip_clean_and_idempotent() {
    use fixtures_gen::{
        Addr, ETHERTYPE_IPV4, ETHERTYPE_IPV6, PcapFormat, SERVER_MAC, SERVER_V4, SERVER_V6,
        TCP_SYN, TcpSeg, ethernet, ip_tcp, pad60, pcap_file, timed,
    };
    let s = Scratch::new();
    let key = write_key(&s);
    let mut frames = Vec::new();
    for i in 0..300u16 {
        let [hi, lo] = i.to_be_bytes();
        let mac = [0x12, 0x34, 0x56, 0x78, hi, lo];
        let syn = TcpSeg {
            sport: 40_000 + i,
            dport: 443,
            seq: 1000,
            ack: 0,
            flags: TCP_SYN,
            window: 64_240,
            options: Vec::new(),
            payload: Vec::new(),
        };
        let v4 = ip_tcp(Addr::V4([10, 1, hi, lo]), Addr::V4(SERVER_V4), &syn);
        frames.push(pad60(ethernet(SERVER_MAC, mac, ETHERTYPE_IPV4, &v4)));
        let mut c6 = [0u8; 16];
        c6[0] = 0xfd;
        c6[14] = hi;
        c6[15] = lo;
        let v6 = ip_tcp(Addr::V6(c6), Addr::V6(SERVER_V6), &syn);
        frames.push(ethernet(SERVER_MAC, mac, ETHERTYPE_IPV6, &v6));
    }
    let input = s.write(
        "many.pcap",
        &pcap_file(PcapFormat::new(1), &timed(frames, false)),
    );
    let r = check(&[&input], &[]);
    assert_eq!(r.code, 1, "{r}");
    let once = sanitize_into(&input, &s.path("ev1"), &key, &[]);
    let r = check(&[&once], &[]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, ""),
        "sanitized capture with 300 hosts: {r}"
    );
    let twice = sanitize_into(&once, &s.path("ev2"), &key, &[]);
    let (_, r1) = read_pcap(&fs::read(&once).unwrap());
    let (_, r2) = read_pcap(&fs::read(&twice).unwrap());
    let differ: Vec<usize> = (0..r1.len()).filter(|&i| r1[i] != r2[i]).collect();
    assert!(
        differ.is_empty(),
        "{} of {} packets change when sanitized again, first: {:?}",
        differ.len(),
        r1.len(),
        differ.first().map(|i| i + 1)
    );
}

// ---------------------------------------------------------------------------------------------
// Folders, recursion, unreadable input
// ---------------------------------------------------------------------------------------------

#[test]
fn folders_are_scanned_recursively_for_captures_only() {
    let s = Scratch::new();
    let raw = fs::read(samples_dir().join("tls12-complete.pcap")).unwrap();
    let other = fs::read(samples_dir().join("syn-unanswered.pcap")).unwrap();
    s.write("repo/x.pcap", &raw);
    s.write("repo/deep/er/noext", &other); // pcap magic, no extension
    s.write("repo/.git/objects/ab/in-git.pcap", &raw); // ignored when recursing
    s.write("repo/notes.txt", b"10.77.0.1 is the client\n"); // not a capture
    s.write("repo/empty.bin", b""); // not a capture either
    // A gzip-compressed capture is checked after decompression, in folders too.
    let mut gz_bytes = Vec::new();
    {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(&mut gz_bytes, flate2::Compression::fast());
        enc.write_all(&other).unwrap();
        enc.finish().unwrap();
    }
    s.write("repo/y.pcap.gz", &gz_bytes);
    let repo = s.path("repo");
    let r = check(&[&repo], &[]);
    assert_eq!(r.code, 1, "{r}");
    let files = files_of(&parse_lines(&r.stdout));
    let want = BTreeSet::from([
        repo.join("deep/er/noext").display().to_string(),
        repo.join("x.pcap").display().to_string(),
        repo.join("y.pcap.gz").display().to_string(),
    ]);
    assert_eq!(files, want, "{r}");
    assert!(r.stderr.is_empty(), "{r}");

    // A broken gzip file named explicitly is an error naming it.
    let gz = s.write(
        "broken.pcap.gz",
        &[
            0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0x01, 0x02, 0x03,
        ],
    );
    let r = check(&[&gz], &[]);
    assert_eq!(r.code, 2, "a broken .gz is an error: {r}");
    assert!(
        r.both().contains("broken.pcap.gz"),
        "the error names the file: {r}"
    );

    // A folder without captures is clean.
    s.write("none/readme.md", b"# nothing here\n");
    let r = check(&[&s.path("none")], &[]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r}");
}

#[test]
fn a_clean_capture_in_a_folder_is_not_reported() {
    let s = Scratch::new();
    let key = write_key(&s);
    let clean = sanitize_into(
        &samples_dir().join("tls12-complete.pcap"),
        &s.path("ev"),
        &key,
        &[],
    );
    s.write("tree/clean.pcap", &fs::read(&clean).unwrap());
    let r = check(&[&s.path("tree")], &[]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r}");
    s.write(
        "tree/sub/raw.cap",
        &fs::read(samples_dir().join("hello-reset.pcap")).unwrap(),
    );
    let r = check(&[&s.path("tree")], &[]);
    assert_eq!(r.code, 1, "{r}");
    assert_eq!(
        files_of(&parse_lines(&r.stdout)),
        BTreeSet::from([s.path("tree/sub/raw.cap").display().to_string()]),
        "{r}"
    );
}

#[test]
fn unreadable_input_exits_2() {
    let s = Scratch::new();
    let missing = s.path("missing.pcap");
    let garbage = s.write("garbage.pcap", b"this is not a capture at all, just text\n");
    let short = s.write("short.pcap", &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]);
    for bad in [&missing, &garbage, &short] {
        let r = check(&[bad], &[]);
        assert_eq!(r.code, 2, "{}: {r}", bad.display());
        let name = bad.file_name().unwrap().to_string_lossy().into_owned();
        assert!(r.both().contains(&name), "the message names the file: {r}");
    }
    // Findings in one file and an unreadable other: exit 2 (the error wins), findings still
    // listed.
    let raw = samples_dir().join("syn-unanswered.pcap");
    for order in [[&raw, &missing], [&missing, &raw]] {
        let r = check(&[order[0], order[1]], &[]);
        assert_eq!(r.code, 2, "{r}");
        assert!(
            r.stdout
                .contains(&format!("{}:1: address: ", raw.display())),
            "the findings of the readable file are still listed: {r}"
        );
    }
}

/// `check link.pcap`, where the link points at a raw capture, must not pass it silently: a
/// pre-commit or CI gate that exits 0 on a raw capture fails open.
#[cfg(unix)]
#[test]
fn an_explicit_symlink_to_a_raw_capture_is_not_passed_silently() {
    let s = Scratch::new();
    let target = s.write(
        "real.pcap",
        &fs::read(samples_dir().join("tls12-complete.pcap")).unwrap(),
    );
    let link = s.path("link.pcap");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = check(&[&link], &[]);
    assert_ne!(
        r.code, 0,
        "a raw capture behind a symlink checked clean: {r}"
    );
}

// ---------------------------------------------------------------------------------------------
// pcapng metadata
// ---------------------------------------------------------------------------------------------

/// A pcapng holding the packets of a sanitized sample (so the packets are clean), plus comments
/// and a name resolution block: only the metadata is reported.
#[test]
fn pcapng_comments_and_name_resolution_blocks_are_reported() {
    let s = Scratch::new();
    let key = write_key(&s);
    let clean = sanitize_into(
        &samples_dir().join("tls12-complete.pcap"),
        &s.path("ev"),
        &key,
        &[],
    );
    let (_, records) = read_pcap(&fs::read(&clean).unwrap());
    let build = |metadata: bool| {
        let comment: [(u16, &[u8]); 1] = [(OPT_COMMENT, b"captured at secret-customer.corp")];
        let mut ng = Ng::section(false, if metadata { &comment } else { &[] });
        ng.idb(1, 262_144, &[]);
        if metadata {
            ng.nrb([10, 77, 0, 2], "secret-server.corp.internal");
        }
        for (i, r) in records.iter().enumerate() {
            let ts = u64::from(r.ts_sec) * 1_000_000 + u64::from(r.ts_frac);
            let opts: &[(u16, &[u8])] = if metadata && i == 2 {
                &[(OPT_COMMENT, b"login of alice@secret-customer.corp")]
            } else {
                &[]
            };
            ng.epb(0, ts, &r.data, r.orig_len, opts);
        }
        ng.buf
    };
    // Without metadata, the very same packets in pcapng are clean.
    let plain = s.write("plain.pcapng", &build(false));
    let r = check(&[&plain], &[]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r}");

    let input = s.write("meta.pcapng", &build(true));
    let r = check(&[&input], &[]);
    assert_eq!(r.code, 1, "{r}");
    let lines = parse_lines(&r.stdout);
    assert_eq!(
        kinds_of(&lines),
        BTreeSet::from(["comment".to_string(), "pcapng-block".to_string()]),
        "{r}"
    );
    for l in &lines {
        if let Line::Finding { packet, .. } = l {
            assert_eq!(*packet, None, "file-level findings print `-`: {r}");
        }
    }
    assert!(r.stdout.contains(":-: comment: "), "{r}");
    for secret in ["secret-customer", "secret-server", "alice", "10.77.0.2"] {
        assert!(!r.stdout.contains(secret), "{secret} printed: {r}");
    }

    // Sanitizing drops the metadata: the output checks clean.
    let out = sanitize_into(&input, &s.path("ev2"), &key, &[]);
    assert!(out.to_string_lossy().ends_with(".sanitized.pcapng"));
    let r = check(&[&out], &[]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r}");
}

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

const SAMPLE: &str = "tls12-complete";
/// The evidence files of one capture.
const CAPTURE: &str = "capture.sanitized.pcap";
const SUMMARY: &str = "capture.summary.yaml";

/// A fresh evidence folder for `SAMPLE` (with `extra` sanitize arguments).
fn evidence(s: &Scratch, name: &str, extra: &[&str]) -> PathBuf {
    let key = write_key(s);
    let dir = s.path(name);
    sanitize_into(
        &samples_dir().join(format!("{SAMPLE}.pcap")),
        &dir,
        &key,
        extra,
    );
    dir
}

fn verify(dir: &Path) -> Run {
    run([OsStr::new("verify"), dir.as_os_str()])
}

/// Rewrites `name`'s line in `dir/SHA256SUMS` to match `bytes` (a careful forger's edit).
fn rehash(dir: &Path, name: &str, bytes: &[u8]) {
    let sums = dir.join("SHA256SUMS");
    let text = fs::read_to_string(&sums).unwrap();
    assert!(
        text.contains(&format!("  {name}\n")),
        "{name} listed: {text}"
    );
    let fixed: String = text
        .lines()
        .map(|l| match l.split_once("  ") {
            Some((_, n)) if n == name => format!("{}  {name}\n", sha256_hex(bytes)),
            _ => format!("{l}\n"),
        })
        .collect();
    fs::write(&sums, fixed).unwrap();
}

/// Exit 1 and some line naming `file` and containing `word`.
fn assert_problem(r: &Run, file: &str, word: &str) {
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains(file) && l.contains(word)),
        "a line naming {file} with `{word}`: {r}"
    );
}

#[test]
fn verify_accepts_fresh_evidence() {
    let s = Scratch::new();
    for policy in ["ticket", "strict", "review"] {
        let dir = evidence(&s, policy, &["-p", policy]);
        let r = verify(&dir);
        assert_eq!(r.code, 0, "fresh -p {policy} evidence: {r}");
    }
}

#[test]
fn verify_accepts_evidence_with_a_client_log() {
    let s = Scratch::new();
    let log = s.write(
        "curl.log",
        b"* Added api.pcapscrub-test.example:443:10.77.0.2 to DNS cache\n\
          *   Trying 10.77.0.2:443...\n\
          * Connected to api.pcapscrub-test.example (10.77.0.2) port 443 (#0)\n\
          > Host: api.pcapscrub-test.example\n",
    );
    let dir = evidence(&s, "ev", &["--client-log", log.to_str().unwrap()]);
    let text = fs::read_to_string(dir.join("client-log.sanitized.txt")).expect("sanitized log");
    assert!(
        !text.contains("10.77.0.2") && !text.contains(SAMPLE_SNI),
        "{text}"
    );
    let sums = fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    assert!(sums.contains("  client-log.sanitized.txt"), "{sums}");
    let r = verify(&dir);
    assert_eq!(r.code, 0, "{r}");

    // The log is hashed like the rest.
    fs::write(
        dir.join("client-log.sanitized.txt"),
        text.replace("443", "444"),
    )
    .unwrap();
    assert_problem(&verify(&dir), "client-log.sanitized.txt", "modified");
}

#[test]
fn verify_names_a_modified_capture() {
    let s = Scratch::new();
    let dir = evidence(&s, "ev", &[]);
    let capture = dir.join(CAPTURE);
    let mut bytes = fs::read(&capture).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    fs::write(&capture, &bytes).unwrap();
    assert_problem(&verify(&dir), CAPTURE, "modified");
}

#[test]
fn verify_catches_an_edited_summary() {
    let s = Scratch::new();
    let dir = evidence(&s, "ev", &[]);
    let summary = dir.join(SUMMARY);
    let text = fs::read_to_string(&summary).unwrap();
    let edited = text.replacen("verdict: handshake_complete\n", "verdict: ok\n", 1);
    assert!(
        text.starts_with("verdict: handshake_complete\n"),
        "the summary begins with the capture's verdict"
    );
    fs::write(&summary, &edited).unwrap();
    let r = verify(&dir);
    assert_problem(&r, SUMMARY, "modified");

    // Even with SHA256SUMS updated to match, `ok` is no verdict.
    rehash(&dir, SUMMARY, edited.as_bytes());
    let r = verify(&dir);
    assert_problem(&r, SUMMARY, "verdict");
    assert!(!r.stdout.contains("modified"), "{r}");

    // A known verdict that its connections do not make is caught too.
    let edited = text.replacen(
        "verdict: handshake_complete\n",
        "verdict: server_alert\n",
        1,
    );
    fs::write(&summary, &edited).unwrap();
    rehash(&dir, SUMMARY, edited.as_bytes());
    let r = verify(&dir);
    assert_problem(&r, SUMMARY, "the connections make it handshake_complete");
}

#[test]
fn verify_catches_a_real_address_in_a_summary() {
    let s = Scratch::new();
    let dir = evidence(&s, "ev", &[]);
    let summary = dir.join(SUMMARY);
    let text = fs::read_to_string(&summary).unwrap();
    let edited = format!("{text}note: client was 10.77.0.1\n");
    fs::write(&summary, &edited).unwrap();
    rehash(&dir, SUMMARY, edited.as_bytes());
    let r = verify(&dir);
    assert_problem(&r, SUMMARY, "address");
    assert!(
        !r.stdout.contains("10.77.0.1"),
        "the address is masked: {r}"
    );
}

#[test]
fn verify_names_missing_and_added_files() {
    let s = Scratch::new();
    let dir = evidence(&s, "ev", &[]);
    fs::remove_file(dir.join(SUMMARY)).unwrap();
    assert_problem(&verify(&dir), SUMMARY, "missing");

    let dir = evidence(&s, "ev2", &[]);
    fs::write(dir.join("notes.txt"), b"extra\n").unwrap();
    assert_problem(&verify(&dir), "notes.txt", "added");
}

#[test]
fn verify_without_sha256sums_is_an_error() {
    let s = Scratch::new();
    let dir = evidence(&s, "ev", &[]);
    fs::remove_file(dir.join("SHA256SUMS")).unwrap();
    let r = verify(&dir);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("SHA256SUMS"), "{r}");

    let r = verify(&s.path("does-not-exist"));
    assert_eq!(r.code, 2, "{r}");
}

#[test]
fn verify_rejects_a_raw_capture_swapped_in() {
    // Someone replaces the sanitized capture with the raw one and re-hashes: the hashes match,
    // `check` does not.
    let s = Scratch::new();
    let dir = evidence(&s, "ev", &[]);
    let name = CAPTURE.to_string();
    let raw = fs::read(samples_dir().join(format!("{SAMPLE}.pcap"))).unwrap();
    fs::write(dir.join(&name), &raw).unwrap();
    rehash(&dir, &name, &raw);
    let r = verify(&dir);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains(": sni: "), "check's findings listed: {r}");
    assert_no_secret(
        &r.stdout,
        &identities_as_text(&samples_dir().join(format!("{SAMPLE}.pcap"))),
        "verify output",
    );
}

// ---------------------------------------------------------------------------------------------
// Several files on several threads (--jobs): the same bytes whatever the thread count
// ---------------------------------------------------------------------------------------------

/// Every file of a folder, by name, with its bytes.
fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sanitize_many_inputs_is_byte_identical_whatever_the_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    fs::write(&key, [7u8; 32]).unwrap();
    let inputs = samples();
    let mut folders = Vec::new();
    for jobs in ["1", "2", "5"] {
        let out = dir.path().join(format!("jobs-{jobs}"));
        let mut c = cmd();
        c.arg("sanitize").args(&inputs).arg("-o").arg(&out);
        c.arg("--key").arg(&key).args(["--jobs", jobs]);
        c.assert().success();
        folders.push(folder_bytes(&out));
    }
    // A capture, a summary and a ladder SVG per input; report.html, policy.yaml and
    // SHA256SUMS.
    assert_eq!(folders[0].len(), 3 * inputs.len() + 3);
    assert!(folders[0] == folders[1], "--jobs 2 differs from --jobs 1");
    assert!(folders[0] == folders[2], "--jobs 5 differs from --jobs 1");
}

#[test]
fn check_many_files_reports_the_same_whatever_the_jobs() {
    let inputs = samples();
    let run = |jobs: &str| {
        let out = cmd()
            .arg("check")
            .args(&inputs)
            .args(["--jobs", jobs, "--format", "yaml"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    let one = run("1");
    assert!(one.contains("sni"), "{one}");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("7"));
}

/// Finished connections beyond the first few hundred of a run wait in a temporary file (their
/// diagnoses and rewrite plans, `src/plan/store.rs`). Whether a connection went through the
/// file must not change a byte of anything pcapscrub writes: every sample is sanitized, checked
/// and diagnosed with everything kept in memory and with everything spilled
/// (`PCAPSCRUB_IN_MEMORY_CONNECTIONS=0`), and the outputs compared.
#[test]
fn spilled_connections_change_no_byte_of_any_output() {
    const VAR: &str = "PCAPSCRUB_IN_MEMORY_CONNECTIONS";
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    fs::write(&key, [7u8; 32]).unwrap();
    let mut compared = 0;
    for sample in samples() {
        let name = stem(&sample);
        let mut evidence = Vec::new();
        let mut reports = Vec::new();
        for (label, in_memory) in [("in memory", None), ("spilled", Some("0"))] {
            let run = |args: &[&OsStr]| {
                let mut c = cmd();
                c.args(args).env_remove(VAR);
                if let Some(n) = in_memory {
                    c.env(VAR, n);
                }
                c.output().unwrap()
            };
            let out = dir.path().join(format!("{name}-{}", evidence.len()));
            let s = run(&[
                "sanitize".as_ref(),
                sample.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
                "--key".as_ref(),
                key.as_os_str(),
            ]);
            assert!(s.status.success(), "{name} ({label}): {s:?}");
            evidence.push(folder_bytes(&out));
            let mut outputs = Vec::new();
            for args in [
                vec![
                    "diagnose".as_ref(),
                    sample.as_os_str(),
                    "--format".as_ref(),
                    "yaml".as_ref(),
                ],
                vec!["diagnose".as_ref(), sample.as_os_str()],
                vec!["check".as_ref(), sample.as_os_str()],
            ] {
                let o = run(&args);
                outputs.push((o.status.code(), o.stdout, o.stderr));
            }
            reports.push(outputs);
        }
        assert_eq!(
            evidence[0], evidence[1],
            "{name}: the evidence differs when spilled"
        );
        assert_eq!(
            reports[0], reports[1],
            "{name}: a report differs when spilled"
        );
        compared += 1;
    }
    assert!(compared >= 15);
}

/// Inputs the fuzzers found (fuzz/artifacts/*/*.pcap): each must sanitize, verify, and be a
/// fixed point of a second sanitize. (The first: a removed handshake message followed by kept
/// ones desynchronised the framing a second reading saw; an empty record body then put a
/// kept range out of stream order; a retransmission contradicting the middle of a message
/// split across segments left the message's first pieces, a message cut short that `verify`
/// reported; a client speaking plaintext from the start made `verify` recompute the capture's
/// verdict as not_tls, though such a connection does not decide it; a DTLS ClientHello record
/// whose fragment header could not be read kept only its record header, which a second run no
/// longer recognised as DTLS.) Each is also sanitized
/// with every summary entry compact (`--summary-full 0`), which `verify` must read the same.
#[test]
fn fuzz_reproducers_sanitize_verify_and_are_fixed_points() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/artifacts");
    let mut found = 0;
    for target in fs::read_dir(&root).unwrap() {
        let Ok(entries) = fs::read_dir(target.unwrap().path()) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path
                .extension()
                .is_none_or(|x| x != "pcap" && x != "pcapng")
            {
                continue;
            }
            found += 1;
            let s = Scratch::new();
            let key = write_key(&s);
            let first = s.path("first");
            let out = sanitize_into(&path, &first, &key, &[]);
            let r = verify(&first);
            assert_eq!(r.code, 0, "{}: {r}", path.display());
            let compact = s.path("compact");
            sanitize_into(&path, &compact, &key, &["--summary-full", "0"]);
            let r = verify(&compact);
            assert_eq!(r.code, 0, "{} (compact entries): {r}", path.display());
            let again = sanitize_into(&out, &s.path("second"), &key, &[]);
            assert_eq!(
                fs::read(&out).unwrap(),
                fs::read(&again).unwrap(),
                "{}",
                path.display()
            );
        }
    }
    assert!(found >= 2, "the fuzz reproducers are in fuzz/artifacts");
}
