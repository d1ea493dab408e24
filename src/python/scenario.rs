//! `mei4llm.Scenario`: a resolved scenario, read from a file or a dict.

use super::convert::{json_text, to_python};
use super::error::scenario_error;
use crate::system::Scenario;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::path::PathBuf;
use std::sync::Arc;

/// Where a scenario was read from, to name it in `run.json` and to read it again when it is
/// unpickled.
enum Source {
    /// A file, as given.
    File(PathBuf),
    /// A dict, as JSON text.
    Dict(String),
}

/// A resolved scenario: every name looked up, every figure in base units.
#[pyclass(name = "Scenario", module = "mei4llm._core", frozen)]
pub struct PyScenario {
    pub(crate) inner: Arc<Scenario>,
    source: Source,
}

impl PyScenario {
    /// The file the scenario was read from, as given; empty for a dict.
    pub(crate) fn file(&self) -> String {
        match &self.source {
            Source::File(path) => path.display().to_string(),
            Source::Dict(_) => String::new(),
        }
    }
}

/// A scenario as passed from Python: an object, or the path of a file.
#[derive(FromPyObject)]
pub(crate) enum AnyScenario<'py> {
    /// A `Scenario`.
    Object(PyRef<'py, PyScenario>),
    /// A `.toml` or `.json` file.
    Path(PathBuf),
}

impl AnyScenario<'_> {
    /// The scenario, and its file as given (empty for one read from a dict).
    pub(crate) fn load(self) -> PyResult<(Arc<Scenario>, String)> {
        match self {
            AnyScenario::Object(s) => Ok((Arc::clone(&s.inner), s.file())),
            AnyScenario::Path(path) => {
                let scenario = Scenario::from_path(&path).map_err(scenario_error)?;
                Ok((Arc::new(scenario), path.display().to_string()))
            }
        }
    }
}

#[pymethods]
impl PyScenario {
    /// Reads a `.toml` or `.json` scenario file; trace paths are relative to the file.
    #[staticmethod]
    fn from_path(path: PathBuf) -> PyResult<Self> {
        let inner = Scenario::from_path(&path).map_err(scenario_error)?;
        Ok(PyScenario {
            inner: Arc::new(inner),
            source: Source::File(path),
        })
    }

    /// A scenario from a dict with the layout of a scenario file (trace paths relative to the
    /// working directory).
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyDict>) -> PyResult<Self> {
        let text = json_text(data.as_any()).map_err(scenario_error)?;
        let inner = Scenario::from_json_str("<dict>", &text).map_err(scenario_error)?;
        Ok(PyScenario {
            inner: Arc::new(inner),
            source: Source::Dict(text),
        })
    }

    /// Name of the scenario.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Free-text description.
    #[getter]
    fn description(&self) -> &str {
        &self.inner.description
    }

    /// The resolved scenario (base units, names looked up) as nested dicts and lists.
    fn to_dict(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_python(py, &*self.inner)
    }

    /// Pickles as the file or dict it was read from (a file is read again where it is
    /// unpickled, so its path must be valid there).
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let class = slf.get_type();
        match &slf.get().source {
            Source::File(path) => Ok((
                class.getattr("from_path")?,
                PyTuple::new(py, [path.clone()])?,
            )),
            Source::Dict(text) => {
                let data = py.import("json")?.call_method1("loads", (text,))?;
                Ok((class.getattr("from_dict")?, PyTuple::new(py, [data])?))
            }
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Scenario(name={:?}, devices={}, edge_servers={}, models={})",
            self.inner.name,
            self.inner.devices.len(),
            self.inner.edge_servers.len(),
            self.inner.models.len()
        )
    }
}
