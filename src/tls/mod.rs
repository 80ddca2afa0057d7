//! TLS, as far as the sanitizer needs it: record framing of each direction's stream.

pub mod facts;
pub mod placeholder;
pub mod records;
pub mod spans;
