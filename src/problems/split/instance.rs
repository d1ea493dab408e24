//! The instance of one decision epoch: requests, the world they run in, and the cost of every
//! choice of every request.

use super::choice::{Choice, Locality, Tier};
use super::pricing::PhaseCache;
use super::terms::Terms;
use crate::problems::Error;
use crate::system::trace::{EpochRule, Epochs, Request, TraceReader};
use crate::system::{Part, Scenario, ServedModel};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What the plan minimises.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Weighted sum of end-to-end latencies (seconds).
    Latency,
    /// Weighted sum of device energies (joules).
    Energy,
    /// Weighted sum of `per_second · latency + per_joule · energy`.
    Mixed {
        /// Weight of one second of end-to-end latency.
        per_second: f64,
        /// Weight of one joule of device energy.
        per_joule: f64,
    },
}

impl Objective {
    /// The weights of a second and of a joule in the cost.
    pub(super) fn weights(self) -> (f64, f64) {
        match self {
            Objective::Latency => (1.0, 0.0),
            Objective::Energy => (0.0, 1.0),
            Objective::Mixed {
                per_second,
                per_joule,
            } => (per_second, per_joule),
        }
    }
}

/// One request of the epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitRequest {
    /// Identifier (the trace row).
    pub id: u64,
    /// Index of the user's device in the scenario.
    pub device: usize,
    /// Index of the model in the scenario's catalogue.
    pub model: usize,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Output tokens (at least one: the first token).
    pub output_tokens: u32,
    /// Weight in the objective.
    pub weight: f64,
    /// Deadline on the time to first token.
    pub ttft_deadline_s: Option<f64>,
    /// Deadline on the end-to-end latency.
    pub e2e_deadline_s: Option<f64>,
    /// The tiers its data may reach.
    #[serde(default)]
    pub locality: Locality,
}

/// Everything one choice of one request costs, with the shares left open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionCost {
    /// The choice.
    pub choice: Choice,
    /// Time to first token.
    pub ttft_s: Terms,
    /// End-to-end latency.
    pub e2e_s: Terms,
    /// Device energy (compute and radio).
    pub energy_j: Terms,
    /// The request's weighted objective term.
    pub cost: Terms,
    /// Time the device computes.
    pub device_compute_s: f64,
    /// Bytes sent up (prompt activations and, for an inner split, one activation per token).
    pub upload_bytes: f64,
    /// Bytes sent down (token ids).
    pub download_bytes: f64,
    /// Device memory: weights of its part and their KV cache for prompt and output.
    pub device_memory_bytes: f64,
    /// Edge memory for this request's KV cache (weights are shared, see
    /// [`SplitInstance::server_weight_bytes`]).
    pub edge_kv_bytes: f64,
    /// Shares `(bandwidth, compute)` that meet the request's deadlines whatever the other
    /// requests get: for each deadline `fixed + u/β + v/f ≤ D`, the pair of least `β + f`,
    /// `β = √u(√u + √v)/S`, `f = √v(√u + √v)/S` with slack `S = D − fixed`; the larger of the
    /// two deadlines' pairs. Zero without deadlines. Heuristics keep the sums of these floors
    /// within each cell and GPU so that their plans always meet the deadlines.
    pub floors: (f64, f64),
}

impl OptionCost {
    /// Whether `self` is at least as good as `other` in the objective, the deadlines and
    /// every resource, so that `other` can be dropped without losing the optimum.
    fn dominates(&self, other: &OptionCost) -> bool {
        // The objective's fixed part first: a cheap comparison that often fails.
        if self.cost.fixed > other.cost.fixed {
            return false;
        }
        let resources = match (self.choice.tier, other.choice.tier) {
            (Tier::Device, _) => true,
            (_, Tier::Device) => false,
            (a, b) => {
                let same_cell = self.choice.server == other.choice.server;
                let edge_ok = match (a, b) {
                    (Tier::Cloud, _) => true,
                    (Tier::Edge, Tier::Edge) => self.choice.split >= other.choice.split,
                    (Tier::Edge, _) => false,
                    _ => unreachable!("device handled above"),
                };
                same_cell && edge_ok && self.edge_kv_bytes <= other.edge_kv_bytes
            }
        };
        resources
            && self.cost.le(&other.cost)
            && self.ttft_s.le(&other.ttft_s)
            && self.e2e_s.le(&other.e2e_s)
    }
}

