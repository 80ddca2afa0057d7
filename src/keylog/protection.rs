//! Opening one protected record with one direction's keys: TLS 1.3 (RFC 8446 5.2-5.4: nonce
//! = IV XOR sequence number, the record header as associated data, the inner content type
//! after the zero padding), TLS 1.2 AEAD (RFC 5288, RFC 7905) and TLS 1.2 AES-CBC with HMAC
//! (RFC 5246 6.2.3.2, RFC 7366 encrypt_then_mac).

use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::NoPadding};
use ccm::Ccm;
use ccm::consts::{U8, U12, U16};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};
use zeroize::Zeroizing;

use super::schedule::KeyBytes;
use super::secret::Plaintext;
use super::suite::{Aead, Hash, Protection};

type Aes128Ccm = Ccm<aes::Aes128, U16, U12>;
type Aes128Ccm8 = Ccm<aes::Aes128, U8, U12>;

/// Which TLS generation's record layout the keys are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Tls13,
    Tls12,
}

/// One direction's keys under one traffic secret, and its record sequence number.
pub struct DirectionKeys {
    layout: Layout,
    protection: Protection,
    key: KeyBytes,
    /// TLS 1.3 and ChaCha20: the 12-byte IV; TLS 1.2 GCM/CCM: the 4-byte salt; CBC: unused.
    iv: KeyBytes,
    /// CBC suites: the MAC key.
    mac_key: KeyBytes,
    encrypt_then_mac: bool,
    seq: u64,
}

/// A record opened: its content type and its plaintext (wiped when dropped).
pub struct Opened {
    pub content_type: u8,
    pub plaintext: Plaintext,
}

impl DirectionKeys {
    pub fn tls13(aead: Aead, key: KeyBytes, iv: KeyBytes) -> DirectionKeys {
        DirectionKeys {
            layout: Layout::Tls13,
            protection: Protection::Aead(aead),
            key,
            iv,
            mac_key: KeyBytes::default(),
            encrypt_then_mac: false,
            seq: 0,
        }
    }

    pub fn tls12(
        protection: Protection,
        key: KeyBytes,
        iv: KeyBytes,
        mac_key: KeyBytes,
        encrypt_then_mac: bool,
    ) -> DirectionKeys {
        DirectionKeys {
            layout: Layout::Tls12,
            protection,
            key,
            iv,
            mac_key,
            encrypt_then_mac,
            seq: 0,
        }
    }

    /// The sequence number the next record takes (and steps past it). Every record under
    /// these keys takes one, whether it is opened or not.
    pub fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(1);
        s
    }

    /// Opens the record `header` + `body` that took sequence number `seq`; `None` when it does
    /// not authenticate (wrong keys, a corrupted capture) or does not parse.
    pub fn open(&self, seq: u64, header: &[u8; 5], body: &[u8]) -> Option<Opened> {
        match (self.layout, self.protection) {
            (Layout::Tls13, Protection::Aead(aead)) => self.open_tls13(aead, seq, header, body),
            (Layout::Tls12, Protection::Aead(aead)) => {
                self.open_tls12_aead(aead, seq, header, body)
            }
            (Layout::Tls12, Protection::Cbc { key_len, mac }) => {
                self.open_tls12_cbc(key_len, mac, seq, header, body)
            }
            (Layout::Tls13, Protection::Cbc { .. }) => None,
        }
    }

    fn open_tls13(&self, aead: Aead, seq: u64, header: &[u8; 5], body: &[u8]) -> Option<Opened> {
        let nonce = xor_nonce(&self.iv, seq)?;
        let mut buf = Zeroizing::new(body.to_vec());
        aead_open(aead, &self.key, &nonce, header, &mut buf)?;
        // TLSInnerPlaintext: content, the content type, then zeros.
        let last = buf.iter().rposition(|&b| b != 0)?;
        let content_type = buf[last];
        buf.truncate(last);
        Some(Opened {
            content_type,
            plaintext: buf,
        })
    }

    fn open_tls12_aead(&self, aead: Aead, seq: u64, h: &[u8; 5], body: &[u8]) -> Option<Opened> {
        let (nonce, ciphertext) = if aead == Aead::ChaCha20Poly1305 {
            (xor_nonce(&self.iv, seq)?, body)
        } else {
            // The explicit part of the nonce leads the record.
            let explicit = body.get(..8)?;
            let mut n = [0u8; 12];
            n[..4].copy_from_slice(self.iv.get(..4)?);
            n[4..].copy_from_slice(explicit);
            (n, &body[8..])
        };
        let plain_len = ciphertext.len().checked_sub(aead.tag_len())?;
        let aad = tls12_aad(seq, h, plain_len)?;
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        aead_open(aead, &self.key, &nonce, &aad, &mut buf)?;
        Some(Opened {
            content_type: h[0],
            plaintext: buf,
        })
    }

    fn open_tls12_cbc(
        &self,
        key_len: usize,
        mac: Hash,
        seq: u64,
        h: &[u8; 5],
        body: &[u8],
    ) -> Option<Opened> {
        let mac_len = mac_len(mac);
        if self.key.len() != key_len {
            return None;
        }
        let (encrypted, tag) = if self.encrypt_then_mac {
            let at = body.len().checked_sub(mac_len)?;
            let (encrypted, tag) = body.split_at(at);
            let aad = tls12_aad(seq, h, encrypted.len())?;
            verify_mac(mac, &self.mac_key, &aad, encrypted, tag)?;
            (encrypted, None)
        } else {
            (body, Some(()))
        };
        // The explicit IV, then whole blocks.
        if encrypted.len() < 32 || encrypted.len() % 16 != 0 {
            return None;
        }
        let (iv, blocks) = encrypted.split_at(16);
        let mut buf = Zeroizing::new(blocks.to_vec());
        let plain_len = cbc_decrypt(&self.key, iv, &mut buf)?;
        buf.truncate(plain_len);
        // content || MAC (MAC-then-encrypt) || padding || padding_length.
        let pad = usize::from(*buf.last()?);
        let unpadded = buf.len().checked_sub(pad + 1)?;
        if buf[unpadded..buf.len() - 1]
            .iter()
            .any(|&b| usize::from(b) != pad)
        {
            return None;
        }
        buf.truncate(unpadded);
        if tag.is_some() {
            let content_len = buf.len().checked_sub(mac_len)?;
            let aad = tls12_aad(seq, h, content_len)?;
            let (content, tag) = buf.split_at(content_len);
            verify_mac(mac, &self.mac_key, &aad, content, tag)?;
            buf.truncate(content_len);
        }
        Some(Opened {
            content_type: h[0],
            plaintext: buf,
        })
    }
}

