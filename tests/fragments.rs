//! IP fragments through the binary: a ClientHello that travels in fragments is analysed (pass 1
//! reassembles it) and each fragment is rewritten in place, carrying its part of the redacted
//! hello, so the SNI is redacted in both halves and a reader still reassembles the datagram.
//! The real capture is `samples/paths/ipv4-fragments.pcap` (made by samples/make-paths.sh
//! through a router with a small MTU); the IPv6 cases are generated, since an IPv6 router
//! does not fragment and a Linux TCP sender does not either.

mod common;
mod fixtures_gen;

use std::path::{Path, PathBuf};

use fixtures_gen::*;
use testkit::checksum::{fold, pseudo_sum, sum16};
use testkit::conv::Conv;
use testkit::fragments::{ipv4_split, ipv6_split};
use testkit::tls::{extension, handshake, record, server_name, u16s, vec16};

/// The host name the generated ClientHello carries, split across the two fragments.
const SNI: &[u8] = b"secret-fragmented-host.internal.example";

fn sample() -> PathBuf {
    common::repo_root().join("samples/paths/ipv4-fragments.pcap")
}

/// A ClientHello record offering TLS 1.3 and 1.2 with [`SNI`].
fn hello_record() -> Vec<u8> {
    let mut exts = extension(0, &server_name(&[(0, SNI)]));
    exts.extend(extension(43, &{
        let mut v = vec![4];
        v.extend(u16s(&[0x0304, 0x0303]));
        v
    }));
    exts.extend(extension(10, &vec16(&u16s(&[0x001d]))));
    let mut body = vec![0x03, 0x03];
    body.extend((0..32u8).map(|i| i.wrapping_mul(13).wrapping_add(1)));
    body.push(0);
    body.extend([0, 4, 0x13, 0x01, 0x13, 0x02]);
    body.extend([1, 0]);
    body.extend(vec16(&exts));
    record(22, 0x0301, &handshake(1, &body))
}

/// Where the ClientHello's IP packet is cut: a multiple of 8 in the middle of the SNI,
/// counted from the start of the IP payload.
fn cut_in_sni(ip: &[u8], header_len: usize) -> usize {
    let at = ip
        .windows(SNI.len())
        .position(|w| w == SNI)
        .expect("SNI in the packet");
    let cut = (at - header_len + SNI.len() / 2) / 8 * 8;
    assert!(at - header_len < cut && cut < at - header_len + SNI.len());
    cut
}

/// How the generated conversation's IP packets travel: on the Ethernet link itself, or inside
/// a GRE tunnel between two other hosts (RFC 2784: outer IPv4, protocol 47, a 4-byte header
/// naming the inner IP version).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Plain,
    Gre,
}

/// Where the inner IP packet starts in an Ethernet frame of `carrier`.
fn inner_at(carrier: Carrier) -> usize {
    match carrier {
        Carrier::Plain => 14,
        Carrier::Gre => 14 + 20 + 4,
    }
}

/// The Ethernet frame that carries `ip` (sent by the client when `from_client`).
fn carried(carrier: Carrier, ip: &[u8], v6: bool, from_client: bool) -> Vec<u8> {
    match carrier {
        Carrier::Plain => Link::Ethernet.frame(ip, v6, from_client),
        Carrier::Gre => {
            let ends = [[10, 77, 90, 1], [10, 77, 90, 2]];
            let (src, dst) = if from_client {
                (ends[0], ends[1])
            } else {
                (ends[1], ends[0])
            };
            let mut gre = vec![0, 0];
            gre.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
            gre.extend_from_slice(ip);
            let outer = testkit::net::ipv4_packet(src, dst, 47, &[], &gre);
            Link::Ethernet.frame(&outer, false, from_client)
        }
    }
}

/// A capture of SYN, SYN-ACK, ACK, the ClientHello in two fragments (`reversed`: the second
/// first), the server's ACK, its fatal alert and FIN both ways; with the SNI's two halves.
fn fragmented_capture(v6: bool, reversed: bool) -> (Vec<u8>, [Vec<u8>; 2]) {
    fragmented_capture_in(Carrier::Plain, v6, reversed)
}

