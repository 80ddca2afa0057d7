//! Connections carried in tunnels (SPEC.md §9.1): the real captures of `samples/paths/` made
//! through VXLAN (on 4789 and on 8472), GRE, GRETAP, IPIP, SIT, 4in6, 6in6, GENEVE, GTP-U,
//! L2TPv2 and ERSPAN II/III tunnels, and over an MPLS label stack. `diagnose` sees the inner connection with its path; the sanitized copy keeps the inner handshake readable in
//! tshark with every address at every layer documented and every checksum right.

mod common;
mod fixtures_gen;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{CHECKSUM_PREFS, KEY, tshark, tshark_fields, v4_allowed, v6_allowed};
use fixtures_gen::{Scratch, cmd, diagnose_yaml, stderr_text};

/// Each tunnel sample and the first word of its path (`vxlan:42 ADDR ADDR`).
const TUNNELS: [(&str, &str); 14] = [
    ("vxlan.pcap", "vxlan:"),
    ("gre.pcap", "gre"),
    ("gretap.pcap", "gre"),
    ("ipip.pcap", "ipip"),
    ("sit.pcap", "6in4"),
    ("geneve.pcap", "geneve:"),
    ("gtpu.pcap", "gtpu"),
    ("l2tp.pcap", "l2tp"),
    ("vxlan-8472.pcap", "vxlan:"),
    ("4in6.pcap", "4in6"),
    ("6in6.pcap", "6in6"),
    ("erspan2.pcap", "erspan:119"),
    ("erspan3.pcap", "erspan:119"),
    ("mpls.pcap", "mpls"),
];

/// The name the samples' client asks for (samples/make-paths.sh).
const SNI: &str = "api.pcapscrub-test.example";

/// The inner connection is IPv6 (6in4, 6in6).
fn inner_v6(name: &str) -> bool {
    matches!(name, "sit.pcap" | "6in6.pcap")
}

/// The path has no tunnel endpoints: an MPLS label stack is part of the link, before the one
/// IP header.
fn label_stack(name: &str) -> bool {
    name == "mpls.pcap"
}

/// The tunnel's endpoints are IPv6 (fd77:10::1 and ::2: 4in6, 6in6).
fn outer_v6(name: &str) -> bool {
    matches!(name, "4in6.pcap" | "6in6.pcap")
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/paths")
        .join(name)
}

#[test]
fn diagnose_sees_the_tunnelled_handshake_and_its_path() {
    for (name, kind) in TUNNELS {
        let report = diagnose_yaml(&sample(name));
        let conns = report.seq("connections");
        assert_eq!(conns.len(), 1, "{name}: one inner connection");
        let c = &conns[0];
        assert_eq!(c.str("verdict"), "handshake_complete", "{name}");
        assert_eq!(
            c.str("server"),
            if inner_v6(name) {
                "[fd77:11::2]:443"
            } else {
                "10.77.11.2:443"
            }
        );
        let path = c.seq("path");
        assert_eq!(path.len(), 1, "{name}: {path:?}");
        let layer = path[0].as_str().expect("a path layer is text");
        let words: Vec<&str> = layer.split(' ').collect();
        assert!(words[0].starts_with(kind), "{name}: {layer}");
        // The tunnel's endpoints, real addresses without --sanitized.
        if label_stack(name) {
            assert_eq!(words, ["mpls"], "{name}: {layer}");
            continue;
        }
        let ends = if outer_v6(name) {
            ["fd77:10::1", "fd77:10::2"]
        } else {
            ["10.77.10.1", "10.77.10.2"]
        };
        assert_eq!(&words[1..], ends, "{name}: {layer}");
    }
}

#[test]
fn diagnose_text_names_the_path_and_plain_connections_have_none() {
    let out = cmd()
        .arg("diagnose")
        .arg(sample("vxlan.pcap"))
        .output()
        .expect("run pcapscrub");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("handshake_complete  via vxlan:"),
        "the connection line names the path:\n{text}"
    );
    let plain =
        diagnose_yaml(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tls13-complete.pcap"));
    assert!(plain.seq("connections")[0].get("path").is_none());
}