/// What the seed of an epoch is combined with (by exclusive or) to seed its locality draws.
pub const LOCALITY_STREAM: u64 = 0x6c6f_6361_6c69_7479;

/// The instance: a scenario, the requests of one epoch, and the objective.
#[derive(Debug, Clone, Serialize)]
pub struct SplitInstance {
    /// The world.
    #[serde(skip)]
    pub scenario: Arc<Scenario>,
    /// The requests.
    pub requests: Vec<SplitRequest>,
    /// What is minimised.
    pub objective: Objective,
    /// Per request, the choices that fit in memory and can meet the deadlines at full shares,
    /// without the dominated ones.
    #[serde(skip)]
    candidates: Vec<Vec<OptionCost>>,
    /// Why some request has no candidate (the instance is then infeasible).
    infeasible: Option<String>,
}

impl SplitInstance {
    /// Builds an instance and the candidate choices of every request.
    pub fn new(
        scenario: Arc<Scenario>,
        requests: Vec<SplitRequest>,
        objective: Objective,
    ) -> Result<SplitInstance, Error> {
        let (per_second, per_joule) = objective.weights();
        if !(per_second.is_finite() && per_joule.is_finite())
            || per_second < 0.0
            || per_joule < 0.0
            || per_second + per_joule <= 0.0
        {
            return Err(Error::Instance(format!(
                "objective weights must be finite, non-negative and not both zero: {objective:?}"
            )));
        }
        for (k, r) in requests.iter().enumerate() {
            let bad = |what: String| {
                Err(Error::Instance(format!(
                    "request {k} (id {}): {what}",
                    r.id
                )))
            };
            if r.device >= scenario.devices.len() {
                return bad(format!("device {} does not exist", r.device));
            }
            if r.model >= scenario.models.len() {
                return bad(format!("model {} does not exist", r.model));
            }
            if r.prompt_tokens == 0 || r.output_tokens == 0 {
                return bad("needs at least one prompt and one output token".into());
            }
            if !(r.weight.is_finite() && r.weight > 0.0) {
                return bad(format!("weight must be positive, got {}", r.weight));
            }
            for d in [r.ttft_deadline_s, r.e2e_deadline_s].into_iter().flatten() {
                if !(d.is_finite() && d > 0.0) {
                    return bad(format!("deadlines must be positive, got {d}"));
                }
            }
            if per_joule > 0.0 && scenario.devices[r.device].node.active_power_w().is_none() {
                return bad(format!(
                    "device `{}` has no power figure, so its energy cannot be planned",
                    scenario.devices[r.device].node.name()
                ));
            }
        }
        let mut instance = SplitInstance {
            scenario,
            requests,
            objective,
            candidates: Vec::new(),
            infeasible: None,
        };
        instance.build_candidates()?;
        Ok(instance)
    }

