//! What a [`super::BatchingEnv`] is built from besides its scenario: its options, and the
//! keyword arguments of Python that give them.

use crate::env::{EnvError, args};
use crate::system::DataPath;
use serde::Deserialize;
use std::time::Duration;

/// Options of the `batching` environment; every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchingEnvOptions {
    /// Request trace whose rows wait at each decision (any format the trace reader knows);
    /// `None` takes the `[batching]` section's trace.
    pub trace: Option<DataPath>,
    /// Waiting requests per decision; `None` takes the `[batching]` section's `requests`.
    pub requests: Option<usize>,
    /// Consecutive decisions (the epochs of this environment: trace windows) in one episode.
    pub epochs_per_episode: usize,
    /// The batching solver whose answer on each decision is reported next to the agent's
    /// (`exact`: the certified optimum; any name of [`crate::problems::batching::SOLVERS`]);
    /// `None`, the default, reports none and keeps a step free of any solve.
    pub optimum: Option<String>,
    /// Wall-clock limit of that solver per decision.
    pub optimum_time_limit: Duration,
}

impl Default for BatchingEnvOptions {
    fn default() -> Self {
        BatchingEnvOptions {
            trace: None,
            requests: None,
            epochs_per_episode: 4,
            optimum: None,
            optimum_time_limit: Duration::from_secs(10),
        }
    }
}

/// The keyword arguments of `mei4llm/Batching-v0` (see [`BatchingEnvOptions`]); every one has
/// a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchingEnvArgs {
    /// A trace whose rows wait at each decision (default: the `[batching]` section's).
    pub trace: Option<String>,
    /// Waiting requests per decision (default: the section's `requests`).
    pub requests: Option<usize>,
    /// Decisions per episode (default 4).
    pub epochs_per_episode: Option<usize>,
    /// The reference solver of each decision (`exact`, any batching solver, or `none`).
    pub optimum: Option<String>,
    /// Its time limit per decision in seconds (default 10).
    pub optimum_time_limit_s: Option<f64>,
}

impl BatchingEnvArgs {
    /// The options these arguments give: each one given, else its default.
    pub fn options(self) -> Result<BatchingEnvOptions, EnvError> {
        let defaults = BatchingEnvOptions::default();
        Ok(BatchingEnvOptions {
            trace: args::trace(self.trace.as_deref())?,
            requests: self.requests,
            epochs_per_episode: self
                .epochs_per_episode
                .unwrap_or(defaults.epochs_per_episode),
            optimum: args::reference(self.optimum, defaults.optimum),
            optimum_time_limit: args::seconds("optimum_time_limit_s", self.optimum_time_limit_s)?
                .unwrap_or(defaults.optimum_time_limit),
        })
    }
}
