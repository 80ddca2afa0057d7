//! The finish of the command line: shell completions and the manual page, generated from the
//! same definitions as the parser.

mod fixtures_gen;

use std::process::Output;

fn pcapscrub(args: &[&str]) -> Output {
    fixtures_gen::command()
        .args(args)
        .output()
        .expect("cannot run pcapscrub")
}

#[test]
fn completions_name_every_command_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = pcapscrub(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).expect("utf-8");
        for command in [
            "sanitize", "diagnose", "check", "verify", "reveal", "policy",
        ] {
            assert!(script.contains(command), "{shell} script lacks {command}");
        }
        // An option of a subcommand, so the script completes more than command names.
        assert!(
            script.contains("mapping-out"),
            "{shell} script lacks --mapping-out"
        );
    }
}

#[test]
fn an_unknown_shell_is_refused_with_the_valid_ones_named() {
    let out = pcapscrub(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
}

#[test]
fn the_manual_page_is_roff_with_every_command() {
    let out = pcapscrub(&["man"]);
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8(out.stdout).expect("utf-8");
    assert!(page.contains(".TH pcapscrub"));
    for command in ["sanitize", "diagnose", "check", "verify", "reveal"] {
        assert!(page.contains(command), "manual page lacks {command}");
    }
}

#[test]
fn completions_to_a_full_output_is_one_sentence() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full (Linux) is needed");
    let out = fixtures_gen::command()
        .args(["completions", "bash"])
        .stdout(full)
        .output()
        .expect("cannot run pcapscrub");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write standard output"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A capture of at least 16 MiB (where bars start): a real sample's packets again and again.
fn large_capture(dir: &std::path::Path) -> std::path::PathBuf {
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tls13-complete.pcap");
    let bytes = std::fs::read(sample).expect("sample");
    let (_, packets) = fixtures_gen::read_pcap(&bytes);
    let recs: Vec<fixtures_gen::Rec> = packets
        .iter()
        .cycle()
        .take(packets.len() * 2_200)
        .map(|p| fixtures_gen::Rec {
            ts_sec: p.ts_sec,
            ts_frac: p.ts_frac,
            data: p.data.clone(),
        })
        .collect();
    let path = dir.join("large.pcap");
    let pcap = fixtures_gen::pcap_file(fixtures_gen::PcapFormat::new(1), &recs);
    assert!(pcap.len() >= 16 << 20, "{} bytes", pcap.len());
    std::fs::write(&path, pcap).expect("write");
    path
}

/// Progress on a terminal names the command, the file, its place in the run, bytes, speed and
/// time left; without a terminal nothing is drawn. `script` gives the command a terminal.
#[test]
#[ignore = "needs script(1) from util-linux: run by .ci/run"]
fn progress_on_a_terminal_names_the_file_and_speed() {
    if !testkit::need::tool(
        "script",
        std::process::Command::new("script").arg("--version"),
    ) {
        return;
    }
    let s = fixtures_gen::Scratch::new();
    let capture = large_capture(&s.path(""));
    let bin = fixtures_gen::bin().display().to_string();
    let c = capture.display().to_string();
    let out_dir = s.path("evidence").display().to_string();
    let other = s.path("other.pcap");
    std::fs::copy(&capture, &other).expect("copy");
    for (command, want) in [
        (
            format!("{bin} diagnose {c} >/dev/null"),
            format!("diagnose {c}"),
        ),
        (
            format!(
                "{bin} sanitize {c} {} -o {out_dir} >/dev/null",
                other.display()
            ),
            format!("sanitize {c} (1 of 2)"),
        ),
        (format!("{bin} check {c} >/dev/null"), format!("check {c}")),
    ] {
        let typescript = s.path("typescript");
        let run = std::process::Command::new("script")
            .args(["-qec", &command])
            .arg(&typescript)
            .output()
            .expect("run script");
        let shown = String::from_utf8_lossy(&std::fs::read(&typescript).expect("typescript"))
            .replace('\r', "\n");
        assert!(
            matches!(run.status.code(), Some(0 | 1)),
            "{command}: {run:?}\n{shown}"
        );
        assert!(shown.contains(&want), "{command}: no `{want}` in:\n{shown}");
        assert!(
            shown.contains("MB/s") && shown.contains(" left"),
            "{command}: no speed or time left in:\n{shown}"
        );
    }
    // Not a terminal: the same diagnose draws nothing.
    let out = fixtures_gen::command()
        .args(["diagnose", &c])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("MB/s"), "{err}");
}
