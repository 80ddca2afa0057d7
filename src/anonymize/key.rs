//! The secret that makes the address mapping unguessable: without it, nobody
//! can recompute which original address hides behind a mapped one.

use std::fmt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use rand::rngs::SysRng;
use rand::{Rng, TryRng};
use sha2::{Digest as _, Sha256};

/// Shorter keys would make a brute-force search over keys cheaper than over addresses.
pub const MIN_KEY_LEN: usize = 32;

/// SHA-256's block size, which is also HMAC-SHA-256's native key size.
const HMAC_BLOCK_LEN: usize = 64;

/// Why a mapping key could not be built.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file is missing or unreadable.
    #[error("cannot read key file {}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The key file holds fewer than [`MIN_KEY_LEN`] bytes.
    #[error("key file {} holds {len} bytes; a mapping key needs at least {MIN_KEY_LEN}", path.display())]
    FileTooShort { path: PathBuf, len: usize },
    /// Key bytes given directly are fewer than [`MIN_KEY_LEN`].
    #[error("mapping key holds {len} bytes; at least {MIN_KEY_LEN} are needed")]
    TooShort { len: usize },
    /// The operating system could not supply random bytes.
    #[error("the operating system's random number generator failed")]
    Entropy(#[source] rand::rngs::SysError),
}

/// HMAC-SHA-256 key for one run. It holds only the keyed HMAC state, is never
/// written anywhere, and its `Debug` output is redacted.
#[derive(Clone)]
pub struct MappingKey(Hmac<Sha256>);

impl fmt::Debug for MappingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MappingKey(<redacted>)")
    }
}

impl MappingKey {
    /// A fresh key of 32 bytes from the operating system's RNG.
    ///
    /// If the OS source fails, this falls back to `rand::rng()`, a CSPRNG seeded
    /// from that same source: it retries the seeding and aborts inside `rand`
    /// rather than ever handing out a guessable key. Use [`MappingKey::try_random`]
    /// to get the failure as an error instead.
    pub fn random() -> MappingKey {
        let mut block = [0u8; HMAC_BLOCK_LEN];
        let (secret, _) = block.split_at_mut(MIN_KEY_LEN);
        if SysRng.try_fill_bytes(secret).is_err() {
            rand::rng().fill_bytes(secret);
        }
        Self::from_block(block)
    }

    /// Like [`MappingKey::random`], but reports an OS RNG failure.
    pub fn try_random() -> Result<MappingKey, KeyError> {
        let mut block = [0u8; HMAC_BLOCK_LEN];
        let (secret, _) = block.split_at_mut(MIN_KEY_LEN);
        SysRng.try_fill_bytes(secret).map_err(KeyError::Entropy)?;
        Ok(Self::from_block(block))
    }

    /// HMAC zero-pads keys shorter than the hash block, so 32 random bytes in a
    /// zeroed 64-byte block are exactly a 32-byte key.
    fn from_block(mut block: [u8; HMAC_BLOCK_LEN]) -> MappingKey {
        let key = MappingKey(keyed_hmac(&block));
        wipe(&mut block);
        key
    }

