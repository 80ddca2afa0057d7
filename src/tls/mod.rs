//! TLS, as far as the sanitizer needs it: record framing of each direction's stream.

pub mod extensions;
pub mod facts;
pub mod hello;
mod messages;
mod names;
pub(crate) mod reader;
pub mod records;
pub mod registry;
pub mod spans;
pub mod suites;
mod walk;
