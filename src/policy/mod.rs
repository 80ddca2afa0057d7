//! Sanitization policies: what `pcapscrub` removes from a capture.
//!
//! A policy is a small YAML file (see `policies/*.yaml` for commented
//! examples). Three are built in: `ticket` (the default), `strict` and
//! `review`. [`load`] accepts either a built-in name or a path, and
//! [`from_yaml`] reports every problem as one sentence naming the line.
//!
//! [`Policy::canonical_yaml`] is the effective policy with every field
//! filled in; its SHA-256 ([`Policy::sha256_hex`]) identifies the policy in
//! reports. The canonical text is produced here, not by the YAML library, so
//! the hash does not change when a dependency changes its output style.
//!
//! The modules: `fields` (the field list's macro and how each kind of field is read and
//! written), `knobs` (the enum values), `read` (the located YAML reading and its errors),
//! `canonical` (the canonical text and its hash).

mod canonical;
mod fields;
mod knobs;
mod read;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use fields::{
    AddressList, FieldKind, FreeText, Located, NameList, OneOf, RequiredLine, policy_fields,
};
pub use knobs::{
    CertificateMode, NonTcpMode, PayloadMode, RandomMode, SecretMode, SniMode, TimestampMode,
};
pub use read::from_yaml;
use read::{Invalid, Node, absent, convert};

/// Names of the built-in policies, in the order they are listed to users.
pub const BUILTIN_NAMES: [&str; 3] = ["ticket", "strict", "review"];

const TICKET_YAML: &str = include_str!("../../policies/ticket.yaml");
const STRICT_YAML: &str = include_str!("../../policies/strict.yaml");
const REVIEW_YAML: &str = include_str!("../../policies/review.yaml");

/// Description of the `ticket` policy; must match `policies/ticket.yaml`
/// (a test checks it).
const TICKET_DESCRIPTION: &str = "Default for attaching captures to support tickets; headers stay readable, payload bytes are cut.";

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

/// Errors from loading or parsing a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy file could not be read.
    ///
    /// The I/O error's text is part of this error's message, so it is
    /// deliberately not also exposed as `source()`: printing the chain
    /// (`{:#}` with anyhow) would otherwise repeat it.
    #[error("{}", io_message(file, error))]
    Io {
        /// The path as given.
        file: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The policy text is not a valid policy.
    #[error("policy {origin}, line {line}: {message}")]
    Invalid {
        /// Where the text came from (a path, or `builtin NAME`).
        origin: String,
        /// 1-based line of the problem.
        line: u64,
        /// What is wrong, without the location.
        message: String,
    },
}

fn io_message(file: &Path, error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::NotFound {
        format!(
            "policy file `{}` does not exist, and it is not a built-in policy ({})",
            file.display(),
            BUILTIN_NAMES.join(", ")
        )
    } else {
        format!("cannot read policy file `{}`: {error}", file.display())
    }
}

/// The built-in policy called `name` (`ticket`, `strict` or `review`).
pub fn builtin(name: &str) -> Option<Policy> {
    let text = match name {
        "ticket" => TICKET_YAML,
        "strict" => STRICT_YAML,
        "review" => REVIEW_YAML,
        _ => return None,
    };
    // The texts are compiled in and a test proves each parses, so `ok()`
    // never discards an error in practice.
    from_yaml(text, &format!("builtin {name}")).ok()
}

/// Load a policy: a built-in name (unless a file of that name exists in
/// the current directory, which then wins), otherwise the YAML file at that
/// path.
pub fn load(arg: &str) -> Result<Policy, PolicyError> {
    let path = Path::new(arg);
    let shadowed = path.is_file();
    if let Some(policy) = builtin(arg).filter(|_| !shadowed) {
        return Ok(policy);
    }
    let text = std::fs::read_to_string(path).map_err(|error| PolicyError::Io {
        file: path.to_path_buf(),
        error,
    })?;
    from_yaml(&text, arg)
}

/// Largest policy file an evidence folder may carry: a canonical policy is a few hundred bytes
/// plus its allowlist.
const MAX_EVIDENCE_POLICY_BYTES: u64 = 1 << 20;

/// The policy an evidence folder carries (its `policy.yaml`, as `sanitize` wrote it): the file
/// must parse and be in canonical form, so its SHA-256 is the policy's hash. The error is one
/// sentence naming the file.
pub fn load_canonical(path: &Path) -> Result<Policy, String> {
    use std::io::Read;
    let shown = path.display();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(MAX_EVIDENCE_POLICY_BYTES + 1)
                .read_to_string(&mut text)
        })
        .map_err(|e| format!("{shown}: cannot read it: {e}"))?;
    if text.len() as u64 > MAX_EVIDENCE_POLICY_BYTES {
        return Err(format!(
            "{shown}: larger than {MAX_EVIDENCE_POLICY_BYTES} bytes, not a policy pcapscrub writes"
        ));
    }
    let policy = from_yaml(&text, &shown.to_string()).map_err(|e| e.to_string())?;
    if policy.canonical_yaml() != text {
        return Err(format!(
            "{shown}: not in the canonical form `sanitize` writes (was it edited?)"
        ));
    }
    Ok(policy)
}
