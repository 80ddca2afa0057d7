//! Finished connections beyond the first few hundred wait in a temporary file (their diagnoses
//! and rewrite plans, `src/analyze/stored.rs`). Whether a connection went through the file must
//! not change a byte of anything pcapscrub writes: every sample is sanitized, checked and
//! diagnosed with everything kept in memory and with everything spilled
//! (`PCAPSCRUB_IN_MEMORY_CONNECTIONS=0`), and the outputs compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEY: &[u8] = b"pcapscrub spill test: a fixed key of 48 bytes!!!";
const VAR: &str = "PCAPSCRUB_IN_MEMORY_CONNECTIONS";

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    v.sort();
    assert!(v.len() >= 15, "{v:?}");
    v
}

fn run(args: &[&std::ffi::OsStr], in_memory: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pcapscrub"));
    cmd.args(args).env_remove(VAR);
    if let Some(n) = in_memory {
        cmd.env(VAR, n);
    }
    cmd.output().expect("run pcapscrub")
}

/// Every file of an evidence folder, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn spilled_connections_change_no_byte_of_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("key");
    std::fs::write(&key, KEY).unwrap();
    let mut compared = 0;
    for sample in samples() {
        let name = sample.file_name().unwrap().to_string_lossy().into_owned();
        let mut evidence = Vec::new();
        let mut reports = Vec::new();
        for (label, in_memory) in [("in memory", None), ("spilled", Some("0"))] {
            let out = tmp.path().join(format!("{name}-{}", evidence.len()));
            let s = run(
                &[
                    "sanitize".as_ref(),
                    sample.as_os_str(),
                    "-o".as_ref(),
                    out.as_os_str(),
                    "--key".as_ref(),
                    key.as_os_str(),
                ],
                in_memory,
            );
            assert!(s.status.success(), "{name} ({label}): {s:?}");
            evidence.push(files(&out));
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
                let o = run(&args, in_memory);
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
