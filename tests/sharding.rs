//! One run split apart: pass 1 of each input analysed on its own (on several threads) and
//! merged in input order (docs/sharding.md). Whatever the split, every output byte must be
//! what one pass over the inputs in turn writes: the address mapping, host-name pseudonyms
//! and placeholder certificate numbers follow first-seen order across all the inputs.
//!
//! Uses the committed samples (`samples/*.pcap`); no tshark.

mod fixtures_gen;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use fixtures_gen::cmd;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(format!("{name}.pcap"))
}

/// Every file of a folder, by name, with its bytes.
fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// The placeholder certificates' numbers (`CN=redacted-<n>`) a capture holds.
fn placeholder_numbers(capture: &[u8]) -> BTreeSet<u64> {
    let mut found = BTreeSet::new();
    let marker = b"redacted-";
    for at in 0..capture.len().saturating_sub(marker.len()) {
        if &capture[at..at + marker.len()] != marker {
            continue;
        }
        let digits: Vec<u8> = capture[at + marker.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        if let Ok(n) = String::from_utf8(digits).unwrap_or_default().parse() {
            found.insert(n);
        }
    }
    found
}

/// Inputs that share servers, clients and the server name, each with certificates (one of
/// them twice): the second input's hosts are the first's, its name is mapped already, and its
/// placeholders are numbered after the first's. Sanitized on 1, 2 and 3 threads, and with
/// every finished connection's plan spilled to the temporary file (renumbered as it is read
/// back), every output file must be the same.
#[test]
fn inputs_sharing_hosts_and_names_give_the_same_bytes_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    fs::write(&key, [7u8; 32]).unwrap();
    let inputs: Vec<PathBuf> = [
        "tls12-complete",
        "tls12-client-cert",
        "client-alert-unknown-ca",
        "tls12-complete",
        "ipv6-tls12-complete",
        "hrr-tls13",
    ]
    .iter()
    .map(|n| sample(n))
    .collect();
    let runs = [("1", false), ("2", false), ("3", false), ("2", true)];
    let mut folders = Vec::new();
    for (jobs, spilled) in runs {
        let out = dir.path().join(format!("jobs-{jobs}-{spilled}"));
        let mut c = cmd();
        c.arg("sanitize").args(&inputs).arg("-o").arg(&out);
        c.arg("--key").arg(&key).args(["--jobs", jobs]);
        c.env_remove("PCAPSCRUB_IN_MEMORY_CONNECTIONS");
        if spilled {
            c.env("PCAPSCRUB_IN_MEMORY_CONNECTIONS", "0");
        }
        c.assert().success();
        folders.push(folder_bytes(&out));
    }
    assert_eq!(folders[0].len(), 3 * inputs.len() + 3);
    for (run, folder) in runs.iter().zip(&folders).skip(1) {
        for (a, b) in folders[0].iter().zip(folder) {
            assert_eq!(a.0, b.0);
            assert!(a.1 == b.1, "{} differs with {run:?}", a.0);
        }
    }
    // The numbers go on from one input to the next: never two placeholders with one number.
    let numbers: Vec<BTreeSet<u64>> = folders[0]
        .iter()
        .filter(|(name, _)| name.ends_with(".sanitized.pcap"))
        .map(|(_, bytes)| placeholder_numbers(bytes))
        .collect();
    assert_eq!(numbers.len(), inputs.len());
    let (first, second) = (&numbers[0], &numbers[1]);
    assert!(!first.is_empty() && !second.is_empty(), "{numbers:?}");
    assert!(first.iter().min() < second.iter().min(), "{numbers:?}");
    // The same capture again: as many placeholders, numbered after everything before it.
    assert_eq!(numbers[0].len(), numbers[3].len(), "{numbers:?}");
    assert!(
        numbers[2].iter().max() < numbers[3].iter().max(),
        "{numbers:?}"
    );
    assert!(
        numbers[0].iter().max() < numbers[3].iter().min(),
        "{numbers:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Sharded runs: `plan`, `plan merge`, `sanitize --plan`
// ---------------------------------------------------------------------------------------------

/// Every committed sample, sorted, cut into `n` shards of consecutive samples.
fn sample_shards(n: usize) -> Vec<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut all: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    all.sort();
    let per = all.len().div_ceil(n);
    all.chunks(per).map(<[PathBuf]>::to_vec).collect()
}

/// The single run's evidence files (captures, summaries, ladders) must be in the shards'
/// folders, byte for byte, and the shards must hold no other evidence of that kind.
fn assert_shards_make_the_single_run(single: &Path, shard_dirs: &[PathBuf]) {
    let per_input = |name: &str| {
        [
            ".sanitized.pcap",
            ".summary.yaml",
            ".summary.json",
            ".ladder.svg",
        ]
        .iter()
        .any(|s| name.ends_with(s))
    };
    let mut from_shards: Vec<(String, Vec<u8>)> = shard_dirs
        .iter()
        .flat_map(|d| folder_bytes(d))
        .filter(|(name, _)| per_input(name))
        .collect();
    from_shards.sort();
    let from_single: Vec<(String, Vec<u8>)> = folder_bytes(single)
        .into_iter()
        .filter(|(name, _)| per_input(name))
        .collect();
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&from_single), names(&from_shards));
    for (a, b) in from_single.iter().zip(&from_shards) {
        assert!(
            a.1 == b.1,
            "{} differs between the single run and its shard",
            a.0
        );
    }
}

