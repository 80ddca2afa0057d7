//! `pcapscrub diagnose` verdicts (README, "Verdicts"): every committed sample against the verdict its
//! README promises (and the sanitize summary carrying the same facts), a real ClientHello
//! split, reordered, duplicated and wrapped around 2^32, and small synthetic conversations for
//! each verdict the samples show.
//!
//! Synthetic captures are built in code (see `fixtures_gen`); the only sample bytes reused are
//! the ClientHello record of `samples/tls13-only-vs-tls12-server.pcap`. Nothing here needs
//! tshark.

mod fixtures_gen;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fixtures_gen::conv::Conv;
use fixtures_gen::serde_json_like::Value;
use fixtures_gen::*;

// ---------------------------------------------------------------------------------------------
// Running diagnose and reading its YAML
// ---------------------------------------------------------------------------------------------

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// `pcapscrub diagnose` on in-memory capture bytes.
fn diagnose_bytes(bytes: &[u8]) -> Value {
    let s = Scratch::new();
    diagnose_yaml(&s.write("capture.pcap", bytes))
}

fn connections(report: &Value) -> &[Value] {
    report.seq("connections")
}

/// The only connection of a report (every fixture here holds exactly one).
fn only_connection(report: &Value) -> &Value {
    let conns = connections(report);
    assert_eq!(conns.len(), 1, "exactly one TCP connection expected");
    &conns[0]
}

fn opt_str<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    match v.get(path) {
        None | Some(Value::Null) => None,
        Some(Value::Str(s)) => Some(s),
        other => panic!("{path}: expected text or nothing, found {other:?}"),
    }
}

/// A value without its keyed pseudonyms (`…_pseudonym` keys): those depend on the run's
/// mapping key, which is random unless `--key` is given.
fn without_pseudonyms(v: &Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(
            m.iter()
                .filter(|(k, _)| !k.ends_with("_pseudonym"))
                .map(|(k, v)| (k.clone(), without_pseudonyms(v)))
                .collect(),
        ),
        Value::Seq(s) => Value::Seq(s.iter().map(without_pseudonyms).collect()),
        other => other.clone(),
    }
}

/// `conn.get(path)` without keyed pseudonyms.
fn fact(conn: &Value, path: &str) -> Option<Value> {
    conn.get(path).map(without_pseudonyms)
}

