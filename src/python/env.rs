//! `mei4llm._core.SplitEnv`, `CachingEnv`, `BatchingEnv` and their vector forms
//! `VecSplitEnv`, `VecCachingEnv` and `VecBatchingEnv`: the Rust environments with numpy
//! observations and masks. The Gymnasium classes of
//! `mei4llm.envs` wrap them; a step is one call into Rust (one per vector step), made with the
//! GIL released, and an `info` dict is built only at the end of an epoch or window.

use super::error::value_error;
use super::info::{ReportInfo, batched, info_dict};
use super::instance::objective;
use super::scenario::PyScenario;
use crate::env::{
    BatchingEnv, BatchingEnvOptions, Buffers, CachingEnv, CachingEnvOptions, Env, EnvError,
    LinkSeries, Optimum, SplitEnv, SplitEnvOptions, VecEnv,
};
use crate::system::trace::EpochRule;
use crate::system::{DataPath, Scenario};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A scenario as Python passes it: a `Scenario` or the path of a scenario file.
#[derive(FromPyObject)]
pub(crate) enum ScenarioArg<'py> {
    /// A resolved scenario.
    Scenario(PyRef<'py, PyScenario>),
    /// A `.toml` or `.json` file.
    Path(PathBuf),
}

impl ScenarioArg<'_> {
    fn resolve(self) -> PyResult<Arc<Scenario>> {
        match self {
            ScenarioArg::Scenario(s) => Ok(Arc::clone(&s.inner)),
            ScenarioArg::Path(path) => Scenario::from_path(&path)
                .map(Arc::new)
                .map_err(value_error),
        }
    }
}

/// Bad options and input are `ValueError`s; a call out of order is a `RuntimeError`.
fn env_error(error: EnvError) -> PyErr {
    match error {
        EnvError::NeedsReset => PyRuntimeError::new_err(error.to_string()),
        other => value_error(other),
    }
}

fn duration(name: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        value_error(format!(
            "{name} must be a non-negative number of seconds, got {seconds}"
        ))
    })
}

fn epoch_rule(name: &str, text: &str) -> PyResult<EpochRule> {
    text.parse()
        .map_err(|e: crate::system::Error| value_error(format!("{name}: {e}")))
}

fn action(action: i64, n: usize) -> PyResult<usize> {
    usize::try_from(action).map_err(|_| {
        value_error(format!(
            "action {action} is outside the action space Discrete({n})"
        ))
    })
}

/// The `split` options of the keyword arguments.
#[allow(clippy::too_many_arguments)]
fn split_options(
    trace: Option<PathBuf>,
    epoch: Option<&str>,
    epochs_per_episode: usize,
    objective_name: &str,
    per_second: Option<f64>,
    per_joule: Option<f64>,
    optimum: &str,
    optimum_time_limit: f64,
    carrier: &str,
    connections: u32,
    server: &str,
) -> PyResult<SplitEnvOptions> {
    Ok(SplitEnvOptions {
        trace: trace.map(DataPath::from),
        epoch: epoch.map(|e| epoch_rule("epoch", e)).transpose()?,
        epochs_per_episode,
        objective: objective(objective_name, per_second, per_joule)?,
        optimum: optimum.parse::<Optimum>().map_err(value_error)?,
        optimum_time_limit: duration("optimum_time_limit", optimum_time_limit)?,
        links: LinkSeries {
            carrier: carrier.into(),
            connections,
            server: server.into(),
        },
    })
}

fn caching_options(
    trace: Option<PathBuf>,
    window: &str,
    windows_per_episode: usize,
    optimum: bool,
    optimum_time_limit: f64,
) -> PyResult<CachingEnvOptions> {
    Ok(CachingEnvOptions {
        trace: trace.map(DataPath::from),
        window: epoch_rule("window", window)?,
        windows_per_episode,
        optimum,
        optimum_time_limit: duration("optimum_time_limit", optimum_time_limit)?,
    })
}

fn batching_options(
    trace: Option<PathBuf>,
    requests: Option<usize>,
    decisions_per_episode: usize,
    optimum: &str,
    optimum_time_limit: f64,
) -> PyResult<BatchingEnvOptions> {
    Ok(BatchingEnvOptions {
        trace: trace.map(DataPath::from),
        requests,
        decisions_per_episode,
        optimum: (optimum != "none").then(|| optimum.to_string()),
        optimum_time_limit: duration("optimum_time_limit", optimum_time_limit)?,
    })
}

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

