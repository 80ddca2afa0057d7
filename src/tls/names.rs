//! Stable names for TLS code points, as shown in user-facing text.
//!
//! Unknown values are rendered as hex (`0x1234`) rather than dropped, so a report always says
//! exactly what was on the wire. The tables follow the IANA TLS registries; cipher suite names
//! come from tls-parser's generated IANA table so they need no upkeep here.

use std::borrow::Cow;

use tls_parser::TlsCipherSuite;

use crate::tls::registry::{extension_type_name, is_grease};

fn hex16(v: u16) -> String {
    format!("0x{v:04x}")
}

/// Protocol version name: `0x0303` is "TLS 1.2", `0x7f12` "TLS 1.3 draft 18", unknown "0x1234".
pub fn version_name(v: u16) -> Cow<'static, str> {
    let [hi, lo] = v.to_be_bytes();
    match v {
        0x0002 => Cow::Borrowed("SSL 2.0"),
        0x0300 => Cow::Borrowed("SSL 3.0"),
        0x0301 => Cow::Borrowed("TLS 1.0"),
        0x0302 => Cow::Borrowed("TLS 1.1"),
        0x0303 => Cow::Borrowed("TLS 1.2"),
        0x0304 => Cow::Borrowed("TLS 1.3"),
        // OpenSSL's DTLS 1.0 before RFC 4347 was final.
        0x0100 => Cow::Borrowed("DTLS 1.0 (OpenSSL pre-standard)"),
        0xfeff => Cow::Borrowed("DTLS 1.0"),
        0xfefd => Cow::Borrowed("DTLS 1.2"),
        0xfefc => Cow::Borrowed("DTLS 1.3"),
        // IETF drafts of TLS 1.3 used 0x7f00 + draft number.
        _ if hi == 0x7f => Cow::Owned(format!("TLS 1.3 draft {lo}")),
        // Facebook's Fizz used 0xfb00 + the draft number it implemented (0xfb1a = draft 26).
        _ if hi == 0xfb => Cow::Owned(format!("TLS 1.3 (Facebook Fizz draft {lo})")),
        _ if is_grease(v) => Cow::Owned(format!("GREASE ({})", hex16(v))),
        _ => Cow::Owned(hex16(v)),
    }
}

/// True for TLS 1.3 and its pre-standard code points (IETF drafts 0x7fxx, Facebook Fizz
/// 0xfbxx): versions whose Certificate message has the TLS 1.3 layout and is encrypted.
pub fn is_tls13_version(v: u16) -> bool {
    v == 0x0304 || matches!(v >> 8, 0x7f | 0xfb)
}

/// IANA cipher suite name (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`), else hex (`0xc030`).
pub fn cipher_suite_name(id: u16) -> Cow<'static, str> {
    match TlsCipherSuite::from_id(id) {
        Some(suite) => Cow::Borrowed(suite.name),
        None => Cow::Owned(hex16(id)),
    }
}

/// Supported group (named curve / FFDHE group / hybrid KEM) name per the IANA registry.
pub fn group_name(id: u16) -> Cow<'static, str> {
    let name = match id {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        34 => "GC256A",
        35 => "GC256B",
        36 => "GC256C",
        37 => "GC256D",
        38 => "GC512A",
        39 => "GC512B",
        40 => "GC512C",
        41 => "curveSM2",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x0200 => "MLKEM512",
        0x0201 => "MLKEM768",
        0x0202 => "MLKEM1024",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        // Pre-standard hybrids that Chrome and Cloudflare deployed in 2023-2024.
        0x6399 => "X25519Kyber768Draft00",
        0x639a => "SecP256r1Kyber768Draft00",
        0xff01 => "arbitrary_explicit_prime_curves",
        0xff02 => "arbitrary_explicit_char2_curves",
        _ if is_grease(id) => return Cow::Owned(format!("GREASE ({})", hex16(id))),
        _ => return Cow::Owned(hex16(id)),
    };
    Cow::Borrowed(name)
}

/// TLS 1.3 SignatureScheme name (RFC 8446 section 4.2.3), including the TLS 1.2
/// hash/signature pairs that map onto the same code points; else hex.
pub fn signature_scheme_name(id: u16) -> Cow<'static, str> {
    let name = match id {
        0x0201 => "rsa_pkcs1_sha1",
        0x0203 => "ecdsa_sha1",
        0x0202 => "dsa_sha1",
        0x0301 => "rsa_pkcs1_sha224",
        0x0303 => "ecdsa_sha224",
        0x0401 => "rsa_pkcs1_sha256",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0420 => "rsa_pkcs1_sha256_legacy",
        0x0501 => "rsa_pkcs1_sha384",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0520 => "rsa_pkcs1_sha384_legacy",
        0x0601 => "rsa_pkcs1_sha512",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0620 => "rsa_pkcs1_sha512_legacy",
        0x0704 => "eccsi_sha256",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        _ if is_grease(id) => return Cow::Owned(format!("GREASE ({})", hex16(id))),
        _ => return Cow::Owned(hex16(id)),
    };
    Cow::Borrowed(name)
}

/// Extension type name per the IANA "TLS ExtensionType Values" registry; else hex.
pub fn extension_name(id: u16) -> Cow<'static, str> {
    match extension_type_name(id) {
        Some(name) => Cow::Borrowed(name),
        None if is_grease(id) => Cow::Owned(format!("GREASE ({})", hex16(id))),
        None => Cow::Owned(hex16(id)),
    }
}

