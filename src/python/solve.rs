//! `mei4llm.solve`, `mei4llm.evaluate`, `mei4llm.solvers` and the `Outcome` they return.

use super::arrays::{batching_decision, placement, split_decision};
use super::convert::to_python;
use super::error::{panic_error, solve_error, value_error};
use super::instance::{PyBatchingInstance, PyCachingInstance, PySplitInstance};
use crate::problems::{batching, caching, split};
use crate::replay::split::planned_requests;
use crate::solve::{Budget, Outcome, Problem, SolveError, Status};
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

/// An instance of any problem, as passed from Python.
#[derive(FromPyObject)]
pub(crate) enum AnyInstance<'py> {
    /// A `split` instance.
    Split(PyRef<'py, PySplitInstance>),
    /// A `caching` instance.
    Caching(PyRef<'py, PyCachingInstance>),
    /// A `batching` instance.
    Batching(PyRef<'py, PyBatchingInstance>),
}

/// What a solver returned, as plain Python values.
#[pyclass(name = "Outcome", module = "mei4llm._core", frozen, get_all)]
pub struct PyOutcome {
    /// The problem (`split`, `caching` or `batching`).
    problem: &'static str,
    /// The solver's name.
    solver: String,
    /// `optimal`, `feasible`, `time_limit`, `infeasible` or `not_found`.
    status: &'static str,
    /// Why no decision exists or none was found (infeasible / not_found), else `None`.
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
    /// Per-request rows of a `split` plan (tier, server, split, shares, latencies, energy),
    /// per-server rows of a `caching` placement, or per-request rows of a `batching` decision
    /// (server, precision, TTFT, TPOT, KV bytes, value); empty without a decision.
    plan: PyObject,
}

#[pymethods]
impl PyOutcome {
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

/// The common fields of an outcome; `decision` and `plan` already converted.
fn outcome<D>(
    problem: &'static str,
    outcome: &Outcome<D>,
    decision: PyObject,
    plan: PyObject,
) -> PyOutcome {
    let reason = match &outcome.status {
        Status::Infeasible(why) | Status::NotFound(why) => Some(why.clone()),
        _ => None,
    };
    PyOutcome {
        problem,
        solver: outcome.solver.clone(),
        status: outcome.status.name(),
        reason,
        sense: match outcome.sense {
            crate::solve::Sense::Minimise => "minimise",
            crate::solve::Sense::Maximise => "maximise",
        },
        objective: outcome.objective,
        bound: outcome.bound,
        gap: outcome.gap(),
        time_s: outcome.stats.time_s,
        nodes: outcome.stats.nodes,
        iterations: outcome.stats.iterations,
        decision,
        plan,
    }
}

/// Runs `run` with the GIL released, turning a panic into a `SolverError`.
fn detached<T: Send>(
    py: Python<'_>,
    solver: &str,
    run: impl FnOnce() -> Result<T, SolveError> + Send,
) -> PyResult<T> {
    py.allow_threads(|| catch_unwind(AssertUnwindSafe(run)))
        .map_err(|payload| panic_error(&format!("solver `{solver}`"), payload))?
        .map_err(solve_error)
}

/// The budget of the keyword arguments, validated.
fn budget(time_limit: Option<f64>, gap: f64, threads: usize, seed: u64) -> PyResult<Budget> {
    let time_limit = time_limit
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                value_error(format!(
                    "time_limit must be a non-negative number of seconds, got {s}"
                ))
            })
        })
        .transpose()?;
    let budget = Budget {
        time_limit,
        gap,
        threads,
        seed,
        ..Budget::default()
    };
    budget.validate().map_err(solve_error)?;
    Ok(budget)
}

