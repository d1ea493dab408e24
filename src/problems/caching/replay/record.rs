//! What one request gets under a placement: the row of `requests.csv` for the caching problem.

use super::CachingEpoch;
use crate::problems::caching::Placement;
use crate::replay::RequestRecord;
use serde::{Deserialize, Serialize};

/// One row of `requests.csv` for the caching problem: whether one request was a hit under one
/// solver's placement on one epoch, where it was served from, how long the model took to
/// arrive and what the backhaul carried.
///
/// A hit is served by the edge server that stores the model and delivers it fastest within the
/// latency bound ([`CachingInstance::serving_server`]); a miss fetches the whole model from the
/// cloud over the backhaul. Requests of an epoch the solver found no placement for have tier
/// `none` and empty figures, and count as misses in the hit ratio.
///
/// [`CachingInstance::serving_server`]: crate::problems::caching::CachingInstance::serving_server
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachingRecord {
    /// The epoch's index.
    pub epoch: u64,
    /// The solver.
    pub solver: String,
    /// The request's trace id.
    pub request: u64,
    /// The user (device) the request was drawn for.
    pub user: String,
    /// The model it asks for.
    pub model: String,
    /// Bytes of the model stored alone.
    pub model_bytes: f64,
    /// Whether some server covering the user could deliver the model within the latency bound
    /// (whatever is stored): a request that is not reachable always misses.
    pub reachable: bool,
    /// `edge` (a hit), `cloud` (a miss), or `none` without a placement.
    pub tier: String,
    /// The edge server that serves a hit; empty otherwise.
    pub server: String,
    /// Whether the request is a hit.
    pub hit: bool,
    /// Delivery latency of a hit: RTT plus the model's download from the serving server.
    pub latency_s: Option<f64>,
    /// Bytes fetched from the cloud over the backhaul: the model's bytes on a miss, 0 on a hit.
    pub cloud_bytes: Option<f64>,
}

impl RequestRecord for CachingRecord {
    const COLUMNS: &'static [&'static str] = &[
        "epoch",
        "solver",
        "request",
        "user",
        "model",
        "model_bytes",
        "reachable",
        "tier",
        "server",
        "hit",
        "latency_s",
        "cloud_bytes",
    ];

    fn solver(&self) -> &str {
        &self.solver
    }
}

impl CachingRecord {
    /// The rows of an epoch's requests served under `placement`, in request order.
    pub fn served(
        epoch: u64,
        solver: &str,
        data: &CachingEpoch,
        placement: &Placement,
    ) -> Vec<Self> {
        let instance = &data.instance;
        data.requests
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let model_bytes = instance.model_bytes(r.model);
                let mut record = Self::request(epoch, solver, data, k);
                match instance.serving_server(placement, r.user, r.model) {
                    Some(n) => {
                        record.tier = "edge".into();
                        record.server = instance.servers[n].name.clone();
                        record.hit = true;
                        record.latency_s = Some(instance.latency_s(r.user, n, r.model));
                        record.cloud_bytes = Some(0.0);
                    }
                    None => {
                        record.tier = "cloud".into();
                        record.cloud_bytes = Some(model_bytes);
                    }
                }
                record
            })
            .collect()
    }

    /// The rows of an epoch's requests without a placement.
    pub fn unplanned(epoch: u64, solver: &str, data: &CachingEpoch) -> Vec<Self> {
        (0..data.requests.len())
            .map(|k| Self::request(epoch, solver, data, k))
            .collect()
    }

    /// The row of request `k` of the epoch, as without a placement.
    fn request(epoch: u64, solver: &str, data: &CachingEpoch, k: usize) -> Self {
        let instance = &data.instance;
        let r = &data.requests[k];
        CachingRecord {
            epoch,
            solver: solver.to_string(),
            request: r.id,
            user: instance.users[r.user].name.clone(),
            model: instance.library.models[r.model].name.clone(),
            model_bytes: instance.model_bytes(r.model),
            reachable: instance.servers_in_time(r.user, r.model).next().is_some(),
            tier: "none".into(),
            server: String::new(),
            hit: false,
            latency_s: None,
            cloud_bytes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_match_the_fields_and_rows_read_back() {
        let record = CachingRecord {
            epoch: 4,
            solver: "greedy".into(),
            request: 31,
            user: "a-3".into(),
            model: "Qwen2-0.5B-lora2-r64".into(),
            model_bytes: 994_918_400.0,
            reachable: true,
            tier: "edge".into(),
            server: "edge-b".into(),
            hit: true,
            latency_s: Some(267.133_590_604_026_8),
            cloud_bytes: Some(0.0),
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(&record).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        assert_eq!(header, CachingRecord::COLUMNS);
        // Every float reads back to the same bits, so `report` recomputes the same summary.
        let back: CachingRecord = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(back, record);
    }
}
