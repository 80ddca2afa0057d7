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
