//! What a [`super::CachingEnv`] is built from besides its scenario: its options, and the
//! keyword arguments of Python that give them.

use crate::env::{EnvError, args};
use crate::system::DataPath;
use crate::system::trace::EpochRule;
use serde::Deserialize;
use std::time::Duration;

/// Options of the `caching` environment; every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct CachingEnvOptions {
    /// Request trace whose arrivals make the stream (any format the trace reader knows; only
    /// arrival times are used); `None` takes the scenario's `[workload]` trace.
    pub trace: Option<DataPath>,
    /// How the arrivals are cut into windows (the unit of the offline optimum).
    pub window: EpochRule,
    /// Consecutive windows (the epochs of this environment) in one episode.
    pub epochs_per_episode: usize,
    /// The caching solver whose placement for each window's demand is reported next to the
    /// agent's hits (`exact`: the offline optimum, the exact caching MILP); `None`, the
    /// default, reports none and keeps a step free of any solve.
    pub optimum: Option<String>,
    /// Wall-clock limit of the exact solver per window.
    pub optimum_time_limit: Duration,
}

impl Default for CachingEnvOptions {
    fn default() -> Self {
        CachingEnvOptions {
            trace: None,
            window: EpochRule::Count { requests: 100 },
            epochs_per_episode: 4,
            optimum: None,
            optimum_time_limit: Duration::from_secs(10),
        }
    }
}

/// The keyword arguments of `mei4llm/Caching-v0` (see [`CachingEnvOptions`]); every one has a
/// default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CachingEnvArgs {
    /// A trace whose arrivals make the request stream (default: the scenario's workload trace).
    pub trace: Option<String>,
    /// How the arrivals are cut into windows (`100`, `60s`; default 100 requests).
    pub epoch: Option<String>,
    /// Windows per episode (default 4).
    pub epochs_per_episode: Option<usize>,
    /// The reference solver of each window's demand (`exact`, any caching solver, or `none`).
    pub optimum: Option<String>,
    /// Its time limit per window in seconds (default 10).
    pub optimum_time_limit_s: Option<f64>,
}

impl CachingEnvArgs {
    /// The options these arguments give: each one given, else its default.
    pub fn options(self) -> Result<CachingEnvOptions, EnvError> {
        let defaults = CachingEnvOptions::default();
        Ok(CachingEnvOptions {
            trace: args::trace(self.trace.as_deref())?,
            window: args::epoch(self.epoch.as_deref())?.unwrap_or(defaults.window),
            epochs_per_episode: self
                .epochs_per_episode
                .unwrap_or(defaults.epochs_per_episode),
            optimum: args::reference(self.optimum, defaults.optimum),
            optimum_time_limit: args::seconds("optimum_time_limit_s", self.optimum_time_limit_s)?
                .unwrap_or(defaults.optimum_time_limit),
        })
    }
}
