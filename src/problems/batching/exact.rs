//! The exact solver: a MILP on HiGHS with the assignment indexed by precision.
//!
//! ```text
//! max  Σ_{k,j,q} v_k x_kjq
//! s.t. Σ_{j,q} x_kjq ≤ 1                                  every request k
//!      Σ_q y_jq ≤ 1,  x_kjq ≤ y_jq                         every server j (y = 1 for the
//!                                                          loaded precision while sequences run)
//!      Σ_k (e_k / C_jq) x_kjq ≤ y_jq                       memory, C_jq = M_j − W_q − running KV
//!      a_jqc y_jq + Σ_{k: r_k ≤ r} p_kjqc x_kjq ≤ r y_jq    TTFT, every budget r, combination c
//!      b_jqc y_jq + Σ_k d_kjqc x_kjq ≤ min_{k admitted} s_k decode step, every combination c
//!      x, y ∈ {0,1}
//! ```
//!
//! `x_kjq` exists only for the pairs on which request `k` meets its SLOs alone
//! ([`BatchingInstance::candidates`]); `e_k` is its KV cache, `r_k` its TTFT budget (SLO minus
//! time waited), `s_k` its TPOT limit, `p` and `d` its linear prefill and decode-step pieces in
//! the four roofline combinations `c` ([`crate::system::batch_time`]). The prompts are prefilled earliest
//! budget first, so the TTFT rows are one per budget level: the prefill of every admitted
//! prompt with a budget at most `r` ends within `r` ([`prefix_rows`]). The decode step is one
//! for the whole batch, so its limit is the least TPOT limit of the admitted members, written
//! with continuous level variables ([`deadline_rows`]). Rows that cannot bind are left out.
//! Why the MILP is exact (every binary solution is a feasible batch with the same value and
//! back) is proved in `formulations/batching.md`.
//!
//! The warm start is [`super::Assignment`]'s batch; the status is `Optimal` only when HiGHS's
//! bound is within the budget's gap of the batch's value as [`Problem::evaluate`] computes it.
//! When every value is an integer (integer weights, either objective), the optimum is an
//! integer, so the bound is rounded down to one and HiGHS may stop as soon as its bound is
//! less than one above the incumbent: no better batch can then exist.

use super::assignment::Assignment;
use super::decision::BatchDecision;
use super::instance::{BatchingInstance, ServerOption};
use crate::solve::executor::{deadline, remaining};
use crate::solve::milp::{MilpModel, MilpSolution, MilpStatus};
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use crate::system::COMBINATIONS;
use crate::system::Precision;
use good_lp::{Expression, Variable, variable};
use std::time::Instant;

/// MILP on HiGHS over (request, server, precision) with a proven bound.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exact;

/// HiGHS's primal and integrality tolerances: time rows are in seconds (limits of 0.05 to 2 s)
/// and memory rows are scaled to the free memory, so a row met within this is met within
/// [`super::TOLERANCE`] relative.
const FEASIBILITY_TOLERANCE: f64 = 1e-9;

/// Slack on the proof by integrality: HiGHS stops once its bound is below the incumbent plus
/// `1 − INTEGRAL_MARGIN`, and a bound is rounded down after adding a tenth of it.
const INTEGRAL_MARGIN: f64 = 1e-5;

/// The MILP, its objective, its variables and a start.
struct Built {
    milp: MilpModel,
    objective: Expression,
    /// `(k, j, q, x_kjq)`.
    x: Vec<(usize, usize, usize, Variable)>,
    initial: Vec<(Variable, f64)>,
}