    /// Builds the instance of one epoch of trace requests: each request is given a distinct
    /// device while there are enough (a seeded shuffle), a model drawn by the scenario's
    /// shares among the models whose context window holds it (see [`draw_model`]), weight 1,
    /// the workload's deadlines, and a locality class drawn with the workload's shares from
    /// a stream of its own ([`LOCALITY_STREAM`]), so that the other draws do not depend on
    /// the shares.
    pub fn from_trace(
        scenario: Arc<Scenario>,
        epoch: &[Request],
        objective: Objective,
        seed: u64,
    ) -> Result<SplitInstance, Error> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut devices: Vec<usize> = (0..scenario.devices.len()).collect();
        devices.shuffle(&mut rng);
        let (ttft, e2e, shares) = scenario
            .workload
            .as_ref()
            .map_or((None, None, Default::default()), |w| {
                (w.ttft_slo_s, w.e2e_slo_s, w.locality)
            });
        let mut classes = StdRng::seed_from_u64(seed ^ LOCALITY_STREAM);
        let requests = epoch
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let draw: f64 = rng.r#gen();
                let (prompt, output) = (r.prompt_tokens.max(1), r.output_tokens.max(1));
                let context = u64::from(prompt) + u64::from(output);
                SplitRequest {
                    id: r.id,
                    device: devices[i % devices.len()],
                    model: draw_model(&scenario.models, context, draw),
                    prompt_tokens: prompt,
                    output_tokens: output,
                    weight: 1.0,
                    ttft_deadline_s: ttft,
                    e2e_deadline_s: e2e,
                    locality: Locality::drawn(&shares, classes.r#gen()),
                }
            })
            .collect();
        SplitInstance::new(scenario, requests, objective)
    }

    /// The first epoch of the scenario's `[workload]`: requests from its trace after `start`,
    /// cut by `window` or `requests`, assigned to devices and models with its seed.
    pub fn from_scenario(
        scenario: Arc<Scenario>,
        objective: Objective,
    ) -> Result<SplitInstance, Error> {
        let workload = scenario.workload.clone().ok_or_else(|| {
            Error::Instance(format!(
                "scenario `{}` has no [workload] section",
                scenario.name
            ))
        })?;
        let rule = match (workload.window_s, workload.requests) {
            (Some(seconds), _) => EpochRule::Window { seconds },
            (None, Some(n)) => EpochRule::Count {
                requests: n as usize,
            },
            (None, None) => EpochRule::Count { requests: 1 },
        };
        let start = workload.start_s;
        let stream = TraceReader::open(&workload.trace)?
            .filter(move |r| r.as_ref().map_or(true, |r| r.arrival_s >= start));
        let epoch = Epochs::new(stream, rule)?
            .next()
            .transpose()?
            .ok_or_else(|| {
                Error::Instance(format!(
                    "{}: no request arrives after {start} s",
                    workload.trace
                ))
            })?;
        SplitInstance::from_trace(scenario, &epoch.requests, objective, workload.seed)
    }

    /// Number of blocks of request `k`'s model.
    pub fn layers(&self, k: usize) -> u32 {
        self.scenario.models[self.requests[k].model]
            .architecture
            .layers
    }

    /// The candidate choices of request `k` (feasible on their own, not dominated).
    pub fn candidates(&self, k: usize) -> &[OptionCost] {
        &self.candidates[k]
    }

    /// Why the instance is infeasible, when some request has no candidate.
    pub fn infeasibility(&self) -> Option<&str> {
        self.infeasible.as_deref()
    }

    /// Number of edge servers.
    pub fn edge_count(&self) -> usize {
        self.scenario.edge_servers.len()
    }

    /// Edge server memory.
    pub fn edge_memory_bytes(&self, e: usize) -> f64 {
        self.scenario.edge_servers[e].node.profile.memory_bytes
    }

    /// Bytes of model `model`'s weights an edge server holds to serve split `split` (the
    /// server part: blocks after the split and the head; everything for `split = 0`). Requests
    /// of one model on one server share one copy, so the server holds the part of the
    /// smallest split it serves.
    pub fn server_weight_bytes(&self, model: usize, split: u32) -> f64 {
        let m = &self.scenario.models[model];
        m.on_server
            .weight_bytes(Part::server(split, m.architecture.layers))
    }

    /// The cost of `choice` for request `k`, computed from the scenario and the cost model;
    /// an error says why the choice is not a valid choice for this request.
    pub fn option_cost(&self, k: usize, choice: Choice) -> Result<OptionCost, String> {
        self.priced(&PhaseCache::new(self, k), choice)
    }

    /// Every choice of request `k` its locality allows: device-only, and each split with the
    /// rest on each covering edge server or in the cloud through its cell. A loaded cloud (one
    /// with a background batch) serves whole requests only: a provider's serving pool takes
    /// prompts, not a model's hidden states.
    pub fn all_choices(&self, k: usize) -> Vec<Choice> {
        let layers = self.layers(k);
        let locality = self.requests[k].locality;
        let cloud_splits = if self.scenario.cloud.background.is_some() {
            1
        } else {
            layers
        };
        let device = &self.scenario.devices[self.requests[k].device];
        let mut choices = Vec::with_capacity(1 + 2 * device.covered_by.len() * layers as usize);
        choices.push(Choice::device_only(layers));
        for &e in &device.covered_by {
            for s in 0..layers {
                choices.push(Choice::edge(e, s));
                if s < cloud_splits {
                    choices.push(Choice::cloud(e, s));
                }
            }
        }
        choices.retain(|c| locality.allows(c.tier));
        choices
    }

    /// Why request `k` does not fit its model's context window (prompt and output tokens
    /// together), if so: no tier can serve it.
    pub fn context_window_excess(&self, k: usize) -> Option<String> {
        let r = &self.requests[k];
        let architecture = &self.scenario.models[r.model].architecture;
        let context = r.prompt_tokens as u64 + r.output_tokens as u64;
        (context > architecture.max_position_embeddings).then(|| {
            format!(
                "context window: {} prompt and {} output tokens exceed the {} tokens of context `{}` was trained for",
                r.prompt_tokens,
                r.output_tokens,
                architecture.max_position_embeddings,
                architecture.name
            )
        })
    }

    /// Why request `k`'s locality class forbids `choice`, if so.
    pub fn locality_breach(&self, k: usize, choice: Choice) -> Option<String> {
        let locality = self.requests[k].locality;
        (!locality.allows(choice.tier)).then(|| {
            format!(
                "locality: a request of class `{}` may not be served by the {}",
                locality.name(),
                choice.tier.name()
            )
        })
    }

    /// Bytes a cloud GPU holds to serve request `k` by `choice`: the server part's weights, the
    /// request's KV cache and the background batch's (each cloud request has a GPU of its own
    /// beside the background); 0 off the cloud.
    pub fn cloud_memory_bytes(&self, k: usize, choice: Choice) -> f64 {
        if choice.tier != Tier::Cloud {
            return 0.0;
        }
        let r = &self.requests[k];
        let model = &self.scenario.models[r.model];
        let part = Part::server(choice.split, model.architecture.layers);
        let own = (r.prompt_tokens as u64 + r.output_tokens as u64) as f64;
        let background = self
            .scenario
            .cloud
            .background
            .map_or(0.0, |b| (b.sequences * b.context_tokens) as f64);
        self.server_weight_bytes(r.model, choice.split)
            + model.on_server.kv_bytes_per_token(part) * (own + background)
    }

    /// Why `option` cannot be used by request `k` whatever the other requests do, if so.
    pub(super) fn alone_infeasibility(&self, k: usize, option: &OptionCost) -> Option<String> {
        let r = &self.requests[k];
        let device = &self.scenario.devices[r.device];
        if let Some(why) = self.locality_breach(k, option.choice) {
            return Some(why);
        }
        if let Some(why) = self.context_window_excess(k) {
            return Some(why);
        }
        let cloud_need = self.cloud_memory_bytes(k, option.choice);
        let cloud_memory = self.scenario.cloud.node.profile.memory_bytes;
        if cloud_need > cloud_memory {
            return Some(format!(
                "cloud memory: needs {:.2} GB of {:.2} GB",
                cloud_need / 1e9,
                cloud_memory / 1e9
            ));
        }
        if option.device_memory_bytes > device.node.profile.memory_bytes {
            return Some(format!(
                "device memory: needs {:.2} GB of {:.2} GB",
                option.device_memory_bytes / 1e9,
                device.node.profile.memory_bytes / 1e9
            ));
        }
        if let (Tier::Edge, Some(e)) = (option.choice.tier, option.choice.server) {
            let need =
                self.server_weight_bytes(r.model, option.choice.split) + option.edge_kv_bytes;
            if need > self.edge_memory_bytes(e) {
                return Some(format!(
                    "edge memory of `{}`: needs {:.2} GB of {:.2} GB",
                    self.scenario.edge_servers[e].name,
                    need / 1e9,
                    self.edge_memory_bytes(e) / 1e9
                ));
            }
        }
        let full = |t: &Terms| t.at(1.0, 1.0);
        if let Some(d) = r.ttft_deadline_s {
            if full(&option.ttft_s) > d {
                return Some(format!(
                    "TTFT deadline: {:.3} s even with the whole cell and GPU, deadline {d} s",
                    full(&option.ttft_s)
                ));
            }
        }
        if let Some(d) = r.e2e_deadline_s {
            if full(&option.e2e_s) > d {
                return Some(format!(
                    "end-to-end deadline: {:.3} s even with the whole cell and GPU, deadline {d} s",
                    full(&option.e2e_s)
                ));
            }
        }
        None
    }

    fn build_candidates(&mut self) -> Result<(), Error> {
        let mut candidates = Vec::with_capacity(self.requests.len());
        let mut infeasible = None;
        for k in 0..self.requests.len() {
            let mut kept = Vec::new();
            let mut reasons: Vec<String> = Vec::new();
            let phases = PhaseCache::new(self, k);
            for choice in self.all_choices(k) {
                let option = match self.priced(&phases, choice) {
                    Ok(o) => o,
                    Err(why) => {
                        reasons.push(format!("{choice}: {why}"));
                        continue;
                    }
                };
                match self.alone_infeasibility(k, &option) {
                    Some(why) => reasons.push(format!("{choice}: {why}")),
                    None => keep_undominated(&mut kept, option),
                }
            }
            if kept.is_empty() && infeasible.is_none() {
                let r = &self.requests[k];
                reasons.dedup_by(|a, b| a.split(": ").nth(1) == b.split(": ").nth(1));
                infeasible = Some(format!(
                    "request {k} (id {}, {}, {} prompt and {} output tokens, device `{}`{}) has no feasible choice; {}",
                    r.id,
                    self.scenario.models[r.model].architecture.name,
                    r.prompt_tokens,
                    r.output_tokens,
                    self.scenario.devices[r.device].name,
                    match r.locality {
                        Locality::Anywhere => String::new(),
                        class => format!(", locality `{}`", class.name()),
                    },
                    reasons.into_iter().take(4).collect::<Vec<_>>().join("; ")
                ));
            }
            candidates.push(kept);
        }
        self.candidates = candidates;
        self.infeasible = infeasible;
        Ok(())
    }
}

