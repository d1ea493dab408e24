//! `mei4llm.solve`, `mei4llm.evaluate`, `mei4llm.solvers`, `mei4llm.problems` and the
//! `Outcome` a solve returns, for instances of any registered problem.

use super::arrays::given_decision;
use super::convert::to_python;
use super::error::{panic_error, registry_error, value_error};
use super::instance::PyInstance;
use super::policy::policy;
use crate::problems::registry::{self, AnyOutcome, RegistryError};
use crate::solve::{Budget, Sense, Status};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

/// What a solver returned, as plain Python values.
#[pyclass(name = "Outcome", module = "mei4llm._core", frozen, get_all)]
pub struct PyOutcome {
    /// The problem.
    problem: &'static str,
    /// The solver's name.
    solver: String,
    /// `optimal`, `feasible`, `time_limit`, `infeasible`, `not_found` or `invalid`.
    status: &'static str,
    /// Why no (valid) decision exists or was found, else `None`.
    reason: Option<String>,
    /// `minimise` or `maximise`.
    sense: &'static str,
    /// Objective of the decision, if any.
    objective: Option<f64>,
    /// Proven bound on the optimum, if the solver has one.
    bound: Option<f64>,
    /// Relative gap between objective and bound, if both exist.
    gap: Option<f64>,
    /// Wall-clock time of the solve.
    time_s: f64,
    /// Branch-and-bound nodes (0 for heuristics).
    nodes: u64,
    /// Rounds or iterations of the solver.
    iterations: u64,
    /// The decision in the shape `evaluate` accepts, or `None`.
    decision: PyObject,
    /// One row per request (split, batching) or per stored model (caching) of the decision;
    /// empty without one.
    plan: PyObject,
}

#[pymethods]
impl PyOutcome {
    /// The outcome whose fields `state` (what `__reduce__` gives) holds.
    #[staticmethod]
    fn _restore(state: &Bound<'_, PyDict>) -> PyResult<Self> {
        let field = |key: &str| -> PyResult<Bound<'_, PyAny>> {
            state
                .get_item(key)?
                .ok_or_else(|| value_error(format!("an Outcome's state has no `{key}`")))
        };
        let known = |key: &str, names: &[&'static str]| -> PyResult<&'static str> {
            let given: String = field(key)?.extract()?;
            names
                .iter()
                .find(|n| **n == given)
                .copied()
                .ok_or_else(|| value_error(format!("an Outcome's `{key}` cannot be `{given}`")))
        };
        let problems: Vec<&'static str> = registry::all().iter().map(|e| e.name()).collect();
        Ok(PyOutcome {
            problem: known("problem", &problems)?,
            solver: field("solver")?.extract()?,
            status: known("status", &Status::NAMES)?,
            reason: field("reason")?.extract()?,
            sense: known("sense", &["minimise", "maximise"])?,
            objective: field("objective")?.extract()?,
            bound: field("bound")?.extract()?,
            gap: field("gap")?.extract()?,
            time_s: field("time_s")?.extract()?,
            nodes: field("nodes")?.extract()?,
            iterations: field("iterations")?.extract()?,
            decision: field("decision")?.unbind(),
            plan: field("plan")?.unbind(),
        })
    }

    /// Pickles as its fields.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyDict>,))> {
        let py = slf.py();
        let o = slf.get();
        let state = PyDict::new(py);
        state.set_item("problem", o.problem)?;
        state.set_item("solver", &o.solver)?;
        state.set_item("status", o.status)?;
        state.set_item("reason", &o.reason)?;
        state.set_item("sense", o.sense)?;
        state.set_item("objective", o.objective)?;
        state.set_item("bound", o.bound)?;
        state.set_item("gap", o.gap)?;
        state.set_item("time_s", o.time_s)?;
        state.set_item("nodes", o.nodes)?;
        state.set_item("iterations", o.iterations)?;
        state.set_item("decision", o.decision.clone_ref(py))?;
        state.set_item("plan", o.plan.clone_ref(py))?;
        Ok((slf.get_type().getattr("_restore")?, (state,)))
    }

    fn __repr__(&self) -> String {
        let number = |v: Option<f64>| v.map_or_else(|| "None".to_string(), |v| v.to_string());
        format!(
            "Outcome(problem={:?}, solver={:?}, status={:?}, objective={}, bound={}, gap={}, time_s={})",
            self.problem,
            self.solver,
            self.status,
            number(self.objective),
            number(self.bound),
            number(self.gap),
            self.time_s
        )
    }
}

impl PyOutcome {
    /// The outcome of `o`, its decision and rows converted.
    fn of(py: Python<'_>, o: AnyOutcome) -> PyResult<PyOutcome> {
        Ok(PyOutcome {
            problem: o.problem,
            status: o.status,
            sense: match o.sense {
                Sense::Minimise => "minimise",
                Sense::Maximise => "maximise",
            },
            decision: to_python(py, &o.decision)?,
            plan: to_python(py, &o.rows)?,
            solver: o.solver,
            reason: o.reason,
            objective: o.objective,
            bound: o.bound,
            gap: o.gap,
            time_s: o.time_s,
            nodes: o.nodes,
            iterations: o.iterations,
        })
    }
}

