//! IPv6 data that must not survive `sanitize`, whatever its kind: multicast groups built from
//! unicast data (RFC 3306 prefixes, RFC 3956 rendezvous points, RFC 4489 interface identifiers,
//! RFC 4620 node-information hashes, solicited-node groups and their 33:33 MACs) and the data
//! of hop-by-hop options (padding, router alert, jumbo payload).
//!
//! Every case is a TLS conversation between two IPv6 hosts plus crafted packets that carry
//! planted bytes; each is sanitized under `ticket`, `strict` and `review` through the real
//! binary, and the output's bytes are checked: the planted bytes are gone and what replaced them
//! is what the RFC allows. `check` must call every raw capture unclean (exit 1). A tshark test
//! (ignored, run by CI) checks that the outputs dissect with valid checksums.

mod common;
mod fixtures_gen;

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use fixtures_gen::*;

const POLICIES: [&str; 3] = ["ticket", "strict", "review"];

const CLIENT: &str = "fd00::1";
/// The server: its low 24 bits (c3:d4:e5) are what its solicited-node group repeats.
const SERVER: &str = "fd00::a1:b2c3:d4e5";
/// A host's MAC, its EUI-64 link-local address and the RFC 4489 group built from it.
const HOST_MAC: [u8; 6] = [0x3c, 0x22, 0xfb, 0x01, 0x02, 0x03];
const HOST_LINK_LOCAL: &str = "fe80::3e22:fbff:fe01:203";
const HOST_IID: [u8; 8] = [0x3e, 0x22, 0xfb, 0xff, 0xfe, 0x01, 0x02, 0x03];

fn v6(s: &str) -> [u8; 16] {
    s.parse::<Ipv6Addr>().expect("test address").octets()
}

/// 33:33 followed by the low 32 bits of an IPv6 multicast group (RFC 2464).
fn group_mac(group: [u8; 16]) -> [u8; 6] {
    [0x33, 0x33, group[12], group[13], group[14], group[15]]
}

fn syn(sport: u16, dport: u16) -> TcpSeg {
    TcpSeg {
        sport,
        dport,
        seq: 0x0102_0304,
        ack: 0,
        flags: TCP_SYN,
        window: 1024,
        options: Vec::new(),
        payload: Vec::new(),
    }
}

/// A TCP SYN in IPv6; with `hop_by_hop` (its next header must be TCP) between the two.
fn tcp_v6(src: [u8; 16], dst: [u8; 16], hop_by_hop: &[u8]) -> Vec<u8> {
    let tcp = tcp_segment(Addr::V6(src), Addr::V6(dst), &syn(40_000, 443));
    if hop_by_hop.is_empty() {
        return ipv6_packet(src, dst, 6, &tcp);
    }
    let mut payload = hop_by_hop.to_vec();
    payload.extend_from_slice(&tcp);
    ipv6_packet(src, dst, 0, &payload)
}

/// An ICMPv6 neighbour solicitation for `target` with a source link-layer address option.
fn neighbour_solicitation(src: [u8; 16], dst: [u8; 16], target: [u8; 16], mac: [u8; 6]) -> Vec<u8> {
    let mut body = target.to_vec();
    body.extend_from_slice(&[1, 1]);
    body.extend_from_slice(&mac);
    ipv6_packet(src, dst, 58, &icmpv6(src, dst, 135, 0, [0; 4], &body))
}

fn eth(dst: [u8; 6], src: [u8; 6], ip: &[u8]) -> Vec<u8> {
    pad60(ethernet(dst, src, ETHERTYPE_IPV6, ip))
}

/// An Ethernet frame to a multicast group, with the MAC RFC 2464 gives it.
fn to_group(src_mac: [u8; 6], ip: &[u8]) -> Vec<u8> {
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&ip[24..40]);
    eth(group_mac(dst), src_mac, ip)
}

