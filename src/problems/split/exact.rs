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

use super::allocation::allocate;
use super::heuristics::{descend, greedy_state, pair_moves};
use super::instance::{OptionCost, SplitInstance};
use super::terms::Terms;
use super::{SplitDecision, Tier};
use crate::solve::milp::{MilpModel, MilpSolution, MilpStatus};
use crate::solve::{Budget, Found, SolveError, Solver};
use good_lp::{Expression, Variable, variable};
/// Maps with a fixed hasher: the master's rows are added in map order, and HiGHS's path (the
/// bound and node count it reports) depends on that order, so it must repeat from run to run.
type HashMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<std::hash::DefaultHasher>>;
use std::time::Instant;

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

/// Ratio between consecutive tangents of the first grid: the tangent of `V²/β` at ratio `r_t`
/// underestimates it at ratio `r` by `β(r − r_t)²`, at most `(1 − 1/1.25)² = 4%` between grid
/// points.
const GRID_FACTOR: f64 = 1.25;

/// HiGHS's feasibility tolerance in the master, in units of the mean cost per request: tight
/// enough that violated tangent rows cannot hold the bound a budget's gap below the optimum.
const FEASIBILITY_TOLERANCE: f64 = 1e-9;

/// Multiples of a server's ratio in the best plan so far where every request's cone gets a
/// tangent: a request joining or leaving a cell moves its ratio by a few per cent.
const NEAR_TANGENTS: [f64; 7] = [0.97, 0.99, 0.997, 1.0, 1.003, 1.01, 1.03];

/// Adds ratio `r` to a cone unless it is (almost) there or not a usable number; returns how
/// many were added.
fn add_ratio(ratios: &mut HashMap<ConeKey, Vec<f64>>, key: ConeKey, r: f64) -> usize {
    if !(r.is_finite() && r > 0.0 && r < 1e9) {
        return 0;
    }
    match ratios.get_mut(&key) {
        Some(list) if !list.iter().any(|&q| (q - r).abs() <= 1e-9 * r) => {
            list.push(r);
            1
        }
        _ => 0,
    }
}

/// Which share-dependent quantity a cone prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// Objective, at the bandwidth share.
    CostUpload,
    /// Objective, at the compute share.
    CostEdge,
    /// Time to first token, bandwidth part.
    TtftUpload,
    /// Time to first token, compute part.
    TtftEdge,
    /// End-to-end latency, bandwidth part.
    E2eUpload,
    /// End-to-end latency, compute part.
    E2eEdge,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::CostUpload,
        Kind::CostEdge,
        Kind::TtftUpload,
        Kind::TtftEdge,
        Kind::E2eUpload,
        Kind::E2eEdge,
    ];

    fn compute(self) -> bool {
        matches!(self, Kind::CostEdge | Kind::TtftEdge | Kind::E2eEdge)
    }

    /// The coefficient of an option: the part paid at share 1; objective parts are divided by
    /// `scale`, the master's unit of cost.
    fn part(self, o: &OptionCost, scale: f64) -> f64 {
        let pick = |t: &Terms| if self.compute() { t.edge } else { t.upload };
        match self {
            Kind::CostUpload | Kind::CostEdge => pick(&o.cost) / scale,
            Kind::TtftUpload | Kind::TtftEdge => pick(&o.ttft_s),
            Kind::E2eUpload | Kind::E2eEdge => pick(&o.e2e_s),
        }
    }

    /// Whether an option's share-dependent part of this kind sits on server `e`.
    fn on(self, o: &OptionCost, e: usize) -> bool {
        if self.compute() {
            o.choice.uses_edge_compute(e)
        } else {
            o.choice.uses_cell(e)
        }
    }
}

/// A (request, server, kind) cone and the tangent ratios it has.
type ConeKey = (usize, usize, Kind);

