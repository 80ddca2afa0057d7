//! Hello extensions are kept by structure, never by type: through the real binary, a ClientHello
//! or ServerHello carrying a planted marker in an extension that passes a type list but not its
//! RFC grammar (free-form names, unregistered values, trailing bytes, keys of the wrong size)
//! loses the marker under every shipped policy, `check` flags the raw capture, and tshark still
//! dissects the sanitized hello with the same extensions and no new expert complaint. The
//! registered extensions of real samples' hellos stay byte for byte.

mod common;
mod fixtures_gen;

use std::path::{Path, PathBuf};

use fixtures_gen::conv::Conv;
use fixtures_gen::serde_json_like::Value;
use fixtures_gen::{Scratch, cmd, contains, read_pcap, sanitize_ok, stderr_text, summary};
use testkit::tls::{TLS10, extension, handshake, record, vec8, vec16};

const POLICIES: [&str; 3] = ["ticket", "strict", "review"];
const KEY: &[u8] = b"pcapscrub extension tests: a fixed 48-byte key!!";

// ---------------------------------------------------------------------------------------------
// Building hellos
// ---------------------------------------------------------------------------------------------

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

type Extensions = Vec<(u16, Vec<u8>)>;

/// `exts` with `t`'s body replaced by `body` (appended when absent).
fn with(mut exts: Extensions, t: u16, body: Vec<u8>) -> Extensions {
    match exts.iter_mut().find(|(e, _)| *e == t) {
        Some(e) => e.1 = body,
        None => exts.push((t, body)),
    }
    exts
}

fn x25519_share() -> Vec<u8> {
    (0..32u8)
        .map(|i| i.wrapping_mul(11).wrapping_add(3))
        .collect()
}

/// What a TLS 1.3 client sends, every value registered.
fn client_extensions() -> Extensions {
    let sni = vec16(&cat(&[&[0], &vec16(b"www.example.com")]));
    vec![
        (0, sni),
        (10, vec16(&[0, 29, 0, 23])),
        (11, vec8(&[0])),
        (13, vec16(&[4, 3, 8, 4])),
        (43, vec8(&[3, 4, 3, 3])),
        (45, vec8(&[1])),
        (51, vec16(&cat(&[&[0, 29], &vec16(&x25519_share())]))),
    ]
}

/// What a TLS 1.3 server answers.
fn server_extensions() -> Extensions {
    vec![
        (43, vec![3, 4]),
        (51, cat(&[&[0, 29], &vec16(&x25519_share())])),
    ]
}

fn extension_block(exts: &Extensions) -> Vec<u8> {
    let e: Vec<u8> = exts.iter().flat_map(|(t, d)| extension(*t, d)).collect();
    vec16(&e)
}

/// A handshake record (version 3.1 on the wire) holding one message.
fn handshake_record(msg_type: u8, body: &[u8]) -> Vec<u8> {
    record(22, TLS10, &handshake(msg_type, body))
}

fn client_hello(exts: &Extensions) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend((0..32u8).map(|i| i.wrapping_mul(13).wrapping_add(1)));
    b.push(0);
    b.extend([0, 4, 0x13, 0x01, 0x13, 0x02, 1, 0]);
    b.extend(extension_block(exts));
    handshake_record(1, &b)
}

fn server_hello(exts: &Extensions) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend((0..32u8).map(|i| i.wrapping_mul(17).wrapping_add(2)));
    b.push(0);
    b.extend([0x13, 0x01, 0]);
    b.extend(extension_block(exts));
    handshake_record(2, &b)
}

/// A capture of a TCP connection: the hellos, then an alert and the close.
fn capture(client: &Extensions, server: &Extensions) -> Vec<u8> {
    let mut c = Conv::standard();
    c.handshake();
    c.data(true, &client_hello(client));
    c.data(false, &server_hello(server));
    c.alert_and_close();
    c.pcap()
}

// ---------------------------------------------------------------------------------------------
// The classes
// ---------------------------------------------------------------------------------------------

