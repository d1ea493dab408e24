//! The one extension point for a problem.
//!
//! A [`Formulation`] says what a problem is called, which solvers it has, which settings it
//! takes, how its instance is built from a scenario, and what its plan looks like. [`Replays`]
//! adds how a trace epoch becomes an instance and what each request's row holds; [`Plays`] adds
//! the environment that builds its decision one step at a time. A problem that implements the
//! three is registered with one line of [`registry`](super::registry), and from then on the
//! CLI (`plan`, `solve-trace`, `export`, `report`), the replay, the Python module and the
//! Gymnasium environments serve it through their generic paths.
//!
//! What every problem's `evaluate` and plan report are written with is here too: the
//! [`Violations`] an `evaluate` collects, the [`Check`] of a decision a report shows, and the
//! [`PlanText`] and [`Solved`] of a report.

mod check;
mod plan;

pub use check::{Check, Violations, first_violation, judged};
pub use plan::{PlanReport, PlanText, Solved};

use super::Error;
use super::arrays::Arrays;
use crate::env::policy::{PolicySolver, Walked};
use crate::env::{Env, EnvError, OptimumReport};
use crate::replay::{EpochInfo, RecordStats, RequestRecord, TraceSource, epoch_rule, run_seed};
use crate::solve::milp::{RecordedModel, record};
use crate::solve::{Budget, Outcome, Problem, Solver};
use crate::system::trace::{Epoch, EpochRule};
use crate::system::{DataPath, Scenario};
use crate::text::Table;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::Arc;

/// One solver of a formulation, as its table lists it (and `--help` shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SolverInfo {
    /// Name on the command line and in Python (`exact`, `greedy`).
    pub name: &'static str,
    /// Whether it proves a bound on the optimum (its `optimal` is certified).
    pub exact: bool,
    /// Whether `solve-trace` runs it when no solvers are named (a brute force is not).
    pub default: bool,
    /// One line for `--help`.
    pub help: &'static str,
}

/// The names of `solvers`, comma separated.
pub fn solver_names(solvers: &[SolverInfo]) -> String {
    solvers
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of the solvers `solve-trace` runs by default (all but the test oracles).
pub fn default_solvers(solvers: &[SolverInfo]) -> Vec<&'static str> {
    solvers
        .iter()
        .filter(|s| s.default)
        .map(|s| s.name)
        .collect()
}

/// One setting of a formulation: its key (a `--flag` on the command line, with `-` for `_`,
/// and a keyword argument in Python) and a line for `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingInfo {
    /// The key (`objective`, `ttft_slo_s`).
    pub key: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
}

/// A solver of the instances of formulation `F`, boxed.
pub type BoxedSolver<F> = Box<dyn Solver<<F as Formulation>::Instance> + Send + Sync>;

/// The decision of formulation `F`.
pub type DecisionOf<F> = <<F as Formulation>::Instance as Problem>::Decision;

