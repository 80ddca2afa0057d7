//! What a negotiated cipher suite says about the layout of the ClientKeyExchange: which key
//! exchange it uses, from the IANA registry as the `tls-parser` crate carries it.

use tls_parser::{TlsCipherAu, TlsCipherKx, TlsCipherSuite};

/// The key exchange of a TLS ≤ 1.2 cipher suite, as far as it shapes the ClientKeyExchange
/// (RFC 5246 7.4.7, RFC 4279, RFC 5489, RFC 8422, RFC 5054).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchange {
    /// `EncryptedPreMasterSecret` (a u16 vector, bare in SSL 3.0).
    Rsa,
    /// DH and DHE: `ClientDiffieHellmanPublic`, a u16 `dh_Yc` (empty when implicit in a
    /// fixed-DH client certificate).
    Dh,
    /// ECDH and ECDHE (anonymous included): a u8 `ECPoint` (empty when implicit).
    Ecdh,
    /// Plain PSK: a u16 `psk_identity` and nothing else.
    Psk,
    /// `psk_identity` then a u16 `dh_Yc`.
    DhePsk,
    /// `psk_identity` then a u8 `ECPoint`.
    EcdhePsk,
    /// `psk_identity` then a u16 `EncryptedPreMasterSecret`.
    RsaPsk,
    /// A u16 SRP `A`.
    Srp,
}

/// The key exchange of `suite`; `None` for an unregistered suite, a signalling value, a
/// TLS 1.3 suite (no ClientKeyExchange), or a key exchange whose message we do not walk
/// (Kerberos, ECCPWD, the NULL suite).
pub fn key_exchange(suite: u16) -> Option<KeyExchange> {
    let s = TlsCipherSuite::from_id(suite)?;
    let psk = s.au == TlsCipherAu::Psk;
    Some(match s.kx {
        TlsCipherKx::Psk if psk => KeyExchange::Psk,
        // RFC 6655 names these PSK_DHE; their key exchange is DHE_PSK.
        TlsCipherKx::Psk if s.au == TlsCipherAu::Dhe => KeyExchange::DhePsk,
        TlsCipherKx::Dhe if psk => KeyExchange::DhePsk,
        TlsCipherKx::Ecdhe if psk => KeyExchange::EcdhePsk,
        TlsCipherKx::Rsa if psk => KeyExchange::RsaPsk,
        TlsCipherKx::Rsa => KeyExchange::Rsa,
        TlsCipherKx::Dh | TlsCipherKx::Dhe => KeyExchange::Dh,
        TlsCipherKx::Ecdh | TlsCipherKx::Ecdhe | TlsCipherKx::Aecdh => KeyExchange::Ecdh,
        TlsCipherKx::Srp => KeyExchange::Srp,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{KeyExchange, key_exchange};

    #[test]
    fn suites_map_to_their_key_exchange() {
        for (suite, kx) in [
            (0x002f, Some(KeyExchange::Rsa)),
            (0x0033, Some(KeyExchange::Dh)),
            (0xc02f, Some(KeyExchange::Ecdh)),
            (0xc018, Some(KeyExchange::Ecdh)),
            (0x00ae, Some(KeyExchange::Psk)),
            (0xc0a4, Some(KeyExchange::Psk)),
            (0x00aa, Some(KeyExchange::DhePsk)),
            (0xc0aa, Some(KeyExchange::DhePsk)),
            (0xc037, Some(KeyExchange::EcdhePsk)),
            (0x00b6, Some(KeyExchange::RsaPsk)),
            (0xc01a, Some(KeyExchange::Srp)),
            (0x1301, None),
            (0x00ff, None),
            (0x0000, None),
            (0xeeee, None),
        ] {
            assert_eq!(key_exchange(suite), kx, "suite {suite:#06x}");
        }
    }
}
