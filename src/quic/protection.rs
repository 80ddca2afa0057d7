//! The two layers of QUIC packet protection (RFC 9001 5.3, 5.4), both ways: header
//! protection masks the first byte's low bits and the packet number with a mask computed from
//! a sample of the ciphertext (AES-ECB, or ChaCha20 for its suite); the AEAD seals the
//! payload with the header as associated data and the IV XOR the packet number as nonce.
//! The primitives are the RustCrypto crates', no hand-written cryptography.

use aes::cipher::BlockCipherEncrypt;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use ccm::Ccm;
use ccm::consts::{U12, U16};
use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20poly1305::ChaCha20Poly1305;

use super::keys::{IV_LEN, PacketKeys};
use crate::keylog::suite::Aead;

type Aes128Ccm = Ccm<aes::Aes128, U16, U12>;

/// Length of the ciphertext sample header protection takes (RFC 9001 5.4.2).
pub const SAMPLE_LEN: usize = 16;

/// Length of the AEAD tag of every AEAD QUIC uses.
pub const TAG_LEN: usize = 16;

/// The five mask bytes for one packet: the first for the first byte, four for the packet
/// number. `None` when the header protection key does not fit the suite.
pub fn mask(keys: &PacketKeys, sample: &[u8; SAMPLE_LEN]) -> Option<[u8; 5]> {
    let mut out = [0u8; 5];
    match keys.aead {
        Aead::ChaCha20Poly1305 => {
            // RFC 9001 5.4.4: counter = the sample's first 4 bytes (little-endian), nonce = the
            // other 12; the mask is the key stream over five zero bytes.
            let counter = u32::from_le_bytes([sample[0], sample[1], sample[2], sample[3]]);
            let mut cipher = ChaCha20::new_from_slices(&keys.hp, &sample[4..]).ok()?;
            cipher.try_seek(u64::from(counter) * 64).ok()?;
            cipher.apply_keystream(&mut out);
        }
        _ => {
            let mut block = (*sample).into();
            match keys.hp.len() {
                16 => aes::Aes128::new_from_slice(&keys.hp)
                    .ok()?
                    .encrypt_block(&mut block),
                32 => aes::Aes256::new_from_slice(&keys.hp)
                    .ok()?
                    .encrypt_block(&mut block),
                _ => return None,
            }
            out.copy_from_slice(&block[..5]);
        }
    }
    Some(out)
}

/// The bits of the first byte header protection covers: long headers 4 (the reserved bits and
/// the packet number length), short headers 5 (with the key phase).
pub fn first_byte_bits(long: bool) -> u8 {
    if long { 0x0f } else { 0x1f }
}

/// The AEAD nonce of packet number `pn`: the IV with the packet number XORed into its end.
fn nonce(keys: &PacketKeys, pn: u64) -> Option<[u8; IV_LEN]> {
    let mut n: [u8; IV_LEN] = keys.iv.as_slice().try_into().ok()?;
    for (b, p) in n[IV_LEN - 8..].iter_mut().zip(pn.to_be_bytes()) {
        *b ^= p;
    }
    Some(n)
}

/// Opens `buf` (ciphertext and tag) in place to the plaintext; `None` when it does not
/// authenticate under these keys.
pub fn open(keys: &PacketKeys, pn: u64, header: &[u8], buf: &mut Vec<u8>) -> Option<()> {
    let n = nonce(keys, pn)?;
    match keys.aead {
        Aead::Aes128Gcm => crypt::<Aes128Gcm>(&keys.key, &n, header, buf, Way::Open),
        Aead::Aes256Gcm => crypt::<Aes256Gcm>(&keys.key, &n, header, buf, Way::Open),
        Aead::ChaCha20Poly1305 => crypt::<ChaCha20Poly1305>(&keys.key, &n, header, buf, Way::Open),
        Aead::Aes128Ccm => crypt::<Aes128Ccm>(&keys.key, &n, header, buf, Way::Open),
        Aead::Aes128Ccm8 => None,
    }
}

/// Seals the plaintext in `buf` in place to ciphertext and tag.
pub fn seal(keys: &PacketKeys, pn: u64, header: &[u8], buf: &mut Vec<u8>) -> Option<()> {
    let n = nonce(keys, pn)?;
    match keys.aead {
        Aead::Aes128Gcm => crypt::<Aes128Gcm>(&keys.key, &n, header, buf, Way::Seal),
        Aead::Aes256Gcm => crypt::<Aes256Gcm>(&keys.key, &n, header, buf, Way::Seal),
        Aead::ChaCha20Poly1305 => crypt::<ChaCha20Poly1305>(&keys.key, &n, header, buf, Way::Seal),
        Aead::Aes128Ccm => crypt::<Aes128Ccm>(&keys.key, &n, header, buf, Way::Seal),
        Aead::Aes128Ccm8 => None,
    }
}

#[derive(Clone, Copy)]
enum Way {
    Open,
    Seal,
}

fn crypt<A: AeadInOut + KeyInit>(
    key: &[u8],
    nonce: &[u8; IV_LEN],
    aad: &[u8],
    buf: &mut Vec<u8>,
    way: Way,
) -> Option<()> {
    let cipher = A::new_from_slice(key).ok()?;
    let nonce = Nonce::<A>::try_from(&nonce[..]).ok()?;
    match way {
        Way::Open => cipher.decrypt_in_place(&nonce, aad, buf).ok(),
        Way::Seal => cipher.encrypt_in_place(&nonce, aad, buf).ok(),
    }
}

/// The full packet number from its truncated encoding in `len` bytes and the largest packet
/// number received so far in its space (RFC 9000 17.1 and A.3).
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, len: usize) -> u64 {
    let bits = 8 * len as u32;
    let expected = largest.map_or(0, |l| l.wrapping_add(1));
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate.wrapping_add(hwin) <= expected && candidate < (1u64 << 62) - win {
        candidate + win
    } else if candidate > expected.wrapping_add(hwin) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9000 A.3's example.
    #[test]
    fn packet_number_decoding() {
        assert_eq!(
            decode_packet_number(Some(0xa82f30ea), 0x9b32, 2),
            0xa82f9b32
        );
        assert_eq!(decode_packet_number(None, 2, 4), 2);
        assert_eq!(decode_packet_number(Some(0xff), 0x01, 1), 0x101);
    }
}
