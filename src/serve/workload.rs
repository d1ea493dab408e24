//! The requests a simulation serves and the servers that serve them, from a scenario's
//! `[batching]` section and its edge servers.

use super::error::Error;
use crate::problems::batching::{self, BatchServer, WaitingRequest};
use crate::system::trace::TraceReader;
use crate::system::{Architecture, DataPath, Scenario};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to take from the trace; every field left `None` falls back to the scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkloadOptions {
    /// The trace (default: the `[batching]` section's, read from its `start`; a trace given
    /// here is read from its first request).
    pub trace: Option<DataPath>,
    /// At most this many requests (default: the section's `requests`).
    pub requests: Option<usize>,
    /// Only requests arriving within this many seconds of the first one, on the simulated
    /// clock (after the speed-up).
    pub duration_s: Option<f64>,
    /// Factor by which inter-arrival times are shortened, an experiment knob that scales the
    /// offered load (default: the section's `arrival_speedup`).
    pub arrival_speedup: Option<f64>,
    /// Seed of the draw of the requests' narrowest precisions (default: the section's seed).
    pub seed: Option<u64>,
}

/// The served model, the edge servers (idle) and the arriving requests, in arrival order on a
/// clock that starts at the first request.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The model every server serves.
    pub model: Architecture,
    /// The edge servers, idle, with the precisions they may serve at.
    pub servers: Vec<BatchServer>,
    /// The requests, in arrival order: SLOs from the section or MLPerf's defaults, narrowest
    /// precisions drawn with the section's shares, weight 1.
    pub requests: Vec<WaitingRequest>,
}

impl Workload {
    /// Reads the workload of `scenario`'s `[batching]` section, with `options` overriding it.
    pub fn from_scenario(
        scenario: &Scenario,
        options: &WorkloadOptions,
    ) -> Result<Workload, Error> {
        let setting = |m: String| Err(Error::Setting(m));
        let b = &batching::Section::of(scenario)
            .map_err(|e| Error::Setting(format!("{e} (model, precisions, trace, SLOs)")))?;
        if scenario.edge_servers.is_empty() {
            return setting(format!("scenario `{}` has no edge servers", scenario.name));
        }
        let speedup = options.arrival_speedup.unwrap_or(b.arrival_speedup);
        if !(speedup.is_finite() && speedup > 0.0) {
            return setting(format!(
                "the arrival speed-up must be positive and finite, got {speedup}"
            ));
        }
        let limit = options.requests.unwrap_or(b.requests as usize);
        if limit == 0 {
            return setting("the number of requests must be at least 1".into());
        }
        if let Some(d) = options.duration_s {
            if !(d.is_finite() && d > 0.0) {
                return setting(format!(
                    "the duration must be positive and finite, got {d} s"
                ));
            }
        }
        let (path, start_s) = match &options.trace {
            Some(p) => (p.clone(), 0.0),
            None => (b.trace.clone(), b.start_s),
        };
        let servers = BatchServer::all_idle(scenario, b);
        let mut rng = StdRng::seed_from_u64(options.seed.unwrap_or(b.seed));
        let mut requests: Vec<WaitingRequest> = Vec::new();
        let mut first_s = None;
        for row in TraceReader::open(&path)? {
            let row = row?;
            if row.arrival_s < start_s {
                continue;
            }
            let first = *first_s.get_or_insert(row.arrival_s);
            let arrival_s = (row.arrival_s - first) / speedup;
            if options.duration_s.is_some_and(|d| arrival_s > d) || requests.len() == limit {
                break;
            }
            requests.push(WaitingRequest::from_row(b, &row, arrival_s, rng.r#gen()));
        }
        if requests.is_empty() {
            return setting(format!("{}: no request arrives after {start_s} s", path));
        }
        Ok(Workload {
            model: b.model.clone(),
            servers,
            requests,
        })
    }
}
