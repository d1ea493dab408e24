//! `mei4llm.TraceRun`: the records of a replayed trace, of any problem that can be replayed.

use super::columns::Columns;
use super::convert::to_python;
use super::error::{replay_error, value_error};
use crate::replay::{
    BatchingReplay, CachingReplay, EpochRecord, Error, ReplayProblem, RequestRecord, RunInfo,
    RunRecords, SplitReplay, TimingRecord, TimingReport,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::any::Any;
use std::marker::PhantomData;
use std::path::Path;

/// A finished run of problem `P`: its records, with the record and statistics types of `P`.
pub(crate) struct Run<P: ReplayProblem> {
    records: RunRecords<P::Record>,
    problem: PhantomData<fn() -> P>,
}

impl<P: ReplayProblem> Run<P> {
    /// The run of `records`.
    pub(crate) fn new(records: RunRecords<P::Record>) -> Self {
        Run {
            records,
            problem: PhantomData,
        }
    }
}

/// What `TraceRun` needs of a run, whatever its problem.
pub(crate) trait Records: Send + Sync {
    /// `run.json`.
    fn info(&self) -> &RunInfo;
    /// Epochs delivered.
    fn epochs(&self) -> usize;
    /// The columns of table `epochs`, `requests` or `timings`.
    fn columns<'py>(&self, py: Python<'py>, table: &str) -> PyResult<Bound<'py, PyDict>>;
    /// `summary.json`.
    fn summary(&self, py: Python<'_>) -> PyResult<PyObject>;
    /// `timings.json`.
    fn timing_report(
        &self,
        threads: Option<usize>,
        wall: Option<f64>,
    ) -> Result<TimingReport, Error>;
    /// Writes the run directory.
    fn write(&self, dir: &Path, threads: Option<usize>, wall: Option<f64>) -> Result<(), Error>;
    /// The compact form.
    fn to_bytes(&self) -> Result<Vec<u8>, Error>;
    /// The whole run from this shard's run and the others' (of the same problem).
    fn merge(&self, others: &[&dyn Records]) -> PyResult<Box<dyn Records>>;
    /// For `merge`: the concrete run.
    fn as_any(&self) -> &dyn Any;
}

/// The columns of `rows`, built with the GIL released.
fn columns<'py, 'a, T: serde::Serialize + Sync + 'a>(
    py: Python<'py>,
    names: &[&'static str],
    rows: impl Iterator<Item = &'a T> + Send,
) -> PyResult<Bound<'py, PyDict>> {
    py.allow_threads(|| Columns::of(names, rows))
        .map_err(value_error)?
        .into_python(py)
}

