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
//! The modules: `model` (the `Policy` struct, declared through the field list), `fields` (the
//! field list's macro and how each kind of field is read and written), `knobs` (the enum
//! values), `node` (the located YAML values), `read` (the located YAML reading and its errors),
//! `error` (`PolicyError`), `canonical` (the canonical text and its hash), `builtin` (the
//! built-in policies' texts) and `load` (finding a policy by name or path).

mod builtin;
mod canonical;
mod error;
mod fields;
mod knobs;
mod load;
mod model;
mod node;
mod read;
#[cfg(test)]
mod tests;

pub use builtin::BUILTIN_NAMES;
pub use error::PolicyError;
pub use knobs::{
    CertificateMode, NonTcpMode, PayloadMode, RandomMode, SecretMode, SniMode, TimestampMode,
};
pub use load::{builtin, load, load_canonical};
pub use model::{KEYS, Policy};
pub use read::from_yaml;