/// Resets `env`; the first observation and mask.
fn reset_single<'py, E: Env + Send>(
    py: Python<'py>,
    env: &mut E,
    seed: Option<u64>,
) -> PyResult<Observed<'py>> {
    py.allow_threads(|| env.reset(seed)).map_err(env_error)?;
    Ok((
        PyArray1::from_slice(py, env.observation()),
        mask_array(py, env.action_mask()),
    ))
}

/// Steps `env`; `info` only at a report or after an invalid action.
fn step_single<'py, E>(
    py: Python<'py>,
    env: &mut E,
    a: i64,
    scenario: &str,
) -> PyResult<Stepped<'py>>
where
    E: Env + Send,
    E::Report: ReportInfo + Send,
{
    let a = action(a, env.action_space().n)?;
    let step = py.allow_threads(|| env.step(a)).map_err(env_error)?;
    let info = if step.report.is_some() || step.invalid_action {
        let info = match &step.report {
            Some(report) => info_dict(py, report.cells(py, scenario)?)?,
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
        PyArray1::from_slice(py, env.observation()),
        step.reward,
        step.terminated,
        step.truncated,
        mask_array(py, env.action_mask()),
        info,
    ))
}

/// The spaces of `env`.
fn spaces_single<'py, E: Env>(py: Python<'py>, env: &E) -> Spaces<'py> {
    let space = env.observation_space();
    (
        PyArray1::from_slice(py, &space.low),
        PyArray1::from_slice(py, &space.high),
        space.names.clone(),
        env.action_space().n,
    )
}

/// The `split` environment of a scenario (see `mei4llm.envs.SplitEnv`).
#[pyclass(name = "SplitEnv", module = "mei4llm._core")]
pub struct PySplitEnv {
    inner: SplitEnv,
    scenario: String,
}

#[pymethods]
impl PySplitEnv {
    /// Reads the trace and checks the options; bad options are a `ValueError`.
    #[new]
    #[pyo3(signature = (scenario, *, trace=None, epoch=None, epochs_per_episode=4, objective="latency", per_second=None, per_joule=None, optimum="exact", optimum_time_limit=10.0, carrier="VERIZON", connections=1, server="US-East"))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        scenario: ScenarioArg<'_>,
        trace: Option<PathBuf>,
        epoch: Option<&str>,
        epochs_per_episode: usize,
        objective: &str,
        per_second: Option<f64>,
        per_joule: Option<f64>,
        optimum: &str,
        optimum_time_limit: f64,
        carrier: &str,
        connections: u32,
        server: &str,
    ) -> PyResult<Self> {
        let scenario = scenario.resolve()?;
        let options = split_options(
            trace,
            epoch,
            epochs_per_episode,
            objective,
            per_second,
            per_joule,
            optimum,
            optimum_time_limit,
            carrier,
            connections,
            server,
        )?;
        let name = scenario.name.clone();
        let inner = py
            .allow_threads(|| SplitEnv::new(scenario, options))
            .map_err(env_error)?;
        Ok(PySplitEnv {
            inner,
            scenario: name,
        })
    }

    /// `(low, high, names, n_actions)` of the observation and action spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        spaces_single(py, &self.inner)
    }

    /// Starts an episode; returns `(observation, action_mask)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Observed<'py>> {
        reset_single(py, &mut self.inner, seed)
    }

    /// Takes `action`; returns `(observation, reward, terminated, truncated, action_mask,
    /// info)` with `info` a dict at an epoch end or after an invalid action, else `None`.
    fn step<'py>(&mut self, py: Python<'py>, action: i64) -> PyResult<Stepped<'py>> {
        step_single(py, &mut self.inner, action, &self.scenario)
    }

    /// The current action mask (`int8`).
    fn action_mask<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i8>> {
        mask_array(py, self.inner.action_mask())
    }
}

/// The `caching` environment of a scenario (see `mei4llm.envs.CachingEnv`).
#[pyclass(name = "CachingEnv", module = "mei4llm._core")]
pub struct PyCachingEnv {
    inner: CachingEnv,
    scenario: String,
}

