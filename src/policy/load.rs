//! Finding a policy: a built-in name, a file path, or an evidence folder's canonical copy.

use std::path::Path;

use super::builtin::{REVIEW_YAML, STRICT_YAML, TICKET_YAML};
use super::error::PolicyError;
use super::model::Policy;
use super::read::from_yaml;

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
