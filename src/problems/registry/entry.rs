//! The generic path of every registered problem: one [`Entry`] per formulation, and the replay
//! of any formulation that [`Replays`].

use super::env::{Played, VecPlayed};
use super::instance::Held;
use super::records::Run;
use super::registered::{PlanOutput, Registered, Replayed, TraceMeter, TraceRequest};
use super::{AnyEnv, AnyInstance, AnyRecords, AnyVecEnv, RegistryError, settings};
use crate::env::VecEnv;
use crate::problems::Error;
use crate::problems::formulation::{
    BoxedSolver, DecisionOf, Formulation, Milp, PlanReport, Plays, Replays, SettingInfo,
    SolverInfo, solver_names,
};
use crate::replay::files::RunInputs;
use crate::replay::{
    EpochInfo, OutputDir, Progress, RecordStats, Redrawn, ReplayOptions, ReplayProblem,
    ReplaySolver, RunInfo, RunRecords, Sink, SolvedEpoch, redraw, replay,
};
use crate::solve::{Budget, Status};
use crate::system::Scenario;
use crate::system::trace::{Epoch, TraceReader};
use crate::text::Table;
use serde_json::Value;
use std::io::{BufRead, Read};
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The registration of formulation `F`: what puts it in [`super::ENTRIES`].
pub struct Entry<F>(PhantomData<fn() -> F>);

impl<F> Entry<F> {
    /// The entry.
    pub const NEW: Entry<F> = Entry(PhantomData);
}

/// The solver of `F` called `name`, or an error listing them.
pub(crate) fn solver_of<F: Formulation>(name: &str) -> Result<BoxedSolver<F>, RegistryError> {
    F::solver(name).ok_or_else(|| {
        Error::Unknown {
            kind: format!("{} solver", F::NAME),
            name: name.into(),
            known: solver_names(F::SOLVERS),
        }
        .into()
    })
}

/// Every replayable formulation is replayed by the generic pipeline.
impl<F: Replays> ReplayProblem for F {
    type Epoch = F::Epoch;
    type Problem = F::Instance;
    type Record = F::Record;
    type Stats = F::Stats;

    fn name(&self) -> &'static str {
        F::NAME
    }

    fn solver(&self, name: &str) -> Option<ReplaySolver<F::Instance>> {
        F::solver(name)
    }

    fn solver_names(&self) -> Vec<&'static str> {
        F::SOLVERS.iter().map(|s| s.name).collect()
    }

    fn exact_solver(&self) -> Option<&'static str> {
        F::exact_solver()
    }

    fn build_epoch(&self, epoch: &Epoch, seed: u64) -> Result<F::Epoch, crate::replay::Error> {
        Ok(Replays::epoch(self, epoch, seed)?)
    }

    fn problem<'a>(&self, epoch: &'a F::Epoch) -> &'a F::Instance {
        F::instance_of(epoch)
    }

    fn epoch_records(
        &self,
        epoch: &F::Epoch,
        info: &EpochInfo,
        solver: &str,
        decision: Option<&DecisionOf<F>>,
    ) -> Vec<F::Record> {
        Replays::records(self, epoch, info, solver, decision)
    }
}

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    meter: Option<Arc<TraceMeter>>,
}

impl<R> Counting<R> {
    fn count(&self, n: usize) {
        if let Some(meter) = &self.meter {
            meter.read.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.count(amount);
        self.inner.consume(amount);
    }
}

/// A sink that refuses the next epoch once `stop` is set, which stops the run there.
struct Stoppable<S> {
    inner: S,
    stop: Option<Arc<AtomicBool>>,
}

impl<R, S: Sink<R>> Sink<R> for Stoppable<S> {
    type Prepared = S::Prepared;

    fn prepare(solved: SolvedEpoch<R>) -> S::Prepared {
        S::prepare(solved)
    }

    fn epoch(&mut self, prepared: S::Prepared) -> Result<(), crate::replay::Error> {
        if self
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            return Err(crate::replay::Error::config("run", "stopped by its caller"));
        }
        self.inner.epoch(prepared)
    }
}

impl<F: Formulation + Replays + Plays> Entry<F> {
    /// The formulation on `scenario` with the settings `given`.
    fn formulation(scenario: Arc<Scenario>, given: &Value) -> Result<F, RegistryError> {
        Ok(F::new(scenario, settings::<F>(given)?)?)
    }

