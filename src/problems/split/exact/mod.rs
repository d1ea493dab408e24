//! The certified exact solver: a MILP over the candidate choices with an outer approximation of
//! the convex share-dependent costs, refined until the gap between the best plan and the proven
//! bound closes.
//!
//! Each request `k` that may use cell `e` gets a bandwidth share `β_ke ≤ Σ_{i∈e} x_ki` (a share
//! only when it is there) with `Σ_k β_ke ≤ 1`, and its upload cost `t_ke ≥ V_ke² / β_ke`, where
//! `V_ke = Σ_{i∈e} √a_i x_ki` (one option is chosen, so `V² = a` of that option). The same holds
//! for the edge GPU with `f_ke` and `√g`. `V²/β` is the perspective of the convex `a/β` and,
//! with `β ≤ x`, its relaxation is the convex hull of each request's choice (Günlük and
//! Linderoth, Math. Programming 2010), much tighter than pricing a cell by `(Σ √a)²`. The cone
//! is replaced by its tangent planes `t ≥ 2rV − r²β` (`r` the ratio `V/β` at the tangent
//! point), so the MILP's optimum is a lower bound; the plan it returns, with its shares at their
//! exact optimum, is an upper bound. Tangents are added at every round's exact ratios until the
//! two meet (outer approximation, Duran and Grossmann, Math. Programming 1986). Deadlines are
//! linear in the same cone variables: `Σ_i D-fixed_i x_ki + Σ_e (τ_ke + σ_ke) ≤ D_k` with their
//! own tangent cuts, so they are exact too.

mod cones;
mod master;

use super::SplitDecision;
use super::allocation::{Allocated, allocate};
use super::heuristics::{descend, greedy_state, pair_moves};
use super::instance::{OptionCost, SplitInstance};
use crate::solve::milp::{MilpSolution, MilpStatus};
use crate::solve::{Budget, Found, SolveError, Solver};
use cones::{ConeKey, Kind, NEAR_TANGENTS, add_ratio, cone_keys, grid_tops, tangent_grid};
use master::{Master, solve_master};
use std::time::Instant;

/// Maps with a fixed hasher: the master's rows are added in map order, and HiGHS's path (the
/// bound and node count it reports) depends on that order, so it must repeat from run to run.
pub(super) type HashMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<std::hash::DefaultHasher>>;

/// Outer-approximation MILP on HiGHS with a proven bound; `Optimal` only when the relative
/// gap is within the budget's gap.
#[derive(Debug, Clone, Copy)]
pub struct Exact {
    /// Upper limit on cutting-plane rounds.
    pub max_rounds: usize,
}

impl Default for Exact {
    fn default() -> Self {
        Exact { max_rounds: 50 }
    }
}

impl Solver<SplitInstance> for Exact {
    fn name(&self) -> &str {
        "exact"
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
        let mut run = Refinement::new(instance, budget, started);
        while run.rounds < self.max_rounds {
            run.rounds += 1;
            if run.deadline.is_some_and(|d| Instant::now() >= d) {
                run.timed_out = true;
                break;
            }
            let round_gap = run.round_gap();
            let (solution, master) = run.solve_round(round_gap)?;
            run.nodes += solution.nodes;
            match solution.status {
                MilpStatus::Infeasible => return Ok(run.master_infeasible()),
                MilpStatus::Unbounded => {
                    return Err(SolveError::Backend("the master MILP is unbounded".into()));
                }
                MilpStatus::Limit => run.timed_out = true,
                MilpStatus::Optimal => {}
            }
            if solution.bound.is_finite() {
                run.lower = run.lower.max(solution.bound * run.scale);
            }
            if !solution.has_solution {
                break;
            }
            let added = run.refine(&master, &solution);
            if budget.verbose {
                run.report(round_gap, added);
            }
            if run.is_done(added, round_gap) {
                break;
            }
        }
        Ok(run.conclude())
    }
}