fn single_run(dir: &Path, shards: &[Vec<PathBuf>], key: &Path) -> PathBuf {
    let single = dir.join("single");
    cmd()
        .arg("sanitize")
        .args(shards.iter().flatten())
        .arg("-o")
        .arg(&single)
        .arg("--key")
        .arg(key)
        .args(["--summary-format", "both"])
        .assert()
        .success();
    single
}

/// The three steps one after the other: a plan per shard, the merge, each shard sanitized
/// with the merged plan; the shards' evidence is the single run's.
#[test]
fn shards_sanitized_with_the_merged_plan_write_what_one_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    fs::write(&key, [9u8; 32]).unwrap();
    let shards = sample_shards(3);
    let plans: Vec<PathBuf> = (0..shards.len())
        .map(|k| dir.path().join(format!("shard{k}.plan")))
        .collect();
    for (files, plan) in shards.iter().zip(&plans) {
        cmd()
            .arg("plan")
            .args(files)
            .arg("-o")
            .arg(plan)
            .assert()
            .success();
        let mode = fs::metadata(plan).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }
    let all = dir.path().join("all.plan");
    cmd()
        .args(["plan", "merge"])
        .args(&plans)
        .arg("-o")
        .arg(&all)
        .assert()
        .success();
    let mut shard_dirs = Vec::new();
    for (k, files) in shards.iter().enumerate() {
        let out = dir.path().join(format!("evidence{k}"));
        cmd()
            .arg("sanitize")
            .arg("--plan")
            .arg(&all)
            .args(files)
            .arg("-o")
            .arg(&out)
            .arg("--key")
            .arg(&key)
            .args(["--summary-format", "both"])
            .assert()
            .success();
        shard_dirs.push(out);
    }
    let single = single_run(dir.path(), &shards, &key);
    assert_shards_make_the_single_run(&single, &shard_dirs);
}

/// The recipe of docs/sharding.md as written: GNU parallel runs `plan` and then `sanitize
/// --plan` for each shard folder (two at a time). Needs GNU parallel (`.ci/run` installs it).
#[test]
#[ignore = "needs GNU parallel"]
fn gnu_parallel_runs_the_shards_and_they_write_what_one_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    fs::write(&key, [9u8; 32]).unwrap();
    let shards = sample_shards(4);
    let mut shard_dirs = Vec::new();
    for (k, files) in shards.iter().enumerate() {
        let d = dir.path().join(format!("shard{k}"));
        fs::create_dir(&d).unwrap();
        for f in files {
            std::os::unix::fs::symlink(f, d.join(f.file_name().unwrap())).unwrap();
        }
        shard_dirs.push(d);
    }
    let bin = fixtures_gen::bin();
    let parallel = |script: String| {
        let out = std::process::Command::new("parallel")
            .args([
                "--will-cite",
                "--halt",
                "now,fail=1",
                "-j",
                "2",
                &script,
                ":::",
            ])
            .args(&shard_dirs)
            .output()
            .expect("GNU parallel is installed");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    parallel(format!("{} plan {{}}/*.pcap -o {{}}.plan", bin.display()));
    let all = dir.path().join("all.plan");
    cmd()
        .args(["plan", "merge"])
        .args(shard_dirs.iter().map(|d| d.with_extension("plan")))
        .arg("-o")
        .arg(&all)
        .assert()
        .success();
    parallel(format!(
        "{} sanitize --plan {} {{}}/*.pcap --key {} --summary-format both -o {{}}.evidence",
        bin.display(),
        all.display(),
        key.display()
    ));
    let evidence: Vec<PathBuf> = shard_dirs
        .iter()
        .map(|d| d.with_extension("evidence"))
        .collect();
    let single = single_run(dir.path(), &shards, &key);
    assert_shards_make_the_single_run(&single, &evidence);
}

