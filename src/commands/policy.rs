//! `pcapscrub policy show [POLICY]` and `pcapscrub policy check POLICY`.

use crate::policy::{self, Policy};

/// Prints the effective policy (defaults filled in).
pub fn show(arg: Option<&str>) -> Result<String, policy::PolicyError> {
    let p = match arg {
        Some(a) => policy::load(a)?,
        None => Policy::default(),
    };
    Ok(p.canonical_yaml())
}

/// Validates a policy file; the message names the policy and its hash when valid.
pub fn check(arg: &str) -> Result<String, policy::PolicyError> {
    let p = policy::load(arg)?;
    Ok(format!(
        "{arg}: valid policy `{}` (sha256 {})",
        p.name,
        p.sha256_hex()
    ))
}
