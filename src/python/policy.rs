//! A Python callable `policy(observation, mask) -> action` as a `split` solver
//! ([`SplitPolicy`]) or a `batching` solver ([`BatchingPolicy`]): `mei4llm.solve(instance,
//! solver=policy)`.

use crate::env::policy::{BatchingPolicy, SplitPolicy};
use crate::problems::batching::{BatchDecision, BatchingInstance};
use crate::problems::split::{SplitDecision, SplitInstance};
use crate::solve::{Budget, Outcome, SolveError, Solver};
use numpy::PyArray1;
use pyo3::prelude::*;

/// The policy's `__name__`, or `policy`.
fn name(policy: &Bound<'_, PyAny>) -> String {
    policy
        .getattr("__name__")
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "policy".into())
}

/// Asks `policy` for the action of `observation` (a `float32` array) and `mask` (an `int8`
/// array), as the environments give them; an exception or an answer that is not a
/// non-negative integer is the `Err` message.
fn ask(policy: &Bound<'_, PyAny>, observation: &[f32], mask: &[bool]) -> Result<usize, String> {
    let py = policy.py();
    let observation = PyArray1::from_slice(py, observation);
    let mask = PyArray1::from_iter(py, mask.iter().map(|&m| i8::from(m)));
    let action = policy
        .call1((observation, mask))
        .map_err(|e| e.to_string())?;
    let action: i64 = action
        .extract()
        .map_err(|_| format!("returned {action}, not an integer action"))?;
    usize::try_from(action).map_err(|_| format!("returned the negative action {action}"))
}

/// Solves `instance` by asking `policy` for every request's action, exactly as
/// `mei4llm.envs.SplitEnv` presents them. The GIL is held: the policy is Python. An exception
/// of the policy, or an answer that is not a valid action, is a [`SolveError::Policy`] naming
/// the request.
pub(crate) fn solve(
    instance: &SplitInstance,
    policy: &Bound<'_, PyAny>,
    budget: &Budget,
) -> Result<Outcome<SplitDecision>, SolveError> {
    SplitPolicy::new(name(policy), |o: &[f32], m: &[bool]| ask(policy, o, m))
        .solve(instance, budget)
}

/// Solves a batching `instance` by asking `policy` for every waiting request's action,
/// exactly as `mei4llm.envs.BatchingEnv` presents them (see [`solve`]).
pub(crate) fn solve_batching(
    instance: &BatchingInstance,
    policy: &Bound<'_, PyAny>,
    budget: &Budget,
) -> Result<Outcome<BatchDecision>, SolveError> {
    BatchingPolicy::new(name(policy), |o: &[f32], m: &[bool]| ask(policy, o, m))
        .solve(instance, budget)
}
