//! Packet protection keys (RFC 9001 5.1, 5.2; RFC 9369 3.3): the Initial keys every observer
//! can derive from the client's first Destination Connection ID, and the keys of a later
//! packet number space from a key log's traffic secret. HKDF-Expand-Label is the key log's
//! (`keylog::schedule`), so the TLS 1.3 key schedule is written once.

use hkdf::Hkdf;
use sha2::Sha256;

use super::version::Version;
use crate::keylog::schedule::{KeyBytes, expand_label};
use crate::keylog::suite::{Aead, Hash};
use crate::tls::extensions::Side;

/// Length of every QUIC AEAD nonce (RFC 9001 5.3).
pub const IV_LEN: usize = 12;

/// One direction's packet protection in one packet number space: the AEAD key and IV, and
/// the header protection key. Without `Debug`: key material is never printed.
pub struct PacketKeys {
    pub aead: Aead,
    pub key: KeyBytes,
    pub iv: KeyBytes,
    pub hp: KeyBytes,
}

/// Both directions' Initial keys of one connection.
pub struct InitialKeys {
    pub client: PacketKeys,
    pub server: PacketKeys,
}

impl InitialKeys {
    /// The keys `side` sends with.
    pub fn sending(&self, side: Side) -> &PacketKeys {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }
}

/// The client's and the server's Initial secrets for the client's first Destination
/// Connection ID (RFC 9001 5.2).
pub fn initial_secrets(version: Version, dcid: &[u8]) -> Option<(KeyBytes, KeyBytes)> {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(version.initial_salt()), dcid);
    Some((
        expand_label(Hash::Sha256, &prk, b"client in", 32)?,
        expand_label(Hash::Sha256, &prk, b"server in", 32)?,
    ))
}

/// The Initial keys (AES-128-GCM, SHA-256) for the client's first Destination Connection ID.
pub fn initial(version: Version, dcid: &[u8]) -> Option<InitialKeys> {
    let (client, server) = initial_secrets(version, dcid)?;
    Some(InitialKeys {
        client: from_secret(version, Aead::Aes128Gcm, Hash::Sha256, &client)?,
        server: from_secret(version, Aead::Aes128Gcm, Hash::Sha256, &server)?,
    })
}

/// The keys a traffic secret gives under a negotiated TLS 1.3 suite; `None` for an AEAD QUIC
/// does not use (CCM with an 8-byte tag, RFC 9001 5.3) or a secret that is too short.
pub fn from_secret(version: Version, aead: Aead, hash: Hash, secret: &[u8]) -> Option<PacketKeys> {
    if aead == Aead::Aes128Ccm8 {
        return None;
    }
    let labels = version.labels();
    // The header protection key has the AEAD key's length (RFC 9001 5.4.3, 5.4.4).
    let len = aead.key_len();
    Some(PacketKeys {
        aead,
        key: expand_label(hash, secret, labels.key, len)?,
        iv: expand_label(hash, secret, labels.iv, IV_LEN)?,
        hp: expand_label(hash, secret, labels.hp, len)?,
    })
}
