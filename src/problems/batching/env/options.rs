//! What a [`super::BatchingEnv`] is built from besides its scenario.

use crate::system::DataPath;
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