fn timeline_events(conn: &Value) -> Vec<String> {
    conn.seq("timeline")
        .iter()
        .map(|e| e.str("event").to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1a. Every sample against the README
// ---------------------------------------------------------------------------------------------

/// A plaintext alert: sender, description, code.
type PlainAlert = (&'static str, &'static str, i64);

/// One row of `samples/README.md`'s table, as the tool must report it.
struct Expect {
    file: &'static str,
    /// Top-level `verdict`.
    capture: &'static str,
    /// The connection's `verdict`.
    connection: &'static str,
    /// The plaintext alerts in `tls.alerts`, in order.
    plain_alerts: &'static [PlainAlert],
    /// Senders of the encrypted alerts in `tls.alerts`, sorted. TLS 1.3 alerts travel inside
    /// opaque type-23 records, so only TLS ≤ 1.2 encrypted alerts (type 21) can be listed.
    encrypted_alerts: &'static [&'static str],
    /// `tls.negotiated_version`.
    version: Option<&'static str>,
    /// `tls.hello_retry_request` (false when there is no `tls` block).
    hrr: bool,
    /// Length of `tls.server_certificates` (0 when the certificates are encrypted).
    server_certificates: usize,
    /// `tls.sni.length` when a ClientHello was seen.
    sni_length: Option<i64>,
}

/// "api.pcapscrub-test.example"
const SNI: Option<i64> = Some(26);

const fn row(file: &'static str, verdict: &'static str) -> Expect {
    Expect {
        file,
        capture: verdict,
        connection: verdict,
        plain_alerts: &[],
        encrypted_alerts: &[],
        version: None,
        hrr: false,
        server_certificates: 0,
        sni_length: None,
    }
}

/// The table of `samples/README.md`, one row per committed capture.
fn expectations() -> Vec<Expect> {
    vec![
        Expect {
            plain_alerts: &[("server", "protocol_version", 70)],
            sni_length: SNI,
            ..row("tls13-only-vs-tls12-server.pcap", "server_alert")
        },
        Expect {
            // "none (only the encrypted close_notify)": one from each side, type-21 records.
            encrypted_alerts: &["client", "server"],
            version: Some("TLS 1.2"),
            server_certificates: 2,
            sni_length: SNI,
            ..row("tls12-complete.pcap", "handshake_complete")
        },
        Expect {
            version: Some("TLS 1.3"),
            sni_length: SNI,
            ..row("tls13-complete.pcap", "handshake_complete")
        },
        row("syn-unanswered.pcap", "tcp_unanswered"),
        Expect {
            encrypted_alerts: &["client", "server"],
            version: Some("TLS 1.2"),
            server_certificates: 2,
            sni_length: SNI,
            ..row("ipv6-tls12-complete.pcap", "handshake_complete")
        },
        row("tcp-refused.pcap", "tcp_refused"),
        row("tcp-closed-before-hello.pcap", "tcp_closed_before_hello"),
        Expect {
            sni_length: SNI,
            ..row("hello-unanswered.pcap", "hello_unanswered")
        },
        Expect {
            sni_length: SNI,
            ..row("hello-reset.pcap", "hello_reset")
        },
        Expect {
            sni_length: SNI,
            ..row("hello-closed.pcap", "hello_closed")
        },
        Expect {
            plain_alerts: &[("client", "unknown_ca", 48)],
            version: Some("TLS 1.2"),
            server_certificates: 2,
            sni_length: SNI,
            ..row("client-alert-unknown-ca.pcap", "client_alert")
        },
        Expect {
            // The README's "client → encrypted (really unknown_ca)" is one 19-byte type-23
            // record: not identifiable as an alert on the wire, so `tls.alerts` stays empty
            // and the explanation says the alert, if any, is encrypted.
            version: Some("TLS 1.3"),
            sni_length: SNI,
            ..row("client-aborted-tls13.pcap", "client_aborted")
        },
        Expect {
            sni_length: SNI,
            ..row("not-tls.pcap", "not_tls")
        },
        Expect {
            version: Some("TLS 1.3"),
            hrr: true,
            sni_length: SNI,
            ..row("hrr-tls13.pcap", "handshake_complete")
        },
        Expect {
            version: Some("TLS 1.2"),
            server_certificates: 2,
            sni_length: SNI,
            ..row("handshake-incomplete.pcap", "handshake_incomplete")
        },
        // "unknown (TLS 1.2 records)": no handshake in the capture, so no negotiated version.
        // Only application data and the two encrypted close_notify alerts are in the capture.
        Expect {
            encrypted_alerts: &["client", "server"],
            ..row("mid-stream.pcap", "mid_stream")
        },
        Expect {
            encrypted_alerts: &["client", "server"],
            version: Some("TLS 1.2"),
            server_certificates: 2,
            sni_length: SNI,
            ..row("tls12-client-cert.pcap", "handshake_complete")
        },
        Expect {
            plain_alerts: &[("client", "unknown_ca", 48)],
            version: Some("TLS 1.3"),
            sni_length: SNI,
            ..row("client-alert-unknown-ca-tls13.pcap", "client_alert")
        },
    ]
}

/// What one connection of a report says, in the shape of [`Expect`].
#[derive(Debug, PartialEq)]
struct Seen {
    connection: String,
    plain_alerts: Vec<(String, String, i64)>,
    encrypted_alerts: Vec<String>,
    version: Option<String>,
    hrr: bool,
    server_certificates: usize,
    sni_length: Option<i64>,
}

fn seen(conn: &Value) -> Seen {
    let mut plain_alerts = Vec::new();
    let mut encrypted_alerts = Vec::new();
    if let Some(Value::Seq(alerts)) = conn.get("tls.alerts") {
        for a in alerts {
            let from = a.str("from").to_string();
            match a.get("encrypted") {
                Some(Value::Bool(true)) => encrypted_alerts.push(from),
                Some(Value::Bool(false)) => {
                    plain_alerts.push((from, a.str("description").to_string(), a.int("code")))
                }
                other => panic!("alert without an encrypted flag: {other:?}"),
            }
        }
    }
    encrypted_alerts.sort();
    Seen {
        connection: conn.str("verdict").to_string(),
        plain_alerts,
        encrypted_alerts,
        version: opt_str(conn, "tls.negotiated_version").map(str::to_string),
        hrr: matches!(conn.get("tls.hello_retry_request"), Some(Value::Bool(true))),
        server_certificates: match conn.get("tls.server_certificates") {
            Some(Value::Seq(c)) => c.len(),
            _ => 0,
        },
        sni_length: match conn.get("tls.sni.present") {
            Some(Value::Bool(true)) => Some(conn.int("tls.sni.length")),
            _ => None,
        },
    }
}

fn expected_seen(e: &Expect) -> Seen {
    Seen {
        connection: e.connection.to_string(),
        plain_alerts: e
            .plain_alerts
            .iter()
            .map(|(f, d, c)| (f.to_string(), d.to_string(), *c))
            .collect(),
        encrypted_alerts: e.encrypted_alerts.iter().map(|s| s.to_string()).collect(),
        version: e.version.map(str::to_string),
        hrr: e.hrr,
        server_certificates: e.server_certificates,
        sni_length: e.sni_length,
    }
}

#[test]
fn every_sample_has_its_expected_verdict() {
    let table = expectations();
    // The table covers exactly the committed samples.
    let mut on_disk: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("samples folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap"))
        .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = table.iter().map(|e| e.file.to_string()).collect();
    in_table.sort();
    assert_eq!(in_table, on_disk, "the table lists every samples/*.pcap");
    assert_eq!(table.len(), 18);

    let scratch = Scratch::new();
    let mut problems: Vec<String> = Vec::new();
    for e in &table {
        let path = samples_dir().join(e.file);
        let report = diagnose_yaml(&path);
        let capture = opt_str(&report, "verdict");
        if capture != Some(e.capture) {
            problems.push(format!(
                "{}: capture verdict {capture:?}, expected {:?}",
                e.file, e.capture
            ));
        }
        let conns = connections(&report);
        if conns.len() != 1 {
            problems.push(format!(
                "{}: {} connections, expected 1",
                e.file,
                conns.len()
            ));
            continue;
        }
        let conn = &conns[0];
        let got = seen(conn);
        let want = expected_seen(e);
        if got != want {
            problems.push(format!(
                "{}: diagnose says\n      {got:?}\n    expected\n      {want:?}",
                e.file
            ));
        }

        // The sanitize summary carries the same verdicts and the same facts.
        let outdir = scratch.path(e.file.trim_end_matches(".pcap"));
        sanitize_ok(&[&path], &outdir, &[]);
        let sum = summary(&outdir.join("capture.summary.yaml"));
        let sum_capture = opt_str(&sum, "verdict");
        if sum_capture != capture {
            problems.push(format!(
                "{}: summary verdict {sum_capture:?}, diagnose {capture:?}",
                e.file
            ));
        }
        let sum_conns = sum.seq("connections");
        if sum_conns.len() != 1 {
            problems.push(format!(
                "{}: summary lists {} connections",
                e.file,
                sum_conns.len()
            ));
            continue;
        }
        let sc = &sum_conns[0];
        for key in ["verdict", "explanation", "tcp", "tls", "timeline"] {
            if fact(sc, key) != fact(conn, key) {
                problems.push(format!(
                    "{}: summary `{key}` differs from diagnose:\n      summary  {:?}\n      diagnose {:?}",
                    e.file,
                    fact(sc, key),
                    fact(conn, key)
                ));
            }
        }
    }
    if !problems.is_empty() {
        let mut msg = format!("{} mismatch(es):\n", problems.len());
        for p in &problems {
            let _ = writeln!(msg, "  - {p}");
        }
        panic!("{msg}");
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic conversations
// ---------------------------------------------------------------------------------------------

/// The ClientHello record (header included) that curl sent in
/// `samples/tls13-only-vs-tls12-server.pcap`: the client's first TCP payload.
fn real_client_hello() -> &'static [u8] {
    static CH: OnceLock<Vec<u8>> = OnceLock::new();
    CH.get_or_init(|| {
        let bytes = std::fs::read(samples_dir().join("tls13-only-vs-tls12-server.pcap"))
            .expect("sample readable");
        let mut reader = pcap_file::pcap::PcapReader::new(&bytes[..]).expect("sample is a pcap");
        let mut client_port = None;
        while let Some(pkt) = reader.next_packet() {
            let pkt = pkt.expect("sample record readable");
            let Ok(sliced) = etherparse::SlicedPacket::from_ethernet(&pkt.data) else {
                continue;
            };
            let Some(etherparse::TransportSlice::Tcp(tcp)) = sliced.transport else {
                continue;
            };
            if tcp.syn() && !tcp.ack() {
                client_port = Some(tcp.source_port());
            }
            if client_port == Some(tcp.source_port()) && !tcp.payload().is_empty() {
                let p = tcp.payload().to_vec();
                assert_eq!(
                    p[0], 0x16,
                    "the client's first payload is a handshake record"
                );
                assert_eq!(p[5], 0x01, "…holding a ClientHello");
                let len = 5 + usize::from(u16::from_be_bytes([p[3], p[4]]));
                assert_eq!(p.len(), len, "the ClientHello record fills the segment");
                return p;
            }
        }
        panic!("no client payload in the sample");
    })
}

/// The server's plaintext fatal protocol_version alert.
const PROTOCOL_VERSION_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46];