impl<P> Records for Run<P>
where
    P: ReplayProblem + 'static,
    P::Record: Clone + Sync,
{
    fn info(&self) -> &RunInfo {
        &self.records.run
    }

    fn epochs(&self) -> usize {
        self.records.epochs.len()
    }

    fn columns<'py>(&self, py: Python<'py>, table: &str) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.records;
        match table {
            "epochs" => columns(py, EpochRecord::COLUMNS, r.epoch_rows()),
            "requests" => columns(py, P::Record::COLUMNS, r.request_rows()),
            "timings" => columns(py, TimingRecord::COLUMNS, r.timing_rows()),
            other => Err(value_error(format!(
                "unknown table `{other}`; the tables are: epochs, requests, timings"
            ))),
        }
    }

    fn summary(&self, py: Python<'_>) -> PyResult<PyObject> {
        let summary = self.records.summary::<P::Stats>().map_err(replay_error)?;
        to_python(py, &summary)
    }

    fn timing_report(
        &self,
        threads: Option<usize>,
        wall: Option<f64>,
    ) -> Result<TimingReport, Error> {
        self.records.timing_report(threads, wall)
    }

    fn write(&self, dir: &Path, threads: Option<usize>, wall: Option<f64>) -> Result<(), Error> {
        self.records.write::<P::Stats>(dir, threads, wall)
    }

    fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        self.records.to_bytes()
    }

    fn merge(&self, others: &[&dyn Records]) -> PyResult<Box<dyn Records>> {
        let mut parts = vec![self.records.clone()];
        for other in others {
            let Some(run) = other.as_any().downcast_ref::<Run<P>>() else {
                return Err(value_error(format!(
                    "runs of problems `{}` and `{}` cannot be merged",
                    self.info().problem,
                    other.info().problem
                )));
            };
            parts.push(run.records.clone());
        }
        let merged = RunRecords::merge(parts).map_err(replay_error)?;
        Ok(Box::new(Run::<P>::new(merged)))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The run of problem `problem` from its compact form.
fn from_bytes(problem: &str, bytes: &[u8]) -> PyResult<Box<dyn Records>> {
    Ok(match problem {
        "split" => Box::new(Run::<SplitReplay>::new(
            RunRecords::from_bytes(bytes).map_err(replay_error)?,
        )),
        "caching" => Box::new(Run::<CachingReplay>::new(
            RunRecords::from_bytes(bytes).map_err(replay_error)?,
        )),
        "batching" => Box::new(Run::<BatchingReplay>::new(
            RunRecords::from_bytes(bytes).map_err(replay_error)?,
        )),
        other => {
            return Err(value_error(format!(
                "not the bytes of a TraceRun: problem `{other}`"
            )));
        }
    })
}

/// A replayed trace: what was run (`run`, as `run.json`), its records as columns, and the
/// statistics of `summary.json` and `timings.json`. Picklable, so that shards can travel
/// between processes; `merge` joins the runs of a trace's shards.
#[pyclass(name = "TraceRun", module = "mei4llm._core", frozen)]
pub struct PyTraceRun {
    records: Box<dyn Records>,
    /// Threads the run used, when it ran in one process.
    threads: Option<usize>,
    /// Wall-clock seconds of the run.
    wall_time_s: Option<f64>,
}

impl PyTraceRun {
    /// A run of `records` on `threads` threads that took `wall_time_s`.
    pub(crate) fn new(
        records: Box<dyn Records>,
        threads: Option<usize>,
        wall_time_s: Option<f64>,
    ) -> Self {
        PyTraceRun {
            records,
            threads,
            wall_time_s,
        }
    }
}

#[pymethods]
impl PyTraceRun {
    /// The problem each epoch was an instance of.
    #[getter]
    fn problem(&self) -> &str {
        &self.records.info().problem
    }

    /// What was run and how far it got, as `run.json`.
    #[getter]
    fn run(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_python(py, self.records.info())
    }

    /// Threads the run used (`None` for merged shards).
    #[getter]
    fn threads(&self) -> Option<usize> {
        self.threads
    }

    /// Wall-clock seconds of the run.
    #[getter]
    fn wall_time_s(&self) -> Option<f64> {
        self.wall_time_s
    }

    /// The columns of `epochs` (epochs.csv), `requests` (requests.csv) or `timings`
    /// (timings.csv), as `{name: array}`.
    fn columns<'py>(&self, py: Python<'py>, table: &str) -> PyResult<Bound<'py, PyDict>> {
        self.records.columns(py, table)
    }

    /// Per solver statistics, as `summary.json`.
    fn summary(&self, py: Python<'_>) -> PyResult<PyObject> {
        self.records.summary(py)
    }

    /// Per solver solve times, threads and wall time, as `timings.json`.
    fn timing_summary(&self, py: Python<'_>) -> PyResult<PyObject> {
        let report = self
            .records
            .timing_report(self.threads, self.wall_time_s)
            .map_err(replay_error)?;
        to_python(py, &report)
    }

    /// Writes the run directory `out` (the files of `mei4llm solve-trace --out`).
    fn write(&self, py: Python<'_>, out: std::path::PathBuf) -> PyResult<()> {
        py.allow_threads(|| self.records.write(&out, self.threads, self.wall_time_s))
            .map_err(replay_error)
    }

    /// The whole run from the runs of a trace's shards (`shard=(i, n)` for every `i` of `n`):
    /// the epochs in order, as one run would have delivered them.
    #[staticmethod]
    #[pyo3(signature = (parts, wall_time_s=None))]
    fn merge(parts: Vec<PyRef<'_, PyTraceRun>>, wall_time_s: Option<f64>) -> PyResult<Self> {
        let Some((first, others)) = parts.split_first() else {
            return Err(value_error("no shard to merge"));
        };
        let others: Vec<&dyn Records> = others.iter().map(|p| &*p.records).collect();
        let merged = first.records.merge(&others)?;
        Ok(PyTraceRun::new(merged, None, wall_time_s))
    }

    /// The run as bytes (see `from_bytes`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let header = serde_json::json!({
            "problem": self.problem(),
            "threads": self.threads,
            "wall_time_s": self.wall_time_s,
        });
        let mut all = header.to_string().into_bytes();
        all.push(b'\n');
        all.extend(self.records.to_bytes().map_err(replay_error)?);
        Ok(PyBytes::new(py, &all))
    }

    /// A run from `to_bytes`' bytes.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        let bad = |why: String| value_error(format!("not the bytes of a TraceRun: {why}"));
        let split_at = data
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("no header".into()))?;
        let header: serde_json::Value =
            serde_json::from_slice(&data[..split_at]).map_err(|e| bad(e.to_string()))?;
        let problem = header["problem"].as_str().unwrap_or_default();
        Ok(PyTraceRun::new(
            from_bytes(problem, &data[split_at + 1..])?,
            header["threads"].as_u64().map(|t| t as usize),
            header["wall_time_s"].as_f64(),
        ))
    }

    /// Pickles as `to_bytes`.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        Ok((from_bytes, (slf.get().to_bytes(slf.py())?,)))
    }

    /// Epochs delivered.
    fn __len__(&self) -> usize {
        self.records.epochs()
    }

    fn __repr__(&self) -> String {
        let run = self.records.info();
        format!(
            "TraceRun(problem={:?}, scenario={:?}, trace={:?}, epochs={}, solvers={:?}, complete={})",
            run.problem,
            run.scenario,
            run.trace,
            self.records.epochs(),
            run.solvers,
            if run.complete { "True" } else { "False" }
        )
    }
}
