//! The master MILP of one round: a choice per request, shares where it is, the tangents of
//! every cone so far, the deadlines and the edge memory.

use super::HashMap;
use super::Incumbent;
use super::cones::{ConeKey, Kind};
use crate::problems::split::Tier;
use crate::problems::split::instance::SplitInstance;
use crate::solve::milp::{MilpModel, MilpSolution};
use crate::solve::{Budget, SolveError};
use good_lp::{Expression, Variable, variable};
use std::time::Instant;

/// HiGHS's feasibility tolerance in the master, in units of the mean cost per request: tight
/// enough that violated tangent rows cannot hold the bound a budget's gap below the optimum.
const FEASIBILITY_TOLERANCE: f64 = 1e-9;

/// The master's variables.
pub(super) struct Master {
    /// One binary per (request, candidate).
    pub(super) x: Vec<Vec<Variable>>,
    /// Shares per (request, server, compute?).
    pub(super) shares: HashMap<(usize, usize, bool), Variable>,
    /// Epigraph variables per cone.
    pub(super) cones: HashMap<ConeKey, Variable>,
}

impl Master {
    /// The candidate each request takes in `solution`: its largest `x`.
    pub(super) fn picks(&self, solution: &MilpSolution) -> Vec<usize> {
        self.x
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .max_by(|a, b| solution.value(*a.1).total_cmp(&solution.value(*b.1)))
                    .map_or(0, |(i, _)| i)
            })
            .collect()
    }
}

/// Sums of cone variables by (request, TTFT?): the share-dependent parts of its deadlines.
type DeadlineParts = HashMap<(usize, bool), Expression>;

/// Builds and solves the master MILP with the tangents so far.
pub(super) fn solve_master(
    instance: &SplitInstance,
    cones: &[ConeKey],
    ratios: &HashMap<ConeKey, Vec<f64>>,
    warm: Option<&Incumbent>,
    budget: &Budget,
    scale: f64,
    deadline: Option<Instant>,
) -> Result<(MilpSolution, Master), SolveError> {
    let mut m = MilpModel::default();
    let x: Vec<Vec<Variable>> = (0..instance.requests.len())
        .map(|k| {
            (0..instance.candidates(k).len())
                .map(|_| m.add(variable().binary()))
                .collect()
        })
        .collect();
    let shares = add_shares(instance, &mut m, cones, &x);
    let mut master = Master {
        x,
        shares,
        cones: HashMap::default(),
    };
    let mut objective = Expression::from(0.0);
    let mut deadline_parts = DeadlineParts::default();
    // The tangent rows are most of the master: on a large instance they alone can outlast the
    // time limit.
    for &key in cones {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok((MilpSolution::not_run(false), master));
        }
        let t = add_cone(instance, &mut m, &master, key, &ratios[&key], scale);
        match key.2 {
            Kind::CostUpload | Kind::CostEdge => objective += t,
            Kind::TtftUpload | Kind::TtftEdge => {
                *deadline_parts
                    .entry((key.0, true))
                    .or_insert_with(|| Expression::from(0.0)) += t;
            }
            Kind::E2eUpload | Kind::E2eEdge => {
                *deadline_parts
                    .entry((key.0, false))
                    .or_insert_with(|| Expression::from(0.0)) += t;
            }
        }
        master.cones.insert(key, t);
    }
    objective += add_choice_rows(instance, &mut m, &master.x, deadline_parts, scale);
    let holdings = add_memory(instance, &mut m, &master.x);
    let initial = match warm {
        Some(best) => warm_point(instance, &master, &holdings, best, scale),
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
    Ok((solution, master))
}

/// The shares, per (request, server, compute?) of the cones: each at most the request's choice
/// of that server (`β ≤ Σ x`), and each server's shares summing to at most one.
fn add_shares(
    instance: &SplitInstance,
    m: &mut MilpModel,
    cones: &[ConeKey],
    x: &[Vec<Variable>],
) -> HashMap<(usize, usize, bool), Variable> {
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
    shares
}

/// A cone's epigraph variable `t` and its tangent rows `t ≥ 2 r V − r² β`, one per ratio.
fn add_cone(
    instance: &SplitInstance,
    m: &mut MilpModel,
    master: &Master,
    (k, e, kind): ConeKey,
    ratios: &[f64],
    scale: f64,
) -> Variable {
    let t = m.add(variable().min(0.0));
    let v: Expression = instance
        .candidates(k)
        .iter()
        .zip(&master.x[k])
        .filter(|(o, _)| kind.on(o, e))
        .map(|(o, &var)| kind.part(o, scale).sqrt() * var)
        .sum();
    let share = master.shares[&(k, e, kind.compute())];
    for &r in ratios {
        // The tangent of V²/β along the ray V = rβ.
        m.constrain((t - 2.0 * r * v.clone() + r * r * share).geq(0.0));
    }
    t
}

/// Each request's one-choice row and its deadline rows (fixed parts plus the cone parts in
/// `deadline_parts`); returns the objective's fixed part.
fn add_choice_rows(
    instance: &SplitInstance,
    m: &mut MilpModel,
    x: &[Vec<Variable>],
    mut deadline_parts: DeadlineParts,
    scale: f64,
) -> Expression {
    let mut fixed = Expression::from(0.0);
    for (k, row) in x.iter().enumerate() {
        let mut one = Expression::from(0.0);
        for (o, &v) in instance.candidates(k).iter().zip(row) {
            one += v;
            fixed += o.cost.fixed / scale * v;
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
    fixed
}

/// The warm start `best` as a point of the master: its choices, its shares, its cone values
/// and the holdings its splits need.
fn warm_point(
    instance: &SplitInstance,
    master: &Master,
    holdings: &[(usize, usize, Vec<Variable>)],
    best: &Incumbent,
    scale: f64,
) -> Vec<(Variable, f64)> {
    let (picks, decision) = (&best.picks, &best.decision);
    let mut init: Vec<(Variable, f64)> = master
        .x
        .iter()
        .zip(picks)
        .flat_map(|(row, &p)| {
            row.iter()
                .enumerate()
                .map(move |(i, &v)| (v, if i == p { 1.0 } else { 0.0 }))
        })
        .collect();
    for (&(k, e, compute), &var) in &master.shares {
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
    for (&(k, e, kind), &t) in &master.cones {
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
    for (e, model, h) in holdings {
        let smallest = (0..instance.requests.len())
            .filter(|&k| instance.requests[k].model == *model)
            .map(|k| instance.candidates(k)[picks[k]].choice)
            .filter(|c| c.uses_edge_compute(*e))
            .map(|c| c.split as usize)
            .min();
        for (split, &var) in h.iter().enumerate() {
            let held = smallest.is_some_and(|m| m <= split);
            init.push((var, if held { 1.0 } else { 0.0 }));
        }
    }
    init
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