#[pymethods]
impl PyCachingEnv {
    /// Builds the placement problem, reads the trace and checks the options; bad options are
    /// a `ValueError`.
    #[new]
    #[pyo3(signature = (scenario, *, trace=None, window="100", windows_per_episode=4, optimum=true, optimum_time_limit=10.0))]
    fn new(
        py: Python<'_>,
        scenario: ScenarioArg<'_>,
        trace: Option<PathBuf>,
        window: &str,
        windows_per_episode: usize,
        optimum: bool,
        optimum_time_limit: f64,
    ) -> PyResult<Self> {
        let scenario = scenario.resolve()?;
        let options = caching_options(
            trace,
            window,
            windows_per_episode,
            optimum,
            optimum_time_limit,
        )?;
        let name = scenario.name.clone();
        let inner = py
            .allow_threads(|| CachingEnv::new(scenario, options))
            .map_err(env_error)?;
        Ok(PyCachingEnv {
            inner,
            scenario: name,
        })
    }

    /// `(low, high, names, n_actions)` of the observation and action spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        spaces_single(py, &self.inner)
    }

    /// Starts an episode; returns `(observation, action_mask)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Observed<'py>> {
        reset_single(py, &mut self.inner, seed)
    }

    /// Takes `action`; returns `(observation, reward, terminated, truncated, action_mask,
    /// info)` with `info` a dict at a window end or after an invalid action, else `None`.
    fn step<'py>(&mut self, py: Python<'py>, action: i64) -> PyResult<Stepped<'py>> {
        step_single(py, &mut self.inner, action, &self.scenario)
    }

    /// The current action mask (`int8`).
    fn action_mask<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i8>> {
        mask_array(py, self.inner.action_mask())
    }
}

/// The `batching` environment of a scenario (see `mei4llm.envs.BatchingEnv`).
#[pyclass(name = "BatchingEnv", module = "mei4llm._core")]
pub struct PyBatchingEnv {
    inner: BatchingEnv,
    scenario: String,
}

#[pymethods]
impl PyBatchingEnv {
    /// Reads the trace, cuts it into decisions and checks the options; bad options are a
    /// `ValueError`.
    #[new]
    #[pyo3(signature = (scenario, *, trace=None, requests=None, decisions_per_episode=4, optimum="exact", optimum_time_limit=10.0))]
    fn new(
        py: Python<'_>,
        scenario: ScenarioArg<'_>,
        trace: Option<PathBuf>,
        requests: Option<usize>,
        decisions_per_episode: usize,
        optimum: &str,
        optimum_time_limit: f64,
    ) -> PyResult<Self> {
        let scenario = scenario.resolve()?;
        let options = batching_options(
            trace,
            requests,
            decisions_per_episode,
            optimum,
            optimum_time_limit,
        )?;
        let name = scenario.name.clone();
        let inner = py
            .allow_threads(|| BatchingEnv::new(scenario, options))
            .map_err(env_error)?;
        Ok(PyBatchingEnv {
            inner,
            scenario: name,
        })
    }

    /// `(low, high, names, n_actions)` of the observation and action spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        spaces_single(py, &self.inner)
    }

    /// Starts an episode; returns `(observation, action_mask)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Observed<'py>> {
        reset_single(py, &mut self.inner, seed)
    }

    /// Takes `action`; returns `(observation, reward, terminated, truncated, action_mask,
    /// info)` with `info` a dict at a decision end or after an invalid action, else `None`.
    fn step<'py>(&mut self, py: Python<'py>, action: i64) -> PyResult<Stepped<'py>> {
        step_single(py, &mut self.inner, action, &self.scenario)
    }

    /// The current action mask (`int8`).
    fn action_mask<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i8>> {
        mask_array(py, self.inner.action_mask())
    }
}

/// What a vector reset returns: observations and masks.
type Reset<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<i8>>);

/// What a vector step returns: observations, rewards, terminated, truncated, masks, invalid
/// actions, and the reports of the environments that ended an epoch or window, batched into
/// `info` entries (an array per key and its `_key` mask).
type VecStep<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray2<i8>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyDict>,
);

/// A vector environment with its buffers, shared by both classes.
struct Vector<E> {
    envs: VecEnv<E>,
    buffers: Buffers,
}

