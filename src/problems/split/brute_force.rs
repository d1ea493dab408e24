//! An independent exact oracle: every combination of every request's choices, with the shares
//! of each combination at their optimum ([`allocate`]) and the plan judged by
//! [`Problem::evaluate`].
//!
//! It deliberately ignores the instance's pruned candidate lists (dominance, alone
//! feasibility): it starts again from [`SplitInstance::all_choices`] and keeps every choice the
//! cost model can price, so that a mistake in the pruning, in the MILP of
//! [`super::Exact`] or in a heuristic's bookkeeping shows up as a disagreement. Two shortcuts,
//! both exact, keep it fast enough for tests:
//!
//! - a choice that breaks a constraint [`Problem::evaluate`] checks whatever the shares are
//!   (device memory, its server part and KV cache alone above the edge server's memory, or a
//!   deadline missed even with the whole cell and GPU) is left out of every combination, and
//! - a combination is not allocated when a lower bound on its objective is no better than the
//!   best plan found: with `Σ β ≤ 1` per cell, `Σ_k a_k / β_k ≥ (Σ_k √a_k)²`, and likewise per
//!   edge GPU, so the objective is at least `Σ fixed + Σ_cells (Σ √a)² + Σ_GPUs (Σ √g)²`
//!   whatever the shares and the deadlines.
//!
//! The result is therefore the best plan over all combinations (with ties, the first in
//! enumeration order), and its objective is a proven bound, as far as [`allocate`] is exact
//! for each combination. When no combination is feasible the instance is reported
//! infeasible, unless the cone solver failed on some combination, which proves nothing: the
//! status is then `NotFound`.

use super::allocation::allocate;
use super::choice::Choice;
use super::choice::Tier;
use super::decision::SplitDecision;
use super::evaluate::TOLERANCE;
use super::instance::{OptionCost, SplitInstance};
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use std::time::Instant;

/// Exhaustive search over every combination of every request's choices
/// ([`SplitInstance::all_choices`]), shares at their optimum for each; exact by construction,
/// and refused ([`SolveError::Unsupported`]) when the number of combinations exceeds
/// `max_combinations`. Meant as a test oracle for small instances.
///
/// Deterministic (the seed and thread count are not used). Honours the budget's time limit:
/// stopped early, it returns `TimeLimit` with the best plan so far and no bound. Its
/// statistics count in `nodes` the combinations allocated and judged, and in `iterations`
/// those and the subtrees cut by the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BruteForce {
    /// Largest product of the requests' choice counts the solver accepts.
    pub max_combinations: u64,
}

impl Default for BruteForce {
    fn default() -> Self {
        BruteForce {
            max_combinations: 2_000_000,
        }
    }
}

/// How much of the time budget may pass between two checks of the clock (in combinations).
const CLOCK_EVERY: u64 = 256;

