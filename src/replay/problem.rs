//! What a problem supplies to be replayed over a trace: how an epoch becomes an instance, how a
//! named solver answers it, what each request's record holds and what is summarised from it.
//!
//! The pipeline ([`replay`](super::replay)), the files and the per-epoch statistics are shared
//! by every problem; a problem adds only this trait (`split` implements it in
//! [`SplitReplay`](super::SplitReplay), `caching` in [`CachingReplay`](super::CachingReplay),
//! `batching` in [`BatchingReplay`](super::BatchingReplay)).

use super::Error;
use super::epochs::EpochInfo;
use super::files::RunInfo;
use crate::solve::{Budget, Outcome, Problem, Sense, SolveError, Solver};
use crate::system::trace::Epoch;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A problem that can be replayed epoch by epoch.
pub trait ReplayProblem: Sync {
    /// One epoch's instance, shared by the solver runs on that epoch.
    type Instance: Send + Sync;
    /// One row of `requests.csv`: what one request got from one solver.
    type Record: RequestRecord;
    /// Per-solver statistics of the records, for `summary.json` and the problem's plots.
    type Stats: RecordStats<Self::Record>;

    /// The problem's name (`split`), as `--problem` takes it and `run.json` records it.
    fn name(&self) -> &'static str;

    /// Whether `solver` names a solver of this problem.
    fn knows(&self, solver: &str) -> bool;

    /// The solver names to list when an unknown one is given.
    fn solver_names(&self) -> Vec<&'static str>;

    /// The solver whose objective the others' gaps are measured against, if any.
    fn exact_solver(&self) -> Option<&'static str>;

    /// Whether the objective is minimised (`split`: latency, energy) or maximised (`caching`:
    /// hit ratio), so that a gap to the exact solver reads as how much worse.
    fn sense(&self) -> Sense;

    /// Builds the instance of `epoch`; `seed` is the epoch's own seed (see
    /// [`instance_seed`](super::instance_seed)).
    fn instance(&self, epoch: &Epoch, seed: u64) -> Result<Self::Instance, Error>;

    /// Solves `instance` with the solver called `solver` and turns its answer into records.
    /// Never fails: a solver error becomes a run with status `error` and its message.
    fn solve(
        &self,
        instance: &Self::Instance,
        epoch: &EpochInfo,
        solver: &str,
        budget: &Budget,
    ) -> SolverRun<Self::Record>;

    /// The run of a solver that could not answer (it panicked, or is unknown): status `error`
    /// with `reason`, and a record per request saying it was not planned.
    fn failed(
        &self,
        instance: &Self::Instance,
        epoch: &EpochInfo,
        solver: &str,
        reason: String,
    ) -> SolverRun<Self::Record>;
}

/// A row of `requests.csv`, written and read back with serde.
pub trait RequestRecord: Serialize + DeserializeOwned + Send + 'static {
    /// The column names, in the order serde writes the fields (a header is written even when
    /// no epoch is done).
    const COLUMNS: &'static [&'static str];

    /// The solver the row belongs to.
    fn solver(&self) -> &str;
}

/// Statistics of one solver's request records, accumulated in epoch order.
pub trait RecordStats<R>: Default + Send {
    /// What goes into `summary.json` for the solver.
    type Report: Serialize;

    /// The file names of the problem's plots (so that a new run removes an old run's).
    const PLOTS: &'static [&'static str];

    /// Adds one record.
    fn add(&mut self, record: &R);

    /// The statistics so far.
    fn report(&self) -> Self::Report;

    /// The problem's plots from every solver's statistics, in the order of the run's solvers:
    /// `(file name, SVG text)`; `run` holds the problem's settings (its SLOs, say).
    fn plots(solvers: &[(&str, &Self)], run: &RunInfo) -> Vec<(&'static str, String)>;
}

/// What one solver did on one epoch, with its request records.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverRun<R> {
    /// `optimal`, `feasible`, `time_limit`, `infeasible`, `not_found` (the names of
    /// [`Status`]), `invalid` (the decision fails the problem's own check) or `error` (the
    /// solver failed).
    pub status: &'static str,
    /// Why there is no (valid) decision: the infeasibility, the check that failed, the error.
    pub reason: Option<String>,
    /// The decision's objective.
    pub objective: Option<f64>,
    /// The proven bound (exact solvers).
    pub bound: Option<f64>,
    /// The relative gap between objective and bound.
    pub gap: Option<f64>,
    /// Branch-and-bound nodes.
    pub nodes: u64,
    /// Iterations of the solver's main loop.
    pub iterations: u64,
    /// One record per request of the epoch, also when there is no decision.
    pub records: Vec<R>,
}

impl<R> SolverRun<R> {
    /// The run of a solver that returned `outcome` (its decision already turned into
    /// `records`).
    pub fn from_outcome<D>(outcome: &Outcome<D>, records: Vec<R>) -> Self {
        SolverRun {
            status: outcome.status.name(),
            reason: outcome.reason().map(String::from),
            objective: outcome.objective,
            bound: outcome.bound,
            gap: outcome.gap(),
            nodes: outcome.stats.nodes,
            iterations: outcome.stats.iterations,
            records,
        }
    }

    /// The run of `chosen` on `instance`: `records` of its decision when the executor's
    /// re-check by the instance's own [`Problem::evaluate`] found nothing broken, else the
    /// `unplanned` records with status `error` (the solver failed), the outcome's (no decision)
    /// or `invalid` (the decision breaks a constraint).
    pub fn checked<P: Problem>(
        chosen: &dyn Solver<P>,
        instance: &P,
        budget: &Budget,
        unplanned: impl Fn() -> Vec<R>,
        records: impl FnOnce(&P::Decision) -> Vec<R>,
    ) -> Self {
        match chosen.solve(instance, budget) {
            Err(error) => Self::error(&error, unplanned()),
            Ok(outcome) => match outcome.valid_decision() {
                Some(decision) => Self::from_outcome(&outcome, records(decision)),
                None => Self::from_outcome(&outcome, unplanned()),
            },
        }
    }

    /// The run of a solver that failed.
    pub fn error(error: &SolveError, records: Vec<R>) -> Self {
        Self::failure(error.to_string(), records)
    }

    /// A run with status `error` and `reason`.
    pub fn failure(reason: String, records: Vec<R>) -> Self {
        SolverRun {
            status: "error",
            reason: Some(reason),
            objective: None,
            bound: None,
            gap: None,
            nodes: 0,
            iterations: 0,
            records,
        }
    }
}
