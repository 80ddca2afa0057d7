//! The evidence workflow through the real binary: the evidence carries its policy (policy.yaml,
//! used by `verify` and `check OUTDIR`), `verify` reads summaries of any size, and `check`
//! picks captures by content (gzip, renamed captures, names with spaces, standard input).
//!
//! Inputs are the committed samples and captures built in code; no tshark. Output files are
//! found by suffix, never by the input's name.

mod fixtures_gen;

use std::ffi::OsStr;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use fixtures_gen::{
    Addr, CLIENT_MAC, ETHERTYPE_IPV4, PcapFormat, SERVER_MAC, Scratch, cmd, ethernet, ip_tcp,
    pcap_file, sha256_hex, timed, tls_conversation,
};

/// The server name every sample's ClientHello carries.
const SAMPLE_SNI: &str = "api.pcapscrub-test.example";
/// The sample's server address (the client is 10.77.0.1).
const SAMPLE_SERVER: &str = "10.77.0.2";

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// One run of the binary.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
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

fn run_with<I, S>(args: I, stdin: Option<Vec<u8>>, timeout_s: u64) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = cmd();
    c.args(args)
        .timeout(std::time::Duration::from_secs(timeout_s));
    if let Some(bytes) = stdin {
        c.write_stdin(bytes);
    }
    let out = c.output().expect("pcapscrub runs");
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

fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_with(args, None, 60)
}

fn sanitize(input: &Path, outdir: &Path, extra: &[&OsStr]) -> Run {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("sanitize"),
        input.as_os_str(),
        OsStr::new("-o"),
        outdir.as_os_str(),
    ];
    args.extend_from_slice(extra);
    run_with(args, None, 300)
}

fn verify(dir: &Path) -> Run {
    run_with([OsStr::new("verify"), dir.as_os_str()], None, 300)
}

/// The one file in `dir` whose name ends with `suffix`.
fn by_suffix(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "one *{suffix} in {}", dir.display());
    found.into_iter().next().unwrap()
}

/// Rewrites `name`'s line in `dir/SHA256SUMS` to match its current content (a careful forger).
fn rehash(dir: &Path, name: &str) {
    let digest = sha256_hex(&fs::read(dir.join(name)).unwrap());
    let sums = dir.join("SHA256SUMS");
    let text = fs::read_to_string(&sums).unwrap();
    assert!(text.contains(&format!("  {name}\n")), "{name} listed");
    let fixed: String = text
        .lines()
        .map(|l| match l.split_once("  ") {
            Some((_, n)) if n == name => format!("{digest}  {name}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    fs::write(&sums, fixed).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap();
    out
}

// ---------------------------------------------------------------------------------------------
// The evidence carries its policy
// ---------------------------------------------------------------------------------------------

/// A custom policy that lets the sample's server address and server name stay.
fn allowlist_policy(s: &Scratch) -> PathBuf {
    s.write(
        "lab.yaml",
        format!(
            "name: lab-allowlist\nallow_addresses: {SAMPLE_SERVER}\nallow_names: {SAMPLE_SNI}\n"
        )
        .as_bytes(),
    )
}

#[test]
fn evidence_made_with_an_allowlist_verifies_and_checks_under_its_own_policy() {
    let s = Scratch::new();
    let policy = allowlist_policy(&s);
    let out = s.path("evidence");
    let r = sanitize(
        &sample("tls12-complete.pcap"),
        &out,
        &[OsStr::new("-p"), policy.as_os_str()],
    );
    assert_eq!(r.code, 0, "{r}");

    // policy.yaml is the canonical policy, listed in SHA256SUMS, hashed in the summary.
    let policy_file = out.join("policy.yaml");
    let text = fs::read_to_string(&policy_file).unwrap();
    let shown = run(["policy", "show", policy.to_str().unwrap()]);
    assert_eq!(text, shown.stdout, "policy.yaml is the canonical policy");
    let digest = sha256_hex(text.as_bytes());
    let sums = fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert!(sums.contains(&format!("{digest}  policy.yaml\n")), "{sums}");
    let summary = fs::read_to_string(by_suffix(&out, ".summary.yaml")).unwrap();
    assert!(
        summary.contains(&format!("  sha256: {digest}\n")),
        "the summary's policy hash is policy.yaml's: {summary}"
    );
    // The allowlist did its work: the server's address and name are in the evidence.
    assert!(summary.contains(&format!("server: {SAMPLE_SERVER}:443")));
    assert!(summary.contains(SAMPLE_SNI));

    let r = verify(&out);
    assert_eq!(r.code, 0, "verify of allowlist evidence: {r}");
    let r = run([OsStr::new("check"), out.as_os_str()]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, ""),
        "check OUTDIR without -p: {r}"
    );
    assert!(r.stderr.contains("lab-allowlist"), "says which policy: {r}");
    // An explicit -p still wins: under the default policy the allowed server is a finding.
    let r = run([
        OsStr::new("check"),
        out.as_os_str(),
        OsStr::new("-p"),
        OsStr::new("ticket"),
    ]);
    assert_eq!(r.code, 1, "check OUTDIR -p ticket: {r}");

    // A policy file met while recursing does not widen the gate.
    let parent = s.path("tree");
    fs::create_dir_all(&parent).unwrap();
    fs::rename(&out, parent.join("evidence")).unwrap();
    let r = run([OsStr::new("check"), parent.as_os_str()]);
    assert_eq!(r.code, 1, "check of a folder holding evidence: {r}");
}

#[test]
fn a_tampered_policy_fails_verify() {
    let s = Scratch::new();
    let policy = allowlist_policy(&s);
    let out = s.path("evidence");
    let r = sanitize(
        &sample("tls12-complete.pcap"),
        &out,
        &[OsStr::new("-p"), policy.as_os_str()],
    );
    assert_eq!(r.code, 0, "{r}");
    let policy_file = out.join("policy.yaml");
    let text = fs::read_to_string(&policy_file).unwrap();
    // Widening the allowlist after the fact, in canonical form.
    let widened = text.replace(
        &format!("allow_addresses: \"{SAMPLE_SERVER}\""),
        "allow_addresses: \"10.0.0.0/8\"",
    );
    assert_ne!(
        widened, text,
        "the allowlist line is where expected: {text}"
    );
    fs::write(&policy_file, &widened).unwrap();
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains("policy.yaml") && l.contains("SHA-256")),
        "a hash mismatch naming policy.yaml: {r}"
    );
    // A forger who also fixes SHA256SUMS is caught by the summary's policy hash.
    rehash(&out, "policy.yaml");
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains(".summary.yaml") && l.contains("policy.yaml")),
        "the summary's policy hash does not match: {r}"
    );
    // Without policy.yaml the evidence does not verify either.
    fs::remove_file(&policy_file).unwrap();
    let sums = fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let without: String = sums
        .lines()
        .filter(|l| !l.ends_with("  policy.yaml"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(out.join("SHA256SUMS"), without).unwrap();
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("policy.yaml: missing"), "{r}");
}

