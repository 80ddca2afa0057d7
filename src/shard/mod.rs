//! Mergeable plans: what pass 1 of one input decides in first-seen order across a run, kept
//! per input with nothing of the run baked in, and merged in input order into exactly the
//! state one pass over all inputs would have built (docs/sharding.md). This is what lets
//! `sanitize` analyse its inputs on several threads, and `pcapscrub plan` / `plan merge` /
//! `sanitize --plan` split one run across machines.
//!
//! (Not to be confused with [`crate::plan`], the per-connection byte plan pass 1 hands pass 2.)

pub mod file;
mod merge;
mod observed;

pub use merge::{NameReplay, RunPlan};
pub use observed::InputObservations;
