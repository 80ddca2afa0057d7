//! A structured capture generator for the `sanitize_pipeline` target.
//!
//! The fuzzer's bytes are decoded (with `arbitrary`) into a [`Scenario`]: link type, container,
//! IP version, addresses, ports, initial sequence numbers, IP options or IPv6 extension headers,
//! the TLS items each side sends (handshake messages with every length able to lie, records of
//! any framing, alerts, application data, an SSLv2 hello, plaintext), and the order in which the
//! two byte streams are cut into TCP segments (in order, retransmitted, retransmitted with
//! *different* bytes at the same offsets, skipped, 1-byte segments, sequence-number wrap-around),
//! plus ICMP errors, ARP, UDP and raw frames. With no items at all the scenario is a full TLS 1.2
//! handshake, so even the smallest input reaches the TLS code.
//!
//! Every sensitive value (SNI names, certificate serials / names / keys / signatures, tickets,
//! PSK identities (in the extension and in PSK ClientKeyExchange messages), CA names, OCSP
//! responses (single and ocsp_multi), OCSP responder ids, signatures, unknown extension data,
//! random bodies of extensions whose grammar is known, unregistered ALPN ids, application data,
//! plaintext, IP option addresses, IPv6 PadN contents, random IPv6 addresses, also where a
//! multicast group embeds them) comes from a PRNG seeded by the
//! scenario and is recorded as a [`Secret`]. The capture is generated three times: with the
//! secrets, with the *alternate* secrets (another seed: same lengths, different bytes, used by
//! conflicting retransmissions), and blanked (secrets as zeros) for the leak check.

use arbitrary::Arbitrary;

use crate::capfile::{self, Container, Frame};
use crate::secrets::{Secret, WINDOW};
use testkit::checksum::{fold, pseudo_sum, sum16};

/// splitmix64
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Where secrets come from: one PRNG per stream version; blank mode yields zeros of the same
/// lengths (the PRNG still advances, so everything else stays identical).
struct Src {
    rng: Rng,
    blank: bool,
    secrets: Vec<Secret>,
}

impl Src {
    fn new(seed: u64, blank: bool) -> Src {
        Src {
            rng: Rng(seed),
            blank,
            secrets: Vec::new(),
        }
    }

    fn record(&mut self, what: &'static str, bytes: &[u8]) {
        if !self.blank && bytes.len() >= WINDOW {
            self.secrets.push(Secret {
                what,
                bytes: bytes.to_vec(),
            });
        }
    }

    /// Random bytes, `fix` applied (e.g. a DER integer's top bit), recorded.
    fn secret_with(&mut self, what: &'static str, n: usize, fix: impl Fn(&mut [u8])) -> Vec<u8> {
        let mut b = self.rng.bytes(n);
        if self.blank {
            b.fill(0);
        }
        fix(&mut b);
        self.record(what, &b);
        b
    }

    fn secret(&mut self, what: &'static str, n: usize) -> Vec<u8> {
        self.secret_with(what, n, |_| {})
    }

    /// A host-name label of letters and digits.
    fn label(&mut self, n: usize, upper: bool) -> Vec<u8> {
        let set: &[u8] = if upper {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        } else {
            b"abcdefghijklmnopqrstuvwxyz0123456789"
        };
        let b: Vec<u8> = (0..n)
            .map(|_| set[(self.rng.next() % set.len() as u64) as usize])
            .collect();
        if self.blank { vec![0; n] } else { b }
    }
}

/// A length adjustment: most values tell the truth, 16 of 256 lie by -8..=7.
fn lie(v: u8) -> i64 {
    if v >= 0xF0 { i64::from(v) - 0xF8 } else { 0 }
}

fn put_u16(out: &mut Vec<u8>, v: i64) {
    out.extend((v as u16).to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, v: i64) {
    out.extend(&(v as u32).to_be_bytes()[1..]);
}

// ---------------------------------------------------------------- DER certificates

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    match n {
        0..=127 => out.push(n as u8),
        128..=255 => out.extend([0x81, n as u8]),
        _ => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

const OID_SHA256_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
];
const OID_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
const OID_ECDSA_SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_EC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_CN: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];
const OID_SAN: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x11];
const OID_BASIC: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x13];

fn name_der(cn: &[u8]) -> Vec<u8> {
    seq(&[der(0x31, &seq(&[OID_CN.to_vec(), der(0x0c, cn)]))])
}

/// YYMMDDHHMMSSZ of a Unix time within 1950..2049 (civil-from-days).
fn utc_time(t: i64) -> Vec<u8> {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        y % 100,
        m,
        d,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    der(0x17, s.as_bytes())
}

#[derive(Arbitrary, Debug)]
pub enum CertSpec {
    X509 {
        rsa: bool,
        key_size: u8,
        self_signed: bool,
        ca: bool,
        cn_len: u8,
        sans: u8,
        not_before: u32,
        days: u16,
        serial_len: u8,
    },
    /// Random bytes that are no certificate at all.
    Garbage { len: u16 },
    /// The fuzzer's own bytes (not a secret: explores the X.509 and placeholder code).
    Raw(Vec<u8>),
}

fn certificate(spec: &CertSpec, src: &mut Src) -> Vec<u8> {
    match spec {
        CertSpec::Garbage { len } => {
            src.secret("garbage certificate", 8 + usize::from(*len) % 1500)
        }
        CertSpec::Raw(b) => b.clone(),
        CertSpec::X509 {
            rsa,
            key_size,
            self_signed,
            ca,
            cn_len,
            sans,
            not_before,
            days,
            serial_len,
        } => {
            let serial = src.secret_with(
                "certificate serial",
                8 + usize::from(*serial_len) % 13,
                |b| {
                    b[0] = (b[0] & 0x7f) | 1;
                },
            );
            let cn_n = 8 + usize::from(*cn_len) % 40;
            let subject_cn = src.label(cn_n, false);
            src.record("certificate subject CN", &subject_cn);
            let issuer_cn = if *self_signed {
                subject_cn.clone()
            } else {
                let cn = src.label(cn_n, true);
                src.record("certificate issuer CN", &cn);
                cn
            };
            let sig_alg = seq(&[if *rsa {
                [OID_SHA256_RSA, &[0x05, 0x00]].concat()
            } else {
                OID_ECDSA_SHA256.to_vec()
            }]);
            let nb = i64::from(*not_before) % 2_400_000_000;
            let validity = seq(&[
                utc_time(nb),
                utc_time(nb + 86_400 * (1 + i64::from(*days) % 3650)),
            ]);
            let (spki, sig_len) = if *rsa {
                let n = 64 * (1 + usize::from(*key_size) % 4);
                let modulus = src.secret_with("RSA modulus", n, |b| b[0] |= 0x80);
                let key = seq(&[
                    der(0x02, &[&[0][..], &modulus].concat()),
                    der(0x02, &[0x01, 0x00, 0x01]),
                ]);
                (
                    seq(&[
                        seq(&[[OID_RSA, &[0x05, 0x00]].concat()]),
                        der(0x03, &[&[0][..], &key].concat()),
                    ]),
                    n,
                )
            } else {
                let point = src.secret("EC public key", 64);
                (
                    seq(&[
                        seq(&[OID_EC_KEY.to_vec(), OID_P256.to_vec()]),
                        der(0x03, &[&[0, 4][..], &point].concat()),
                    ]),
                    70,
                )
            };
            let mut exts = Vec::new();
            let n_sans = usize::from(*sans) % 4;
            if n_sans > 0 {
                let mut names = Vec::new();
                for _ in 0..n_sans {
                    let label = src.label(8 + usize::from(*cn_len) % 20, false);
                    src.record("certificate SAN", &label);
                    names.push(der(0x82, &[&label[..], b".com"].concat()));
                }
                exts.push(seq(&[OID_SAN.to_vec(), der(0x04, &seq(&names))]));
            }
            if *ca {
                exts.push(seq(&[
                    OID_BASIC.to_vec(),
                    vec![0x01, 0x01, 0xff],
                    der(0x04, &seq(&[vec![0x01, 0x01, 0xff]])),
                ]));
            }
            let mut tbs = vec![
                der(0xa0, &der(0x02, &[2])),
                der(0x02, &serial),
                sig_alg.clone(),
                name_der(&issuer_cn),
                validity,
                name_der(&subject_cn),
                spki,
            ];
            if !exts.is_empty() {
                tbs.push(der(0xa3, &seq(&exts)));
            }
            let signature = src.secret("certificate signature", sig_len);
            seq(&[
                seq(&tbs),
                sig_alg,
                der(0x03, &[&[0][..], &signature].concat()),
            ])
        }
    }
}

