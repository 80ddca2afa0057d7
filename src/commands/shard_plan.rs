//! Plan files as `sanitize --plan` and `plan merge` read them: the file, its inputs' places
//! by SHA-256, errors naming the file (docs/sharding.md).

use std::path::Path;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::input::Input;
use crate::policy::Policy;
use crate::report::hashing::sha256_file;
use crate::shard::RunPlan;
use crate::shard::file::from_text;

/// Every input's SHA-256 (hex), hashed on `pool`'s threads.
pub fn input_digests(inputs: &[Input], pool: &rayon::ThreadPool) -> Result<Vec<String>> {
    pool.install(|| {
        inputs
            .par_iter()
            .map(|i| sha256_file(i.path()).with_context(|| format!("cannot hash {}", i.name)))
            .collect()
    })
}

/// Reads the plan at `path`, made under `policy` when one is given; returns it with its
/// policy hash. Errors name the file.
pub fn read(path: &Path, policy: Option<&Policy>) -> Result<(RunPlan, String)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the plan {}", path.display()))?;
    let expected = policy.map(Policy::sha256_hex);
    from_text(&bytes, expected.as_deref())
        .with_context(|| format!("cannot use the plan {}", path.display()))
}

/// Where each input sits in the run's plan, by its SHA-256: the first place of that hash not
/// taken by an earlier input. An input the plan does not hold is refused, naming both files.
pub fn places(
    plan: &RunPlan,
    plan_path: &Path,
    inputs: &[Input],
    digests: &[String],
) -> Result<Vec<usize>> {
    let mut taken = vec![false; plan.inputs.len()];
    let mut places = Vec::with_capacity(inputs.len());
    for (input, digest) in inputs.iter().zip(digests) {
        let place = plan
            .inputs
            .iter()
            .enumerate()
            .position(|(at, i)| !taken[at] && i.sha256.as_deref() == Some(digest.as_str()));
        let Some(at) = place else {
            bail!(
                "{}: not among the captures the plan {} was made from (none of its inputs has this capture's SHA-256 {digest}); make the plans again from these captures",
                input.name,
                plan_path.display()
            );
        };
        taken[at] = true;
        places.push(at);
    }
    Ok(places)
}
