//! The keyword arguments every environment shares, read into its options: the trace, the epoch
//! rule, the reference solver and its time limit.

use super::EnvError;
use crate::problems::formulation::{Formulation, solver_names};
use crate::system::trace::EpochRule;
use crate::system::{DataPath, Scenario};
use std::time::Duration;

/// The trace a `trace` argument names, if any.
pub(crate) fn trace(value: Option<&str>) -> Result<Option<DataPath>, EnvError> {
    Ok(value.map(DataPath::parse).transpose()?)
}

/// The epoch rule an `epoch` argument gives (`1s`, `100`), if any.
pub(crate) fn epoch(value: Option<&str>) -> Result<Option<EpochRule>, EnvError> {
    value
        .map(|e| {
            e.parse()
                .map_err(|e| EnvError::option("epoch", format!("{e}")))
        })
        .transpose()
}

/// The reference solver an `optimum` argument names: none for `none`, `default` when absent.
pub(crate) fn reference(value: Option<String>, default: Option<String>) -> Option<String> {
    match value.as_deref() {
        Some("none") => None,
        Some(_) => value,
        None => default,
    }
}

/// A number of seconds of argument `name` as a duration.
pub(crate) fn seconds(
    name: &'static str,
    value: Option<f64>,
) -> Result<Option<Duration>, EnvError> {
    value
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                EnvError::option(
                    name,
                    format!("must be a non-negative number of seconds, got {s}"),
                )
            })
        })
        .transpose()
}

/// An error unless an episode has at least one epoch.
pub(crate) fn check_epochs_per_episode(epochs_per_episode: usize) -> Result<(), EnvError> {
    if epochs_per_episode == 0 {
        return Err(EnvError::option(
            "epochs_per_episode",
            "must be at least 1, got 0",
        ));
    }
    Ok(())
}

/// An error unless the reference solver `optimum`, if any, is a solver of `F`.
pub(crate) fn check_reference<F: Formulation>(optimum: Option<&str>) -> Result<(), EnvError> {
    match optimum {
        Some(name) if F::solver(name).is_none() => Err(EnvError::option(
            "optimum",
            format!(
                "unknown {} solver `{name}`; the solvers are: {}, or none",
                F::NAME,
                solver_names(F::SOLVERS)
            ),
        )),
        _ => Ok(()),
    }
}

/// The trace of an environment: `given`, else the scenario's `[workload]` trace.
pub(crate) fn workload_trace(
    given: Option<&DataPath>,
    scenario: &Scenario,
) -> Result<DataPath, EnvError> {
    given
        .cloned()
        .or_else(|| scenario.workload.as_ref().map(|w| w.trace.clone()))
        .ok_or_else(|| {
            EnvError::option(
                "trace",
                format!(
                    "scenario `{}` has no [workload] trace; give one",
                    scenario.name
                ),
            )
        })
}
