//! A Python callable `policy(observation, mask) -> action` as a `split` solver
//! ([`SplitPolicy`]): `mei4llm.solve(instance, solver=policy)`.

use crate::env::policy::SplitPolicy;
use crate::problems::split::{SplitDecision, SplitInstance};
use crate::solve::{Budget, Outcome, SolveError, Solver};
use numpy::PyArray1;
use pyo3::prelude::*;

/// Solves `instance` by asking `policy` for every request's action, with the observation as a
/// `float32` array and the mask as an `int8` array, exactly as `mei4llm.envs.SplitEnv` gives
/// them. The GIL is held: the policy is Python. An exception of the policy, or an answer that
/// is not a valid action, is a [`SolveError::Policy`] naming the request.
pub(crate) fn solve(
    py: Python<'_>,
    instance: &SplitInstance,
    policy: &Bound<'_, PyAny>,
    budget: &Budget,
) -> Result<Outcome<SplitDecision>, SolveError> {
    let name = policy
        .getattr("__name__")
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "policy".into());
    let ask = |observation: &[f32], mask: &[bool]| -> Result<usize, String> {
        let observation = PyArray1::from_slice(py, observation);
        let mask = PyArray1::from_iter(py, mask.iter().map(|&m| i8::from(m)));
        let action = policy
            .call1((observation, mask))
            .map_err(|e| e.to_string())?;
        let action: i64 = action
            .extract()
            .map_err(|_| format!("returned {action}, not an integer action"))?;
        usize::try_from(action).map_err(|_| format!("returned the negative action {action}"))
    };
    SplitPolicy::new(name, ask).solve(instance, budget)
}
