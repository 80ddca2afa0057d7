//! The built-in policies: their names and texts, compiled in from `policies/*.yaml`.

/// Names of the built-in policies, in the order they are listed to users.
pub const BUILTIN_NAMES: [&str; 3] = ["ticket", "strict", "review"];

pub(super) const TICKET_YAML: &str = include_str!("../../policies/ticket.yaml");
pub(super) const STRICT_YAML: &str = include_str!("../../policies/strict.yaml");
pub(super) const REVIEW_YAML: &str = include_str!("../../policies/review.yaml");

/// Description of the `ticket` policy; must match `policies/ticket.yaml`
/// (a test checks it).
pub(super) const TICKET_DESCRIPTION: &str = "Default for attaching captures to support tickets; headers stay readable, payload bytes are cut.";
