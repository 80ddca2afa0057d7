//! TLS records and handshake messages (RFC 8446 §4 and §5, RFC 5246 §6.2 and §7.4): the
//! length-prefixed vectors everything is made of, extensions, handshake headers and records.
//!
//! The builders frame what they are given and nothing more: a test that needs a lying length
//! writes the header itself ([`record_header`]) or edits the built bytes.

/// `legacy_record_version` of a client's first record, and the version of TLS 1.0 records.
pub const TLS10: u16 = 0x0301;
/// The record version of TLS 1.2 and of every TLS 1.3 record after the first.
pub const TLS12: u16 = 0x0303;

/// `body` behind its one-byte length; panics when it does not fit.
pub fn vec8(body: &[u8]) -> Vec<u8> {
    let mut v = vec![u8::try_from(body.len()).expect("vec8 body longer than 255 bytes")];
    v.extend_from_slice(body);
    v
}

/// `body` behind its two-byte length; panics when it does not fit.
pub fn vec16(body: &[u8]) -> Vec<u8> {
    let n = u16::try_from(body.len()).expect("vec16 body longer than 65535 bytes");
    let mut v = n.to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// `body` behind its three-byte length; panics when it does not fit.
pub fn vec24(body: &[u8]) -> Vec<u8> {
    assert!(
        body.len() < 1 << 24,
        "vec24 body longer than 2^24 - 1 bytes"
    );
    let mut v = (body.len() as u32).to_be_bytes()[1..].to_vec();
    v.extend_from_slice(body);
    v
}

/// A list of 16-bit values (cipher suites, groups, signature schemes), unframed.
pub fn u16s(list: &[u16]) -> Vec<u8> {
    list.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// One extension: type, then its data as a `vec16`.
pub fn extension(ext_type: u16, data: &[u8]) -> Vec<u8> {
    let mut v = ext_type.to_be_bytes().to_vec();
    v.extend(vec16(data));
    v
}

/// The data of a server_name extension (RFC 6066 §3) listing `(name_type, name)` entries.
pub fn server_name(entries: &[(u8, &[u8])]) -> Vec<u8> {
    let list: Vec<u8> = entries
        .iter()
        .flat_map(|(name_type, name)| {
            let mut e = vec![*name_type];
            e.extend(vec16(name));
            e
        })
        .collect();
    vec16(&list)
}

/// A handshake message: type, three-byte length, body.
pub fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type];
    m.extend(vec24(body));
    m
}

/// A record header claiming `len` bytes, whatever follows.
pub fn record_header(content_type: u8, version: u16, len: u16) -> Vec<u8> {
    let mut r = vec![content_type];
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&len.to_be_bytes());
    r
}

/// A record holding `body`; panics when the body does not fit a record's length field.
pub fn record(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(body.len()).expect("record body longer than 65535 bytes");
    let mut r = record_header(content_type, version, len);
    r.extend_from_slice(body);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_record_frames_its_message() {
        let hello = handshake(1, &[3, 3]);
        assert_eq!(hello, [1, 0, 0, 2, 3, 3]);
        assert_eq!(
            record(22, TLS10, &hello),
            [22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3]
        );
    }

    #[test]
    fn server_name_lists_its_entries() {
        assert_eq!(
            extension(0, &server_name(&[(0, b"ab")])),
            [0, 0, 0, 7, 0, 5, 0, 0, 2, b'a', b'b']
        );
    }
}
