//! Judging a decision from the instance alone.

use super::choice::Tier;
use super::decision::{Assignment, RequestMetrics, SplitDecision};
use super::instance::SplitInstance;
use crate::problems::formulation::Violations;
use crate::solve::{Evaluation, Problem, Sense};

/// Relative slack allowed on share sums, memory and deadlines (floating-point round-off).
pub const TOLERANCE: f64 = 1e-7;

impl SplitInstance {
    /// Per-request metrics of `decision` (requests whose choice is invalid get NaN).
    pub fn metrics(&self, decision: &SplitDecision) -> Vec<RequestMetrics> {
        decision
            .assignments
            .iter()
            .enumerate()
            .map(|(k, a)| match self.option_cost(k, a.choice) {
                Ok(o) => {
                    let (b, f) = (a.bandwidth_share, a.compute_share);
                    let ttft = o.ttft_s.at(b, f);
                    let e2e = o.e2e_s.at(b, f);
                    let m = self.requests[k].output_tokens as f64;
                    RequestMetrics {
                        ttft_s: ttft,
                        e2e_s: e2e,
                        tpot_s: if m > 1.0 {
                            (e2e - ttft) / (m - 1.0)
                        } else {
                            0.0
                        },
                        device_energy_j: o.energy_j.at(b, f),
                        upload_bytes: o.upload_bytes,
                        download_bytes: o.download_bytes,
                        cost: o.cost.at(b, f),
                    }
                }
                Err(_) => RequestMetrics {
                    ttft_s: f64::NAN,
                    e2e_s: f64::NAN,
                    tpot_s: f64::NAN,
                    device_energy_j: f64::NAN,
                    upload_bytes: f64::NAN,
                    download_bytes: f64::NAN,
                    cost: f64::INFINITY,
                },
            })
            .collect()
    }
}

impl SplitInstance {
    /// Whether `decision` breaks no constraint.
    pub fn evaluate_is_feasible(&self, decision: &SplitDecision) -> bool {
        self.evaluate(decision).is_feasible()
    }
}

impl Problem for SplitInstance {
    type Decision = SplitDecision;

    fn sense(&self) -> Sense {
        Sense::Minimise
    }

    fn known_infeasibility(&self) -> Option<String> {
        self.infeasibility().map(str::to_string)
    }

    fn evaluate(&self, decision: &SplitDecision) -> Evaluation {
        let mut found = Violations::default();
        if decision.assignments.len() != self.requests.len() {
            found.add(
                "one assignment per request",
                format!(
                    "{} assignments for {} requests",
                    decision.assignments.len(),
                    self.requests.len()
                ),
                (decision.assignments.len() as f64 - self.requests.len() as f64).abs(),
            );
            return found.evaluation(f64::INFINITY);
        }
        let mut load = EdgeLoad::new(self.edge_count(), self.scenario.models.len());
        let mut objective = 0.0;
        for (k, a) in decision.assignments.iter().enumerate() {
            match self.check_request(k, a, &mut load, &mut found) {
                Some(cost) => objective += cost,
                None => objective = f64::INFINITY,
            }
        }
        self.check_edges(&load, &mut found);
        found.evaluation(objective)
    }
}

/// What the requests of a decision take of every edge server.
struct EdgeLoad {
    /// Per edge server, the sum of the uplink shares of the requests it serves.
    bandwidth: Vec<f64>,
    /// Per edge server, the sum of the GPU shares.
    compute: Vec<f64>,
    /// Per edge server, the KV-cache bytes.
    kv_bytes: Vec<f64>,
    /// Smallest split served per (edge, model): the server holds that model's part once.
    smallest_split: Vec<Option<u32>>,
    /// Models of the scenario.
    models: usize,
}

impl EdgeLoad {
    /// No load on `edges` servers of a scenario of `models` models.
    fn new(edges: usize, models: usize) -> EdgeLoad {
        EdgeLoad {
            bandwidth: vec![0.0; edges],
            compute: vec![0.0; edges],
            kv_bytes: vec![0.0; edges],
            smallest_split: vec![None; edges * models],
            models,
        }
    }
}

