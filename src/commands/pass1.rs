//! Pass 1 of a run: each input analysed on its own (on the worker threads), then the inputs'
//! observations merged in input order into the run's address planner, host-name mapper and
//! certificate numbers (docs/sharding.md). The merge reproduces exactly what one pass over the
//! inputs in turn would have decided, so the evidence does not depend on the number of threads.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;

use super::input::Input;
use super::progress::FileBar;
use crate::analyze::{self, Analysis};
use crate::anonymize::{AddressPlanner, MappingKey};
use crate::capture::CaptureReader;
use crate::keylog::KeyLog;
use crate::policy::Policy;
use crate::redact::Redactor;
use crate::redact::certificates::CertificateCache;
use crate::shard::{InputObservations, NameReplay, RunPlan};

/// What pass 1 hands the rest of the run.
pub struct Pass1 {
    /// Per input, in input order: its analysis (plans numbered as the run numbers them) and
    /// the handshake redactions it made.
    pub analyses: Vec<Analysis>,
    pub handshake: Vec<HandshakeRedactions>,
    /// The run's planner and redactor, as if one of each had seen every input in turn.
    pub planner: AddressPlanner,
    pub redactor: Redactor,
    /// Each input's observations, on its own (what `pcapscrub plan` writes).
    pub observations: Vec<InputObservations>,
}

/// What pass 1 needs besides the inputs.
pub struct Pass1Settings<'a> {
    pub policy: &'a Policy,
    pub key: &'a MappingKey,
    pub keylog: Option<Arc<KeyLog>>,
}

/// Handshake redactions made while analysing one capture.
pub struct HandshakeRedactions {
    pub counts: BTreeMap<String, u64>,
    pub certificates_zeroed: u64,
}

/// One input analysed on its own.
struct Alone {
    analysis: Analysis,
    planner: AddressPlanner,
    redactor: Redactor,
}

/// Analyses `inputs` on `pool`'s threads and merges them. `run`: the run's plan and where each
/// input sits in it, when the run is wider than these inputs (`sanitize --plan`); otherwise
/// the run is these inputs.
pub fn run(
    inputs: &[Input],
    bars: &[FileBar],
    pool: &rayon::ThreadPool,
    settings: &Pass1Settings<'_>,
    run: Option<(&RunPlan, &[usize])>,
) -> Result<Pass1> {
    let fresh = || Redactor::new(settings.policy, settings.key);
    // One input stays on this thread, as pass 1 always did: analysed on a worker, its
    // allocations went to another malloc arena than pass 2's and the peak RSS of 100,000
    // connections grew from 224 to 262 MiB (tests/hostile.rs).
    let alone: Vec<Result<Alone>> = match (inputs, bars) {
        ([input], [bar]) => vec![analyse(input, bar, settings, fresh())],
        _ => pool.install(|| {
            inputs
                .par_iter()
                .zip(bars)
                .map(|(input, bar)| analyse(input, bar, settings, fresh()))
                .collect()
        }),
    };
    let mut alone: Vec<Alone> = alone.into_iter().collect::<Result<_>>()?;
    for (input, a) in inputs.iter().zip(&alone) {
        if let Some(note) = super::keylog::note(&input.name, &a.analysis) {
            eprintln!("note: {note}");
        }
    }
    let mut observations: Vec<InputObservations> = alone
        .iter()
        .map(|a| InputObservations::of(&a.planner, &a.redactor))
        .collect();
    // Without a run plan the inputs' observations are the plan: moved into it, not copied
    // (every address and name of the run), and moved back out at the end.
    let own_plan = RunPlan::new(match run {
        Some(_) => Vec::new(),
        None => std::mem::take(&mut observations),
    });
    let own_places: Vec<usize> = (0..inputs.len()).collect();
    let (plan, places) = run.unwrap_or((&own_plan, own_places.as_slice()));
    // One input and no run plan: the merge is that input's own pass 1, and its name mapper is
    // the run's. Replaying its names would build a second mapper beside the first: 16 MB more
    // at the peak for 100,000 names (tests/hostile.rs's half-open connections).
    let alone_is_the_run = run.is_none() && alone.len() == 1;
    let replayed = if alone_is_the_run {
        &[][..]
    } else {
        &plan.inputs[..]
    };
    // The run's names, input by input: an input whose names came out otherwise on its own
    // (one stepped over a pseudonym an earlier input took) is analysed again, resuming the
    // run's state.
    let mut replay = NameReplay::new(settings.policy, settings.key);
    let mut again = Vec::new();
    for (at, run_input) in replayed.iter().enumerate() {
        replay.feed(run_input);
        for (i, _) in places.iter().enumerate().filter(|(_, p)| **p == at) {
            if !replay.agrees_with(&alone[i].redactor) {
                again.push(i);
            }
        }
    }
    let redone: Vec<(usize, Result<Alone>)> = pool.install(|| {
        again
            .par_iter()
            .map(|&i| {
                let at = places[i];
                let resumed = Redactor::resuming(
                    settings.policy,
                    settings.key,
                    plan.names_before(at, settings.policy, settings.key),
                    plan.certificate_start(at),
                );
                (i, analyse(&inputs[i], &bars[i], settings, resumed))
            })
            .collect()
    });
    for (i, a) in redone {
        alone[i] = a?;
    }
    let names = match alone.as_mut_slice() {
        [only] if alone_is_the_run => only.redactor.take_names(),
        _ => replay.into_mapper(),
    };
    let mut redactor =
        Redactor::resuming(settings.policy, settings.key, names, plan.certificates());
    let starts = plan.certificate_starts();
    let mut analyses = Vec::with_capacity(alone.len());
    let mut numberings = Vec::with_capacity(alone.len());
    let mut handshake = Vec::with_capacity(alone.len());
    for (a, &at) in alone.into_iter().zip(places) {
        let Alone {
            analysis,
            redactor: local,
            ..
        } = a;
        let numbers = local
            .numbered_certificates()
            .moved_to(starts.get(at).copied().unwrap_or(0));
        let zeroed = local
            .certificates_zeroed
            .saturating_add_signed(-numbers.zeroed_change());
        numberings.push(numbers);
        handshake.push(HandshakeRedactions {
            counts: local
                .counts
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            certificates_zeroed: zeroed,
        });
        redactor.absorb_counts(local, zeroed);
        analyses.push(analysis);
    }
    // Building the placeholders again is work of the size of pass 1's own: on the threads.
    pool.install(|| {
        analyses
            .par_iter_mut()
            .zip(numberings)
            .for_each(|(a, n)| a.renumber_certificates(n));
    });
    let planner = plan.planner();
    if run.is_none() {
        observations = own_plan.inputs;
    }
    Ok(Pass1 {
        analyses,
        handshake,
        planner,
        redactor,
        observations,
    })
}

/// Pass 1 of one input with its own planner and `redactor`.
fn analyse(
    input: &Input,
    bar: &FileBar,
    settings: &Pass1Settings<'_>,
    mut redactor: Redactor,
) -> Result<Alone> {
    let mut reader = CaptureReader::open(input.path(), &input.name)?;
    if let Some(f) = bar.pass(0) {
        reader.on_progress(f);
    }
    let mut planner = AddressPlanner::new();
    let analysis = analyze::analyze_with(
        &mut reader,
        &mut planner,
        &mut redactor,
        analyze::Keep::Plans,
        settings.keylog.clone(),
    )?;
    // The parses kept for this input's certificates serve no other input: every input alone
    // would otherwise hold its own table until the merge.
    redactor.parsed_certificates = CertificateCache::new();
    Ok(Alone {
        analysis,
        planner,
        redactor,
    })
}