// ---------------------------------------------------------------- TLS

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Tld {
    Com,
    Net,
    Org,
    None,
    /// Reserved suffixes: pcapscrub keeps such names (they identify nothing): not secrets.
    Example,
    Test,
    Invalid,
}

#[derive(Arbitrary, Debug)]
pub struct NameSpec {
    pub name_type: u8,
    pub len: u8,
    pub tld: Tld,
    pub upper: bool,
}

fn host_name(spec: &NameSpec, src: &mut Src) -> Vec<u8> {
    let (suffix, reserved): (&[u8], bool) = match spec.tld {
        Tld::Com => (b".com", false),
        Tld::Net => (b".net", false),
        Tld::Org => (b".org", false),
        Tld::None => (b"", false),
        Tld::Example => (b".example", true),
        Tld::Test => (b".test", true),
        Tld::Invalid => (b".invalid", true),
    };
    let label = src.label(1 + usize::from(spec.len) % 70, spec.upper && !reserved);
    let name = [&label[..], suffix].concat();
    if !reserved {
        src.record("SNI host name", &name);
    }
    name
}

#[derive(Arbitrary, Debug)]
pub enum Ext {
    Sni {
        names: Vec<NameSpec>,
        lie: u8,
    },
    Alpn(Vec<Vec<u8>>),
    SupportedVersions(Vec<u16>),
    SupportedGroups(Vec<u16>),
    KeyShare(Vec<(u16, u8)>),
    SessionTicket {
        len: u16,
    },
    Psk {
        ids: Vec<u8>,
        binder: u8,
    },
    CertAuthorities(Vec<u8>),
    Cookie {
        len: u16,
    },
    Sct {
        len: u16,
    },
    /// An extension type pcapscrub does not know: its data is zero-filled.
    Unknown {
        which: u8,
        len: u16,
    },
    /// The fuzzer's own extension (not a secret).
    Raw {
        typ: u16,
        data: Vec<u8>,
    },
    Padding(u16),
    /// status_request (5) or status_request_v2 (17) with responder ids and request extensions
    /// (free-form: DER ResponderIDs name the OCSP responder).
    StatusRequest {
        v2: bool,
        ids: Vec<u8>,
        exts: u8,
    },
    /// An extension whose type has a grammar pcapscrub knows, with a body of random bytes that
    /// fits no grammar (or fits one with unregistered values): it must become filler.
    OpaqueBody {
        which: u8,
        len: u16,
    },
    /// ALPN with one protocol id that is no registered one.
    AlpnUnregistered {
        len: u8,
    },
}

/// Types whose grammar pcapscrub parses, so that a body of random bytes is never kept: padding,
/// heartbeat, token_binding, record_size_limit, compress_certificate, quic_transport_parameters,
/// ECH, ALPS (both code points), NPN, renegotiation_info, a GREASE type, ec_point_formats,
/// supported_versions, key_share, supported_groups, signature_algorithms.
const GRAMMAR_EXTENSIONS: [u16; 17] = [
    21, 15, 24, 28, 27, 57, 0xfe0d, 0x4469, 0x44cd, 0x3374, 0xff01, 0x2a2a, 11, 43, 51, 10, 13,
];

/// Types that are neither harmless nor specially handled (SECURITY.md: "every extension not
/// known to be harmless become zeros").
const UNKNOWN_EXTENSIONS: [u16; 4] = [0x1234, 0xabcd, 0x7e57, 0x0099];

