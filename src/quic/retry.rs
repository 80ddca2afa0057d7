//! The Retry integrity tag (RFC 9001 5.8; RFC 9369 3.3.3 for version 2): AES-128-GCM with a
//! key and nonce every endpoint knows, over the Retry pseudo-packet (the client's original
//! Destination Connection ID, then the Retry packet without its tag). A Retry whose connection
//! IDs were mapped gets its tag computed again over the mapped original ID, so a reader checks
//! it as it would the original's. The AEAD is the RustCrypto crate's.

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};

use super::header::RETRY_TAG_LEN;
use super::version::Version;

/// The fixed key and nonce of the integrity tag of `version`.
fn secret(version: Version) -> ([u8; 16], [u8; 12]) {
    match version {
        Version::V1 => (
            [
                0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68,
                0xc8, 0x4e,
            ],
            [
                0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
            ],
        ),
        Version::V2 => (
            [
                0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c,
                0xcc, 0x92,
            ],
            [
                0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a,
            ],
        ),
    }
}

/// The integrity tag of a Retry packet of `version` whose bytes before the tag are
/// `packet`, sent to a client whose original Destination Connection ID was `odcid`. `None`
/// when the ID is longer than its one-byte length can say.
pub fn tag(version: Version, odcid: &[u8], packet: &[u8]) -> Option<[u8; RETRY_TAG_LEN]> {
    let mut pseudo = Vec::with_capacity(1 + odcid.len() + packet.len());
    pseudo.push(u8::try_from(odcid.len()).ok()?);
    pseudo.extend_from_slice(odcid);
    pseudo.extend_from_slice(packet);
    let (key, nonce) = secret(version);
    let cipher = Aes128Gcm::new_from_slice(&key).ok()?;
    let nonce = Nonce::<Aes128Gcm>::try_from(&nonce[..]).ok()?;
    // An empty plaintext: the output is the tag alone.
    let mut out: Vec<u8> = Vec::with_capacity(RETRY_TAG_LEN);
    cipher.encrypt_in_place(&nonce, &pseudo, &mut out).ok()?;
    out.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quic::tests::hex;

    /// RFC 9001 A.4 and RFC 9369 A.4: the sample Retry packets, whose original Destination
    /// Connection ID is 0x8394c8f03e515708, end with the tag computed here.
    #[test]
    fn rfc_sample_retry_tags() {
        let odcid = hex("8394c8f03e515708");
        for (version, packet) in [
            (
                Version::V1,
                "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba",
            ),
            (
                Version::V2,
                "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6",
            ),
        ] {
            let packet = hex(packet);
            let (body, expected) = packet.split_at(packet.len() - RETRY_TAG_LEN);
            assert_eq!(tag(version, &odcid, body).unwrap()[..], expected[..]);
        }
    }
}