impl SplitInstance {
    /// Request `k`'s assignment `a`: its choice, shares, memory and deadlines; adds what it
    /// takes of its edge server to `load`. Its cost, or `None` when its choice is not valid.
    fn check_request(
        &self,
        k: usize,
        a: &Assignment,
        load: &mut EdgeLoad,
        found: &mut Violations,
    ) -> Option<f64> {
        let request = format!("request {k} (id {})", self.requests[k].id);
        let option = match self.option_cost(k, a.choice) {
            Ok(o) => o,
            Err(why) => {
                found.add("valid choice", format!("{request}: {why}"), 1.0);
                return None;
            }
        };
        if let Some(why) = self.locality_breach(k, a.choice) {
            found.add("locality", format!("{request}: {why}"), 1.0);
        }
        let (b, f) = (a.bandwidth_share, a.compute_share);
        for (name, share) in [("bandwidth share", b), ("compute share", f)] {
            if !(share.is_finite() && (0.0..=1.0 + TOLERANCE).contains(&share)) {
                found.add(
                    name,
                    format!("{request}: {share} is not in [0, 1]"),
                    if share.is_nan() {
                        f64::INFINITY
                    } else {
                        (share - share.clamp(0.0, 1.0)).abs()
                    },
                );
            }
        }
        if option.e2e_s.upload > 0.0 && b <= 0.0 {
            found.add(
                "bandwidth share",
                format!("{request} uploads with no bandwidth"),
                1.0,
            );
        }
        if option.e2e_s.edge > 0.0 && f <= 0.0 {
            found.add(
                "compute share",
                format!("{request} computes at the edge with no GPU share"),
                1.0,
            );
        }
        self.check_memory(k, a, option.device_memory_bytes, &request, found);
        if let Some(e) = a.choice.server {
            if a.choice.tier != Tier::Device {
                load.bandwidth[e] += b;
            }
            if a.choice.tier == Tier::Edge {
                load.compute[e] += f;
                load.kv_bytes[e] += option.edge_kv_bytes;
                let slot = &mut load.smallest_split[e * load.models + self.requests[k].model];
                *slot = Some(slot.map_or(a.choice.split, |s| s.min(a.choice.split)));
            }
        }
        let r = &self.requests[k];
        let ttft = option.ttft_s.at(b, f);
        let e2e = option.e2e_s.at(b, f);
        if let Some(d) = r.ttft_deadline_s {
            if ttft.is_nan() || ttft > d * (1.0 + TOLERANCE) {
                found.add("TTFT deadline", request.clone(), ttft - d);
            }
        }
        if let Some(d) = r.e2e_deadline_s {
            if e2e.is_nan() || e2e > d * (1.0 + TOLERANCE) {
                found.add("end-to-end deadline", request.clone(), e2e - d);
            }
        }
        Some(option.cost.at(b, f))
    }

    /// The device memory (`device_memory_bytes` for request `k`), context window and cloud
    /// memory of request `k`'s assignment `a`; `request` names it.
    fn check_memory(
        &self,
        k: usize,
        a: &Assignment,
        device_memory_bytes: f64,
        request: &str,
        found: &mut Violations,
    ) {
        let device = &self.scenario.devices[self.requests[k].device];
        let excess = device_memory_bytes - device.node.profile.memory_bytes;
        if excess > TOLERANCE * device.node.profile.memory_bytes {
            found.add(
                "device memory",
                format!("{request} on `{}`", device.name),
                excess,
            );
        }
        if let Some(why) = self.context_window_excess(k) {
            found.add("context window", format!("{request}: {why}"), 1.0);
        }
        let cloud_memory = self.scenario.cloud.node.profile.memory_bytes;
        let excess = self.cloud_memory_bytes(k, a.choice) - cloud_memory;
        if excess > TOLERANCE * cloud_memory {
            found.add("cloud memory", request.to_string(), excess);
        }
    }

    /// Every edge server's uplink, compute and memory under `load`.
    fn check_edges(&self, load: &EdgeLoad, found: &mut Violations) {
        let models = load.models;
        for e in 0..load.bandwidth.len() {
            let name = &self.scenario.edge_servers[e].name;
            if load.bandwidth[e] > 1.0 + TOLERANCE {
                found.add(
                    "cell uplink",
                    format!("edge server `{name}`"),
                    load.bandwidth[e] - 1.0,
                );
            }
            if load.compute[e] > 1.0 + TOLERANCE {
                found.add(
                    "edge compute",
                    format!("edge server `{name}`"),
                    load.compute[e] - 1.0,
                );
            }
            let weights: f64 = (0..models)
                .filter_map(|m| {
                    load.smallest_split[e * models + m].map(|s| self.server_weight_bytes(m, s))
                })
                .sum();
            let capacity = self.edge_memory_bytes(e);
            if weights + load.kv_bytes[e] > capacity * (1.0 + TOLERANCE) {
                found.add(
                    "edge memory",
                    format!("edge server `{name}`"),
                    weights + load.kv_bytes[e] - capacity,
                );
            }
        }
    }
}