/// The TLS conversation of the fixtures between CLIENT and SERVER.
fn conversation() -> Vec<Vec<u8>> {
    let (client, server) = (v6(CLIENT), v6(SERVER));
    tls_conversation()
        .iter()
        .map(|s| {
            let (src, dst, smac, dmac) = if s.from_client {
                (client, server, CLIENT_MAC, SERVER_MAC)
            } else {
                (server, client, SERVER_MAC, CLIENT_MAC)
            };
            eth(dmac, smac, &ip_tcp(Addr::V6(src), Addr::V6(dst), &s.tcp))
        })
        .collect()
}

/// One class: crafted frames after the conversation, and byte strings that must not survive.
struct Case {
    name: &'static str,
    frames: Vec<Vec<u8>>,
    planted: Vec<Vec<u8>>,
}

impl Case {
    fn capture(&self) -> Vec<u8> {
        let mut frames = conversation();
        frames.extend(self.frames.iter().cloned());
        pcap_file(PcapFormat::new(1), &timed(frames, false))
    }
}

/// An IPv6 frame on Ethernet as written: Ethernet destination, IPv6 source, IPv6 destination,
/// the frame's bytes.
type V6Frame<'a> = ([u8; 6], [u8; 16], [u8; 16], &'a [u8]);

/// One sanitized output: its file bytes and its frames.
struct Output {
    policy: &'static str,
    bytes: Vec<u8>,
    frames: Vec<Vec<u8>>,
}

impl Output {
    /// The IPv6 frames on Ethernet.
    fn ipv6(&self) -> Vec<V6Frame<'_>> {
        self.frames
            .iter()
            .filter(|f| f.len() >= 54 && f[12..14] == ETHERTYPE_IPV6.to_be_bytes())
            .map(|f| {
                let mut mac = [0u8; 6];
                mac.copy_from_slice(&f[..6]);
                let mut src = [0u8; 16];
                src.copy_from_slice(&f[22..38]);
                let mut dst = [0u8; 16];
                dst.copy_from_slice(&f[38..54]);
                (mac, src, dst, f.as_slice())
            })
            .collect()
    }

    /// Frames sent to a group starting with `prefix`; at least one (the TCP one survives every
    /// policy).
    fn to_groups(&self, prefix: &[u8]) -> Vec<V6Frame<'_>> {
        let found: Vec<_> = self
            .ipv6()
            .into_iter()
            .filter(|(_, _, dst, _)| dst.starts_with(prefix))
            .collect();
        assert!(
            !found.is_empty(),
            "{}: no frame to a group starting {prefix:02x?} in the output",
            self.policy
        );
        found
    }

    /// The server's address as written (source of its TLS segments, port 443).
    fn server(&self) -> [u8; 16] {
        self.ipv6()
            .into_iter()
            .find(|(_, _, _, f)| f[20] == 6 && f[54..56] == 443u16.to_be_bytes())
            .map(|(_, src, _, _)| src)
            .expect("the server's segments are in the output")
    }
}

fn output_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("evidence folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".sanitized.pcap"))
        })
        .expect("a sanitized capture in the evidence folder")
}

/// Sanitizes the case under every policy (same key), after `check` called the raw capture
/// unclean; asserts the planted bytes are gone from every output and returns the outputs.
fn run(case: &Case) -> Vec<Output> {
    let s = Scratch::new();
    let input = s.write(&format!("{}.pcap", case.name), &case.capture());
    let key = s.write("key", &[0x42; 32]);
    let key = key.to_str().expect("utf-8 path");
    POLICIES
        .iter()
        .map(|&policy| {
            let check = cmd()
                .args(["check", "-p", policy])
                .arg(&input)
                .output()
                .expect("run check");
            assert_eq!(
                check.status.code(),
                Some(1),
                "{}: check -p {policy} must report the raw capture: {}",
                case.name,
                String::from_utf8_lossy(&check.stdout)
            );
            let out = s.path(&format!("out-{policy}"));
            sanitize_ok(&[&input], &out, &["--key", key, "-p", policy]);
            let bytes = std::fs::read(output_file(&out)).expect("sanitized capture");
            for p in &case.planted {
                assert!(
                    !contains(&bytes, p),
                    "{} under {policy}: planted bytes {p:02x?} survive",
                    case.name
                );
            }
            let frames = read_pcap(&bytes).1.into_iter().map(|p| p.data).collect();
            Output {
                policy,
                bytes,
                frames,
            }
        })
        .collect()
}