/// A problem registered with the library: what it is called, its solvers and settings, and its
/// instance and plan.
///
/// A formulation is a value: the scenario it is studied on and its settings, checked once by
/// [`Formulation::new`]; building instances from it cannot then fail on a setting.
pub trait Formulation: Sized + Send + Sync + 'static {
    /// The problem's name: `--problem split`, `run.json`, `mei4llm.solve(…)`.
    const NAME: &'static str;

    /// What it decides, in one line (for `--help`).
    const ABOUT: &'static str;

    /// The scenario section it reads (`[caching]`), if any.
    const SECTION: Option<&'static str>;

    /// Its solvers, exact first, in the order `solve-trace` runs them by default.
    const SOLVERS: &'static [SolverInfo];

    /// Its settings; every key is a field of [`Formulation::Settings`].
    const SETTINGS: &'static [SettingInfo];

    /// The key whose presence marks a decision written in its serde form (`assignments`), as
    /// opposed to its [`Arrays`].
    const DECISION_KEY: &'static str;

    /// An instance of the problem.
    type Instance: Problem<Decision: Clone + Serialize + DeserializeOwned + Send + Sync>
        + Send
        + Sync
        + 'static;

    /// The settings: the problem's flags on the command line and its keyword arguments in
    /// Python, read with serde (`deny_unknown_fields`, so that a setting of another problem is
    /// refused by name).
    type Settings: Serialize + DeserializeOwned + Default + Clone + Debug + Send + Sync;

    /// What `plan` prints and `plan --json` writes of one outcome.
    type Report: PlanReport;

    /// One row of a decision (per request, per server, …) for Python's `outcome.plan`.
    type Row: Serialize;

    /// The solver called `name` (any of [`Formulation::SOLVERS`]), with default settings.
    fn solver(name: &str) -> Option<BoxedSolver<Self>>;

    /// The formulation on `scenario` with `settings`; an error when the scenario lacks what the
    /// problem needs (its section) or a setting is out of range.
    fn new(scenario: Arc<Scenario>, settings: Self::Settings) -> Result<Self, Error>;

    /// The scenario.
    fn scenario(&self) -> &Arc<Scenario>;

    /// The settings, as `run.json` records them.
    fn settings(&self) -> serde_json::Value;

    /// The instance `plan` answers: the scenario's own (the first epoch of its workload, its
    /// section's requests, …).
    fn instance(&self) -> Result<Self::Instance, Error>;

    /// The size of `instance` in its own unit (requests, users), as Python's `len` gives it.
    fn size(instance: &Self::Instance) -> usize;

    /// What `instance` holds, by name (`requests`, `servers`, …), for Python's attributes and
    /// `repr`.
    fn facts(instance: &Self::Instance) -> Vec<(&'static str, serde_json::Value)> {
        vec![("size", Self::size(instance).into())]
    }

    /// `instance` as JSON text that [`Formulation::restore`] reads back, on the scenario it was
    /// built from, to an instance that solves and evaluates the same (how Python pickles it).
    fn save(instance: &Self::Instance) -> Result<String, Error>;

    /// The instance [`Formulation::save`] wrote, on `scenario`; an error names what in `text`
    /// does not fit the scenario.
    fn restore(scenario: &Arc<Scenario>, text: &str) -> Result<Self::Instance, Error>;

    /// The report of `outcome` on `instance`.
    fn report(
        &self,
        instance: &Self::Instance,
        outcome: &Outcome<DecisionOf<Self>>,
    ) -> Self::Report;

    /// The rows of `decision`.
    fn rows(instance: &Self::Instance, decision: &DecisionOf<Self>) -> Vec<Self::Row>;

    /// The decision as numeric arrays (what Python's `decision_arrays` returns).
    fn arrays(instance: &Self::Instance, decision: &DecisionOf<Self>) -> Arrays;

    /// The decision the arrays describe; an error names the array and entry that is wrong.
    fn from_arrays(instance: &Self::Instance, arrays: &Arrays) -> Result<DecisionOf<Self>, String>;

    /// The MILP the exact solver builds for `instance` and a sentence saying what it is, for
    /// `export`; an error saying why there is none.
    fn milp(instance: &Self::Instance) -> Result<Milp, Error> {
        let _ = instance;
        Err(Error::Instance(format!(
            "the `{}` problem has no MILP to export",
            Self::NAME
        )))
    }

    /// The information of solver `name`, if it is one.
    fn solver_info(name: &str) -> Option<&'static SolverInfo> {
        Self::SOLVERS.iter().find(|s| s.name == name)
    }

    /// The solver whose objective the others' gaps are measured against.
    fn exact_solver() -> Option<&'static str> {
        Self::SOLVERS.iter().find(|s| s.exact).map(|s| s.name)
    }
}

/// A MILP to export: the model and what it is, in a sentence.
pub struct Milp {
    /// The model, as the exact solver built it.
    pub model: RecordedModel,
    /// What it is (`the exact solver's placement MILP for …`).
    pub what: String,
}

impl Milp {
    /// The first MILP `solver` builds when it solves `instance`, as `what` says.
    pub fn first_of<P: Problem>(
        solver: &impl Solver<P>,
        instance: &P,
        what: String,
    ) -> Result<Milp, Error> {
        let (outcome, models) = record(|| solver.solve(instance, &Budget::default()));
        outcome.map_err(|e| Error::Instance(e.to_string()))?;
        let model = models.into_iter().next().ok_or_else(|| {
            Error::Instance("the exact solver built no MILP for this instance".into())
        })?;
        Ok(Milp { model, what })
    }
}

/// A formulation whose instances come from the epochs of a request trace.
pub trait Replays: Formulation {
    /// What an epoch of the trace is and what `requests.csv` and the summary hold, for
    /// `solve-trace --help` (a paragraph, lines of at most 90 characters).
    const REPLAY_HELP: &'static str;

    /// What one epoch becomes: its instance, and what the records need besides (the users and
    /// models drawn for its requests, say).
    type Epoch: Send + Sync;

    /// One row of `requests.csv`: what one request got from one solver.
    type Record: RequestRecord + Clone + Sync;

    /// The statistics of the records, for `summary.json` and the plots.
    type Stats: RecordStats<Self::Record>;

    /// The trace, epoch rule and seed of a run, from what was given and the scenario: by
    /// default the given ones, else the scenario's `[workload]` trace, epoch and seed.
    fn defaults(
        &self,
        trace: Option<&DataPath>,
        rule: Option<&str>,
        seed: Option<u64>,
    ) -> Result<TraceDefaults, Error> {
        let scenario = self.scenario();
        Ok(TraceDefaults {
            source: TraceSource::of(scenario, trace),
            rule: epoch_rule(scenario, rule)?,
            seed: run_seed(scenario, seed),
        })
    }

