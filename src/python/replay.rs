//! `mei4llm.solve_trace`: a trace replayed epoch by epoch through a problem with several
//! solvers side by side, with the GIL released.

use super::error::{panic_error, replay_error, trace_error, value_error};
use super::instance::objective as parse_objective;
use super::scenario::AnyScenario;
use super::trace_run::{PyTraceRun, Run};
use crate::problems::split::Objective;
use crate::replay::{
    self, BatchingReplay, CachingReplay, OutputDir, Progress, ReplayOptions, ReplayProblem,
    ReplayTotals, RunInfo, RunInputs, RunRecords, Shard, Sink, Slo, SolvedEpoch, SplitReplay,
    TraceSource, run_seed,
};
use crate::system::trace::{EpochRule, TraceReader};
use crate::system::{DataPath, Scenario};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A positive, finite number of seconds, or a `ValueError` naming `what`.
fn seconds(what: &str, value: f64) -> PyResult<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(value_error(format!(
            "{what} must be a positive, finite number of seconds, got {value}"
        )))
    }
}

/// What the `split` problem is replayed with, from the keyword arguments.
struct SplitSettings {
    objective: Objective,
    ttft_slo_s: Option<f64>,
    tpot_slo_s: Option<f64>,
    e2e_slo_s: Option<f64>,
}

impl SplitSettings {
    /// The problem over `scenario`: the SLOs given over the scenario's own.
    fn problem(&self, scenario: Arc<Scenario>) -> PyResult<SplitReplay> {
        let mut slo = Slo::for_scenario(&scenario);
        if let Some(t) = self.ttft_slo_s {
            slo.ttft_s = seconds("ttft_slo_s", t)?;
        }
        if let Some(t) = self.tpot_slo_s {
            slo.tpot_s = seconds("tpot_slo_s", t)?;
        }
        if let Some(e) = self.e2e_slo_s {
            slo.e2e_s = Some(seconds("e2e_slo_s", e)?);
        }
        SplitReplay::new(scenario, self.objective, slo).map_err(replay_error)
    }
}

/// Calls the progress callback, if any, and lets Python handle signals (Ctrl-C) after each
/// epoch; the first exception stops the run.
struct Watch {
    callback: Option<PyObject>,
    raised: Mutex<Option<PyErr>>,
}

impl Watch {
    /// After an epoch: signals, then the callback, unless an exception was caught already.
    fn on(&self, progress: &Progress) {
        let Ok(mut raised) = self.raised.lock() else {
            return;
        };
        if raised.is_some() {
            return;
        }
        let outcome = Python::with_gil(|py| -> PyResult<()> {
            py.check_signals()?;
            if let Some(callback) = &self.callback {
                let p = PyDict::new(py);
                p.set_item("epochs", progress.epochs)?;
                p.set_item("requests", progress.requests)?;
                p.set_item("elapsed_s", progress.elapsed.as_secs_f64())?;
                callback.call1(py, (p,))?;
            }
            Ok(())
        });
        *raised = outcome.err();
    }

    /// Whether an exception was caught.
    fn stopped(&self) -> bool {
        self.raised.lock().map_or(true, |r| r.is_some())
    }

    /// The exception caught, if any.
    fn take(&self) -> Option<PyErr> {
        self.raised.lock().ok().and_then(|mut r| r.take())
    }
}

/// A sink that refuses the next epoch once the watch has caught an exception.
struct Watched<'a, S> {
    inner: S,
    watch: &'a Watch,
}

impl<R, S: Sink<R>> Sink<R> for Watched<'_, S> {
    type Prepared = S::Prepared;

    fn prepare(solved: SolvedEpoch<R>) -> S::Prepared {
        S::prepare(solved)
    }

    fn epoch(&mut self, prepared: S::Prepared) -> Result<(), replay::Error> {
        if self.watch.stopped() {
            return Err(replay::Error::config("run", "stopped from Python"));
        }
        self.inner.epoch(prepared)
    }
}

/// Runs the replay into `sink`, with the GIL released and panics caught.
fn run_into<P, S>(
    py: Python<'_>,
    problem: &P,
    trace: TraceReader,
    options: &ReplayOptions,
    sink: S,
    watch: &Watch,
) -> PyResult<(S, ReplayTotals)>
where
    P: ReplayProblem,
    S: Sink<P::Record> + Send,
{
    let mut watched = Watched { inner: sink, watch };
    let result = py.allow_threads(|| {
        catch_unwind(AssertUnwindSafe(|| {
            replay::replay(problem, trace, options, &mut watched, &mut |p| watch.on(p))
        }))
    });
    if let Some(error) = watch.take() {
        return Err(error);
    }
    let totals = result
        .map_err(|payload| panic_error("the replay", payload))?
        .map_err(replay_error)?;
    Ok((watched.inner, totals))
}

