//! How Rust errors reach Python: bad input is a `ValueError`, a solver that fails is a
//! `mei4llm.SolverError` (a `RuntimeError`); the message is the Rust one, unchanged.

use crate::solve::SolveError;
use pyo3::PyErr;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use std::any::Any;

pyo3::create_exception!(
    mei4llm,
    SolverError,
    PyRuntimeError,
    "A solver failed (back-end error, unsupported instance, a policy that misbehaved or a panic)."
);

/// A `ValueError` carrying `error`'s message (scenario, instance and decision errors).
pub(crate) fn value_error(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// A budget out of its domain is bad input; every other solve error is a solver failure.
pub(crate) fn solve_error(error: SolveError) -> PyErr {
    match error {
        SolveError::InvalidBudget(_) => value_error(error),
        other => SolverError::new_err(other.to_string()),
    }
}

/// A `SolverError` for a panic caught before it could cross into Python.
pub(crate) fn panic_error(what: &str, payload: Box<dyn Any + Send>) -> PyErr {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    SolverError::new_err(format!("{what} panicked: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyo3::Python;

    #[test]
    fn budget_errors_are_value_errors_and_backend_errors_solver_errors() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| {
            let bad = solve_error(SolveError::InvalidBudget("gap must be >= 0".into()));
            assert!(bad.is_instance_of::<PyValueError>(py));
            assert_eq!(
                bad.value(py).to_string(),
                "invalid budget: gap must be >= 0"
            );
            let failed = solve_error(SolveError::Backend("model error".into()));
            assert!(failed.is_instance_of::<SolverError>(py));
            assert!(failed.is_instance_of::<PyRuntimeError>(py));
            assert_eq!(failed.value(py).to_string(), "HiGHS: model error");
        });
    }

    #[test]
    fn panic_messages_are_kept() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| {
            let err = panic_error("solver `x`", Box::new("index out of bounds"));
            assert_eq!(
                err.value(py).to_string(),
                "solver `x` panicked: index out of bounds"
            );
        });
    }
}