/// The time limit of a solve, from the keyword `time_limit_s` (seconds).
pub(crate) fn time_limit_of(seconds: Option<f64>) -> PyResult<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                value_error(format!(
                    "time_limit_s must be a non-negative number of seconds, got {s}"
                ))
            })
        })
        .transpose()
}

/// The budget of the keyword arguments, validated.
fn budget(time_limit_s: Option<f64>, gap: f64, threads: usize, seed: u64) -> PyResult<Budget> {
    let time_limit = time_limit_of(time_limit_s)?;
    let budget = Budget {
        time_limit,
        gap,
        threads,
        seed,
        ..Budget::default()
    };
    budget.validate().map_err(super::error::solve_error)?;
    Ok(budget)
}

/// Runs `run` with the GIL released, turning a panic into a `SolverError`.
fn detached<T: Send>(
    py: Python<'_>,
    what: &str,
    run: impl FnOnce() -> Result<T, RegistryError> + Send,
) -> PyResult<T> {
    py.allow_threads(|| catch_unwind(AssertUnwindSafe(run)))
        .map_err(|payload| panic_error(what, payload))?
        .map_err(registry_error)
}

/// Solves `instance` with the solver called `solver` (see `solvers`) within the budget; the
/// GIL is released while Rust works. `solver` may also be a callable
/// `policy(observation, mask) -> action` for a problem whose environment builds its decision
/// one step at a time (`split`, `batching`).
#[pyfunction]
#[pyo3(
    signature = (instance, solver=None, time_limit_s=None, gap=1e-6, threads=1, seed=0),
    text_signature = "(instance, solver='exact', time_limit_s=None, gap=1e-06, threads=1, seed=0)"
)]
pub(crate) fn solve(
    py: Python<'_>,
    instance: PyRef<'_, PyInstance>,
    solver: Option<&Bound<'_, PyAny>>,
    time_limit_s: Option<f64>,
    gap: f64,
    threads: usize,
    seed: u64,
) -> PyResult<PyOutcome> {
    let budget = budget(time_limit_s, gap, threads, seed)?;
    let inner = &instance.inner;
    let outcome = match solver {
        None => detached(py, "solver `exact`", || inner.solve("exact", &budget))?,
        Some(s) => match s.extract::<String>() {
            Ok(name) => detached(py, &format!("solver `{name}`"), || {
                inner.solve(&name, &budget)
            })?,
            Err(_) if s.is_callable() => catch_unwind(AssertUnwindSafe(|| {
                inner.solve_policy(&policy_name(s), policy(s), &budget)
            }))
            .map_err(|payload| panic_error("the policy solver", payload))?
            .map_err(registry_error)?,
            Err(_) => {
                return Err(value_error(
                    "solver must be a solver name or a callable policy(observation, mask) -> action",
                ));
            }
        },
    };
    PyOutcome::of(py, outcome)
}

/// The policy's `__name__`, or `policy`.
fn policy_name(policy: &Bound<'_, PyAny>) -> String {
    policy
        .getattr("__name__")
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "policy".into())
}

/// Objective and every violated constraint of `decision` (the shape of `Outcome.decision`, or
/// the arrays of `decision_arrays`), computed from the instance alone: `{"objective",
/// "feasible", "violations"}`.
#[pyfunction]
pub(crate) fn evaluate(
    py: Python<'_>,
    instance: PyRef<'_, PyInstance>,
    decision: &Bound<'_, PyAny>,
) -> PyResult<PyObject> {
    let given = given_decision(&*instance.inner, decision)?;
    let evaluation = catch_unwind(AssertUnwindSafe(|| instance.inner.evaluate(&given)))
        .map_err(|payload| panic_error("evaluate", payload))?
        .map_err(registry_error)?;
    let result = to_python(py, &evaluation)?;
    result
        .bind(py)
        .set_item("feasible", evaluation.is_feasible())?;
    Ok(result)
}

/// The names of the solvers of `problem` that `solve_trace` runs by default, exact first.
#[pyfunction]
pub(crate) fn solvers(problem: &str) -> PyResult<Vec<&'static str>> {
    let entry = registry::find(problem).map_err(registry_error)?;
    Ok(crate::problems::formulation::default_solvers(
        entry.solvers(),
    ))
}

/// Every registered problem: its name, what it decides, its scenario section, Gymnasium id,
/// default bundled scenario, solvers and settings.
#[pyfunction]
pub(crate) fn problems(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    registry::all()
        .iter()
        .map(|e| {
            let d = PyDict::new(py);
            d.set_item("name", e.name())?;
            d.set_item("about", e.about())?;
            d.set_item("section", e.section())?;
            d.set_item("env_id", format!("mei4llm/{}", e.env_id()))?;
            d.set_item("default_scenario", e.default_scenario())?;
            d.set_item("solvers", to_python(py, &e.solvers())?)?;
            d.set_item("settings", to_python(py, &e.settings())?)?;
            Ok(d)
        })
        .collect()
}
