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
use crate::solve::{Budget, Found, Problem, SolveError, Solver};

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

/// What a heuristic found with `decision`: the decision with its value as
/// [`Problem::evaluate`] judges it, or not found should the check fail.
pub(crate) fn finish(
    instance: &BatchingInstance,
    decision: BatchDecision,
    iterations: u64,
) -> Found<BatchDecision> {
    let evaluation = instance.evaluate(&decision);
    let found = match evaluation.violations.first() {
        None => Found::decision(decision, evaluation.objective),
        Some(v) => Found::not_found(format!(
            "the batch breaks `{}` of {} by {}",
            v.constraint, v.subject, v.excess
        )),
    };
    found.with_work(0, iterations)
}

impl Solver<BatchingInstance> for DensityGreedy {
    fn name(&self) -> &str {
        "density"
    }

    fn search(
        &self,
        instance: &BatchingInstance,
        _: &Budget,
    ) -> Result<Found<BatchDecision>, SolveError> {
        let mut order: Vec<usize> = (0..instance.requests.len()).collect();
        let density = |k: usize| instance.value(k) / instance.kv_bytes(k);
        order.sort_by(|&a, &b| density(b).total_cmp(&density(a)).then(a.cmp(&b)));
        let packing = first_fit(instance, &order);
        Ok(finish(instance, packing.decision(), order.len() as u64))
    }
}
