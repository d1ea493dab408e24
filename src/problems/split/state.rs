//! The aggregate state of a partial or complete plan, updated one request at a time.
//!
//! With the shares at their closed-form optimum, the plan's objective is
//! `Σ fixed + Σ_cells (Σ √a)² + Σ_GPUs (Σ √g)²`, so moving one request changes at most two
//! cells and two GPUs and its effect is computed in constant time. Memory (each model's server
//! part held once per server, plus every request's KV cache) and the deadline floors
//! ([`OptionCost::floors`]) are tracked so that every move keeps the plan feasible.

use super::choice::Tier;
use super::instance::{OptionCost, SplitInstance};

/// A plan under construction.
#[derive(Clone)]
pub(crate) struct State<'a> {
    instance: &'a SplitInstance,
    /// Candidate index of each request's choice, if assigned.
    pub picks: Vec<Option<usize>>,
    /// What the requests placed so far use of each edge server.
    edges: Vec<EdgeLoad>,
    fixed: f64,
    /// Requests per (edge, model, split) served at the edge, at
    /// `(edge · models + model) · stride + split`.
    splits: Vec<u32>,
    /// Splits per (edge, model) in `splits`: the largest block count plus one.
    stride: usize,
}

/// The load of one edge server (its cell and its GPU).
#[derive(Clone, Copy, Default)]
struct EdgeLoad {
    /// Σ √(cost.upload) over the cell.
    root_upload: f64,
    /// Σ √(cost.edge) over the GPU.
    root_edge: f64,
    /// KV cache of the requests its GPU serves.
    kv_bytes: f64,
    /// Weights it holds: per model, the server part of the smallest split it serves.
    weight_bytes: f64,
    /// Σ of the bandwidth floors ([`OptionCost::floors`]) over the cell.
    floor_bandwidth: f64,
    /// Σ of the compute floors over the GPU.
    floor_compute: f64,
}

/// Slack on the floor sums, against round-off.
const FLOOR_SLACK: f64 = 1e-9;

impl<'a> State<'a> {
    /// No request assigned.
    pub fn new(instance: &'a SplitInstance) -> State<'a> {
        let edges = instance.edge_count();
        let models = &instance.scenario.models;
        let stride = models
            .iter()
            .map(|m| m.architecture.layers as usize + 1)
            .max()
            .unwrap_or(1);
        State {
            instance,
            picks: vec![None; instance.requests.len()],
            edges: vec![EdgeLoad::default(); edges],
            fixed: 0.0,
            splits: vec![0; edges * models.len() * stride],
            stride,
        }
    }

    /// Requests of `model` per split served at edge server `e`.
    fn counts(&self, e: usize, model: usize) -> &[u32] {
        let at = (e * self.instance.scenario.models.len() + model) * self.stride;
        &self.splits[at..at + self.stride]
    }

    /// The candidate `i` of request `k`.
    pub fn option(&self, k: usize, i: usize) -> &'a OptionCost {
        &self.instance.candidates(k)[i]
    }

    /// Number of edge servers (cells and GPUs).
    pub fn server_count(&self) -> usize {
        self.instance.edge_count()
    }

    /// Number of candidates of request `k`.
    pub fn candidate_count(&self, k: usize) -> usize {
        self.instance.candidates(k).len()
    }