    /// The options, trace reader and `run.json` of a replay of `f`.
    fn prepare(
        f: &F,
        request: &TraceRequest,
    ) -> Result<(ReplayOptions, TraceReader, RunInfo, u64), RegistryError> {
        let scenario = f.scenario();
        let defaults = f.defaults(
            request.trace.as_ref(),
            request.epoch.as_deref(),
            request.seed,
        )?;
        let source = defaults.source.ok_or_else(|| {
            crate::replay::Error::config(
                "trace",
                format!(
                    "scenario `{}` has no [workload] trace: give `trace`",
                    scenario.name
                ),
            )
        })?;
        let (rule, rule_text) = defaults.rule.ok_or_else(|| {
            crate::replay::Error::config(
                "epoch",
                "the scenario's [workload] sets no window or request count: give `epoch` (e.g. 1s or 200)",
            )
        })?;
        let solvers = request.solvers.clone().unwrap_or_else(|| {
            F::SOLVERS
                .iter()
                .filter(|s| s.default)
                .map(|s| s.name.to_string())
                .collect()
        });
        let options = ReplayOptions {
            rule,
            solvers,
            threads: request.threads.max(1),
            in_flight: request.in_flight,
            seed: defaults.seed,
            time_limit: request.time_limit,
            gap: request.gap,
            skip_bad_rows: request.skip_bad_rows,
            start_s: source.start_s,
            max_epochs: request.max_epochs,
            shard: request.shard,
        };
        options.validate(f)?;
        if let Some(meter) = &request.meter {
            meter.total.store(source.path.len(), Ordering::Relaxed);
        }
        let reader = Counting {
            inner: source.path.open()?,
            meter: request.meter.clone(),
        };
        let requests = TraceReader::from_reader(source.path.to_string(), reader)?;
        let inputs = RunInputs {
            scenario_file: request.scenario_file.clone(),
            trace: source.path.to_string(),
            trace_format: requests.format().name().to_string(),
            epoch_rule: rule_text,
        };
        let info = RunInfo::new(f, f.settings(), &scenario.name, inputs, &options);
        Ok((options, requests, info, source.path.len()))
    }
}