/// What a replay takes from the keyword arguments, whatever its problem.
struct Setup {
    scenario: Arc<Scenario>,
    scenario_file: String,
    /// The trace, `None` when neither given nor in the scenario.
    source: Option<TraceSource>,
    /// The epoch rule and its text, `None` when neither given nor in the scenario.
    rule: Option<(EpochRule, String)>,
    solvers: Option<Vec<String>>,
    threads: usize,
    seed: u64,
    time_limit: Option<Duration>,
    gap: f64,
    max_epochs: Option<u64>,
    skip_bad_rows: bool,
    in_flight: Option<usize>,
    shard: Option<(u64, u64)>,
    out: Option<PathBuf>,
    progress: Option<PyObject>,
}

/// Replays the trace of `setup` through `problem` (whose `run.json` settings are `settings`):
/// into memory, and into the run directory `setup.out` as well when given.
fn run<P>(
    py: Python<'_>,
    problem: &P,
    settings: serde_json::Value,
    setup: Setup,
) -> PyResult<PyTraceRun>
where
    P: ReplayProblem + 'static,
    P::Record: Clone + Sync,
{
    let source = setup.source.ok_or_else(|| {
        value_error(format!(
            "give trace=...: scenario `{}` has no [workload] trace",
            setup.scenario.name
        ))
    })?;
    let (rule, rule_text) = setup.rule.ok_or_else(|| {
        value_error(
            "give epoch=... (e.g. \"1s\" or \"200\"): the scenario's [workload] sets no \
             window or request count",
        )
    })?;
    let options = ReplayOptions {
        rule,
        solvers: setup.solvers.unwrap_or_else(|| {
            problem
                .solver_names()
                .into_iter()
                .map(String::from)
                .collect()
        }),
        threads: setup.threads,
        in_flight: setup.in_flight.unwrap_or(0),
        seed: setup.seed,
        time_limit: setup.time_limit,
        gap: setup.gap,
        skip_bad_rows: setup.skip_bad_rows,
        start_s: source.start_s,
        max_epochs: setup.max_epochs,
        shard: setup.shard.map(|(index, count)| Shard { index, count }),
    };
    options.validate(problem).map_err(replay_error)?;
    let requests = TraceReader::open(&source.path).map_err(trace_error)?;
    let inputs = RunInputs {
        scenario_file: setup.scenario_file,
        trace: source.path.to_string(),
        trace_format: requests.format().name().to_string(),
        epoch_rule: rule_text,
    };
    let mut info = RunInfo::new(problem, settings, &setup.scenario.name, inputs, &options);
    let watch = Watch {
        callback: setup.progress,
        raised: Mutex::new(None),
    };
    let (epochs, mut totals) = match &setup.out {
        None => run_into(py, problem, requests, &options, Vec::new(), &watch)?,
        Some(dir) => {
            let files: OutputDir<P::Record, P::Stats> =
                OutputDir::create(dir, &info).map_err(replay_error)?;
            let sinks = (Vec::new(), files);
            let ((epochs, files), totals) =
                run_into(py, problem, requests, &options, sinks, &watch)?;
            info.record(&totals);
            files
                .finish(&info, Some(options.threads), Some(totals.wall_time_s))
                .map_err(replay_error)?;
            (epochs, totals)
        }
    };
    if let Some(error) = totals.stopped_by.take() {
        return Err(replay_error(error));
    }
    let records = RunRecords::new(info, &totals, epochs);
    Ok(PyTraceRun::new(
        Box::new(Run::<P>::new(records)),
        Some(options.threads),
        Some(totals.wall_time_s),
    ))
}

