//! What one request gets under a split plan: the row `mei4llm plan` prints and the row of
//! `requests.csv`.

use super::slo::Slo;
use crate::problems::split::{SplitDecision, SplitInstance, Tier};
use crate::replay::RequestRecord;
use serde::{Deserialize, Serialize};

/// One request of a split plan with everything it experiences and costs: the per-request
/// metrics of [`SplitInstance::metrics`] together with who the request is and where it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRequest {
    /// Position in the epoch.
    pub index: usize,
    /// Trace id.
    pub id: u64,
    /// The user's device.
    pub device: String,
    /// The model.
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// `device`, `edge` or `cloud`.
    pub tier: &'static str,
    /// Edge server index (the serving one, or the cell through which the cloud is reached).
    pub server: Option<usize>,
    /// `edge-x`, `cloud via edge-x`, or `-`.
    pub server_name: String,
    /// Split point: the device runs blocks `1..split`.
    pub split: u32,
    /// Blocks of the model.
    pub layers: u32,
    /// Share of the cell's uplink.
    pub bandwidth_share: f64,
    /// Share of the edge GPU.
    pub compute_share: f64,
    /// Time to first token.
    pub ttft_s: f64,
    /// End-to-end latency.
    pub e2e_s: f64,
    /// Mean time per output token after the first.
    pub tpot_s: f64,
    /// Device energy; NaN (null in JSON) when the device has no power figure.
    pub device_energy_j: f64,
    /// Bytes sent up.
    pub upload_bytes: f64,
    /// Bytes sent down.
    pub download_bytes: f64,
    /// The request's weighted objective term; the objective is their sum.
    pub cost: f64,
}

/// Every request of `decision` with its metrics, in request order.
pub fn planned_requests(instance: &SplitInstance, decision: &SplitDecision) -> Vec<PlannedRequest> {
    let s = &instance.scenario;
    let metrics = instance.metrics(decision);
    decision
        .assignments
        .iter()
        .zip(metrics)
        .enumerate()
        .map(|(k, (a, m))| {
            let r = &instance.requests[k];
            let server_name = match (a.choice.tier, a.choice.server) {
                (Tier::Edge, Some(e)) => s.edge_servers[e].name.clone(),
                (Tier::Cloud, Some(e)) => format!("cloud via {}", s.edge_servers[e].name),
                _ => "-".into(),
            };
            PlannedRequest {
                index: k,
                id: r.id,
                device: s.devices[r.device].name.clone(),
                model: s.models[r.model].architecture.name.clone(),
                prompt_tokens: r.prompt_tokens,
                output_tokens: r.output_tokens,
                tier: a.choice.tier.name(),
                server: a.choice.server,
                server_name,
                split: a.choice.split,
                layers: instance.layers(k),
                bandwidth_share: a.bandwidth_share,
                compute_share: a.compute_share,
                ttft_s: m.ttft_s,
                e2e_s: m.e2e_s,
                tpot_s: m.tpot_s,
                device_energy_j: m.device_energy_j,
                upload_bytes: m.upload_bytes,
                download_bytes: m.download_bytes,
                cost: m.cost,
            }
        })
        .collect()
}

/// One row of `requests.csv` for the split problem: what one request got from one solver on
/// one epoch. Requests of an epoch the solver found no plan for have tier `none` and empty
/// metrics, so that every request counts in the SLO goodput.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitRecord {
    /// The epoch's index.
    pub epoch: u64,
    /// The solver.
    pub solver: String,
    /// The request's trace id.
    pub request: u64,
    /// The user's device.
    pub device: String,
    /// The model.
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Output tokens (at least 1).
    pub output_tokens: u32,
    /// `device`, `edge`, `cloud`, or `none` without a plan.
    pub tier: String,
    /// The edge server that serves the request, or whose cell relays it to the cloud; empty
    /// for device-only and without a plan.
    pub server: String,
    /// Split point: the device runs blocks `1..split` (`layers` for device-only, 0 for
    /// server-only).
    pub split: Option<u32>,
    /// Blocks of the model.
    pub layers: u32,
    /// Share of the cell's uplink.
    pub bandwidth_share: Option<f64>,
    /// Share of the edge GPU.
    pub compute_share: Option<f64>,
    /// Time to first token.
    pub ttft_s: Option<f64>,
    /// End-to-end latency.
    pub e2e_s: Option<f64>,
    /// Mean time per output token after the first.
    pub tpot_s: Option<f64>,
    /// Device energy (empty when the device has no power figure).
    pub device_energy_j: Option<f64>,
    /// Bytes sent up.
    pub upload_bytes: Option<f64>,
    /// Bytes sent down.
    pub download_bytes: Option<f64>,
    /// The request's weighted objective term.
    pub cost: Option<f64>,
    /// Whether the request meets the run's TTFT and end-to-end SLOs (see [`Slo`]).
    pub meets_slo: bool,
}