/// The master's variables.
struct Master {
    x: Vec<Vec<Variable>>,
    /// Shares per (request, server, compute?).
    shares: HashMap<(usize, usize, bool), Variable>,
    /// Epigraph variables per cone.
    cones: HashMap<ConeKey, Variable>,
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
        let work = |rounds: usize, nodes: u64| (nodes, rounds as u64);
        if let Some(why) = instance.infeasibility() {
            return Ok(Found::infeasible(why));
        }
        let cones = cone_keys(instance);
        // Warm start: greedy then coordinate descent, priced exactly.
        let mut incumbent: Option<Incumbent> = None;
        // The warm start takes at most a tenth of the time budget.
        let polish_until = budget.time_limit.map(|t| started + t / 10);
        if let Ok(mut state) = greedy_state(instance) {
            descend(&mut state, 50, polish_until);
            // A better warm start often certifies at the root: alternate pair moves and
            // descent while they improve.
            while pair_moves(&mut state, polish_until) {
                descend(&mut state, 50, polish_until);
                if polish_until.is_some_and(|t| Instant::now() >= t) {
                    break;
                }
            }
            let picks: Vec<usize> = state.picks.iter().map(|p| p.unwrap_or(0)).collect();
            let options = state.options();
            if let Ok(a) = allocate(instance, &options) {
                incumbent = Some(Incumbent {
                    picks,
                    objective: a.objective,
                    decision: a.decision,
                });
            }
        }
        // The master measures cost in units of the warm start's mean cost per request, so that
        // HiGHS's absolute feasibility tolerance on each cone row means the same on every
        // instance, whether it costs microjoules or hours.
        let scale = master_scale(instance, incumbent.as_ref().map(|i| i.objective));
        let tops = grid_tops(instance, scale);
        let mut ratios: HashMap<ConeKey, Vec<f64>> = cones
            .iter()
            .map(|&c| (c, tangent_grid(instance, c, scale, &tops)))
            .collect();
        let deadline = budget.time_limit.map(|t| started + t);
        let mut lower = f64::NEG_INFINITY;
        let mut nodes = 0;
        let mut timed_out = false;
        let mut rounds = 0;
        let mut tighten = false;
        while rounds < self.max_rounds {
            rounds += 1;
            let remaining = budget
                .time_limit
                .map(|t| t.saturating_sub(started.elapsed()));
            if remaining.is_some_and(|r| r.is_zero()) {
                timed_out = true;
                break;
            }
            // The master need only be as precise as the tangents allow: its dual bound is
            // valid whatever gap it stops at, so early rounds stop at a quarter of the current
            // gap and later ones tighten down to 0.9 of the budget's gap.
            let current_gap = match &incumbent {
                Some(best) if lower.is_finite() => {
                    (best.objective - lower) / best.objective.abs().max(1e-9)
                }
                _ => 1e-3,
            };
            let round_gap = if tighten {
                0.9 * budget.gap
            } else {
                let floor = 0.9 * budget.gap;
                (current_gap / 4.0).clamp(floor, floor.max(1e-3))
            };
            let round_budget = Budget {
                time_limit: remaining,
                gap: round_gap,
                ..budget.clone()
            };
            let (mut solution, mut master) = solve_master(
                instance,
                &cones,
                &ratios,
                incumbent.as_ref(),
                &round_budget,
                scale,
                deadline,
            )?;
            // The master underestimates every plan, so a bound above a plan's exact cost means
            // HiGHS mispriced the warm start after presolve and pruned with it: solve again cold.
            if let Some(best) = &incumbent
                && solution.bound * scale > best.objective * (1.0 + 1e-9)
            {
                (solution, master) = solve_master(
                    instance,
                    &cones,
                    &ratios,
                    None,
                    &round_budget,
                    scale,
                    deadline,
                )?;
            }
            nodes += solution.nodes;
            match solution.status {
                MilpStatus::Infeasible => {
                    let (nodes, iterations) = work(rounds, nodes);
                    let found = match incumbent {
                        Some(best) => Found::decision(best.decision, best.objective)
                            .with_bound(best.objective),
                        None => Found::infeasible(joint_infeasibility(instance)),
                    };
                    return Ok(found.with_work(nodes, iterations));
                }
                MilpStatus::Unbounded => {
                    return Err(SolveError::Backend("the master MILP is unbounded".into()));
                }
                MilpStatus::Limit => timed_out = true,
                MilpStatus::Optimal => {}
            }
            if solution.bound.is_finite() {
                lower = lower.max(solution.bound * scale);
            }
            if !solution.has_solution {
                break;
            }
            let picks: Vec<usize> = master
                .x
                .iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .max_by(|a, b| solution.value(*a.1).total_cmp(&solution.value(*b.1)))
                        .map_or(0, |(i, _)| i)
                })
                .collect();
            let options: Vec<&OptionCost> = picks
                .iter()
                .enumerate()
                .map(|(k, &i)| &instance.candidates(k)[i])
                .collect();
            let mut added = 0;
            // Tangents where the master underestimates a chosen cone at its own point.
            for (k, o) in options.iter().enumerate() {
                for kind in Kind::ALL {
                    let Some(e) = o.choice.server else { continue };
                    let key = (k, e, kind);
                    let (Some(&cone), true) = (master.cones.get(&key), kind.on(o, e)) else {
                        continue;
                    };
                    let share = solution.value(master.shares[&(k, e, kind.compute())]);
                    let v = kind.part(o, scale).sqrt();
                    if share > 1e-9
                        && v > 0.0
                        && solution.value(cone) < v * v / share * (1.0 - 1e-9)
                    {
                        added += add_ratio(&mut ratios, key, v / share);
                    }
                }
            }
            // Tangents at the exact optimum of the chosen plan's shares, and around each
            // server's ratio for every request that could move there, so that plans one move
            // away are priced almost exactly too.
            if let Ok(a) = allocate(instance, &options) {
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
                        let part = kind.part(o, scale);
                        if kind.on(o, e) && part > 0.0 && share > 0.0 {
                            let r = part.sqrt() / share;
                            added += add_ratio(&mut ratios, (k, e, kind), r);
                            let slot = server_ratio.entry((e, kind)).or_insert(r);
                            *slot = slot.max(r);
                        }
                    }
                }
                for &(k, e, kind) in &cones {
                    if let Some(&r) = server_ratio.get(&(e, kind)) {
                        for factor in NEAR_TANGENTS {
                            added += add_ratio(&mut ratios, (k, e, kind), r * factor);
                        }
                    }
                }
                let feasible = instance.evaluate_is_feasible(&a.decision);
                if feasible && incumbent.as_ref().is_none_or(|i| a.objective < i.objective) {
                    incumbent = Some(Incumbent {
                        picks,
                        objective: a.objective,
                        decision: a.decision,
                    });
                }
            }
            if budget.verbose {
                eprintln!(
                    "round {rounds}: bound {lower:.9e}, best {:.9e}, master gap {round_gap:.1e}, {added} tangents added, {:.2} s",
                    incumbent.as_ref().map_or(f64::NAN, |i| i.objective),
                    started.elapsed().as_secs_f64()
                );
            }
            if let Some(best) = &incumbent {
                let gap = (best.objective - lower) / best.objective.abs().max(1e-9);
                if gap <= budget.gap || timed_out {
                    break;
                }
            }
            if timed_out {
                break;
            }
            if added == 0 {
                // The tangents are exact at the master's plan: only a tighter master can help.
                if round_gap <= 0.9 * budget.gap {
                    break;
                }
                tighten = true;
            }
        }
        // A master stopped early proves less than every request alone would.
        lower = lower.max(alone_cost(instance));
        let found = match incumbent {
            Some(best) => Found::decision(best.decision, best.objective)
                .with_bound(lower.min(best.objective))
                .timed_out(timed_out),
            None => {
                let found = Found::not_found(format!("no plan within {rounds} rounds"))
                    .timed_out(timed_out);
                match lower.is_finite() && timed_out {
                    true => found.with_bound(lower),
                    false => found,
                }
            }
        };
        let (nodes, iterations) = work(rounds, nodes);
        Ok(found.with_work(nodes, iterations))
    }
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

