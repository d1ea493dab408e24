//! `mei4llm.Scenario`: a resolved scenario, read from a file or a dict.

use super::convert::{json_text, to_python};
use super::error::value_error;
use crate::system::Scenario;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::Arc;

/// A resolved scenario: every name looked up, every figure in base units.
#[pyclass(name = "Scenario", module = "mei4llm._core", frozen)]
pub struct PyScenario {
    pub(crate) inner: Arc<Scenario>,
}

#[pymethods]
impl PyScenario {
    /// Reads a `.toml` or `.json` scenario file; trace paths are relative to the file.
    #[staticmethod]
    fn from_path(path: PathBuf) -> PyResult<Self> {
        let inner = Scenario::from_path(&path).map_err(value_error)?;
        Ok(PyScenario {
            inner: Arc::new(inner),
        })
    }

    /// A scenario from a dict with the layout of a scenario file (trace paths relative to the
    /// working directory).
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyDict>) -> PyResult<Self> {
        let text = json_text(data.as_any()).map_err(value_error)?;
        let inner = Scenario::from_json_str("<dict>", &text).map_err(value_error)?;
        Ok(PyScenario {
            inner: Arc::new(inner),
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