/// The 12-byte per-record nonce: the IV XOR the sequence number, left-padded (RFC 8446 5.3).
fn xor_nonce(iv: &[u8], seq: u64) -> Option<[u8; 12]> {
    let mut nonce: [u8; 12] = iv.try_into().ok()?;
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    Some(nonce)
}

/// TLS 1.2 additional data: seq_num + type + version + length (RFC 5246 6.2.3.3).
fn tls12_aad(seq: u64, h: &[u8; 5], len: usize) -> Option<[u8; 13]> {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8..11].copy_from_slice(&h[..3]);
    aad[11..].copy_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    Some(aad)
}

fn aead_open(
    aead: Aead,
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Option<()> {
    match aead {
        Aead::Aes128Gcm => open_with::<Aes128Gcm>(key, nonce, aad, buf),
        Aead::Aes256Gcm => open_with::<Aes256Gcm>(key, nonce, aad, buf),
        Aead::ChaCha20Poly1305 => open_with::<ChaCha20Poly1305>(key, nonce, aad, buf),
        Aead::Aes128Ccm => open_with::<Aes128Ccm>(key, nonce, aad, buf),
        Aead::Aes128Ccm8 => open_with::<Aes128Ccm8>(key, nonce, aad, buf),
    }
}

fn open_with<A: AeadInOut + KeyInit>(
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Option<()> {
    let cipher = A::new_from_slice(key).ok()?;
    let nonce = Nonce::<A>::try_from(&nonce[..]).ok()?;
    cipher.decrypt_in_place(&nonce, aad, buf).ok()
}

fn cbc_decrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize> {
    let n = match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded::<NoPadding>(buf)
            .ok()?
            .len(),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded::<NoPadding>(buf)
            .ok()?
            .len(),
        _ => return None,
    };
    Some(n)
}

pub fn mac_len(mac: Hash) -> usize {
    match mac {
        Hash::Sha1 => 20,
        Hash::Sha256 => 32,
        Hash::Sha384 => 48,
    }
}

fn verify_mac(mac: Hash, key: &[u8], aad: &[u8; 13], data: &[u8], tag: &[u8]) -> Option<()> {
    fn check<M: Mac + hmac::KeyInit>(
        key: &[u8],
        aad: &[u8],
        data: &[u8],
        tag: &[u8],
    ) -> Option<()> {
        let mut m = <M as hmac::KeyInit>::new_from_slice(key).ok()?;
        m.update(aad);
        m.update(data);
        m.verify_slice(tag).ok()
    }
    match mac {
        Hash::Sha1 => check::<Hmac<sha1::Sha1>>(key, aad, data, tag),
        Hash::Sha256 => check::<Hmac<Sha256>>(key, aad, data, tag),
        Hash::Sha384 => check::<Hmac<Sha384>>(key, aad, data, tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keylog::schedule::tls13_key_iv;

    /// Seals `content` as TLS 1.3 does, with the crate's own encryption.
    fn seal13(aead: Aead, key: &[u8], iv: &[u8], seq: u64, content: &[u8], typ: u8) -> Vec<u8> {
        use aes_gcm::aead::AeadInOut;
        let mut inner = content.to_vec();
        inner.push(typ);
        inner.extend_from_slice(&[0, 0, 0]);
        let len = inner.len() + aead.tag_len();
        let header = [23, 3, 3, (len >> 8) as u8, len as u8];
        let nonce = xor_nonce(iv, seq).unwrap();
        match aead {
            Aead::ChaCha20Poly1305 => ChaCha20Poly1305::new_from_slice(key)
                .unwrap()
                .encrypt_in_place(&nonce.into(), &header, &mut inner)
                .unwrap(),
            Aead::Aes128Ccm8 => Aes128Ccm8::new_from_slice(key)
                .unwrap()
                .encrypt_in_place(&nonce.into(), &header, &mut inner)
                .unwrap(),
            _ => Aes128Gcm::new_from_slice(key)
                .unwrap()
                .encrypt_in_place(&nonce.into(), &header, &mut inner)
                .unwrap(),
        }
        let mut record = header.to_vec();
        record.extend(inner);
        record
    }

    #[test]
    fn tls13_records_open_at_their_sequence_number_only() {
        let secret = [0x42u8; 32];
        for aead in [Aead::Aes128Gcm, Aead::ChaCha20Poly1305, Aead::Aes128Ccm8] {
            let (key, iv) = tls13_key_iv(Hash::Sha256, &secret, aead.key_len()).unwrap();
            let record = seal13(aead, &key, &iv, 3, &[2, 116], 21);
            let keys = DirectionKeys::tls13(aead, key, iv);
            let header: [u8; 5] = record[..5].try_into().unwrap();
            let opened = keys.open(3, &header, &record[5..]).expect("authenticates");
            assert_eq!(
                (opened.content_type, &opened.plaintext[..]),
                (21, &[2, 116][..])
            );
            assert!(keys.open(2, &header, &record[5..]).is_none(), "{aead:?}");
            let mut bad = record.clone();
            bad[7] ^= 1;
            assert!(keys.open(3, &header, &bad[5..]).is_none());
        }
    }

    #[test]
    fn tls12_cbc_record_opens_with_its_mac_checked() {
        use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
        let (key, mac_key, iv) = ([1u8; 16], [2u8; 32], [3u8; 16]);
        let content = [20u8, 0, 0, 12, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9];
        let seq = 0u64;
        for etm in [false, true] {
            // MAC-then-encrypt: content, MAC, padding; encrypt-then-MAC: MAC over IV + ciphertext.
            let mut plain = content.to_vec();
            let mut record_body = iv.to_vec();
            let header_for = |len: usize| [22u8, 3, 3, (len >> 8) as u8, len as u8];
            if !etm {
                let aad = tls12_aad(seq, &header_for(0), content.len()).unwrap();
                let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&mac_key).unwrap();
                m.update(&aad);
                m.update(&content);
                plain.extend_from_slice(&m.finalize().into_bytes());
            }
            let pad = 15 - plain.len() % 16;
            plain.extend(std::iter::repeat_n(pad as u8, pad + 1));
            let n = plain.len();
            let enc = cbc::Encryptor::<aes::Aes128>::new_from_slices(&key, &iv)
                .unwrap()
                .encrypt_padded::<NoPadding>(&mut plain, n)
                .unwrap()
                .to_vec();
            record_body.extend(enc);
            if etm {
                let aad = tls12_aad(seq, &header_for(0), record_body.len()).unwrap();
                let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&mac_key).unwrap();
                m.update(&aad);
                m.update(&record_body);
                let tag = m.finalize().into_bytes();
                record_body.extend_from_slice(&tag);
            }
            let header = header_for(record_body.len());
            let keys = DirectionKeys::tls12(
                Protection::Cbc {
                    key_len: 16,
                    mac: Hash::Sha256,
                },
                Zeroizing::new(key.to_vec()),
                KeyBytes::default(),
                Zeroizing::new(mac_key.to_vec()),
                etm,
            );
            let opened = keys.open(seq, &header, &record_body).expect("opens");
            assert_eq!(&opened.plaintext[..], &content[..], "etm {etm}");
            assert!(keys.open(seq + 1, &header, &record_body).is_none());
        }
    }
}