fn ext(e: &Ext, client: bool, src: &mut Src) -> Vec<u8> {
    let (typ, data): (u16, Vec<u8>) = match e {
        Ext::Sni { names, lie: l } => {
            if !client {
                // A server's server_name extension is empty.
                (0, Vec::new())
            } else {
                let mut list = Vec::new();
                for n in names {
                    let name = host_name(n, src);
                    list.push(if n.name_type >= 0xF0 { n.name_type } else { 0 });
                    put_u16(&mut list, name.len() as i64);
                    list.extend(name);
                }
                let mut data = Vec::new();
                put_u16(&mut data, list.len() as i64 + lie(*l));
                data.extend(list);
                (0, data)
            }
        }
        Ext::Alpn(protos) => {
            let mut list = Vec::new();
            for p in protos {
                let p = &p[..p.len().min(255)];
                list.push(p.len() as u8);
                list.extend_from_slice(p);
            }
            let mut data = Vec::new();
            put_u16(&mut data, list.len() as i64);
            data.extend(list);
            (16, data)
        }
        Ext::SupportedVersions(v) => {
            if client {
                let mut data = vec![(v.len() * 2).min(254) as u8];
                for x in v.iter().take(127) {
                    data.extend(x.to_be_bytes());
                }
                (43, data)
            } else {
                (
                    43,
                    v.first().copied().unwrap_or(0x0304).to_be_bytes().to_vec(),
                )
            }
        }
        Ext::SupportedGroups(g) => {
            let mut data = Vec::new();
            put_u16(&mut data, (g.len() * 2) as i64);
            for x in g {
                data.extend(x.to_be_bytes());
            }
            (10, data)
        }
        Ext::KeyShare(shares) => {
            let mut list = Vec::new();
            for (group, len) in shares {
                list.extend(group.to_be_bytes());
                put_u16(&mut list, i64::from(*len));
                list.extend(std::iter::repeat_n(0x4b, usize::from(*len)));
            }
            let mut data = Vec::new();
            if client {
                put_u16(&mut data, list.len() as i64);
            }
            data.extend(list);
            (51, data)
        }
        Ext::SessionTicket { len } => (
            35,
            src.secret("session_ticket extension", usize::from(*len) % 600),
        ),
        Ext::Psk { ids, binder } => {
            if !client {
                // A server's pre_shared_key extension is the selected identity.
                (41, vec![0, 0])
            } else {
                let mut list = Vec::new();
                for id in ids {
                    let id = src.secret("PSK identity", 1 + usize::from(*id) % 200);
                    put_u16(&mut list, id.len() as i64);
                    list.extend(id);
                    list.extend([0, 0, 0, 1]);
                }
                let mut data = Vec::new();
                put_u16(&mut data, list.len() as i64);
                data.extend(list);
                let b = 32 + usize::from(*binder) % 17;
                put_u16(&mut data, (b + 1) as i64);
                data.push(b as u8);
                data.extend(std::iter::repeat_n(0xb1, b));
                (41, data)
            }
        }
        Ext::CertAuthorities(cas) => {
            let mut list = Vec::new();
            for c in cas {
                let n = src.secret("CA name", 8 + usize::from(*c) % 120);
                put_u16(&mut list, n.len() as i64);
                list.extend(n);
            }
            let mut data = Vec::new();
            put_u16(&mut data, list.len() as i64);
            data.extend(list);
            (47, data)
        }
        Ext::Cookie { len } => (44, src.secret("cookie", usize::from(*len) % 300)),
        Ext::Sct { len } => {
            if client {
                // A client's signed_certificate_timestamp extension is an empty request.
                (18, Vec::new())
            } else {
                (18, src.secret("SCT list", usize::from(*len) % 300))
            }
        }
        Ext::Unknown { which, len } => (
            UNKNOWN_EXTENSIONS[usize::from(*which) % UNKNOWN_EXTENSIONS.len()],
            src.secret("unknown extension data", usize::from(*len) % 300),
        ),
        Ext::Raw { typ, data } => (*typ, data.clone()),
        Ext::Padding(n) => (21, vec![0; usize::from(*n) % 512]),
        Ext::StatusRequest { v2, ids, exts } => {
            let mut ids_list = Vec::new();
            for id in ids.iter().take(8) {
                let n = src.secret("OCSP ResponderID", 8 + usize::from(*id) % 100);
                put_u16(&mut ids_list, n.len() as i64);
                ids_list.extend(n);
            }
            let ext_data = src.secret("OCSP request extensions", usize::from(*exts) % 64);
            let mut request = Vec::new();
            put_u16(&mut request, ids_list.len() as i64);
            request.extend(ids_list);
            put_u16(&mut request, ext_data.len() as i64);
            request.extend(ext_data);
            if *v2 {
                // CertificateStatusRequestItemV2: status_type ocsp_multi, u16 length, request.
                let mut item = vec![2];
                put_u16(&mut item, request.len() as i64);
                item.extend(request);
                let mut data = Vec::new();
                put_u16(&mut data, item.len() as i64);
                data.extend(item);
                (17, data)
            } else {
                let mut data = vec![1];
                data.extend(request);
                (5, data)
            }
        }
        Ext::OpaqueBody { which, len } => (
            GRAMMAR_EXTENSIONS[usize::from(*which) % GRAMMAR_EXTENSIONS.len()],
            src.secret("extension body", 8 + usize::from(*len) % 300),
        ),
        Ext::AlpnUnregistered { len } => {
            let id = src.secret_with(
                "unregistered ALPN protocol id",
                8 + usize::from(*len) % 40,
                |b| {
                    // Bytes no registered protocol id starts with.
                    b[0] = 0xfe;
                },
            );
            let mut data = Vec::new();
            put_u16(&mut data, (id.len() + 1) as i64);
            data.push(id.len() as u8);
            data.extend(id);
            (16, data)
        }
    };
    let mut out = typ.to_be_bytes().to_vec();
    put_u16(&mut out, data.len() as i64);
    out.extend(data);
    out
}

#[derive(Arbitrary, Debug)]
pub enum Version {
    Tls10,
    Tls11,
    Tls12,
    Raw(u16),
}

