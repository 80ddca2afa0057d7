//! Output for people who read it first and tools that parse it (SPEC §9.4): the summary and
//! `diagnose --format yaml|json` begin with the capture's verdict, its per-verdict counts, its
//! start (RFC 3339) and duration; JSON carries the same keys as YAML; certificate validity is
//! RFC 3339; `diagnose --connection`/`--verdict`/`--all` pick connections; `check` and
//! `verify` speak JSON too. Uses the committed samples; no tshark.

mod fixtures_gen;

use std::path::{Path, PathBuf};

use fixtures_gen::serde_json_like::Value;
use fixtures_gen::{PcapFormat, Rec, Scratch, cmd, pcap_file, read_pcap, sanitize_ok, summary};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(sample(""))
        .expect("samples/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    v.sort();
    assert!(v.len() >= 15, "{v:?}");
    v
}

/// `pcapscrub ARGS`, insisting on exit 0; its standard output.
fn run_ok(args: &[&str]) -> String {
    let out = cmd().args(args).output().expect("run pcapscrub");
    assert_eq!(
        out.status.code(),
        Some(0),
        "pcapscrub {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The top-level keys of a YAML text in their written order.
fn top_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with([' ', '-', '#']) && !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
        .collect()
}

/// A capture holding the connections of several samples (each sample has its own ports).
fn merged(names: &[&str]) -> Vec<u8> {
    let mut recs = Vec::new();
    for name in names {
        let bytes = std::fs::read(sample(name)).expect("sample exists");
        let (_, packets) = read_pcap(&bytes);
        recs.extend(packets.into_iter().map(|p| Rec {
            ts_sec: p.ts_sec,
            ts_frac: p.ts_frac,
            data: p.data,
        }));
    }
    pcap_file(PcapFormat::new(1), &recs)
}

/// Three connections with three verdicts: handshake_complete, client_alert, tcp_refused.
fn three_verdicts(s: &Scratch) -> PathBuf {
    s.write(
        "three.pcap",
        &merged(&[
            "tls13-complete.pcap",
            "client-alert-unknown-ca.pcap",
            "tcp-refused.pcap",
        ]),
    )
}

const LEAD: [&str; 4] = ["verdict", "verdict_counts", "capture_start", "duration"];

fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && s.ends_with('Z')
}

#[test]
fn json_and_yaml_say_the_same_for_every_sample() {
    for path in samples() {
        let p = path.to_str().expect("UTF-8 path");
        let y = yaml(&run_ok(&["diagnose", p, "--format", "yaml"]));
        let j = json(&run_ok(&["diagnose", p, "--format", "json"]));
        assert_eq!(y, j, "{p}");
        assert!(j.get("connections").is_some(), "{p}: {j:?}");
    }
}

#[test]
fn reports_begin_with_verdict_counts_start_and_duration() {
    let s = Scratch::new();
    let capture = three_verdicts(&s);
    let text = run_ok(&["diagnose", capture.to_str().unwrap(), "--format", "yaml"]);
    assert_eq!(top_keys(&text)[..4], LEAD, "{text}");
    let report = yaml(&text);
    let counts = report.get("verdict_counts").expect("verdict_counts");
    let Value::Map(counts) = counts else {
        panic!("verdict_counts is not a mapping: {counts:?}")
    };
    let listed: Vec<(&str, &Value)> = counts.iter().map(|(k, v)| (k.as_str(), v)).collect();
    assert_eq!(
        listed,
        [
            ("client_alert", &Value::Int(1)),
            ("handshake_complete", &Value::Int(1)),
            ("tcp_refused", &Value::Int(1)),
        ]
    );
    // Written most significant first: the capture's verdict leads the list.
    let order: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("verdict_counts:"))
        .skip(1)
        .take(3)
        .map(|l| l.trim().split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(order, ["client_alert", "tcp_refused", "handshake_complete"]);
    assert_eq!(report.str("verdict"), "client_alert");
    assert!(is_rfc3339_utc(report.str("capture_start")), "{text}");
    match report.get("duration") {
        Some(Value::Float(d)) => assert!(*d > 0.0, "{d}"),
        other => panic!("duration: {other:?}"),
    }

    // The summary of the evidence begins the same way; under a policy that shifts timestamps
    // the start (the real date) is left out.
    for (policy, with_start) in [("ticket", true), ("strict", false)] {
        let out = s.path(&format!("evidence-{policy}"));
        sanitize_ok(&[&capture], &out, &["-p", policy]);
        let file = out.join("capture.summary.yaml");
        let text = std::fs::read_to_string(&file).expect("summary");
        let keys = top_keys(&text);
        let lead: Vec<&str> = LEAD
            .iter()
            .copied()
            .filter(|k| with_start || *k != "capture_start")
            .collect();
        assert_eq!(keys[..lead.len()], lead, "{policy}: {text}");
        assert_eq!(
            keys.iter().filter(|k| *k == "verdict").count(),
            1,
            "{policy}"
        );
        let sum = summary(&file);
        assert_eq!(sum.str("verdict"), "client_alert");
        assert_eq!(sum.get("verdict_counts"), report.get("verdict_counts"));
        run_ok(&["verify", out.to_str().unwrap()]);
    }
}