#[test]
fn verify_refuses_an_allowlisted_address_under_the_default_policy() {
    // The summary address check follows policy.yaml: evidence made under the allowlist but
    // carrying the default policy (a swapped policy.yaml, rehashed) has an address the policy
    // does not allow.
    let s = Scratch::new();
    let policy = allowlist_policy(&s);
    let out = s.path("evidence");
    let r = sanitize(
        &sample("tls12-complete.pcap"),
        &out,
        &[OsStr::new("-p"), policy.as_os_str()],
    );
    assert_eq!(r.code, 0, "{r}");
    let ticket = run(["policy", "show", "ticket"]).stdout;
    fs::write(out.join("policy.yaml"), ticket).unwrap();
    rehash(&out, "policy.yaml");
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains(".summary.yaml") && l.contains("address")),
        "{r}"
    );
}

// ---------------------------------------------------------------------------------------------
// Large summaries
// ---------------------------------------------------------------------------------------------

/// Connections in the generated capture: more than the YAML reader's default limits allowed
/// (about 1,000 connections of a full summary each).
const MANY_CONNECTIONS: u16 = 2_500;

/// `n` TLS conversations (SYN, SYN-ACK, ACK, ClientHello, ACK), each from its own client port.
fn many_connections(n: u16) -> Vec<u8> {
    let client = Addr::V4([10, 77, 0, 1]);
    let server = Addr::V4([10, 77, 0, 2]);
    let mut frames = Vec::new();
    for i in 0..n {
        for mut seg in tls_conversation() {
            let port = 20_000 + i;
            let (src, dst, smac, dmac) = if seg.from_client {
                seg.tcp.sport = port;
                (client, server, CLIENT_MAC, SERVER_MAC)
            } else {
                seg.tcp.dport = port;
                (server, client, SERVER_MAC, CLIENT_MAC)
            };
            let ip = ip_tcp(src, dst, &seg.tcp);
            frames.push(ethernet(dmac, smac, ETHERTYPE_IPV4, &ip));
        }
    }
    pcap_file(PcapFormat::new(1), &timed(frames, false))
}

