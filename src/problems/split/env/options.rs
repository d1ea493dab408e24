//! What a [`super::SplitEnv`] is built from besides its scenario.

use crate::problems::split::Objective;
use crate::system::DataPath;
use crate::system::trace::EpochRule;
use std::time::Duration;

/// A 5Gophers throughput series (Narayanan et al., WWW 2020), as named in
/// `datasets/network/5gophers_throughput.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSeries {
    /// Carrier: `SPRINT`, `TMOBILE` or `VERIZON`.
    pub carrier: String,
    /// Parallel TCP connections of the measurement: 1 or 8.
    pub connections: u32,
    /// Server location: `US-East` or `US-West`.
    pub server: String,
}

impl Default for LinkSeries {
    /// Verizon mmWave, one connection, US-East server: a series without outages (no sample of
    /// 0 Mbit/s).
    fn default() -> Self {
        LinkSeries {
            carrier: "VERIZON".into(),
            connections: 1,
            server: "US-East".into(),
        }
    }
}

/// Options of the `split` environment; every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitEnvOptions {
    /// Request trace; `None` takes the scenario's `[workload]` trace.
    pub trace: Option<DataPath>,
    /// How the trace is cut into decision epochs; `None` takes the workload's rule (its
    /// `window` or `requests`).
    pub epoch: Option<EpochRule>,
    /// Consecutive epochs in one episode.
    pub epochs_per_episode: usize,
    /// What is minimised: the reward is minus its increase.
    pub objective: Objective,
    /// The split solver whose answer on each epoch is reported next to the agent's (`exact`:
    /// the certified optimum, regret against a proven optimum when it finishes in time;
    /// `descent`: a fast reference without a proof); `None`, the default, reports none and
    /// keeps a step free of any solve.
    pub optimum: Option<String>,
    /// Wall-clock limit of the reference solver per epoch.
    pub optimum_time_limit: Duration,
    /// The throughput series that makes the uplink rates vary over time.
    pub links: LinkSeries,
}

impl Default for SplitEnvOptions {
    fn default() -> Self {
        SplitEnvOptions {
            trace: None,
            epoch: None,
            epochs_per_episode: 4,
            objective: Objective::Latency,
            optimum: None,
            optimum_time_limit: Duration::from_secs(10),
            links: LinkSeries::default(),
        }
    }
}