impl<E> Vector<E>
where
    E: Env + Send + Clone,
    E::Report: ReportInfo + Send,
{
    fn new(env: E, num_envs: usize, parallel: bool) -> PyResult<Vector<E>> {
        let envs = VecEnv::new(vec![env; num_envs])
            .map_err(env_error)?
            .with_parallel(parallel);
        let buffers = Buffers::new(
            envs.len(),
            envs.observation_space().len(),
            envs.action_space().n,
        );
        Ok(Vector { envs, buffers })
    }

    fn arrays<'py>(&self, py: Python<'py>) -> PyResult<Reset<'py>> {
        let (n, d, a) = (
            self.envs.len(),
            self.envs.observation_space().len(),
            self.envs.action_space().n,
        );
        let observations = PyArray1::from_slice(py, &self.buffers.observations).reshape([n, d])?;
        let masks = PyArray1::from_vec(
            py,
            self.buffers.masks.iter().map(|&m| i8::from(m)).collect(),
        )
        .reshape([n, a])?;
        Ok((observations, masks))
    }

    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Reset<'py>> {
        let (envs, buffers) = (&mut self.envs, &mut self.buffers);
        py.allow_threads(|| envs.reset(seed, buffers))
            .map_err(env_error)?;
        self.arrays(py)
    }

    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray1<'py, i64>,
        scenario: &str,
    ) -> PyResult<VecStep<'py>> {
        let n = self.envs.action_space().n;
        let actions: Vec<usize> = actions
            .as_array()
            .iter()
            .map(|&a| action(a, n))
            .collect::<PyResult<_>>()?;
        let (envs, buffers) = (&mut self.envs, &mut self.buffers);
        let reports = py
            .allow_threads(|| envs.step(&actions, buffers))
            .map_err(env_error)?;
        let (observations, masks) = self.arrays(py)?;
        let rows = reports
            .iter()
            .map(|(i, report)| Ok((*i, report.cells(py, scenario)?)))
            .collect::<PyResult<_>>()?;
        let infos = batched(py, self.envs.len(), rows)?;
        Ok((
            observations,
            PyArray1::from_slice(py, &self.buffers.rewards),
            PyArray1::from_slice(py, &self.buffers.terminated),
            PyArray1::from_slice(py, &self.buffers.truncated),
            masks,
            PyArray1::from_slice(py, &self.buffers.invalid_actions),
            infos,
        ))
    }

    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        spaces_single(py, &self.envs.envs()[0])
    }
}

/// `num_envs` `split` environments stepped with one call (see `mei4llm.envs.SplitVectorEnv`).
#[pyclass(name = "VecSplitEnv", module = "mei4llm._core")]
pub struct PyVecSplitEnv {
    inner: Vector<SplitEnv>,
    scenario: String,
}

#[pymethods]
impl PyVecSplitEnv {
    /// `num_envs` copies of the `split` environment of `SplitEnv(scenario, ...)`.
    #[new]
    #[pyo3(signature = (num_envs, scenario, *, trace=None, epoch=None, epochs_per_episode=4, objective="latency", per_second=None, per_joule=None, optimum="exact", optimum_time_limit=10.0, carrier="VERIZON", connections=1, server="US-East", parallel=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        num_envs: usize,
        scenario: ScenarioArg<'_>,
        trace: Option<PathBuf>,
        epoch: Option<&str>,
        epochs_per_episode: usize,
        objective: &str,
        per_second: Option<f64>,
        per_joule: Option<f64>,
        optimum: &str,
        optimum_time_limit: f64,
        carrier: &str,
        connections: u32,
        server: &str,
        parallel: bool,
    ) -> PyResult<Self> {
        let env = PySplitEnv::new(
            py,
            scenario,
            trace,
            epoch,
            epochs_per_episode,
            objective,
            per_second,
            per_joule,
            optimum,
            optimum_time_limit,
            carrier,
            connections,
            server,
        )?;
        Ok(PyVecSplitEnv {
            inner: Vector::new(env.inner, num_envs, parallel)?,
            scenario: env.scenario,
        })
    }

    /// `(low, high, names, n_actions)` of one environment's spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        self.inner.spaces(py)
    }

    /// Resets environment `i` with `seed + i`; returns `(observations, action_masks)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Reset<'py>> {
        self.inner.reset(py, seed)
    }

    /// Steps every environment (next-step autoreset); returns `(observations, rewards,
    /// terminated, truncated, action_masks, invalid_actions, infos)`, `infos` the reports of
    /// the environments that ended an epoch: an array per key and its `_key` mask.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<VecStep<'py>> {
        self.inner.step(py, actions, &self.scenario)
    }
}

