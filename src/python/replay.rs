//! `mei4llm.solve_trace`: a trace replayed epoch by epoch through any registered problem with
//! several solvers side by side, with the GIL released.

use super::error::{panic_error, registry_error, value_error};
use super::instance::kwargs_json;
use super::scenario::AnyScenario;
use super::trace_run::PyTraceRun;
use crate::problems::registry::{self, RegistryError, Replayed, TraceRequest};
use crate::replay::{self, Progress, Shard};
use crate::system::DataPath;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Calls the progress callback, if any, and lets Python handle signals (Ctrl-C) after each
/// epoch; the first exception stops the run.
struct Watch {
    callback: Option<PyObject>,
    raised: Mutex<Option<PyErr>>,
    stop: Arc<AtomicBool>,
}

impl Watch {
    /// After an epoch: signals, then the callback, unless an exception was caught already;
    /// `Err` once one was, so that the replay stops.
    fn on(&self, progress: &Progress) -> bool {
        let Ok(mut raised) = self.raised.lock() else {
            return false;
        };
        if raised.is_some() {
            return false;
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
        if raised.is_some() {
            self.stop.store(true, Ordering::Relaxed);
        }
        raised.is_none()
    }

    /// The exception caught, if any.
    fn take(&self) -> Option<PyErr> {
        self.raised.lock().ok().and_then(|mut r| r.take())
    }
}

/// Replays a request trace epoch by epoch: every epoch becomes an instance of `problem` that
/// every solver of `solvers` answers, on `threads` threads with the GIL released; the
/// problem's settings are keyword arguments (`objective="energy"`, `ttft_slo_s=2.0`, …). See
/// `mei4llm.solve_trace` for the arguments.
#[pyfunction]
#[pyo3(signature = (
    scenario, trace=None, problem="split", solvers=None, epoch=None, threads=None, seed=None,
    time_limit_s=None, gap=1e-6, max_epochs=None, out=None, skip_bad_rows=false, in_flight=None,
    shard=None, progress=None, **settings
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_trace(
    py: Python<'_>,
    scenario: AnyScenario<'_>,
    trace: Option<PathBuf>,
    problem: &str,
    solvers: Option<Vec<String>>,
    epoch: Option<String>,
    threads: Option<usize>,
    seed: Option<u64>,
    time_limit_s: Option<f64>,
    gap: f64,
    max_epochs: Option<u64>,
    out: Option<PathBuf>,
    skip_bad_rows: bool,
    in_flight: Option<usize>,
    shard: Option<(u64, u64)>,
    progress: Option<PyObject>,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyTraceRun> {
    let entry = registry::find(problem).map_err(registry_error)?;
    let (scenario, scenario_file) = scenario.load()?;
    let settings = kwargs_json(settings)?;
    let time_limit = super::solve::time_limit_of(time_limit_s)?;
    let threads = threads_of(threads)?;
    let stop = Arc::new(AtomicBool::new(false));
    let request = TraceRequest {
        scenario_file,
        trace: trace
            .map(|p| DataPath::parse(&p.display().to_string()))
            .transpose()
            .map_err(super::error::trace_error)?,
        epoch,
        seed,
        solvers,
        threads,
        in_flight: in_flight.unwrap_or(0),
        time_limit,
        gap,
        skip_bad_rows,
        max_epochs,
        shard: shard.map(|(index, count)| Shard { index, count }),
        meter: None,
        stop: Some(Arc::clone(&stop)),
    };
    let watch = Watch {
        callback: progress,
        raised: Mutex::new(None),
        stop,
    };
    let result = py.allow_threads(|| {
        catch_unwind(AssertUnwindSafe(|| {
            let mut on_progress = |p: &Progress| {
                watch.on(p);
            };
            entry.replay(
                scenario,
                &settings,
                &request,
                out.as_deref(),
                true,
                &mut on_progress,
            )
        }))
    });
    if let Some(error) = watch.take() {
        return Err(error);
    }
    let replayed = result
        .map_err(|payload| panic_error("the replay", payload))?
        .map_err(registry_error)?;
    trace_run(replayed, threads)
}

/// The worker threads: as given, or every core for `None`.
fn threads_of(threads: Option<usize>) -> PyResult<usize> {
    if threads == Some(0) {
        return Err(value_error(
            "threads must be at least 1 (None: every core)".to_string(),
        ));
    }
    Ok(threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    }))
}

/// The run of a finished replay on `threads` threads; an error when the replay stopped on
/// one or did not keep its records.
fn trace_run(mut replayed: Replayed, threads: usize) -> PyResult<PyTraceRun> {
    if let Some(error) = replayed.totals.stopped_by.take() {
        return Err(registry_error(RegistryError::Replay(error)));
    }
    let records = replayed.records.ok_or_else(|| {
        registry_error(RegistryError::Replay(replay::Error::config(
            "run",
            "the records were not kept",
        )))
    })?;
    Ok(PyTraceRun::new(
        records,
        Some(threads),
        Some(replayed.totals.wall_time_s),
    ))
}