/// Solves `instance` with the solver called `solver` (see `solvers`) within the budget; the
/// GIL is released while Rust works. `solver` may also be a callable
/// `policy(observation, mask) -> action` for a `split` or a `batching` instance (see
/// `mei4llm.envs.SplitEnv` and `mei4llm.envs.BatchingEnv`).
#[pyfunction]
#[pyo3(
    signature = (instance, solver=None, time_limit=None, gap=1e-6, threads=1, seed=0),
    text_signature = "(instance, solver='exact', time_limit=None, gap=1e-06, threads=1, seed=0)"
)]
pub(crate) fn solve(
    py: Python<'_>,
    instance: AnyInstance<'_>,
    solver: Option<&Bound<'_, PyAny>>,
    time_limit: Option<f64>,
    gap: f64,
    threads: usize,
    seed: u64,
) -> PyResult<PyOutcome> {
    let budget = budget(time_limit, gap, threads, seed)?;
    let (name, policy) = match solver {
        None => ("exact".to_string(), None),
        Some(s) => match s.extract::<String>() {
            Ok(name) => (name, None),
            Err(_) if s.is_callable() => ("policy".to_string(), Some(s)),
            Err(_) => {
                return Err(value_error(
                    "solver must be a solver name or a callable policy(observation, mask) -> action",
                ));
            }
        },
    };
    let solver = name.as_str();
    match instance {
        AnyInstance::Split(instance) => {
            let problem = Arc::clone(&instance.inner);
            let result = match policy {
                Some(policy) => {
                    super::policy::solve(&problem, policy, &budget).map_err(solve_error)?
                }
                None => {
                    let chosen = split::solver(solver).ok_or_else(|| unknown("split", solver))?;
                    detached(py, solver, || chosen.solve(&problem, &budget))?
                }
            };
            let plan = match &result.decision {
                Some(d) => to_python(py, &planned_requests(&problem, d))?,
                None => to_python(py, &Vec::<()>::new())?,
            };
            let decision = to_python(py, &result.decision)?;
            Ok(outcome("split", &result, decision, plan))
        }
        AnyInstance::Caching(_) if policy.is_some() => Err(value_error(
            "a callable policy solves split and batching instances only: a caching decision is one static placement",
        )),
        AnyInstance::Caching(instance) => {
            let chosen = caching::solver(solver).ok_or_else(|| unknown("caching", solver))?;
            let problem = Arc::clone(&instance.inner);
            let result = detached(py, solver, || chosen.solve(&problem, &budget))?;
            let rows: Vec<CachedRow> = result
                .decision
                .iter()
                .flat_map(|d| d.stored.iter().enumerate())
                .flat_map(|(server, models)| {
                    let problem = &problem;
                    models.iter().map(move |&model| CachedRow {
                        server,
                        server_name: problem.servers[server].name.clone(),
                        model,
                        model_name: problem.library.models[model].name.clone(),
                    })
                })
                .collect();
            let decision = to_python(py, &result.decision)?;
            Ok(outcome("caching", &result, decision, to_python(py, &rows)?))
        }
        AnyInstance::Batching(instance) => {
            let problem = Arc::clone(&instance.inner);
            let result = match policy {
                Some(policy) => {
                    super::policy::solve_batching(&problem, policy, &budget).map_err(solve_error)?
                }
                None => {
                    let chosen =
                        batching::solver(solver).ok_or_else(|| unknown("batching", solver))?;
                    detached(py, solver, || chosen.solve(&problem, &budget))?
                }
            };
            let rows: Vec<BatchRow> = match &result.decision {
                Some(d) => {
                    let (_, requests) = problem.metrics(d);
                    requests
                        .into_iter()
                        .enumerate()
                        .map(|(k, m)| BatchRow {
                            request: k,
                            id: problem.requests[k].id,
                            server_name: m.server.map(|j| problem.servers[j].name.clone()),
                            precision: m
                                .server
                                .and_then(|j| problem.served_precision(d, j))
                                .map(|p| p.name()),
                            server: m.server,
                            ttft_s: m.ttft_s,
                            tpot_s: m.tpot_s,
                            kv_bytes: m.kv_bytes,
                            value: m.value,
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            let decision = to_python(py, &result.decision)?;
            Ok(outcome(
                "batching",
                &result,
                decision,
                to_python(py, &rows)?,
            ))
        }
    }
}

/// One waiting request under a batching decision, a row of its plan.
#[derive(serde::Serialize)]
struct BatchRow {
    request: usize,
    id: u64,
    server: Option<usize>,
    server_name: Option<String>,
    precision: Option<&'static str>,
    ttft_s: f64,
    tpot_s: f64,
    kv_bytes: f64,
    value: f64,
}

/// One model stored on one server, a row of a caching plan.
#[derive(serde::Serialize)]
struct CachedRow {
    server: usize,
    server_name: String,
    model: usize,
    model_name: String,
}

/// A `ValueError` naming the unknown solver and listing the known ones.
fn unknown(problem: &str, name: &str) -> PyErr {
    let names = match problem {
        "split" => split::SOLVERS.join(", "),
        "batching" => batching::SOLVERS.join(", "),
        _ => caching::SOLVERS.join(", "),
    };
    value_error(format!(
        "unknown {problem} solver `{name}`; the solvers are: {names}"
    ))
}

/// Objective and every violated constraint of `decision` (the shape of `Outcome.decision`, or
/// the arrays of `decision_arrays`), computed from the instance alone: `{"objective",
/// "feasible", "violations"}`.
#[pyfunction]
pub(crate) fn evaluate(
    py: Python<'_>,
    instance: AnyInstance<'_>,
    decision: &Bound<'_, PyAny>,
) -> PyResult<PyObject> {
    let evaluation = match instance {
        AnyInstance::Split(instance) => {
            let d = split_decision(decision)?;
            catch_unwind(AssertUnwindSafe(|| instance.inner.evaluate(&d)))
        }
        AnyInstance::Caching(instance) => {
            let d = placement(decision)?;
            catch_unwind(AssertUnwindSafe(|| instance.inner.evaluate(&d)))
        }
        AnyInstance::Batching(instance) => {
            let d = batching_decision(decision)?;
            catch_unwind(AssertUnwindSafe(|| instance.inner.evaluate(&d)))
        }
    }
    .map_err(|payload| panic_error("evaluate", payload))?;
    let result = to_python(py, &evaluation)?;
    result
        .bind(py)
        .set_item("feasible", evaluation.is_feasible())?;
    Ok(result)
}

/// The solver names of `problem` (`split`, `caching` or `batching`), exact first.
#[pyfunction]
pub(crate) fn solvers(problem: &str) -> PyResult<Vec<&'static str>> {
    match problem {
        "split" => Ok(split::SOLVERS.to_vec()),
        "caching" => Ok(caching::SOLVERS.to_vec()),
        "batching" => Ok(batching::SOLVERS.to_vec()),
        other => Err(value_error(format!(
            "unknown problem `{other}`; the problems are: split, caching, batching"
        ))),
    }
}
