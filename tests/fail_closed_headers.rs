//! File and link headers that must not carry the input's data into the output: the pcap global
//! header's `thiszone`, `sigfigs` and minor version, link-type fields with FCS bits (read, not
//! dropped, and the FCS itself gone), and BSD loopback headers with an unknown address family.
//!
//! Each case is sanitized under `ticket`, `strict` and `review` through the real binary; the
//! output's bytes are checked, and `check` must call every raw capture unclean (exit 1).

mod fixtures_gen;

use std::path::{Path, PathBuf};

use fixtures_gen::*;

const POLICIES: [&str; 3] = ["ticket", "strict", "review"];

fn output_file(dir: &Path, suffix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("evidence folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(suffix))
        })
        .unwrap_or_else(|| panic!("no *{suffix}* in {}", dir.display()))
}

struct Sanitized {
    policy: &'static str,
    capture: Vec<u8>,
    summary: serde_json_like::Value,
}

/// `check` reports the raw capture (exit 1); then it is sanitized under every policy.
fn run(name: &str, capture: &[u8]) -> Vec<Sanitized> {
    let s = Scratch::new();
    let input = s.write(&format!("{name}.pcap"), capture);
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
                "{name}: check -p {policy} must report the raw capture: {}",
                String::from_utf8_lossy(&check.stdout)
            );
            let out = s.path(&format!("out-{policy}"));
            sanitize_ok(&[&input], &out, &["-p", policy]);
            Sanitized {
                policy,
                capture: std::fs::read(output_file(&out, ".sanitized.pcap")).expect("capture"),
                summary: summary(&output_file(&out, ".summary.yaml")),
            }
        })
        .collect()
}

/// The 24-byte pcap header fields after the magic number, little-endian.
fn header_fields(bytes: &[u8]) -> (u16, u16, u32, u32, u32, u32) {
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    (
        u16_at(4),
        u16_at(6),
        u32_at(8),
        u32_at(12),
        u32_at(16),
        u32_at(20),
    )
}

fn ethernet_tls_frames() -> Vec<Vec<u8>> {
    tls_conversation()
        .iter()
        .map(|s| Link::Ethernet.frame(&s.ip(false), false, s.from_client))
        .collect()
}

#[test]
fn pcap_header_thiszone_sigfigs_and_minor_version_are_normalised() {
    let mut capture = pcap_file(PcapFormat::new(1), &timed(ethernet_tls_frames(), false));
    // Version 2.3, thiszone -18000 (UTC-5), sigfigs 6.
    capture[6..8].copy_from_slice(&3u16.to_le_bytes());
    capture[8..12].copy_from_slice(&(-18_000i32).to_le_bytes());
    capture[12..16].copy_from_slice(&6u32.to_le_bytes());
    let (_, _, _, _, snaplen, _) = header_fields(&capture);
    for out in run("thiszone", &capture) {
        assert_eq!(
            header_fields(&out.capture),
            (2, 4, 0, 0, snaplen, 1),
            "{}: version 2.4, thiszone 0, sigfigs 0, the input's snap length and link type",
            out.policy
        );
        assert!(!contains(&out.capture, &(-18_000i32).to_le_bytes()));
    }
}

/// The frame check sequence appended to every frame: planted bytes, not a real CRC, so that
/// any copy of them is found.
const FCS: [u8; 8] = *b"FCS!fcs!";

fn fcs_capture(link_type_field: u32, fcs_len: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let frames = ethernet_tls_frames();
    let with_fcs: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.extend_from_slice(&FCS[..fcs_len]);
            f
        })
        .collect();
    let capture = pcap_file(PcapFormat::new(link_type_field), &timed(with_fcs, false));
    (capture, frames)
}

#[test]
fn link_type_with_fcs_bits_is_read_and_the_fcs_dropped() {
    // FCS-present bit 0x04000000; the top nibble counts 16-bit words: 2 (4 bytes), 4 (8 bytes).
    for (field, fcs_len) in [(0x2400_0001u32, 4usize), (0x4400_0001, 8)] {
        let (capture, frames) = fcs_capture(field, fcs_len);
        for out in run(&format!("fcs-{field:08x}"), &capture) {
            let what = format!("link type {field:#010x} under {}", out.policy);
            let (header, packets) = read_pcap(&out.capture);
            assert_eq!(
                header_fields(&out.capture).5,
                1,
                "{what}: plain Ethernet link type written"
            );
            assert_eq!(u32::from(header.datalink), 1, "{what}");
            assert_eq!(packets.len(), frames.len(), "{what}: every packet written");
            for (p, f) in packets.iter().zip(&frames) {
                assert_eq!(
                    p.orig_len as usize,
                    f.len(),
                    "{what}: original length without the FCS"
                );
            }
            assert!(
                !contains(&out.capture, &FCS[..4]),
                "{what}: FCS bytes copied"
            );
            assert_eq!(
                out.summary.int("redactions.tls_record_headers_kept"),
                1,
                "{what}: the TLS record was analysed"
            );
            assert_eq!(
                out.summary
                    .count("output.packets_dropped.unsupported_link_type"),
                0,
                "{what}"
            );
        }
    }
}

#[test]
fn loopback_packet_of_unknown_family_is_dropped_and_counted() {
    let frames: Vec<Vec<u8>> = tls_conversation()
        .iter()
        .map(|s| Link::NullLe.frame(&s.ip(false), false, s.from_client))
        .collect();
    let count = frames.len() as i64;
    // Family 0x5a7e is no address family; what follows is a marker that must not survive.
    let family = 0x5a7eu32.to_le_bytes();
    let mut odd = family.to_vec();
    odd.extend_from_slice(SECRET);
    let mut all = frames;
    all.push(odd);
    let capture = pcap_file(PcapFormat::new(0), &timed(all, false));
    for out in run("null-family", &capture) {
        assert!(
            !contains(&out.capture, &family),
            "{}: the unknown family was copied",
            out.policy
        );
        assert!(!contains(&out.capture, SECRET), "{}", out.policy);
        assert_eq!(
            out.summary
                .count("output.packets_dropped.unknown_link_family"),
            1,
            "{}",
            out.policy
        );
        assert_eq!(
            out.summary.int("output.packets_written"),
            count,
            "{}",
            out.policy
        );
    }
}

#[test]
fn pcapng_section_header_fields_are_normalised() {
    let mut ng = Ng::section(false, &[(SHB_USERAPPL, b"capture-site tool 1.2")]);
    ng.idb(1, 262_144, &[]);
    for (i, f) in ethernet_tls_frames().iter().enumerate() {
        ng.epb(0, 1_700_000_000_000_000 + i as u64, f, f.len() as u32, &[]);
    }
    let mut capture = ng.buf.clone();
    // Minor version 2 and a section length that names the file's size: neither is written.
    capture[14..16].copy_from_slice(&2u16.to_le_bytes());
    let planted_len = 0x0123_4567_89ab_cdefu64.to_le_bytes();
    capture[16..24].copy_from_slice(&planted_len);
    let s = Scratch::new();
    let input = s.write("section.pcapng", &capture);
    for policy in POLICIES {
        let out = s.path(&format!("out-{policy}"));
        sanitize_ok(&[&input], &out, &["-p", policy]);
        let bytes = std::fs::read(output_file(&out, ".sanitized.pcapng")).expect("capture");
        assert_eq!(
            bytes[12..24],
            [1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            "{policy}: version 1.0, section length unspecified"
        );
        assert!(!contains(&bytes, &planted_len), "{policy}");
        assert!(!contains(&bytes, b"capture-site"), "{policy}");
    }
}
