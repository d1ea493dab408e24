//! How Rust errors reach Python, with the Rust message unchanged:
//!
//! ```text
//! mei4llm.Error                          every error of the package
//! ├── mei4llm.InputError (ValueError)    bad input: a setting, a file, a name, a value
//! │   ├── mei4llm.ScenarioError          a scenario file or dict, or an instance built from it
//! │   ├── mei4llm.TraceError             a trace file (names the file, line and field)
//! │   └── mei4llm.DecisionError          a decision passed to `evaluate`
//! └── mei4llm.SolverError (RuntimeError) a solver failed, or Rust code panicked
//! ```
//!
//! The classes derive from both the package's base and the built-in exception, so `except
//! ValueError` and `except mei4llm.Error` both catch bad input.

use crate::env::EnvError;
use crate::problems::Error as ProblemError;
use crate::problems::registry::RegistryError;
use crate::replay::Error as ReplayError;
use crate::solve::SolveError;
use pyo3::exceptions::{PyException, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PyTuple, PyType};
use std::any::Any;

/// The package's exception classes.
pub(crate) struct Exceptions {
    /// `mei4llm.Error`.
    pub(crate) error: Py<PyType>,
    /// `mei4llm.InputError`.
    pub(crate) input: Py<PyType>,
    /// `mei4llm.ScenarioError`.
    pub(crate) scenario: Py<PyType>,
    /// `mei4llm.TraceError`.
    pub(crate) trace: Py<PyType>,
    /// `mei4llm.DecisionError`.
    pub(crate) decision: Py<PyType>,
    /// `mei4llm.SolverError`.
    pub(crate) solver: Py<PyType>,
}

/// A new exception class `mei4llm.<name>` with `bases` and docstring `doc`.
fn class(
    py: Python<'_>,
    name: &str,
    bases: Vec<Bound<'_, PyType>>,
    doc: &str,
) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__module__", "mei4llm")?;
    namespace.set_item("__doc__", doc)?;
    let class = py
        .get_type::<PyType>()
        .call1((name, PyTuple::new(py, bases)?, namespace))?;
    Ok(class.downcast_into::<PyType>()?.unbind())
}

/// The exception classes, made once per interpreter.
pub(crate) fn exceptions(py: Python<'_>) -> PyResult<&Exceptions> {
    static CLASSES: GILOnceCell<Exceptions> = GILOnceCell::new();
    CLASSES.get_or_try_init(py, || {
        let error = class(
            py,
            "Error",
            vec![py.get_type::<PyException>()],
            "Every error raised by mei4llm.",
        )?;
        let input = class(
            py,
            "InputError",
            vec![error.bind(py).clone(), py.get_type::<PyValueError>()],
            "Bad input: a setting, file, name or value out of its domain (a ValueError).",
        )?;
        let under_input =
            |name: &str, doc: &str| class(py, name, vec![input.bind(py).clone()], doc);
        let scenario = under_input(
            "ScenarioError",
            "A scenario file or dict is wrong, or cannot make the instance asked for.",
        )?;
        let trace = under_input(
            "TraceError",
            "A trace file is wrong; the message names the file, line and field.",
        )?;
        let decision = under_input(
            "DecisionError",
            "A decision passed to evaluate has the wrong shape, type or values.",
        )?;
        let solver = class(
            py,
            "SolverError",
            vec![error.bind(py).clone(), py.get_type::<PyRuntimeError>()],
            "A solver failed (back-end error, unsupported instance, a policy that misbehaved or \
             a panic) (a RuntimeError).",
        )?;
        Ok(Exceptions {
            error,
            input,
            scenario,
            trace,
            decision,
            solver,
        })
    })
}

/// An exception of the class `pick` chooses, carrying `message`.
fn raise(pick: fn(&Exceptions) -> &Py<PyType>, message: String) -> PyErr {
    Python::with_gil(|py| match exceptions(py) {
        Ok(classes) => PyErr::from_type(pick(classes).bind(py).clone(), message),
        Err(error) => error,
    })
}

/// An `InputError` carrying `error`'s message (a setting, name or value out of its domain).
pub(crate) fn value_error(error: impl std::fmt::Display) -> PyErr {
    raise(|c| &c.input, error.to_string())
}

/// A `ScenarioError`: a scenario, or an instance built from one.
pub(crate) fn scenario_error(error: impl std::fmt::Display) -> PyErr {
    raise(|c| &c.scenario, error.to_string())
}

/// A `TraceError`: a trace file.
pub(crate) fn trace_error(error: impl std::fmt::Display) -> PyErr {
    raise(|c| &c.trace, error.to_string())
}

/// A `DecisionError`: a decision given to `evaluate`.
pub(crate) fn decision_error(error: impl std::fmt::Display) -> PyErr {
    raise(|c| &c.decision, error.to_string())
}

/// A `SolverError`.
pub(crate) fn solver_error(error: impl std::fmt::Display) -> PyErr {
    raise(|c| &c.solver, error.to_string())
}

