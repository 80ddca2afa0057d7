//! Redaction of TLS handshakes by `pcapscrub sanitize` (SECURITY.md), on synthetic TCP
//! conversations built in code: a host name cut across two segments, identical and conflicting
//! retransmissions of a ClientHello, certificate placeholders, and randoms under the strict
//! policy.
//!
//! The only sample bytes reused are the ClientHello record of
//! `samples/tls13-only-vs-tls12-server.pcap` (SNI `api.pcapscrub-test.example`) and the
//! captures `samples/tls12-complete.pcap` / `samples/tls12-client-cert.pcap` for the
//! certificate placeholders. The outputs are read back by hand (Ethernet/IPv4/TCP), since a
//! sanitized packet's payload may be cut short. Nothing here needs tshark.

mod fixtures_gen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fixtures_gen::conv::Conv;
use fixtures_gen::serde_json_like::Value;
use fixtures_gen::*;

/// The SNI of the sample ClientHello.
const NAME: &[u8] = b"api.pcapscrub-test.example";
/// A different name of the same length, patched in place of [`NAME`].
const EVIL: &[u8] = b"evil.attacker-smuggle.test";
/// The reserved suffixes a pseudonym may share with an original (SECURITY.md).
const RESERVED: [&[u8]; 3] = [b".example", b".test", b".invalid"];
/// A fixed mapping key, so every run maps the same way.
const KEY: &[u8] = b"pcapscrub redaction tests: a fixed 48-byte key!!";

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

// ---------------------------------------------------------------------------------------------
// A TCP conversation
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Reading outputs back
// ---------------------------------------------------------------------------------------------

/// The TCP view of one output packet (Ethernet/IPv4, as the fixtures are built).
#[derive(Clone, Debug)]
struct OutSeg {
    /// pcap `orig_len`: the packet's length on the wire.
    orig_len: u32,
    from_client: bool,
    seq: u32,
    /// The captured payload (possibly cut short by the sanitizer).
    payload: Vec<u8>,
    /// The payload length the IP header announces.
    wire_payload_len: usize,
}

