//! QUIC connections diagnosed (issue #19, docs/udp.md): each samples/udp/quic-*.pcap through
//! `pcapscrub diagnose --format json`, its verdict and the timeline events the Initial packets
//! give without a key log. Nothing here needs tshark.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn diagnose(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples/udp")
        .join(name);
    let out = Command::cargo_bin("pcapscrub")
        .unwrap()
        .args(["diagnose", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A connection's verdict and its timeline as `from: event` lines.
fn reading(conn: &Value) -> (String, Vec<String>) {
    let events = conn["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["from"].as_str().unwrap(),
                e["event"].as_str().unwrap()
            )
        })
        .collect();
    (conn["verdict"].as_str().unwrap().to_string(), events)
}

fn has(events: &[String], wanted: &str) -> bool {
    events.iter().any(|e| e == wanted)
}

#[test]
fn complete_handshake_both_sides_send_1rtt() {
    let report = diagnose("quic-complete.pcap");
    let conn = &report["connections"][0];
    assert_eq!(conn["protocol"], "quic");
    let (verdict, events) = reading(conn);
    assert_eq!(verdict, "handshake_complete", "{events:#?}");
    assert!(has(
        &events,
        "client: Initial: ClientHello 487 B offering only TLS 1.3, SNI of 26 characters"
    ));
    assert!(has(
        &events,
        "server: Initial: ServerHello TLS 1.3, TLS_AES_256_GCM_SHA384"
    ));
    assert!(has(&events, "client: first 1-RTT packet"));
    assert!(has(&events, "server: first 1-RTT packet"));
    assert_eq!(conn["tls"]["sni"]["length"], 26);
    assert_eq!(conn["tls"]["alpn_offered"][0], "h3");
}

#[test]
fn rejected_certificate_is_a_client_alert_from_connection_close() {
    let report = diagnose("quic-cert-rejected.pcap");
    let conn = &report["connections"][0];
    let (verdict, events) = reading(conn);
    assert_eq!(verdict, "client_alert", "{events:#?}");
    assert!(
        conn["explanation"]
            .as_str()
            .unwrap()
            .contains("bad_certificate alert (42)")
    );
    assert!(has(
        &events,
        "client: CONNECTION_CLOSE with TLS alert bad_certificate (42)"
    ));
    assert!(!has(&events, "client: first 1-RTT packet"));
}

#[test]
fn version_negotiation_is_a_timeline_event_and_the_retry_completes() {
    let report = diagnose("quic-version-negotiation.pcap");
    let conns = report["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    let (_, first) = reading(&conns[0]);
    assert!(
        has(
            &first,
            "server: Version Negotiation offering 0x00000001, 0x6b3343cf"
        ),
        "{first:#?}"
    );
    let (verdict, second) = reading(&conns[1]);
    assert_eq!(verdict, "handshake_complete", "{second:#?}");
}
