//! A policy (trained agent, rule, or a Python callable) as a [`Solver`] of the `batching`
//! problem, so that it is compared with the exact and heuristic solvers on the same instances
//! by the same [`crate::solve::Problem::evaluate`].
//!
//! [`BatchingPolicy`] presents the waiting requests in arrival order exactly as
//! [`super::BatchingEnv`] does (layout in [`BatchingLayout`], with no decision after this
//! one) and admits each where the policy says; the batch is judged by `evaluate`. A policy that
//! fails, or returns an action outside the mask, is a [`SolveError::Policy`].

use super::{BatchAction, BatchingLayout};
use crate::env::policy::{PolicySolver, out_of_time};
use crate::problems::batching::{BatchDecision, BatchingInstance, Packing, precision_index};
use crate::problems::formulation::judged;
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, SolveError, Solver};
use std::time::Instant;

/// A function from an observation and an action mask to an action, as a `batching` solver
/// that asks it for every waiting request's action.
pub type BatchingPolicy<F> = PolicySolver<BatchingInstance, F>;

impl<F> Solver<BatchingInstance> for PolicySolver<BatchingInstance, F>
where
    F: Fn(&[f32], &[bool]) -> Result<usize, String>,
{
    fn name(&self) -> &str {
        PolicySolver::name(self)
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
            let action = self.ask(k, instance.requests[k].id, &observation, &mask)?;
            if let Some(BatchAction::Admit { server, precision }) = layout.decode(action) {
                packing.add(k, server, precision_index(precision));
            }
        }
        Ok(judged(instance, packing.decision()).with_work(0, requests as u64))
    }
}
