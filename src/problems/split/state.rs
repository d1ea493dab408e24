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
    /// Σ √(cost.upload) per cell.
    roots_upload: Vec<f64>,
    /// Σ √(cost.edge) per edge GPU.
    roots_edge: Vec<f64>,
    fixed: f64,
    kv: Vec<f64>,
    /// Requests per (edge, model, split) served at the edge.
    splits: Vec<Vec<Vec<u32>>>,
    weight_bytes: Vec<f64>,
    floor_bandwidth: Vec<f64>,
    floor_compute: Vec<f64>,
}

/// Slack on the floor sums, against round-off.
const FLOOR_SLACK: f64 = 1e-9;

impl<'a> State<'a> {
    /// No request assigned.
    pub fn new(instance: &'a SplitInstance) -> State<'a> {
        let edges = instance.edge_count();
        let splits = (0..edges)
            .map(|_| {
                instance
                    .scenario
                    .models
                    .iter()
                    .map(|m| vec![0; m.architecture.layers as usize + 1])
                    .collect()
            })
            .collect();
        State {
            instance,
            picks: vec![None; instance.requests.len()],
            roots_upload: vec![0.0; edges],
            roots_edge: vec![0.0; edges],
            fixed: 0.0,
            kv: vec![0.0; edges],
            splits,
            weight_bytes: vec![0.0; edges],
            floor_bandwidth: vec![0.0; edges],
            floor_compute: vec![0.0; edges],
        }
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
            + self.roots_upload.iter().map(|p| p * p).sum::<f64>()
            + self.roots_edge.iter().map(|q| q * q).sum::<f64>()
    }

    /// On edge server `e`: the closed-form uplink term `(Σ √a)²` of its cell, the compute term
    /// `(Σ √g)²` of its GPU (both in objective units) and the bytes of weights and KV cache it
    /// holds.
    pub fn edge_load(&self, e: usize) -> (f64, f64, f64) {
        (
            self.roots_upload[e] * self.roots_upload[e],
            self.roots_edge[e] * self.roots_edge[e],
            self.weight_bytes[e] + self.kv[e],
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
        let model = self.instance.requests[k].model;
        // Edge memory and floors where the new choice lands.
        if let Some(e) = new
            .choice
            .server
            .filter(|_| new.choice.tier != Tier::Device)
        {
            let leaving_same_cell = old.is_some_and(|o| o.choice.uses_cell(e));
            let old_floor_b = if leaving_same_cell {
                old.map_or(0.0, |o| o.floors.0)
            } else {
                0.0
            };
            if self.floor_bandwidth[e] - old_floor_b + new.floors.0 > 1.0 + FLOOR_SLACK {
                return None;
            }
            if new.choice.tier == Tier::Edge {
                let leaving = old.filter(|o| o.choice.uses_edge_compute(e));
                let old_floor_f = leaving.map_or(0.0, |o| o.floors.1);
                if self.floor_compute[e] - old_floor_f + new.floors.1 > 1.0 + FLOOR_SLACK {
                    return None;
                }
                let counts = &self.splits[e][model];
                let before = Self::smallest(counts);
                let leaving_split = leaving.map(|o| o.choice.split as usize);
                let new_split = new.choice.split as usize;
                let after = counts.iter().enumerate().position(|(s, &c)| {
                    c - (leaving_split == Some(s)) as u32 + (new_split == s) as u32 > 0
                });
                let weights =
                    self.weight_bytes[e] - self.held(model, before) + self.held(model, after);
                let kv = self.kv[e] - leaving.map_or(0.0, |o| o.edge_kv_bytes) + new.edge_kv_bytes;
                if weights + kv > self.instance.edge_memory_bytes(e) {
                    return None;
                }
            }
        }
        // Objective: the fixed part and at most two cells and two GPUs change.
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
        if let Some(o) = old {
            if let Some(e) = o.choice.server.filter(|_| o.choice.tier != Tier::Device) {
                touch(&mut cells, e, -o.cost.upload.sqrt());
                if o.choice.tier == Tier::Edge {
                    touch(&mut gpus, e, -o.cost.edge.sqrt());
                }
            }
        }
        if let Some(e) = new
            .choice
            .server
            .filter(|_| new.choice.tier != Tier::Device)
        {
            touch(&mut cells, e, new.cost.upload.sqrt());
            if new.choice.tier == Tier::Edge {
                touch(&mut gpus, e, new.cost.edge.sqrt());
            }
        }
        for &(e, change) in cells.iter().filter(|s| s.0 != usize::MAX) {
            let p = self.roots_upload[e];
            delta += (p + change).powi(2) - p * p;
        }
        for &(e, change) in gpus.iter().filter(|s| s.0 != usize::MAX) {
            let q = self.roots_edge[e];
            delta += (q + change).powi(2) - q * q;
        }
        Some(delta)
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
        self.roots_upload[e] += sign * o.cost.upload.sqrt();
        self.floor_bandwidth[e] += sign * o.floors.0;
        if o.choice.tier == Tier::Edge {
            self.roots_edge[e] += sign * o.cost.edge.sqrt();
            self.floor_compute[e] += sign * o.floors.1;
            self.kv[e] += sign * o.edge_kv_bytes;
            let before = Self::smallest(&self.splits[e][model]);
            let count = &mut self.splits[e][model][o.choice.split as usize];
            if sign > 0.0 {
                *count += 1;
            } else {
                *count -= 1;
            }
            let after = Self::smallest(&self.splits[e][model]);
            self.weight_bytes[e] += self.held(model, after) - self.held(model, before);
        }
    }
}