/// The MILP of `instance`, started at `warm` when given: per server, a choice of precision
/// and per precision the assignments of its candidates with their memory, TTFT and TPOT rows;
/// then one assignment per request at most.
fn build(instance: &BatchingInstance, warm: Option<&BatchDecision>) -> Built {
    let mut built = Built {
        milp: MilpModel::default(),
        objective: Expression::from(0.0),
        x: Vec::new(),
        initial: Vec::new(),
    };
    built.milp.set_feasibility_tolerance(FEASIBILITY_TOLERANCE);
    let mut per_request: Vec<Expression> = vec![Expression::from(0.0); instance.requests.len()];
    for j in 0..instance.servers.len() {
        let loaded = instance.servers[j].loaded;
        let mut choices = Expression::from(0.0);
        for q in 0..Precision::ALL.len() {
            let Some(option) = instance.option_at(j, q) else {
                continue;
            };
            let eligible: Vec<usize> = (0..instance.requests.len())
                .filter(|&k| instance.is_candidate(k, j, q))
                .collect();
            if eligible.is_empty() {
                continue;
            }
            let members: Vec<usize> = eligible
                .iter()
                .copied()
                .filter(|&k| warm_admits(instance, warm, k, j, q))
                .collect();
            let used = !members.is_empty();
            let y: Expression = if loaded.is_some() {
                Expression::from(1.0)
            } else {
                let v = built.milp.add(variable().binary());
                built.initial.push((v, used as u8 as f64));
                choices += v;
                v.into()
            };
            let terms = built.assign(instance, (j, q), &y, &eligible, &members, &mut per_request);
            let y_start = if loaded.is_some() {
                1.0
            } else {
                used as u8 as f64
            };
            built.option_rows(option, &y, y_start, terms);
        }
        if loaded.is_none() {
            built.milp.constrain(choices.leq(1.0));
        }
    }
    for row in per_request {
        built.milp.constrain(row.leq(1.0));
    }
    if warm.is_none() {
        built.initial.clear();
    }
    built
}

/// Whether the start `warm` admits request `k` on server `j` at precision index `q`.
fn warm_admits(
    instance: &BatchingInstance,
    warm: Option<&BatchDecision>,
    k: usize,
    j: usize,
    q: usize,
) -> bool {
    warm.is_some_and(|d| {
        d.assignments.get(k).copied().flatten() == Some(j)
            && instance.served_precision(d, j) == Some(Precision::ALL[q])
    })
}

/// What the candidates of one server option contribute to its rows.
struct OptionTerms {
    /// Their KV caches, as fractions of the memory left.
    memory: Expression,
    /// Every candidate, with its TTFT budget and prefill terms.
    ttft: Vec<Member>,
    /// The candidates that decode, with their TPOT limits and decode-step terms.
    tpot: Vec<Member>,
}

impl Built {
    /// The assignment variables `x_kjq` of the `eligible` requests on server `j` at precision
    /// index `q` (`members` started at 1), each within the option's `y` when the server may
    /// choose, counted in the objective and in its request's row of `per_request`.
    fn assign(
        &mut self,
        instance: &BatchingInstance,
        (j, q): (usize, usize),
        y: &Expression,
        eligible: &[usize],
        members: &[usize],
        per_request: &mut [Expression],
    ) -> OptionTerms {
        let option = instance
            .option_at(j, q)
            .expect("a candidate's option exists");
        let loaded = instance.servers[j].loaded;
        let mut terms = OptionTerms {
            memory: Expression::from(0.0),
            ttft: Vec::with_capacity(eligible.len()),
            tpot: Vec::new(),
        };
        for &k in eligible {
            let v = self.milp.add(variable().binary());
            self.x.push((k, j, q, v));
            self.initial.push((v, members.contains(&k) as u8 as f64));
            if loaded.is_none() {
                self.milp.constrain((v - y.clone()).leq(0.0));
            }
            per_request[k] += v;
            self.objective += instance.value(k) * v;
            terms.memory += (instance.kv_bytes(k) / option.kv_capacity_bytes) * v;
            let start = members.contains(&k);
            terms.ttft.push(Member {
                limit_s: instance.ttft_budget_s(k),
                x: v,
                start,
                terms_s: option.prefill.per_request_s[k],
            });
            if instance.decodes(k) {
                terms.tpot.push(Member {
                    limit_s: instance.requests[k].tpot_slo_s.min(option.running_tpot_s),
                    x: v,
                    start,
                    terms_s: option.decode.per_request_s[k],
                });
            }
        }
        terms
    }

    /// The rows of one server option whose batch exists when `y` is 1 (at `y_start` in the
    /// start): its memory, the prefill within the tightest TTFT budget of the admitted
    /// requests, and the longest decode step within the tightest TPOT limit of the decoding
    /// ones.
    fn option_rows(
        &mut self,
        option: &ServerOption,
        y: &Expression,
        y_start: f64,
        terms: OptionTerms,
    ) {
        self.milp.constrain(terms.memory.leq(y.clone()));
        prefix_rows(
            &mut self.milp,
            y,
            y_start,
            &option.prefill.constant_s,
            &terms.ttft,
            &mut self.initial,
        );
        if !terms.tpot.is_empty() {
            deadline_rows(
                &mut self.milp,
                y,
                y_start,
                &option.decode.constant_s,
                &terms.tpot,
                &mut self.initial,
            );
        }
    }
}

