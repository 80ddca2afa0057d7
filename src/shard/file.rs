//! The plan file (`pcapscrub plan`, `plan merge`, `sanitize --plan`): a run's per-input
//! observations as JSON, with a format version, the policy's hash and each input's SHA-256
//! (docs/sharding.md). It holds original addresses and host names: private material, like
//! `--mapping-out` (SECURITY.md). Everything read from it is checked; nothing is trusted.

use serde::{Deserialize, Serialize};

use super::merge::RunPlan;
use super::observed::InputObservations;
use crate::anonymize::{AddressObservations, Role};

/// What the file says it is.
pub const FORMAT: &str = "pcapscrub plan";
/// Bumped whenever what a plan means changes: a plan of another version is refused.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    format: String,
    version: u32,
    /// The policy's hash (`policy.yaml`'s): names and certificates are numbered as the policy
    /// redacts them, so a plan only serves runs under the same policy.
    policy_sha256: String,
    inputs: Vec<PlanInput>,
}

/// One input, every binary value in hex.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanInput {
    sha256: String,
    /// `ROLE:HEX` in first-seen order; ROLE is `client`, `server` or `other`.
    ipv4: Vec<String>,
    ipv6: Vec<String>,
    mac: Vec<String>,
    /// The host names mapped, lowercased, in first-mapped order.
    names: Vec<String>,
    certificates: u64,
}

/// Why a plan cannot be used, without the file's name (the caller adds it).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("not a pcapscrub plan ({0})")]
    NotAPlan(String),
    #[error("a plan of format version {found}, this pcapscrub reads version {VERSION}")]
    Version { found: u32 },
    #[error("made under another policy (its hash {found}, this run's {expected})")]
    Policy { found: String, expected: String },
    #[error("input {input}: {what} is not valid")]
    Field { input: usize, what: &'static str },
}

/// The plan file's text for a run under the policy of hash `policy_sha256`. Every input must
/// have its SHA-256.
pub fn to_text(plan: &RunPlan, policy_sha256: &str) -> String {
    let file = PlanFile {
        format: FORMAT.to_string(),
        version: VERSION,
        policy_sha256: policy_sha256.to_string(),
        inputs: plan.inputs.iter().map(plan_input).collect(),
    };
    // Serialising owned strings and numbers cannot fail.
    let mut text = serde_json::to_string(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a plan's text: the plan and the hash of the policy it was made under, which must be
/// `policy_sha256` when one is given.
pub fn from_text(text: &[u8], policy_sha256: Option<&str>) -> Result<(RunPlan, String), PlanError> {
    let file: PlanFile =
        serde_json::from_slice(text).map_err(|e| PlanError::NotAPlan(e.to_string()))?;
    if file.format != FORMAT {
        return Err(PlanError::NotAPlan(format!(
            "its format is {:?}",
            file.format
        )));
    }
    if file.version != VERSION {
        return Err(PlanError::Version {
            found: file.version,
        });
    }
    if let Some(expected) = policy_sha256.filter(|p| *p != file.policy_sha256) {
        return Err(PlanError::Policy {
            found: file.policy_sha256,
            expected: expected.to_string(),
        });
    }
    let inputs = file
        .inputs
        .into_iter()
        .enumerate()
        .map(|(i, p)| observations(i + 1, p))
        .collect::<Result<_, _>>()?;
    Ok((RunPlan::new(inputs), file.policy_sha256))
}

fn plan_input(i: &InputObservations) -> PlanInput {
    let with_role = |role: Role, bytes: &[u8]| format!("{}:{}", role_name(role), hex(bytes));
    PlanInput {
        sha256: i.sha256.clone().unwrap_or_default(),
        ipv4: i
            .addresses
            .ipv4
            .iter()
            .map(|(a, r)| with_role(*r, a))
            .collect(),
        ipv6: i
            .addresses
            .ipv6
            .iter()
            .map(|(a, r)| with_role(*r, a))
            .collect(),
        mac: i.addresses.mac.iter().map(|m| hex(m)).collect(),
        names: i.names.iter().map(|n| hex(n)).collect(),
        certificates: i.certificates as u64,
    }
}

fn observations(input: usize, p: PlanInput) -> Result<InputObservations, PlanError> {
    let bad = |what| PlanError::Field { input, what };
    let sha = unhex(&p.sha256).filter(|b| b.len() == 32);
    sha.ok_or(bad("its sha256"))?;
    let ipv4 = p
        .ipv4
        .iter()
        .map(|s| with_role::<4>(s).ok_or(bad("an IPv4 address")))
        .collect::<Result<_, _>>()?;
    let ipv6 = p
        .ipv6
        .iter()
        .map(|s| with_role::<16>(s).ok_or(bad("an IPv6 address")))
        .collect::<Result<_, _>>()?;
    let mac = p
        .mac
        .iter()
        .map(|s| fixed::<6>(s).ok_or(bad("a MAC address")))
        .collect::<Result<_, _>>()?;
    let names = p
        .names
        .iter()
        .map(|s| unhex(s).ok_or(bad("a host name")))
        .collect::<Result<_, _>>()?;
    Ok(InputObservations {
        sha256: Some(p.sha256.to_ascii_lowercase()),
        addresses: AddressObservations { ipv4, ipv6, mac },
        names,
        certificates: usize::try_from(p.certificates).map_err(|_| bad("its certificate count"))?,
    })
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Client => "client",
        Role::Server => "server",
        Role::Other => "other",
    }
}

fn with_role<const N: usize>(s: &str) -> Option<([u8; N], Role)> {
    let (role, address) = s.split_once(':')?;
    let role = match role {
        "client" => Role::Client,
        "server" => Role::Server,
        "other" => Role::Other,
        _ => return None,
    };
    Some((fixed::<N>(address)?, role))
}

fn fixed<const N: usize>(s: &str) -> Option<[u8; N]> {
    unhex(s)?.try_into().ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RunPlan {
        RunPlan::new(vec![InputObservations {
            sha256: Some("ab".repeat(32)),
            addresses: AddressObservations {
                ipv4: vec![
                    ([10, 77, 0, 1], Role::Client),
                    ([10, 77, 0, 2], Role::Server),
                ],
                ipv6: vec![([0xfd; 16], Role::Other)],
                mac: vec![[2, 0, 0, 0, 0, 1]],
            },
            names: vec![b"api.example.com".to_vec(), vec![0xff, 0]],
            certificates: 3,
        }])
    }

    #[test]
    fn a_plan_reads_back_as_written() {
        let text = to_text(&sample(), "p");
        let (plan, policy) = from_text(text.as_bytes(), Some("p")).unwrap();
        assert_eq!((plan, policy.as_str()), (sample(), "p"));
    }

    #[test]
    fn another_policy_version_or_format_is_refused() {
        let text = to_text(&sample(), "p");
        assert!(matches!(
            from_text(text.as_bytes(), Some("q")),
            Err(PlanError::Policy { .. })
        ));
        let other = text.replace("\"version\":1", "\"version\":2");
        assert!(matches!(
            from_text(other.as_bytes(), None),
            Err(PlanError::Version { found: 2 })
        ));
        assert!(matches!(
            from_text(b"{}", None),
            Err(PlanError::NotAPlan(_))
        ));
        let bad = text.replace("client:0a4d0001", "client:0a4d00");
        assert!(matches!(
            from_text(bad.as_bytes(), None),
            Err(PlanError::Field { input: 1, .. })
        ));
    }
}
