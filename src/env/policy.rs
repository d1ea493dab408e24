//! A policy wrapped as a solver: [`PolicySolver`], with what every problem's walk shares
//! (the action check, the error of a policy that fails, the time limit). A problem whose
//! environment builds its decision one request at a time implements [`crate::solve::Solver`]
//! for `PolicySolver` (`split::env::SplitPolicy`, `batching::env::BatchingPolicy`): it walks
//! its instance as its environment presents it, asks the policy for each action, and judges
//! the decision by the problem's own `evaluate`
//! ([`judged`](crate::problems::formulation::judged)); it is `feasible` at best (a policy
//! proves nothing) and never `optimal`.

use crate::solve::{Found, SolveError};
use std::marker::PhantomData;

/// A function from an observation and an action mask to an action, as a solver of the
/// instances `P` (a problem implements [`crate::solve::Solver<P>`] for it).
pub struct PolicySolver<P, F> {
    name: String,
    policy: F,
    problem: PhantomData<fn() -> P>,
}

impl<P, F> PolicySolver<P, F>
where
    F: Fn(&[f32], &[bool]) -> Result<usize, String>,
{
    /// The solver called `name` that asks `policy` for every request's action; an `Err` of
    /// the policy says why it could not answer.
    pub fn new(name: impl Into<String>, policy: F) -> PolicySolver<P, F> {
        PolicySolver {
            name: name.into(),
            policy,
            problem: PhantomData,
        }
    }

    /// The solver's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy's action for request `k` (trace id `id`) under the observation and mask; a
    /// [`SolveError::Policy`] when the policy fails or answers an action outside the mask.
    pub(crate) fn ask(
        &self,
        k: usize,
        id: u64,
        observation: &[f32],
        mask: &[bool],
    ) -> Result<usize, SolveError> {
        let action = (self.policy)(observation, mask).map_err(|m| self.error(k, id, m))?;
        if mask.get(action).copied().unwrap_or(false) {
            Ok(action)
        } else {
            let valid: Vec<usize> = (0..mask.len()).filter(|&a| mask[a]).collect();
            let message = format!("action {action} is not valid (the mask allows {valid:?})");
            Err(self.error(k, id, message))
        }
    }

    /// The error of this solver on request `k` (trace id `id`).
    pub(crate) fn error(&self, k: usize, id: u64, message: String) -> SolveError {
        SolveError::Policy {
            solver: self.name.clone(),
            message: format!("request {k} (id {id}): {message}"),
        }
    }
}

/// A policy stopped by the time limit after `k` of `requests` requests.
pub(crate) fn out_of_time<D>(k: usize, requests: usize) -> Found<D> {
    Found::not_found(format!(
        "the time limit passed after {k} of {requests} requests"
    ))
    .timed_out(true)
    .with_work(0, k as u64)
}
