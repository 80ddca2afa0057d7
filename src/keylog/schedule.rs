//! Traffic keys from the key log's secrets, with the RustCrypto primitives (no hand-written
//! cryptography): TLS 1.3 HKDF-Expand-Label (RFC 8446 7.1, 7.3) and the TLS 1.2 PRF key block
//! (RFC 5246 5, 6.3).

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384};
use zeroize::Zeroizing;

use super::suite::Hash;

/// Key bytes: wiped when dropped.
pub type KeyBytes = Zeroizing<Vec<u8>>;

/// HKDF-Expand-Label(secret, label, "", length) with the suite's hash; `None` when the secret
/// is not a valid pseudorandom key for it (shorter than the hash).
pub fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Option<KeyBytes> {
    let full_label_len = 6 + label.len();
    let mut info = Vec::with_capacity(4 + full_label_len);
    info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    info.push(u8::try_from(full_label_len).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    // An empty context.
    info.push(0);
    let mut out = Zeroizing::new(vec![0; len]);
    match hash {
        Hash::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        Hash::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        Hash::Sha1 => return None,
    }
    Some(out)
}

/// A TLS 1.3 traffic secret's record key and IV.
pub fn tls13_key_iv(hash: Hash, secret: &[u8], key_len: usize) -> Option<(KeyBytes, KeyBytes)> {
    Some((
        expand_label(hash, secret, b"key", key_len)?,
        expand_label(hash, secret, b"iv", 12)?,
    ))
}

/// The TLS 1.2 PRF: P_hash(secret, label + seed) (RFC 5246 5), `len` bytes.
pub fn tls12_prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> KeyBytes {
    match hash {
        Hash::Sha384 => p_hash::<Hmac<Sha384>>(secret, label, seed, len),
        _ => p_hash::<Hmac<Sha256>>(secret, label, seed, len),
    }
}

fn p_hash<M: Mac + KeyInit + Clone>(
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    len: usize,
) -> KeyBytes {
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    // HMAC accepts a key of any length.
    let Ok(keyed) = <M as KeyInit>::new_from_slice(secret) else {
        return out;
    };
    // A(1) = HMAC(secret, label + seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = {
        let mut m = keyed.clone();
        m.update(label);
        m.update(seed);
        Zeroizing::new(m.finalize().into_bytes().to_vec())
    };
    while out.len() < len {
        let mut m = keyed.clone();
        m.update(&a);
        m.update(label);
        m.update(seed);
        let block = m.finalize().into_bytes();
        let take = (len - out.len()).min(block.len());
        out.extend_from_slice(&block[..take]);
        let mut next = keyed.clone();
        next.update(&a);
        a = Zeroizing::new(next.finalize().into_bytes().to_vec());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8448 section 3 (simple 1-RTT handshake): the server handshake traffic secret
    /// gives the server's handshake write key and IV.
    #[test]
    fn rfc8448_server_handshake_key_and_iv() {
        let secret = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        let (key, iv) = tls13_key_iv(Hash::Sha256, &secret, 16).unwrap();
        assert_eq!(*key, hex("3fce516009c21727d0f2e4e86ee403bc"));
        assert_eq!(*iv, hex("5d313eb2671276ee13000b30"));
    }

    /// The TLS 1.2 PRF test vector for SHA-256 published by the IETF TLS working group.
    #[test]
    fn tls12_prf_sha256_vector() {
        let secret = hex("9bbe436ba940f017b17652849a71db35");
        let seed = hex("a0ba9f936cda311827a6f796ffd5198c");
        let out = tls12_prf(Hash::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(out[..16], hex("e3f229ba727be17b8d122620557cd453")[..]);
        assert_eq!(out.len(), 100);
    }
}