#[test]
fn verify_reads_the_summary_of_thousands_of_connections() {
    let s = Scratch::new();
    let input = s.write("many.pcap", &many_connections(MANY_CONNECTIONS));
    let out = s.path("evidence");
    let r = sanitize(&input, &out, &[]);
    assert_eq!(r.code, 0, "{r}");
    let summary = fs::read_to_string(by_suffix(&out, ".summary.yaml")).unwrap();
    let listed = summary.lines().filter(|l| l.starts_with("- id: ")).count();
    assert_eq!(
        listed,
        usize::from(MANY_CONNECTIONS),
        "one entry a connection"
    );
    let r = verify(&out);
    assert_eq!(r.code, 0, "verify of {MANY_CONNECTIONS} connections: {r}");

    // Streaming does not make it lenient: an unknown verdict deep in the list is still found.
    let path = by_suffix(&out, ".summary.yaml");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let last = summary.rfind("  verdict: ").expect("a connection verdict");
    let mut edited = summary.clone();
    let end = last + summary[last..].find('\n').unwrap();
    edited.replace_range(last..end, "  verdict: all_fine_trust_me");
    fs::write(&path, edited).unwrap();
    rehash(&out, &name);
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains(&format!(
            "connection {MANY_CONNECTIONS} has no known verdict"
        )),
        "{r}"
    );
}

#[test]
fn verify_refuses_a_hostile_summary_without_reading_it_whole() {
    let s = Scratch::new();
    let out = s.path("evidence");
    let r = sanitize(&sample("tls12-complete.pcap"), &out, &[]);
    assert_eq!(r.code, 0, "{r}");
    let path = by_suffix(&out, ".summary.yaml");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let summary = fs::read_to_string(&path).unwrap();

    // One line of 1 MiB: refused by the line bound, with its number.
    let long = format!("{summary}note: \"{}\"\n", "a".repeat(1 << 20));
    fs::write(&path, &long).unwrap();
    rehash(&out, &name);
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    let line = summary.lines().count() + 1;
    assert!(
        r.stdout.contains(&format!("line {line} is longer than")),
        "{r}"
    );

    // An entry of 8 MiB in short lines: refused by the entry bound.
    let mut big = summary.clone();
    big.push_str("note: |\n");
    for _ in 0..(8 << 20) / 64 {
        big.push_str("  ");
        big.push_str(&"b".repeat(61));
        big.push('\n');
    }
    fs::write(&path, &big).unwrap();
    rehash(&out, &name);
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("an entry larger than"), "{r}");

    // A key cut in two where a YAML parser would not cut is reported, not skipped.
    let split = summary.replacen("tool:\n", "tool: \"a\n10.77.0.9\"\n", 1);
    fs::write(&path, &split).unwrap();
    rehash(&out, &name);
    let r = verify(&out);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("address"), "{r}");
    assert!(r.stdout.contains("not a valid summary"), "{r}");
}

// ---------------------------------------------------------------------------------------------
// check by content
// ---------------------------------------------------------------------------------------------

#[test]
fn check_finds_captures_by_content_and_ignores_other_files() {
    let s = Scratch::new();
    let raw = fs::read(sample("tls12-complete.pcap")).unwrap();
    let gz = s.write("capture.pcap.gz", &gzip(&raw));
    let renamed = s.write("capture.bin", &raw);
    let spaced = s.write("acme corp capture", &raw);
    let gz_renamed = s.write("blob.dat", &gzip(&raw));
    for file in [&gz, &renamed, &spaced, &gz_renamed] {
        let r = run([OsStr::new("check"), file.as_os_str()]);
        assert_eq!(r.code, 1, "{}: {r}", file.display());
        assert!(r.stdout.starts_with(&format!("{}:", file.display())), "{r}");
    }
    let text = s.write("notes.txt", b"10.77.0.1 is the client\n");
    let text_gz = s.write("notes.gz", &gzip(b"10.77.0.1 is the client\n"));
    let empty = s.write("empty", b"");
    let r = run([
        OsStr::new("check"),
        text.as_os_str(),
        text_gz.as_os_str(),
        empty.as_os_str(),
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "", ""),
        "files that are not captures are ignored quietly: {r}"
    );
}

#[test]
fn check_dash_reads_standard_input() {
    let s = Scratch::new();
    let raw = fs::read(sample("tls12-complete.pcap")).unwrap();
    for (what, bytes) in [("raw", raw.clone()), ("gzip", gzip(&raw))] {
        let r = run_with(["check", "-"], Some(bytes), 60);
        assert_eq!(r.code, 1, "{what} capture on stdin: {r}");
        assert!(r.stdout.starts_with("standard input:"), "{r}");
        assert!(!r.stdout.contains(SAMPLE_SNI), "masked: {r}");
    }
    let out = s.path("evidence");
    let r = sanitize(&sample("tls12-complete.pcap"), &out, &[]);
    assert_eq!(r.code, 0, "{r}");
    let clean = fs::read(by_suffix(&out, ".sanitized.pcap")).unwrap();
    let r = run_with(["check", "-"], Some(clean), 60);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, ""),
        "sanitized on stdin: {r}"
    );
    let r = run_with(["check", "-"], Some(b"just text\n".to_vec()), 60);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "text on stdin: {r}");
    let r = run_with(["check", "-"], Some(vec![0x1f, 0x8b, 8, 0, 0, 0]), 60);
    assert_eq!(r.code, 2, "a broken gzip on stdin is an error: {r}");
    assert!(r.stderr.contains("standard input"), "{r}");
}