/// Ethernet → IPv4 → TCP by hand: the payload is whatever was captured after the TCP header,
/// bounded by the IP total length (Ethernet padding excluded).
fn tcp_of(rec: &PcapOut) -> Option<OutSeg> {
    let d = &rec.data;
    if d.len() < 14 + 20 || d[12..14] != [0x08, 0x00] {
        return None;
    }
    let ip = &d[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    if ip[9] != 6 || ip.len() < ihl + 20 {
        return None;
    }
    let tcp = &ip[ihl..];
    let doff = usize::from(tcp[12] >> 4) * 4;
    let sport = u16::from_be_bytes([tcp[0], tcp[1]]);
    let end = total.min(ip.len());
    let payload = if ihl + doff <= end {
        ip[ihl + doff..end].to_vec()
    } else {
        Vec::new()
    };
    Some(OutSeg {
        orig_len: rec.orig_len,
        from_client: sport == CLIENT_PORT,
        seq: u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
        payload,
        wire_payload_len: total.saturating_sub(ihl + doff),
    })
}

fn segments(capture: &[u8]) -> Vec<OutSeg> {
    let (_, recs) = read_pcap(capture);
    recs.iter()
        .map(|r| tcp_of(r).expect("every fixture packet is Ethernet/IPv4/TCP"))
        .collect()
}

/// Client segments that carry payload on the wire.
fn client_data(segs: &[OutSeg]) -> Vec<&OutSeg> {
    segs.iter()
        .filter(|s| s.from_client && s.wire_payload_len > 0)
        .collect()
}

/// Sanitizes `input` (written into a scratch folder) with the fixed key and `extra` options;
/// returns the output capture and the summary.
fn run_sanitize(s: &Scratch, input: &[u8], extra: &[&str]) -> (Vec<u8>, Value) {
    let key = s.write("key", KEY);
    let path = s.write("capture.pcap", input);
    let out = s.path("out");
    let key_s = key.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["--key", &key_s];
    args.extend_from_slice(extra);
    sanitize_ok(&[&path], &out, &args);
    let capture = std::fs::read(out.join("capture.sanitized.pcap")).expect("output capture");
    (capture, summary(&out.join("capture.summary.yaml")))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// 4-byte windows of `name` found in `hay`, except windows inside a reserved suffix the name
/// ends with (a pseudonym may end in the same `.example`).
fn windows_found(hay: &[u8], name: &[u8]) -> Vec<String> {
    let suffix_len = RESERVED
        .iter()
        .find(|s| name.ends_with(s))
        .map_or(0, |s| s.len());
    let mut found = Vec::new();
    for (k, w) in name.windows(4).enumerate() {
        let in_suffix = k >= name.len() - suffix_len;
        let in_any_reserved = RESERVED.iter().any(|s| find(s, w).is_some());
        if !(in_suffix || in_any_reserved) && contains(hay, w) {
            found.push(String::from_utf8_lossy(w).into_owned());
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// TLS parsing (just enough)
// ---------------------------------------------------------------------------------------------

fn u16_at(b: &[u8], p: usize) -> usize {
    usize::from(u16::from_be_bytes([b[p], b[p + 1]]))
}

fn u24_at(b: &[u8], p: usize) -> usize {
    (usize::from(b[p]) << 16) | (usize::from(b[p + 1]) << 8) | usize::from(b[p + 2])
}

/// The host name of the server_name extension of a ClientHello record (header included),
/// with its offset in the record.
fn sni_of(record: &[u8]) -> Option<(usize, Vec<u8>)> {
    let hs = record.get(5..)?;
    if *hs.first()? != 1 {
        return None;
    }
    let mut p = 4 + 2 + 32;
    p += 1 + usize::from(*hs.get(p)?);
    p += 2 + u16_at(hs, p);
    p += 1 + usize::from(*hs.get(p)?);
    let ext_end = p + 2 + u16_at(hs, p);
    p += 2;
    while p + 4 <= ext_end.min(hs.len()) {
        let (typ, len) = (u16_at(hs, p), u16_at(hs, p + 2));
        if typ == 0 {
            // list length (2), name type (1), name length (2), name
            let nlen = u16_at(hs, p + 4 + 3);
            let start = p + 4 + 5;
            return Some((5 + start, hs.get(start..start + nlen)?.to_vec()));
        }
        p += 4 + len;
    }
    None
}

/// The 32-byte random of a ClientHello record.
fn random_of(record: &[u8]) -> Vec<u8> {
    record[11..43].to_vec()
}

/// The ClientHello record (header included) that curl sent in
/// `samples/tls13-only-vs-tls12-server.pcap`: the client's first TCP payload.
fn real_client_hello() -> &'static [u8] {
    static CH: OnceLock<Vec<u8>> = OnceLock::new();
    CH.get_or_init(|| {
        let bytes = std::fs::read(samples_dir().join("tls13-only-vs-tls12-server.pcap"))
            .expect("sample readable");
        let (_, recs) = read_pcap(&bytes);
        let segs: Vec<OutSeg> = recs.iter().filter_map(tcp_of).collect();
        // The client is the side that sent the SYN: the sample's ports are not the fixture's,
        // so find the first payload that is a ClientHello record.
        let p = segs
            .iter()
            .map(|s| &s.payload)
            .find(|p| p.len() > 43 && p[0] == 0x16 && p[5] == 0x01)
            .expect("a ClientHello in the sample")
            .clone();
        assert_eq!(
            p.len(),
            5 + u16_at(&p, 3),
            "the ClientHello record fills the segment"
        );
        let (_, name) = sni_of(&p).expect("the sample's ClientHello has an SNI");
        assert_eq!(name, NAME, "the sample's SNI");
        p
    })
}

/// Reassembles one direction's captured payload bytes by sequence number, from `start`;
/// stops at the first byte no packet captured.
fn reassemble(segs: &[OutSeg], from_client: bool, start: u32) -> Vec<u8> {
    let mut bytes: BTreeMap<usize, u8> = BTreeMap::new();
    for s in segs.iter().filter(|s| s.from_client == from_client) {
        let off = s.seq.wrapping_sub(start) as usize;
        if off > 1 << 24 {
            continue;
        }
        for (k, b) in s.payload.iter().enumerate() {
            bytes.entry(off + k).or_insert(*b);
        }
    }
    let mut out = Vec::new();
    while let Some(b) = bytes.get(&out.len()) {
        out.push(*b);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 1. a host name cut across two segments
// ---------------------------------------------------------------------------------------------

#[test]
fn sni_cut_across_two_segments() {
    let ch = real_client_hello();
    let (name_at, _) = sni_of(ch).unwrap();
    let cut = name_at + NAME.len() / 2;
    let mut conv = Conv::standard();
    conv.handshake();
    conv.data(true, &ch[..cut]).data(true, &ch[cut..]);
    conv.alert_and_close();
    let s = Scratch::new();
    let (out, sum) = run_sanitize(&s, &conv.pcap(), &[]);
    let segs = segments(&out);
    let data = client_data(&segs);
    assert_eq!(data.len(), 2, "two client data segments in the output");
    for (k, d) in data.iter().enumerate() {
        let found = windows_found(&d.payload, NAME);
        assert!(
            found.is_empty(),
            "output segment {} still holds pieces of the name: {found:?}",
            k + 1
        );
        assert_eq!(
            d.payload.len(),
            d.wire_payload_len,
            "segment {}: the ClientHello bytes are kept, not cut",
            k + 1
        );
    }
    assert!(!contains(&out, NAME), "the name is in the output");
    let mut joined = data[0].payload.clone();
    joined.extend_from_slice(&data[1].payload);
    assert_eq!(joined.len(), ch.len(), "the ClientHello keeps its length");
    let (at, pseudonym) = sni_of(&joined).expect("the output ClientHello parses");
    assert_eq!(at, name_at, "the name stays where it was");
    assert_eq!(
        pseudonym.len(),
        NAME.len(),
        "the pseudonym has the name's length"
    );
    assert_ne!(pseudonym, NAME);
    assert!(
        pseudonym.ends_with(b".example"),
        "pseudonym {:?} is not under .example",
        String::from_utf8_lossy(&pseudonym)
    );
    let conn = &sum.seq("connections")[0];
    assert_eq!(
        conn.str("tls.sni_pseudonym").as_bytes(),
        &pseudonym[..],
        "the summary's pseudonym is the one in the capture"
    );
    // Everything but the name is unchanged.
    let mut expect = ch.to_vec();
    expect[name_at..name_at + NAME.len()].copy_from_slice(&pseudonym);
    assert_eq!(joined, expect, "only the name changed in the ClientHello");
}

// ---------------------------------------------------------------------------------------------
// 2. an identical retransmission
// ---------------------------------------------------------------------------------------------

#[test]
fn retransmitted_client_hello_both_copies_redacted() {
    let ch = real_client_hello();
    let mut conv = Conv::standard();
    conv.handshake();
    conv.data_at(true, 0, ch).data(true, ch);
    conv.alert_and_close();
    let s = Scratch::new();
    let (out, sum) = run_sanitize(&s, &conv.pcap(), &[]);
    let segs = segments(&out);
    let data = client_data(&segs);
    assert_eq!(data.len(), 2, "both copies are in the output");
    assert_eq!(
        data[0].payload, data[1].payload,
        "the two copies of the ClientHello differ in the output"
    );
    let pseudonym = sum.seq("connections")[0]
        .str("tls.sni_pseudonym")
        .to_string();
    for (k, d) in data.iter().enumerate() {
        assert_eq!(d.payload.len(), ch.len(), "copy {}: cut short", k + 1);
        assert!(!contains(&d.payload, NAME), "copy {} holds the name", k + 1);
        let (_, name) = sni_of(&d.payload).expect("the copy parses");
        assert_eq!(
            String::from_utf8_lossy(&name),
            pseudonym,
            "copy {} carries another name than the summary's pseudonym",
            k + 1
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. a conflicting retransmission
// ---------------------------------------------------------------------------------------------

#[test]
fn conflicting_retransmission_keeps_neither_name() {
    let ch = real_client_hello();
    let (name_at, _) = sni_of(ch).unwrap();
    let mut evil = ch.to_vec();
    evil[name_at..name_at + NAME.len()].copy_from_slice(EVIL);
    assert_eq!(sni_of(&evil).unwrap().1, EVIL);
    let mut conv = Conv::standard();
    conv.handshake();
    conv.data_at(true, 0, ch).data(true, &evil);
    conv.alert_and_close();
    let input = conv.pcap();
    let s = Scratch::new();
    let (out, sum) = run_sanitize(&s, &input, &[]);
    let (before, after) = (segments(&input), segments(&out));
    assert_eq!(before.len(), after.len(), "no packet dropped");
    for name in [NAME, EVIL] {
        let label = String::from_utf8_lossy(name);
        assert!(!contains(&out, name), "{label} is in the output");
        let found = windows_found(&out, name);
        assert!(
            found.is_empty(),
            "the output holds pieces of {label}: {found:?}"
        );
    }
    assert!(
        sum.count("redactions.conflicting_ranges_removed") >= 1,
        "redactions.conflicting_ranges_removed = {}",
        sum.count("redactions.conflicting_ranges_removed")
    );
    let copies: Vec<(&OutSeg, &OutSeg)> = before
        .iter()
        .zip(&after)
        .filter(|(b, _)| b.from_client && b.wire_payload_len > 0)
        .collect();
    assert_eq!(copies.len(), 2);
    for (k, (b, a)) in copies.iter().enumerate() {
        assert_eq!(a.orig_len, b.orig_len, "copy {}: frame.len changed", k + 1);
        assert_eq!(a.seq, b.seq, "copy {}: sequence number changed", k + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. certificate placeholders
// ---------------------------------------------------------------------------------------------

/// The certificates (DER) of every Certificate message in one direction of a capture: the
/// direction's bytes reassembled from its first data segment (the captures start with the
/// TCP handshake), walked record by record.
fn certificates(segs: &[OutSeg], from_client: bool) -> Vec<Vec<u8>> {
    let Some(first) = segs
        .iter()
        .find(|s| s.from_client == from_client && s.wire_payload_len > 0)
        .map(|s| s.seq)
    else {
        return Vec::new();
    };
    let stream = reassemble(segs, from_client, first);
    // Handshake bytes of consecutive plaintext handshake records.
    let mut hs = Vec::new();
    let mut p = 0;
    while p + 5 <= stream.len() {
        let (typ, len) = (stream[p], u16_at(&stream, p + 3));
        if typ == 20 {
            break; // ChangeCipherSpec: what follows is encrypted
        }
        if typ == 22 {
            hs.extend_from_slice(&stream[p + 5..(p + 5 + len).min(stream.len())]);
        }
        p += 5 + len;
    }
    let mut certs = Vec::new();
    let mut q = 0;
    while q + 4 <= hs.len() {
        let (typ, len) = (hs[q], u24_at(&hs, q + 1));
        let body = &hs[q + 4..(q + 4 + len).min(hs.len())];
        if typ == 11 {
            let mut r = 3;
            while r + 3 <= body.len() {
                let l = u24_at(body, r);
                certs.push(body[r + 3..(r + 3 + l).min(body.len())].to_vec());
                r += 3 + l;
            }
        }
        q += 4 + len;
    }
    certs
}

/// The sample's certificates before and after sanitizing (server's, then client's).
fn sample_certificates(sample: &str) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let input = std::fs::read(samples_dir().join(sample)).expect("sample readable");
    let s = Scratch::new();
    let (out, _) = run_sanitize(&s, &input, &[]);
    // The samples' client port is not the fixture's: sides by the server port 443.
    let sides = |bytes: &[u8]| -> Vec<OutSeg> {
        let (_, recs) = read_pcap(bytes);
        recs.iter()
            .filter_map(|r| {
                let mut seg = tcp_of(r)?;
                let sport = u16::from_be_bytes([r.data[34], r.data[35]]);
                seg.from_client = sport != 443;
                Some(seg)
            })
            .collect()
    };
    let (a, b) = (sides(&input), sides(&out));
    let mut v = Vec::new();
    for (from_client, who) in [(false, "server"), (true, "client")] {
        let (orig, red) = (certificates(&a, from_client), certificates(&b, from_client));
        assert_eq!(
            orig.len(),
            red.len(),
            "{sample}: {who} certificates in the input vs the output"
        );
        for (k, (o, r)) in orig.into_iter().zip(red).enumerate() {
            v.push((format!("{sample}: {who} certificate {k}"), o, r));
        }
    }
    v
}

#[test]
fn certificate_placeholder_same_length_parses() {
    let certs = sample_certificates("tls12-complete.pcap");
    assert_eq!(certs.len(), 2, "leaf and intermediate");
    for (what, orig, red) in certs {
        assert_eq!(red.len(), orig.len(), "{what}: DER length changed");
        assert_ne!(red, orig, "{what}: kept as it was");
        let (rest, o) = x509_parser::parse_x509_certificate(&orig).expect("original parses");
        assert!(rest.is_empty());
        let (rest, p) = x509_parser::parse_x509_certificate(&red)
            .unwrap_or_else(|e| panic!("{what}: placeholder does not parse: {e}"));
        assert!(rest.is_empty(), "{what}: bytes after the placeholder");
        let subject = p.subject().to_string();
        assert!(
            subject.starts_with("CN=redacted-"),
            "{what}: placeholder subject {subject:?}"
        );
        assert!(
            p.issuer().to_string().starts_with("CN=redacted-"),
            "{what}: placeholder issuer {}",
            p.issuer()
        );
        assert_eq!(
            p.validity().not_before,
            o.validity().not_before,
            "{what}: notBefore"
        );
        assert_eq!(
            p.validity().not_after,
            o.validity().not_after,
            "{what}: notAfter"
        );
    }
}

/// Key size in bits of a certificate's public key (0 when x509-parser cannot tell).
fn key_bits(c: &x509_parser::certificate::X509Certificate) -> usize {
    use x509_parser::public_key::PublicKey;
    match c.public_key().parsed() {
        Ok(PublicKey::RSA(k)) => k.key_size(),
        Ok(PublicKey::EC(p)) => p.key_size(),
        _ => 0,
    }
}

fn is_ca(c: &x509_parser::certificate::X509Certificate) -> bool {
    c.basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca)
}

/// SECURITY.md: the placeholder keeps "position in chain, validity dates, key type and size,
/// signature algorithm, CA flag, self-signed or not", for server and client chains.
#[test]
fn certificate_placeholder_keeps_spec_facts() {
    let mut problems = Vec::new();
    let mut all = sample_certificates("tls12-complete.pcap");
    all.extend(sample_certificates("tls12-client-cert.pcap"));
    assert!(
        all.iter().any(|(w, _, _)| w.contains("client")),
        "no client certificate compared"
    );
    for (what, orig, red) in &all {
        let (_, o) = x509_parser::parse_x509_certificate(orig).expect("original parses");
        let Ok((_, p)) = x509_parser::parse_x509_certificate(red) else {
            problems.push(format!("{what}: placeholder does not parse"));
            continue;
        };
        let facts = |c: &x509_parser::certificate::X509Certificate| {
            [
                (
                    "signature algorithm",
                    c.signature_algorithm.algorithm.to_id_string(),
                ),
                (
                    "key type",
                    c.public_key().algorithm.algorithm.to_id_string(),
                ),
                ("key size", key_bits(c).to_string()),
                ("CA flag", is_ca(c).to_string()),
                ("self-signed", (c.subject() == c.issuer()).to_string()),
            ]
        };
        for ((name, a), (_, b)) in facts(&o).into_iter().zip(facts(&p)) {
            if a != b {
                problems.push(format!(
                    "{what}: {name} {a} in the original, {b} in the placeholder"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} placeholder fact(s) differ:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// 5. randoms under the strict policy
// ---------------------------------------------------------------------------------------------

#[test]
fn strict_scrambles_randoms_consistently() {
    let ch = real_client_hello();
    let mut conv = Conv::standard();
    conv.handshake();
    conv.data_at(true, 0, ch).data(true, ch);
    conv.alert_and_close();
    let input = conv.pcap();
    for (policy, scrambled) in [("strict", true), ("ticket", false)] {
        let s = Scratch::new();
        let (out, _) = run_sanitize(&s, &input, &["-p", policy]);
        let segs = segments(&out);
        let data = client_data(&segs);
        assert_eq!(data.len(), 2, "{policy}: both copies in the output");
        let randoms: Vec<Vec<u8>> = data
            .iter()
            .map(|d| {
                assert!(d.payload.len() >= 43, "{policy}: ClientHello cut short");
                random_of(&d.payload)
            })
            .collect();
        assert_eq!(
            randoms[0], randoms[1],
            "{policy}: the two copies carry different randoms"
        );
        if scrambled {
            assert_ne!(
                randoms[0],
                random_of(ch),
                "{policy}: the ClientHello random is kept"
            );
            assert!(
                !contains(&out, &random_of(ch)),
                "{policy}: the original random is still in the output"
            );
        } else {
            assert_eq!(
                randoms[0],
                random_of(ch),
                "{policy}: the ClientHello random changed"
            );
        }
    }
}

/// A `curl -v` log sanitized with `--client-log` uses the very pseudonyms of its capture: the
/// host name becomes the summary's `sni_pseudonym`, the server address the summary's server
/// address; the error text stays readable.
#[test]
fn client_log_is_sanitized_consistently_with_its_capture() {
    let s = Scratch::new();
    let log = s.write(
        "curl.log",
        b"* Connected to api.pcapscrub-test.example (10.77.0.2) port 443\n\
* TLSv1.3 (OUT), TLS handshake, Client hello (1):\n\
* TLSv1.3 (IN), TLS alert, protocol version (582):\n\
curl: (35) OpenSSL/3.0.11: error:0A00042E:SSL routines::tlsv1 alert protocol version\n",
    );
    let key = s.write("key", &[7u8; 32]);
    let outdir = s.path("out");
    let input = samples_dir().join("tls13-only-vs-tls12-server.pcap");
    let out = command()
        .arg("sanitize")
        .arg(&input)
        .arg("--client-log")
        .arg(&log)
        .arg("--key")
        .arg(&key)
        .arg("-o")
        .arg(&outdir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(outdir.join("client-log.sanitized.txt")).unwrap();
    let summary = std::fs::read_to_string(outdir.join("capture.summary.yaml")).unwrap();
    let field = |key: &str| {
        summary
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(key)
                    .map(|v| v.trim().trim_matches('"').to_string())
            })
            .unwrap_or_else(|| panic!("no {key} in the summary"))
    };
    let pseudonym = field("sni_pseudonym:");
    let server = field("server:");
    let server_addr = server.rsplit_once(':').map(|(a, _)| a.to_string()).unwrap();
    assert_eq!(pseudonym.len(), "api.pcapscrub-test.example".len());
    assert!(
        text.contains(&format!(
            "* Connected to {pseudonym} ({server_addr}) port 443"
        )),
        "{text}"
    );
    assert!(
        !text.contains("pcapscrub-test") && !text.contains("10.77."),
        "{text}"
    );
    assert!(text.contains(
        "curl: (35) OpenSSL/3.0.11: error:0A00042E:SSL routines::tlsv1 alert protocol version"
    ));
    let sums = std::fs::read_to_string(outdir.join("SHA256SUMS")).unwrap();
    assert!(sums.contains("  client-log.sanitized.txt"), "{sums}");
}