/// A budget out of its domain is bad input; every other solve error is a solver failure.
pub(crate) fn solve_error(error: SolveError) -> PyErr {
    match error {
        SolveError::InvalidBudget(_) => value_error(error),
        other => solver_error(other),
    }
}

/// A replay error: the trace's rows are a `TraceError`, settings and instances an
/// `InputError`, an output file that cannot be written an `OSError`, a panic a `SolverError`.
pub(crate) fn replay_error(error: ReplayError) -> PyErr {
    match error {
        ReplayError::Input(_) => trace_error(error),
        ReplayError::Problem(_) | ReplayError::Config { .. } | ReplayError::Read { .. } => {
            value_error(error)
        }
        ReplayError::Write { .. } => PyOSError::new_err(error.to_string()),
        ReplayError::Panicked { .. } => solver_error(error),
    }
}

/// A registry error: bad input and settings an `InputError` (a scenario a `ScenarioError`, a
/// decision a `DecisionError`), a solver failure a `SolverError`, a replay as
/// [`replay_error`] says, an environment's bad option an `InputError` and a call out of order a
/// `RuntimeError`.
pub(crate) fn registry_error(error: RegistryError) -> PyErr {
    match error {
        RegistryError::Input(_) | RegistryError::Problem(ProblemError::Input(_)) => {
            scenario_error(error)
        }
        RegistryError::Problem(ProblemError::Instance(_)) => scenario_error(error),
        RegistryError::Problem(_) => value_error(error),
        RegistryError::Solve(e) => solve_error(e),
        RegistryError::Replay(e) => replay_error(e),
        RegistryError::Env(EnvError::NeedsReset) => {
            pyo3::exceptions::PyRuntimeError::new_err(error.to_string())
        }
        RegistryError::Env(EnvError::Input(_)) => scenario_error(error),
        RegistryError::Env(_) => value_error(error),
        RegistryError::Decision(_) => decision_error(error),
    }
}

/// A `SolverError` for a panic caught before it could cross into Python.
pub(crate) fn panic_error(what: &str, payload: Box<dyn Any + Send>) -> PyErr {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    solver_error(format!("{what} panicked: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classes_form_the_documented_hierarchy() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| {
            let c = exceptions(py).unwrap();
            let is = |a: &Py<PyType>, b: &Bound<'_, PyType>| a.bind(py).is_subclass(b).unwrap();
            for sub in [&c.scenario, &c.trace, &c.decision] {
                assert!(is(sub, c.input.bind(py)));
                assert!(is(sub, &py.get_type::<PyValueError>()));
                assert!(is(sub, c.error.bind(py)));
            }
            assert!(is(&c.solver, &py.get_type::<PyRuntimeError>()));
            assert!(is(&c.solver, c.error.bind(py)));
            assert!(!is(&c.solver, &py.get_type::<PyValueError>()));
            let module: String = c
                .solver
                .bind(py)
                .getattr("__module__")
                .unwrap()
                .extract()
                .unwrap();
            assert_eq!(module, "mei4llm");
        });
    }

    #[test]
    fn budget_errors_are_input_errors_and_backend_errors_solver_errors() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| {
            let c = exceptions(py).unwrap();
            let bad = solve_error(SolveError::InvalidBudget("gap must be >= 0".into()));
            assert!(bad.is_instance_of::<PyValueError>(py));
            assert!(bad.get_type(py).is(c.input.bind(py)));
            assert_eq!(
                bad.value(py).to_string(),
                "invalid budget: gap must be >= 0"
            );
            let failed = solve_error(SolveError::Backend("model error".into()));
            assert!(failed.get_type(py).is(c.solver.bind(py)));
            assert!(failed.is_instance_of::<PyRuntimeError>(py));
            assert_eq!(failed.value(py).to_string(), "HiGHS: model error");
        });
    }

    #[test]
    fn replay_errors_keep_their_message_and_find_their_class() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| {
            let c = exceptions(py).unwrap();
            let row = crate::system::Error::field("t.csv", 3, "ContextTokens", "empty");
            let error = replay_error(ReplayError::Input(row));
            assert!(error.get_type(py).is(c.trace.bind(py)));
            assert_eq!(
                error.value(py).to_string(),
                "t.csv:3: field `ContextTokens`: empty"
            );
            let config = replay_error(ReplayError::config("threads", "none"));
            assert!(config.get_type(py).is(c.input.bind(py)));
            let write = replay_error(ReplayError::write("/x", "denied"));
            assert!(write.is_instance_of::<PyOSError>(py));
        });
    }

    #[test]
    fn panic_messages_are_kept() {
        pyo3::prepare_freethreaded_python();
        Python::with_gil(|py| {
            let err = panic_error("solver `x`", Box::new("index out of bounds"));
            assert!(err.get_type(py).is(exceptions(py).unwrap().solver.bind(py)));
            assert_eq!(
                err.value(py).to_string(),
                "solver `x` panicked: index out of bounds"
            );
        });
    }
}
