use super::*;

/// An SSLv2-compatible CLIENT-HELLO offering TLS 1.0 with one cipher spec.
fn sslv2_hello() -> Vec<u8> {
    let mut body = vec![1, 3, 1, 0, 3, 0, 0, 0, 16];
    body.extend_from_slice(&[0x00, 0x00, 0x2f]);
    body.extend_from_slice(&[0xAB; 16]);
    let mut v = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    v.extend(body);
    v
}

#[test]
fn sslv2_hello_keeps_its_header_and_version() {
    let hello = sslv2_hello();
    let mut side = TlsSide::default();
    side.keep_prefix(0, &hello);
    assert!(side.try_sslv2_hello());
    assert_eq!(side.keep.kept.len(), 1);
    assert_eq!(side.keep.kept[0].offset, 0);
    assert_eq!(side.keep.kept[0].bytes, hello[..SSLV2_HELLO_KEPT]);
}

/// What a sanitized capture holds of the hello (the kept bytes, the rest cut) is kept
/// again, so a second run writes the same bytes.
#[test]
fn sslv2_hello_header_alone_is_kept_again() {
    let hello = sslv2_hello();
    let mut side = TlsSide::default();
    side.keep_prefix(0, &hello[..SSLV2_HELLO_KEPT]);
    assert!(!side.try_sslv2_hello(), "too little to parse");
    assert_eq!(side.keep.kept.len(), 1);
    assert_eq!(side.keep.kept[0].bytes, hello[..SSLV2_HELLO_KEPT]);
    // Once only.
    side.keep_prefix(SSLV2_HELLO_KEPT as i64, &hello[SSLV2_HELLO_KEPT..]);
    assert!(side.try_sslv2_hello());
    assert_eq!(side.keep.kept.len(), 1);
}

#[test]
fn sslv2_like_bytes_with_an_unknown_version_are_not_kept() {
    let mut bytes = sslv2_hello();
    bytes[3] = 0x47;
    let mut side = TlsSide::default();
    side.keep_prefix(0, &bytes);
    side.try_sslv2_hello();
    assert!(side.keep.kept.is_empty());
}
