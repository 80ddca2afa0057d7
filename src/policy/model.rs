//! The `Policy` struct, declared once through its field list (`fields.rs`), and what it
//! computes from itself: the canonical text, its hash and the parsed allowlist.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::builtin::TICKET_DESCRIPTION;
use super::canonical;
use super::error::PolicyError;
use super::fields::{
    AddressList, FieldKind, FreeText, Located, NameList, OneOf, RequiredLine, policy_fields,
};
use super::knobs::{
    CertificateMode, NonTcpMode, PayloadMode, RandomMode, SecretMode, SniMode, TimestampMode,
};
use super::node::{Invalid, Node, absent, convert};

policy_fields! {
    /// A sanitization policy.
    ///
    /// The serde derives accept the same keys as [`from_yaml`] (which should be
    /// preferred for files: its errors name the line and key).
    #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Policy {
        /// Required in files; the built-ins are `ticket`, `strict` and `review`.
        pub name: String => RequiredLine,
        /// Free text; optional, default empty.
        #[serde(default)]
        pub description: String => FreeText,
        /// Default `cut`.
        #[serde(default)]
        pub payload: PayloadMode => OneOf,
        /// Default `keep`.
        #[serde(default)]
        pub timestamps: TimestampMode => OneOf,
        /// Default `keep`.
        #[serde(default)]
        pub non_tcp: NonTcpMode => OneOf,
        /// Default `pseudonym`.
        #[serde(default)]
        pub sni: SniMode => OneOf,
        /// Default `placeholder`.
        #[serde(default)]
        pub certificates: CertificateMode => OneOf,
        /// Default `filler`.
        #[serde(default)]
        pub handshake_secrets: SecretMode => OneOf,
        /// Default `keep`.
        #[serde(default)]
        pub randoms: RandomMode => OneOf,
        /// Comma-separated addresses and networks that stay as they are (default none).
        #[serde(default)]
        pub allow_addresses: String => AddressList,
        /// Comma-separated host names (`*.` for a whole domain) that stay as they are.
        #[serde(default)]
        pub allow_names: String => NameList,
    }
}

impl Policy {
    /// The `ticket` policy: the default for attaching captures to support
    /// tickets (payload cut, timestamps kept, non-TCP traffic kept: every knob's default).
    pub fn ticket() -> Policy {
        Policy {
            name: "ticket".to_string(),
            description: TICKET_DESCRIPTION.to_string(),
            ..Policy::unnamed()
        }
    }

    /// The parsed allowlist (the texts were validated when the policy was read).
    pub fn allowlist(&self) -> crate::allowlist::Allowlist {
        crate::allowlist::Allowlist::from_policy_text(&self.allow_addresses, &self.allow_names)
    }

    /// The effective policy as YAML: every field present, in a fixed order,
    /// ending in a newline. This is what `pcapscrub policy show` prints and
    /// what [`Policy::sha256_hex`] hashes; [`from_yaml`] reads it back to an
    /// equal policy.
    pub fn canonical_yaml(&self) -> String {
        let mut out = String::new();
        for (key, value) in self.canonical_fields() {
            out.push_str(key);
            out.push_str(": ");
            out.push_str(&value);
            out.push('\n');
        }
        out
    }

    /// Lowercase hex SHA-256 of [`Policy::canonical_yaml`].
    pub fn sha256_hex(&self) -> String {
        canonical::sha256_hex(&self.canonical_yaml())
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::ticket()
    }
}
