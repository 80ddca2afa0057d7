//! The IANA TLS registries a hello extension draws its values from, one declaration each.
//!
//! A value found here says nothing about the people on either end of a connection (every
//! implementation sends the same few), so a hello keeps it; any other value in its place could
//! carry anything and becomes filler. The tables list registered code points, plus the few
//! unregistered ones that published drafts fixed for every implementation (TLS 1.3 drafts).

/// GREASE values of the two-byte registries (RFC 8701 section 2: `0x0a0a`, `0x1a1a`, ...,
/// `0xfafa`): both bytes equal and each of the form `0x?a`. tls-parser's own check
/// (`v & 0x0f0f == 0x0a0a`) also accepts values like `0x1a2a`, which are not reserved, so it is
/// not used.
pub fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// A GREASE value of a one-byte registry (RFC 8701 section 2: PskKeyExchangeMode reserves
/// 0x0B, 0x2A, 0x49, …, 0xE4, that is 0x0B + 0x1F·n).
pub fn is_grease_u8(v: u8) -> bool {
    v % 0x1f == 0x0b
}

/// A GREASE ALPN identifier (RFC 8701 section 2): the two bytes of a GREASE value.
pub fn is_grease_alpn(name: &[u8]) -> bool {
    matches!(name, [a, b] if is_grease(u16::from_be_bytes([*a, *b])))
}