/// A request that may join a batch whose time must stay within its members' least limit.
struct Member {
    /// Its limit (TTFT budget or TPOT limit).
    limit_s: f64,
    /// Its assignment variable.
    x: Variable,
    /// Whether the start admits it.
    start: bool,
    /// What it adds to each combination of the batch time.
    terms_s: [f64; COMBINATIONS],
}

/// Rows keeping every admitted member's first token within its TTFT budget, the prompts being
/// prefilled earliest budget first: with the distinct budgets `L_0 < … < L_{n−1}`, for every
/// level `l` and combination `c`, `a_c y + Σ_{k: L(k) ≤ L_l} t_kc x_k ≤ L_l y`. A level with
/// no admitted member needs no row (its prefix is the one of the level below, within a smaller
/// budget) but its row holds anyway, so the rows say exactly that the batch is on time.
///
/// Rows that cannot bind are left out, which changes no feasible point: a level whose row
/// holds with every candidate of that level or tighter admitted, and a combination `c` whose
/// rows another kept combination `c'` implies (`a_c − a_c' + Σ_k max(0, t_kc − t_kc') ≤ 0`
/// over all candidates). The kept rows of a combination are written as a chain of slack
/// variables, `d_i ≤ d_{i−1} + (L_{l_i} − L_{l_{i−1}}) y − Σ_{k: L_{l_{i−1}} < L(k) ≤ L_{l_i}}
/// t_kc x_k` with `d_i ≥ 0` (`L_{l_{−1}} = a_c`, `d_{−1} = 0`), so that they stay sparse: a
/// chain exists exactly when every kept prefix is within its budget.
fn prefix_rows(
    m: &mut MilpModel,
    y: &Expression,
    y_start: f64,
    constant_s: &[f64; COMBINATIONS],
    members: &[Member],
    initial: &mut Vec<(Variable, f64)>,
) {
    let mut order: Vec<&Member> = members.iter().collect();
    order.sort_by(|a, b| a.limit_s.total_cmp(&b.limit_s));
    let kept = kept_combinations(constant_s, members);
    for c in kept {
        // The levels whose row can bind: the prefix of every candidate exceeds the budget.
        let mut checkpoints: Vec<usize> = Vec::new();
        let mut total = constant_s[c];
        for (i, e) in order.iter().enumerate() {
            total += e.terms_s[c];
            let last_of_level = order.get(i + 1).is_none_or(|n| n.limit_s > e.limit_s);
            if last_of_level && total > e.limit_s {
                checkpoints.push(i);
            }
        }
        let mut previous: Option<Variable> = None;
        let mut below = constant_s[c];
        let mut slack_start = 0.0;
        let mut first = 0;
        for &last in &checkpoints {
            let limit = order[last].limit_s;
            let step = limit - below;
            below = limit;
            let span = &order[first..=last];
            first = last + 1;
            slack_start += step * y_start
                - span
                    .iter()
                    .filter(|e| e.start)
                    .map(|e| e.terms_s[c])
                    .sum::<f64>();
            let d = m.add(variable().min(0.0));
            initial.push((d, slack_start.max(0.0)));
            let mut row = Expression::from(0.0) + d - step * y.clone();
            if let Some(p) = previous {
                row -= p;
            }
            for e in span {
                row += e.terms_s[c] * e.x;
            }
            m.constrain(row.leq(0.0));
            previous = Some(d);
        }
    }
}

/// The combinations whose rows are not implied by another kept one's over `members`:
/// combination `c` is implied by `c'` when `a_c − a_c' + Σ_k max(0, t_kc − t_kc') ≤ 0`, since
/// then `c`'s time is at most `c'`'s for every set of members.
fn kept_combinations(constant_s: &[f64; COMBINATIONS], members: &[Member]) -> Vec<usize> {
    let implies = |by: usize, c: usize| {
        constant_s[c] - constant_s[by]
            + members
                .iter()
                .map(|e| (e.terms_s[c] - e.terms_s[by]).max(0.0))
                .sum::<f64>()
            <= 0.0
    };
    let mut kept: Vec<usize> = Vec::new();
    for c in 0..COMBINATIONS {
        let implied =
            (0..COMBINATIONS).any(|by| by != c && implies(by, c) && (!implies(c, by) || by < c));
        if !implied {
            kept.push(c);
        }
    }
    kept
}