fn fragmented_capture_in(carrier: Carrier, v6: bool, reversed: bool) -> (Vec<u8>, [Vec<u8>; 2]) {
    let hello = hello_record();
    let mut conv = Conv::standard();
    conv.handshake().data(true, &hello).alert_and_close();
    let header_len = if v6 { 40 } else { 20 };
    let mut halves = [Vec::new(), Vec::new()];
    let mut frames = Vec::new();
    for p in conv.packets() {
        let ip = p.seg.ip(v6);
        let frame = |ip: &[u8]| carried(carrier, ip, v6, p.seg.from_client);
        if p.seg.tcp.payload != hello {
            frames.push(frame(&ip));
            continue;
        }
        let cut = cut_in_sni(&ip, header_len);
        let sni_at = ip.windows(SNI.len()).position(|w| w == SNI).unwrap() - header_len;
        halves = [SNI[..cut - sni_at].to_vec(), SNI[cut - sni_at..].to_vec()];
        let mut fragments = if v6 {
            ipv6_split(&ip, 0x7700_0001, &[cut])
        } else {
            ipv4_split(&ip, &[cut])
        };
        if reversed {
            fragments.reverse();
        }
        frames.extend(fragments.iter().map(|f| frame(f)));
    }
    (pcap_file(PcapFormat::new(1), &timed(frames, false)), halves)
}

