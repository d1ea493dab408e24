//! What every policy wrapped as a solver shares: the action check, the error of a policy that
//! fails, and the judgement of its decision by the problem's own `evaluate`. A problem's
//! policy solver (`split::env::SplitPolicy`, `batching::env::BatchingPolicy`) walks its
//! instance as its environment presents it and asks the policy for each action; it is
//! `feasible` at best (a policy proves nothing) and never `optimal`.

use crate::problems::formulation::first_violation;
use crate::solve::{Found, Problem, SolveError};

/// The policy's action for the observation and mask; why not, when the policy fails or
/// answers an action outside the mask.
pub(crate) fn ask<F>(policy: &F, observation: &[f32], mask: &[bool]) -> Result<usize, String>
where
    F: Fn(&[f32], &[bool]) -> Result<usize, String>,
{
    let action = policy(observation, mask)?;
    if mask.get(action).copied().unwrap_or(false) {
        Ok(action)
    } else {
        Err(format!(
            "action {action} is not valid (the mask allows {:?})",
            (0..mask.len()).filter(|&a| mask[a]).collect::<Vec<_>>()
        ))
    }
}

/// The error of policy solver `solver` on request `k` (trace id `id`).
pub(crate) fn policy_error(solver: &str, k: usize, id: u64, message: String) -> SolveError {
    SolveError::Policy {
        solver: solver.to_string(),
        message: format!("request {k} (id {id}): {message}"),
    }
}

/// A policy's `decision` judged by the instance's own `evaluate`: the decision with its
/// objective (a policy proves nothing: no bound), or not found with the first broken
/// constraint.
pub(crate) fn judged<P: Problem>(instance: &P, decision: P::Decision) -> Found<P::Decision> {
    let evaluation = instance.evaluate(&decision);
    match first_violation(&evaluation) {
        None => Found::decision(decision, evaluation.objective),
        Some(why) => Found::not_found(why),
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