/// Rows keeping the batch time `max_c (a_c y + Σ_k t_kc x_k)` within the least limit of the
/// admitted members, where `y` says whether the batch exists.
///
/// With the distinct limits `L_0 < … < L_{n−1}`, level variables
/// `0 ≤ Z_0 ≤ … ≤ Z_{n−2} ≤ Z_{n−1} = y` ("a member of limit at most `L_l` is admitted"),
/// rows `x_k ≤ Z_{l(k)}`, and `w_l = Z_l − Z_{l−1}` (`Z_{−1} = 0`), the rows are, for every
/// level `l` and combination `c`,
///
/// ```text
/// Σ_{k: l(k) ≤ l} t_kc x_k ≤ Σ_{m ≤ l} (L_m − a_c) w_m.
/// ```
///
/// For binary `x` and `y` whose tightest admitted member has level `m`, `Z_l = 1` for
/// `l ≥ m` and the right-hand side is largest at `Z_l = 0` for `l < m`, where it is
/// `L_m − a_c` for `l ≥ m` and 0 below: the last row says the batch time is within `L_m`, and
/// the others then hold. So the level variables need not be integer (proof in
/// `formulations/batching.md`). The rows below the last cut off fractional points that spread
/// tight members over several levels. They are written with slack variables
/// `d_l = d_{l−1} + (L_l − a_c) w_l − Σ_{k: l(k) = l} t_kc x_k ≥ 0` to stay sparse;
/// combinations implied by another are left out.
fn deadline_rows(
    m: &mut MilpModel,
    y: &Expression,
    y_start: f64,
    constant_s: &[f64; COMBINATIONS],
    members: &[Member],
    initial: &mut Vec<(Variable, f64)>,
) {
    let mut limits: Vec<f64> = members.iter().map(|e| e.limit_s).collect();
    limits.sort_by(f64::total_cmp);
    limits.dedup();
    let n = limits.len();
    let level = |limit: f64| limits.partition_point(|&l| l < limit);
    // The level of the tightest member of the start (n − 1 for a batch with none: Z_{n−1} = y).
    let tightest_start = members
        .iter()
        .filter(|e| e.start)
        .map(|e| level(e.limit_s))
        .min()
        .unwrap_or(if y_start > 0.5 { n - 1 } else { n });
    let z: Vec<Variable> = (0..n - 1)
        .map(|l| {
            let v = m.add(variable().min(0.0).max(1.0));
            initial.push((v, (tightest_start <= l) as u8 as f64));
            v
        })
        .collect();
    for pair in z.windows(2) {
        m.constrain((pair[0] - pair[1]).leq(0.0));
    }
    if let Some(&last) = z.last() {
        m.constrain((last - y.clone()).leq(0.0));
    }
    for e in members {
        let l = level(e.limit_s);
        if l < n - 1 {
            m.constrain((e.x - z[l]).leq(0.0));
        }
    }
    // w_l = Z_l − Z_{l−1}: the tightest admitted member has level l (Z_{n−1} = y, Z_{−1} = 0).
    let level_expr = |l: usize| -> Expression { if l + 1 == n { y.clone() } else { z[l].into() } };
    for c in kept_combinations(constant_s, members) {
        // d_l = d_{l−1} + (L_l − a_c) w_l − Σ_{k: l(k) = l} t_kc x_k ≥ 0.
        let mut previous: Option<Variable> = None;
        let mut slack_start = 0.0;
        for (l, &limit) in limits.iter().enumerate() {
            let tightest = (tightest_start == l) as u8 as f64;
            let used: f64 = members
                .iter()
                .filter(|e| e.start && level(e.limit_s) == l)
                .map(|e| e.terms_s[c])
                .sum();
            let room = limit - constant_s[c];
            slack_start += room * tightest - used;
            let d = m.add(variable().min(0.0));
            initial.push((d, slack_start.max(0.0)));
            let mut row = Expression::from(0.0) + d - room * level_expr(l);
            if l > 0 {
                row += room * level_expr(l - 1);
            }
            if let Some(p) = previous {
                row -= p;
            }
            for e in members.iter().filter(|e| level(e.limit_s) == l) {
                row += e.terms_s[c] * e.x;
            }
            m.constrain(row.eq(0.0));
            previous = Some(d);
        }
    }
}

