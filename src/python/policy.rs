//! A Python callable `policy(observation, mask) -> action` as the policy of a problem's policy
//! solver: `mei4llm.solve(instance, solver=policy)`.

use crate::problems::formulation::Policy;
use numpy::PyArray1;
use pyo3::prelude::*;
use std::sync::Arc;

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

/// `callable` as a [`Policy`]: each call takes the GIL (the caller holds it: a policy solver
/// runs with the GIL held, since the policy is Python).
pub(crate) fn policy(callable: &Bound<'_, PyAny>) -> Policy {
    let callable: Py<PyAny> = callable.clone().unbind();
    Arc::new(move |observation: &[f32], mask: &[bool]| {
        Python::with_gil(|py| ask(callable.bind(py), observation, mask))
    })
}