/// The first tangents of a cone: a geometric grid of ratios `V/β` from the smallest a request
/// can have (`√part` of its cheapest option there, at its whole share... of one) up to the
/// largest a server can force (`Σ √part` of every candidate there, all requests at once).
fn tangent_grid(
    instance: &SplitInstance,
    (k, e, kind): ConeKey,
    scale: f64,
    tops: &HashMap<(usize, Kind), f64>,
) -> Vec<f64> {
    let own = instance
        .candidates(k)
        .iter()
        .filter(|o| kind.on(o, e))
        .map(|o| kind.part(o, scale).sqrt())
        .filter(|&v| v > 0.0);
    let Some(low) = own.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v)))) else {
        return Vec::new();
    };
    let high = tops.get(&(e, kind)).copied().unwrap_or(0.0).max(low);
    let mut grid = vec![low];
    while *grid.last().unwrap_or(&high) < high {
        let next = grid[grid.len() - 1] * GRID_FACTOR;
        grid.push(next);
    }
    grid
}

/// Per server and kind of cone, the largest ratio a server can force: the sum over requests
/// of the largest `√part` among their candidates there (each request counted once).
fn grid_tops(instance: &SplitInstance, scale: f64) -> HashMap<(usize, Kind), f64> {
    let mut tops: HashMap<(usize, Kind), f64> = HashMap::default();
    for k in 0..instance.requests.len() {
        for e in 0..instance.edge_count() {
            for kind in Kind::ALL {
                let largest = instance
                    .candidates(k)
                    .iter()
                    .filter(|o| kind.on(o, e))
                    .map(|o| kind.part(o, scale).sqrt())
                    .fold(0.0, f64::max);
                if largest > 0.0 {
                    *tops.entry((e, kind)).or_default() += largest;
                }
            }
        }
    }
    tops
}