/// `num_envs` `caching` environments stepped with one call (see
/// `mei4llm.envs.CachingVectorEnv`).
#[pyclass(name = "VecCachingEnv", module = "mei4llm._core")]
pub struct PyVecCachingEnv {
    inner: Vector<CachingEnv>,
    scenario: String,
}

#[pymethods]
impl PyVecCachingEnv {
    /// `num_envs` copies of the `caching` environment of `CachingEnv(scenario, ...)`.
    #[new]
    #[pyo3(signature = (num_envs, scenario, *, trace=None, window="100", windows_per_episode=4, optimum=true, optimum_time_limit=10.0, parallel=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        num_envs: usize,
        scenario: ScenarioArg<'_>,
        trace: Option<PathBuf>,
        window: &str,
        windows_per_episode: usize,
        optimum: bool,
        optimum_time_limit: f64,
        parallel: bool,
    ) -> PyResult<Self> {
        let env = PyCachingEnv::new(
            py,
            scenario,
            trace,
            window,
            windows_per_episode,
            optimum,
            optimum_time_limit,
        )?;
        Ok(PyVecCachingEnv {
            inner: Vector::new(env.inner, num_envs, parallel)?,
            scenario: env.scenario,
        })
    }

    /// `(low, high, names, n_actions)` of one environment's spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        self.inner.spaces(py)
    }

    /// Resets environment `i` with `seed + i`; returns `(observations, action_masks)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Reset<'py>> {
        self.inner.reset(py, seed)
    }

    /// Steps every environment (next-step autoreset); returns `(observations, rewards,
    /// terminated, truncated, action_masks, invalid_actions, infos)`, `infos` the reports of
    /// the environments that ended a window: an array per key and its `_key` mask.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<VecStep<'py>> {
        self.inner.step(py, actions, &self.scenario)
    }
}

/// `num_envs` `batching` environments stepped with one call (see
/// `mei4llm.envs.BatchingVectorEnv`).
#[pyclass(name = "VecBatchingEnv", module = "mei4llm._core")]
pub struct PyVecBatchingEnv {
    inner: Vector<BatchingEnv>,
    scenario: String,
}

#[pymethods]
impl PyVecBatchingEnv {
    /// `num_envs` copies of the `batching` environment of `BatchingEnv(scenario, ...)`.
    #[new]
    #[pyo3(signature = (num_envs, scenario, *, trace=None, requests=None, decisions_per_episode=4, optimum="exact", optimum_time_limit=10.0, parallel=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        num_envs: usize,
        scenario: ScenarioArg<'_>,
        trace: Option<PathBuf>,
        requests: Option<usize>,
        decisions_per_episode: usize,
        optimum: &str,
        optimum_time_limit: f64,
        parallel: bool,
    ) -> PyResult<Self> {
        let env = PyBatchingEnv::new(
            py,
            scenario,
            trace,
            requests,
            decisions_per_episode,
            optimum,
            optimum_time_limit,
        )?;
        Ok(PyVecBatchingEnv {
            inner: Vector::new(env.inner, num_envs, parallel)?,
            scenario: env.scenario,
        })
    }

    /// `(low, high, names, n_actions)` of one environment's spaces.
    fn spaces<'py>(&self, py: Python<'py>) -> Spaces<'py> {
        self.inner.spaces(py)
    }

    /// Resets environment `i` with `seed + i`; returns `(observations, action_masks)`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Reset<'py>> {
        self.inner.reset(py, seed)
    }

    /// Steps every environment (next-step autoreset); returns `(observations, rewards,
    /// terminated, truncated, action_masks, invalid_actions, infos)`, `infos` the reports of
    /// the environments that ended a decision: an array per key and its `_key` mask.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<VecStep<'py>> {
        self.inner.step(py, actions, &self.scenario)
    }
}
