//! pcapscrub: turns a packet capture of a TLS connection into evidence anyone may see.
//!
//! Two passes over a capture (see docs/architecture.md): [`analyze`] reads it once and plans — connections,
//! TLS record framing, every address and its role, the bytes each direction keeps ([`plan`]) —
//! then [`rewrite`] reads it again and writes each packet through the plan and the keyed
//! [`anonymize`] mapping. [`commands`] wires the
//! stages into the CLI's commands; it is the only layer that touches files.

pub mod allowlist;
pub mod analyze;
pub mod anonymize;
pub mod canary;
pub mod capture;
pub mod check;
pub mod civil;
pub mod client_log;
pub mod commands;
pub mod dtls;
pub mod flow;
#[doc(hidden)]
pub mod fuzzing;
pub mod interrupt;
pub mod keylog;
pub mod plan;
pub mod policy;
pub mod preamble;
pub mod quic;
pub mod redact;
pub mod report;
pub mod rewrite;
pub mod shard;
pub mod stable_names;
pub mod tls;
pub mod wire;
