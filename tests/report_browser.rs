//! `report.html` and the ladder SVG, read as files and rendered by a real browser.
//!
//! The browser tests need Debian's `chromium` and are run by `.ci/run` with the other ignored
//! tests; a missing chromium fails them when `CI` is set and skips them with a note otherwise
//! (`testkit::need`). Chromium runs headless with a fresh
//! profile, its host resolver answering nothing and, where `unshare --net` works, in a network
//! namespace of its own: nothing it does can leave the machine.

mod common;
mod fixtures_gen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::IgnoredAny;

use fixtures_gen::conv::Conv;

// ---------------------------------------------------------------------------------------------
// Inputs and their evidence
// ---------------------------------------------------------------------------------------------

/// The sample whose server refuses TLS 1.3 with a protocol_version alert.
const FAILING_SAMPLE: &str = "tls13-only-vs-tls12-server.pcap";
const COMPLETE_SAMPLE: &str = "tls13-complete.pcap";
/// Connections in the synthetic capture: more than report.html draws in full (200).
const MANY: usize = 250;
/// Connections report.html draws in full.
const DRAWN: usize = 200;

fn sample(name: &str) -> PathBuf {
    common::repo_root().join("samples").join(name)
}

/// A capture of [`MANY`] connections from as many client ports: even ones end in the server's
/// protocol_version alert (the first after 3 s of silence), odd ones close before any hello.
fn many_connections_pcap() -> Vec<u8> {
    let mut packets = Vec::new();
    for i in 0..MANY {
        let mut c = Conv::standard();
        let start = i as u64 * 1_000;
        c.at(start).handshake();
        if i == 0 {
            c.at(start + 3_000_000);
        }
        if i % 2 == 0 {
            c.alert_and_close();
        } else {
            c.fin(true).ack(false).fin(false).ack(true);
        }
        let port = 20_000 + i as u16;
        for p in c.packets() {
            let mut p = p.clone();
            if p.seg.from_client {
                p.seg.tcp.sport = port;
            } else {
                p.seg.tcp.dport = port;
            }
            packets.push(p);
        }
    }
    packets.sort_by_key(|p| p.t_us);
    let recs: Vec<fixtures_gen::Rec> = packets
        .iter()
        .map(|p| fixtures_gen::Rec {
            ts_sec: 1_700_000_000 + (p.t_us / 1_000_000) as u32,
            ts_frac: (p.t_us % 1_000_000) as u32,
            data: fixtures_gen::Link::Ethernet.frame(&p.seg.ip(false), false, p.seg.from_client),
        })
        .collect();
    fixtures_gen::pcap_file(fixtures_gen::PcapFormat::new(1), &recs)
}

/// One input's evidence folder.
struct Evidence {
    dir: PathBuf,
}

impl Evidence {
    /// Sanitizes `input` into a fresh folder under the test work folder.
    fn of(input: &Path, label: &str) -> Evidence {
        let dir = common::work_dir().join(format!("report-{label}"));
        let _ = std::fs::remove_dir_all(&dir);
        let out = common::run_sanitize(&[input], &dir, Some(common::key_file()));
        assert!(
            out.status.success(),
            "sanitize {}: {}",
            input.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Evidence { dir }
    }

    /// The one file of the folder whose name ends with `suffix`.
    fn file(&self, suffix: &str) -> PathBuf {
        let found: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        assert_eq!(found.len(), 1, "one *{suffix} in {}", self.dir.display());
        found[0].clone()
    }

    fn report(&self) -> PathBuf {
        self.dir.join("report.html")
    }

    fn summary(&self) -> Summary {
        let text = std::fs::read_to_string(self.file(".summary.yaml")).unwrap();
        serde_saphyr::from_str(&text).expect("the summary parses")
    }
}

fn failing() -> &'static Evidence {
    static E: OnceLock<Evidence> = OnceLock::new();
    E.get_or_init(|| Evidence::of(&sample(FAILING_SAMPLE), "failing"))
}

fn complete() -> &'static Evidence {
    static E: OnceLock<Evidence> = OnceLock::new();
    E.get_or_init(|| Evidence::of(&sample(COMPLETE_SAMPLE), "complete"))
}

fn many() -> &'static Evidence {
    static E: OnceLock<Evidence> = OnceLock::new();
    E.get_or_init(|| {
        let input = common::work_dir().join("many-connections.pcap");
        std::fs::write(&input, many_connections_pcap()).unwrap();
        Evidence::of(&input, "many")
    })
}