/// Declares the extension type registry once: a constant per code point in [`ext`] and the
/// registry name [`extension_type_name`] shows, so a code point cannot have a name without a
/// constant or the other way round.
macro_rules! extension_types {
    ($($(#[$doc:meta])* $konst:ident = $value:expr, $name:literal;)*) => {
        /// TLS ExtensionType code points (IANA "TLS ExtensionType Values").
        pub mod ext {
            $($(#[$doc])* pub const $konst: u16 = $value;)*
            /// application_settings' code point from 2025 on (draft-vvv-tls-alps-01), next to
            /// [`APPLICATION_SETTINGS`]; named by its number in summaries as it always was.
            pub const APPLICATION_SETTINGS_NEW: u16 = 0x44cd;
        }

        /// The registry name of an extension type, `None` for an unassigned one.
        pub fn extension_type_name(id: u16) -> Option<&'static str> {
            match id {
                $(ext::$konst => Some($name),)*
                _ => None,
            }
        }
    };
}

extension_types! {
    SERVER_NAME = 0, "server_name";
    MAX_FRAGMENT_LENGTH = 1, "max_fragment_length";
    CLIENT_CERTIFICATE_URL = 2, "client_certificate_url";
    TRUSTED_CA_KEYS = 3, "trusted_ca_keys";
    TRUNCATED_HMAC = 4, "truncated_hmac";
    STATUS_REQUEST = 5, "status_request";
    USER_MAPPING = 6, "user_mapping";
    CLIENT_AUTHZ = 7, "client_authz";
    SERVER_AUTHZ = 8, "server_authz";
    CERT_TYPE = 9, "cert_type";
    SUPPORTED_GROUPS = 10, "supported_groups";
    EC_POINT_FORMATS = 11, "ec_point_formats";
    SRP = 12, "srp";
    SIGNATURE_ALGORITHMS = 13, "signature_algorithms";
    USE_SRTP = 14, "use_srtp";
    HEARTBEAT = 15, "heartbeat";
    ALPN = 16, "application_layer_protocol_negotiation";
    STATUS_REQUEST_V2 = 17, "status_request_v2";
    SIGNED_CERTIFICATE_TIMESTAMP = 18, "signed_certificate_timestamp";
    CLIENT_CERTIFICATE_TYPE = 19, "client_certificate_type";
    SERVER_CERTIFICATE_TYPE = 20, "server_certificate_type";
    PADDING = 21, "padding";
    ENCRYPT_THEN_MAC = 22, "encrypt_then_mac";
    EXTENDED_MASTER_SECRET = 23, "extended_master_secret";
    TOKEN_BINDING = 24, "token_binding";
    CACHED_INFO = 25, "cached_info";
    COMPRESS_CERTIFICATE = 27, "compress_certificate";
    RECORD_SIZE_LIMIT = 28, "record_size_limit";
    DELEGATED_CREDENTIAL = 34, "delegated_credential";
    SESSION_TICKET = 35, "session_ticket";
    /// key_share's code point in TLS 1.3 drafts up to 22 (moved to 51 in draft 23); the
    /// content has the same layout.
    KEY_SHARE_DRAFT = 40, "key_share (draft)";
    PRE_SHARED_KEY = 41, "pre_shared_key";
    EARLY_DATA = 42, "early_data";
    SUPPORTED_VERSIONS = 43, "supported_versions";
    COOKIE = 44, "cookie";
    PSK_KEY_EXCHANGE_MODES = 45, "psk_key_exchange_modes";
    CERTIFICATE_AUTHORITIES = 47, "certificate_authorities";
    OID_FILTERS = 48, "oid_filters";
    POST_HANDSHAKE_AUTH = 49, "post_handshake_auth";
    SIGNATURE_ALGORITHMS_CERT = 50, "signature_algorithms_cert";
    KEY_SHARE = 51, "key_share";
    QUIC_TRANSPORT_PARAMETERS = 57, "quic_transport_parameters";
    NEXT_PROTOCOL_NEGOTIATION = 0x3374, "next_protocol_negotiation";
    APPLICATION_SETTINGS = 0x4469, "application_settings";
    ENCRYPTED_CLIENT_HELLO = 0xfe0d, "encrypted_client_hello";
    RENEGOTIATION_INFO = 0xff01, "renegotiation_info";
    ENCRYPTED_SERVER_NAME = 0xffce, "encrypted_server_name";
}

/// TLS and DTLS protocol versions a supported_versions list may name.
pub fn is_version(v: u16) -> bool {
    matches!(v, 0x0300..=0x0304 | 0xfeff | 0xfefd | 0xfefc)
        // TLS 1.3 drafts 14 to 28 (0x7f00 + draft), still met in captures of that time.
        || (0x7f0e..=0x7f1c).contains(&v)
        // Facebook's Fizz, 0xfb00 + the draft it implemented (23 to 26), shipped in its apps.
        || (0xfb17..=0xfb1a).contains(&v)
}

/// How a group's ephemeral public key (a key_share entry) is laid out: its length from the
/// client and from the server, and whether it starts with an uncompressed EC point (0x04).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyShareShape {
    pub client_len: usize,
    pub server_len: usize,
    pub ec_point_first: bool,
}

const fn exact(client_len: usize, server_len: usize) -> Option<KeyShareShape> {
    Some(KeyShareShape {
        client_len,
        server_len,
        ec_point_first: false,
    })
}

const fn point_first(client_len: usize, server_len: usize) -> Option<KeyShareShape> {
    Some(KeyShareShape {
        client_len,
        server_len,
        ec_point_first: true,
    })
}

/// Supported Groups (RFC 8422, RFC 7919, RFC 8446, the ML-KEM drafts), with the key share
/// shape of each group whose public key has one fixed length; `None` for the others (binary
/// curves, GOST, explicit curves), whose keys are filled.
const NAMED_GROUPS: &[(u16, Option<KeyShareShape>)] = &[
    // sect163k1 … sect571r1 (RFC 8422, deprecated binary curves): no share we vouch for.
    (1, None),
    (2, None),
    (3, None),
    (4, None),
    (5, None),
    (6, None),
    (7, None),
    (8, None),
    (9, None),
    (10, None),
    (11, None),
    (12, None),
    (13, None),
    (14, None),
    // secp160k1 … secp256k1 (RFC 8422, deprecated prime curves): an uncompressed point.
    (15, point_first(41, 41)),
    (16, point_first(41, 41)),
    (17, point_first(41, 41)),
    (18, point_first(49, 49)),
    (19, point_first(49, 49)),
    (20, point_first(57, 57)),
    (21, point_first(57, 57)),
    (22, point_first(65, 65)),
    (23, point_first(65, 65)),   // secp256r1
    (24, point_first(97, 97)),   // secp384r1
    (25, point_first(133, 133)), // secp521r1
    (26, point_first(65, 65)),   // brainpoolP256r1 (TLS 1.2)
    (27, point_first(97, 97)),   // brainpoolP384r1 (TLS 1.2)
    (28, point_first(129, 129)), // brainpoolP512r1 (TLS 1.2)
    (29, exact(32, 32)),         // x25519
    (30, exact(56, 56)),         // x448
    (31, point_first(65, 65)),   // brainpoolP256r1tls13
    (32, point_first(97, 97)),   // brainpoolP384r1tls13
    (33, point_first(129, 129)), // brainpoolP512r1tls13
    (34, None),                  // GC256A … GC512C (GOST, RFC 9189)
    (35, None),
    (36, None),
    (37, None),
    (38, None),
    (39, None),
    (40, None),
    (41, None),
    (42, point_first(65, 65)),                   // curveSM2 (RFC 8998)
    (0x0100, exact(256, 256)),                   // ffdhe2048
    (0x0101, exact(384, 384)),                   // ffdhe3072
    (0x0102, exact(512, 512)),                   // ffdhe4096
    (0x0103, exact(768, 768)),                   // ffdhe6144
    (0x0104, exact(1024, 1024)),                 // ffdhe8192
    (0x0200, exact(800, 768)),                   // MLKEM512: encapsulation key, ciphertext
    (0x0201, exact(1184, 1088)),                 // MLKEM768
    (0x0202, exact(1568, 1568)),                 // MLKEM1024
    (0x11eb, point_first(65 + 1184, 65 + 1088)), // SecP256r1MLKEM768
    (0x11ec, exact(1184 + 32, 1088 + 32)),       // X25519MLKEM768
    (0x11ed, point_first(97 + 1568, 97 + 1568)), // SecP384r1MLKEM1024
    (0x6399, exact(32 + 1184, 32 + 1088)),       // X25519Kyber768Draft00 (obsolete)
    (0x639a, point_first(65 + 1184, 65 + 1088)), // SecP256r1Kyber768Draft00 (obsolete)
    (0xff01, None),                              // arbitrary_explicit_prime_curves
    (0xff02, None),                              // arbitrary_explicit_char2_curves
];

pub fn is_named_group(v: u16) -> bool {
    NAMED_GROUPS.iter().any(|&(g, _)| g == v)
}

/// The key share shape of a registered group, if it has one.
pub fn key_share_shape(group: u16) -> Option<KeyShareShape> {
    NAMED_GROUPS
        .iter()
        .find(|&&(g, _)| g == group)
        .and_then(|&(_, s)| s)
}

/// Signature schemes (RFC 8446 and later), and the TLS 1.2 (hash, signature) pairs they
/// extend: hash md5 … sha512 (1–6) with rsa, dsa or ecdsa (1–3).
pub fn is_signature_scheme(v: u16) -> bool {
    let [hash, sig] = v.to_be_bytes();
    matches!(
        v,
        0x0804..=0x080b // rsa_pss_rsae_*, ed25519, ed448, rsa_pss_pss_*
            | 0x081a..=0x081c // ecdsa_brainpool*tls13_*
            | 0x0704..=0x070f // eccsi, iso_ibs*, sm2sig_sm3, gostr34102012_*
            | 0x0904..=0x0906 // mldsa44, mldsa65, mldsa87
            | 0xeded | 0xeeee | 0xefef // GOST (RFC 9189)
    ) || ((1..=6).contains(&hash) && (1..=3).contains(&sig))
}

/// EC point formats (RFC 8422): uncompressed, ansiX962_compressed_prime, …_char2.
pub fn is_ec_point_format(v: u8) -> bool {
    v <= 2
}

/// PSK key exchange modes (RFC 8446): psk_ke, psk_dhe_ke.
pub fn is_psk_mode(v: u8) -> bool {
    v <= 1
}

/// Certificate compression algorithms (RFC 8879): zlib, brotli, zstd.
pub fn is_certificate_compression(v: u16) -> bool {
    (1..=3).contains(&v)
}

/// HPKE KDF ids (RFC 9180): HKDF-SHA256, -SHA384, -SHA512.
pub fn is_hpke_kdf(v: u16) -> bool {
    (1..=3).contains(&v)
}

/// HPKE AEAD ids (RFC 9180): AES-128-GCM, AES-256-GCM, ChaCha20Poly1305 (export-only 0xffff
/// cannot encrypt an inner hello).
pub fn is_hpke_aead(v: u16) -> bool {
    (1..=3).contains(&v)
}

/// Heartbeat modes (RFC 6520): peer_allowed_to_send, peer_not_allowed_to_send.
pub fn is_heartbeat_mode(v: u8) -> bool {
    (1..=2).contains(&v)
}

/// TLS certificate types (RFC 7250, RFC 8902): X.509, OpenPGP, RawPublicKey, 1609Dot2.
pub fn is_certificate_type(v: u8) -> bool {
    v <= 3
}

/// Maximum fragment length codes (RFC 6066): 2^9, 2^10, 2^11, 2^12.
pub fn is_max_fragment_length(v: u8) -> bool {
    (1..=4).contains(&v)
}

/// Certificate status types (RFC 6066, RFC 6961): ocsp, ocsp_multi.
pub fn is_certificate_status_type(v: u8) -> bool {
    (1..=2).contains(&v)
}

/// Server name types (RFC 6066): host_name.
pub fn is_server_name_type(v: u8) -> bool {
    v == 0
}

/// Token binding key parameters (RFC 8472): rsa2048_pkcs1.5, rsa2048_pss, ecdsap256.
pub fn is_token_binding_key_parameter(v: u8) -> bool {
    v <= 2
}

/// Token binding protocol versions (RFC 8472): 1.0, and drafts 0.10 to 0.16 that shipped.
pub fn is_token_binding_version(v: u16) -> bool {
    v == 0x0100 || (0x000a..=0x0010).contains(&v)
}

/// ECHClientHello types (draft-ietf-tls-esni): outer, inner.
pub fn is_ech_type(v: u8) -> bool {
    v <= 1
}

/// The smallest and largest record_size_limit (RFC 8449): 64, and 2^14 + 1 (TLS 1.3).
pub const RECORD_SIZE_LIMIT: std::ops::RangeInclusive<u16> = 64..=16_385;

/// TLS Application-Layer Protocol Negotiation protocol IDs (RFC 7301 registry).
const ALPN_PROTOCOL_IDS: &[&[u8]] = &[
    b"http/0.9",
    b"http/1.0",
    b"http/1.1",
    b"spdy/1",
    b"spdy/2",
    b"spdy/3",
    b"stun.turn",
    b"stun.nat-discovery",
    b"h2",
    b"h2c",
    b"webrtc",
    b"c-webrtc",
    b"ftp",
    b"imap",
    b"pop3",
    b"managesieve",
    b"coap",
    b"co",
    b"xmpp-client",
    b"xmpp-server",
    b"acme-tls/1",
    b"mqtt",
    b"dot",
    b"ntske/1",
    b"sunrpc",
    b"h3",
    b"smb",
    b"irc",
    b"nntp",
    b"nnsp",
    b"doq",
    b"sip/2",
    b"tds/8.0",
    b"dicom",
    b"postgresql",
    b"radius/1.0",
    b"radius/1.1",
];

pub fn is_alpn_protocol(name: &[u8]) -> bool {
    ALPN_PROTOCOL_IDS.contains(&name)
}

/// What a QUIC transport parameter's value is (RFC 9000 section 18.2, RFC 9221, RFC 9287):
/// a number or a flag is kept; opaque values (connection ids, tokens, addresses) are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuicParameter {
    /// One variable-length integer.
    Integer,
    /// Present or absent: an empty value.
    Flag,
    /// Bytes that identify an endpoint or a connection.
    Opaque,
    /// A connection ID (at most 20 bytes, RFC 9000 18.2): mapped like the packet headers'.
    ConnectionId,
}

const QUIC_TRANSPORT_PARAMETERS: &[(u64, QuicParameter)] = &[
    (0x00, QuicParameter::ConnectionId), // original_destination_connection_id
    (0x01, QuicParameter::Integer),      // max_idle_timeout
    (0x02, QuicParameter::Opaque),       // stateless_reset_token
    (0x03, QuicParameter::Integer),      // max_udp_payload_size
    (0x04, QuicParameter::Integer),      // initial_max_data
    (0x05, QuicParameter::Integer),      // initial_max_stream_data_bidi_local
    (0x06, QuicParameter::Integer),      // initial_max_stream_data_bidi_remote
    (0x07, QuicParameter::Integer),      // initial_max_stream_data_uni
    (0x08, QuicParameter::Integer),      // initial_max_streams_bidi
    (0x09, QuicParameter::Integer),      // initial_max_streams_uni
    (0x0a, QuicParameter::Integer),      // ack_delay_exponent
    (0x0b, QuicParameter::Integer),      // max_ack_delay
    (0x0c, QuicParameter::Flag),         // disable_active_migration
    (0x0d, QuicParameter::Opaque),       // preferred_address
    (0x0e, QuicParameter::Integer),      // active_connection_id_limit
    (0x0f, QuicParameter::ConnectionId), // initial_source_connection_id
    (0x10, QuicParameter::ConnectionId), // retry_source_connection_id
    (0x11, QuicParameter::Opaque),       // version_information
    (0x20, QuicParameter::Integer),      // max_datagram_frame_size
    (0x2ab2, QuicParameter::Flag),       // grease_quic_bit
];

/// A registered QUIC transport parameter, or a reserved one (31·N + 27, RFC 9000 section
/// 18.1), whose value is then opaque.
pub fn quic_parameter(id: u64) -> Option<QuicParameter> {
    if id % 31 == 27 {
        return Some(QuicParameter::Opaque);
    }
    QUIC_TRANSPORT_PARAMETERS
        .iter()
        .find(|&&(p, _)| p == id)
        .map(|&(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_is_exactly_the_rfc8701_set() {
        let all: Vec<u16> = (0..=u16::MAX).filter(|&v| is_grease(v)).collect();
        let expected: Vec<u16> = (0..16u16)
            .map(|i| (i << 12) | (0xa << 8) | (i << 4) | 0xa)
            .collect();
        assert_eq!(all, expected);
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && is_grease(0x1a1a));
        assert!(
            !is_grease(0x1a2a),
            "tls-parser's looser check would accept this"
        );
        assert!(!is_grease(0x0303));
    }

    #[test]
    fn grease_values_are_the_reserved_ones() {
        let one_byte: Vec<u8> = (0..=255).filter(|&v| is_grease_u8(v)).collect();
        assert_eq!(one_byte, [0x0b, 0x2a, 0x49, 0x68, 0x87, 0xa6, 0xc5, 0xe4]);
        assert!(is_grease_alpn(b"\x7a\x7a"));
        assert!(!is_grease_alpn(b"\x7a\x7b"));
        assert!(!is_grease_alpn(b"h2"));
    }

    #[test]
    fn key_share_shapes_are_the_groups_sizes() {
        assert_eq!(key_share_shape(29).map(|s| s.client_len), Some(32));
        assert_eq!(
            key_share_shape(0x11ec).map(|s| (s.client_len, s.server_len)),
            Some((1216, 1120))
        );
        assert!(key_share_shape(23).is_some_and(|s| s.ec_point_first));
        assert!(is_named_group(14) && key_share_shape(14).is_none());
        assert_eq!(key_share_shape(21).map(|s| s.client_len), Some(57));
        assert!(!is_named_group(0x1234));
    }

    #[test]
    fn signature_schemes_include_tls12_pairs_only_for_known_halves() {
        assert!(is_signature_scheme(0x0403)); // ecdsa_secp256r1_sha256
        assert!(is_signature_scheme(0x0202)); // sha1 + dsa
        assert!(is_signature_scheme(0x0807)); // ed25519
        assert!(!is_signature_scheme(0x0907)); // between ed448 and ML-DSA
        assert!(!is_signature_scheme(0x0404));
        assert!(!is_signature_scheme(0x4c45));
    }

    #[test]
    fn alpn_ids_are_exact_matches() {
        assert!(is_alpn_protocol(b"h2"));
        assert!(is_alpn_protocol(b"http/1.1"));
        assert!(!is_alpn_protocol(b"H2"));
        assert!(!is_alpn_protocol(b"h2 "));
        assert!(!is_alpn_protocol(b"LEAKMARKER"));
    }

    #[test]
    fn quic_parameters_known_and_reserved() {
        assert_eq!(quic_parameter(0x04), Some(QuicParameter::Integer));
        assert_eq!(quic_parameter(27 + 31 * 5), Some(QuicParameter::Opaque));
        assert_eq!(quic_parameter(0x12), None);
    }
}