/// An extension that a type list used to keep whatever it held, with the marker planted where
/// its grammar allows no free-form bytes.
struct Class {
    name: &'static str,
    marker: &'static [u8],
    client: Extensions,
    server: Extensions,
}

fn client_class(name: &'static str, marker: &'static [u8], exts: &[(u16, Vec<u8>)]) -> Class {
    let client = exts
        .iter()
        .fold(client_extensions(), |e, (t, b)| with(e, *t, b.clone()));
    Class {
        name,
        marker,
        client,
        server: server_extensions(),
    }
}

fn server_class(name: &'static str, marker: &'static [u8], exts: &[(u16, Vec<u8>)]) -> Class {
    let server = exts
        .iter()
        .fold(server_extensions(), |e, (t, b)| with(e, *t, b.clone()));
    Class {
        name,
        marker,
        client: client_extensions(),
        server,
    }
}

fn status_request(m: &[u8]) -> Vec<u8> {
    // status_type ocsp, one ResponderID, request extensions.
    cat(&[&[1], &vec16(&vec16(m)), &vec16(m)])
}

fn quic_parameters(m: &[u8]) -> Vec<u8> {
    let mut v = vec![0x01, 0x02, 0x40, 0x64]; // max_idle_timeout 100
    v.push(0x00); // original_destination_connection_id
    v.push(m.len() as u8);
    v.extend_from_slice(m);
    v.extend([0x1b, m.len() as u8]); // a reserved id, 27
    v.extend_from_slice(m);
    v
}

fn ech_outer(m: &[u8]) -> Vec<u8> {
    let mut enc = m.to_vec();
    enc.resize(32, 0x5a);
    cat(&[&[0, 0, 1, 0, 1, 0x42], &vec16(&enc), &vec16(m)])
}