impl Version {
    fn value(&self) -> u16 {
        match self {
            Version::Tls10 => 0x0301,
            Version::Tls11 => 0x0302,
            Version::Tls12 => 0x0303,
            Version::Raw(v) => *v,
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Hello {
    pub version: Version,
    pub hello_retry: bool,
    pub session_id: u8,
    pub suites: Vec<u16>,
    pub compression: Vec<u8>,
    pub exts: Vec<Ext>,
    pub no_extensions: bool,
    pub lie: u8,
}

const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

fn hello(h: &Hello, client: bool, src: &mut Src) -> Vec<u8> {
    let mut b = h.version.value().to_be_bytes().to_vec();
    // Randoms and session ids are kept under the default policy: not secrets.
    b.extend(if h.hello_retry && !client {
        HRR_RANDOM
    } else {
        [0x52; 32]
    });
    let sid = usize::from(h.session_id) % 33;
    b.push(sid as u8);
    b.extend(std::iter::repeat_n(0x53, sid));
    if client {
        let suites: Vec<u16> = if h.suites.is_empty() {
            vec![0xc02f, 0xc030, 0x1301]
        } else {
            h.suites.iter().take(200).copied().collect()
        };
        put_u16(&mut b, (suites.len() * 2) as i64);
        for s in suites {
            b.extend(s.to_be_bytes());
        }
        let comp: &[u8] = if h.compression.is_empty() {
            &[0]
        } else {
            &h.compression[..h.compression.len().min(255)]
        };
        b.push(comp.len() as u8);
        b.extend_from_slice(comp);
    } else {
        b.extend(h.suites.first().copied().unwrap_or(0xc02f).to_be_bytes());
        b.push(h.compression.first().copied().unwrap_or(0));
    }
    if !h.no_extensions {
        let exts: Vec<u8> = h.exts.iter().flat_map(|e| ext(e, client, src)).collect();
        put_u16(&mut b, exts.len() as i64 + lie(h.lie));
        b.extend(exts);
    }
    b
}

#[derive(Arbitrary, Debug)]
pub enum Msg {
    ClientHello(Hello),
    ServerHello(Hello),
    Certificate(Vec<CertSpec>),
    CertificateRequest {
        tls12: bool,
        types: Vec<u8>,
        sig_algs: Vec<u16>,
        cas: Vec<u8>,
    },
    CertificateStatus {
        len: u16,
    },
    ServerKeyExchange {
        len: u16,
    },
    CertificateVerify {
        len: u16,
    },
    ClientKeyExchange(Vec<u8>),
    /// A TLS 1.2 PSK ClientKeyExchange (plain, DHE_PSK, ECDHE_PSK or RSA_PSK layout): its
    /// psk_identity is a secret, whatever suite the ServerHello chose.
    PskClientKeyExchange {
        kind: u8,
        id_len: u8,
        key_len: u8,
    },
    /// CertificateStatus of type ocsp_multi: a list of OCSP responses.
    CertificateStatusMulti {
        lens: Vec<u16>,
    },
    NewSessionTicket {
        lifetime: u32,
        len: u16,
    },
    ServerHelloDone,
    Finished {
        len: u8,
    },
    /// A message type pcapscrub does not keep (removed whole): its body is a secret.
    Unknown {
        msg_type: u8,
        len: u16,
    },
    /// The fuzzer's own message (not a secret).
    Raw {
        msg_type: u8,
        body: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
pub struct HsMsg {
    pub msg: Msg,
    pub lie: u8,
}

/// Message types whose plaintext pcapscrub walks and keeps (redacted): see
/// `tls::spans::locate`.
const KEPT_TYPES: [u8; 20] = [
    0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 254,
];
/// An unassigned message type, which no grammar walks.
const UNASSIGNED_TYPE: u8 = 200;

fn handshake(m: &HsMsg, src: &mut Src) -> Vec<u8> {
    let (t, body): (u8, Vec<u8>) = match &m.msg {
        Msg::ClientHello(h) => (1, hello(h, true, src)),
        Msg::ServerHello(h) => (2, hello(h, false, src)),
        Msg::Certificate(certs) => {
            let mut list = Vec::new();
            for c in certs {
                let der = certificate(c, src);
                put_u24(&mut list, der.len() as i64);
                list.extend(der);
            }
            let mut b = Vec::new();
            put_u24(&mut b, list.len() as i64);
            b.extend(list);
            (11, b)
        }
        Msg::CertificateRequest {
            tls12,
            types,
            sig_algs,
            cas,
        } => {
            let mut b = vec![types.len().min(255) as u8];
            b.extend(types.iter().take(255));
            if *tls12 {
                put_u16(&mut b, (sig_algs.len() * 2) as i64);
                for s in sig_algs {
                    b.extend(s.to_be_bytes());
                }
            }
            let mut list = Vec::new();
            for c in cas {
                let n = src.secret("CA name", 8 + usize::from(*c) % 120);
                put_u16(&mut list, n.len() as i64);
                list.extend(n);
            }
            put_u16(&mut b, list.len() as i64);
            b.extend(list);
            (13, b)
        }
        Msg::CertificateStatus { len } => {
            let ocsp = src.secret("OCSP response", usize::from(*len) % 2000);
            let mut b = vec![1];
            put_u24(&mut b, ocsp.len() as i64);
            b.extend(ocsp);
            (22, b)
        }
        Msg::ServerKeyExchange { len } => {
            (12, src.secret("ServerKeyExchange", usize::from(*len) % 600))
        }
        Msg::CertificateVerify { len } => {
            (15, src.secret("CertificateVerify", usize::from(*len) % 600))
        }
        Msg::ClientKeyExchange(b) => (16, b.clone()),
        Msg::PskClientKeyExchange {
            kind,
            id_len,
            key_len,
        } => {
            let id = src.secret("PSK identity", 8 + usize::from(*id_len) % 120);
            let mut b = Vec::new();
            put_u16(&mut b, id.len() as i64);
            b.extend(id);
            let key = vec![0x04; 1 + usize::from(*key_len) % 130];
            match kind % 4 {
                0 => {}
                1 | 3 => {
                    // DHE_PSK: Yc; RSA_PSK: EncryptedPreMasterSecret (both u16-prefixed).
                    put_u16(&mut b, key.len() as i64);
                    b.extend(key);
                }
                _ => {
                    // ECDHE_PSK: an ECPoint, u8-prefixed.
                    b.push(key.len() as u8);
                    b.extend(key);
                }
            }
            (16, b)
        }
        Msg::CertificateStatusMulti { lens } => {
            let mut list = Vec::new();
            for len in lens.iter().take(6) {
                let ocsp = src.secret("OCSP response (ocsp_multi)", usize::from(*len) % 800);
                put_u24(&mut list, ocsp.len() as i64);
                list.extend(ocsp);
            }
            let mut b = vec![2];
            put_u24(&mut b, list.len() as i64);
            b.extend(list);
            (22, b)
        }
        Msg::NewSessionTicket { lifetime, len } => {
            let ticket = src.secret("session ticket", usize::from(*len) % 1000);
            let mut b = lifetime.to_be_bytes().to_vec();
            put_u16(&mut b, ticket.len() as i64);
            b.extend(ticket);
            (4, b)
        }
        Msg::ServerHelloDone => (14, Vec::new()),
        Msg::Finished { len } => (
            20,
            src.secret("plaintext Finished", 12 + usize::from(*len) % 40),
        ),
        Msg::Unknown { msg_type, len } => {
            let t = if KEPT_TYPES.contains(msg_type) {
                UNASSIGNED_TYPE
            } else {
                *msg_type
            };
            (
                t,
                src.secret("unknown handshake message", usize::from(*len) % 600),
            )
        }
        Msg::Raw { msg_type, body } => (*msg_type, body.clone()),
    };
    let mut out = vec![t];
    put_u24(&mut out, body.len() as i64 + lie(m.lie));
    out.extend(body);
    out
}

#[derive(Arbitrary, Debug)]
pub enum Item {
    /// Handshake messages, cut into records of the given sizes (0 makes an empty record).
    Handshake {
        msgs: Vec<HsMsg>,
        frags: Vec<u16>,
        version: Version,
    },
    Alert {
        level: u8,
        desc: u8,
    },
    ChangeCipherSpec,
    AppData {
        len: u16,
    },
    /// A record of the fuzzer's own (not a secret).
    Record {
        content_type: u8,
        version: Version,
        body: Vec<u8>,
    },
    /// Stream bytes of the fuzzer's own (not a secret).
    RawBytes(Vec<u8>),
    /// Non-TLS plaintext with a secret in it.
    Plain {
        len: u8,
    },
    /// An SSLv2-compatible ClientHello.
    Sslv2Hello {
        specs: Vec<u8>,
        session_id: u8,
        challenge: u8,
    },
}

fn record(out: &mut Vec<u8>, content_type: u8, version: u16, body: &[u8]) {
    out.push(content_type);
    out.extend(version.to_be_bytes());
    put_u16(out, body.len() as i64);
    out.extend_from_slice(body);
}

fn item(it: &Item, src: &mut Src, out: &mut Vec<u8>) {
    match it {
        Item::Handshake {
            msgs,
            frags,
            version,
        } => {
            let bytes: Vec<u8> = msgs.iter().flat_map(|m| handshake(m, src)).collect();
            let mut rest = &bytes[..];
            let mut frags = frags.iter();
            let mut records = 0;
            while !rest.is_empty() || records == 0 {
                let n = match frags.next() {
                    Some(&f) if records < 64 => usize::from(f) % 17_000,
                    _ => 16_384,
                };
                let n = n.min(rest.len());
                record(out, 22, version.value(), &rest[..n]);
                rest = &rest[n..];
                records += 1;
            }
        }
        Item::Alert { level, desc } => record(out, 21, 0x0303, &[*level, *desc]),
        Item::ChangeCipherSpec => record(out, 20, 0x0303, &[1]),
        Item::AppData { len } => {
            let body = src.secret("application data", 1 + usize::from(*len) % 3000);
            record(out, 23, 0x0303, &body);
        }
        Item::Record {
            content_type,
            version,
            body,
        } => record(out, *content_type, version.value(), body),
        Item::RawBytes(b) => out.extend_from_slice(b),
        Item::Plain { len } => {
            out.extend_from_slice(b"GET / HTTP/1.1\r\nHost: ");
            out.extend(src.secret("plaintext", 8 + usize::from(*len)));
            out.extend_from_slice(b"\r\n\r\n");
        }
        Item::Sslv2Hello {
            specs,
            session_id,
            challenge,
        } => {
            let specs = &specs[..(specs.len() / 3 * 3).min(300)];
            let sid = src.secret("SSLv2 session id", usize::from(*session_id) % 17);
            let chal = src.secret("SSLv2 challenge", 16 + usize::from(*challenge) % 17);
            let mut body = vec![1, 3, 1];
            put_u16(&mut body, specs.len() as i64);
            put_u16(&mut body, sid.len() as i64);
            put_u16(&mut body, chal.len() as i64);
            body.extend_from_slice(specs);
            body.extend(sid);
            body.extend(chal);
            out.push(0x80 | (body.len() >> 8) as u8);
            out.push(body.len() as u8);
            out.extend(body);
        }
    }
}

fn default_items(client: bool) -> Vec<Item> {
    let hs = |msgs: Vec<Msg>| Item::Handshake {
        msgs: msgs.into_iter().map(|msg| HsMsg { msg, lie: 0 }).collect(),
        frags: Vec::new(),
        version: Version::Tls12,
    };
    let x509 = |ca: bool| CertSpec::X509 {
        rsa: !ca,
        key_size: 1,
        self_signed: ca,
        ca,
        cn_len: 10,
        sans: 1,
        not_before: 1_700_000_000,
        days: 365,
        serial_len: 8,
    };
    if client {
        vec![
            hs(vec![Msg::ClientHello(Hello {
                version: Version::Tls12,
                hello_retry: false,
                session_id: 32,
                suites: Vec::new(),
                compression: Vec::new(),
                exts: vec![
                    Ext::Sni {
                        names: vec![NameSpec {
                            name_type: 0,
                            len: 15,
                            tld: Tld::Com,
                            upper: false,
                        }],
                        lie: 0,
                    },
                    Ext::SupportedGroups(vec![29, 23]),
                    Ext::SessionTicket { len: 40 },
                    Ext::Alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
                ],
                no_extensions: false,
                lie: 0,
            })]),
            hs(vec![Msg::ClientKeyExchange(vec![32; 33])]),
            Item::ChangeCipherSpec,
            Item::AppData { len: 40 },
            Item::AppData { len: 300 },
        ]
    } else {
        vec![
            hs(vec![
                Msg::ServerHello(Hello {
                    version: Version::Tls12,
                    hello_retry: false,
                    session_id: 32,
                    suites: Vec::new(),
                    compression: Vec::new(),
                    exts: vec![Ext::Raw {
                        typ: 0xff01,
                        data: vec![0],
                    }],
                    no_extensions: false,
                    lie: 0,
                }),
                Msg::Certificate(vec![x509(false), x509(true)]),
                Msg::CertificateStatus { len: 100 },
                Msg::ServerKeyExchange { len: 150 },
                Msg::ServerHelloDone,
            ]),
            hs(vec![Msg::NewSessionTicket {
                lifetime: 7200,
                len: 180,
            }]),
            Item::ChangeCipherSpec,
            Item::AppData { len: 40 },
            Item::AppData { len: 900 },
        ]
    }
}

fn stream(items: &[Item], client: bool, src: &mut Src) -> Vec<u8> {
    let mut out = Vec::new();
    let defaults;
    let items = if items.is_empty() {
        defaults = default_items(client);
        &defaults[..]
    } else {
        items
    };
    for it in items {
        item(it, src, &mut out);
    }
    out
}

// ---------------------------------------------------------------- packets

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ContainerSel {
    Pcap,
    PcapBigEndian,
    PcapNanosecond,
    PcapNg,
    PcapNgBigEndian,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Link {
    Ethernet {
        vlans: u8,
        pppoe: bool,
    },
    RawIp,
    Null,
    Loop,
    LinuxSll,
    LinuxSll2,
    /// LINKTYPE_IPV4 / LINKTYPE_IPV6, by the scenario's IP version.
    IpOnly,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum AddrSel {
    /// Drawn from the PRNG in routed (non-kept) space; IPv6 ones are secrets.
    Random,
    /// An IPv6 link-local address with a random interface identifier (a secret).
    LinkLocal,
    /// The fuzzer's own.
    Fixed([u8; 16]),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum IpExtras {
    None,
    /// IPv4 record-route option with `n` secret addresses; IPv6 hop-by-hop home-address option.
    Options(u8),
    /// IPv6 type-0 routing header with `n` secret addresses (IPv4: also record route).
    Routing(u8),
    /// IPv6 destination options with a home-address option.
    DestOpts,
    /// IPv6 hop-by-hop options: a PadN whose padding carries `n` secret bytes and a Router
    /// Alert (IPv4: none).
    PadN(u8),
}

#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    Next {
        client: bool,
        len: u16,
        alt: bool,
    },
    Resend {
        client: bool,
        back: u16,
        len: u16,
        alt: bool,
    },
    Skip {
        client: bool,
        len: u16,
    },
    Ack {
        client: bool,
    },
    Fin {
        client: bool,
    },
    Rst {
        client: bool,
    },
    IcmpError {
        to_client: bool,
    },
    Arp,
    Udp {
        len: u8,
    },
    RawFrame(Vec<u8>),
    /// IPv6 only: an ICMPv6 echo request from the client to a multicast group built from its
    /// own unicast address (RFC 3306 unicast-prefix-based, RFC 3956 embedded-RP or RFC 4489
    /// interface-identifier-based), with the matching 33:33 Ethernet destination.
    Multicast {
        kind: u8,
        group: u32,
    },
}

/// A multicast group that embeds `unicast` (its /64 prefix or its interface identifier).
fn embedding_group(kind: u8, unicast: &[u8; 16], group: u32) -> [u8; 16] {
    let mut g = [0u8; 16];
    match kind % 3 {
        0 => {
            // ff3e:0040:<prefix>:<group id>, plen 64.
            g[..4].copy_from_slice(&[0xff, 0x3e, 0x00, 0x40]);
            g[4..12].copy_from_slice(&unicast[..8]);
        }
        1 => {
            // ff7e:0140:<RP prefix>:<group id>, RIID 1, plen 64.
            g[..4].copy_from_slice(&[0xff, 0x7e, 0x01, 0x40]);
            g[4..12].copy_from_slice(&unicast[..8]);
        }
        _ => {
            // ff32:00ff:<interface identifier>:<group id>.
            g[..4].copy_from_slice(&[0xff, 0x32, 0x00, 0xff]);
            g[4..12].copy_from_slice(&unicast[8..]);
        }
    }
    g[12..].copy_from_slice(&group.to_be_bytes());
    g
}

#[derive(Arbitrary, Debug)]
pub struct Scenario {
    pub container: ContainerSel,
    pub link: Link,
    pub v6: bool,
    pub client_addr: AddrSel,
    pub server_addr: AddrSel,
    pub client_port: u16,
    pub server_port: u16,
    pub isn: [u32; 2],
    pub no_syn: bool,
    pub seed: u64,
    pub snap: u16,
    pub ip_extras: IpExtras,
    pub client: Vec<Item>,
    pub server: Vec<Item>,
    pub ops: Vec<Op>,
    pub mss: u16,
}

/// A generated capture: the file, the same file with every secret zeroed, and the secrets.
pub struct Generated {
    pub file: Vec<u8>,
    pub blanked: Vec<u8>,
    pub secrets: Vec<Secret>,
    pub packets: usize,
}

struct Endpoints {
    addr: [[u8; 16]; 2],
    mac: [[u8; 6]; 2],
    port: [u16; 2],
}

fn addr(sel: AddrSel, v6: bool, rng: &mut Src) -> [u8; 16] {
    let mut a = [0u8; 16];
    match sel {
        AddrSel::Fixed(f) => a = f,
        AddrSel::Random if !v6 => {
            let r = rng.rng.bytes(4);
            a[..4].copy_from_slice(&[10 + r[0] % 90, r[1], r[2], 1 + r[3] % 250]);
        }
        AddrSel::Random => {
            let r = rng.secret_with("IPv6 address", 16, |b| b[0] = 0x2a);
            a.copy_from_slice(&r);
        }
        AddrSel::LinkLocal if v6 => {
            a[..2].copy_from_slice(&[0xfe, 0x80]);
            let iid = rng.secret_with("IPv6 interface identifier", 8, |b| b[0] &= 0xfc);
            a[8..].copy_from_slice(&iid);
        }
        AddrSel::LinkLocal => {
            let r = rng.rng.bytes(2);
            a[..4].copy_from_slice(&[169, 254, r[0], r[1]]);
        }
    }
    a
}

struct Builder<'a> {
    s: &'a Scenario,
    ep: Endpoints,
    /// IP header extras, built once per version (secrets inside).
    v4_options: Vec<u8>,
    v6_ext: Vec<u8>,
    frames: Vec<Frame>,
    ip_id: u16,
}

impl Builder<'_> {
    fn v6(&self) -> bool {
        self.s.v6
    }

    fn link_header(&self, from: usize, ethertype: u16) -> Vec<u8> {
        self.link_header_to(from, self.ep.mac[1 - from], ethertype)
    }

    fn link_header_to(&self, from: usize, dst: [u8; 6], ethertype: u16) -> Vec<u8> {
        let src = self.ep.mac[from];
        let family_v6 = ethertype == 0x86dd;
        match self.s.link {
            Link::Ethernet { vlans, pppoe } => {
                let mut h = [&dst[..], &src[..]].concat();
                for k in 0..usize::from(vlans) % 6 {
                    h.extend([0x81, 0x00, 0x00, (k + 1) as u8]);
                }
                if pppoe && ethertype != 0x0806 {
                    h.extend([0x88, 0x64, 0x11, 0x00, 0x00, 0x01]);
                    // PPPoE length filled in by the caller (placeholder 0xffff = no limit).
                    h.extend([0xff, 0xff]);
                    h.extend(if family_v6 {
                        [0x00, 0x57]
                    } else {
                        [0x00, 0x21]
                    });
                } else {
                    h.extend(ethertype.to_be_bytes());
                }
                h
            }
            Link::RawIp | Link::IpOnly => Vec::new(),
            Link::Null => (if family_v6 { 30u32 } else { 2 }).to_le_bytes().to_vec(),
            Link::Loop => (if family_v6 { 30u32 } else { 2 }).to_be_bytes().to_vec(),
            Link::LinuxSll => {
                let mut h = vec![0, if from == 0 { 4 } else { 0 }, 0, 1, 0, 6];
                h.extend(src);
                h.extend([0, 0]);
                h.extend(ethertype.to_be_bytes());
                h
            }
            Link::LinuxSll2 => {
                let mut h = ethertype.to_be_bytes().to_vec();
                h.extend([0, 0, 0, 0, 0, 2, 0, 1, if from == 0 { 4 } else { 0 }, 6]);
                h.extend(src);
                h.extend([0, 0]);
                h
            }
        }
    }

    fn link_type(&self) -> u32 {
        match self.s.link {
            Link::Ethernet { .. } => 1,
            Link::RawIp => 101,
            Link::Null => 0,
            Link::Loop => 108,
            Link::LinuxSll => 113,
            Link::LinuxSll2 => 276,
            Link::IpOnly => {
                if self.v6() {
                    229
                } else {
                    228
                }
            }
        }
    }

    fn push_frame(&mut self, mut data: Vec<u8>) {
        let orig_len = data.len() as u32;
        if self.s.snap >= 0xF000 {
            data.truncate(14 + usize::from(self.s.snap - 0xF000) % 200);
        }
        let ts_us = 1_700_000_000_000_000 + self.frames.len() as u64 * 1000;
        self.frames.push(Frame {
            ts_us,
            data,
            orig_len,
        });
    }

    /// An IP packet from endpoint `from` carrying `proto` / `l4` (checksum at `csum_at` in l4).
    fn ip_frame(&mut self, from: usize, proto: u8, l4: Vec<u8>, csum_at: Option<usize>) {
        let (dst, dst_mac) = (self.ep.addr[1 - from], self.ep.mac[1 - from]);
        self.ip_frame_to(from, dst, dst_mac, proto, l4, csum_at);
    }

    /// An IP packet from endpoint `from` to `dst` (link destination `dst_mac`).
    fn ip_frame_to(
        &mut self,
        from: usize,
        dst: [u8; 16],
        dst_mac: [u8; 6],
        proto: u8,
        mut l4: Vec<u8>,
        csum_at: Option<usize>,
    ) {
        let src = self.ep.addr[from];
        let v6 = self.v6();
        if let Some(at) = csum_at {
            // ICMP (1) sums its message only; TCP, UDP and ICMPv6 add the pseudo-header.
            let mut sum = sum16(&l4);
            if proto != 1 {
                let n = if v6 { 16 } else { 4 };
                // The pseudo-header's length field is 16 bits, as the frame's would be.
                sum += pseudo_sum(&src[..n], &dst[..n], proto, usize::from(l4.len() as u16));
            }
            l4[at..at + 2].copy_from_slice(&fold(sum).to_be_bytes());
        }
        let ip = if v6 {
            let ext = self.v6_ext.clone();
            let mut h = vec![0x60, 0, 0, 0];
            put_u16(&mut h, (ext.len() + l4.len()) as i64);
            h.push(if ext.is_empty() {
                proto
            } else {
                self.v6_first_header()
            });
            h.push(64);
            h.extend_from_slice(&src);
            h.extend_from_slice(&dst);
            let mut ext = ext;
            if let Some(last) = self.v6_last_next_header_at() {
                ext[last] = proto;
            }
            h.extend(ext);
            h.extend(l4);
            h
        } else {
            let opts = self.v4_options.clone();
            let ihl = 20 + opts.len();
            let mut h = vec![0x40 | (ihl / 4) as u8, 0];
            put_u16(&mut h, (ihl + l4.len()) as i64);
            self.ip_id = self.ip_id.wrapping_add(1);
            h.extend(self.ip_id.to_be_bytes());
            h.extend([0x40, 0, 64, proto, 0, 0]);
            h.extend_from_slice(&src[..4]);
            h.extend_from_slice(&dst[..4]);
            h.extend(opts);
            let checksum = fold(sum16(&h));
            h[10..12].copy_from_slice(&checksum.to_be_bytes());
            h.extend(l4);
            h
        };
        let mut frame = self.link_header_to(from, dst_mac, if v6 { 0x86dd } else { 0x0800 });
        if let Link::Ethernet { pppoe: true, .. } = self.s.link {
            let n = frame.len();
            frame[n - 4..n - 2].copy_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
        }
        frame.extend(ip);
        self.push_frame(frame);
    }

    fn v6_first_header(&self) -> u8 {
        match self.s.ip_extras {
            IpExtras::Options(_) | IpExtras::PadN(_) => 0,
            IpExtras::Routing(_) => 43,
            IpExtras::DestOpts => 60,
            IpExtras::None => 6,
        }
    }

    fn v6_last_next_header_at(&self) -> Option<usize> {
        (!self.v6_ext.is_empty()).then_some(0)
    }

    fn tcp(&mut self, from: usize, seq: u32, ack: u32, flags: u8, payload: &[u8]) {
        let mut t = Vec::new();
        t.extend(self.ep.port[from].to_be_bytes());
        t.extend(self.ep.port[1 - from].to_be_bytes());
        t.extend(seq.to_be_bytes());
        t.extend(ack.to_be_bytes());
        let syn = flags & 0x02 != 0;
        let opts: &[u8] = if syn {
            &[2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7]
        } else {
            &[]
        };
        let opts_len = opts.len().next_multiple_of(4);
        t.push((((20 + opts_len) / 4) as u8) << 4);
        t.push(flags);
        t.extend([0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(opts);
        t.resize(20 + opts_len, 0);
        t.extend_from_slice(payload);
        self.ip_frame(from, 6, t, Some(16));
    }
}

/// Builds the capture for one secret version: `alt_seed` is used for the conflicting copies.
fn build(s: &Scenario, blank: bool) -> (Vec<u8>, Vec<Secret>, usize) {
    let mut src = Src::new(s.seed, blank);
    let mut alt = Src::new(s.seed ^ 0x5555_5555_5555_5555, blank);
    let streams = [
        stream(&s.client, true, &mut src),
        stream(&s.server, false, &mut src),
    ];
    let alts = [
        stream(&s.client, true, &mut alt),
        stream(&s.server, false, &mut alt),
    ];
    let mut net = Src::new(s.seed.rotate_left(17) ^ 0xA5, blank);
    let mut ep = Endpoints {
        addr: [
            addr(s.client_addr, s.v6, &mut net),
            addr(s.server_addr, s.v6, &mut net),
        ],
        mac: [[0; 6]; 2],
        port: [s.client_port, s.server_port],
    };
    for m in &mut ep.mac {
        let r = net.rng.bytes(6);
        m.copy_from_slice(&r);
        m[0] = (m[0] & 0xfc) | 0x04;
    }
    let mut v4_options = Vec::new();
    let mut v6_ext = Vec::new();
    match s.ip_extras {
        IpExtras::None => {}
        IpExtras::Options(n) | IpExtras::Routing(n) if !s.v6 => {
            let k = 2 + usize::from(n) % 8;
            let addrs = net.secret("IPv4 record-route addresses", 4 * k);
            v4_options.extend([7, (3 + 4 * k) as u8, 4]);
            v4_options.extend(addrs);
            v4_options.resize(v4_options.len().next_multiple_of(4), 0);
        }
        IpExtras::DestOpts | IpExtras::PadN(_) if !s.v6 => {}
        IpExtras::PadN(n) => {
            // Next header, length in 8-octet units past the first 8, then PadN, Router Alert.
            let pad = net.secret("IPv6 PadN contents", 8 + usize::from(n) % 40);
            let mut opts = vec![1, pad.len() as u8];
            opts.extend(pad);
            opts.extend([5, 2, 0, 0]);
            let total = (2 + opts.len()).next_multiple_of(8);
            v6_ext.extend([6, (total / 8 - 1) as u8]);
            v6_ext.extend(&opts);
            // Pad1 options up to the 8-octet boundary.
            v6_ext.resize(v6_ext.len() + total - 2 - opts.len(), 0);
        }
        IpExtras::Options(_) | IpExtras::DestOpts => {
            let home = net.secret_with("IPv6 home address option", 16, |b| b[0] = 0x2a);
            v6_ext.extend([6, 2, 0xc9, 16]);
            v6_ext.extend(home);
            v6_ext.extend([1, 2, 0, 0]);
        }
        IpExtras::Routing(n) => {
            let k = 1 + usize::from(n) % 4;
            v6_ext.extend([6, (2 * k) as u8, 0, k as u8, 0, 0, 0, 0]);
            for _ in 0..k {
                let a = net.secret_with("IPv6 routing header address", 16, |b| b[0] = 0x2a);
                v6_ext.extend(a);
            }
        }
    }
    let mut b = Builder {
        s,
        ep,
        v4_options,
        v6_ext,
        frames: Vec::new(),
        ip_id: 0x1000,
    };
    let isn = s.isn;
    let mut cursor = [0usize; 2];
    let seq = |dir: usize, off: usize| isn[dir].wrapping_add(1).wrapping_add(off as u32);
    if !s.no_syn {
        b.tcp(0, isn[0], 0, 0x02, &[]);
        b.tcp(1, isn[1], isn[0].wrapping_add(1), 0x12, &[]);
        b.tcp(0, isn[0].wrapping_add(1), isn[1].wrapping_add(1), 0x10, &[]);
    }
    let segment = |b: &mut Builder<'_>,
                   dir: usize,
                   from: usize,
                   len: usize,
                   alt: bool,
                   cursor: &[usize; 2]| {
        let src = if alt { &alts[dir] } else { &streams[dir] };
        let to = (from + len).min(src.len());
        if from >= to {
            return;
        }
        let ack = seq(1 - dir, cursor[1 - dir]);
        b.tcp(dir, seq(dir, from), ack, 0x18, &src[from..to]);
    };
    for op in s.ops.iter().take(400) {
        match op {
            Op::Next { client, len, alt } => {
                let d = usize::from(!*client);
                let n = 1 + usize::from(*len) % 1460;
                segment(&mut b, d, cursor[d], n, *alt, &cursor);
                cursor[d] = (cursor[d] + n).min(streams[d].len());
            }
            Op::Resend {
                client,
                back,
                len,
                alt,
            } => {
                let d = usize::from(!*client);
                let from = cursor[d].saturating_sub(usize::from(*back) % 3000);
                segment(&mut b, d, from, 1 + usize::from(*len) % 1460, *alt, &cursor);
            }
            Op::Skip { client, len } => {
                let d = usize::from(!*client);
                cursor[d] = (cursor[d] + 1 + usize::from(*len) % 1460).min(streams[d].len());
            }
            Op::Ack { client } => {
                let d = usize::from(!*client);
                b.tcp(d, seq(d, cursor[d]), seq(1 - d, cursor[1 - d]), 0x10, &[]);
            }
            Op::Fin { client } | Op::Rst { client } => {
                let d = usize::from(!*client);
                let flags = if matches!(op, Op::Fin { .. }) {
                    0x11
                } else {
                    0x14
                };
                b.tcp(d, seq(d, cursor[d]), seq(1 - d, cursor[1 - d]), flags, &[]);
            }
            Op::IcmpError { to_client } => {
                // From the peer, quoting a header-only segment the other side sent.
                let from = usize::from(*to_client);
                let quoted_from = 1 - from;
                let before = b.frames.len();
                b.tcp(
                    quoted_from,
                    seq(quoted_from, cursor[quoted_from]),
                    0,
                    0x10,
                    &[],
                );
                let f = b.frames.pop().expect("frame just built");
                debug_assert_eq!(b.frames.len(), before);
                let link_len = b
                    .link_header(quoted_from, if s.v6 { 0x86dd } else { 0x0800 })
                    .len();
                let quote: Vec<u8> = f.data[link_len.min(f.data.len())..].to_vec();
                let ip_len = if s.v6 {
                    40 + b.v6_ext.len()
                } else {
                    20 + b.v4_options.len()
                };
                let quote = &quote[..(ip_len + 8).min(quote.len())];
                let mut icmp = if s.v6 {
                    vec![1, 4, 0, 0, 0, 0, 0, 0]
                } else {
                    vec![3, 3, 0, 0, 0, 0, 0, 0]
                };
                icmp.extend_from_slice(quote);
                if s.v6 {
                    b.ip_frame(from, 58, icmp, Some(2));
                } else {
                    b.ip_frame(from, 1, icmp, Some(2));
                }
            }
            Op::Arp => {
                if matches!(
                    s.link,
                    Link::Ethernet { .. } | Link::LinuxSll | Link::LinuxSll2
                ) {
                    let mut f = b.link_header(0, 0x0806);
                    f.extend([0, 1, 8, 0, 6, 4, 0, 1]);
                    f.extend(b.ep.mac[0]);
                    f.extend_from_slice(&b.ep.addr[0][..4]);
                    f.extend([0; 6]);
                    f.extend_from_slice(&b.ep.addr[1][..4]);
                    b.push_frame(f);
                }
            }
            Op::Udp { len } => {
                let payload = net_payload(&mut src_for_udp(s, blank), usize::from(*len));
                let mut u = Vec::new();
                u.extend(5353u16.to_be_bytes());
                u.extend(53u16.to_be_bytes());
                put_u16(&mut u, (8 + payload.len()) as i64);
                u.extend([0, 0]);
                u.extend(payload);
                b.ip_frame(0, 17, u, Some(6));
            }
            Op::Multicast { kind, group } if s.v6 => {
                let g = embedding_group(*kind, &b.ep.addr[0], *group);
                let mac = [0x33, 0x33, g[12], g[13], g[14], g[15]];
                let echo = vec![128, 0, 0, 0, 0x12, 0x34, 0, 1];
                b.ip_frame_to(0, g, mac, 58, echo, Some(2));
            }
            Op::Multicast { .. } => {}
            Op::RawFrame(bytes) => {
                let mut f = b.link_header(0, if s.v6 { 0x86dd } else { 0x0800 });
                f.extend_from_slice(bytes);
                b.push_frame(f);
            }
        }
    }
    // Whatever is left of each stream, interleaved, in segments of `mss`.
    let mss = if s.mss == 0 {
        1460
    } else {
        1 + usize::from(s.mss) % 1460
    };
    while cursor[0] < streams[0].len() || cursor[1] < streams[1].len() {
        for d in 0..2 {
            if cursor[d] < streams[d].len() && b.frames.len() < 5000 {
                segment(&mut b, d, cursor[d], mss, false, &cursor);
            }
            cursor[d] = (cursor[d] + mss).min(streams[d].len());
        }
    }
    let container = match s.container {
        ContainerSel::Pcap => Container::Pcap {
            big_endian: false,
            nanosecond: false,
        },
        ContainerSel::PcapBigEndian => Container::Pcap {
            big_endian: true,
            nanosecond: false,
        },
        ContainerSel::PcapNanosecond => Container::Pcap {
            big_endian: false,
            nanosecond: true,
        },
        ContainerSel::PcapNg => Container::PcapNg { big_endian: false },
        ContainerSel::PcapNgBigEndian => Container::PcapNg { big_endian: true },
    };
    let link_type = b.link_type();
    let file = capfile::write(container, link_type, 262_144, &b.frames);
    let n = b.frames.len();
    let mut secrets = src.secrets;
    secrets.extend(alt.secrets);
    secrets.extend(net.secrets);
    secrets.extend(udp_secrets(s, blank));
    (file, secrets, n)
}

/// UDP payloads are drawn from their own PRNG so their count does not shift other secrets.
fn src_for_udp(s: &Scenario, blank: bool) -> Src {
    Src::new(s.seed ^ 0x0DD5_EED5, blank)
}

fn net_payload(src: &mut Src, len: usize) -> Vec<u8> {
    src.secret("UDP payload", 8 + len)
}

fn udp_secrets(s: &Scenario, blank: bool) -> Vec<Secret> {
    let mut out = Vec::new();
    for op in s.ops.iter().take(400) {
        if let Op::Udp { len } = op {
            let mut src = src_for_udp(s, blank);
            net_payload(&mut src, usize::from(*len));
            out.extend(src.secrets);
        }
    }
    out
}

impl Scenario {
    pub fn generate(&self) -> Generated {
        let (file, secrets, packets) = build(self, false);
        let (blanked, _, _) = build(self, true);
        Generated {
            file,
            blanked,
            secrets,
            packets,
        }
    }
}