/// Replays a request trace epoch by epoch: every epoch becomes an instance of `problem` that
/// every solver of `solvers` answers, on `threads` threads with the GIL released. See
/// `mei4llm.solve_trace` for the arguments.
#[pyfunction]
#[pyo3(signature = (
    scenario, trace=None, problem="split", solvers=None, epoch=None, threads=None, seed=None,
    time_limit=None, gap=1e-6, max_epochs=None, out=None, skip_bad_rows=false,
    objective="latency", per_second=None, per_joule=None, ttft_slo_s=None, tpot_slo_s=None,
    e2e_slo_s=None, in_flight=None, shard=None, progress=None
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_trace(
    py: Python<'_>,
    scenario: AnyScenario<'_>,
    trace: Option<PathBuf>,
    problem: &str,
    solvers: Option<Vec<String>>,
    epoch: Option<&str>,
    threads: Option<usize>,
    seed: Option<u64>,
    time_limit: Option<f64>,
    gap: f64,
    max_epochs: Option<u64>,
    out: Option<PathBuf>,
    skip_bad_rows: bool,
    objective: &str,
    per_second: Option<f64>,
    per_joule: Option<f64>,
    ttft_slo_s: Option<f64>,
    tpot_slo_s: Option<f64>,
    e2e_slo_s: Option<f64>,
    in_flight: Option<usize>,
    shard: Option<(u64, u64)>,
    progress: Option<PyObject>,
) -> PyResult<PyTraceRun> {
    let (scenario, scenario_file) = scenario.load()?;
    let source = TraceSource::of(&scenario, trace.as_ref().map(DataPath::from).as_ref());
    let rule = replay::epoch_rule(&scenario, epoch).map_err(value_error)?;
    let time_limit = time_limit
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                value_error(format!(
                    "time_limit must be a non-negative number of seconds, got {s}"
                ))
            })
        })
        .transpose()?;
    let mut setup = Setup {
        scenario: Arc::clone(&scenario),
        scenario_file,
        source,
        rule,
        solvers,
        threads: threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }),
        seed: run_seed(&scenario, seed),
        time_limit,
        gap,
        max_epochs,
        skip_bad_rows,
        in_flight,
        shard,
        out,
        progress,
    };
    let split_only = |why: &str| {
        if objective != "latency"
            || [per_second, per_joule, ttft_slo_s, tpot_slo_s, e2e_slo_s]
                .iter()
                .any(Option::is_some)
        {
            return Err(value_error(format!(
                "objective, per_second, per_joule and the SLOs apply to problem=\"split\" \
                 only: {why}"
            )));
        }
        Ok(())
    };
    match problem {
        "split" => {
            let settings = SplitSettings {
                objective: parse_objective(objective, per_second, per_joule)?,
                ttft_slo_s,
                tpot_slo_s,
                e2e_slo_s,
            };
            let split = settings.problem(scenario)?;
            run(py, &split, split.settings(), setup)
        }
        "caching" => {
            split_only("caching maximises the hit ratio")?;
            let caching = CachingReplay::new(&scenario).map_err(replay_error)?;
            run(py, &caching, caching.settings(), setup)
        }
        "batching" => {
            split_only(
                "batching maximises the admitted requests (or tokens) under the SLOs of its \
                 [batching] section",
            )?;
            let batching = BatchingReplay::new(&scenario).map_err(replay_error)?;
            // The [batching] section's trace (from its start), request count and seed are the
            // defaults; a given trace is read from its first request.
            setup.source = Some(batching.trace_source(trace.as_ref().map(DataPath::from).as_ref()));
            if epoch.is_none() {
                setup.rule = Some(batching.default_rule());
            }
            setup.seed = seed.unwrap_or(batching.default_seed());
            run(py, &batching, batching.settings(), setup)
        }
        other => Err(value_error(format!(
            "problem `{other}` cannot be replayed; the problems are: split, caching, batching"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::SplitRecord;
    use std::path::Path;

    /// A sink that panics on the first epoch.
    struct Panicking;

    impl Sink<SplitRecord> for Panicking {
        type Prepared = ();

        fn prepare(_: SolvedEpoch<SplitRecord>) {}

        fn epoch(&mut self, (): ()) -> Result<(), replay::Error> {
            panic!("the sink broke")
        }
    }

    #[test]
    fn a_panic_in_the_replay_is_a_solver_error() {
        pyo3::prepare_freethreaded_python();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let scenario = Arc::new(Scenario::from_path(&root.join("scenarios/small.toml")).unwrap());
        let problem = SplitReplay::new(scenario, Objective::Latency, Slo::default()).unwrap();
        let trace =
            TraceReader::open(&root.join("datasets/traces/azure_llm_2023_conv.csv")).unwrap();
        let options = ReplayOptions {
            solvers: vec!["device-only".into()],
            max_epochs: Some(1),
            ..ReplayOptions::default()
        };
        let watch = Watch {
            callback: None,
            raised: Mutex::new(None),
        };
        Python::with_gil(|py| {
            let error = run_into(py, &problem, trace, &options, Panicking, &watch)
                .err()
                .unwrap();
            let solver = &super::super::error::exceptions(py).unwrap().solver;
            assert!(error.get_type(py).is(solver.bind(py)));
            assert_eq!(
                error.value(py).to_string(),
                "the replay panicked: the sink broke"
            );
        });
    }
}
