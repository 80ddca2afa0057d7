//! tshark's TLS view of the inputs and outputs, for the TLS interop tests in `tests/interop.rs`
//! (`diagnosis_agrees_with_tshark`, `sanitized_handshakes_stay_readable`,
//! `no_sensitive_bytes_survive`).
//!
//! tshark writes PDML (`-T pdml`, one XML element per protocol item, nested as in Wireshark's
//! tree); a small parser here turns each packet into a [`TlsFrame`]: endpoints, the TLS
//! handshake messages and alerts tshark decoded (after its TCP and TLS reassembly), and the
//! sensitive values a sanitizer must remove (names, certificates, tickets, ...). The packet
//! trees are dropped as soon as they are summarised, so even the largest corpus files stay
//! small in memory.
//!
//! Everything expensive runs once per test process: [`tls_views`] holds, per input, the plain
//! `pcapscrub diagnose --format yaml` report, the ports decoded as TLS, and tshark's TLS frames
//! of the original and of the keyed output of [`super::sanitized`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{
    Input, decode_as, inputs, par_map, pcapscrub_bin, sanitized, tshark, tshark_config_dir,
};

// ---------------------------------------------------------------------------------------------
// PDML
// ---------------------------------------------------------------------------------------------

/// One `<proto>` or `<field>` element of a PDML packet.
#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub show: String,
    pub showname: String,
    pub value: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first direct child called `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Direct children called `name`, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Every descendant (depth first, document order) called `name`.
    pub fn find<'a>(&'a self, name: &str) -> Vec<&'a Node> {
        let mut out = Vec::new();
        self.walk(&mut |n| {
            if n.name == name {
                out.push(n);
            }
        });
        out
    }

    /// Calls `f` on every descendant (not on `self`), depth first, in document order.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        for c in &self.children {
            f(c);
            c.walk(f);
        }
    }

    /// The `value` attribute (hex) as bytes; `None` when absent or not hex.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        unhex(&self.value)
    }
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `0x0303`, `771` → 771.
pub fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn xml_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let ent = &rest[1..end];
        let decoded = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses the attributes of one tag (the text between the tag name and `>`).
fn attributes(mut s: &str) -> Vec<(&str, String)> {
    let mut v = Vec::new();
    loop {
        s = s.trim_start();
        let Some(eq) = s.find('=') else { break };
        let name = s[..eq].trim();
        let after = &s[eq + 1..];
        let Some(q) = after.find('"') else { break };
        let body = &after[q + 1..];
        let Some(close) = body.find('"') else { break };
        v.push((name, xml_unescape(&body[..close])));
        s = &body[close + 1..];
    }
    v
}

/// Streams the packets of a PDML document to `each` (the packet's `<proto>` elements as the
/// children of one root node).
pub fn parse_pdml(text: &str, mut each: impl FnMut(Node)) -> Result<(), String> {
    let mut stack: Vec<Node> = Vec::new();
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        let Some(gt) = rest[lt..].find('>') else {
            return Err("PDML ends inside a tag".into());
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(closing) = tag.strip_prefix('/') {
            match closing.trim() {
                "packet" => {
                    let root = stack.pop().ok_or("</packet> without <packet>")?;
                    if !stack.is_empty() {
                        return Err("unbalanced PDML packet".into());
                    }
                    each(root);
                }
                "proto" | "field" => {
                    let node = stack.pop().ok_or("unbalanced PDML")?;
                    stack
                        .last_mut()
                        .ok_or("unbalanced PDML")?
                        .children
                        .push(node);
                }
                _ => {}
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (tname, attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        match tname {
            "packet" => stack.push(Node {
                name: "packet".into(),
                ..Node::default()
            }),
            "proto" | "field" => {
                let mut n = Node::default();
                for (k, v) in attributes(attrs) {
                    match k {
                        "name" => n.name = v,
                        "show" => n.show = v,
                        "showname" => n.showname = v,
                        "value" => n.value = v,
                        _ => {}
                    }
                }
                if self_closing {
                    stack
                        .last_mut()
                        .ok_or("field outside a packet")?
                        .children
                        .push(n);
                } else {
                    stack.push(n);
                }
            }
            _ => {}
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err("PDML ends inside a packet (tshark output cut?)".into())
    }
}

// ---------------------------------------------------------------------------------------------
// One frame as tshark sees its TLS
// ---------------------------------------------------------------------------------------------

/// A handshake message (or an SSLv2 message, whose fields sit on the record itself).
#[derive(Debug, Default, Clone)]
pub struct Handshake {
    pub typ: u8,
    pub sslv2: bool,
    /// `tls.handshake.length`.
    pub length: Option<u64>,
    /// `tls.handshake.version` (ClientHello/ServerHello legacy version, SSLv2 version).
    pub version: Option<u16>,
    /// `tls.handshake.extensions.supported_version`, in order (GREASE included).
    pub supported_versions: Vec<u16>,
    /// `tls.handshake.ciphersuite`: the list of a ClientHello, the choice of a ServerHello.
    pub suites: Vec<u16>,
    /// A ServerHello carrying the HelloRetryRequest random.
    pub hrr: bool,
    pub random: Option<Vec<u8>>,
    /// `tls.handshake.extensions_server_name` values.
    pub sni: Vec<String>,
    pub ext_types: Vec<u16>,
    pub ext_lens: Vec<u16>,
    /// `tls.handshake.certificate` occurrences (Certificate, SSLv2 SERVER-HELLO).
    pub certs: usize,
    pub cert_lengths: Vec<u64>,
}

/// A TLS alert: `None` level/description when tshark shows it as "Encrypted Alert".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertMsg {
    pub level: Option<u8>,
    pub desc: Option<u8>,
}

/// Values a sanitized capture must not contain, with the kind they were found as.
#[derive(Debug, Default, Clone)]
pub struct Sensitive {
    /// (kind, text): SNI names, X.509 directory strings, SAN names, e-mail addresses.
    pub strings: Vec<(String, String)>,
    /// (kind, bytes): certificates (DER), serial numbers, session tickets, PSK identities.
    pub blobs: Vec<(String, Vec<u8>)>,
    /// DER of each certificate's `validity` SEQUENCE (kept by design, SECURITY.md).
    pub validities: Vec<Vec<u8>>,
}

#[derive(Debug, Default, Clone)]
pub struct TlsFrame {
    pub number: u64,
    /// The frame holds an ICMP/ICMPv6 message (its TCP is a quote, not a conversation's).
    pub icmp: bool,
    pub stream: Option<u64>,
    /// Endpoints of the first TCP header, with the IP header right before it.
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub messages: Vec<Handshake>,
    pub alerts: Vec<AlertMsg>,
    pub sensitive: Sensitive,
}

const HRR_RANDOM: &str = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c";

fn num_of(n: Option<&Node>) -> Option<u64> {
    n.and_then(|n| parse_num(&n.show))
}

fn handshake_of(h: &Node, sslv2: bool) -> Handshake {
    let u16s = |name: &str| -> Vec<u16> {
        h.find(name)
            .into_iter()
            .filter_map(|n| parse_num(&n.show).map(|v| v as u16))
            .collect()
    };
    let random = h.child("tls.handshake.random").and_then(Node::bytes);
    Handshake {
        typ: num_of(h.child("tls.handshake.type")).unwrap_or(255) as u8,
        sslv2,
        length: num_of(h.child("tls.handshake.length")),
        version: num_of(h.child("tls.handshake.version")).map(|v| v as u16),
        supported_versions: u16s("tls.handshake.extensions.supported_version"),
        suites: u16s("tls.handshake.ciphersuite"),
        hrr: random
            .as_deref()
            .is_some_and(|r| unhex(HRR_RANDOM).as_deref() == Some(r)),
        random,
        sni: h
            .find("tls.handshake.extensions_server_name")
            .into_iter()
            .map(|n| n.show.clone())
            .collect(),
        ext_types: u16s("tls.handshake.extension.type"),
        ext_lens: u16s("tls.handshake.extension.len"),
        certs: h.find("tls.handshake.certificate").len(),
        cert_lengths: h
            .find("tls.handshake.certificate_length")
            .into_iter()
            .filter_map(|n| parse_num(&n.show))
            .collect(),
    }
}

/// X.509 string fields whose `show` is text (not a CHOICE index or bytes).
fn is_x509_text_field(name: &str) -> bool {
    if let Some(f) = name.strip_prefix("x509sat.") {
        return (f.ends_with("String") || f.ends_with("string") || f == "CountryName")
            && !matches!(f, "DirectoryString" | "OctetString" | "BitString");
    }
    matches!(
        name,
        "x509ce.dNSName" | "x509ce.rfc822Name" | "x509ce.uniformResourceIdentifier"
    )
}

fn collect_sensitive(tls: &Node, s: &mut Sensitive) {
    tls.walk(&mut |n| {
        let name = n.name.as_str();
        if name == "tls.handshake.extensions_server_name" {
            s.strings.push(("SNI".into(), n.show.clone()));
        } else if is_x509_text_field(name) {
            s.strings.push((name.to_string(), n.show.clone()));
        } else if let Some(kind) = match name {
            "tls.handshake.certificate" => Some("certificate DER"),
            "x509af.serialNumber" => Some("certificate serial number"),
            "tls.handshake.session_ticket" => Some("NewSessionTicket ticket"),
            "tls.handshake.extensions.psk.identity.identity" => Some("PSK identity"),
            _ => None,
        } {
            if let Some(b) = n.bytes() {
                s.blobs.push((kind.into(), b));
            }
        } else if name.is_empty() && n.show.starts_with("Extension: session_ticket") {
            if let Some(b) = n.bytes().filter(|b| b.len() > 4) {
                s.blobs
                    .push(("session_ticket extension".into(), b[4..].to_vec()));
            }
        } else if name == "x509af.validity_element" {
            let parts: Option<Vec<Vec<u8>>> = ["x509af.notBefore", "x509af.notAfter"]
                .iter()
                .map(|f| n.child(f).and_then(Node::bytes))
                .collect();
            if let Some(parts) = parts {
                let body: Vec<u8> = parts.concat();
                if body.len() < 128 {
                    let mut v = vec![0x30, body.len() as u8];
                    v.extend(body);
                    s.validities.push(v);
                }
            }
        }
    });
}

fn ip_of(n: &Node, field: &str) -> Option<IpAddr> {
    n.child(field).and_then(|f| f.show.parse().ok())
}

/// Summarises one PDML packet.
pub fn tls_frame(packet: &Node) -> TlsFrame {
    let mut f = TlsFrame::default();
    let mut last_ip: Option<(IpAddr, IpAddr)> = None;
    let mut tcp_seen = false;
    for proto in &packet.children {
        match proto.name.as_str() {
            "geninfo" => {
                if let Some(n) = num_of(proto.child("num")) {
                    f.number = n;
                }
            }
            "frame" => {
                if let Some(n) = num_of(proto.child("frame.number")) {
                    f.number = n;
                }
            }
            "ip" => {
                if let (Some(s), Some(d)) = (ip_of(proto, "ip.src"), ip_of(proto, "ip.dst")) {
                    last_ip = Some((s, d));
                }
            }
            "ipv6" => {
                if let (Some(s), Some(d)) = (ip_of(proto, "ipv6.src"), ip_of(proto, "ipv6.dst")) {
                    last_ip = Some((s, d));
                }
            }
            "icmp" | "icmpv6" => f.icmp = true,
            "tcp" if !tcp_seen => {
                tcp_seen = true;
                f.stream = num_of(proto.child("tcp.stream"));
                let sp = num_of(proto.child("tcp.srcport"));
                let dp = num_of(proto.child("tcp.dstport"));
                if let (Some((s, d)), Some(sp), Some(dp)) = (last_ip, sp, dp) {
                    f.src = Some(SocketAddr::new(s, sp as u16));
                    f.dst = Some(SocketAddr::new(d, dp as u16));
                }
            }
            "tls" => {
                for rec in proto.children_named("tls.record") {
                    if rec.child("tls.handshake.type").is_some() {
                        f.messages.push(handshake_of(rec, true));
                    }
                    for c in &rec.children {
                        match c.name.as_str() {
                            "tls.handshake" => f.messages.push(handshake_of(c, false)),
                            "tls.alert_message" => f.alerts.push(AlertMsg {
                                level: num_of(c.child("tls.alert_message.level")).map(|v| v as u8),
                                desc: num_of(c.child("tls.alert_message.desc")).map(|v| v as u8),
                            }),
                            _ => {}
                        }
                    }
                }
                collect_sensitive(proto, &mut f.sensitive);
            }
            _ => {}
        }
    }
    f
}

/// tshark's reassembly preferences (the defaults spelled out, plus out-of-order reassembly)
/// and `-d tcp.port==P,tls`.
pub fn tls_tshark_args(name: &str, ports: &[u16]) -> Vec<String> {
    let mut v: Vec<String> = [
        "-o",
        "tcp.desegment_tcp_streams:TRUE",
        "-o",
        "tls.desegment_ssl_records:TRUE",
        // Off by default in Wireshark 4.0: without it a server flight whose first segment
        // arrives after the later ones (suricata-verify-tls-fingerprint-alert, zeek-hrr,
        // suricata-verify-tls-subjectaltname stream 3) is never reassembled and tshark shows
        // no ServerHello at all.
        "-o",
        "tcp.reassemble_out_of_order:TRUE",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in ports {
        v.push("-d".into());
        v.push(format!("tcp.port=={p},tls"));
    }
    v.extend(decode_as(name).iter().map(|s| s.to_string()));
    v
}

/// Runs tshark with `args` and returns its stdout (stderr folded into the error).
pub fn run_tshark(path: &Path, args: &[String]) -> Result<String, String> {
    let out = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", tshark_config_dir())
        .arg("-n")
        .arg("-r")
        .arg(path)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run tshark: {e}"))?;
    if !out.status.success() {
        return Err(super::tshark_failure(path, &out));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// tshark's TLS frames of a capture (only frames with TLS), with the ports decoded as TLS.
pub fn dissect_tls(path: &Path, name: &str, ports: &[u16]) -> Result<Vec<TlsFrame>, String> {
    let mut args = tls_tshark_args(name, ports);
    for a in [
        "-Y",
        "tls",
        "-T",
        "pdml",
        "-J",
        "frame ip ipv6 tcp tls icmp icmpv6",
    ] {
        args.push(a.into());
    }
    let text = run_tshark(path, &args)?;
    let mut frames = Vec::new();
    parse_pdml(&text, |p| frames.push(tls_frame(&p)))
        .map_err(|e| format!("{name}: bad PDML from tshark: {e}"))?;
    Ok(frames)
}

// ---------------------------------------------------------------------------------------------
// `pcapscrub diagnose --format yaml`
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct DiagReport {
    #[serde(default)]
    pub connections: Option<Vec<DiagConn>>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct DiagConn {
    pub id: u64,
    pub client: String,
    pub server: String,
    pub verdict: String,
    /// `tcp` or `udp` (docs/udp.md).
    #[serde(default)]
    pub transport: Option<String>,
    #[serde(default)]
    pub tls: Option<DiagTls>,
}

#[derive(Debug, Deserialize, Clone, Default)]
pub struct DiagTls {
    #[serde(default)]
    pub versions_offered: Option<Vec<String>>,
    #[serde(default)]
    pub negotiated_version: Option<String>,
    #[serde(default)]
    pub hello_retry_request: Option<bool>,
    #[serde(default)]
    pub cipher_suite: Option<String>,
    #[serde(default)]
    pub sni: Option<DiagSni>,
    #[serde(default)]
    pub sslv2_hello: Option<bool>,
    #[serde(default)]
    pub alerts: Option<Vec<DiagAlert>>,
    #[serde(default)]
    pub server_certificates: Option<Vec<DiagCert>>,
    #[serde(default)]
    pub client_certificates: Option<Vec<DiagCert>>,
}

#[derive(Debug, Deserialize, Clone, Default)]
pub struct DiagSni {
    #[serde(default)]
    pub present: bool,
    #[serde(default)]
    pub length: Option<u64>,
    #[serde(default)]
    pub count: Option<u64>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct DiagAlert {
    pub from: String,
    #[serde(default)]
    pub encrypted: bool,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub code: Option<u64>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct DiagCert {
    #[serde(default)]
    pub der_length: Option<u64>,
}

impl DiagConn {
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.client.parse().ok()
    }

    pub fn server_addr(&self) -> Option<SocketAddr> {
        self.server.parse().ok()
    }

    /// Whether the tool found TLS on this connection (any handshake fact or record).
    pub fn has_tls_facts(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| {
            t.versions_offered.as_ref().is_some_and(|v| !v.is_empty())
                || t.negotiated_version.is_some()
                || t.cipher_suite.is_some()
                || t.sni.as_ref().is_some_and(|s| s.present)
                || t.alerts.as_ref().is_some_and(|a| !a.is_empty())
                || t.server_certificates
                    .as_ref()
                    .is_some_and(|c| !c.is_empty())
        })
    }
}

pub fn diagnose_plain(path: &Path) -> Result<Vec<DiagConn>, String> {
    let out = Command::new(pcapscrub_bin())
        .arg("diagnose")
        .arg(path)
        .args(["--format", "yaml"])
        .output()
        .map_err(|e| format!("cannot run pcapscrub: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "diagnose exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_saphyr::from_str::<DiagReport>(&text)
        .map(|r| r.connections.unwrap_or_default())
        .map_err(|e| format!("diagnose YAML not parsable: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Shared per-input TLS views
// ---------------------------------------------------------------------------------------------

/// Server ports tshark would not dissect as TLS on its own, but where the tool found TLS
/// handshake traffic, are decoded as TLS (`-d tcp.port==P,tls`). Not for ports whose
/// application protocol leads tshark into TLS itself (STARTTLS): forcing TLS there would hide
/// the cleartext phase and the handshake after it.
pub const STARTTLS_PORTS: &[u16] = &[21, 25, 110, 143, 389, 587, 5432, 6667];

/// The tool's view and tshark's TLS view of one input and its keyed output; index-aligned
/// with [`inputs`].
#[derive(Debug)]
pub struct TlsView {
    pub diagnosis: Result<Vec<DiagConn>, String>,
    pub ports: Vec<u16>,
    pub input: Result<Vec<TlsFrame>, String>,
    pub output: Result<Vec<TlsFrame>, String>,
}

fn tls_ports(diag: &Result<Vec<DiagConn>, String>) -> Vec<u16> {
    let mut ports: Vec<u16> = diag
        .as_ref()
        .map(|conns| {
            conns
                .iter()
                .filter(|c| c.has_tls_facts())
                .filter_map(|c| c.server_addr().map(|a| a.port()))
                .filter(|p| *p != 443 && !STARTTLS_PORTS.contains(p))
                .collect()
        })
        .unwrap_or_default();
    ports.sort_unstable();
    ports.dedup();
    ports
}

pub fn tls_view_of(i: &Input, index: usize) -> TlsView {
    let diagnosis = diagnose_plain(&i.path);
    let ports = tls_ports(&diagnosis);
    let input = dissect_tls(&i.path, &i.name, &ports);
    let s = &sanitized()[index];
    let output = if s.ok() {
        dissect_tls(&s.capture, &i.name, &ports)
    } else {
        Err(format!("no output: sanitize of {} failed", i.name))
    };
    TlsView {
        diagnosis,
        ports,
        input,
        output,
    }
}

pub fn tls_views() -> &'static [TlsView] {
    static DONE: OnceLock<Vec<TlsView>> = OnceLock::new();
    DONE.get_or_init(|| {
        assert!(tshark(), "tshark is required");
        let _ = sanitized();
        let idx: Vec<usize> = (0..inputs().len()).collect();
        par_map(&idx, |&k| tls_view_of(&inputs()[k], k))
    })
}

// ---------------------------------------------------------------------------------------------
// Searching many needles at once
// ---------------------------------------------------------------------------------------------

/// Many needles (each at least [`Needles::KEY`] bytes) searched in one pass over a haystack:
/// every position's first `KEY` bytes are looked up in a table of needle prefixes, and only
/// those candidates are compared in full.
pub struct Needles<T> {
    by_prefix: HashMap<[u8; 4], Vec<usize>>,
    needles: Vec<(Vec<u8>, T)>,
    case_insensitive: bool,
}

impl<T> Needles<T> {
    pub const KEY: usize = 4;

    pub fn new(case_insensitive: bool) -> Self {
        Needles {
            by_prefix: HashMap::new(),
            needles: Vec::new(),
            case_insensitive,
        }
    }

    /// Adds a needle; returns false (and ignores it) when it is shorter than `KEY`.
    pub fn add(&mut self, needle: &[u8], tag: T) -> bool {
        if needle.len() < Self::KEY {
            return false;
        }
        let n = if self.case_insensitive {
            needle.to_ascii_lowercase()
        } else {
            needle.to_vec()
        };
        let key: [u8; 4] = n[..4].try_into().unwrap();
        self.by_prefix
            .entry(key)
            .or_default()
            .push(self.needles.len());
        self.needles.push((n, tag));
        true
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// (offset, needle tag) of every occurrence of every needle in `hay`.
    pub fn find_in<'a>(&'a self, hay: &[u8]) -> Vec<(usize, &'a T)> {
        let lowered;
        let h: &[u8] = if self.case_insensitive {
            lowered = hay.to_ascii_lowercase();
            &lowered
        } else {
            hay
        };
        let mut hits = Vec::new();
        if h.len() < Self::KEY {
            return hits;
        }
        for i in 0..=h.len() - Self::KEY {
            let key: [u8; 4] = h[i..i + 4].try_into().unwrap();
            if let Some(cands) = self.by_prefix.get(&key) {
                for &c in cands {
                    let (n, tag) = &self.needles[c];
                    if h[i..].starts_with(n) {
                        hits.push((i, tag));
                    }
                }
            }
        }
        hits
    }
}
