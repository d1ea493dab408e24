//! A policy (trained agent, rule, or a Python callable) as a [`Solver`] of the `batching`
//! problem, so that it is compared with the exact and heuristic solvers on the same instances
//! by the same [`crate::solve::Problem::evaluate`].
//!
//! [`BatchingPolicy`] presents the waiting requests in arrival order exactly as
//! [`super::BatchingEnv`] does (layout in [`BatchingLayout`], with no decision after this
//! one) and admits each where the policy says; the batch is judged by `evaluate`. A policy that
//! fails, or returns an action outside the mask, is a [`SolveError::Policy`].

use super::{BatchAction, BatchingLayout};
use crate::env::policy::{PolicySolver, Walk, Walked};
use crate::problems::batching::{BatchDecision, BatchingInstance, Packing, precision_index};
use crate::problems::formulation::judged;
use crate::solve::Found;

/// A function from an observation and an action mask to an action, as a `batching` solver
/// that asks it for every waiting request's action.
pub type BatchingPolicy<F> = PolicySolver<BatchingInstance, F>;

impl Walked for BatchingInstance {
    type Walk<'a> = Admissions<'a>;

    fn walk(&self) -> Admissions<'_> {
        Admissions {
            layout: BatchingLayout::of(self),
            instance: self,
            packing: Packing::new(self, &[]),
        }
    }
}

/// The waiting requests of an instance as [`super::BatchingEnv`] presents them, with no
/// decision after this one, and the servers they fill.
pub struct Admissions<'a> {
    layout: BatchingLayout,
    instance: &'a BatchingInstance,
    packing: Packing<'a>,
}

impl Walk for Admissions<'_> {
    type Decision = BatchDecision;

    fn sizes(&self) -> (usize, usize) {
        let layout = &self.layout;
        (layout.observation_space().len(), layout.action_space().n)
    }

    fn requests(&self) -> usize {
        self.instance.requests.len()
    }

    fn id(&self, k: usize) -> u64 {
        self.instance.requests[k].id
    }

    fn observe(&self, k: usize, observation: &mut [f32], mask: &mut [bool]) {
        self.layout.observe(&self.packing, k, 0, observation, mask);
    }

    fn act(&mut self, k: usize, action: usize) -> Result<(), String> {
        if let Some(BatchAction::Admit { server, precision }) = self.layout.decode(action) {
            self.packing.add(k, server, precision_index(precision));
        }
        Ok(())
    }

    fn finish(self) -> Found<BatchDecision> {
        judged(self.instance, self.packing.decision())
    }
}
