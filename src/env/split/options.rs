//! What a [`super::SplitEnv`] is built from besides its scenario.

use crate::problems::split::Objective;
use crate::system::DataPath;
use crate::system::trace::EpochRule;
use std::str::FromStr;
use std::time::Duration;

/// Which solver computes the epoch optimum that regret is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimum {
    /// The certified exact solver ([`crate::problems::split::Exact`]): regret against a proven
    /// optimum when it finishes within the time limit.
    Exact,
    /// Coordinate descent ([`crate::problems::split::CoordinateDescent`]): a fast reference
    /// without a proof (regret may be negative).
    Descent,
    /// No reference: the epoch report holds the agent's objective only.
    None,
}

impl Optimum {
    /// The name of the solver (`exact`, `descent`), or `None`.
    pub fn solver(self) -> Option<&'static str> {
        match self {
            Optimum::Exact => Some("exact"),
            Optimum::Descent => Some("descent"),
            Optimum::None => None,
        }
    }
}

impl FromStr for Optimum {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "exact" => Ok(Optimum::Exact),
            "descent" => Ok(Optimum::Descent),
            "none" => Ok(Optimum::None),
            other => Err(format!(
                "unknown optimum `{other}`; the choices are: exact, descent, none"
            )),
        }
    }
}

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
    /// The reference solver of the epoch reports.
    pub optimum: Optimum,
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
            optimum: Optimum::Exact,
            optimum_time_limit: Duration::from_secs(10),
            links: LinkSeries::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimum_names_round_trip() {
        for name in ["exact", "descent", "none"] {
            let optimum: Optimum = name.parse().unwrap();
            assert_eq!(optimum.solver().unwrap_or("none"), name);
        }
        let e = "milp".parse::<Optimum>().unwrap_err();
        assert!(
            e.contains("milp") && e.contains("exact, descent, none"),
            "{e}"
        );
    }
}
