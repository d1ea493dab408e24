//! `mei4llm._core.Env` and `VecEnv`: the environment of any registered problem, with numpy
//! observations and masks. The Gymnasium classes of `mei4llm.envs` wrap them; a step is one
//! call into Rust (one per vector step), made with the GIL released, and an `info` dict is
//! built only at the end of an epoch or after an invalid action.

use super::error::{registry_error, value_error};
use super::info::{batched, info_dict};
use super::instance::made;
use super::scenario::{AnyScenario, PyScenario};
use crate::env::{BoxSpace, EnvError};
use crate::problems::registry::{AnyEnv, AnyVecEnv, RegistryError};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `(low, high, names, n_actions)` of the observation and action spaces.
type Spaces<'py> = (
    Bound<'py, PyArray1<f32>>,
    Bound<'py, PyArray1<f32>>,
    Vec<String>,
    usize,
);

/// An observation and its action mask.
type Observed<'py> = (Bound<'py, PyArray1<f32>>, Bound<'py, PyArray1<i8>>);

/// `(observation, reward, terminated, truncated, action_mask, info)`.
type Stepped<'py> = (
    Bound<'py, PyArray1<f32>>,
    f64,
    bool,
    bool,
    Bound<'py, PyArray1<i8>>,
    Option<Bound<'py, PyDict>>,
);

/// A mask as `int8` (the dtype `gymnasium.spaces.Discrete.sample(mask=...)` takes).
fn mask_array<'py>(py: Python<'py>, mask: &[bool]) -> Bound<'py, PyArray1<i8>> {
    PyArray1::from_vec(py, mask.iter().map(|&m| i8::from(m)).collect())
}

/// The spaces of `space` and `actions`.
fn spaces<'py>(py: Python<'py>, space: &BoxSpace, actions: usize) -> Spaces<'py> {
    (
        PyArray1::from_slice(py, &space.low),
        PyArray1::from_slice(py, &space.high),
        space.names.clone(),
        actions,
    )
}

/// An action from Python, checked against the action space.
fn action(action: i64, n: usize) -> PyResult<usize> {
    usize::try_from(action).map_err(|_| {
        value_error(format!(
            "action {action} is outside the action space Discrete({n})"
        ))
    })
}

fn env_error(error: EnvError) -> PyErr {
    registry_error(RegistryError::Env(error))
}

/// The environment of a registered problem (see `mei4llm.envs`).
#[pyclass(name = "Env", module = "mei4llm._core")]
pub struct PyEnv {
    inner: Box<dyn AnyEnv>,
    problem: &'static str,
    scenario: Py<PyScenario>,
}

#[pymethods]
impl PyEnv {
    /// The environment of `problem` on `scenario` (a `Scenario`, a file, or a bundled
    /// scenario's name) with the problem's keyword arguments; bad options are a `ValueError`.
    #[new]
    #[pyo3(signature = (problem, scenario, **kwargs))]
    fn new(
        py: Python<'_>,
        problem: &str,
        scenario: AnyScenario<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let (inner, entry, scenario) = made(py, problem, scenario, kwargs, |e, s, a| e.env(s, a))?;
        Ok(PyEnv {
            inner,
            problem: entry.name(),
            scenario,
        })
    }

    /// The problem.
    #[getter]
    fn problem(&self) -> &'static str {
        self.problem
    }

    /// `(low, high, names, n_actions)` of the observation and action spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        spaces(py, self.inner.observation_space(), self.inner.actions())
    }

    /// Starts an episode; returns `(observation, action_mask)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Observed<'py>> {
        let inner = &mut self.inner;
        py.allow_threads(|| inner.reset(seed)).map_err(env_error)?;
        Ok((
            PyArray1::from_slice(py, self.inner.observation()),
            mask_array(py, self.inner.action_mask()),
        ))
    }

    /// Takes `action`; returns `(observation, reward, terminated, truncated, action_mask,
    /// info)` with `info` a dict at an epoch end or after an invalid action, else `None`.
    fn step<'py>(&mut self, py: Python<'py>, action: i64) -> PyResult<Stepped<'py>> {
        let a = self::action(action, self.inner.actions())?;
        let inner = &mut self.inner;
        let step = py.allow_threads(|| inner.step(a)).map_err(env_error)?;
        let info = if step.report.is_some() || step.invalid_action {
            let info = match &step.report {
                Some(report) => info_dict(py, report, &self.scenario)?,
                None => PyDict::new(py),
            };
            if step.invalid_action {
                info.set_item("invalid_action", true)?;
            }
            Some(info)
        } else {
            None
        };
        Ok((
            PyArray1::from_slice(py, self.inner.observation()),
            step.reward,
            step.terminated,
            step.truncated,
            mask_array(py, self.inner.action_mask()),
            info,
        ))
    }

    /// The current action mask (`int8`).
    fn action_mask<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i8>> {
        mask_array(py, self.inner.action_mask())
    }
}