/// The model of a request of `context` tokens (prompt and output) for a uniform `draw` in
/// `[0, 1)`: by the shares of the models whose context window holds it, so that a long request
/// goes to a long-context model as a serving system would route it; by every model's share
/// when none holds it (the request then has no choice, and the instance says so).
pub fn draw_model(models: &[ServedModel], context: u64, draw: f64) -> usize {
    let pool: Vec<usize> = (0..models.len())
        .filter(|&m| context <= models[m].architecture.max_position_embeddings)
        .collect();
    let (pool, total) = if pool.is_empty() || pool.len() == models.len() {
        // The plain shares, so that the draw does not depend on how they sum.
        ((0..models.len()).collect(), 1.0)
    } else {
        let total = pool.iter().map(|&m| models[m].share).sum();
        (pool, total)
    };
    let mut acc = 0.0;
    pool.iter()
        .copied()
        .find(|&m| {
            acc += models[m].share / total;
            draw < acc
        })
        .or_else(|| pool.last().copied())
        .unwrap_or(0)
}

/// Adds `option` to `kept`, the options so far that no other one dominates (of options that
/// dominate each other, the first): it is dropped if a kept option dominates it, else it
/// drops the kept options it dominates. Dominance is a preorder (reflexive and transitive),
/// so an option dominated by any earlier option is dominated by a kept one, and each option
/// is compared with the kept ones only: `O(n·kept)` rather than `O(n²)` for `n` options.
fn keep_undominated(kept: &mut Vec<OptionCost>, option: OptionCost) {
    if kept.iter().any(|k| k.dominates(&option)) {
        return;
    }
    // No kept option dominates it, so it strictly dominates those it dominates.
    kept.retain(|k| !option.dominates(k));
    kept.push(option);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    /// The definition: an option is dropped when another dominates it and it does not dominate
    /// that one back, or when an earlier one dominates it both ways.
    fn pairwise(options: &[OptionCost]) -> Vec<OptionCost> {
        options
            .iter()
            .enumerate()
            .filter(|(i, o)| {
                !options
                    .iter()
                    .enumerate()
                    .any(|(j, p)| j != *i && p.dominates(o) && (!o.dominates(p) || j < *i))
            })
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// An option of `choice` with the given terms (ties are likely: few distinct values).
    fn option(choice: Choice, terms: [u8; 3], kv: u8) -> OptionCost {
        let t = Terms {
            fixed: terms[0] as f64,
            upload: terms[1] as f64,
            edge: terms[2] as f64,
        };
        OptionCost {
            choice,
            ttft_s: t,
            e2e_s: t,
            energy_j: t,
            cost: t,
            device_compute_s: 0.0,
            upload_bytes: 0.0,
            download_bytes: 0.0,
            device_memory_bytes: 0.0,
            edge_kv_bytes: kv as f64,
            floors: (0.0, 0.0),
        }
    }

    fn choice() -> impl Strategy<Value = Choice> {
        prop_oneof![
            Just(Choice::device_only(4)),
            (0..2usize, 0..4u32).prop_map(|(e, s)| Choice::edge(e, s)),
            (0..2usize, 0..4u32).prop_map(|(e, s)| Choice::cloud(e, s)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(2026),
            ..ProptestConfig::default()
        })]

        /// Comparing with the kept options only keeps exactly what the pairwise definition
        /// keeps, in the same order, ties included.
        #[test]
        fn keeping_the_undominated_equals_the_pairwise_definition(
            drawn in prop::collection::vec((choice(), [0..3u8, 0..3u8, 0..3u8], 0..2u8), 0..24)
        ) {
            let options: Vec<OptionCost> =
                drawn.into_iter().map(|(c, t, kv)| option(c, t, kv)).collect();
            let mut kept = Vec::new();
            for option in options.iter().cloned() {
                keep_undominated(&mut kept, option);
            }
            prop_assert_eq!(kept, pairwise(&options));
        }
    }

    #[test]
    fn the_candidates_of_a_scenario_are_the_pairwise_undominated_choices() {
        let scenario = Scenario::from_path(std::path::Path::new("scenarios/small.toml")).unwrap();
        let instance =
            SplitInstance::from_scenario(Arc::new(scenario), Objective::Latency).unwrap();
        for k in 0..instance.requests.len() {
            let all: Vec<OptionCost> = instance
                .all_choices(k)
                .into_iter()
                .filter_map(|c| instance.option_cost(k, c).ok())
                .filter(|o| instance.alone_infeasibility(k, o).is_none())
                .collect();
            let kept = instance.candidates(k);
            assert!(!kept.is_empty() && kept.len() < all.len());
            assert_eq!(kept, pairwise(&all).as_slice());
        }
    }
}