/// Every frame to an IPv6 group carries the MAC RFC 2464 derives from the group as written.
fn assert_group_macs_agree(out: &Output) {
    for (mac, _, dst, _) in out.ipv6() {
        if dst[0] == 0xff {
            assert_eq!(
                mac,
                group_mac(dst),
                "{}: Ethernet destination of group {dst:02x?}",
                out.policy
            );
        }
    }
}

/// A case of frames sent to `group`: a UDP datagram and a TCP SYN (which `strict` keeps).
fn group_case(name: &'static str, group: &str, planted: Vec<Vec<u8>>) -> Case {
    let (client, group) = (v6(CLIENT), v6(group));
    let udp = ip_udp(Addr::V6(client), Addr::V6(group), 40_001, 40_002, b"query");
    let mut planted = planted;
    planted.push(group.to_vec());
    planted.push(group_mac(group).to_vec());
    Case {
        name,
        frames: vec![
            to_group(CLIENT_MAC, &udp),
            to_group(CLIENT_MAC, &tcp_v6(client, group, &[])),
        ],
        planted,
    }
}

const PLANTED_PREFIX: [u8; 8] = [0x2a, 0x00, 0x14, 0x50, 0x40, 0x01, 0x08, 0x15];

#[test]
fn unicast_prefix_based_group_loses_its_prefix() {
    // RFC 3306: ff3e, prefix length 64, network prefix 2a00:1450:4001:815, group id 0x1234.
    let case = group_case(
        "rfc3306",
        "ff3e:40:2a00:1450:4001:815:0:1234",
        vec![PLANTED_PREFIX.to_vec()],
    );
    for out in run(&case) {
        for (_, _, dst, _) in out.to_groups(&[0xff, 0x3e]) {
            assert_eq!(
                dst[2..4],
                [0x00, 0x40],
                "{}: prefix length kept",
                out.policy
            );
            assert_eq!(
                dst[4..12],
                [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0],
                "{}: documentation prefix",
                out.policy
            );
        }
        assert_group_macs_agree(&out);
    }
}

#[test]
fn embedded_rp_group_loses_its_rendezvous_prefix() {
    // RFC 3956: ff7e, RIID 1, prefix length 64, RP prefix 2a00:1450:4001:816.
    let mut rp_prefix = PLANTED_PREFIX;
    rp_prefix[7] = 0x16;
    let case = group_case(
        "rfc3956",
        "ff7e:140:2a00:1450:4001:816:0:1234",
        vec![rp_prefix.to_vec()],
    );
    for out in run(&case) {
        for (_, _, dst, _) in out.to_groups(&[0xff, 0x7e]) {
            assert_eq!(
                dst[2..4],
                [0x01, 0x40],
                "{}: RIID, prefix length",
                out.policy
            );
            assert_eq!(dst[4..12], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0]);
        }
        assert_group_macs_agree(&out);
    }
}

#[test]
fn interface_identifier_group_gets_the_mapped_identifier() {
    // RFC 4489: ff32:00ff, then the host's EUI-64 interface identifier (its MAC inside).
    let mut group = [0u8; 16];
    group[..4].copy_from_slice(&[0xff, 0x32, 0x00, 0xff]);
    group[4..12].copy_from_slice(&HOST_IID);
    group[12..].copy_from_slice(&[0, 0, 0, 1]);
    let link_local = v6(HOST_LINK_LOCAL);
    let frames = vec![
        to_group(HOST_MAC, &tcp_v6(link_local, group, &[])),
        to_group(
            HOST_MAC,
            &ip_udp(Addr::V6(link_local), Addr::V6(group), 9, 9, b"x"),
        ),
    ];
    let case = Case {
        name: "rfc4489",
        frames,
        planted: vec![HOST_IID.to_vec(), HOST_MAC.to_vec(), group.to_vec()],
    };
    for out in run(&case) {
        for (_, src, dst, _) in out.to_groups(&[0xff, 0x32, 0x00, 0xff]) {
            assert_eq!(
                dst[4..12],
                src[8..],
                "{}: the group names the host's rewritten link-local identifier",
                out.policy
            );
        }
        assert_group_macs_agree(&out);
    }
}

