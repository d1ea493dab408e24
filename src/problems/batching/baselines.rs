//! Baselines: first come, first served, and shortest prompt first.
//!
//! Both admit requests in a fixed order on the first server where they still fit
//! ([`super::greedy`]'s first fit), as a dispatcher in front of continuous-batching servers
//! would. FCFS is vLLM's default scheduling order (Kwon et al., SOSP 2023); it skips a request
//! that fits nowhere rather than blocking the queue behind it. Shortest prompt first is
//! shortest job first with the prompt length as the job size, the one size a scheduler knows
//! when a request arrives (its output length is not known until it ends).

use super::decision::BatchDecision;
use super::greedy::{finish, first_fit};
use super::instance::BatchingInstance;
use crate::solve::{Budget, Found, SolveError, Solver};

/// First come, first served.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fcfs;

/// Shortest prompt first.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShortestPromptFirst;

/// Admits in `order`.
fn in_order(instance: &BatchingInstance, order: Vec<usize>) -> Found<BatchDecision> {
    let packing = first_fit(instance, &order);
    finish(instance, packing.decision(), order.len() as u64)
}

impl Solver<BatchingInstance> for Fcfs {
    fn name(&self) -> &str {
        "fcfs"
    }

    fn search(
        &self,
        instance: &BatchingInstance,
        _: &Budget,
    ) -> Result<Found<BatchDecision>, SolveError> {
        let mut order: Vec<usize> = (0..instance.requests.len()).collect();
        let arrival = |k: usize| instance.requests[k].arrival_s;
        order.sort_by(|&a, &b| arrival(a).total_cmp(&arrival(b)).then(a.cmp(&b)));
        Ok(in_order(instance, order))
    }
}

impl Solver<BatchingInstance> for ShortestPromptFirst {
    fn name(&self) -> &str {
        "spf"
    }

    fn search(
        &self,
        instance: &BatchingInstance,
        _: &Budget,
    ) -> Result<Found<BatchDecision>, SolveError> {
        let mut order: Vec<usize> = (0..instance.requests.len()).collect();
        let r = &instance.requests;
        order.sort_by(|&a, &b| {
            r[a].prompt_tokens
                .cmp(&r[b].prompt_tokens)
                .then(r[a].arrival_s.total_cmp(&r[b].arrival_s))
                .then(a.cmp(&b))
        });
        Ok(in_order(instance, order))
    }
}
