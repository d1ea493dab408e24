//! The exact solver: a MILP on HiGHS in which only the placement is binary.
//!
//! ```text
//! max  Σ_d w_d h_d
//! s.t. h_d ≤ Σ_{n ∈ S_d} x_{n,i(d)}              every merged request d (model i(d))
//!      x_{n,i} ≤ y_{n,b}                          every block b of i shared on n
//!      Σ_b (bytes_b / Q_n) y_{n,b} ≤ 1            every server n (own blocks priced via x)
//!      x ∈ {0,1},  y ∈ [0,1],  h ∈ [0,1]
//! ```
//!
//! For a fixed binary `x` the best `y` and `h` are binary too: `y_{n,b}` only has lower bounds
//! `x_{n,i} ∈ {0,1}` and a non-negative storage price, so the least feasible value
//! `max_i x_{n,i} ∈ {0,1}` is feasible whenever any is and frees the most storage; `h_d` only has
//! the upper bounds `1` and `Σ x ∈ ℕ` and a positive objective weight, so it takes
//! `min(1, Σ_n x_{n,i}) ∈ {0,1}` — exactly "some covering server stores the model". The
//! continuous variables therefore change neither the feasible placements nor their value, and
//! HiGHS's dual bound is a proven bound on the best hit ratio. A block used by only one model
//! that may be stored on `n` needs no `y`: its bytes are priced on that model's `x`.
//!
//! The warm start is [`super::Greedy`]'s placement; the status is `Optimal` only when HiGHS's
//! bound is within the budget's gap of the placement's hit ratio as [`Problem::evaluate`]
//! computes it.

use super::decision::Placement;
use super::greedy::Greedy;
use super::instance::CachingInstance;
use crate::solve::executor::{deadline, remaining};
use crate::solve::milp::{MilpModel, MilpSolution, MilpStatus};
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use good_lp::{Expression, Variable, variable};
use std::collections::HashMap;
use std::time::Instant;

/// MILP on HiGHS (binary placement, continuous block and hit variables) with a proven bound.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exact;

/// HiGHS's primal and integrality tolerances: storage rows are normalised to 1, so a row
/// violated by the tolerance is a relative excess of that much.
const FEASIBILITY_TOLERANCE: f64 = 1e-9;