fn classes() -> Vec<Class> {
    vec![
        client_class(
            "server_name_of_unregistered_type",
            b"LEAKMARKER-sni-5500",
            &[(0, {
                let host = cat(&[&[0], &vec16(b"www.example.com")]);
                let other = cat(&[&[7], &vec16(b"LEAKMARKER-sni-5500")]);
                vec16(&cat(&[&host, &other]))
            })],
        ),
        client_class(
            "status_request",
            b"LEAKMARKER-sr-5501",
            &[(5, status_request(b"LEAKMARKER-sr-5501"))],
        ),
        client_class(
            "status_request_v2",
            b"LEAKMARKER-srv2-5502",
            &[(17, {
                let req = cat(&[&vec16(&vec16(b"LEAKMARKER-srv2-5502")), &vec16(&[])]);
                vec16(&cat(&[&[2], &vec16(&req)]))
            })],
        ),
        client_class(
            "padding",
            b"LEAKMARKER-pad-5503",
            &[(21, cat(&[b"LEAKMARKER-pad-5503", &[0; 40]]))],
        ),
        client_class(
            "alpn_client",
            b"LEAKMARKER-alpn-5504",
            &[(
                16,
                vec16(&cat(&[&vec8(b"h2"), &vec8(b"LEAKMARKER-alpn-5504")])),
            )],
        ),
        server_class(
            "alpn_server",
            b"LEAKMARKER-alpn-5505",
            &[(16, vec16(&vec8(b"LEAKMARKER-alpn-5505")))],
        ),
        client_class(
            "alps",
            b"LEAKMARKER-alps-5506",
            &[
                (0x4469, vec16(&vec8(b"LEAKMARKER-alps-5506"))),
                (
                    0x44cd,
                    vec16(&cat(&[&vec8(b"h2"), &vec8(b"LEAKMARKER-alps-5506")])),
                ),
            ],
        ),
        server_class(
            "npn",
            b"LEAKMARKER-npn-5507",
            &[(0x3374, cat(&[&vec8(b"h2"), &vec8(b"LEAKMARKER-npn-5507")]))],
        ),
        client_class(
            "renegotiation_info",
            b"LEAKMARKER-reneg-5508",
            &[(0xff01, vec8(b"LEAKMARKER-reneg-5508"))],
        ),
        client_class(
            "heartbeat",
            b"LEAKMARKER-hb-5509",
            &[(15, cat(&[&[1], b"LEAKMARKER-hb-5509"]))],
        ),
        client_class(
            "token_binding",
            b"LEAKMARKER-tb-5510",
            &[(24, cat(&[&[0, 13], &vec8(b"LEAKMARKER-tb-5510")]))],
        ),
        client_class(
            "record_size_limit",
            b"LEAKMARKER-rsl-5511",
            &[(28, cat(&[&[0x40, 0x00], b"LEAKMARKER-rsl-5511"]))],
        ),
        client_class(
            "quic_transport_parameters",
            b"LEAKMARKER-quic-5512",
            &[(57, quic_parameters(b"LEAKMARKER-quic-5512"))],
        ),
        client_class(
            "ech",
            b"LEAKMARKER-ech-5513",
            &[(0xfe0d, ech_outer(b"LEAKMARKER-ech-5513"))],
        ),
        client_class(
            "compress_certificate",
            b"LEAKMARKER-cc-5514",
            &[(27, cat(&[&[20, 0, 2], b"LEAKMARKER-cc-5514"]))],
        ),
        client_class(
            "grease",
            b"LEAKMARKER-grease-5515",
            &[
                (0x1a1a, b"LEAKMARKER-grease-5515".to_vec()),
                (
                    51,
                    vec16(&cat(&[
                        &[0x3a, 0x3a],
                        &vec16(b"LEAKMARKER-grease-5515"),
                        &[0, 29],
                        &vec16(&x25519_share()),
                    ])),
                ),
            ],
        ),
        client_class(
            "unregistered_groups_and_schemes",
            b"LEAKMARKER-values-5516",
            &[
                (10, vec16(&cat(&[&[0, 29], b"LEAKMARKER-values-5516"]))),
                (13, vec16(&cat(&[&[4, 3], b"LEAKMARKER-values-5516"]))),
            ],
        ),
        server_class(
            "server_key_share",
            b"LEAKMARKER-sks-5517",
            &[(51, cat(&[&[0, 29], &vec16(b"LEAKMARKER-sks-5517")]))],
        ),
        server_class(
            "server_supported_versions",
            b"LEAKMARKER-ssv-5518",
            &[(43, b"LEAKMARKER-ssv-5518".to_vec())],
        ),
        server_class(
            "server_ec_point_formats",
            b"LEAKMARKER-sepf-5519",
            &[(11, vec8(b"LEAKMARKER-sepf-5519"))],
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

fn key_file(s: &Scratch) -> PathBuf {
    s.write("team.key", KEY)
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read output folder") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn find_suffix(dir: &Path, suffix: &str) -> PathBuf {
    files(dir)
        .into_iter()
        .find(|p| p.to_string_lossy().contains(suffix))
        .unwrap_or_else(|| panic!("no *{suffix}* in {}", dir.display()))
}

/// Sanitizes `input` under `policy` (a shipped policy, optionally suffixed `-again` for a
/// second folder); returns the evidence folder.
fn sanitize_under(s: &Scratch, input: &Path, folder: &str) -> PathBuf {
    let out = s.path(&format!("out-{folder}"));
    let policy = folder.trim_end_matches("-again");
    let key = key_file(s);
    sanitize_ok(
        &[input],
        &out,
        &["-p", policy, "--key", key.to_str().unwrap()],
    );
    out
}

/// Every class is tried before failing, so a failure lists all the classes that leak.
#[test]
fn planted_markers_never_reach_an_output() {
    let mut leaks = Vec::new();
    for class in classes() {
        let s = Scratch::new();
        let input = s.write("in.pcap", &capture(&class.client, &class.server));
        assert!(
            contains(&std::fs::read(&input).unwrap(), class.marker),
            "{}: the marker is planted",
            class.name
        );
        for policy in POLICIES {
            let out = sanitize_under(&s, &input, policy);
            let outputs = files(&out);
            assert!(outputs.len() >= 2, "{}: evidence written", class.name);
            for f in outputs {
                if contains(&std::fs::read(&f).unwrap(), class.marker) {
                    let file = f.file_name().unwrap().to_string_lossy().into_owned();
                    leaks.push(format!("{} under {policy}: in {file}", class.name));
                }
            }
            // What was written is a fixed point, and `check` calls it clean.
            let sanitized = find_suffix(&out, ".sanitized.pcap");
            let again = sanitize_under(&s, &sanitized, &format!("{policy}-again"));
            let again = find_suffix(&again, ".sanitized.pcap");
            assert_eq!(
                std::fs::read(&sanitized).unwrap(),
                std::fs::read(&again).unwrap(),
                "{} under {policy}: sanitizing the output changes it",
                class.name
            );
            let check = cmd()
                .args(["check", "-p", policy])
                .arg(&sanitized)
                .output()
                .unwrap();
            assert_eq!(
                check.status.code(),
                Some(0),
                "{} under {policy}: check on the output: {}",
                class.name,
                String::from_utf8_lossy(&check.stdout)
            );
        }
        let check = cmd().arg("check").arg(&input).output().unwrap();
        let said = String::from_utf8_lossy(&check.stdout);
        if check.status.code() != Some(1) {
            leaks.push(format!(
                "{}: check exits {:?}: {}",
                class.name,
                check.status.code(),
                stderr_text(&check)
            ));
        } else if !(said.contains("unknown extension data")
            || said.contains("signature or opaque server data")
            || said.contains("PSK identity"))
        {
            leaks.push(format!(
                "{}: check does not name the content: {said}",
                class.name
            ));
        }
    }
    assert!(leaks.is_empty(), "markers survive:\n{}", leaks.join("\n"));
}

/// The summary names registered protocols and the length of any other, never its bytes.
#[test]
fn summary_shows_an_unregistered_alpn_as_its_length() {
    let marker = b"LEAKMARKER-alpn-5520";
    let client = with(
        client_extensions(),
        16,
        vec16(&cat(&[&vec8(b"h2"), &vec8(marker)])),
    );
    let server = with(server_extensions(), 16, vec16(&vec8(marker)));
    let s = Scratch::new();
    let input = s.write("in.pcap", &capture(&client, &server));
    let out = sanitize_under(&s, &input, "ticket");
    let sum: Value = summary(&find_suffix(&out, ".summary.yaml"));
    let conn = &sum.seq("connections")[0];
    let offered: Vec<&str> = conn
        .seq("tls.alpn_offered")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(offered, ["h2", "unregistered (20 bytes)"]);
    assert_eq!(conn.str("tls.alpn_selected"), "unregistered (20 bytes)");
    let diagnose = cmd().arg("diagnose").arg(&input).output().unwrap();
    let text = String::from_utf8_lossy(&diagnose.stdout);
    assert!(
        !text.contains("LEAKMARKER"),
        "diagnose shows the name: {text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Real hellos keep their registered extensions
// ---------------------------------------------------------------------------------------------

/// The TCP payloads of an Ethernet/IPv4 pcap, in capture order.
fn payloads(pcap: &[u8]) -> Vec<Vec<u8>> {
    let (_, recs) = read_pcap(pcap);
    recs.iter()
        .filter_map(|r| {
            let d = &r.data;
            if d.len() < 34 || d[12..14] != [0x08, 0x00] || d[23] != 6 {
                return None;
            }
            let ip = &d[14..];
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
            let doff = usize::from(ip[ihl + 12] >> 4) * 4;
            ip.get(ihl + doff..total).map(<[u8]>::to_vec)
        })
        .collect()
}

/// The first handshake record starting a payload whose message is `msg_type`.
fn hello_record(pcap: &[u8], msg_type: u8) -> Vec<u8> {
    let p = payloads(pcap)
        .into_iter()
        .find(|p| p.len() > 9 && p[0] == 22 && p[5] == msg_type)
        .unwrap_or_else(|| panic!("no handshake of type {msg_type}"));
    let len = 5 + usize::from(u16::from_be_bytes([p[3], p[4]]));
    p[..len].to_vec()
}

/// A hello record's extensions, each as (type, whole bytes with its header).
fn extensions_of(record: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let body = &record[9..];
    let mut at = 2 + 32;
    at += 1 + usize::from(body[at]);
    if record[5] == 1 {
        at += 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
        at += 1 + usize::from(body[at]);
    } else {
        at += 3;
    }
    let end = at + 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    at += 2;
    let mut out = Vec::new();
    while at < end {
        let t = u16::from_be_bytes([body[at], body[at + 1]]);
        let n = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
        out.push((t, body[at..at + 4 + n].to_vec()));
        at += 4 + n;
    }
    assert_eq!(at, end, "the extensions fill their block");
    out
}

#[test]
fn real_hellos_keep_their_registered_extensions_byte_for_byte() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for sample in ["tls13-complete.pcap", "tls12-complete.pcap"] {
        let input = samples.join(sample);
        let raw = std::fs::read(&input).unwrap();
        let s = Scratch::new();
        let out = sanitize_under(&s, &input, "ticket");
        let sanitized = std::fs::read(find_suffix(&out, ".sanitized.pcap")).unwrap();
        for msg_type in [1u8, 2] {
            let before = extensions_of(&hello_record(&raw, msg_type));
            let after = extensions_of(&hello_record(&sanitized, msg_type));
            assert_eq!(before.len(), after.len(), "{sample}: extension count");
            assert!(before.len() >= 2, "{sample}: the hello has extensions");
            for ((t, a), (_, b)) in before.iter().zip(&after) {
                if *t == 0 && msg_type == 1 {
                    // The host name becomes a same-length pseudonym.
                    assert_eq!(a.len(), b.len(), "{sample}: server_name length");
                } else {
                    assert_eq!(a, b, "{sample}: hello {msg_type} extension {t} changed");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tshark still reads the sanitized hellos
// ---------------------------------------------------------------------------------------------

/// Per handshake message of a capture: its type and extension types, and the expert-info
/// complaints (warning or error) of the frame carrying it.
fn tshark_view(path: &Path) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let rows = common::tshark_fields(
        path,
        "fail-closed",
        &[],
        &[
            "tls.handshake.type",
            "tls.handshake.extension.type",
            "_ws.expert.severity",
            "_ws.expert.message",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut hellos = Vec::new();
    let mut complaints = Vec::new();
    for r in rows {
        for t in &r[0] {
            hellos.push((t.clone(), r[1].clone()));
        }
        for (sev, msg) in r[2].iter().zip(&r[3]) {
            // Severity values: 0x600000 warning, 0x800000 error (Wireshark's PI_WARN, PI_ERROR).
            if sev.parse::<u64>().is_ok_and(|v| v >= 0x60_0000) {
                complaints.push(msg.clone());
            }
        }
    }
    (hellos, complaints)
}

#[test]
#[ignore = "needs tshark: run by .ci/run"]
fn sanitized_hellos_still_dissect_with_the_same_extensions() {
    if !common::tshark() {
        return;
    }
    for class in classes() {
        let s = Scratch::new();
        let input = s.write("in.pcap", &capture(&class.client, &class.server));
        let (hellos_in, complaints_in) = tshark_view(&input);
        assert!(
            hellos_in.iter().any(|(t, _)| t == "1") && hellos_in.iter().any(|(t, _)| t == "2"),
            "{}: tshark sees both hellos in the input: {hellos_in:?}",
            class.name
        );
        for policy in POLICIES {
            let out = sanitize_under(&s, &input, policy);
            let sanitized = find_suffix(&out, ".sanitized.pcap");
            let (hellos_out, complaints_out) = tshark_view(&sanitized);
            assert_eq!(
                hellos_out, hellos_in,
                "{} under {policy}: hellos and their extensions",
                class.name
            );
            let new: Vec<&String> = complaints_out
                .iter()
                .filter(|c| !complaints_in.contains(c))
                .collect();
            assert!(
                new.is_empty(),
                "{} under {policy}: new expert complaints {new:?}",
                class.name
            );
        }
    }
}
