//! What a problem supplies to be replayed over a trace: how an epoch becomes an instance, which
//! named solvers answer it, what each request's record holds and what is summarised from it.
//!
//! The pipeline ([`replay`](super::replay)), the files and the per-epoch statistics are shared
//! by every problem; a problem adds only this trait (every registered problem has it through
//! its [`Replays`](crate::problems::formulation::Replays)).

use super::Error;
use super::epochs::EpochInfo;
use super::files::RunInfo;
use crate::solve::{Budget, Outcome, Problem, SolveError, Solver};
use crate::system::trace::Epoch;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A solver of `P`, boxed.
pub type ReplaySolver<P> = Box<dyn Solver<P> + Send + Sync>;

/// A problem that can be replayed epoch by epoch.
pub trait ReplayProblem: Sync {
    /// What one epoch becomes (its instance and what the records need besides), shared by the
    /// solver runs on that epoch.
    type Epoch: Send + Sync;
    /// The instance the solvers answer.
    type Problem: Problem;
    /// One row of `requests.csv`: what one request got from one solver.
    type Record: RequestRecord;
    /// Per-solver statistics of the records, for `summary.json` and the problem's plots.
    type Stats: RecordStats<Self::Record>;

    /// The problem's name (`split`), as `--problem` takes it and `run.json` records it.
    fn name(&self) -> &'static str;

    /// The solver called `name`, if the problem has one.
    fn solver(&self, name: &str) -> Option<ReplaySolver<Self::Problem>>;

    /// The solver names to list when an unknown one is given.
    fn solver_names(&self) -> Vec<&'static str>;

    /// The solver whose objective the others' gaps are measured against, if any.
    fn exact_solver(&self) -> Option<&'static str>;

    /// What `epoch` becomes; `seed` is the epoch's own seed (see
    /// [`instance_seed`](super::instance_seed)).
    fn build_epoch(&self, epoch: &Epoch, seed: u64) -> Result<Self::Epoch, Error>;

    /// The instance of an epoch.
    fn problem<'a>(&self, epoch: &'a Self::Epoch) -> &'a Self::Problem;

    /// One record per request of the epoch: what `decision` gives it, or that it was not
    /// planned (`None`).
    fn epoch_records(
        &self,
        epoch: &Self::Epoch,
        info: &EpochInfo,
        solver: &str,
        decision: Option<&<Self::Problem as Problem>::Decision>,
    ) -> Vec<Self::Record>;

    /// Whether `solver` names a solver of this problem.
    fn knows(&self, solver: &str) -> bool {
        self.solver(solver).is_some()
    }

    /// Solves the epoch with the solver called `solver` and turns its answer into records.
    /// Never fails: a solver error becomes a run with status `error` and its message, a
    /// decision that fails the re-check one with status `invalid`.
    fn solve(
        &self,
        epoch: &Self::Epoch,
        info: &EpochInfo,
        solver: &str,
        budget: &Budget,
    ) -> SolverRun<Self::Record> {
        let Some(chosen) = self.solver(solver) else {
            return self.failed(epoch, info, solver, format!("unknown solver `{solver}`"));
        };
        let unplanned = || self.epoch_records(epoch, info, solver, None);
        match chosen.solve(self.problem(epoch), budget) {
            Err(error) => SolverRun::error(&error, unplanned()),
            Ok(outcome) => match outcome.valid_decision() {
                Some(decision) => {
                    let records = self.epoch_records(epoch, info, solver, Some(decision));
                    SolverRun::from_outcome(&outcome, records)
                }
                None => SolverRun::from_outcome(&outcome, unplanned()),
            },
        }
    }

    /// The run of a solver that could not answer (it panicked, or is unknown): status `error`
    /// with `reason`, and a record per request saying it was not planned.
    fn failed(
        &self,
        epoch: &Self::Epoch,
        info: &EpochInfo,
        solver: &str,
        reason: String,
    ) -> SolverRun<Self::Record> {
        SolverRun::failure(reason, self.epoch_records(epoch, info, solver, None))
    }
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
