//! The density greedy: requests in decreasing value per KV byte, each admitted on the first
//! server where it still fits; and the first-fit pass it shares with the baselines.
//!
//! Density (value per unit of the resource a knapsack fills) is the classic greedy for the
//! knapsack problem (Dantzig, 1957); KV memory is the resource continuous batching is said to
//! be limited by (Kwon et al., SOSP 2023). It has no guarantee here: with several servers, the
//! TTFT and TPOT rows and the precision choice, the admitted set can be far from the optimum,
//! and the benchmark measures how far.

use super::decision::BatchDecision;
use super::instance::BatchingInstance;
use super::state::Packing;
use crate::solve::{Budget, Outcome, Problem, Sense, SolveError, Solver, Stats};
use std::time::Instant;

/// Density greedy: value per KV byte, first fit.
#[derive(Debug, Clone, Copy, Default)]
pub struct DensityGreedy;

/// Admits the requests in `order`, each on the first server (in the instance's order) on which
/// it fits; a server without a precision takes, on first use, the narrowest precision the
/// request accepts on which it fits. Requests that fit nowhere keep waiting.
pub(crate) fn first_fit<'a>(instance: &'a BatchingInstance, order: &[usize]) -> Packing<'a> {
    let mut packing = Packing::new(instance, &[]);
    for &k in order {
        for j in 0..instance.servers.len() {
            if let Some(q) = packing.fitting_precision(k, j) {
                packing.add(k, j, q);
                break;
            }
        }
    }
    packing
}

/// The outcome of a heuristic's `decision`: `Feasible` with its value as [`Problem::evaluate`]
/// judges it, or `NotFound` should the check fail.
pub(crate) fn finish(
    solver: &str,
    instance: &BatchingInstance,
    decision: BatchDecision,
    started: Instant,
    iterations: u64,
) -> Outcome<BatchDecision> {
    let stats = Stats {
        time_s: started.elapsed().as_secs_f64(),
        nodes: 0,
        iterations,
    };
    let evaluation = instance.evaluate(&decision);
    match evaluation.violations.first() {
        None => Outcome::feasible(
            solver,
            Sense::Maximise,
            decision,
            evaluation.objective,
            stats,
        ),
        Some(v) => Outcome::not_found(
            solver,
            Sense::Maximise,
            format!(
                "the batch breaks `{}` of {} by {}",
                v.constraint, v.subject, v.excess
            ),
            stats,
        ),
    }
}

/// `Infeasible` when the running sequences alone break a constraint.
pub(crate) fn infeasible(
    solver: &str,
    instance: &BatchingInstance,
    started: Instant,
) -> Option<Outcome<BatchDecision>> {
    instance.infeasibility().map(|why| {
        Outcome::infeasible(
            solver,
            Sense::Maximise,
            why,
            Stats {
                time_s: started.elapsed().as_secs_f64(),
                ..Stats::default()
            },
        )
    })
}

impl Solver<BatchingInstance> for DensityGreedy {
    fn name(&self) -> &str {
        "density"
    }

    fn solve(
        &self,
        instance: &BatchingInstance,
        budget: &Budget,
    ) -> Result<Outcome<BatchDecision>, SolveError> {
        budget.validate()?;
        let started = Instant::now();
        if let Some(outcome) = infeasible(self.name(), instance, started) {
            return Ok(outcome);
        }
        let mut order: Vec<usize> = (0..instance.requests.len()).collect();
        let density = |k: usize| instance.value(k) / instance.kv_bytes(k);
        order.sort_by(|&a, &b| density(b).total_cmp(&density(a)).then(a.cmp(&b)));
        let packing = first_fit(instance, &order);
        Ok(finish(
            self.name(),
            instance,
            packing.decision(),
            started,
            order.len() as u64,
        ))
    }
}
