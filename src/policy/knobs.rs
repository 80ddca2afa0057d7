//! The values of a policy's enum knobs, each with its stable names (the YAML spellings).

use crate::stable_names::stable_names;

stable_names! {
    /// What happens to bytes after the transport header that are not kept.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum PayloadMode {
        /// Remove the bytes: packets get shorter.
        #[default]
        Cut = "cut",
        /// Overwrite the bytes with zeros: every length stays visible.
        Zero = "zero",
    }
}

stable_names! {
    /// Timestamps: keep, or shift so the first packet is at 2000-01-01T00:00:00Z.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum TimestampMode {
        /// Leave packet times as captured.
        #[default]
        Keep = "keep",
        /// Move all packet times so the first is at 2000-01-01T00:00:00Z,
        /// preserving the intervals between packets.
        Shift = "shift",
    }
}

stable_names! {
    /// Traffic other than TCP over IP (UDP, ICMP, ARP, ...): keep (sanitized) or
    /// drop the packets.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum NonTcpMode {
        /// Keep such packets, sanitized like the rest.
        #[default]
        Keep = "keep",
        /// Leave such packets out of the output.
        Drop = "drop",
    }
}

stable_names! {
    /// Host names in SNI (also the outer SNI of an ECH ClientHello).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum SniMode {
        /// A same-length pseudonym under a reserved name (`.example`, `.test`, `.invalid`).
        #[default]
        Pseudonym = "pseudonym",
        /// Same-length keyed hash (hex, ending `.invalid` where it fits): a reviewer holding the
        /// key can check a guess.
        Hash = "hash",
        /// Leave the names as captured.
        Keep = "keep",
    }
}

stable_names! {
    /// Certificates of TLS ≤ 1.2 Certificate messages (server and client chains).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum CertificateMode {
        /// A same-length placeholder that still parses as X.509 (`CN=redacted-<n>`, original
        /// validity and key algorithm).
        #[default]
        Placeholder = "placeholder",
        /// Leave the certificates as captured.
        Keep = "keep",
    }
}

stable_names! {
    /// Session tickets, PSK identities, CA names, OCSP responses, signatures, unknown extensions.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum SecretMode {
        /// Same-length filler (zeros).
        #[default]
        Filler = "filler",
        /// Leave them as captured.
        Keep = "keep",
    }
}

stable_names! {
    /// Client/server randoms and legacy session ids.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum RandomMode {
        /// Leave them (they are random, but can link a capture to a key log).
        #[default]
        Keep = "keep",
        /// Replace them with keyed hashes of themselves (the same in every copy).
        Scramble = "scramble",
    }
}
