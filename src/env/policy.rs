//! A policy wrapped as a solver: [`PolicySolver`] walks an instance's requests one at a time
//! as the problem's environment presents them (a [`Walk`]: the observation and mask of each,
//! and what an action does), asks the policy for each action, and stops at the time limit; a
//! policy that fails, or answers an action outside the mask, is a
//! [`SolveError::Policy`]. A problem whose environment builds its decision this way implements
//! [`Walked`] for its instance, and `PolicySolver` is then one of its solvers
//! (`split::env::SplitPolicy`, `batching::env::BatchingPolicy`); the walk judges the decision
//! by the problem's own `evaluate`
//! ([`judged`](crate::problems::formulation::judged)), so it is `feasible` at best (a policy
//! proves nothing) and never `optimal`.

use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use std::marker::PhantomData;
use std::time::Instant;

/// An instance whose environment builds its decision one request at a time, as a policy
/// walks it.
pub trait Walked: Problem {
    /// The walk of one instance.
    type Walk<'a>: Walk<Decision = Self::Decision>
    where
        Self: 'a;

    /// The walk of this instance, with nothing decided yet.
    fn walk(&self) -> Self::Walk<'_>;
}

/// The requests of an instance as a problem's environment presents them to a policy, one at a
/// time, and the decision they build.
pub trait Walk {
    /// The decision the walk builds.
    type Decision;

    /// The length of an observation and the number of actions.
    fn sizes(&self) -> (usize, usize);

    /// Requests to walk.
    fn requests(&self) -> usize;

    /// The trace id of request `k`, for errors.
    fn id(&self, k: usize) -> u64;

    /// Writes the observation and mask of request `k`.
    fn observe(&self, k: usize, observation: &mut [f32], mask: &mut [bool]);

    /// Carries out `action` (in the mask) for request `k`; why not, when it names nothing.
    fn act(&mut self, k: usize, action: usize) -> Result<(), String>;

    /// The decision of every request walked, judged by the problem's `evaluate`.
    fn finish(self) -> Found<Self::Decision>;
}

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

    /// The policy's action for request `k` (trace id `id`) under the observation and mask; a
    /// [`SolveError::Policy`] when the policy fails or answers an action outside the mask.
    fn ask(
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
    fn error(&self, k: usize, id: u64, message: String) -> SolveError {
        SolveError::Policy {
            solver: self.name.clone(),
            message: format!("request {k} (id {id}): {message}"),
        }
    }
}

impl<P, F> Solver<P> for PolicySolver<P, F>
where
    P: Walked,
    F: Fn(&[f32], &[bool]) -> Result<usize, String>,
{
    fn name(&self) -> &str {
        &self.name
    }

    /// Asks the policy for every request's action in turn; the outcome when the time limit
    /// passes first.
    fn search(&self, instance: &P, budget: &Budget) -> Result<Found<P::Decision>, SolveError> {
        let deadline = deadline(Instant::now(), budget);
        let mut walk = instance.walk();
        let (observation_len, actions) = walk.sizes();
        let mut observation = vec![0.0; observation_len];
        let mut mask = vec![false; actions];
        let requests = walk.requests();
        for k in 0..requests {
            if deadline.is_some_and(|t| Instant::now() >= t) {
                return Ok(out_of_time(k, requests));
            }
            walk.observe(k, &mut observation, &mut mask);
            let id = walk.id(k);
            let action = self.ask(k, id, &observation, &mask)?;
            walk.act(k, action).map_err(|m| self.error(k, id, m))?;
        }
        Ok(walk.finish().with_work(0, requests as u64))
    }
}

/// A policy stopped by the time limit after `k` of `requests` requests.
fn out_of_time<D>(k: usize, requests: usize) -> Found<D> {
    Found::not_found(format!(
        "the time limit passed after {k} of {requests} requests"
    ))
    .timed_out(true)
    .with_work(0, k as u64)
}