#[test]
fn node_information_group_loses_the_name_hash() {
    let hash = [0x9d, 0x4e, 0x6b, 0x1f];
    let case = group_case("node-info", "ff02::2:9d4e:6b1f", vec![hash.to_vec()]);
    for out in run(&case) {
        for (mac, _, dst, _) in out.to_groups(&v6("ff02::2:0:0")[..12]) {
            assert_eq!(dst[12..], [0; 4], "{}: hash zeroed", out.policy);
            assert_eq!(mac, [0x33, 0x33, 0, 0, 0, 0]);
        }
    }
}

#[test]
fn solicited_node_group_follows_the_mapped_target() {
    let (client, server) = (v6(CLIENT), v6(SERVER));
    let group = v6("ff02::1:ffc3:d4e5");
    let case = Case {
        name: "solicited-node",
        frames: vec![
            to_group(
                CLIENT_MAC,
                &neighbour_solicitation(client, group, server, CLIENT_MAC),
            ),
            to_group(CLIENT_MAC, &tcp_v6(client, group, &[])),
        ],
        planted: vec![group.to_vec(), group_mac(group).to_vec()],
    };
    for out in run(&case) {
        let server_out = out.server();
        assert_ne!(server_out, server);
        for (mac, _, dst, _) in out.to_groups(&v6("ff02::1:ff00:0")[..13]) {
            assert_eq!(
                dst[13..],
                server_out[13..],
                "{}: the group's low 24 bits are the mapped server's",
                out.policy
            );
            assert_eq!(mac, group_mac(dst), "{}: 33:33 + low 32 bits", out.policy);
        }
    }
}

