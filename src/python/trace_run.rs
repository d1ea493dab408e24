//! `mei4llm.TraceRun`: the records of a replayed trace, of any registered problem.

use super::columns::Columns;
use super::convert::to_python;
use super::error::{registry_error, value_error};
use crate::problems::registry::{self, AnyRecords};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// A replayed trace: what was run (`run`, as `run.json`), its records as columns, and the
/// statistics of `summary.json` and `timings.json`. Picklable, so that shards can travel
/// between processes; `merge` joins the runs of a trace's shards.
#[pyclass(name = "TraceRun", module = "mei4llm._core", frozen)]
pub struct PyTraceRun {
    records: Box<dyn AnyRecords>,
    /// Threads the run used, when it ran in one process.
    threads: Option<usize>,
    /// Wall-clock seconds of the run.
    wall_time_s: Option<f64>,
}

impl PyTraceRun {
    /// A run of `records` on `threads` threads that took `wall_time_s`.
    pub(crate) fn new(
        records: Box<dyn AnyRecords>,
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
    /// (timings.csv), as `{name: array}`; built with the GIL released.
    fn columns<'py>(&self, py: Python<'py>, table: &str) -> PyResult<Bound<'py, PyDict>> {
        let (names, rows) = self.records.rows(table).map_err(registry_error)?;
        let columns = py
            .allow_threads(|| Columns::of(names, rows.iter()))
            .map_err(value_error)?;
        columns.into_python(py)
    }

    /// Per solver statistics, as `summary.json`.
    fn summary(&self, py: Python<'_>) -> PyResult<PyObject> {
        let summary = self.records.summary().map_err(registry_error)?;
        to_python(py, &summary)
    }

    /// Per solver solve times, threads and wall time, as `timings.json`.
    fn timing_summary(&self, py: Python<'_>) -> PyResult<PyObject> {
        let report = self
            .records
            .timing_report(self.threads, self.wall_time_s)
            .map_err(registry_error)?;
        to_python(py, &report)
    }

    /// Writes the run directory `out` (the files of `mei4llm solve-trace --out`).
    fn write(&self, py: Python<'_>, out: std::path::PathBuf) -> PyResult<()> {
        py.allow_threads(|| self.records.write(&out, self.threads, self.wall_time_s))
            .map_err(registry_error)
    }

    /// The whole run from the runs of a trace's shards (`shard=(i, n)` for every `i` of `n`):
    /// the epochs in order, as one run would have delivered them.
    #[staticmethod]
    #[pyo3(signature = (parts, wall_time_s=None))]
    fn merge(parts: Vec<PyRef<'_, PyTraceRun>>, wall_time_s: Option<f64>) -> PyResult<Self> {
        let Some((first, others)) = parts.split_first() else {
            return Err(value_error("no shard to merge"));
        };
        let others: Vec<&dyn AnyRecords> = others.iter().map(|p| &*p.records).collect();
        let merged = first.records.merge(&others).map_err(registry_error)?;
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
        all.extend(self.records.to_bytes().map_err(registry_error)?);
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
        let entry = registry::find(problem).map_err(|e| bad(e.to_string()))?;
        let records = entry
            .records_from_bytes(&data[split_at + 1..])
            .map_err(registry_error)?;
        Ok(PyTraceRun::new(
            records,
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