/// The search state shared by the recursion.
struct Search<'a> {
    instance: &'a SplitInstance,
    /// Per request, the choices that can be part of a feasible plan, cheapest alone first.
    options: Vec<Vec<OptionCost>>,
    /// `rest[k]`: a lower bound on what requests `k..` add to the objective.
    rest: Vec<f64>,
    /// The choice of each request on the current path.
    path: Vec<usize>,
    /// Σ √(cost.upload) per cell and Σ √(cost.edge) per edge GPU on the current path.
    roots_upload: Vec<f64>,
    roots_edge: Vec<f64>,
    best: Option<(f64, SplitDecision)>,
    /// Combinations allocated and judged.
    judged: u64,
    /// Subtrees cut by the bound.
    pruned: u64,
    /// Why the first judged combination failed (for the infeasibility reason).
    first_failure: Option<String>,
    /// A combination whose shares the cone solver could not settle (no proof either way).
    unsettled: Option<String>,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl Search<'_> {
    /// The bound on every plan that completes the current path from request `k` on, given
    /// the fixed costs `fixed` of the path.
    fn bound(&self, k: usize, fixed: f64) -> f64 {
        fixed
            + self.roots_upload.iter().map(|p| p * p).sum::<f64>()
            + self.roots_edge.iter().map(|q| q * q).sum::<f64>()
            + self.rest[k]
    }

    fn visit(&mut self, k: usize, fixed: f64) {
        if self.timed_out {
            return;
        }
        if let Some((best, _)) = &self.best {
            // Keep the plan found first among equals: only a strictly better bound goes on.
            if self.bound(k, fixed) * (1.0 - 1e-12) >= *best {
                self.pruned += 1;
                return;
            }
        }
        if k == self.options.len() {
            self.judge();
            return;
        }
        for i in 0..self.options[k].len() {
            let (cost, choice) = {
                let o = &self.options[k][i];
                (o.cost, o.choice)
            };
            let cell = choice.server.filter(|_| choice.tier != Tier::Device);
            let gpu = cell.filter(|_| choice.tier == Tier::Edge);
            if let Some(e) = cell {
                self.roots_upload[e] += cost.upload.sqrt();
            }
            if let Some(e) = gpu {
                self.roots_edge[e] += cost.edge.sqrt();
            }
            self.path[k] = i;
            self.visit(k + 1, fixed + cost.fixed);
            if let Some(e) = cell {
                self.roots_upload[e] -= cost.upload.sqrt();
            }
            if let Some(e) = gpu {
                self.roots_edge[e] -= cost.edge.sqrt();
            }
            if self.timed_out {
                return;
            }
        }
    }

    /// Allocates and judges the combination on the current path.
    fn judge(&mut self) {
        self.judged += 1;
        if self.judged % CLOCK_EVERY == 0 && self.deadline.is_some_and(|t| Instant::now() >= t) {
            self.timed_out = true;
        }
        let chosen: Vec<&OptionCost> = self
            .path
            .iter()
            .enumerate()
            .map(|(k, &i)| &self.options[k][i])
            .collect();
        let allocated = match allocate(self.instance, &chosen) {
            Ok(a) => a,
            Err(why) => {
                // Clarabel failing to converge proves nothing about the combination.
                if why.contains("Clarabel") && !why.contains("cannot all be met") {
                    self.unsettled.get_or_insert(why.clone());
                }
                self.first_failure.get_or_insert(why);
                return;
            }
        };
        let evaluation = self.instance.evaluate(&allocated.decision);
        if let Some(v) = evaluation.violations.first() {
            self.first_failure
                .get_or_insert_with(|| format!("{}: {}", v.constraint, v.subject));
            return;
        }
        if self
            .best
            .as_ref()
            .is_none_or(|(best, _)| evaluation.objective < *best)
        {
            self.best = Some((evaluation.objective, allocated.decision));
        }
    }
}

/// Why `option` breaks a constraint that [`Problem::evaluate`] checks whatever the shares
/// and the other requests' choices are, if it does (with evaluate's tolerances, and shares
/// taken at their largest accepted value `1 + TOLERANCE`).
fn broken_alone(instance: &SplitInstance, k: usize, option: &OptionCost) -> Option<String> {
    let r = &instance.requests[k];
    if let Some(why) = instance.context_window_excess(k) {
        return Some(why);
    }
    let cloud = instance.scenario.cloud.node.profile.memory_bytes;
    let cloud_need = instance.cloud_memory_bytes(k, option.choice);
    if cloud_need - cloud > TOLERANCE * cloud {
        return Some(format!(
            "cloud memory: needs {:.3} GB of {:.3} GB",
            cloud_need / 1e9,
            cloud / 1e9
        ));
    }
    let device = &instance.scenario.devices[r.device];
    let memory = device.node.profile.memory_bytes;
    if option.device_memory_bytes - memory > TOLERANCE * memory {
        return Some(format!(
            "device memory of `{}`: needs {:.3} GB of {:.3} GB",
            device.name,
            option.device_memory_bytes / 1e9,
            memory / 1e9
        ));
    }
    if let (Tier::Edge, Some(e)) = (option.choice.tier, option.choice.server) {
        // The server holds at least this model's part from this split on.
        let need =
            instance.server_weight_bytes(r.model, option.choice.split) + option.edge_kv_bytes;
        let capacity = instance.edge_memory_bytes(e);
        if need > capacity * (1.0 + TOLERANCE) {
            return Some(format!(
                "edge memory of `{}`: needs {:.3} GB of {:.3} GB",
                instance.scenario.edge_servers[e].name,
                need / 1e9,
                capacity / 1e9
            ));
        }
    }
    let most = 1.0 + TOLERANCE;
    let limits = [
        (
            "TTFT deadline",
            option.ttft_s.at(most, most),
            r.ttft_deadline_s,
        ),
        (
            "end-to-end deadline",
            option.e2e_s.at(most, most),
            r.e2e_deadline_s,
        ),
    ];
    for (name, fastest, deadline) in limits {
        if let Some(d) = deadline {
            if fastest.is_nan() || fastest > d * (1.0 + TOLERANCE) {
                return Some(format!(
                    "{name}: {fastest:.4} s even with the whole cell and GPU, deadline {d} s"
                ));
            }
        }
    }
    None
}