/// A synthetic shard's plan with `hosts` client IPv4 addresses from 10.76.0.1 on (no traffic:
/// only the plan names them; past 10.77.255.255 for more than 131,070 hosts), under the policy
/// of `real` (a plan `pcapscrub plan` wrote).
fn synthetic_plan(real: &str, hosts: u32) -> String {
    let policy = real
        .split("\"policy_sha256\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    let ipv4: Vec<String> = (0..hosts)
        .map(|i| format!("\"client:0a{:06x}\"", 0x4c_0001 + i))
        .collect();
    format!(
        "{{\"format\":\"pcapscrub plan\",\"version\":1,\"policy_sha256\":\"{policy}\",\"inputs\":[{{\"sha256\":\"{}\",\"ipv4\":[{}],\"ipv6\":[],\"mac\":[],\"names\":[],\"certificates\":0}}]}}",
        "0".repeat(64),
        ipv4.join(",")
    )
}

/// An archive with more client hosts than 192.0.2.0/24 holds maps the rest into the RFC 2544
/// range 198.18.0.0/15 and says so; past that range's 130,048 hosts the run is refused with an
/// error naming the ranges (docs/sharding.md).
#[test]
fn a_merged_plan_past_the_ipv4_ranges_overflows_then_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    fs::write(&key, [9u8; 32]).unwrap();
    let capture = sample("tls12-complete");
    let real = dir.path().join("real.plan");
    cmd()
        .arg("plan")
        .arg(&capture)
        .arg("-o")
        .arg(&real)
        .assert()
        .success();
    let real_text = fs::read_to_string(&real).unwrap();
    for (hosts, ok) in [(1_000, true), (131_000, false)] {
        let synthetic = dir.path().join(format!("synthetic-{hosts}.plan"));
        fs::write(&synthetic, synthetic_plan(&real_text, hosts)).unwrap();
        let all = dir.path().join(format!("all-{hosts}.plan"));
        cmd()
            .args(["plan", "merge"])
            .arg(&synthetic)
            .arg(&real)
            .arg("-o")
            .arg(&all)
            .assert()
            .success();
        let out = dir.path().join(format!("evidence-{hosts}"));
        let run = cmd()
            .arg("sanitize")
            .arg("--plan")
            .arg(&all)
            .arg(&capture)
            .arg("-o")
            .arg(&out)
            .arg("--key")
            .arg(&key)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        if ok {
            assert!(run.status.success(), "{stderr}");
            // The second input of a run of two: numbered 2.
            let summary = fs::read_to_string(out.join("capture-2.summary.yaml")).unwrap();
            assert!(
                summary.contains("client-role IPv4 hosts") && summary.contains("198.18.0.0/15"),
                "{summary}"
            );
        } else {
            assert_eq!(run.status.code(), Some(2), "{stderr}");
            assert!(
                stderr.contains("too many IPv4 addresses") && stderr.contains("198.18.0.0/15"),
                "{stderr}"
            );
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(!out.exists());
        }
    }
}

/// A plan used with captures it was not made from, or under another policy, is refused with
/// one line naming the file; a plan never overwrites a file without --force.
#[test]
fn a_plan_is_refused_for_other_captures_or_another_policy() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("one.plan");
    cmd()
        .arg("plan")
        .arg(sample("tls12-complete"))
        .arg("-o")
        .arg(&plan)
        .assert()
        .success();
    let again = cmd()
        .arg("plan")
        .arg(sample("tls12-complete"))
        .arg("-o")
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let other = sample("hrr-tls13");
    let out = dir.path().join("evidence");
    let run = cmd()
        .arg("sanitize")
        .arg("--plan")
        .arg(&plan)
        .arg(&other)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&plan.display().to_string()), "{stderr}");
    assert!(stderr.contains("not among the captures"), "{stderr}");
    assert!(!out.exists());
    let run = cmd()
        .arg("sanitize")
        .arg("--plan")
        .arg(&plan)
        .arg(sample("tls12-complete"))
        .args(["-p", "strict", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another policy"), "{stderr}");
    assert!(stderr.contains(&plan.display().to_string()), "{stderr}");
    // `check` of a folder holding a plan does not take it for a capture.
    let checked = cmd().arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(!stdout.contains("one.plan"), "{stdout}");
}
