//! `mei4llm.Scenario`: a resolved scenario, read from a file or a dict.

use super::convert::{json_text, to_python};
use super::error::{registry_error, scenario_error};
use crate::problems::registry;
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
    /// A bundled scenario, by name.
    Bundled(String),
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
            Source::Bundled(name) => name.clone(),
            Source::Dict(_) => String::new(),
        }
    }
}

/// A scenario as passed from Python: an object, or a file or a bundled scenario's name.
#[derive(FromPyObject)]
pub(crate) enum AnyScenario<'py> {
    /// A `Scenario`.
    Object(PyRef<'py, PyScenario>),
    /// A `.toml` or `.json` file, or a bundled scenario's name (`small`).
    Path(PathBuf),
}

impl AnyScenario<'_> {
    /// The scenario as a `Scenario` object (read from its file or the bundle when given by
    /// path or name), which pickles as where it was read from.
    pub(crate) fn object(self, py: Python<'_>) -> PyResult<Py<PyScenario>> {
        match self {
            AnyScenario::Object(s) => Ok(s.into()),
            AnyScenario::Path(path) => Py::new(py, PyScenario::from_path(path)?),
        }
    }

    /// The scenario (its problem sections read by their problems), and its file or name as
    /// given (empty for one read from a dict).
    pub(crate) fn load(self) -> PyResult<(Arc<Scenario>, String)> {
        match self {
            AnyScenario::Object(s) => Ok((Arc::clone(&s.inner), s.file())),
            AnyScenario::Path(path) => {
                let given = path.display().to_string();
                let scenario = registry::open_scenario(&given).map_err(registry_error)?;
                Ok((scenario, given))
            }
        }
    }
}

#[pymethods]
impl PyScenario {
    /// Reads a `.toml` or `.json` scenario file (its relative paths resolve against the
    /// file), or else the bundled scenario of that name (`small`, `scenarios/small.toml`).
    #[staticmethod]
    fn from_path(path: PathBuf) -> PyResult<Self> {
        let given = path.display().to_string();
        let inner = registry::open_scenario(&given).map_err(registry_error)?;
        let source = if path.exists() {
            Source::File(path)
        } else {
            Source::Bundled(given)
        };
        Ok(PyScenario { inner, source })
    }

    /// The bundled scenario called `name` (`small`, `city`, `caching-small`, …; see
    /// `mei4llm.scenarios()`), from any folder.
    #[staticmethod]
    fn bundled(name: &str) -> PyResult<Self> {
        let inner = Arc::new(Scenario::bundled(name).map_err(scenario_error)?);
        registry::check_sections(&inner).map_err(registry_error)?;
        Ok(PyScenario {
            inner,
            source: Source::Bundled(name.into()),
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
            Source::Bundled(name) => {
                Ok((class.getattr("bundled")?, PyTuple::new(py, [name.clone()])?))
            }
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
