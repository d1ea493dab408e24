//! `mei4llm.Instance`: an instance of any registered problem, built from a scenario.

use super::convert::to_python;
use super::error::registry_error;
use super::scenario::{AnyScenario, PyScenario};
use crate::problems::registry::{self, AnyInstance, Registered, RegistryError};
use crate::system::Scenario;
use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use serde_json::Value;
use std::sync::Arc;

/// An instance of a registered problem (`problem` says which).
#[pyclass(name = "Instance", module = "mei4llm._core", frozen)]
pub struct PyInstance {
    pub(crate) inner: Arc<dyn AnyInstance>,
    /// The scenario it was built on, which it pickles with.
    pub(crate) scenario: Py<PyScenario>,
}

/// The keyword arguments `kwargs` as one JSON object (for settings and environment options).
pub(crate) fn kwargs_json(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<serde_json::Value> {
    match kwargs {
        None => Ok(serde_json::Value::Object(serde_json::Map::new())),
        Some(kw) => {
            let text = super::convert::json_text(kw.as_any())?;
            serde_json::from_str(&text).map_err(super::error::value_error)
        }
    }
}

/// What `make` builds with `problem`'s entry from the scenario and the keyword arguments, with
/// the GIL released; the entry and the scenario's Python object besides.
pub(crate) fn made<T: Send>(
    py: Python<'_>,
    problem: &str,
    scenario: AnyScenario<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
    make: impl FnOnce(&dyn Registered, Arc<Scenario>, &Value) -> Result<T, RegistryError> + Send,
) -> PyResult<(T, &'static dyn Registered, Py<PyScenario>)> {
    let entry = registry::find(problem).map_err(registry_error)?;
    let scenario = scenario.object(py)?;
    let resolved = Arc::clone(&scenario.get().inner);
    let args = kwargs_json(kwargs)?;
    let made = py
        .allow_threads(|| make(entry, resolved, &args))
        .map_err(registry_error)?;
    Ok((made, entry, scenario))
}

#[pymethods]
impl PyInstance {
    /// The instance of `problem` that `scenario` (a `Scenario`, a file, or a bundled
    /// scenario's name) makes with the problem's `settings` (`objective="energy"`, …).
    #[staticmethod]
    #[pyo3(signature = (problem, scenario, **settings))]
    fn from_scenario(
        py: Python<'_>,
        problem: &str,
        scenario: AnyScenario<'_>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let (inner, _, scenario) =
            made(py, problem, scenario, settings, |e, s, a| e.instance(s, a))?;
        Ok(PyInstance { inner, scenario })
    }

    /// The instance that `__reduce__` saved as `text`, of `problem` on `scenario`.
    #[staticmethod]
    fn _restore(
        py: Python<'_>,
        problem: &str,
        scenario: Py<PyScenario>,
        text: &str,
    ) -> PyResult<Self> {
        let entry = registry::find(problem).map_err(registry_error)?;
        let resolved = Arc::clone(&scenario.get().inner);
        let inner = py
            .allow_threads(|| entry.restore(resolved, text))
            .map_err(registry_error)?;
        Ok(PyInstance { inner, scenario })
    }

    /// Pickles as its problem, its scenario (which pickles as where it was read from) and the
    /// instance's own data as text.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        let text = this.inner.save().map_err(registry_error)?;
        let args = (this.inner.problem(), this.scenario.clone_ref(py), text).into_pyobject(py)?;
        Ok((slf.get_type().getattr("_restore")?, args))
    }

    /// The problem (`split`, `caching`, `batching`, …).
    #[getter]
    fn problem(&self) -> &'static str {
        self.inner.problem()
    }

    /// What the instance holds (`requests`, `servers`, `models`, …) by name.
    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<PyObject> {
        match self.inner.facts().into_iter().find(|(k, _)| *k == name) {
            Some((_, value)) => to_python(py, &value),
            None => Err(PyAttributeError::new_err(format!(
                "a {} instance has no attribute `{name}`",
                self.inner.problem()
            ))),
        }
    }

    /// Its size: requests (split, batching) or users (caching).
    fn __len__(&self) -> usize {
        self.inner.size()
    }

    /// The instance itself: it is immutable, so a copy may share it.
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The instance itself (see `__copy__`).
    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    fn __repr__(&self) -> String {
        let facts: Vec<String> = self
            .inner
            .facts()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{}Instance(scenario={:?}, {})",
            capitalised(self.inner.problem()),
            self.inner.scenario(),
            facts.join(", ")
        )
    }
}

/// `split` as `Split`.
pub(crate) fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