impl<F: Formulation + Replays + Plays> Registered for Entry<F> {
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn about(&self) -> &'static str {
        F::ABOUT
    }

    fn section(&self) -> Option<&'static str> {
        F::SECTION
    }

    fn solvers(&self) -> &'static [SolverInfo] {
        F::SOLVERS
    }

    fn settings(&self) -> &'static [SettingInfo] {
        F::SETTINGS
    }

    fn env_id(&self) -> &'static str {
        F::ENV_ID
    }

    fn plots(&self) -> &'static [&'static str] {
        <F::Stats as RecordStats<F::Record>>::PLOTS
    }

    fn replay_help(&self) -> &'static str {
        F::REPLAY_HELP
    }

    fn default_scenario(&self) -> &'static str {
        F::DEFAULT_SCENARIO
    }

    fn check_section(&self, scenario: &Arc<Scenario>) -> Result<(), RegistryError> {
        F::new(Arc::clone(scenario), F::Settings::default())?;
        Ok(())
    }

    fn plan(
        &self,
        scenario: Arc<Scenario>,
        given: &Value,
        solver: &str,
        budget: &Budget,
    ) -> Result<PlanOutput, RegistryError> {
        let chosen = solver_of::<F>(solver)?;
        budget.validate()?;
        let f = Self::formulation(scenario, given)?;
        let instance = f.instance()?;
        let outcome = chosen.solve(&instance, budget)?;
        let report = f.report(&instance, &outcome);
        Ok(PlanOutput {
            json: serde_json::to_string_pretty(&report)
                .map_err(|e| Error::Instance(format!("the plan does not serialise: {e}")))?,
            text: report.text(),
            answered: outcome.decision.is_some() || matches!(outcome.status, Status::Infeasible(_)),
            failed_check: report.failed_check(),
        })
    }

    fn export(&self, scenario: Arc<Scenario>, given: &Value) -> Result<Milp, RegistryError> {
        let f = Self::formulation(scenario, given)?;
        let instance = f.instance()?;
        let mut milp = F::milp(&instance)?;
        milp.what = format!("{} of `{}`", milp.what, f.scenario().name);
        Ok(milp)
    }

    fn instance(
        &self,
        scenario: Arc<Scenario>,
        given: &Value,
    ) -> Result<Arc<dyn AnyInstance>, RegistryError> {
        let f = Self::formulation(scenario, given)?;
        let instance = f.instance()?;
        Ok(Arc::new(Held::<F>::new(Arc::new(instance), f.scenario())))
    }

    fn restore(
        &self,
        scenario: Arc<Scenario>,
        text: &str,
    ) -> Result<Arc<dyn AnyInstance>, RegistryError> {
        let instance = F::restore(&scenario, text)?;
        Ok(Arc::new(Held::<F>::new(Arc::new(instance), &scenario)))
    }

    fn replay(
        &self,
        scenario: Arc<Scenario>,
        given: &Value,
        request: &TraceRequest,
        out: Option<&Path>,
        keep: bool,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Replayed, RegistryError> {
        let f = Self::formulation(scenario, given)?;
        let (options, requests, mut info, trace_bytes) = Self::prepare(&f, request)?;
        let threads = options.threads;
        let mut kept: Vec<SolvedEpoch<F::Record>> = Vec::new();
        let stop = request.stop.clone();
        let totals = match out {
            Some(dir) => {
                let files: OutputDir<F::Record, F::Stats> = OutputDir::create(dir, &info)?;
                let mut sinks = Stoppable {
                    inner: (kept, files),
                    stop,
                };
                let totals = replay(&f, requests, &options, &mut sinks, progress)?;
                let (epochs, files) = sinks.inner;
                kept = epochs;
                info.record(&totals);
                files.finish(&info, Some(threads), Some(totals.wall_time_s))?;
                totals
            }
            None => {
                let mut sink = Stoppable { inner: kept, stop };
                let totals = replay(&f, requests, &options, &mut sink, progress)?;
                kept = sink.inner;
                totals
            }
        };
        info.record(&totals);
        let records: Option<Box<dyn AnyRecords>> = keep.then(|| {
            let records = RunRecords::new(info.clone(), &totals, std::mem::take(&mut kept));
            Box::new(Run::<F>::new(records)) as Box<dyn AnyRecords>
        });
        Ok(Replayed {
            info,
            totals,
            trace_bytes,
            records,
        })
    }

    fn redraw(&self, dir: &Path, run: &RunInfo) -> Result<Redrawn, RegistryError> {
        Ok(redraw::<F::Record, F::Stats>(dir, run)?)
    }

    fn summary_table(&self, solvers: &[Value], timings: &Value) -> Table {
        F::summary_table(solvers, timings)
    }

    fn records_from_bytes(&self, bytes: &[u8]) -> Result<Box<dyn AnyRecords>, RegistryError> {
        Ok(Box::new(Run::<F>::new(RunRecords::from_bytes(bytes)?)))
    }

    fn env(&self, scenario: Arc<Scenario>, args: &Value) -> Result<Box<dyn AnyEnv>, RegistryError> {
        let args = env_args::<F>(args)?;
        let name = scenario.name.clone();
        Ok(Box::new(Played::<F>::new(F::env(scenario, args)?, name)))
    }

    fn vec_env(
        &self,
        scenario: Arc<Scenario>,
        args: &Value,
        n: usize,
    ) -> Result<Box<dyn AnyVecEnv>, RegistryError> {
        let args = env_args::<F>(args)?;
        let name = scenario.name.clone();
        let env = F::env(scenario, args)?;
        let envs = VecEnv::new(vec![env; n])?;
        Ok(Box::new(VecPlayed::<F>::new(envs, name)))
    }
}

/// The environment arguments of `F` from the keyword arguments `args` (`null` ones left out);
/// a wrong one is named with what is wrong with it.
fn env_args<F: Plays>(args: &Value) -> Result<F::EnvArgs, RegistryError> {
    let given: serde_json::Map<String, Value> = match args {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => serde_json::Map::new(),
    };
    serde_json::from_value(Value::Object(given.clone())).map_err(|whole| {
        let alone = |key: &String, value: &Value| {
            let one = serde_json::Map::from_iter([(key.clone(), value.clone())]);
            serde_json::from_value::<F::EnvArgs>(Value::Object(one)).err()
        };
        let message = match given.iter().find_map(|(k, v)| alone(k, v).map(|e| (k, e))) {
            Some((_, e)) if e.to_string().starts_with("unknown field") => e.to_string(),
            Some((key, e)) => format!("`{key}`: {e}"),
            None => whole.to_string(),
        };
        crate::env::EnvError::Arguments {
            env: F::ENV_ID,
            message: message.replace("unknown field", "unknown option"),
        }
        .into()
    })
}
