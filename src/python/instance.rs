//! `mei4llm.SplitInstance`, `mei4llm.CachingInstance` and `mei4llm.BatchingInstance`: problem
//! instances built from a scenario.

use super::error::{scenario_error, value_error};
use super::scenario::PyScenario;
use crate::problems::batching::BatchingInstance;
use crate::problems::caching::CachingInstance;
use crate::problems::split::{Objective, SplitInstance};
use pyo3::prelude::*;
use std::sync::Arc;

/// The `split` problem on the first epoch of a scenario's `[workload]`.
#[pyclass(name = "SplitInstance", module = "mei4llm._core", frozen)]
pub struct PySplitInstance {
    pub(crate) inner: Arc<SplitInstance>,
}

/// The objective named `name` (`latency`, `energy` or `mixed` with both weights).
pub(crate) fn objective(
    name: &str,
    per_second: Option<f64>,
    per_joule: Option<f64>,
) -> PyResult<Objective> {
    match (name, per_second, per_joule) {
        ("mixed", Some(per_second), Some(per_joule)) => Ok(Objective::Mixed {
            per_second,
            per_joule,
        }),
        ("mixed", _, _) => Err(value_error(
            "objective `mixed` needs both per_second and per_joule",
        )),
        ("latency", None, None) => Ok(Objective::Latency),
        ("energy", None, None) => Ok(Objective::Energy),
        ("latency" | "energy", _, _) => Err(value_error(
            "per_second and per_joule only apply to objective `mixed`",
        )),
        (other, _, _) => Err(value_error(format!(
            "unknown objective `{other}`; the objectives are: latency, energy, mixed"
        ))),
    }
}

#[pymethods]
impl PySplitInstance {
    /// The first epoch of `scenario`'s workload, minimising `objective`.
    #[staticmethod]
    #[pyo3(signature = (scenario, objective="latency", per_second=None, per_joule=None))]
    fn from_scenario(
        scenario: &PyScenario,
        objective: &str,
        per_second: Option<f64>,
        per_joule: Option<f64>,
    ) -> PyResult<Self> {
        let objective = self::objective(objective, per_second, per_joule)?;
        let inner = SplitInstance::from_scenario(scenario.inner.clone(), objective)
            .map_err(scenario_error)?;
        Ok(PySplitInstance {
            inner: Arc::new(inner),
        })
    }

    /// `"split"`.
    #[getter]
    fn problem(&self) -> &'static str {
        "split"
    }

    /// Number of requests.
    fn __len__(&self) -> usize {
        self.inner.requests.len()
    }

    /// The instance itself: it is immutable, so a copy may share it (lets `copy.deepcopy`
    /// copy an environment's `info`).
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The instance itself (see `__copy__`).
    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    fn __repr__(&self) -> String {
        format!(
            "SplitInstance(scenario={:?}, requests={})",
            self.inner.scenario.name,
            self.inner.requests.len()
        )
    }
}

/// The `caching` problem of a scenario's `[caching]` section.
#[pyclass(name = "CachingInstance", module = "mei4llm._core", frozen)]
pub struct PyCachingInstance {
    pub(crate) inner: Arc<CachingInstance>,
    pub(crate) scenario: String,
}

#[pymethods]
impl PyCachingInstance {
    /// The placement problem of `scenario`'s `[caching]` section.
    #[staticmethod]
    fn from_scenario(scenario: &PyScenario) -> PyResult<Self> {
        let inner = CachingInstance::from_scenario(&scenario.inner).map_err(scenario_error)?;
        Ok(PyCachingInstance {
            inner: Arc::new(inner),
            scenario: scenario.inner.name.clone(),
        })
    }

    /// `"caching"`.
    #[getter]
    fn problem(&self) -> &'static str {
        "caching"
    }

    /// Number of edge servers.
    #[getter]
    fn servers(&self) -> usize {
        self.inner.servers.len()
    }

    /// Number of models in the library.
    #[getter]
    fn models(&self) -> usize {
        self.inner.library.models.len()
    }

    /// The instance itself: it is immutable, so a copy may share it (lets `copy.deepcopy`
    /// copy an environment's `info`).
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The instance itself (see `__copy__`).
    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    fn __repr__(&self) -> String {
        format!(
            "CachingInstance(scenario={:?}, servers={}, models={}, users={})",
            self.scenario,
            self.inner.servers.len(),
            self.inner.library.models.len(),
            self.inner.users.len()
        )
    }
}

/// The `batching` problem of a scenario's `[batching]` section: one admission decision.
#[pyclass(name = "BatchingInstance", module = "mei4llm._core", frozen)]
pub struct PyBatchingInstance {
    pub(crate) inner: Arc<BatchingInstance>,
    pub(crate) scenario: String,
}

#[pymethods]
impl PyBatchingInstance {
    /// The decision of `scenario`'s `[batching]` section: its edge servers idle, the first
    /// `requests` rows of its trace waiting.
    #[staticmethod]
    fn from_scenario(scenario: &PyScenario) -> PyResult<Self> {
        let inner = BatchingInstance::from_scenario(&scenario.inner).map_err(scenario_error)?;
        Ok(PyBatchingInstance {
            inner: Arc::new(inner),
            scenario: scenario.inner.name.clone(),
        })
    }

    /// `"batching"`.
    #[getter]
    fn problem(&self) -> &'static str {
        "batching"
    }

    /// Number of edge servers.
    #[getter]
    fn servers(&self) -> usize {
        self.inner.servers.len()
    }

    /// Number of waiting requests.
    fn __len__(&self) -> usize {
        self.inner.requests.len()
    }

    /// The largest objective any decision could reach: every servable request admitted.
    #[getter]
    fn servable_value(&self) -> f64 {
        self.inner.servable_value()
    }

    /// The instance itself: it is immutable, so a copy may share it (lets `copy.deepcopy`
    /// copy an environment's `info`).
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The instance itself (see `__copy__`).
    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    fn __repr__(&self) -> String {
        format!(
            "BatchingInstance(scenario={:?}, servers={}, requests={})",
            self.scenario,
            self.inner.servers.len(),
            self.inner.requests.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_follow_the_cli_rules() {
        pyo3::prepare_freethreaded_python();
        assert_eq!(
            objective("latency", None, None).ok(),
            Some(Objective::Latency)
        );
        assert_eq!(
            objective("energy", None, None).ok(),
            Some(Objective::Energy)
        );
        assert_eq!(
            objective("mixed", Some(1.0), Some(0.05)).ok(),
            Some(Objective::Mixed {
                per_second: 1.0,
                per_joule: 0.05
            })
        );
        assert!(objective("mixed", Some(1.0), None).is_err());
        assert!(objective("latency", Some(1.0), None).is_err());
        assert!(objective("throughput", None, None).is_err());
    }
}
