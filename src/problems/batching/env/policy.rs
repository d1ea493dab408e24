//! A policy (trained agent, rule, or a Python callable) as a [`Solver`] of the `batching`
//! problem, so that it is compared with the exact and heuristic solvers on the same instances
//! by the same [`crate::solve::Problem::evaluate`].
//!
//! [`BatchingPolicy`] presents the waiting requests in arrival order exactly as
//! [`super::BatchingEnv`] does (layout in [`BatchingLayout`], with no decision after this
//! one) and admits each where the policy says; the batch is judged by `evaluate`. A policy that
//! fails, or returns an action outside the mask, is a [`SolveError::Policy`].

use super::{BatchAction, BatchingLayout};
use crate::env::policy::{ask, judged, out_of_time, policy_error};
use crate::problems::batching::{BatchDecision, BatchingInstance, Packing, precision_index};
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, SolveError, Solver};
use std::time::Instant;

/// A function from an observation and an action mask to an action, as a `batching` solver.
pub struct BatchingPolicy<F> {
    name: String,
    policy: F,
}

impl<F> BatchingPolicy<F>
where
    F: Fn(&[f32], &[bool]) -> Result<usize, String>,
{
    /// The solver called `name` that asks `policy` for every waiting request's action; an
    /// `Err` of the policy says why it could not answer.
    pub fn new(name: impl Into<String>, policy: F) -> BatchingPolicy<F> {
        BatchingPolicy {
            name: name.into(),
            policy,
        }
    }
}

impl<F> Solver<BatchingInstance> for BatchingPolicy<F>
where
    F: Fn(&[f32], &[bool]) -> Result<usize, String>,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn search(
        &self,
        instance: &BatchingInstance,
        budget: &Budget,
    ) -> Result<Found<BatchDecision>, SolveError> {
        let deadline = deadline(Instant::now(), budget);
        if let Some(why) = instance.infeasibility() {
            return Ok(Found::infeasible(why.to_string()));
        }
        let layout = BatchingLayout::of(instance);
        let mut observation = vec![0.0; layout.observation_space().len()];
        let mut mask = vec![false; layout.action_space().n];
        let mut packing = Packing::new(instance, &[]);
        let requests = instance.requests.len();
        for k in 0..requests {
            if deadline.is_some_and(|t| Instant::now() >= t) {
                return Ok(out_of_time(k, requests));
            }
            layout.observe(&packing, k, 0, &mut observation, &mut mask);
            let fail = |message| policy_error(&self.name, k, instance.requests[k].id, message);
            let action = ask(&self.policy, &observation, &mask).map_err(fail)?;
            if let Some(BatchAction::Admit { server, precision }) = layout.decode(action) {
                packing.add(k, server, precision_index(precision));
            }
        }
        Ok(judged(instance, packing.decision()).with_work(0, requests as u64))
    }
}