/// Every cone the master needs: per request and server, the objective's parts, and the
/// deadline parts of requests with deadlines.
fn cone_keys(instance: &SplitInstance) -> Vec<ConeKey> {
    let mut keys = Vec::new();
    for k in 0..instance.requests.len() {
        let r = &instance.requests[k];
        for e in 0..instance.edge_count() {
            for kind in Kind::ALL {
                let wanted = match kind {
                    Kind::CostUpload | Kind::CostEdge => true,
                    Kind::TtftUpload | Kind::TtftEdge => r.ttft_deadline_s.is_some(),
                    Kind::E2eUpload | Kind::E2eEdge => r.e2e_deadline_s.is_some(),
                };
                if wanted
                    && instance
                        .candidates(k)
                        .iter()
                        .any(|o| kind.on(o, e) && kind.part(o, 1.0) > 0.0)
                {
                    keys.push((k, e, kind));
                }
            }
        }
    }
    keys
}

/// Builds and solves the master MILP with the tangents so far.
fn solve_master(
    instance: &SplitInstance,
    cones: &[ConeKey],
    ratios: &HashMap<ConeKey, Vec<f64>>,
    warm: Option<&Incumbent>,
    budget: &Budget,
    scale: f64,
    deadline: Option<Instant>,
) -> Result<(MilpSolution, Master), SolveError> {
    let mut m = MilpModel::default();
    let requests = instance.requests.len();
    let x: Vec<Vec<Variable>> = (0..requests)
        .map(|k| {
            (0..instance.candidates(k).len())
                .map(|_| m.add(variable().binary()))
                .collect()
        })
        .collect();
    let mut objective = Expression::from(0.0);
    let mut shares: HashMap<(usize, usize, bool), Variable> = HashMap::default();
    let mut share_sums: HashMap<(usize, bool), Expression> = HashMap::default();
    for &(k, e, kind) in cones {
        let key = (k, e, kind.compute());
        if shares.contains_key(&key) {
            continue;
        }
        let share = m.add(variable().min(0.0).max(1.0));
        // A share only where the request is.
        let there: Expression = instance
            .candidates(k)
            .iter()
            .zip(&x[k])
            .filter(|(o, _)| kind.on(o, e))
            .map(|(_, &v)| v)
            .sum();
        m.constrain((share - there).leq(0.0));
        *share_sums
            .entry((e, kind.compute()))
            .or_insert_with(|| Expression::from(0.0)) += share;
        shares.insert(key, share);
    }
    for sum in share_sums.into_values() {
        m.constrain(sum.leq(1.0));
    }
    let mut cone_vars: HashMap<ConeKey, Variable> = HashMap::default();
    let mut deadline_parts: HashMap<(usize, bool), Expression> = HashMap::default();
    for &key in cones {
        // The tangent rows are most of the master: on a large instance they alone can outlast
        // the time limit.
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let master = Master {
                x,
                shares,
                cones: cone_vars,
            };
            return Ok((MilpSolution::not_run(false), master));
        }
        let (k, e, kind) = key;
        let t = m.add(variable().min(0.0));
        let v: Expression = instance
            .candidates(k)
            .iter()
            .zip(&x[k])
            .filter(|(o, _)| kind.on(o, e))
            .map(|(o, &var)| kind.part(o, scale).sqrt() * var)
            .sum();
        let share = shares[&(k, e, kind.compute())];
        for &r in &ratios[&key] {
            // t ≥ 2 r V − r² β: the tangent of V²/β along the ray V = rβ.
            m.constrain((t - 2.0 * r * v.clone() + r * r * share).geq(0.0));
        }
        match kind {
            Kind::CostUpload | Kind::CostEdge => objective += t,
            Kind::TtftUpload | Kind::TtftEdge => {
                *deadline_parts
                    .entry((k, true))
                    .or_insert_with(|| Expression::from(0.0)) += t;
            }
            Kind::E2eUpload | Kind::E2eEdge => {
                *deadline_parts
                    .entry((k, false))
                    .or_insert_with(|| Expression::from(0.0)) += t;
            }
        }
        cone_vars.insert(key, t);
    }
    for (k, row) in x.iter().enumerate() {
        let mut one = Expression::from(0.0);
        for (o, &v) in instance.candidates(k).iter().zip(row) {
            one += v;
            objective += o.cost.fixed / scale * v;
        }
        m.constrain(one.eq(1.0));
        let r = &instance.requests[k];
        for (ttft, deadline) in [(true, r.ttft_deadline_s), (false, r.e2e_deadline_s)] {
            let Some(d) = deadline else { continue };
            let mut total: Expression = instance
                .candidates(k)
                .iter()
                .zip(row)
                .map(|(o, &v)| if ttft { o.ttft_s.fixed } else { o.e2e_s.fixed } * v)
                .sum();
            if let Some(parts) = deadline_parts.remove(&(k, ttft)) {
                total += parts;
            }
            m.constrain(total.leq(d));
        }
    }
    let holdings = add_memory(instance, &mut m, &x);
    let initial: Vec<(Variable, f64)> = match warm {
        Some(Incumbent {
            picks, decision, ..
        }) => {
            let mut init: Vec<(Variable, f64)> = x
                .iter()
                .zip(picks)
                .flat_map(|(row, &p)| {
                    row.iter()
                        .enumerate()
                        .map(move |(i, &v)| (v, if i == p { 1.0 } else { 0.0 }))
                })
                .collect();
            for (&(k, e, compute), &var) in &shares {
                let a = &decision.assignments[k];
                let here = a.choice.server == Some(e)
                    && if compute {
                        a.choice.tier == Tier::Edge
                    } else {
                        a.choice.tier != Tier::Device
                    };
                let value = if !here {
                    0.0
                } else if compute {
                    a.compute_share
                } else {
                    a.bandwidth_share
                };
                init.push((var, value));
            }
            for (&(k, e, kind), &t) in &cone_vars {
                let a = &decision.assignments[k];
                let o = &instance.candidates(k)[picks[k]];
                let share = if kind.compute() {
                    a.compute_share
                } else {
                    a.bandwidth_share
                };
                let value = if kind.on(o, e) && share > 0.0 {
                    kind.part(o, scale) / share
                } else {
                    0.0
                };
                init.push((t, value));
            }
            for (e, model, h) in &holdings {
                let smallest = (0..instance.requests.len())
                    .filter(|&k| instance.requests[k].model == *model)
                    .map(|k| instance.candidates(k)[picks[k]].choice)
                    .filter(|c| c.uses_edge_compute(*e))
                    .map(|c| c.split as usize)
                    .min();
                for (split, &var) in h.iter().enumerate() {
                    init.push((
                        var,
                        if smallest.is_some_and(|m| m <= split) {
                            1.0
                        } else {
                            0.0
                        },
                    ));
                }
            }
            init
        }
        None => Vec::new(),
    };
    if let Some(best) = warm {
        m.set_absolute_gap(budget.gap * (best.objective / scale).abs());
    }
    m.set_feasibility_tolerance(FEASIBILITY_TOLERANCE);
    // Building the model counts against the time limit: HiGHS gets what is left of it.
    let budget = Budget {
        time_limit: deadline.map(|d| d.saturating_duration_since(Instant::now())),
        ..budget.clone()
    };
    let solution = m.minimise(objective, &budget, &initial)?;
    Ok((
        solution,
        Master {
            x,
            shares,
            cones: cone_vars,
        },
    ))
}

