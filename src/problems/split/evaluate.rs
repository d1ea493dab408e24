//! Judging a decision from the instance alone.

use super::choice::Tier;
use super::decision::{RequestMetrics, SplitDecision};
use super::instance::SplitInstance;
use crate::solve::{Evaluation, Problem, Sense, Violation};

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

    fn evaluate(&self, decision: &SplitDecision) -> Evaluation {
        let mut violations = Vec::new();
        let mut violate = |constraint: &str, subject: String, excess: f64| {
            violations.push(Violation {
                constraint: constraint.into(),
                subject,
                excess,
            })
        };
        if decision.assignments.len() != self.requests.len() {
            violate(
                "one assignment per request",
                format!(
                    "{} assignments for {} requests",
                    decision.assignments.len(),
                    self.requests.len()
                ),
                (decision.assignments.len() as f64 - self.requests.len() as f64).abs(),
            );
            return Evaluation {
                objective: f64::INFINITY,
                violations,
            };
        }
        let edges = self.edge_count();
        let mut bandwidth = vec![0.0; edges];
        let mut compute = vec![0.0; edges];
        let mut kv = vec![0.0; edges];
        // Smallest split served per (edge, model): the server holds that model's part once.
        let models = self.scenario.models.len();
        let mut smallest_split: Vec<Option<u32>> = vec![None; edges * models];
        let mut objective = 0.0;
        for (k, a) in decision.assignments.iter().enumerate() {
            let request = format!("request {k} (id {})", self.requests[k].id);
            let option = match self.option_cost(k, a.choice) {
                Ok(o) => o,
                Err(why) => {
                    violate("valid choice", format!("{request}: {why}"), 1.0);
                    objective = f64::INFINITY;
                    continue;
                }
            };
            let (b, f) = (a.bandwidth_share, a.compute_share);
            for (name, share) in [("bandwidth share", b), ("compute share", f)] {
                if !(share.is_finite() && (0.0..=1.0 + TOLERANCE).contains(&share)) {
                    violate(
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
                violate(
                    "bandwidth share",
                    format!("{request} uploads with no bandwidth"),
                    1.0,
                );
            }
            if option.e2e_s.edge > 0.0 && f <= 0.0 {
                violate(
                    "compute share",
                    format!("{request} computes at the edge with no GPU share"),
                    1.0,
                );
            }
            let device = &self.scenario.devices[self.requests[k].device];
            let excess = option.device_memory_bytes - device.node.profile.memory_bytes;
            if excess > TOLERANCE * device.node.profile.memory_bytes {
                violate(
                    "device memory",
                    format!("{request} on `{}`", device.name),
                    excess,
                );
            }
            if let Some(why) = self.context_window_excess(k) {
                violate("context window", format!("{request}: {why}"), 1.0);
            }
            let cloud_memory = self.scenario.cloud.node.profile.memory_bytes;
            let excess = self.cloud_memory_bytes(k, a.choice) - cloud_memory;
            if excess > TOLERANCE * cloud_memory {
                violate("cloud memory", request.clone(), excess);
            }
            if let Some(e) = a.choice.server {
                if a.choice.tier != Tier::Device {
                    bandwidth[e] += b;
                }
                if a.choice.tier == Tier::Edge {
                    compute[e] += f;
                    kv[e] += option.edge_kv_bytes;
                    let slot = &mut smallest_split[e * models + self.requests[k].model];
                    *slot = Some(slot.map_or(a.choice.split, |s| s.min(a.choice.split)));
                }
            }
            let r = &self.requests[k];
            let ttft = option.ttft_s.at(b, f);
            let e2e = option.e2e_s.at(b, f);
            if let Some(d) = r.ttft_deadline_s {
                if ttft.is_nan() || ttft > d * (1.0 + TOLERANCE) {
                    violate("TTFT deadline", request.clone(), ttft - d);
                }
            }
            if let Some(d) = r.e2e_deadline_s {
                if e2e.is_nan() || e2e > d * (1.0 + TOLERANCE) {
                    violate("end-to-end deadline", request.clone(), e2e - d);
                }
            }
            objective += option.cost.at(b, f);
        }
        for e in 0..edges {
            let name = &self.scenario.edge_servers[e].name;
            if bandwidth[e] > 1.0 + TOLERANCE {
                violate(
                    "cell uplink",
                    format!("edge server `{name}`"),
                    bandwidth[e] - 1.0,
                );
            }
            if compute[e] > 1.0 + TOLERANCE {
                violate(
                    "edge compute",
                    format!("edge server `{name}`"),
                    compute[e] - 1.0,
                );
            }
            let weights: f64 = (0..models)
                .filter_map(|m| {
                    smallest_split[e * models + m].map(|s| self.server_weight_bytes(m, s))
                })
                .sum();
            let capacity = self.edge_memory_bytes(e);
            if weights + kv[e] > capacity * (1.0 + TOLERANCE) {
                violate(
                    "edge memory",
                    format!("edge server `{name}`"),
                    weights + kv[e] - capacity,
                );
            }
        }
        Evaluation {
            objective,
            violations,
        }
    }
}