#[test]
fn check_finds_the_inner_addresses_of_a_raw_capture() {
    for (name, _) in TUNNELS {
        let out = cmd().arg("check").arg(sample(name)).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: findings expected");
        let text = String::from_utf8_lossy(&out.stdout);
        // The inner connection's addresses (10.77.11.x) and the tunnel's (10.77.10.x).
        let inner = if inner_v6(name) {
            "address: fd77:11:"
        } else {
            "address: 10.77.x.x"
        };
        assert!(text.contains(inner), "{name}:\n{text}");
        assert!(text.contains("sni: "), "{name}:\n{text}");
        if label_stack(name) {
            continue;
        }
        let endpoint = if outer_v6(name) {
            "address: tunnel endpoint fd77:10:"
        } else {
            "address: tunnel endpoint 10.77.x.x"
        };
        assert!(text.contains(endpoint), "{name}:\n{text}");
    }
}

/// What tshark shows of a capture: per frame, the values of `fields`.
/// `name`: the sample's, which tells tshark how to decode it (a VXLAN port of its own).
fn fields(path: &Path, name: &str, prefs: &[&str], fields: &[&str]) -> Vec<Vec<Vec<String>>> {
    tshark_fields(path, name, prefs, fields).unwrap_or_else(|e| panic!("{e}"))
}

fn count_type(path: &Path, name: &str, handshake_type: &str) -> usize {
    fields(path, name, &[], &["tls.handshake.type"])
        .iter()
        .flat_map(|r| r[0].iter())
        .filter(|t| t.split(',').any(|t| t == handshake_type))
        .count()
}

#[test]
#[ignore = "needs tshark: run by .ci/run"]
fn sanitized_tunnels_keep_the_handshake_with_every_layer_rewritten() {
    if !tshark() {
        return;
    }
    let s = Scratch::new();
    let key = s.write("key", KEY);
    let mut failures = Vec::new();
    for (name, _) in TUNNELS {
        let input = sample(name);
        let outdir = s.path(name);
        let out = Command::new(fixtures_gen::bin())
            .arg("sanitize")
            .arg(&input)
            .arg("-o")
            .arg(&outdir)
            .arg("--key")
            .arg(&key)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr_text(&out));
        let output = outdir.join("capture.sanitized.pcap");
        for (t, what) in [("1", "ClientHello"), ("2", "ServerHello")] {
            let (i, o) = (count_type(&input, name, t), count_type(&output, name, t));
            if i == 0 || i != o {
                failures.push(format!(
                    "{name}: {what} {i} in the input, {o} in the output"
                ));
            }
        }
        for row in fields(
            &output,
            name,
            &[],
            &["tls.handshake.extensions_server_name"],
        ) {
            for sni in &row[0] {
                if sni == SNI {
                    failures.push(format!("{name}: the inner SNI survived"));
                }
            }
        }
        let addresses = fields(&output, name, &[], &["ip.addr", "ipv6.addr"]);
        for row in &addresses {
            for a in &row[0] {
                let ok = a.parse::<Ipv4Addr>().is_ok_and(v4_allowed);
                if !ok {
                    failures.push(format!("{name}: IPv4 address {a} not documented"));
                }
            }
            for a in &row[1] {
                let ok = a.parse::<Ipv6Addr>().is_ok_and(v6_allowed);
                if !ok {
                    failures.push(format!("{name}: IPv6 address {a} not documented"));
                }
            }
        }
        // Every layer's addresses: the outer and the inner IP header of every packet (one IP
        // header under an MPLS label stack).
        let layers = addresses
            .iter()
            .map(|r| r[0].len() + r[1].len())
            .max()
            .unwrap_or(0);
        if layers < if label_stack(name) { 2 } else { 4 } {
            failures.push(format!(
                "{name}: tshark sees {layers} addresses, not two layers"
            ));
        }
        let statuses = ["ip", "tcp", "udp", "gre"].map(|p| format!("{p}.checksum.status"));
        let status_fields: Vec<&str> = statuses.iter().map(String::as_str).collect();
        for (n, row) in fields(&output, name, CHECKSUM_PREFS, &status_fields)
            .iter()
            .enumerate()
        {
            for (k, col) in row.iter().enumerate() {
                if col.iter().any(|s| s == "0" || s == "4") {
                    failures.push(format!("{name}: frame {}: bad {}", n + 1, statuses[k]));
                }
            }
        }
        let check = cmd().arg("check").arg(&output).output().unwrap();
        if check.status.code() != Some(0) {
            failures.push(format!(
                "{name}: check on the sanitized copy: {}",
                String::from_utf8_lossy(&check.stdout)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