/// The batch of a MILP solution: `x > 0.5`, each used server at its precision.
fn extract(
    instance: &BatchingInstance,
    x: &[(usize, usize, usize, Variable)],
    solution: &MilpSolution,
) -> BatchDecision {
    let mut decision = BatchDecision::empty(instance.servers.len(), instance.requests.len());
    for &(k, j, q, v) in x {
        if solution.value(v) > 0.5 {
            decision.assignments[k] = Some(j);
            decision.precisions[j] = Some(Precision::ALL[q]);
        }
    }
    decision
}

impl Solver<BatchingInstance> for Exact {
    fn name(&self) -> &str {
        "exact"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn search(
        &self,
        instance: &BatchingInstance,
        budget: &Budget,
    ) -> Result<Found<BatchDecision>, SolveError> {
        let started = Instant::now();
        if instance.servable_value() <= 0.0 {
            // Nobody can be admitted: the empty batch is optimal, with bound 0.
            let decision = BatchDecision::empty(instance.servers.len(), instance.requests.len());
            return Ok(Found::decision(decision, 0.0).with_bound(0.0));
        }
        let warm = Assignment::default().solve(
            instance,
            &Budget {
                time_limit: None,
                ..budget.clone()
            },
        )?;
        let warm_decision = warm.valid_decision().cloned();
        let deadline = deadline(started, budget);
        // With integer values, a batch better than the incumbent is worth at least one more, so
        // a bound below incumbent + 1 proves the incumbent optimal.
        let integral = (0..instance.requests.len()).all(|k| instance.value(k).fract() == 0.0);
        let build_with = |start: Option<&BatchDecision>| {
            let mut built = build(instance, start);
            if integral {
                built.milp.set_absolute_gap(1.0 - INTEGRAL_MARGIN);
            }
            built
        };
        let built = build_with(warm_decision.as_ref());
        let variables = built.milp.num_variables() as u64;
        let milp_budget = |deadline| Budget {
            time_limit: remaining(deadline),
            ..budget.clone()
        };
        let mut solution =
            built
                .milp
                .maximise(built.objective, &milp_budget(deadline), &built.initial)?;
        let mut x = built.x;
        // A returned batch worth less than HiGHS reports means HiGHS kept a MIP start under a
        // presolved objective that differs from its own (seen with HiGHS 1.16): solve again
        // without the start.
        if solution.has_solution && warm_decision.is_some() {
            let value = instance
                .evaluate(&extract(instance, &x, &solution))
                .objective;
            if value < solution.objective - 1e-9 * solution.objective.abs().max(1.0) {
                let cold = build_with(None);
                solution = cold
                    .milp
                    .maximise(cold.objective, &milp_budget(deadline), &[])?;
                x = cold.x;
            }
        }
        let found = interpret(instance, &x, &solution, integral, warm_decision)?;
        Ok(found.with_work(solution.nodes, variables))
    }
}

/// What HiGHS's `solution` of the MILP over `x` says: the batch and its bound, or the warm
/// start `warm` when HiGHS found none in time.
fn interpret(
    instance: &BatchingInstance,
    x: &[(usize, usize, usize, Variable)],
    solution: &MilpSolution,
    integral: bool,
    warm: Option<BatchDecision>,
) -> Result<Found<BatchDecision>, SolveError> {
    match solution.status {
        MilpStatus::Infeasible | MilpStatus::Unbounded => {
            return Err(SolveError::Backend(format!(
                "HiGHS reports the batching MILP {:?}, but admitting nobody is feasible and every variable is bounded",
                solution.status
            )));
        }
        MilpStatus::Optimal | MilpStatus::Limit => {}
    }
    let timed_out = solution.status == MilpStatus::Limit;
    let mut bound = solution.bound.min(instance.servable_value());
    if integral {
        // The optimum is an integer at most the bound; a bound within the margin below an
        // integer is taken as that integer, so HiGHS's round-off cannot undercut it.
        bound = (bound + INTEGRAL_MARGIN / 10.0).floor();
    }
    if !solution.has_solution {
        return Ok(Found::warm_start(instance, warm, bound));
    }
    let decision = extract(instance, x, solution);
    let evaluation = instance.evaluate(&decision);
    if let Some(v) = evaluation.violations.first() {
        return Err(SolveError::Backend(format!(
            "HiGHS returned a batch that breaks `{}` of {} by {}",
            v.constraint, v.subject, v.excess
        )));
    }
    // The batch's own value is a lower bound on the optimum: a bound below it is HiGHS's
    // tolerance at work.
    let bound = bound.max(evaluation.objective);
    Ok(Found::decision(decision, evaluation.objective)
        .with_bound(bound)
        .timed_out(timed_out))
}