impl Solver<SplitInstance> for BruteForce {
    fn name(&self) -> &str {
        "brute-force"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn search(
        &self,
        instance: &SplitInstance,
        budget: &Budget,
    ) -> Result<Found<SplitDecision>, SolveError> {
        let started = Instant::now();
        let requests = instance.requests.len();
        let choices: Vec<_> = (0..requests).map(|k| instance.all_choices(k)).collect();
        let count = choices
            .iter()
            .try_fold(1u64, |acc, c| acc.checked_mul(c.len() as u64));
        match count {
            Some(n) if n <= self.max_combinations => {}
            _ => {
                let shown = count.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string());
                return Err(SolveError::Unsupported {
                    solver: self.name().into(),
                    message: format!(
                        "{shown} combinations of choices for {requests} requests exceed max_combinations = {}",
                        self.max_combinations
                    ),
                });
            }
        }
        let options = match priced(instance, &choices) {
            Ok(options) => options,
            Err(why) => return Ok(Found::infeasible(why)),
        };
        // What requests k.. add at least: their cheapest choice at the whole cell and GPU.
        let mut rest = vec![0.0; requests + 1];
        for k in (0..requests).rev() {
            let cheapest = options[k]
                .iter()
                .map(|o| o.cost.at(1.0, 1.0))
                .fold(f64::INFINITY, f64::min);
            rest[k] = rest[k + 1] + cheapest;
        }
        let edges = instance.edge_count();
        let mut search = Search {
            instance,
            options,
            rest,
            path: vec![0; requests],
            roots_upload: vec![0.0; edges],
            roots_edge: vec![0.0; edges],
            best: None,
            judged: 0,
            pruned: 0,
            first_failure: None,
            unsettled: None,
            deadline: deadline(started, budget),
            timed_out: false,
        };
        search.visit(0, 0.0);
        let visited = search.judged + search.pruned;
        Ok(ended(search).with_work(0, visited))
    }
}

/// Every choice of every request priced, cheapest alone first, without those that cannot be
/// part of any feasible plan; an error saying why when a request keeps none.
fn priced(
    instance: &SplitInstance,
    choices: &[Vec<Choice>],
) -> Result<Vec<Vec<OptionCost>>, String> {
    let mut options: Vec<Vec<OptionCost>> = Vec::with_capacity(choices.len());
    for (k, list) in choices.iter().enumerate() {
        let mut kept = Vec::new();
        let mut reasons: Vec<String> = Vec::new();
        for &choice in list {
            match instance.option_cost(k, choice) {
                Err(why) => reasons.push(format!("{choice}: {why}")),
                Ok(o) => match broken_alone(instance, k, &o) {
                    Some(why) => reasons.push(format!("{choice}: {why}")),
                    None => kept.push(o),
                },
            }
        }
        if kept.is_empty() {
            let r = &instance.requests[k];
            return Err(format!(
                "request {k} (id {}) has no choice that can be part of a feasible plan, whatever the other requests do; {}",
                r.id,
                one_per_constraint(reasons).join("; ")
            ));
        }
        // Cheapest alone first, so that the bound cuts early; stable, so ties keep the order
        // of `all_choices`.
        kept.sort_by(|a, b| a.cost.at(1.0, 1.0).total_cmp(&b.cost.at(1.0, 1.0)));
        options.push(kept);
    }
    Ok(options)
}

/// One reason per constraint (the text before the first colon after the choice).
fn one_per_constraint(reasons: Vec<String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    for reason in reasons {
        let constraint = reason
            .split(": ")
            .nth(1)
            .and_then(|s| s.split(" of `").next())
            .unwrap_or("")
            .to_string();
        if !seen.contains(&constraint) {
            seen.push(constraint);
            shown.push(reason);
        }
    }
    shown
}

/// What the finished (or stopped) enumeration found.
fn ended(search: Search<'_>) -> Found<SplitDecision> {
    let found = match (search.best, search.timed_out) {
        (Some((objective, decision)), false) => {
            Found::decision(decision, objective).with_bound(objective)
        }
        (Some((objective, decision)), true) => Found::decision(decision, objective).timed_out(true),
        (None, true) => {
            Found::not_found("stopped by the time limit before any feasible combination")
                .timed_out(true)
        }
        (None, false) if search.unsettled.is_some() => Found::not_found(format!(
            "no combination was found feasible, but the shares of some could not be computed: {}",
            search.unsettled.as_deref().unwrap_or_default()
        )),
        (None, false) => Found::infeasible(format!(
            "no combination of the requests' choices is feasible ({} judged after leaving out the choices that fail alone); the first failed on {}",
            search.judged,
            search
                .first_failure
                .as_deref()
                .unwrap_or("nothing (no combination was judged)")
        )),
    };
    let judged = search.judged;
    Found {
        nodes: judged,
        ..found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_identity() {
        let b = BruteForce::default();
        assert_eq!(b.max_combinations, 2_000_000);
        assert_eq!(b.name(), "brute-force");
        assert!(b.is_exact());
    }
}