#[test]
fn certificate_validity_is_rfc3339_around_the_capture() {
    let s = Scratch::new();
    let out = s.path("evidence");
    sanitize_ok(&[&sample("tls12-complete.pcap")], &out, &[]);
    let sum = summary(&out.join("capture.summary.yaml"));
    let start = sum.str("capture_start");
    let conn = &sum.seq("connections")[0];
    let certs = conn.seq("tls.server_certificates");
    assert!(!certs.is_empty());
    for c in certs {
        let (from, to) = (c.str("not_before"), c.str("not_after"));
        assert!(is_rfc3339_utc(from) && is_rfc3339_utc(to), "{from} {to}");
        // The samples' certificates are made minutes before the capture and last for years;
        // RFC 3339 UTC texts of one shape compare as times.
        assert!(
            from[..19] <= start[..19] && start[..19] < to[..19],
            "{from} {start} {to}"
        );
    }
}

#[test]
fn diagnose_filters_pick_connections() {
    let s = Scratch::new();
    let capture = three_verdicts(&s);
    let p = capture.to_str().unwrap();
    let ids = |args: &[&str]| -> Vec<i64> {
        let mut all = vec!["diagnose", p, "--format", "json"];
        all.extend_from_slice(args);
        let report = json(&run_ok(&all));
        // The lead always covers the whole capture.
        assert_eq!(report.str("verdict"), "client_alert", "{args:?}");
        report
            .seq("connections")
            .iter()
            .map(|c| c.int("id"))
            .collect()
    };
    assert_eq!(ids(&[]), [1, 2, 3]);
    assert_eq!(ids(&["--connection", "2"]), [2]);
    assert_eq!(ids(&["--verdict", "tcp_refused"]), [3]);
    assert_eq!(ids(&["--verdict", "server_alert"]), Vec::<i64>::new());

    // Text: by default only failures are shown in full when there are more than five
    // connections; here every one is shown, and a filter narrows it.
    let text = run_ok(&["diagnose", p, "--verdict", "handshake_complete"]);
    assert_eq!(text.matches("\nconnection ").count(), 1, "{text}");
    assert!(text.contains("handshake_complete"), "{text}");
    let text = run_ok(&["diagnose", p, "--verdict", "server_alert"]);
    assert!(text.contains("no connection matches the filter"), "{text}");

    // A connection that does not exist: one sentence naming the file, exit 2.
    let out = cmd()
        .args(["diagnose", p, "--connection", "4"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("three.pcap") && err.contains("no connection 4"),
        "{err}"
    );
    // An unknown verdict name: clap's usage error lists the names.
    let out = cmd()
        .args(["diagnose", p, "--verdict", "fine"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("server_alert"));
}

#[test]
fn diagnose_all_lists_every_connection_in_text() {
    // Eight connections (the samples' own ports differ): by default, with more than five,
    // only the failures are shown in full and the completed ones are counted.
    let names = [
        "tls13-complete.pcap",
        "tls12-complete.pcap",
        "tls12-client-cert.pcap",
        "hrr-tls13.pcap",
        "ipv6-tls12-complete.pcap",
        "client-alert-unknown-ca.pcap",
        "tcp-refused.pcap",
        "hello-reset.pcap",
    ];
    let s = Scratch::new();
    let capture = s.write("eight.pcap", &merged(&names));
    let p = capture.to_str().unwrap();
    let report = json(&run_ok(&["diagnose", p, "--format", "json"]));
    let n = report.seq("connections").len();
    let complete = report.count("verdict_counts.handshake_complete") as usize;
    assert!(complete >= 4 && n == names.len(), "{report:?}");
    let text = run_ok(&["diagnose", p]);
    assert_eq!(
        text.matches("\nconnection ").count(),
        n - complete,
        "{text}"
    );
    assert!(text.contains("--all lists them"), "{text}");
    let text = run_ok(&["diagnose", p, "--all"]);
    assert_eq!(text.matches("\nconnection ").count(), n, "{text}");
}

#[test]
fn diagnose_names_the_server_as_the_reader_may_see_it() {
    let p = sample("tls13-complete.pcap");
    let p = p.to_str().unwrap();
    let real = json(&run_ok(&["diagnose", p, "--format", "json"]));
    let conn = &real.seq("connections")[0];
    assert_eq!(conn.str("server_name"), "api.pcapscrub-test.example");
    assert!(conn.get("tls.sni_pseudonym").is_none(), "{conn:?}");
    let shown = json(&run_ok(&["diagnose", p, "--format", "json", "--sanitized"]));
    let conn = &shown.seq("connections")[0];
    let name = conn.str("server_name");
    assert_ne!(name, "api.pcapscrub-test.example");
    assert_eq!(name.len(), "api.pcapscrub-test.example".len());
    assert_eq!(
        Some(name),
        conn.get("tls.sni_pseudonym").and_then(Value::as_str)
    );
}

#[test]
fn check_and_verify_speak_json() {
    let s = Scratch::new();
    let out = s.path("evidence");
    sanitize_ok(&[&sample("tls13-complete.pcap")], &out, &[]);
    let o = out.to_str().unwrap();
    let v = json(&run_ok(&["verify", o, "--format", "json"]));
    assert_eq!(v.get("verified"), Some(&Value::Bool(true)), "{v:?}");
    assert_eq!(v.seq("problems").len(), 0);
    assert_eq!(
        v,
        yaml(&run_ok(&["verify", o, "--format", "yaml"])),
        "verify: JSON and YAML agree"
    );

    // A tampered summary: JSON lists the problem and the exit status says so.
    let file = out.join("capture.summary.yaml");
    let text = std::fs::read_to_string(&file).expect("summary");
    std::fs::write(
        &file,
        text.replace("handshake_complete: 1", "handshake_complete: 2"),
    )
    .expect("write");
    let run = cmd()
        .args(["verify", o, "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(1));
    let v = json(&String::from_utf8_lossy(&run.stdout));
    assert_eq!(v.get("verified"), Some(&Value::Bool(false)));
    let problems: Vec<&str> = v.seq("problems").iter().filter_map(Value::as_str).collect();
    assert!(
        problems.iter().any(|p| p.contains("verdict_counts")),
        "{problems:?}"
    );

    let raw = sample("tls13-complete.pcap");
    let run = cmd()
        .args(["check", raw.to_str().unwrap(), "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(1));
    let j = json(&String::from_utf8_lossy(&run.stdout));
    let y = yaml(&run_ok_or_findings(&[
        "check",
        raw.to_str().unwrap(),
        "--format",
        "yaml",
    ]));
    assert_eq!(j, y, "check: JSON and YAML agree");
}

/// `check` exits 1 when it finds something: its output either way.
fn run_ok_or_findings(args: &[&str]) -> String {
    let out = cmd().args(args).output().expect("run pcapscrub");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn sanitize_ends_with_a_one_line_result() {
    let s = Scratch::new();
    let capture = three_verdicts(&s);
    let out = s.path("evidence");
    let run = sanitize_ok(&[&capture], &out, &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    let last = err.lines().last().unwrap_or_default();
    let sum = summary(&out.join("capture.summary.yaml"));
    let removed = sum.int("output.payload_bytes_removed");
    assert!(removed >= 1000, "{removed}");
    // The alert behind the verdict is named, as the summary's connection names it.
    let want = format!(
        "{}: 3 connections, verdict client_alert (unknown_ca), {} packets, {:.1} kB of payload removed",
        out.display(),
        sum.int("output.packets_written"),
        removed as f64 / 1000.0
    );
    assert_eq!(last, want, "{err}");
    let alerting = sum
        .seq("connections")
        .iter()
        .find(|c| c.str("verdict") == "client_alert")
        .expect("the client_alert connection");
    assert_eq!(
        alerting.seq("tls.alerts")[0].str("description"),
        "unknown_ca"
    );

    // The issue's own example: a server refusing the offered version.
    let out = s.path("evidence-server");
    let run = sanitize_ok(&[&sample("tls13-only-vs-tls12-server.pcap")], &out, &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!(
            "{}: 1 connection, verdict server_alert (protocol_version), ",
            out.display()
        )),
        "{err}"
    );
}

/// The top-level keys of a JSON object in their written order.
fn json_keys(text: &str) -> Vec<String> {
    struct Keys;
    impl<'de> serde::de::Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                map.next_value::<serde::de::IgnoredAny>()?;
                keys.push(k);
            }
            Ok(keys)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde::Deserializer::deserialize_map(&mut de, Keys).expect("a JSON object")
}

/// Rewrites a file of an evidence folder and its line in SHA256SUMS, as a careful forger would.
fn forge(dir: &Path, name: &str, text: &str) {
    let old = fixtures_gen::sha256_hex(&std::fs::read(dir.join(name)).expect("evidence file"));
    std::fs::write(dir.join(name), text).expect("write");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("sums");
    let new = fixtures_gen::sha256_hex(text.as_bytes());
    std::fs::write(dir.join("SHA256SUMS"), sums.replace(&old, &new)).expect("write sums");
}

#[test]
fn the_json_summary_says_what_the_yaml_summary_says() {
    let s = Scratch::new();
    let capture = three_verdicts(&s);
    let out = s.path("evidence");
    sanitize_ok(&[&capture], &out, &["--summary-format", "both"]);
    let yaml_text = std::fs::read_to_string(out.join("capture.summary.yaml")).expect("yaml");
    let json_text = std::fs::read_to_string(out.join("capture.summary.json")).expect("json");
    assert_eq!(yaml(&yaml_text), json(&json_text));
    assert_eq!(
        top_keys(&yaml_text),
        json_keys(&json_text),
        "same keys, same order"
    );
    // The head on the first line, then one connection per line.
    assert_eq!(json_text.lines().count(), 1 + 3 + 1, "{json_text}");
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).expect("sums");
    for name in ["capture.summary.yaml", "capture.summary.json"] {
        assert!(sums.contains(&format!("  {name}\n")), "{sums}");
    }
    run_ok(&["verify", out.to_str().unwrap()]);

    // JSON alone: no YAML summary, and the folder verifies.
    let json_only = s.path("json-only");
    sanitize_ok(&[&capture], &json_only, &["--summary-format", "json"]);
    assert!(!json_only.join("capture.summary.yaml").exists());
    let alone = std::fs::read_to_string(json_only.join("capture.summary.json")).expect("json");
    assert_eq!(
        json(&alone).get("verdict_counts"),
        json(&json_text).get("verdict_counts")
    );
    run_ok(&["verify", json_only.to_str().unwrap()]);

    // verify reads the JSON summary as it reads the YAML one: a count edited (and its hash
    // updated) and an address that is not a pseudonym are both problems.
    for (label, edited, problem) in [
        (
            "count",
            json_text.replace("\"handshake_complete\":1", "\"handshake_complete\":2"),
            "verdict_counts",
        ),
        (
            "address",
            json_text.replacen("\"client\":\"", "\"client\":\"10.1.2.3:1 ", 1),
            "address the policy does not allow",
        ),
    ] {
        assert_ne!(edited, json_text, "{label}");
        let dir = s.path(&format!("forged-{label}"));
        std::fs::create_dir(&dir).expect("mkdir");
        for name in fixtures_gen::listing(&out) {
            std::fs::copy(out.join(&name), dir.join(&name)).expect("copy");
        }
        forge(&dir, "capture.summary.json", &edited);
        let run = cmd()
            .args(["verify", dir.to_str().unwrap()])
            .output()
            .expect("run");
        let report = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(1), "{label}: {report}");
        assert!(
            report
                .lines()
                .any(|l| l.contains("capture.summary.json") && l.contains(problem)),
            "{label}: {report}"
        );
    }
}

/// One connection whose SYN is sent `n` times unanswered: `n` timeline events.
fn syn_retransmitted(s: &Scratch, n: usize) -> PathBuf {
    let bytes = std::fs::read(sample("syn-unanswered.pcap")).expect("sample");
    let (_, packets) = read_pcap(&bytes);
    let syn = &packets[0];
    let recs: Vec<Rec> = (0..n)
        .map(|i| Rec {
            ts_sec: syn.ts_sec + i as u32,
            ts_frac: syn.ts_frac,
            data: syn.data.clone(),
        })
        .collect();
    s.write("syns.pcap", &pcap_file(PcapFormat::new(1), &recs))
}

#[test]
fn the_summary_caps_each_timeline_and_counts_the_rest() {
    const EVENTS: usize = 50;
    let s = Scratch::new();
    let capture = syn_retransmitted(&s, EVENTS);
    let p = capture.to_str().unwrap();
    // diagnose shows every event pass 1 kept.
    let full = json(&run_ok(&[
        "diagnose",
        p,
        "--format",
        "json",
        "--connection",
        "1",
    ]));
    let conn = &full.seq("connections")[0];
    assert_eq!(conn.seq("timeline").len(), EVENTS);
    assert!(conn.get("timeline_omitted").is_none(), "{conn:?}");
    for (args, kept) in [
        (&[][..], 32usize),
        (&["--summary-timeline", "5"][..], 5),
        (&["--summary-timeline", "100"][..], EVENTS),
    ] {
        let out = s.path(&format!("evidence-{kept}"));
        let mut all = vec!["--summary-format", "both"];
        all.extend_from_slice(args);
        sanitize_ok(&[&capture], &out, &all);
        for file in ["capture.summary.yaml", "capture.summary.json"] {
            let text = std::fs::read_to_string(out.join(file)).expect("summary");
            let sum = if file.ends_with("json") {
                json(&text)
            } else {
                yaml(&text)
            };
            let c = &sum.seq("connections")[0];
            let timeline = c.seq("timeline");
            assert_eq!(timeline.len(), kept, "{file} {args:?}");
            // The events kept are the first ones, in order.
            assert_eq!(timeline, &conn.seq("timeline")[..kept], "{file} {args:?}");
            let omitted = c
                .get("timeline_omitted")
                .map_or(0, |_| c.int("timeline_omitted"));
            assert_eq!(omitted as usize, EVENTS - kept, "{file} {args:?}");
        }
        run_ok(&["verify", out.to_str().unwrap()]);
    }
}

/// Past the `--summary-full` most significant connections, entries are compact (a summary of
/// thousands of connections must load in about a second): the rest of the facts are left out,
/// and the timeline's events are counted, never listed. Full by default for small captures.
#[test]
fn the_summary_compacts_connections_past_the_most_significant() {
    let s = Scratch::new();
    let capture = three_verdicts(&s);
    let p = capture.to_str().unwrap();
    let diagnosed = json(&run_ok(&["diagnose", p, "--format", "json"]));
    let events: Vec<usize> = diagnosed
        .seq("connections")
        .iter()
        .map(|c| c.seq("timeline").len())
        .collect();
    for (args, full) in [
        (&[][..], 3usize),
        (&["--summary-full", "all"][..], 3),
        (&["--summary-full", "1"][..], 1),
        (&["--summary-full", "0"][..], 0),
    ] {
        let out = s.path(&format!("evidence-{}", args.join("-")));
        let mut all = vec!["--summary-format", "both"];
        all.extend_from_slice(args);
        sanitize_ok(&[&capture], &out, &all);
        let yaml_text = std::fs::read_to_string(out.join("capture.summary.yaml")).expect("yaml");
        let json_text = std::fs::read_to_string(out.join("capture.summary.json")).expect("json");
        let sum = yaml(&yaml_text);
        assert_eq!(sum, json(&json_text), "{args:?}");
        let conns = sum.seq("connections");
        assert_eq!(conns.len(), 3);
        let is_full = |c: &Value| c.get("tcp").is_some();
        assert_eq!(
            conns.iter().filter(|c| is_full(c)).count(),
            full,
            "{args:?}"
        );
        for (c, &n) in conns.iter().zip(&events) {
            if is_full(c) {
                assert!(c.get("detail").is_none(), "{args:?}");
                // Full entries are the most significant: the capture's verdict first.
                if full == 1 {
                    assert_eq!(c.str("verdict"), "client_alert", "{args:?}");
                }
            } else {
                assert_eq!(c.str("detail"), "compact", "{args:?}");
                assert!(c.seq("timeline").is_empty(), "{args:?}");
                assert_eq!(c.int("timeline_omitted") as usize, n, "{args:?}");
                assert!(
                    c.get("tls").is_none() && c.get("hint").is_none(),
                    "{args:?}"
                );
                assert!(c.get("explanation").is_some() && c.get("client").is_some());
                assert_eq!(c.str("transport"), "tcp", "{args:?}");
                assert!(c.get("protocol").is_some(), "{args:?}");
            }
        }
        if full == 0 {
            let alerting = &conns[1];
            assert_eq!(alerting.str("verdict"), "client_alert");
            assert_eq!(
                alerting.seq("alerts")[0].str("description"),
                "unknown_ca",
                "a compact entry keeps its alert"
            );
        }
        run_ok(&["verify", out.to_str().unwrap()]);
    }
}
