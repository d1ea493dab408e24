//! Baselines: first come, first served, and shortest prompt first.
//!
//! Both admit requests in a fixed order on the first server where they still fit
//! ([`super::greedy`]'s first fit), as a dispatcher in front of continuous-batching servers
//! would. FCFS is vLLM's default scheduling order (Kwon et al., SOSP 2023); it skips a request
//! that fits nowhere rather than blocking the queue behind it. Shortest prompt first is
//! shortest job first with the prompt length as the job size, the one size a scheduler knows
//! when a request arrives (its output length is not known until it ends).

use super::decision::BatchDecision;
use super::greedy::{finish, first_fit, infeasible};
use super::instance::BatchingInstance;
use crate::solve::{Budget, Outcome, SolveError, Solver};
use std::time::Instant;

/// First come, first served.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fcfs;

/// Shortest prompt first.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShortestPromptFirst;

/// Admits in `order` and reports the outcome under `solver`.
fn in_order(
    solver: &str,
    instance: &BatchingInstance,
    budget: &Budget,
    order: Vec<usize>,
) -> Result<Outcome<BatchDecision>, SolveError> {
    budget.validate()?;
    let started = Instant::now();
    if let Some(outcome) = infeasible(solver, instance, started) {
        return Ok(outcome);
    }
    let packing = first_fit(instance, &order);
    Ok(finish(
        solver,
        instance,
        packing.decision(),
        started,
        order.len() as u64,
    ))
}

impl Solver<BatchingInstance> for Fcfs {
    fn name(&self) -> &str {
        "fcfs"
    }

    fn solve(
        &self,
        instance: &BatchingInstance,
        budget: &Budget,
    ) -> Result<Outcome<BatchDecision>, SolveError> {
        let mut order: Vec<usize> = (0..instance.requests.len()).collect();
        let arrival = |k: usize| instance.requests[k].arrival_s;
        order.sort_by(|&a, &b| arrival(a).total_cmp(&arrival(b)).then(a.cmp(&b)));
        in_order(self.name(), instance, budget, order)
    }
}

impl Solver<BatchingInstance> for ShortestPromptFirst {
    fn name(&self) -> &str {
        "spf"
    }

    fn solve(
        &self,
        instance: &BatchingInstance,
        budget: &Budget,
    ) -> Result<Outcome<BatchDecision>, SolveError> {
        let mut order: Vec<usize> = (0..instance.requests.len()).collect();
        let r = &instance.requests;
        order.sort_by(|&a, &b| {
            r[a].prompt_tokens
                .cmp(&r[b].prompt_tokens)
                .then(r[a].arrival_s.total_cmp(&r[b].arrival_s))
                .then(a.cmp(&b))
        });
        in_order(self.name(), instance, budget, order)
    }
}