/// Alert description name (RFC 8446 section 6 plus the older and newer registry entries), in
/// the registry's snake_case spelling.
pub fn alert_description_name(code: u8) -> &'static str {
    match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => "unknown",
    }
}

/// Handshake message type name (IANA "TLS HandshakeType" registry), else "unknown".
pub fn handshake_type_name(t: u8) -> &'static str {
    match t {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        3 => "HelloVerifyRequest",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        6 => "HelloRetryRequest",
        8 => "EncryptedExtensions",
        9 => "RequestConnectionId",
        10 => "NewConnectionId",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        17 => "ClientCertificateRequest",
        20 => "Finished",
        21 => "CertificateURL",
        22 => "CertificateStatus",
        23 => "SupplementalData",
        24 => "KeyUpdate",
        25 => "CompressedCertificate",
        26 => "ExtendedKeyUpdate",
        67 => "NextProtocol",
        254 => "MessageHash",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names() {
        assert_eq!(version_name(0x0002), "SSL 2.0");
        assert_eq!(version_name(0x0300), "SSL 3.0");
        assert_eq!(version_name(0x0301), "TLS 1.0");
        assert_eq!(version_name(0x0302), "TLS 1.1");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_name(0x0304), "TLS 1.3");
        assert_eq!(version_name(0x7f12), "TLS 1.3 draft 18");
        assert_eq!(version_name(0x7f1c), "TLS 1.3 draft 28");
        assert_eq!(version_name(0xfb1a), "TLS 1.3 (Facebook Fizz draft 26)");
        assert_eq!(version_name(0xfefd), "DTLS 1.2");
        assert_eq!(version_name(0x1a1a), "GREASE (0x1a1a)");
        assert_eq!(version_name(0x1234), "0x1234");
    }

    #[test]
    fn tls13_family() {
        assert!(is_tls13_version(0x0304) && is_tls13_version(0x7f12) && is_tls13_version(0xfb1a));
        assert!(!is_tls13_version(0x0303) && !is_tls13_version(0xfefc));
    }

    #[test]
    fn cipher_suite_names() {
        assert_eq!(
            cipher_suite_name(0xc030),
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        );
        assert_eq!(cipher_suite_name(0x1302), "TLS_AES_256_GCM_SHA384");
        assert_eq!(
            cipher_suite_name(0x00ff),
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
        );
        assert_eq!(cipher_suite_name(0x5600), "TLS_FALLBACK_SCSV");
        assert_eq!(cipher_suite_name(0x0a0a), "0x0a0a");
        assert_eq!(cipher_suite_name(0xabcd), "0xabcd");
    }

    #[test]
    fn group_and_scheme_names() {
        assert_eq!(group_name(29), "x25519");
        assert_eq!(group_name(23), "secp256r1");
        assert_eq!(group_name(24), "secp384r1");
        assert_eq!(group_name(25), "secp521r1");
        assert_eq!(group_name(30), "x448");
        assert_eq!(group_name(0x0100), "ffdhe2048");
        assert_eq!(group_name(0x0104), "ffdhe8192");
        assert_eq!(group_name(0x11ec), "X25519MLKEM768");
        assert_eq!(group_name(0x6399), "X25519Kyber768Draft00");
        assert_eq!(group_name(0x3a3a), "GREASE (0x3a3a)");
        assert_eq!(group_name(0x1234), "0x1234");
        assert_eq!(signature_scheme_name(0x0804), "rsa_pss_rsae_sha256");
        assert_eq!(signature_scheme_name(0x0403), "ecdsa_secp256r1_sha256");
        assert_eq!(signature_scheme_name(0x0807), "ed25519");
        assert_eq!(signature_scheme_name(0x0999), "0x0999");
        assert_eq!(extension_name(0xfe0d), "encrypted_client_hello");
        assert_eq!(extension_name(43), "supported_versions");
        assert_eq!(extension_name(0x9999), "0x9999");
    }

    #[test]
    fn alert_names() {
        assert_eq!(alert_description_name(0), "close_notify");
        assert_eq!(alert_description_name(40), "handshake_failure");
        assert_eq!(alert_description_name(48), "unknown_ca");
        assert_eq!(alert_description_name(70), "protocol_version");
        assert_eq!(alert_description_name(86), "inappropriate_fallback");
        assert_eq!(alert_description_name(90), "user_canceled");
        assert_eq!(alert_description_name(112), "unrecognized_name");
        assert_eq!(alert_description_name(116), "certificate_required");
        assert_eq!(alert_description_name(120), "no_application_protocol");
        assert_eq!(alert_description_name(121), "ech_required");
        assert_eq!(alert_description_name(1), "unknown");
        assert_eq!(alert_description_name(255), "unknown");
        // Every name in the table is distinct, so a name identifies its code.
        let mut named: Vec<&str> = (0..=255u8)
            .map(alert_description_name)
            .filter(|n| *n != "unknown")
            .collect();
        let total = named.len();
        named.sort_unstable();
        named.dedup();
        assert_eq!(named.len(), total);
        assert_eq!(total, 35);
    }

    #[test]
    fn handshake_type_names() {
        assert_eq!(handshake_type_name(1), "ClientHello");
        assert_eq!(handshake_type_name(2), "ServerHello");
        assert_eq!(handshake_type_name(11), "Certificate");
        assert_eq!(handshake_type_name(14), "ServerHelloDone");
        assert_eq!(handshake_type_name(20), "Finished");
        assert_eq!(handshake_type_name(7), "unknown");
    }
}
