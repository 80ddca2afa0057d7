//! Thin wiring of the stages into the CLI's commands (README, commands table). Only this layer touches files.

pub mod check;
pub mod diagnose;
pub mod input;
pub mod keylog;
pub mod pass1;
pub mod plan;
pub mod policy;
pub mod private_mapping;
pub mod progress;
pub mod reveal;
pub mod sanitize;
pub mod shard_plan;
pub mod verify;

/// The worker threads for `--jobs N` (0: one per core).
pub fn thread_pool(jobs: usize) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {jobs} worker threads: {e}"))
}