impl RequestRecord for SplitRecord {
    const COLUMNS: &'static [&'static str] = &[
        "epoch",
        "solver",
        "request",
        "device",
        "model",
        "prompt_tokens",
        "output_tokens",
        "tier",
        "server",
        "split",
        "layers",
        "bandwidth_share",
        "compute_share",
        "ttft_s",
        "e2e_s",
        "tpot_s",
        "device_energy_j",
        "upload_bytes",
        "download_bytes",
        "cost",
        "meets_slo",
    ];

    fn solver(&self) -> &str {
        &self.solver
    }
}

/// A finite value, or `None`.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl SplitRecord {
    /// The row of a planned request.
    pub fn planned(
        epoch: u64,
        solver: &str,
        p: &PlannedRequest,
        instance: &SplitInstance,
        slo: &Slo,
    ) -> Self {
        let server = p
            .server
            .map(|e| instance.scenario.edge_servers[e].name.clone())
            .unwrap_or_default();
        SplitRecord {
            epoch,
            solver: solver.to_string(),
            request: p.id,
            device: p.device.clone(),
            model: p.model.clone(),
            prompt_tokens: p.prompt_tokens,
            output_tokens: p.output_tokens,
            tier: p.tier.to_string(),
            server,
            split: Some(p.split),
            layers: p.layers,
            bandwidth_share: finite(p.bandwidth_share),
            compute_share: finite(p.compute_share),
            ttft_s: finite(p.ttft_s),
            e2e_s: finite(p.e2e_s),
            tpot_s: finite(p.tpot_s),
            device_energy_j: finite(p.device_energy_j),
            upload_bytes: finite(p.upload_bytes),
            download_bytes: finite(p.download_bytes),
            cost: finite(p.cost),
            meets_slo: slo.met(p.ttft_s, p.e2e_s, p.output_tokens),
        }
    }

    /// The rows of an epoch's requests without a plan.
    pub fn unplanned(epoch: u64, solver: &str, instance: &SplitInstance) -> Vec<Self> {
        let s = &instance.scenario;
        instance
            .requests
            .iter()
            .enumerate()
            .map(|(k, r)| SplitRecord {
                epoch,
                solver: solver.to_string(),
                request: r.id,
                device: s.devices[r.device].name.clone(),
                model: s.models[r.model].architecture.name.clone(),
                prompt_tokens: r.prompt_tokens,
                output_tokens: r.output_tokens,
                tier: "none".into(),
                server: String::new(),
                split: None,
                layers: instance.layers(k),
                bandwidth_share: None,
                compute_share: None,
                ttft_s: None,
                e2e_s: None,
                tpot_s: None,
                device_energy_j: None,
                upload_bytes: None,
                download_bytes: None,
                cost: None,
                meets_slo: false,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_match_the_fields_and_rows_read_back() {
        let record = SplitRecord {
            epoch: 3,
            solver: "descent".into(),
            request: 17,
            device: "s24-1".into(),
            model: "Llama-2-7B".into(),
            prompt_tokens: 374,
            output_tokens: 44,
            tier: "cloud".into(),
            server: "edge-l4".into(),
            split: Some(0),
            layers: 32,
            bandwidth_share: Some(0.1 + 0.2),
            compute_share: Some(0.0),
            ttft_s: Some(0.110_865_927_379_816_68),
            e2e_s: Some(0.440_677_163_041_515_05),
            tpot_s: Some(0.007_670_028_736_318_566),
            device_energy_j: None,
            upload_bytes: Some(1496.0),
            download_bytes: Some(176.0),
            cost: Some(0.440_677_163_041_515_05),
            meets_slo: true,
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(&record).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        assert_eq!(header, SplitRecord::COLUMNS);
        // Every float reads back to the same bits, so `report` recomputes the same summary.
        let back: SplitRecord = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(back, record);
    }
}