/// Edge memory: each model's server part is held once per server, from the smallest split it
/// serves (`h_s = 1` when some request of the model splits at `s` or below), plus every
/// request's KV cache. Servers whose memory cannot bind get no row. Returns the holding
/// variables `h` per (edge, model).
fn add_memory(
    instance: &SplitInstance,
    m: &mut MilpModel,
    x: &[Vec<Variable>],
) -> Vec<(usize, usize, Vec<Variable>)> {
    let mut holdings = Vec::new();
    let models = instance.scenario.models.len();
    for e in 0..instance.edge_count() {
        let mut smallest = vec![u32::MAX; models];
        let mut worst_kv = 0.0;
        for (k, row) in x.iter().enumerate() {
            let model = instance.requests[k].model;
            let mut kv: f64 = 0.0;
            for (i, _) in row.iter().enumerate() {
                let o = &instance.candidates(k)[i];
                if o.choice.uses_edge_compute(e) {
                    smallest[model] = smallest[model].min(o.choice.split);
                    kv = kv.max(o.edge_kv_bytes);
                }
            }
            worst_kv += kv;
        }
        let worst_weights: f64 = (0..models)
            .filter(|&mi| smallest[mi] != u32::MAX)
            .map(|mi| instance.server_weight_bytes(mi, smallest[mi]))
            .sum();
        let capacity = instance.edge_memory_bytes(e);
        if worst_weights + worst_kv <= capacity {
            continue;
        }
        let mut load = Expression::from(0.0);
        for (mi, model) in instance.scenario.models.iter().enumerate() {
            if smallest[mi] == u32::MAX {
                continue;
            }
            let layers = model.architecture.layers;
            let h: Vec<Variable> = (0..layers)
                .map(|_| m.add(variable().min(0.0).max(1.0)))
                .collect();
            for s in 0..layers as usize {
                let w = instance.server_weight_bytes(mi, s as u32);
                let next = if s + 1 < layers as usize {
                    instance.server_weight_bytes(mi, s as u32 + 1)
                } else {
                    0.0
                };
                load += (w - next) * h[s];
                if s + 1 < layers as usize {
                    m.constrain((h[s] - h[s + 1]).leq(0.0));
                }
            }
            holdings.push((e, mi, h.clone()));
            for (k, row) in x.iter().enumerate() {
                if instance.requests[k].model != mi {
                    continue;
                }
                for (i, &v) in row.iter().enumerate() {
                    let o = &instance.candidates(k)[i];
                    if o.choice.uses_edge_compute(e) {
                        m.constrain((v - h[o.choice.split as usize]).leq(0.0));
                    }
                }
            }
        }
        for (k, row) in x.iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                let o = &instance.candidates(k)[i];
                if o.choice.uses_edge_compute(e) && o.edge_kv_bytes > 0.0 {
                    load += o.edge_kv_bytes * v;
                }
            }
        }
        // Bytes are scaled to GB to keep the row well conditioned.
        m.constrain((load * 1e-9).leq(capacity * 1e-9));
    }
    holdings
}
