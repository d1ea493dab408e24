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
    /// Consecutive windows in one episode.
    pub windows_per_episode: usize,
    /// Whether each window's offline optimum is computed (the exact caching MILP).
    pub optimum: bool,
    /// Wall-clock limit of the exact solver per window.
    pub optimum_time_limit: Duration,
}

impl Default for CachingEnvOptions {
    fn default() -> Self {
        CachingEnvOptions {
            trace: None,
            window: EpochRule::Count { requests: 100 },
            windows_per_episode: 4,
            optimum: true,
            optimum_time_limit: Duration::from_secs(10),
        }
    }
}