// ---------------------------------------------------------------------------------------------
// 1b. A ClientHello split, reordered, duplicated, wrapped
// ---------------------------------------------------------------------------------------------

/// The playbook case: ClientHello (in one segment, or split at `cuts` and sent as 3, 1, 2, 1),
/// the server's fatal protocol_version alert, FIN both ways.
fn alert_conversation(client_isn: u32, cuts: Option<(usize, usize)>) -> Vec<u8> {
    let ch = real_client_hello();
    let mut conv = Conv::new(client_isn, SERVER_ISN);
    conv.handshake();
    match cuts {
        None => {
            conv.data(true, ch);
        }
        Some((a, b)) => {
            let parts = [(0, &ch[..a]), (a, &ch[a..b]), (b, &ch[b..])];
            for i in [2, 0, 1, 0] {
                let (off, bytes) = parts[i];
                conv.data_at(true, off, bytes);
            }
            conv.advance(true, ch.len());
        }
    }
    conv.ack(false)
        .data(false, &PROTOCOL_VERSION_ALERT)
        .fin(false)
        .ack(true)
        .fin(true)
        .ack(false);
    conv.pcap()
}

#[test]
fn split_client_hello_out_of_order_with_duplicate() {
    let ch_len = real_client_hello().len();
    assert!(ch_len > 400, "the sample's ClientHello is {ch_len} bytes");
    let cuts = (100, 300);
    // (name, client ISN): the first data byte is ISN + 1.
    let variants: [(&str, u32); 4] = [
        ("no wrap", CLIENT_ISN),
        // 2^32 is crossed 200 bytes into the ClientHello, inside the second segment.
        ("wrap inside segment 2", 0u32.wrapping_sub(201)),
        // The third segment starts at sequence number 0.
        ("wrap at segment 3", 0u32.wrapping_sub(301)),
        // The SYN takes 0xffffffff; the ClientHello starts at 0.
        ("wrap after SYN", u32::MAX),
    ];
    let mut problems = Vec::new();
    for (name, isn) in variants {
        let whole = diagnose_bytes(&alert_conversation(isn, None));
        let split = diagnose_bytes(&alert_conversation(isn, Some(cuts)));
        let (w, s) = (only_connection(&whole), only_connection(&split));

        // The one-segment conversation is the reference; it must itself be right.
        assert_eq!(w.str("verdict"), "server_alert", "{name}: one segment");
        assert_eq!(
            seen(w).plain_alerts,
            vec![("server".into(), "protocol_version".into(), 70)],
            "{name}: one segment"
        );
        assert_eq!(
            w.seq("tls.versions_offered"),
            &[Value::Str("TLS 1.3".into())],
            "{name}: one segment"
        );
        assert_eq!(w.int("tls.sni.length"), 26, "{name}: one segment");

        if opt_str(&split, "verdict") != opt_str(&whole, "verdict") {
            problems.push(format!(
                "{name}: capture verdict {:?} (split) vs {:?}",
                opt_str(&split, "verdict"),
                opt_str(&whole, "verdict")
            ));
        }
        for key in [
            "verdict",
            "tls.versions_offered",
            "tls.sni",
            "tls.groups_offered",
            "tls.key_share_groups",
            "tls.cipher_suites_offered",
            "tls.alpn_offered",
            "tls.alerts",
            "tls.records",
            "tls.incomplete",
            "tls",
        ] {
            if fact(s, key) != fact(w, key) {
                problems.push(format!(
                    "{name}: `{key}` split {:?} vs one segment {:?}",
                    fact(s, key),
                    fact(w, key)
                ));
            }
        }
        for (which, c) in [("split", s), ("one segment", w)] {
            let events = timeline_events(c);
            let hello = format!("ClientHello {} B", ch_len - 5);
            if !events.iter().any(|e| e.starts_with(&hello)) {
                problems.push(format!(
                    "{name} ({which}): no `{hello}…` in the timeline {events:?}"
                ));
            }
        }
        // The second copy of segment 1 is a retransmission; segment 3 arriving first is not.
        let retrans = (
            s.int("tcp.retransmitted_segments.client"),
            w.int("tcp.retransmitted_segments.client"),
        );
        if retrans != (1, 0) {
            problems.push(format!(
                "{name}: client retransmitted segments (split, whole) = {retrans:?}, expected (1, 0)"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// 1d. One synthetic conversation per verdict
// ---------------------------------------------------------------------------------------------

/// Diagnoses a conversation and checks its verdict (capture and connection); returns the
/// connection.
fn expect_verdict(conv: &Conv, verdict: &str) -> Value {
    let report = diagnose_bytes(&conv.pcap());
    let conn = only_connection(&report).clone();
    assert_eq!(
        conn.str("verdict"),
        verdict,
        "connection verdict; explanation: {}",
        conn.str("explanation")
    );
    assert_eq!(
        opt_str(&report, "verdict"),
        Some(verdict),
        "capture verdict"
    );
    conn
}

#[test]
fn tcp_refused() {
    let mut conv = Conv::standard();
    conv.syn().rst_ack(false);
    let conn = expect_verdict(&conv, "tcp_refused");
    assert!(conn.str("explanation").contains("443"), "names the port");
    assert_eq!(conn.get("tls"), None, "no TLS facts without TLS");
    assert_eq!(
        timeline_events(&conn),
        vec!["SYN".to_string(), "RST".to_string()]
    );
}

#[test]
fn tcp_unanswered_counts_three_retransmissions() {
    let mut conv = Conv::standard();
    for t in [0, 1_000_000, 3_000_000, 7_000_000] {
        conv.at(t).syn();
    }
    let conn = expect_verdict(&conv, "tcp_unanswered");
    assert_eq!(conn.int("tcp.syn_retransmissions"), 3);
    assert_eq!(conn.get("tcp.established"), Some(&Value::Bool(false)));
    let text = format!("{} {}", conn.str("explanation"), conn.str("hint"));
    assert!(
        text.contains("retransmitted 3 time"),
        "explanation or hint names 3 retransmissions: {text}"
    );
    assert_eq!(
        timeline_events(&conn),
        vec![
            "SYN",
            "SYN (retransmission 1)",
            "SYN (retransmission 2)",
            "SYN (retransmission 3)"
        ]
    );
    let times: Vec<f64> = conn
        .seq("timeline")
        .iter()
        .map(|e| match e.get("t") {
            Some(Value::Float(f)) => *f,
            Some(Value::Int(i)) => *i as f64,
            other => panic!("t: {other:?}"),
        })
        .collect();
    assert_eq!(times, vec![0.0, 1.0, 3.0, 7.0]);
}

#[test]
fn tcp_closed_before_hello() {
    let mut conv = Conv::standard();
    conv.handshake().fin(true).fin(false).ack(true);
    let conn = expect_verdict(&conv, "tcp_closed_before_hello");
    assert_eq!(conn.get("tcp.established"), Some(&Value::Bool(true)));
    assert_eq!(conn.str("tcp.first_close.by"), "client");
}

#[test]
fn hello_unanswered() {
    let mut conv = Conv::standard();
    conv.handshake().data(true, real_client_hello()).ack(false);
    let conn = expect_verdict(&conv, "hello_unanswered");
    assert!(
        conn.str("explanation").contains("capture ends"),
        "{}",
        conn.str("explanation")
    );
}

#[test]
fn hello_reset() {
    let mut conv = Conv::standard();
    conv.handshake().data(true, real_client_hello()).ack(false);
    conv.at(500_000).rst_ack(false);
    let conn = expect_verdict(&conv, "hello_reset");
    assert_eq!(conn.str("tcp.first_close.by"), "server");
    assert_eq!(conn.str("tcp.first_close.how"), "rst");
    assert_eq!(conn.seq("tls.alerts"), &[] as &[Value]);
    assert_eq!(conn.int("tls.records.server"), 0);
}

#[test]
fn hello_closed() {
    let mut conv = Conv::standard();
    conv.handshake().data(true, real_client_hello()).ack(false);
    conv.at(500_000).fin(false).fin(true).ack(false);
    let conn = expect_verdict(&conv, "hello_closed");
    assert_eq!(conn.str("tcp.first_close.by"), "server");
    assert_eq!(conn.str("tcp.first_close.how"), "fin");
}

#[test]
fn not_tls_http_answer() {
    let mut conv = Conv::standard();
    conv.server_port = 80;
    conv.handshake()
        .data(true, real_client_hello())
        .data(
            false,
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .fin(false)
        .rst_ack(true);
    let conn = expect_verdict(&conv, "not_tls");
    let explanation = conn.str("explanation");
    assert!(explanation.contains("HTTP"), "{explanation}");
    assert!(
        !explanation.contains("400") && !explanation.contains("Bad Request"),
        "the explanation labels the bytes, never quotes them: {explanation}"
    );
    assert!(conn.str("hint").contains("port 80"), "{}", conn.str("hint"));
    assert_eq!(conn.get("plaintext_protocol"), Some(&Value::Bool(false)));
    // The client did try TLS: its ClientHello is in the facts.
    assert_eq!(conn.int("tls.sni.length"), 26);
}

#[test]
fn mid_stream_application_data_only() {
    let mut conv = Conv::standard();
    let record = |t: u8, n: usize| {
        let mut r = vec![t, 3, 3, (n >> 8) as u8, n as u8];
        r.extend((0..n).map(|i| (i * 37 % 251) as u8));
        r
    };
    conv.data(true, &record(23, 64))
        .data(false, &record(23, 900))
        .ack(true)
        .data(false, &record(21, 26))
        .data(true, &record(21, 26))
        .fin(false)
        .fin(true)
        .ack(false);
    let conn = expect_verdict(&conv, "mid_stream");
    assert_eq!(conn.get("tcp.established"), Some(&Value::Bool(false)));
    let events = timeline_events(&conn);
    assert!(
        !events.iter().any(|e| e.contains("SYN")),
        "no SYN in {events:?}"
    );
}

#[test]
fn capture_without_tcp_has_no_verdict() {
    let frames = vec![
        pad60(ethernet(
            [0xff; 6],
            CLIENT_MAC,
            ETHERTYPE_ARP,
            &arp_request(CLIENT_MAC, CLIENT_V4, SERVER_V4),
        )),
        Link::Ethernet.frame(
            &ip_udp(
                Addr::V4(CLIENT_V4),
                Addr::V4(SERVER_V4),
                40_000,
                53,
                b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00",
            ),
            false,
            true,
        ),
    ];
    let bytes = pcap_file(PcapFormat::new(1), &timed(frames, false));
    let report = diagnose_bytes(&bytes);
    assert_eq!(report.get("verdict"), Some(&Value::Null), "{report:?}");
    assert!(connections(&report).is_empty());
    assert_eq!(report.int("packets"), 2);

    // The text report says so in words.
    let s = Scratch::new();
    let path = s.write("no-tcp.pcap", &bytes);
    let out = cmd().arg("diagnose").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0 TCP connections") && text.contains("verdict: none"),
        "{text}"
    );

    // And the summary has `verdict: null` too.
    let outdir = s.path("out");
    sanitize_ok(&[&path], &outdir, &[]);
    let sum = summary(&outdir.join("capture.summary.yaml"));
    assert_eq!(sum.get("verdict"), Some(&Value::Null));
    assert!(sum.seq("connections").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Captures that start inside the handshake
// ---------------------------------------------------------------------------------------------

/// The frames of a sample from the 1-based frame `first` on, as a new pcap.
fn sample_from_frame(file: &str, first: usize) -> Vec<u8> {
    let bytes = std::fs::read(samples_dir().join(file)).expect("sample readable");
    let (header, recs) = read_pcap(&bytes);
    let mut f = PcapFormat::new(header.datalink.into());
    f.nanosecond = header.ts_resolution == pcap_file::TsResolution::NanoSecond;
    let kept: Vec<Rec> = recs
        .into_iter()
        .skip(first - 1)
        .map(|r| Rec {
            ts_sec: r.ts_sec,
            ts_frac: r.ts_frac,
            data: r.data,
        })
        .collect();
    pcap_file(f, &kept)
}

/// The frame number (1-based) of the server's first payload: the ServerHello.
fn server_hello_frame(file: &str) -> usize {
    let bytes = std::fs::read(samples_dir().join(file)).expect("sample readable");
    let (_, recs) = read_pcap(&bytes);
    recs.iter()
        .position(|r| {
            let Ok(p) = etherparse::SlicedPacket::from_ethernet(&r.data) else {
                return false;
            };
            matches!(p.transport, Some(etherparse::TransportSlice::Tcp(t))
                if t.source_port() == 443 && t.payload().first() == Some(&0x16))
        })
        .expect("a ServerHello")
        + 1
}

/// A capture started after the ClientHello left: the server's flight, then the client's
/// plaintext fatal unknown_ca alert. The alert is in the capture; the client never "spoke
/// first with bytes that are not TLS".
#[test]
fn capture_starting_at_server_hello_keeps_the_client_alert() {
    let file = "client-alert-unknown-ca.pcap";
    let cut = sample_from_frame(file, server_hello_frame(file));
    let report = diagnose_bytes(&cut);
    let conn = only_connection(&report);
    assert_eq!(
        (conn.str("verdict"), seen(conn).plain_alerts),
        (
            "client_alert",
            vec![("client".into(), "unknown_ca".into(), 48)]
        ),
        "explanation: {}",
        conn.str("explanation")
    );
}

/// A complete TLS 1.2 handshake captured from the ServerHello on is not "not TLS".
#[test]
fn capture_starting_at_server_hello_of_a_complete_handshake() {
    let file = "tls12-complete.pcap";
    let cut = sample_from_frame(file, server_hello_frame(file));
    let report = diagnose_bytes(&cut);
    let conn = only_connection(&report);
    let verdict = conn.str("verdict");
    assert!(
        verdict == "handshake_complete" || verdict == "mid_stream",
        "verdict {verdict}: {}",
        conn.str("explanation")
    );
}

/// A FIN carried by a data segment comes after that data in sequence space: the timeline must
/// not show the client closing before it sent its last record. In
/// `client-aborted-tls13.pcap`, frame 13 is FIN,PSH,ACK carrying the client's 19-byte
/// encrypted record.
#[test]
fn fin_carried_with_data_comes_after_the_data_in_the_timeline() {
    let report = diagnose_yaml(&samples_dir().join("client-aborted-tls13.pcap"));
    let conn = only_connection(&report);
    let client_events: Vec<String> = conn
        .seq("timeline")
        .iter()
        .filter(|e| e.str("from") == "client")
        .map(|e| e.str("event").to_string())
        .collect();
    let record = client_events
        .iter()
        .position(|e| e.starts_with("encrypted record (19 B)"))
        .expect("the client's 19-byte record is in the timeline");
    let fin = client_events
        .iter()
        .position(|e| e == "FIN")
        .expect("the client's FIN is in the timeline");
    assert!(
        record < fin,
        "the client's FIN is listed before the record it carried: {client_events:?}"
    );
}