/// What a vector reset returns: observations and masks.
type Reset<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<i8>>);

/// What a vector step returns: observations, rewards, terminated, truncated, masks, invalid
/// actions, and the reports of the environments that ended an epoch, batched into `info`
/// entries (an array per key and its `_key` mask).
type VecStepped<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray2<i8>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyDict>,
);

/// `num_envs` environments of a registered problem stepped with one call (see
/// `mei4llm.envs`).
#[pyclass(name = "VecEnv", module = "mei4llm._core")]
pub struct PyVecEnv {
    inner: Box<dyn AnyVecEnv>,
    scenario: Py<PyScenario>,
}

impl PyVecEnv {
    fn arrays<'py>(&self, py: Python<'py>) -> PyResult<Reset<'py>> {
        let buffers = self.inner.buffers();
        let (n, d, a) = (
            self.inner.len(),
            self.inner.observation_space().len(),
            self.inner.actions(),
        );
        let observations = PyArray1::from_slice(py, &buffers.observations).reshape([n, d])?;
        let masks = PyArray1::from_vec(py, buffers.masks.iter().map(|&m| i8::from(m)).collect())
            .reshape([n, a])?;
        Ok((observations, masks))
    }
}

#[pymethods]
impl PyVecEnv {
    /// `num_envs` copies of the environment of `Env(problem, scenario, **kwargs)`, stepped in
    /// parallel on Rust's thread pool when `parallel` (the results are the same either way).
    #[new]
    #[pyo3(signature = (problem, num_envs, scenario, parallel=true, **kwargs))]
    fn new(
        py: Python<'_>,
        problem: &str,
        num_envs: usize,
        scenario: AnyScenario<'_>,
        parallel: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let (mut inner, _, scenario) = made(py, problem, scenario, kwargs, |e, s, a| {
            e.vec_env(s, a, num_envs)
        })?;
        inner.set_parallel(parallel);
        Ok(PyVecEnv { inner, scenario })
    }

    /// `(low, high, names, n_actions)` of one environment's spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        spaces(py, self.inner.observation_space(), self.inner.actions())
    }

    /// Resets environment `i` with `seed + i`; returns `(observations, action_masks)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Reset<'py>> {
        let inner = &mut self.inner;
        py.allow_threads(|| inner.reset(seed)).map_err(env_error)?;
        self.arrays(py)
    }

    /// Steps every environment (next-step autoreset); returns `(observations, rewards,
    /// terminated, truncated, action_masks, invalid_actions, infos)`, `infos` the reports of
    /// the environments that ended an epoch: an array per key and its `_key` mask.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<VecStepped<'py>> {
        let n = self.inner.actions();
        let actions: Vec<usize> = actions
            .as_array()
            .iter()
            .map(|&a| action(a, n))
            .collect::<PyResult<_>>()?;
        let inner = &mut self.inner;
        let reports = py
            .allow_threads(|| inner.step(&actions))
            .map_err(env_error)?;
        let (observations, masks) = self.arrays(py)?;
        let infos = batched(py, self.inner.len(), &reports, &self.scenario)?;
        let b = self.inner.buffers();
        Ok((
            observations,
            PyArray1::from_slice(py, &b.rewards),
            PyArray1::from_slice(py, &b.terminated),
            PyArray1::from_slice(py, &b.truncated),
            masks,
            PyArray1::from_slice(py, &b.invalid_actions),
            infos,
        ))
    }
}