fn diagnose(path: &Path) -> String {
    let out = cmd()
        .arg("diagnose")
        .arg(path)
        .output()
        .expect("run pcapscrub");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The sanitized capture of `input` (keyed, so two runs agree).
fn sanitized(s: &Scratch, input: &Path, name: &str) -> Vec<PcapOut> {
    let key = s.write("key", common::KEY);
    let outdir = s.path(name);
    sanitize_ok(&[input], &outdir, &["--key", key.to_str().unwrap()]);
    let bytes = std::fs::read(outdir.join("capture.sanitized.pcap")).expect("output");
    read_pcap(&bytes).1
}

/// The IP packets of the Ethernet frames that are fragments, in capture order.
fn fragment_packets(frames: &[PcapOut], v6: bool) -> Vec<Vec<u8>> {
    fragment_packets_in(Carrier::Plain, frames, v6)
}

fn fragment_packets_in(carrier: Carrier, frames: &[PcapOut], v6: bool) -> Vec<Vec<u8>> {
    frames
        .iter()
        .map(|p| p.data[inner_at(carrier)..].to_vec())
        .filter(|ip| {
            if v6 {
                ip[6] == 44
            } else {
                u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0
            }
        })
        .collect()
}

/// (offset, more fragments, payload start) of an IP fragment.
fn fragment_fields(ip: &[u8], v6: bool) -> (usize, bool, usize) {
    if v6 {
        let f = u16::from_be_bytes([ip[42], ip[43]]);
        (usize::from(f & !7), f & 1 != 0, 48)
    } else {
        let f = u16::from_be_bytes([ip[6], ip[7]]);
        (usize::from(f & 0x1fff) * 8, f & 0x2000 != 0, 20)
    }
}

/// The fragments put together: (first fragment's IP packet, the fragmentable part).
fn reassemble(fragments: &[Vec<u8>], v6: bool) -> (Vec<u8>, Vec<u8>) {
    let mut whole = Vec::new();
    let mut first = Vec::new();
    for ip in fragments {
        let (offset, _, start) = fragment_fields(ip, v6);
        let data = &ip[start..];
        if whole.len() < offset + data.len() {
            whole.resize(offset + data.len(), 0);
        }
        whole[offset..offset + data.len()].copy_from_slice(data);
        if offset == 0 {
            first = ip.clone();
        }
    }
    (first, whole)
}

fn fragmented_sni_is_redacted_in_both_halves(v6: bool, reversed: bool) {
    fragmented_sni_is_redacted_in(Carrier::Plain, v6, reversed);
}

fn fragmented_sni_is_redacted_in(carrier: Carrier, v6: bool, reversed: bool) {
    let s = Scratch::new();
    let (capture, halves) = fragmented_capture_in(carrier, v6, reversed);
    let input = s.write("in.pcap", &capture);
    let report = diagnose(&input);
    // One connection: the hello rebuilt from its fragments is the handshake's, on its path.
    assert!(
        report.contains("1 TCP connection; verdict: server_alert")
            && report.contains("client  ClientHello"),
        "the hello is analysed: {report}"
    );
    if carrier == Carrier::Gre {
        assert!(report.contains("via gre "), "{report}");
    }
    let (_, in_frames) = read_pcap(&capture);
    let out = sanitized(&s, &input, "out");
    assert_eq!(out.len(), in_frames.len());
    let fragments = fragment_packets_in(carrier, &out, v6);
    let originals = fragment_packets_in(carrier, &in_frames, v6);
    assert_eq!(fragments.len(), 2, "both fragments written");
    for (k, (ip, original)) in fragments.iter().zip(&originals).enumerate() {
        // Every fragment keeps its length and its fragment fields.
        assert_eq!(ip.len(), original.len(), "fragment {k} keeps its length");
        assert_eq!(fragment_fields(ip, v6), fragment_fields(original, v6));
        for half in &halves {
            assert!(!contains(ip, half), "fragment {k} carries an SNI half");
        }
        assert!(!contains(ip, SNI));
    }
    // Put together, the fragments hold a ClientHello (its record header first) whose name
    // has the SNI's length but none of its bytes, and a TCP checksum right over all of it.
    let (first, whole) = reassemble(&fragments, v6);
    let hello = hello_record();
    assert_eq!(whole.len(), 20 + hello.len());
    assert_eq!(whole[20..25], hello[..5], "the record header is kept");
    let name_at = 20 + hello.windows(SNI.len()).position(|w| w == SNI).unwrap();
    let name = &whole[name_at..name_at + SNI.len()];
    assert!(
        name.iter().all(|&b| b != 0),
        "a same-length pseudonym: {name:?}"
    );
    assert_ne!(name, SNI);
    let (src, dst) = if v6 {
        (first[8..24].to_vec(), first[24..40].to_vec())
    } else {
        (first[12..16].to_vec(), first[16..20].to_vec())
    };
    let sum = sum16(&whole) + pseudo_sum(&src, &dst, 6, whole.len());
    assert_eq!(
        fold(sum),
        0,
        "the TCP checksum covers the rewritten segment"
    );
}

#[test]
fn the_sample_handshake_is_diagnosed_complete() {
    // tshark on the input: the ClientHello (frames 6-7), the server's flight, the client's
    // ChangeCipherSpec and Finished (frame 19), application data both ways, FIN both ways.
    let report = diagnose(&sample());
    assert!(
        report.contains("1 TCP connection; verdict: handshake_complete"),
        "{report}"
    );
    assert!(report.contains("client  ClientHello"), "{report}");
}

#[test]
fn an_sni_split_across_ipv4_fragments_is_redacted_in_both() {
    fragmented_sni_is_redacted_in_both_halves(false, false);
}

#[test]
fn fragments_out_of_order_are_rewritten_the_same() {
    fragmented_sni_is_redacted_in_both_halves(false, true);
}

#[test]
fn an_sni_split_across_ipv6_fragments_is_redacted_in_both() {
    fragmented_sni_is_redacted_in_both_halves(true, false);
    fragmented_sni_is_redacted_in_both_halves(true, true);
}

/// A fragmented ClientHello inside a GRE tunnel: reassembled behind the tunnel's headers, so
/// it belongs to the connection on the tunnel's path (not to a tunnel-less twin), and each
/// fragment, still inside its GRE packet, carries its part of the redacted hello.
#[test]
fn fragments_inside_a_tunnel_keep_its_path() {
    fragmented_sni_is_redacted_in(Carrier::Gre, false, false);
    fragmented_sni_is_redacted_in(Carrier::Gre, false, true);
    fragmented_sni_is_redacted_in(Carrier::Gre, true, false);
}

#[test]
fn a_datagram_missing_a_fragment_loses_its_payload() {
    let s = Scratch::new();
    let (capture, halves) = fragmented_capture(false, false);
    let (_, mut frames) = read_pcap(&capture);
    // Drop the second fragment.
    let second = frames
        .iter()
        .position(|p| u16::from_be_bytes([p.data[20], p.data[21]]) & 0x1fff != 0)
        .unwrap();
    frames.remove(second);
    let recs: Vec<Rec> = frames
        .iter()
        .map(|p| Rec {
            ts_sec: p.ts_sec,
            ts_frac: p.ts_frac,
            data: p.data.clone(),
        })
        .collect();
    let input = s.write("in.pcap", &pcap_file(PcapFormat::new(1), &recs));
    let report = diagnose(&input);
    assert!(!report.contains("client  ClientHello"), "{report}");
    let out = sanitized(&s, &input, "out");
    let fragments = fragment_packets(&out, false);
    assert_eq!(fragments.len(), 1);
    // Cut after the TCP header: nothing of the payload is written.
    assert_eq!(fragments[0].len(), 40);
    assert!(!contains(&fragments[0], &halves[0]));
}

/// The sample's sanitized copy in tshark: the ClientHello reassembled from its fragments as
/// often as in the input, its SNI pseudonymised, no bad checksum; `check` calls it clean.
#[test]
#[ignore = "needs tshark: run by .ci/run"]
fn tshark_reassembles_the_sanitized_hello() {
    if !common::tshark() {
        return;
    }
    let s = Scratch::new();
    let input = sample();
    let key = s.write("key", common::KEY);
    let outdir = s.path("out");
    sanitize_ok(&[&input], &outdir, &["--key", key.to_str().unwrap()]);
    let output = outdir.join("capture.sanitized.pcap");
    let hellos = |path: &Path| {
        let rows = common::tshark_fields(
            path,
            "ipv4-fragments.pcap",
            &[],
            &[
                "frame.number",
                "tls.handshake.type",
                "tls.handshake.extensions_server_name",
            ],
        )
        .expect("tshark reads it");
        rows.into_iter()
            .filter(|r| r[1].iter().any(|t| t == "1"))
            .map(|r| (r[0].join(","), r[2].join(",")))
            .collect::<Vec<_>>()
    };
    let before = hellos(&input);
    let after = hellos(&output);
    assert_eq!(before.len(), 1, "the input's ClientHello: {before:?}");
    assert_eq!(after.len(), before.len(), "{after:?}");
    assert_eq!(after[0].0, before[0].0, "reassembled in the same frame");
    assert_eq!(
        after[0].1.len(),
        before[0].1.len(),
        "a same-length pseudonym"
    );
    assert_ne!(after[0].1, before[0].1, "the SNI is pseudonymised");
    assert!(
        !contains(&std::fs::read(&output).unwrap(), before[0].1.as_bytes()),
        "the original SNI is nowhere in the output"
    );
    let frames = common::dissect_checksums(&output, "ipv4-fragments.pcap").expect("tshark");
    let bad: Vec<_> = frames
        .iter()
        .filter_map(|f| {
            let p = common::checksum_problems(f);
            (!p.is_empty()).then_some((f.number, p))
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    // The reassembled segment's TCP checksum is verified, not just left unverified.
    let good = frames
        .iter()
        .find(|f| f.number.to_string() == after[0].0)
        .expect("the hello's frame");
    assert_eq!(
        good.status[1],
        [1],
        "tcp checksum of the reassembled segment"
    );
    let check = cmd().arg("check").arg(&output).output().expect("run check");
    assert_eq!(check.status.code(), Some(0), "{}", stderr_text(&check));
}