impl Solver<CachingInstance> for Exact {
    fn name(&self) -> &str {
        "exact"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn search(
        &self,
        instance: &CachingInstance,
        budget: &Budget,
    ) -> Result<Found<Placement>, SolveError> {
        let started = Instant::now();
        if instance.demands().is_empty() {
            return Ok(nothing_hits(instance));
        }
        // The warm start takes at most a tenth of the time limit.
        let warm = Greedy.solve(
            instance,
            &Budget {
                time_limit: budget.time_limit.map(|t| t / 10),
                ..budget.clone()
            },
        )?;
        let warm_placement = warm.valid_decision().cloned();
        let deadline = deadline(started, budget);
        let servers = instance.servers.len();
        let model = build(instance, warm_placement.as_ref());
        let variables = model.milp.num_variables();
        let milp_budget = Budget {
            time_limit: remaining(deadline),
            ..budget.clone()
        };
        let mut solution = model
            .milp
            .maximise(model.objective, &milp_budget, &model.initial)?;
        let mut x = model.x;
        // HiGHS 1.16 can take a MIP start whose objective "in the reduced space" after presolve
        // differs from its own, keep the start's values under the wrong objective and prune the
        // true optimum. A returned placement worth less than HiGHS says is that: solve again
        // without the start.
        if solution.has_solution && warm_placement.is_some() {
            let placement = extract(&x, &solution, servers);
            let value = instance.evaluate(&placement).objective;
            if value < solution.objective - 1e-9 * solution.objective.abs().max(1.0) {
                let cold = build(instance, None);
                let milp_budget = Budget {
                    time_limit: remaining(deadline),
                    ..budget.clone()
                };
                solution = cold.milp.maximise(cold.objective, &milp_budget, &[])?;
                x = cold.x;
            }
        }
        let found = interpret(instance, &x, &solution, warm_placement)?;
        Ok(found.with_work(solution.nodes, variables as u64))
    }
}

/// No request can ever hit: the empty placement is optimal (bound 0), unless the least hit
/// ratio asks for more.
fn nothing_hits(instance: &CachingInstance) -> Found<Placement> {
    let placement = Placement::empty(instance.servers.len());
    if !instance.evaluate(&placement).is_feasible() {
        return Found::infeasible(format!(
            "no request can be served within the latency bound, so no placement reaches the least hit ratio {:.6}",
            instance.min_hit_ratio.unwrap_or(0.0)
        ));
    }
    Found::decision(placement, 0.0).with_bound(0.0)
}

/// What HiGHS's `solution` of the MILP over `x` says: the placement and its bound, the warm
/// start `warm` when HiGHS found none in time, or that no placement reaches the least hit
/// ratio.
fn interpret(
    instance: &CachingInstance,
    x: &HashMap<(usize, usize), Variable>,
    solution: &MilpSolution,
    warm: Option<Placement>,
) -> Result<Found<Placement>, SolveError> {
    let reachable = instance.reachable_hit_ratio();
    match solution.status {
        MilpStatus::Infeasible => {
            return Ok(Found::infeasible(format!(
                "no placement reaches the least hit ratio {:.6} (HiGHS proved the MILP infeasible; requests some server can serve in time make up {:.6})",
                instance.min_hit_ratio.unwrap_or(0.0),
                reachable
            )));
        }
        MilpStatus::Unbounded => {
            return Err(SolveError::Backend(
                "HiGHS reports the bounded caching MILP unbounded".into(),
            ));
        }
        MilpStatus::Optimal | MilpStatus::Limit => {}
    }
    let timed_out = solution.status == MilpStatus::Limit;
    let bound = solution.bound.min(reachable);
    if !solution.has_solution {
        return Ok(Found::warm_start(instance, warm, bound));
    }
    let placement = extract(x, solution, instance.servers.len());
    let evaluation = instance.evaluate(&placement);
    if let Some(v) = evaluation.violations.first() {
        return Err(SolveError::Backend(format!(
            "HiGHS returned a placement that breaks `{}` of {} by {}",
            v.constraint, v.subject, v.excess
        )));
    }
    // The placement's own value is a lower bound on the optimum: a bound below it is HiGHS's
    // tolerance at work.
    let bound = bound.max(evaluation.objective);
    Ok(Found::decision(placement, evaluation.objective)
        .with_bound(bound)
        .timed_out(timed_out))
}

/// The placement of a MILP solution: `x > 0.5`.
fn extract(
    x: &HashMap<(usize, usize), Variable>,
    solution: &MilpSolution,
    servers: usize,
) -> Placement {
    let mut placement = Placement::empty(servers);
    for (&(n, i), &v) in x {
        if solution.value(v) > 0.5 {
            placement.insert(n, i);
        }
    }
    placement
}

/// The MILP, its objective, its placement variables and a start from `warm`.
struct Built {
    milp: MilpModel,
    objective: Expression,
    x: HashMap<(usize, usize), Variable>,
    initial: Vec<(Variable, f64)>,
}

fn build(instance: &CachingInstance, warm: Option<&Placement>) -> Built {
    let servers = instance.servers.len();
    let models = instance.library.models.len();
    let library = &instance.library;
    let stores = |n: usize, i: usize| warm.is_some_and(|p| p.stores(n, i));
    let mut useful = vec![vec![false; models]; servers];
    for d in instance.demands() {
        for &n in &d.servers {
            useful[n][d.model] = true;
        }
    }
    let mut m = MilpModel::default();
    m.set_feasibility_tolerance(FEASIBILITY_TOLERANCE);
    let mut x: HashMap<(usize, usize), Variable> = HashMap::new();
    let mut initial: Vec<(Variable, f64)> = Vec::new();
    for (n, row) in useful.iter().enumerate() {
        for (i, &u) in row.iter().enumerate() {
            if u {
                let v = m.add(variable().binary());
                x.insert((n, i), v);
                initial.push((v, stores(n, i) as u8 as f64));
            }
        }
    }
    let users = library.users_of_blocks();
    for n in 0..servers {
        let mut load = Expression::from(0.0);
        let capacity = instance.servers[n].storage_bytes;
        for (b, using) in users.iter().enumerate() {
            let here: Vec<usize> = using.iter().copied().filter(|&i| useful[n][i]).collect();
            let price = library.blocks[b].bytes / capacity;
            match here.as_slice() {
                [] => {}
                [i] => load += price * x[&(n, *i)],
                many => {
                    let y = m.add(variable().min(0.0).max(1.0));
                    let stored = many.iter().any(|&i| stores(n, i));
                    initial.push((y, stored as u8 as f64));
                    for &i in many {
                        m.constrain((x[&(n, i)] - y).leq(0.0));
                    }
                    load += price * y;
                }
            }
        }
        m.constrain(load.leq(1.0));
    }
    let mut objective = Expression::from(0.0);
    for d in instance.demands() {
        let h = m.add(variable().min(0.0).max(1.0));
        let served: Expression = d.servers.iter().map(|&n| x[&(n, d.model)]).sum();
        let hit = d.servers.iter().any(|&n| stores(n, d.model));
        initial.push((h, hit as u8 as f64));
        m.constrain((h - served).leq(0.0));
        objective += d.weight * h;
    }
    if let Some(target) = instance.min_hit_ratio {
        m.constrain(objective.clone().geq(target));
    }
    if warm.is_none() {
        initial.clear();
    }
    Built {
        milp: m,
        objective,
        x,
        initial,
    }
}