    /// What `epoch` becomes; `seed` is the epoch's own seed.
    fn epoch(&self, epoch: &Epoch, seed: u64) -> Result<Self::Epoch, Error>;

    /// The instance the solvers answer for an epoch.
    fn instance_of(epoch: &Self::Epoch) -> &Self::Instance;

    /// One record per request of the epoch: what `decision` gives it, or that it was not
    /// planned (`None`: the solver found no decision, failed, or broke a constraint).
    fn records(
        &self,
        epoch: &Self::Epoch,
        info: &EpochInfo,
        solver: &str,
        decision: Option<&DecisionOf<Self>>,
    ) -> Vec<Self::Record>;

    /// The table `solve-trace` and `report` print from a run's `summary.json` (its
    /// `solvers`) and `timings.json`: one row per solver.
    fn summary_table(solvers: &[serde_json::Value], timings: &serde_json::Value) -> Table;
}

/// The trace, epoch rule and seed of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceDefaults {
    /// The trace and the time before which its requests are left out; `None` when neither
    /// the caller nor the scenario names one.
    pub source: Option<TraceSource>,
    /// The epoch rule and its text for `run.json`; `None` when neither names one.
    pub rule: Option<(EpochRule, String)>,
    /// The seed.
    pub seed: u64,
}

/// A policy: from an observation and its action mask to an action, or why it cannot answer.
pub type Policy = Arc<dyn Fn(&[f32], &[bool]) -> Result<usize, String> + Send + Sync>;

/// A formulation with an environment that builds its decision one step at a time.
pub trait Plays: Formulation {
    /// The Gymnasium id after `mei4llm/` (`Split-v0`).
    const ENV_ID: &'static str;

    /// The bundled scenario `gymnasium.make(id)` uses without a `scenario`.
    const DEFAULT_SCENARIO: &'static str;

    /// The environment.
    type Env: Env<Report: EnvReport<Self>> + Clone + Send + Sync + 'static;

    /// Its keyword arguments in Python, read with serde (`deny_unknown_fields`).
    type EnvArgs: DeserializeOwned + Default + Debug;

    /// The environment on `scenario`.
    fn env(scenario: Arc<Scenario>, args: Self::EnvArgs) -> Result<Self::Env, EnvError>;

    /// `policy` as a solver that walks an instance as the environment presents it, when the
    /// problem's decision can be built that way.
    fn policy(name: &str, policy: Policy) -> Option<BoxedSolver<Self>> {
        let _ = (name, policy);
        None
    }
}

/// `policy` as the solver called `name` that walks an instance as its environment presents it
/// (what [`Plays::policy`] returns for a problem whose instance is [`Walked`]).
pub fn walked_policy<F>(name: &str, policy: Policy) -> BoxedSolver<F>
where
    F: Formulation<Instance: Walked>,
{
    Box::new(PolicySolver::new(name, move |o: &[f32], m: &[bool]| {
        policy(o, m)
    }))
}

/// What an environment reports at the end of an epoch, as `info` entries.
pub trait EnvReport<F: Formulation>: Send {
    /// The entries, in order.
    fn info(&self) -> Vec<(&'static str, Info)>;

    /// The instance the agent just played, if the report carries it.
    fn instance(&self) -> Option<&Arc<F::Instance>>;
}

/// One `info` entry of an environment report.
#[derive(Debug, Clone, PartialEq)]
pub enum Info {
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// A number that may be missing.
    MaybeFloat(Option<f64>),
    /// A flag.
    Bool(bool),
    /// A text that may be missing.
    Text(Option<String>),
    /// Plain nested data (a decision in its serde form, say).
    Plain(serde_json::Value),
    /// A decision as arrays.
    Arrays(Arrays),
}

impl Info {
    /// `value` in its serde form (`Null` should it not serialise).
    pub fn plain<T: Serialize>(value: &T) -> Info {
        Info::Plain(serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
    }
}

/// The `optimum`, `optimum_bound`, `optimum_status`, `optimum_reason`, `optimum_time_s` and
/// `regret` entries of a reference solver's report, if there is one.
pub fn optimum_info(optimum: &Option<OptimumReport>, info: &mut Vec<(&'static str, Info)>) {
    if let Some(o) = optimum {
        info.push(("optimum", Info::MaybeFloat(o.objective)));
        info.push(("optimum_bound", Info::MaybeFloat(o.bound)));
        info.push(("optimum_status", Info::Text(Some(o.status.clone()))));
        info.push(("optimum_reason", Info::Text(o.reason.clone())));
        info.push(("optimum_time_s", Info::Float(o.time_s)));
        info.push(("regret", Info::MaybeFloat(o.regret)));
    }
}
