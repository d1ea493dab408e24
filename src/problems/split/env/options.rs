//! What a [`super::SplitEnv`] is built from besides its scenario: its options, and the
//! keyword arguments of Python that give them.

use crate::env::{EnvError, args};
use crate::problems::split::Objective;
use crate::system::DataPath;
use crate::system::trace::EpochRule;
use serde::Deserialize;
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

/// The keyword arguments of `mei4llm/Split-v0` (see [`SplitEnvOptions`]); every one has a
/// default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitEnvArgs {
    /// A trace file (default: the scenario's workload trace).
    pub trace: Option<String>,
    /// The epoch rule (`1s`, `8`; default: the workload's).
    pub epoch: Option<String>,
    /// Epochs per episode (default 4).
    pub epochs_per_episode: Option<usize>,
    /// `latency` (default), `energy` or `mixed`.
    pub objective: Option<String>,
    /// Weight of a second (with `mixed`).
    pub per_second: Option<f64>,
    /// Weight of a joule (with `mixed`).
    pub per_joule: Option<f64>,
    /// The reference solver of the epoch reports: `exact`, `descent` or `none` (default
    /// `none`: the optimum is computed when asked, see the Python environment's `optimum`).
    pub optimum: Option<String>,
    /// Its time limit per epoch in seconds (default 10).
    pub optimum_time_limit_s: Option<f64>,
    /// 5Gophers carrier of the uplink series (default `VERIZON`).
    pub carrier: Option<String>,
    /// Its parallel TCP connections (default 1).
    pub connections: Option<u32>,
    /// Its server location (default `US-East`).
    pub server: Option<String>,
}

impl SplitEnvArgs {
    /// The options these arguments give: each one given, else its default.
    pub fn options(self) -> Result<SplitEnvOptions, EnvError> {
        let defaults = SplitEnvOptions::default();
        let links = LinkSeries::default();
        Ok(SplitEnvOptions {
            trace: args::trace(self.trace.as_deref())?,
            epoch: args::epoch(self.epoch.as_deref())?,
            epochs_per_episode: self
                .epochs_per_episode
                .unwrap_or(defaults.epochs_per_episode),
            objective: Objective::named(
                self.objective.as_deref().unwrap_or("latency"),
                self.per_second,
                self.per_joule,
            )
            .map_err(|e| EnvError::option("objective", e))?,
            optimum: args::reference(self.optimum, defaults.optimum),
            optimum_time_limit: args::seconds("optimum_time_limit_s", self.optimum_time_limit_s)?
                .unwrap_or(defaults.optimum_time_limit),
            links: LinkSeries {
                carrier: self.carrier.unwrap_or(links.carrier),
                connections: self.connections.unwrap_or(links.connections),
                server: self.server.unwrap_or(links.server),
            },
        })
    }
}
