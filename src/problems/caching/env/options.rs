//! What a [`super::CachingEnv`] is built from besides its scenario.

use crate::system::DataPath;
use crate::system::trace::EpochRule;
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