/// A neighbour solicitation for a host that never speaks in the capture (found by the fuzzer):
/// its group's 24 bits name that host, so they go, and what replaces them must be what a second
/// run keeps, or the evidence fails its own `verify`. Memberless groups are numbered from zero.
#[test]
fn solicited_node_group_without_member_is_numbered_and_verifies() {
    let client = v6(CLIENT);
    let absent = v6("fd00::77:8899");
    let group = v6("ff02::1:ff77:8899");
    let case = Case {
        name: "memberless",
        // The SYN is what `strict` keeps.
        frames: vec![
            to_group(
                CLIENT_MAC,
                &neighbour_solicitation(client, group, absent, CLIENT_MAC),
            ),
            to_group(CLIENT_MAC, &tcp_v6(client, group, &[])),
        ],
        planted: vec![group.to_vec(), group_mac(group).to_vec()],
    };
    for out in run(&case) {
        for (mac, _, dst, _) in out.to_groups(&v6("ff02::1:ff00:0")[..13]) {
            let first = v6("ff02::1:ff00:0");
            assert_eq!(dst, first, "{}: the first memberless group", out.policy);
            assert_eq!(mac, group_mac(dst), "{}: 33:33 + low 32 bits", out.policy);
        }
    }
    // The fuzzer's capture: the solicitation alone (a TCP connection to a group would put the
    // group in the summary, whose text check allows documentation addresses only).
    let alone = Case {
        frames: case.frames[..1].to_vec(),
        ..case
    };
    let s = Scratch::new();
    let input = s.write("memberless.pcap", &alone.capture());
    let out = s.path("out");
    sanitize_ok(&[&input], &out, &[]);
    let verify = cmd().arg("verify").arg(&out).output().expect("run verify");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "verify of the evidence: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

/// A hop-by-hop header (next header TCP, 8 bytes) holding `options`.
fn hop_by_hop(options: [u8; 6]) -> Vec<u8> {
    let mut h = vec![6, 0];
    h.extend_from_slice(&options);
    h
}

/// The hop-by-hop header of every output frame that has one (IPv6 next header 0).
fn written_hop_by_hop(out: &Output) -> Vec<Vec<u8>> {
    let found: Vec<Vec<u8>> = out
        .ipv6()
        .into_iter()
        .filter(|(_, _, _, f)| f[20] == 0)
        .map(|(_, _, _, f)| f[54..62].to_vec())
        .collect();
    assert!(!found.is_empty(), "{}: no hop-by-hop header", out.policy);
    found
}

fn option_case(name: &'static str, options: &[[u8; 6]], planted: &[u8]) -> Case {
    let (client, server) = (v6(CLIENT), v6(SERVER));
    Case {
        name,
        frames: options
            .iter()
            .map(|&o| {
                eth(
                    SERVER_MAC,
                    CLIENT_MAC,
                    &tcp_v6(client, server, &hop_by_hop(o)),
                )
            })
            .collect(),
        planted: vec![planted.to_vec()],
    }
}

#[test]
fn padn_contents_become_zeros() {
    let case = option_case("padn", &[[1, 4, b'P', b'A', b'D', b'N']], b"PADN");
    for out in run(&case) {
        for h in written_hop_by_hop(&out) {
            assert_eq!(h, [6, 0, 1, 4, 0, 0, 0, 0], "{}", out.policy);
        }
    }
}

#[test]
fn router_alert_keeps_only_a_registered_value() {
    // 0xbeef is unassigned; 1 (RSVP) is registered. PadN of length 0 fills the header.
    let case = option_case(
        "router-alert",
        &[[5, 2, 0xbe, 0xef, 1, 0], [5, 2, 0, 1, 1, 0]],
        &[5, 2, 0xbe, 0xef],
    );
    for out in run(&case) {
        let written = written_hop_by_hop(&out);
        assert_eq!(
            written,
            vec![vec![6, 0, 5, 2, 0, 0, 1, 0], vec![6, 0, 5, 2, 0, 1, 1, 0]],
            "{}",
            out.policy
        );
    }
}

#[test]
fn jumbo_payload_that_is_not_the_real_length_becomes_zeros() {
    let case = option_case("jumbo", &[[0xc2, 4, b'J', b'M', b'B', b'O']], b"JMBO");
    for out in run(&case) {
        for h in written_hop_by_hop(&out) {
            assert_eq!(h, [6, 0, 0xc2, 4, 0, 0, 0, 0], "{}", out.policy);
        }
    }
}

/// Every case's outputs, sanitized again and dissected by tshark: no bad checksum, nothing
/// malformed.
#[test]
#[ignore = "needs tshark: run by .ci/run"]
fn outputs_dissect_with_valid_checksums() {
    if !common::tshark() {
        return;
    }
    let cases = [
        group_case("rfc3306", "ff3e:40:2a00:1450:4001:815:0:1234", vec![]),
        group_case("rfc3956", "ff7e:140:2a00:1450:4001:816:0:1234", vec![]),
        group_case("node-info", "ff02::2:9d4e:6b1f", vec![]),
        group_case("solicited-node", "ff02::1:ffc3:d4e5", vec![]),
        option_case("padn", &[[1, 4, b'P', b'A', b'D', b'N']], b"PADN"),
        option_case(
            "router-alert",
            &[[5, 2, 0xbe, 0xef, 1, 0]],
            &[5, 2, 0xbe, 0xef],
        ),
        option_case("jumbo", &[[0xc2, 4, b'J', b'M', b'B', b'O']], b"JMBO"),
    ];
    let s = Scratch::new();
    let mut problems = Vec::new();
    for case in &cases {
        for out in run(case) {
            let path = s.write(&format!("{}-{}.pcap", case.name, out.policy), &out.bytes);
            let name = path.display().to_string();
            let frames = common::dissect_checksums(&path, &name).expect("tshark reads the output");
            assert!(!frames.is_empty(), "{name}: tshark saw no frame");
            for f in &frames {
                let bad = common::checksum_problems(f);
                if !bad.is_empty() {
                    problems.push(format!("{name} frame {}: {bad:?}", f.number));
                }
            }
            let malformed =
                common::tshark_fields(&path, &name, &[], &["frame.number", "_ws.malformed"])
                    .expect("tshark reads the output");
            for row in malformed.iter().filter(|row| !row[1].is_empty()) {
                problems.push(format!("{name} frame {:?}: malformed", row[0]));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