/// One exact solve in progress: the tangents so far, the best plan and the proven bound.
struct Refinement<'a> {
    instance: &'a SplitInstance,
    budget: &'a Budget,
    started: Instant,
    deadline: Option<Instant>,
    cones: Vec<ConeKey>,
    ratios: HashMap<ConeKey, Vec<f64>>,
    /// The master's unit of cost.
    scale: f64,
    incumbent: Option<Incumbent>,
    /// The proven lower bound so far.
    lower: f64,
    nodes: u64,
    rounds: usize,
    timed_out: bool,
    /// Whether the next masters are solved to 0.9 of the budget's gap.
    tighten: bool,
}

impl<'a> Refinement<'a> {
    /// The warm start, the master's scale and every cone's first tangent grid.
    fn new(instance: &'a SplitInstance, budget: &'a Budget, started: Instant) -> Refinement<'a> {
        let cones = cone_keys(instance);
        let incumbent = warm_start(instance, budget, started);
        // The master measures cost in units of the warm start's mean cost per request, so that
        // HiGHS's absolute feasibility tolerance on each cone row means the same on every
        // instance, whether it costs microjoules or hours.
        let scale = master_scale(instance, incumbent.as_ref().map(|i| i.objective));
        let tops = grid_tops(instance, scale);
        let ratios = cones
            .iter()
            .map(|&c| (c, tangent_grid(instance, c, scale, &tops)))
            .collect();
        Refinement {
            instance,
            budget,
            started,
            deadline: budget.time_limit.map(|t| started + t),
            cones,
            ratios,
            scale,
            incumbent,
            lower: f64::NEG_INFINITY,
            nodes: 0,
            rounds: 0,
            timed_out: false,
            tighten: false,
        }
    }

    /// The relative gap between the best plan and the bound, when both exist.
    fn gap(&self) -> Option<f64> {
        let best = self.incumbent.as_ref()?;
        Some((best.objective - self.lower) / best.objective.abs().max(1e-9))
    }

    /// How precise this round's master need be: its dual bound is valid whatever gap it stops
    /// at, so early rounds stop at a quarter of the current gap and later ones tighten down
    /// to 0.9 of the budget's gap.
    fn round_gap(&self) -> f64 {
        let floor = 0.9 * self.budget.gap;
        if self.tighten {
            return floor;
        }
        let current = match self.gap() {
            Some(gap) if self.lower.is_finite() => gap,
            _ => 1e-3,
        };
        (current / 4.0).clamp(floor, floor.max(1e-3))
    }

    /// Solves this round's master at `round_gap`, warm-started by the best plan.
    fn solve_round(&self, round_gap: f64) -> Result<(MilpSolution, Master), SolveError> {
        let round_budget = Budget {
            gap: round_gap,
            ..self.budget.clone()
        };
        let solve = |warm: Option<&Incumbent>| {
            solve_master(
                self.instance,
                &self.cones,
                &self.ratios,
                warm,
                &round_budget,
                self.scale,
                self.deadline,
            )
        };
        let (solution, master) = solve(self.incumbent.as_ref())?;
        // The master underestimates every plan, so a bound above a plan's exact cost means
        // HiGHS mispriced the warm start after presolve and pruned with it: solve again cold.
        match &self.incumbent {
            Some(best) if solution.bound * self.scale > best.objective * (1.0 + 1e-9) => {
                solve(None)
            }
            _ => Ok((solution, master)),
        }
    }

    /// A master without a solution: the best plan is optimal if there is one (the master
    /// underestimates every plan); otherwise the requests cannot all be served together.
    fn master_infeasible(self) -> Found<SplitDecision> {
        let found = match self.incumbent {
            Some(best) => Found::decision(best.decision, best.objective).with_bound(best.objective),
            None => Found::infeasible(joint_infeasibility(self.instance)),
        };
        found.with_work(self.nodes, self.rounds as u64)
    }

    /// Adds the tangents the master's plan calls for and keeps that plan, with its shares at
    /// their exact optimum, if it is the best so far; returns how many tangents were added.
    fn refine(&mut self, master: &Master, solution: &MilpSolution) -> usize {
        let instance = self.instance;
        let picks = master.picks(solution);
        let options: Vec<&OptionCost> = picks
            .iter()
            .enumerate()
            .map(|(k, &i)| &instance.candidates(k)[i])
            .collect();
        let mut added = self.tangents_at_master(&options, master, solution);
        if let Ok(a) = allocate(instance, &options) {
            added += self.tangents_at_plan(&options, &a);
            let feasible = instance.evaluate_is_feasible(&a.decision);
            if feasible
                && self
                    .incumbent
                    .as_ref()
                    .is_none_or(|i| a.objective < i.objective)
            {
                self.incumbent = Some(Incumbent {
                    picks,
                    objective: a.objective,
                    decision: a.decision,
                });
            }
        }
        added
    }

    /// Tangents where the master underestimates a chosen cone at its own point.
    fn tangents_at_master(
        &mut self,
        options: &[&OptionCost],
        master: &Master,
        solution: &MilpSolution,
    ) -> usize {
        let mut added = 0;
        for (k, o) in options.iter().enumerate() {
            for kind in Kind::ALL {
                let Some(e) = o.choice.server else { continue };
                let key = (k, e, kind);
                let (Some(&cone), true) = (master.cones.get(&key), kind.on(o, e)) else {
                    continue;
                };
                let share = solution.value(master.shares[&(k, e, kind.compute())]);
                let v = kind.part(o, self.scale).sqrt();
                if share > 1e-9 && v > 0.0 && solution.value(cone) < v * v / share * (1.0 - 1e-9) {
                    added += add_ratio(&mut self.ratios, key, v / share);
                }
            }
        }
        added
    }

    /// Tangents at the exact optimum of the chosen plan's shares, and around each server's
    /// ratio for every request that could move there, so that plans one move away are priced
    /// almost exactly too.
    fn tangents_at_plan(&mut self, options: &[&OptionCost], a: &Allocated) -> usize {
        let mut added = 0;
        let mut server_ratio: HashMap<(usize, Kind), f64> = HashMap::default();
        for (k, o) in options.iter().enumerate() {
            let asg = &a.decision.assignments[k];
            for kind in Kind::ALL {
                let Some(e) = o.choice.server else { continue };
                let share = if kind.compute() {
                    asg.compute_share
                } else {
                    asg.bandwidth_share
                };
                let part = kind.part(o, self.scale);
                if kind.on(o, e) && part > 0.0 && share > 0.0 {
                    let r = part.sqrt() / share;
                    added += add_ratio(&mut self.ratios, (k, e, kind), r);
                    let slot = server_ratio.entry((e, kind)).or_insert(r);
                    *slot = slot.max(r);
                }
            }
        }
        for &(k, e, kind) in &self.cones {
            if let Some(&r) = server_ratio.get(&(e, kind)) {
                for factor in NEAR_TANGENTS {
                    added += add_ratio(&mut self.ratios, (k, e, kind), r * factor);
                }
            }
        }
        added
    }

    /// One line on standard error about the round just done.
    fn report(&self, round_gap: f64, added: usize) {
        eprintln!(
            "round {}: bound {:.9e}, best {:.9e}, master gap {round_gap:.1e}, {added} tangents added, {:.2} s",
            self.rounds,
            self.lower,
            self.incumbent.as_ref().map_or(f64::NAN, |i| i.objective),
            self.started.elapsed().as_secs_f64()
        );
    }

    /// Whether to stop after a round that added `added` tangents with its master at
    /// `round_gap`: the gap is closed, the time is up, or only a tighter master could help
    /// and the master is as tight as it gets (otherwise the next masters are tightened).
    fn is_done(&mut self, added: usize, round_gap: f64) -> bool {
        if self.timed_out || self.gap().is_some_and(|gap| gap <= self.budget.gap) {
            return true;
        }
        if added == 0 {
            // The tangents are exact at the master's plan: only a tighter master can help.
            if round_gap <= 0.9 * self.budget.gap {
                return true;
            }
            self.tighten = true;
        }
        false
    }

    /// The best plan and the proven bound, or why there is none.
    fn conclude(mut self) -> Found<SplitDecision> {
        // A master stopped early proves less than every request alone would.
        self.lower = self.lower.max(alone_cost(self.instance));
        let found = match self.incumbent {
            Some(best) => Found::decision(best.decision, best.objective)
                .with_bound(self.lower.min(best.objective))
                .timed_out(self.timed_out),
            None => {
                let found = Found::not_found(format!("no plan within {} rounds", self.rounds))
                    .timed_out(self.timed_out);
                match self.lower.is_finite() && self.timed_out {
                    true => found.with_bound(self.lower),
                    false => found,
                }
            }
        };
        found.with_work(self.nodes, self.rounds as u64)
    }
}

