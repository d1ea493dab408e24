//! What every layer can ask of a registered problem, whatever it is.

use super::{AnyEnv, AnyInstance, AnyRecords, AnyVecEnv, RegistryError};
use crate::problems::formulation::{Milp, SettingInfo, SolverInfo};
use crate::replay::{Progress, Redrawn, ReplayTotals, RunInfo, Shard};
use crate::solve::Budget;
use crate::system::{DataPath, Scenario};
use crate::text::Table;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

/// A plan of one outcome: what `plan --json` prints and what `plan` prints.
#[derive(Debug, Clone)]
pub struct PlanOutput {
    /// The report as pretty JSON text (its fields in the report's order).
    pub json: String,
    /// The report as text.
    pub text: String,
    /// Whether a decision was found or the instance was proven infeasible (else the solver
    /// found nothing without a proof: `plan` exits with status 3).
    pub answered: bool,
    /// Why the decision cannot be trusted, when its re-check failed.
    pub failed_check: Option<String>,
}

/// What a trace replay takes besides its problem, scenario and settings.
#[derive(Debug, Clone, Default)]
pub struct TraceRequest {
    /// The scenario file as given, for `run.json`.
    pub scenario_file: String,
    /// The trace (default: the problem's, from the scenario).
    pub trace: Option<DataPath>,
    /// The epoch rule (`1s`, `200`; default: the problem's, from the scenario).
    pub epoch: Option<String>,
    /// The seed (default: the problem's, from the scenario).
    pub seed: Option<u64>,
    /// The solvers (default: the problem's default ones).
    pub solvers: Option<Vec<String>>,
    /// Worker threads (0: one).
    pub threads: usize,
    /// Epochs held at once (0: 8 × threads).
    pub in_flight: usize,
    /// Wall-clock limit of each solve.
    pub time_limit: Option<Duration>,
    /// Relative optimality gap of exact solvers.
    pub gap: f64,
    /// Skip malformed trace rows (counted) instead of stopping at the first.
    pub skip_bad_rows: bool,
    /// Stop after this many epochs.
    pub max_epochs: Option<u64>,
    /// Solve only this shard's epochs.
    pub shard: Option<Shard>,
    /// The trace's size and the bytes read of it so far, for a progress bar.
    pub meter: Option<Arc<TraceMeter>>,
    /// Set to stop the run after the epoch being delivered (Ctrl-C in Python, say).
    pub stop: Option<Arc<AtomicBool>>,
}

/// How much of a trace a replay has read.
#[derive(Debug, Default)]
pub struct TraceMeter {
    /// Bytes read so far.
    pub read: AtomicU64,
    /// The size of the trace in bytes (set when the replay opens it).
    pub total: AtomicU64,
}

/// A finished replay.
pub struct Replayed {
    /// What was run and how far it got (`run.json`).
    pub info: RunInfo,
    /// The totals.
    pub totals: ReplayTotals,
    /// The size of the trace in bytes.
    pub trace_bytes: u64,
    /// The records, when they were kept in memory.
    pub records: Option<Box<dyn AnyRecords>>,
}

/// A registered problem, as every layer sees it (implemented for every formulation by
/// [`super::Entry`]).
pub trait Registered: Send + Sync {
    /// The name (`split`).
    fn name(&self) -> &'static str;

    /// What it decides, in one line.
    fn about(&self) -> &'static str;

    /// The scenario section it reads, if any.
    fn section(&self) -> Option<&'static str>;

    /// Its solvers.
    fn solvers(&self) -> &'static [SolverInfo];

    /// Its settings.
    fn settings(&self) -> &'static [SettingInfo];

    /// Its Gymnasium id after `mei4llm/`.
    fn env_id(&self) -> &'static str;

    /// The file names of the plots of a replayed trace (besides `solve_time.svg`).
    fn plots(&self) -> &'static [&'static str];

    /// What an epoch of a replayed trace is, for `solve-trace --help`.
    fn replay_help(&self) -> &'static str;

    /// The bundled scenario its environment uses by default.
    fn default_scenario(&self) -> &'static str;

    /// Reads the problem's section of `scenario` (an error names what is wrong with it).
    fn check_section(&self, scenario: &Arc<Scenario>) -> Result<(), RegistryError>;

    /// The scenario's instance planned by solver `solver` within `budget`.
    fn plan(
        &self,
        scenario: Arc<Scenario>,
        settings: &Value,
        solver: &str,
        budget: &Budget,
    ) -> Result<PlanOutput, RegistryError>;

    /// The exact solver's MILP for the scenario's instance.
    fn export(&self, scenario: Arc<Scenario>, settings: &Value) -> Result<Milp, RegistryError>;

    /// The scenario's instance.
    fn instance(
        &self,
        scenario: Arc<Scenario>,
        settings: &Value,
    ) -> Result<Arc<dyn AnyInstance>, RegistryError>;

    /// The instance `text` (an instance's `save`) describes, on `scenario`.
    fn restore(
        &self,
        scenario: Arc<Scenario>,
        text: &str,
    ) -> Result<Arc<dyn AnyInstance>, RegistryError>;

    /// Replays a trace: into the run directory `out` when given, and into memory when `keep`.
    fn replay(
        &self,
        scenario: Arc<Scenario>,
        settings: &Value,
        request: &TraceRequest,
        out: Option<&Path>,
        keep: bool,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Replayed, RegistryError>;

    /// Rebuilds the summary and plots of the run directory `dir` (whose `run.json` is `run`).
    fn redraw(&self, dir: &Path, run: &RunInfo) -> Result<Redrawn, RegistryError>;

    /// The table of a run's `summary.json` (its `solvers`) and `timings.json`.
    fn summary_table(&self, solvers: &[Value], timings: &Value) -> Table;

    /// The records of a run from their compact form.
    fn records_from_bytes(&self, bytes: &[u8]) -> Result<Box<dyn AnyRecords>, RegistryError>;

    /// The environment on `scenario` with the keyword arguments `args`.
    fn env(&self, scenario: Arc<Scenario>, args: &Value) -> Result<Box<dyn AnyEnv>, RegistryError>;

    /// `n` environments stepped together.
    fn vec_env(
        &self,
        scenario: Arc<Scenario>,
        args: &Value,
        n: usize,
    ) -> Result<Box<dyn AnyVecEnv>, RegistryError>;
}