/// The parts of a summary these tests compare the report with.
#[derive(Deserialize)]
struct Summary {
    connections: Vec<SummaryConnection>,
    verdict: Option<String>,
}

#[derive(Deserialize)]
struct SummaryConnection {
    id: usize,
    verdict: String,
    timeline: Vec<IgnoredAny>,
    /// Events past the summary's cap (`--summary-timeline`): the report still draws them.
    #[serde(default)]
    timeline_omitted: usize,
    tls: Option<SummaryTls>,
}

#[derive(Deserialize)]
struct SummaryTls {
    alerts: Vec<SummaryAlert>,
}

#[derive(Deserialize)]
struct SummaryAlert {
    description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Reading the markup
// ---------------------------------------------------------------------------------------------

/// The text of the first element whose class list starts with `class`.
fn text_of_class<'a>(markup: &'a str, class: &str) -> Option<&'a str> {
    let at = markup.find(&format!("class=\"{class}"))?;
    let rest = &markup[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')?;
    Some(&rest[start..start + end])
}

/// Each drawn connection's section, by its number (`id="conn-N"`), with its markup.
fn sections(markup: &str) -> BTreeMap<usize, &str> {
    let mut out = BTreeMap::new();
    for (at, _) in markup.match_indices("<section class=\"connection\" id=\"conn-") {
        let rest = &markup[at..];
        let digits: String = rest["<section class=\"connection\" id=\"conn-".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let end = rest.find("</section>").expect("a closed section");
        out.insert(digits.parse().unwrap(), &rest[..end]);
    }
    out
}

fn arrows(markup: &str) -> usize {
    markup.matches("class=\"arrow ").count()
}

/// Every drawn connection has one arrow per timeline event of its summary entry.
fn assert_arrows_match(markup: &str, summary: &Summary, what: &str) -> usize {
    let drawn = sections(markup);
    assert!(!drawn.is_empty(), "{what}: no connection drawn");
    for c in &summary.connections {
        if let Some(section) = drawn.get(&c.id) {
            assert_eq!(
                arrows(section),
                c.timeline.len(),
                "{what}: connection {} arrows",
                c.id
            );
            assert_eq!(c.timeline_omitted, 0, "{what}: connection {}", c.id);
            assert!(
                section.contains(&c.verdict),
                "{what}: connection {} verdict",
                c.id
            );
        }
    }
    drawn.len()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The files themselves (no browser)
// ---------------------------------------------------------------------------------------------

#[test]
fn report_html_holds_no_script_and_no_url_of_any_kind() {
    for e in [failing(), complete(), many()] {
        let html = read(&e.report());
        let shown = e.report().display().to_string();
        for forbidden in ["<script", "http:", "https:", "//", "xmlns", "url("] {
            assert!(!html.contains(forbidden), "{shown} holds {forbidden}");
        }
        assert!(
            html.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            ),
            "{shown}: the strict CSP"
        );
    }
}

#[test]
fn every_drawn_connection_has_one_arrow_per_timeline_event() {
    for e in [failing(), complete(), many()] {
        assert_arrows_match(&read(&e.report()), &e.summary(), "report.html");
    }
}

#[test]
fn a_large_capture_draws_the_first_connections_and_lists_all() {
    let html = read(&many().report());
    let summary = many().summary();
    assert_eq!(summary.connections.len(), MANY);
    assert_eq!(sections(&html).len(), DRAWN);
    assert_eq!(
        html.matches("<tr><td>").count(),
        MANY,
        "one table row per connection"
    );
    assert!(html.contains(&format!("the other {} are in the table only", MANY - DRAWN)));
    // The table starts with the most significant verdict: the capture's.
    let verdict = text_of_class(&html, "capture-verdict");
    assert_eq!(verdict, summary.verdict.as_deref());
    let table = &html[html.find("<table class=\"connections\">").unwrap()..];
    assert_eq!(
        text_of_class(table, "failure"),
        verdict,
        "first row's verdict"
    );
    let others = summary
        .connections
        .iter()
        .filter(|c| c.verdict != summary.verdict.as_deref().unwrap())
        .count();
    assert_eq!(others, MANY / 2, "the odd connections have another verdict");
    // The 3 s of silence in the first connection is a labelled break.
    assert!(html.contains("class=\"gap\""), "a gap is drawn");
    assert!(html.contains("+3.00 s"), "the gap is labelled");
}

#[test]
fn ladder_svg_draws_the_failing_connections_with_only_the_namespace_url() {
    let e = failing();
    let svg = read(&e.file(".ladder.svg"));
    let summary = e.summary();
    let failing_events: usize = summary
        .connections
        .iter()
        .filter(|c| c.verdict != "handshake_complete" && c.verdict != "mid_stream")
        .map(|c| c.timeline.len())
        .sum();
    assert!(failing_events > 0);
    assert_eq!(arrows(&svg), failing_events);
    assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(svg.matches("http").count(), 1, "only the namespace name");
    assert!(!svg.contains("<script"));
    let none = read(&complete().file(".ladder.svg"));
    assert_eq!(arrows(&none), 0, "no failing connection, no arrow");
}

/// `verify` re-hashes report.html like every listed file, and refuses one that names a URL or
/// an address outside the documentation ranges even when its digest was updated to match.
#[test]
fn verify_refuses_a_report_with_a_url_or_a_real_address() {
    let src = failing();
    for (label, planted, expected) in [
        (
            "url",
            "<img src=\"https://example.com/x.png\">",
            "holds a `https:` URL",
        ),
        (
            "address",
            "<p>10.1.2.3:443</p>",
            "outside the documentation ranges",
        ),
    ] {
        let dir = common::work_dir().join(format!("report-tampered-{label}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&src.dir).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
        let report = dir.join("report.html");
        let html = read(&report).replace("</body>", &format!("{planted}</body>"));
        std::fs::write(&report, &html).unwrap();
        let digest = {
            use sha2::Digest;
            sha2::Sha256::digest(html.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let sums: String = read(&dir.join("SHA256SUMS"))
            .lines()
            .map(|l| match l.split_once("  ") {
                Some((_, "report.html")) => format!("{digest}  report.html\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
        let out = Command::new(common::pcapscrub_bin())
            .arg("verify")
            .arg(&dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{label}: {text}");
        assert!(text.contains(expected), "{label}: {text}");
        assert!(!text.contains("SHA-256 does not match"), "{label}: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Chromium
// ---------------------------------------------------------------------------------------------

const CHROMIUM: &str = "chromium";

/// Whether chromium runs (decided once).
fn chromium_usable() -> bool {
    static USABLE: OnceLock<bool> = OnceLock::new();
    *USABLE.get_or_init(|| {
        testkit::need::tool(
            "chromium",
            Command::new("timeout").args(["60", CHROMIUM, "--version"]),
        )
    })
}

/// Whether chromium can run in a network namespace of its own (root, or user namespaces).
fn network_namespace() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("timeout")
            .args(["10", "unshare", "--net", "true"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs headless chromium on `page` with `extra` flags (a fresh profile each time, no
/// networking), bounded to two minutes.
fn chromium(page: &Path, extra: &[String]) -> Output {
    assert!(chromium_usable(), "chromium is required");
    let profile = tempfile::Builder::new()
        .prefix("chromium-profile-")
        .tempdir_in(common::work_dir())
        .unwrap();
    let mut cmd = Command::new("timeout");
    cmd.arg("120");
    if network_namespace() {
        cmd.args(["unshare", "--net"]);
    }
    cmd.arg(CHROMIUM).args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.path().display()));
    cmd.args(extra);
    cmd.arg(format!("file://{}", page.display()));
    let out = cmd.output().expect("cannot run chromium");
    assert!(
        out.status.success(),
        "chromium on {}: {}\n{}",
        page.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn dump_dom(page: &Path) -> String {
    let out = chromium(page, &["--dump-dom".to_string()]);
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

#[test]
#[ignore = "needs chromium: run by .ci/run"]
fn chromium_shows_the_verdict_the_alert_and_one_arrow_per_event() {
    if !chromium_usable() {
        return;
    }
    for (e, alert) in [
        (failing(), Some("protocol_version")),
        (complete(), None),
        (many(), Some("protocol_version")),
    ] {
        let summary = e.summary();
        let dom = dump_dom(&e.report());
        let what = e.dir.display().to_string();
        assert_eq!(
            text_of_class(&dom, "capture-verdict"),
            summary.verdict.as_deref(),
            "{what}: the capture's verdict"
        );
        let summary_alert = summary
            .connections
            .iter()
            .filter_map(|c| c.tls.as_ref())
            .flat_map(|t| &t.alerts)
            .find_map(|a| a.description.as_deref());
        assert_eq!(summary_alert, alert, "{what}: the summary's alert");
        if let Some(alert) = alert {
            assert!(dom.contains(alert), "{what}: the alert name");
            assert!(
                dom.contains(&format!("Alert fatal {alert}")),
                "{what}: the alert's arrow label"
            );
        }
        let drawn = assert_arrows_match(&dom, &summary, &what);
        assert_eq!(drawn, summary.connections.len().min(DRAWN), "{what}");
    }
}

/// A decoded screenshot's pixels as RGB.
fn screenshot_pixels(page: &Path, label: &str) -> Vec<[u8; 3]> {
    let png_path = common::work_dir().join(format!("screenshot-{label}.png"));
    let _ = std::fs::remove_file(&png_path);
    chromium(
        page,
        &[
            format!("--screenshot={}", png_path.display()),
            "--window-size=1200,2000".to_string(),
        ],
    );
    let bytes = std::fs::read(&png_path).expect("chromium wrote the screenshot");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "a colour screenshot");
    buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

#[test]
#[ignore = "needs chromium: run by .ci/run"]
fn chromium_screenshot_is_not_blank_and_shows_the_alert_in_red() {
    if !chromium_usable() {
        return;
    }
    let pixels = screenshot_pixels(&failing().report(), "failing");
    let distinct: std::collections::BTreeSet<[u8; 3]> = pixels.iter().copied().collect();
    let non_white = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(distinct.len() > 16, "{} colours", distinct.len());
    assert!(
        non_white * 100 > pixels.len(),
        "{non_white} of {} pixels are not white",
        pixels.len()
    );
    // The alert's arrow and the failing verdict are drawn in red (#c00000 and #a00000).
    let red = pixels
        .iter()
        .filter(|p| p[0] > 150 && p[1] < 60 && p[2] < 60)
        .count();
    assert!(red > 200, "{red} red pixels");
}

/// The page asks for nothing: chromium's network log holds no request made by the page (its
/// own background requests name no initiator), and its console reports no blocked load.
#[test]
#[ignore = "needs chromium: run by .ci/run"]
fn opening_the_report_sends_no_request() {
    if !chromium_usable() {
        return;
    }
    for (e, label) in [(failing(), "failing"), (many(), "many")] {
        let netlog = common::work_dir().join(format!("netlog-{label}.json"));
        let out = chromium(
            &e.report(),
            &[
                "--dump-dom".to_string(),
                format!("--log-net-log={}", netlog.display()),
                "--enable-logging=stderr".to_string(),
                "--v=0".to_string(),
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The page's console messages (a blocked load among them) name it as their source;
        // chromium's own pages log from chrome: sources.
        for line in stderr.lines() {
            assert!(
                !(line.contains(":CONSOLE") && line.contains("source: file:")),
                "{label}: console: {line}"
            );
        }
        let requests = page_requests(&netlog);
        assert!(
            requests.is_empty(),
            "{label}: the page asked for {requests:?}"
        );
    }
}

/// The URLs of the requests a page made, from chromium's network log: those with an initiator
/// (a `file:` page's is `null`); the browser's own have "not an origin".
fn page_requests(netlog: &Path) -> Vec<String> {
    let log: serde_json::Value =
        serde_json::from_str(&read(netlog)).expect("the network log is JSON");
    let types = &log["constants"]["logEventTypes"];
    let start_job = types["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("the log names its event types");
    log["events"]
        .as_array()
        .expect("the log has events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        // A job's end is logged under the same type, without its URL.
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

/// The checks above do see a page's requests: an external image is in the network log when no
/// CSP forbids it, and its blocked load is on the console when the report's CSP does.
#[test]
#[ignore = "needs chromium: run by .ci/run"]
fn the_request_check_catches_a_page_that_fetches() {
    if !chromium_usable() {
        return;
    }
    let page = common::work_dir().join("fetching-page.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><img src=\"http://192.0.2.1/x.png\"></body></html>",
    )
    .unwrap();
    let netlog = common::work_dir().join("netlog-fetching.json");
    chromium(
        &page,
        &[
            "--dump-dom".to_string(),
            format!("--log-net-log={}", netlog.display()),
        ],
    );
    assert_eq!(page_requests(&netlog), vec!["http://192.0.2.1/x.png"]);

    let csp = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    std::fs::write(
        &page,
        format!(
            "<!DOCTYPE html><html><head>{csp}</head><body><img src=\"http://192.0.2.1/x.png\"></body></html>"
        ),
    )
    .unwrap();
    let out = chromium(
        &page,
        &[
            "--dump-dom".to_string(),
            "--enable-logging=stderr".to_string(),
            "--v=0".to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(":CONSOLE") && l.contains("source: file:")),
        "the blocked load is on the console: {stderr}"
    );
}