/// The warm start: greedy, then coordinate descent and pair moves while they improve, within
/// a tenth of the time limit; its shares at their exact optimum.
fn warm_start(instance: &SplitInstance, budget: &Budget, started: Instant) -> Option<Incumbent> {
    let polish_until = budget.time_limit.map(|t| started + t / 10);
    let mut state = greedy_state(instance).ok()?;
    descend(&mut state, 50, polish_until);
    // A better warm start often certifies at the root: alternate pair moves and descent while
    // they improve.
    while pair_moves(&mut state, polish_until) {
        descend(&mut state, 50, polish_until);
        if polish_until.is_some_and(|t| Instant::now() >= t) {
            break;
        }
    }
    let picks: Vec<usize> = state.picks.iter().map(|p| p.unwrap_or(0)).collect();
    let options = state.options();
    let a = allocate(instance, &options).ok()?;
    Some(Incumbent {
        picks,
        objective: a.objective,
        decision: a.decision,
    })
}

/// Why a master with every request individually feasible has no solution: the requests that
/// must share a server (no device-only candidate) cannot all meet their deadlines and the edge
/// memory at once. Names those requests and the servers they could use.
fn joint_infeasibility(instance: &SplitInstance) -> String {
    let mut requests = Vec::new();
    let mut servers = std::collections::BTreeSet::new();
    for k in 0..instance.requests.len() {
        let candidates = instance.candidates(k);
        if candidates.iter().all(|o| o.choice.server.is_some()) {
            requests.push(format!("request {k} (id {})", instance.requests[k].id));
            servers.extend(candidates.iter().filter_map(|o| o.choice.server));
        }
    }
    let servers: Vec<&str> = servers
        .into_iter()
        .map(|e| instance.scenario.edge_servers[e].name.as_str())
        .collect();
    format!(
        "{} can each be served alone, but not all at once: no combination of their choices \
         shares the uplink and GPU of {} among them within their TTFT and end-to-end deadlines \
         and the edge memory",
        requests.join(", "),
        servers.join(", ")
    )
}

/// The best plan so far: the candidate index each request takes, its exact objective and its
/// decision with optimal shares.
struct Incumbent {
    picks: Vec<usize>,
    objective: f64,
    decision: SplitDecision,
}

/// The master's unit of cost: the warm start's objective per request, or without one the mean
/// of every request's cheapest candidate at whole shares.
fn master_scale(instance: &SplitInstance, warm: Option<f64>) -> f64 {
    let requests = instance.requests.len().max(1) as f64;
    let scale = warm.unwrap_or_else(|| alone_cost(instance)) / requests;
    if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    }
}

/// A lower bound on every plan's cost: each request's cheapest candidate as if it were alone,
/// at whole shares of uplink and GPU (sharing, memory and deadlines only add to it): the bound
/// of a solve whose masters proved less.
fn alone_cost(instance: &SplitInstance) -> f64 {
    (0..instance.requests.len())
        .map(|k| {
            instance
                .candidates(k)
                .iter()
                .map(|o| o.cost.at(1.0, 1.0))
                .fold(f64::INFINITY, f64::min)
        })
        .filter(|c| c.is_finite())
        .sum()
}