    /// The chosen options (every request must be assigned).
    pub fn options(&self) -> Vec<&'a OptionCost> {
        self.picks
            .iter()
            .enumerate()
            .map(|(k, p)| self.option(k, p.expect("every request is assigned")))
            .collect()
    }

    /// Objective with closed-form shares (the deadline floors aside).
    pub fn objective(&self) -> f64 {
        self.fixed
            + self
                .edges
                .iter()
                .map(|l| l.root_upload * l.root_upload)
                .sum::<f64>()
            + self
                .edges
                .iter()
                .map(|l| l.root_edge * l.root_edge)
                .sum::<f64>()
    }

    /// On edge server `e`: the closed-form uplink term `(Σ √a)²` of its cell, the compute term
    /// `(Σ √g)²` of its GPU (both in objective units) and the bytes of weights and KV cache it
    /// holds.
    pub fn edge_load(&self, e: usize) -> (f64, f64, f64) {
        let l = &self.edges[e];
        (
            l.root_upload * l.root_upload,
            l.root_edge * l.root_edge,
            l.weight_bytes + l.kv_bytes,
        )
    }

    /// Weight bytes of model `model` held by `edge` if its smallest served split is `split`.
    fn held(&self, model: usize, split: Option<usize>) -> f64 {
        split.map_or(0.0, |s| self.instance.server_weight_bytes(model, s as u32))
    }

    fn smallest(counts: &[u32]) -> Option<usize> {
        counts.iter().position(|&c| c > 0)
    }

    /// Change of objective if request `k` switches to candidate `i`, or `None` when the switch
    /// breaks edge memory or the deadline floors.
    pub fn delta(&self, k: usize, i: usize) -> Option<f64> {
        let new = self.option(k, i);
        let old = self.picks[k].map(|j| self.option(k, j));
        if let Some(old) = old {
            if std::ptr::eq(old, new) {
                return Some(0.0);
            }
        }
        if !self.fits(k, old, new) {
            return None;
        }
        Some(self.objective_change(old, new))
    }

    /// Whether request `k` moving from `old` to `new` keeps the deadline floors and the edge
    /// memory of the server where `new` lands.
    fn fits(&self, k: usize, old: Option<&OptionCost>, new: &OptionCost) -> bool {
        let Some(e) = new
            .choice
            .server
            .filter(|_| new.choice.tier != Tier::Device)
        else {
            return true;
        };
        let leaving_same_cell = old.is_some_and(|o| o.choice.uses_cell(e));
        let old_floor_b = if leaving_same_cell {
            old.map_or(0.0, |o| o.floors.0)
        } else {
            0.0
        };
        let load = &self.edges[e];
        if load.floor_bandwidth - old_floor_b + new.floors.0 > 1.0 + FLOOR_SLACK {
            return false;
        }
        if new.choice.tier != Tier::Edge {
            return true;
        }
        let leaving = old.filter(|o| o.choice.uses_edge_compute(e));
        let old_floor_f = leaving.map_or(0.0, |o| o.floors.1);
        if load.floor_compute - old_floor_f + new.floors.1 > 1.0 + FLOOR_SLACK {
            return false;
        }
        let model = self.instance.requests[k].model;
        let counts = self.counts(e, model);
        let before = Self::smallest(counts);
        let leaving_split = leaving.map(|o| o.choice.split as usize);
        let new_split = new.choice.split as usize;
        let after = counts.iter().enumerate().position(|(s, &c)| {
            c - (leaving_split == Some(s)) as u32 + (new_split == s) as u32 > 0
        });
        let weights = load.weight_bytes - self.held(model, before) + self.held(model, after);
        let kv = load.kv_bytes - leaving.map_or(0.0, |o| o.edge_kv_bytes) + new.edge_kv_bytes;
        weights + kv <= self.instance.edge_memory_bytes(e)
    }

    /// The change of objective from `old` to `new`: the fixed part, and the closed-form terms
    /// of at most two cells and two GPUs.
    fn objective_change(&self, old: Option<&OptionCost>, new: &OptionCost) -> f64 {
        let mut delta = new.cost.fixed - old.map_or(0.0, |o| o.cost.fixed);
        let mut cells: [(usize, f64); 2] = [(usize::MAX, 0.0); 2];
        let mut gpus: [(usize, f64); 2] = [(usize::MAX, 0.0); 2];
        let touch = |slots: &mut [(usize, f64); 2], e: usize, change: f64| {
            if let Some(slot) = slots.iter_mut().find(|s| s.0 == e) {
                slot.1 += change;
            } else if let Some(slot) = slots.iter_mut().find(|s| s.0 == usize::MAX) {
                *slot = (e, change);
            }
        };
        for (o, sign) in old.map(|o| (o, -1.0)).into_iter().chain([(new, 1.0)]) {
            if let Some(e) = o.choice.server.filter(|_| o.choice.tier != Tier::Device) {
                touch(&mut cells, e, sign * o.cost.upload.sqrt());
                if o.choice.tier == Tier::Edge {
                    touch(&mut gpus, e, sign * o.cost.edge.sqrt());
                }
            }
        }
        for &(e, change) in cells.iter().filter(|s| s.0 != usize::MAX) {
            let p = self.edges[e].root_upload;
            delta += (p + change).powi(2) - p * p;
        }
        for &(e, change) in gpus.iter().filter(|s| s.0 != usize::MAX) {
            let q = self.edges[e].root_edge;
            delta += (q + change).powi(2) - q * q;
        }
        delta
    }

    /// Switches request `k` to candidate `i` (feasibility is the caller's concern: check
    /// [`State::delta`] first).
    pub fn apply(&mut self, k: usize, i: usize) {
        let model = self.instance.requests[k].model;
        if let Some(j) = self.picks[k] {
            let old = self.option(k, j);
            self.account(old, model, -1.0);
        }
        let new = self.option(k, i);
        self.account(new, model, 1.0);
        self.picks[k] = Some(i);
    }

    fn account(&mut self, o: &OptionCost, model: usize, sign: f64) {
        self.fixed += sign * o.cost.fixed;
        let Some(e) = o.choice.server.filter(|_| o.choice.tier != Tier::Device) else {
            return;
        };
        let load = &mut self.edges[e];
        load.root_upload += sign * o.cost.upload.sqrt();
        load.floor_bandwidth += sign * o.floors.0;
        if o.choice.tier == Tier::Edge {
            load.root_edge += sign * o.cost.edge.sqrt();
            load.floor_compute += sign * o.floors.1;
            load.kv_bytes += sign * o.edge_kv_bytes;
            let before = Self::smallest(self.counts(e, model));
            let at = (e * self.instance.scenario.models.len() + model) * self.stride;
            let count = &mut self.splits[at + o.choice.split as usize];
            if sign > 0.0 {
                *count += 1;
            } else {
                *count -= 1;
            }
            let after = Self::smallest(self.counts(e, model));
            self.edges[e].weight_bytes += self.held(model, after) - self.held(model, before);
        }
    }
}
