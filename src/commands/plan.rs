//! `pcapscrub plan` and `pcapscrub plan merge`: one run split across processes or machines
//! by an existing batch engine (docs/sharding.md). A shard's plan is what pass 1 of its
//! captures observed; the merged plan, in the order the shards are given, is what one run over
//! all of them would have observed, and `sanitize --plan` takes its mapping from it.
//!
//! A plan holds original addresses and host names: it is written like the private mapping
//! (mode 0600, through a temporary file renamed into place, never over a file without
//! `--force`) and never printed.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::input::Input;
use super::pass1::{self, Pass1Settings};
use super::private_mapping::PrivateMappingFile;
use super::progress::{FileBar, Progress};
use super::shard_plan::{input_digests, read};
use crate::anonymize::MappingKey;
use crate::policy::Policy;
use crate::shard::RunPlan;
use crate::shard::file::to_text;

/// How messages name a plan file.
const LABEL: &str = "plan";

pub struct PlanOptions<'a> {
    pub inputs: &'a [String],
    pub output: &'a Path,
    pub policy: &'a Policy,
    pub force: bool,
    /// Captures analysed at once (0: one per core).
    pub jobs: usize,
}

/// Pass 1 of every capture, their observations written to `output`; returns its path.
pub fn run(opts: &PlanOptions<'_>) -> Result<PathBuf> {
    let file = PrivateMappingFile::check_private(opts.output, None, opts.force, LABEL)?;
    let inputs = Input::resolve_all(opts.inputs)?;
    let pool = super::thread_pool(opts.jobs)?;
    let progress = Progress::on_terminal();
    let bars: Vec<FileBar> = inputs
        .iter()
        .enumerate()
        .map(|(k, i)| progress.file("plan", &i.name, (k + 1, inputs.len()), i.size_bytes(), 1))
        .collect();
    // The observations do not depend on the key: any key will do.
    let settings = Pass1Settings {
        policy: opts.policy,
        key: &MappingKey::random(),
        keylog: None,
    };
    let digests = input_digests(&inputs, &pool)?;
    let pass = pass1::run(&inputs, &bars, &pool, &settings, None)?;
    bars.iter().for_each(FileBar::finish);
    let mut observed = pass.observations;
    for (o, d) in observed.iter_mut().zip(digests) {
        o.sha256 = Some(d);
    }
    let text = to_text(&RunPlan::new(observed), &opts.policy.sha256_hex());
    file.stage_text(&text)?.persist()
}

/// `plan merge`: the plans in the order given, as one; returns the path written.
pub fn merge(plans: &[PathBuf], output: &Path, force: bool) -> Result<PathBuf> {
    let file = PrivateMappingFile::check_private(output, None, force, LABEL)?;
    let mut merged = RunPlan::default();
    let mut policy: Option<(String, &Path)> = None;
    for path in plans {
        let (plan, hash) = read(path, None)?;
        match &policy {
            Some((first, first_path)) if *first != hash => bail!(
                "{}: made under another policy than {} (policy hashes {hash} and {first}): every shard must use the same policy",
                path.display(),
                first_path.display()
            ),
            Some(_) => {}
            None => policy = Some((hash, path)),
        }
        merged.inputs.extend(plan.inputs);
    }
    let Some((hash, _)) = policy else {
        bail!("no plan to merge");
    };
    file.stage_text(&to_text(&merged, &hash))?.persist()
}