    /// Reads the whole file as the key; no trimming, so a trailing newline is part of it.
    pub fn from_file(path: &Path) -> Result<MappingKey, KeyError> {
        let mut bytes = std::fs::read(path).map_err(|source| KeyError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let key = if bytes.len() < MIN_KEY_LEN {
            Err(KeyError::FileTooShort {
                path: path.to_path_buf(),
                len: bytes.len(),
            })
        } else {
            Ok(MappingKey(keyed_hmac(&bytes)))
        };
        wipe(&mut bytes);
        key
    }

    /// Uses `b` as the key; it must hold at least [`MIN_KEY_LEN`] bytes.
    pub fn from_bytes(b: &[u8]) -> Result<MappingKey, KeyError> {
        if b.len() < MIN_KEY_LEN {
            return Err(KeyError::TooShort { len: b.len() });
        }
        Ok(MappingKey(keyed_hmac(b)))
    }

    /// A key of its own for one use of this key (host names, …): `HMAC(key, tag)` as the new
    /// key's 32 bytes, so two uses never share a digest, even of the same input.
    pub(crate) fn subkey(&self, tag: &[u8]) -> MappingKey {
        let mut bytes = self.digest(tag, b"").bytes();
        let key = MappingKey(keyed_hmac(&bytes));
        wipe(&mut bytes);
        key
    }

    /// The keyed HMAC-SHA-256 state, for a user that digests in its own steps (the host-name
    /// pseudonyms' attempts); cloned for every digest, never exposed outside the crate.
    pub(crate) fn hmac(&self) -> &Hmac<Sha256> {
        &self.0
    }

    /// HMAC-SHA-256 over `tag || data`. The tag separates the uses of the key
    /// so that, e.g., an IPv4 and a MAC input never share a digest.
    pub(crate) fn digest(&self, tag: &[u8], data: &[u8]) -> Digest {
        let mut mac = self.0.clone();
        mac.update(tag);
        mac.update(data);
        Digest(mac.finalize().into_bytes().into())
    }
}

/// HMAC-SHA-256 keyed with `key`, built without a fallible constructor: HMAC hashes keys longer
/// than the block and zero-pads the rest, which is exactly what this does.
fn keyed_hmac(key: &[u8]) -> Hmac<Sha256> {
    let mut block = [0u8; HMAC_BLOCK_LEN];
    if key.len() > HMAC_BLOCK_LEN {
        let digest: [u8; 32] = Sha256::digest(key).into();
        block[..32].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    wipe(&mut block);
    mac
}

/// A 256-bit HMAC output, read as four big-endian 64-bit words.
pub(crate) struct Digest([u8; 32]);

impl Digest {
    /// The 32 digest bytes (for derived keys and scrambled values).
    pub(crate) fn bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Word `n` (0–3). Separate words feed separate pools, so a fallback pool
    /// does not reuse the bits that chose the primary slot.
    pub(crate) fn word(&self, n: usize) -> u64 {
        self.0
            .chunks_exact(8)
            .nth(n)
            .map_or(0, |w| w.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

/// Best-effort erasure of key material held in a buffer we own; `black_box`
/// keeps the compiler from dropping the writes as dead stores.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hmac_matches_the_standard_constructor() {
        for len in [0, 1, 32, 63, 64, 65, 100] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut a = keyed_hmac(&key);
            let mut b = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
            a.update(b"x");
            b.update(b"x");
            assert_eq!(
                a.finalize().into_bytes(),
                b.finalize().into_bytes(),
                "{len}"
            );
        }
    }

    #[test]
    fn a_subkey_is_the_hmac_of_its_tag_and_differs_per_tag() {
        let key = MappingKey::from_bytes(&[9; 32]).unwrap();
        let names = key.subkey(b"pcapscrub sni names");
        let direct = MappingKey::from_bytes(&key.digest(b"pcapscrub sni names", b"").bytes());
        assert_eq!(
            names.digest(b"t", b"x").bytes(),
            direct.unwrap().digest(b"t", b"x").bytes()
        );
        assert_ne!(
            names.digest(b"t", b"x").bytes(),
            key.subkey(b"other").digest(b"t", b"x").bytes()
        );
    }

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("pcapscrub-key-{}-{name}", std::process::id()))
    }

    #[test]
    fn missing_key_file_names_the_path() {
        let path = temp_path("missing");
        let err = MappingKey::from_file(&path).unwrap_err();
        assert!(matches!(err, KeyError::Unreadable { .. }));
        assert!(err.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn key_file_of_31_bytes_is_rejected_with_its_path() {
        let path = temp_path("short");
        std::fs::write(&path, [7u8; 31]).unwrap();
        let err = MappingKey::from_file(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(err, KeyError::FileTooShort { len: 31, .. }));
        assert!(err.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn key_file_of_32_bytes_is_accepted_and_equals_from_bytes() {
        let path = temp_path("ok");
        std::fs::write(&path, [7u8; 32]).unwrap();
        let from_file = MappingKey::from_file(&path);
        std::fs::remove_file(&path).unwrap();
        let from_file = from_file.unwrap();
        let from_bytes = MappingKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(
            from_file.digest(b"t", b"x").0,
            from_bytes.digest(b"t", b"x").0
        );
    }

    #[test]
    fn short_key_bytes_are_rejected() {
        let err = MappingKey::from_bytes(&[1u8; 31]).unwrap_err();
        assert!(matches!(err, KeyError::TooShort { len: 31 }));
    }

    #[test]
    fn debug_output_is_redacted() {
        let key = MappingKey::from_bytes(&[0xab; 32]).unwrap();
        let shown = format!("{key:?} {key:#?}");
        assert_eq!(format!("{key:?}"), "MappingKey(<redacted>)");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab,"));
    }

    #[test]
    fn random_keys_differ() {
        let a = MappingKey::random().digest(b"t", b"x").0;
        let b = MappingKey::random().digest(b"t", b"x").0;
        let c = MappingKey::try_random().unwrap().digest(b"t", b"x").0;
        assert!(a != b && b != c && a != c);
    }

    #[test]
    fn zero_padded_block_is_the_same_key_as_its_32_bytes() {
        let mut block = [0u8; HMAC_BLOCK_LEN];
        block[..MIN_KEY_LEN].fill(9);
        let padded = MappingKey::from_block(block).digest(b"t", b"x").0;
        let plain = MappingKey::from_bytes(&[9u8; 32])
            .unwrap()
            .digest(b"t", b"x")
            .0;
        assert_eq!(padded, plain);
    }

    #[test]
    fn digest_depends_on_tag_and_data() {
        let key = MappingKey::from_bytes(&[1u8; 32]).unwrap();
        assert_ne!(key.digest(b"a", b"x").0, key.digest(b"b", b"x").0);
        assert_ne!(key.digest(b"a", b"x").0, key.digest(b"a", b"y").0);
    }

    #[test]
    fn digest_words_are_big_endian_chunks() {
        let mut raw = [0u8; 32];
        raw[7] = 1;
        raw[8] = 0x80;
        let d = Digest(raw);
        assert_eq!(d.word(0), 1);
        assert_eq!(d.word(1), 0x8000_0000_0000_0000);
        assert_eq!(d.word(4), 0);
    }
}
