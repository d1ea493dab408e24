//! A generalised-assignment heuristic over the servers: a Martello–Toth construction, server
//! by server re-optimisation with Moore and Hodgson's rule, a search over the servers'
//! precisions, and exchanges.
//!
//! With every server's precision fixed, the batch is a generalised assignment problem with
//! optional items: request `k` on server `j` uses memory, prefill time within its TTFT budget
//! and decode time there, and is worth `v_k` wherever it goes. For a precision profile:
//!
//! 1. **Construction**, after MTHG (Martello and Toth, "An algorithm for the generalized
//!    assignment problem", Operational Research '81, 1981; *Knapsack Problems*, Wiley 1990,
//!    ch. 7): the desirability of `k` on `j` is `v_k` over the share of `j`'s scarcest resource
//!    `k` takes alone ([`super::shares`]); requests are taken in decreasing best desirability,
//!    ties by the larger regret (best minus second-best desirability), and each joins the most
//!    desirable server on which it still fits, every member's first token checked exactly.
//! 2. **Re-optimisation**: each server in turn replaces its batch by the Moore–Hodgson batch
//!    ([`super::moore_hodgson`]) of its members and the waiting requests when that is worth
//!    more, and waiting requests that fit are admitted, until a round changes nothing.
//!
//! The profile is searched from the best uniform one (every server at one precision) by best
//! improvement: every switch of one server to another precision it offers is tried (its batch
//! emptied and the servers re-optimised), unless even that server's Moore–Hodgson batch over
//! every request could not raise the value; the best switch is kept while it raises the
//! value. Last, **exchanges**:
//! a waiting request `u` takes the place of a member `a` that moves to another server (value
//! `+v_u`), or of a member worth less, or at equal value of one taking a larger share (which
//! makes room), for at most [`Assignment::exchange_rounds`] rounds.
//!
//! Nothing is guaranteed: the constant-factor algorithms for the maximum-profit generalised
//! assignment problem (e.g. the `1 − 1/e` of Fleischer, Goemans, Mirrokni and Sviridenko, SODA
//! 2006) assume additive capacities, while the TTFT rows are nested, and the precision profile
//! is searched locally. The benchmark measures the gap to the exact optimum.

use super::decision::BatchDecision;
use super::greedy::finish;
use super::instance::BatchingInstance;
use super::moore_hodgson::best_batch;
use super::shares::Shares;
use super::state::Packing;
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, SolveError, Solver};
use crate::system::Precision;
use std::time::Instant;

/// Martello–Toth construction, Moore–Hodgson re-optimisation, precision search and exchanges.
#[derive(Debug, Clone, Copy)]
pub struct Assignment {
    /// Most rounds of exchanges after the search (0: none). One round gives nearly all of
    /// their gain on the benchmark instances (mean gap 0.80% with one, 0.78% with up to eight,
    /// 1.43% with none), at about 0.15 ms of the heuristic's 0.8 ms.
    pub exchange_rounds: usize,
}

impl Default for Assignment {
    fn default() -> Self {
        Assignment { exchange_rounds: 1 }
    }
}

/// Most rounds of re-optimisation while the precision profile is searched (they rarely take
/// more than two to settle).
const SEARCH_ROUNDS: usize = 3;

/// What every step shares: the instance, the shares and the requests in increasing budget.
struct Context<'a> {
    instance: &'a BatchingInstance,
    shares: Shares,
    by_budget: Vec<usize>,
    exchange_rounds: usize,
    deadline: Option<Instant>,
}

impl Context<'_> {
    fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// The desirability of request `k` on server `j` (its value over its share there), `None`
/// when it cannot join.
fn desirability(packing: &Packing, shares: &Shares, k: usize, j: usize) -> Option<f64> {
    let share = shares.on(k, j, packing.precision[j]);
    share
        .is_finite()
        .then(|| packing.instance.value(k) / share.max(f64::MIN_POSITIVE))
}

/// Waiting requests that some server may take, in decreasing best desirability, then regret
/// (best minus second-best desirability; infinite with a single server).
fn waiting_order(packing: &Packing, shares: &Shares) -> Vec<usize> {
    let servers = packing.instance.servers.len();
    let mut waiting: Vec<(usize, f64, f64)> = (0..packing.instance.requests.len())
        .filter(|&k| packing.assignment[k].is_none())
        .filter_map(|k| {
            let (mut best, mut second) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
            for j in 0..servers {
                if let Some(d) = desirability(packing, shares, k, j) {
                    if d > best {
                        (best, second) = (d, best);
                    } else if d > second {
                        second = d;
                    }
                }
            }
            best.is_finite().then_some((k, best, best - second))
        })
        .collect();
    waiting.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(b.2.total_cmp(&a.2))
            .then(a.0.cmp(&b.0))
    });
    waiting.into_iter().map(|w| w.0).collect()
}

/// Admits each waiting request, in [`waiting_order`], on its most desirable server where it
/// fits; whether any was admitted.
fn insert_all(packing: &mut Packing, shares: &Shares) -> bool {
    let mut changed = false;
    let mut servers: Vec<(usize, f64)> = Vec::with_capacity(packing.instance.servers.len());
    for k in waiting_order(packing, shares) {
        servers.clear();
        servers.extend(
            (0..packing.instance.servers.len())
                .filter_map(|j| desirability(packing, shares, k, j).map(|d| (j, d))),
        );
        servers.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some((j, q)) = servers
            .iter()
            .find_map(|&(j, _)| packing.fitting_precision(k, j).map(|q| (j, q)))
        {
            packing.add(k, j, q);
            changed = true;
        }
    }
    changed
}

/// The construction and re-optimisation for `profile`.
fn for_profile<'a>(context: &Context<'a>, profile: &[Option<usize>]) -> Packing<'a> {
    let mut packing = Packing::new(context.instance, profile);
    insert_all(&mut packing, &context.shares);
    reoptimise(&mut packing, context, SEARCH_ROUNDS);
    packing
}

/// Each server with a precision in turn replaces its batch by Moore–Hodgson's over its members
/// and the waiting requests when that is worth more; whether any did.
fn reoptimise_servers(packing: &mut Packing, context: &Context) -> bool {
    let instance = context.instance;
    let mut changed = false;
    for j in 0..instance.servers.len() {
        let Some(q) = packing.precision[j] else {
            continue;
        };
        let pool: Vec<usize> = context
            .by_budget
            .iter()
            .copied()
            .filter(|&k| packing.assignment[k].is_none_or(|h| h == j))
            .filter(|&k| instance.is_candidate(k, j, q))
            .collect();
        let batch = best_batch(instance, j, q, &pool);
        let value: f64 = batch.iter().map(|&k| instance.value(k)).sum();
        let current: f64 = packing.members[j].iter().map(|&k| instance.value(k)).sum();
        if value > current + 1e-9 * current.abs().max(1.0) {
            for m in packing.members[j].clone() {
                packing.remove(m);
            }
            for k in batch {
                packing.add(k, j, q);
            }
            changed = true;
        }
    }
    changed
}

/// Re-optimises the servers until a round changes nothing (at most `max_rounds` rounds), then
/// admits waiting requests that still fit somewhere.
fn reoptimise(packing: &mut Packing, context: &Context, max_rounds: usize) -> u64 {
    let mut rounds = 0;
    while rounds < max_rounds as u64 && !context.out_of_time() {
        rounds += 1;
        if !reoptimise_servers(packing, context) {
            break;
        }
    }
    insert_all(packing, &context.shares);
    rounds
}

/// `packing` with server `j` switched to precision index `q`, emptied, and re-optimised.
fn switched<'a>(packing: &Packing<'a>, context: &Context<'a>, j: usize, q: usize) -> Packing<'a> {
    let mut next = packing.clone();
    for m in next.members[j].clone() {
        next.remove(m);
    }
    next.precision[j] = Some(q);
    reoptimise(&mut next, context, SEARCH_ROUNDS);
    next
}

/// Another server on which admitted request `a` fits now, with its precision.
fn elsewhere(packing: &Packing, a: usize) -> Option<(usize, usize)> {
    let j = packing.assignment[a]?;
    (0..packing.instance.servers.len())
        .filter(|&other| other != j)
        .find_map(|other| packing.fitting_precision(a, other).map(|p| (other, p)))
}

/// The best exchange for waiting request `u`, made if there is one: `u` takes the place of a
/// member `a` of a server, and `a` moves to another server where it fits (value `+v_u`); else
/// `u` replaces a member worth less; else, at equal value, a member taking a larger share
/// (which makes room). Whether one was made. `stuck[a]` records members known not to fit on
/// any other server since the batch last changed.
fn exchange(packing: &mut Packing, shares: &Shares, u: usize, stuck: &mut [bool]) -> bool {
    let instance = packing.instance;
    let value = instance.value(u);
    let scale = value.abs().max(1.0);
    let mut fallback: Option<(usize, usize, usize, f64, f64)> = None;
    for j in 0..instance.servers.len() {
        let Some(q) = packing.precision[j] else {
            continue;
        };
        if !instance.is_candidate(u, j, q) {
            continue;
        }
        let own = shares.on(u, j, Some(q));
        for i in 0..packing.members[j].len() {
            let a = packing.members[j][i];
            let gain = value - instance.value(a);
            let share = shares.on(a, j, Some(q));
            let worth = gain > 1e-12 * scale || (gain >= -1e-12 * scale && own < share);
            let better = fallback.is_none_or(|f| gain > f.3 || (gain == f.3 && share > f.4));
            if (stuck[a] && !(worth && better))
                || !packing.may_replace(u, j, q, a)
                || !packing.fits_without(u, j, q, Some(a))
            {
                continue;
            }
            if !stuck[a] {
                match elsewhere(packing, a) {
                    Some((other, p)) => {
                        packing.remove(a);
                        packing.add(a, other, p);
                        packing.add(u, j, q);
                        stuck.fill(false);
                        return true;
                    }
                    None => stuck[a] = true,
                }
            }
            if worth && better {
                fallback = Some((j, q, a, gain, share));
            }
        }
    }
    match fallback {
        Some((j, q, a, _, _)) => {
            packing.remove(a);
            packing.add(u, j, q);
            stuck.fill(false);
            true
        }
        None => false,
    }
}

/// Rounds of exchanges and insertions until a round changes nothing; rounds run.
fn exchanges(packing: &mut Packing, context: &Context) -> u64 {
    let mut rounds = 0;
    let mut stuck = vec![false; context.instance.requests.len()];
    while rounds < context.exchange_rounds as u64 && !context.out_of_time() {
        rounds += 1;
        let mut changed = false;
        for u in waiting_order(packing, &context.shares) {
            if packing.assignment[u].is_none() && exchange(packing, &context.shares, u, &mut stuck)
            {
                changed = true;
            }
        }
        if insert_all(packing, &context.shares) {
            changed = true;
            stuck.fill(false);
        }
        if !changed {
            break;
        }
    }
    rounds
}

/// The requests in increasing TTFT budget, ties by index.
fn budget_order(instance: &BatchingInstance) -> Vec<usize> {
    let mut by_budget: Vec<usize> = (0..instance.requests.len()).collect();
    by_budget.sort_by(|&a, &b| {
        instance
            .ttft_budget_s(a)
            .total_cmp(&instance.ttft_budget_s(b))
            .then(a.cmp(&b))
    });
    by_budget
}

/// The best uniform profile's packing (every server at one precision, where it offers it),
/// with the profiles tried.
fn best_uniform<'a>(context: &Context<'a>) -> (Packing<'a>, u64) {
    let instance = context.instance;
    let servers = instance.servers.len();
    let mut iterations = 0;
    let mut best: Option<Packing> = None;
    for q in 0..Precision::ALL.len() {
        let profile: Vec<Option<usize>> = (0..servers)
            .map(|j| instance.option_at(j, q).is_some().then_some(q))
            .collect();
        let packing = for_profile(context, &profile);
        iterations += 1;
        if best.as_ref().is_none_or(|b| packing.value > b.value) {
            best = Some(packing);
        }
    }
    let best = best.unwrap_or_else(|| Packing::new(instance, &[]));
    (best, iterations)
}

/// What each server could admit at each precision index with every request to itself: a
/// switch that cannot beat the current value even so is not tried.
fn alone_values(context: &Context) -> Vec<[f64; 3]> {
    let instance = context.instance;
    (0..instance.servers.len())
        .map(|j| {
            std::array::from_fn(|q| {
                let pool: Vec<usize> = context
                    .by_budget
                    .iter()
                    .copied()
                    .filter(|&k| instance.is_candidate(k, j, q))
                    .collect();
                best_batch(instance, j, q, &pool)
                    .iter()
                    .map(|&k| instance.value(k))
                    .sum()
            })
        })
        .collect()
}

/// Best improvement from `best`: every switch of one server to another precision from the
/// current profile, the best kept, until none raises the value or time runs out (switches
/// that `alone` shows cannot raise it are not tried). Returns the packing and the switches
/// tried.
fn improve_profile<'a>(
    context: &Context<'a>,
    mut best: Packing<'a>,
    alone: &[[f64; 3]],
) -> (Packing<'a>, u64) {
    let instance = context.instance;
    let offers = |j: usize, q: usize| instance.option_at(j, q).is_some();
    let mut iterations = 0;
    'search: loop {
        let mut next_best: Option<Packing> = None;
        for j in (0..instance.servers.len()).filter(|&j| instance.servers[j].loaded.is_none()) {
            let kept: f64 = best.value
                - best.members[j]
                    .iter()
                    .map(|&k| instance.value(k))
                    .sum::<f64>();
            for q in (0..Precision::ALL.len()).filter(|&q| offers(j, q)) {
                if best.precision[j] == Some(q) || kept + alone[j][q] <= best.value {
                    continue;
                }
                if context.out_of_time() {
                    break 'search;
                }
                let next = switched(&best, context, j, q);
                iterations += 1;
                let threshold = next_best.as_ref().map_or(best.value, |b| b.value);
                if next.value > threshold * (1.0 + 1e-12) {
                    next_best = Some(next);
                }
            }
        }
        match next_best {
            Some(next) => best = next,
            None => break,
        }
    }
    (best, iterations)
}

impl Solver<BatchingInstance> for Assignment {
    fn name(&self) -> &str {
        "assignment"
    }

    fn search(
        &self,
        instance: &BatchingInstance,
        budget: &Budget,
    ) -> Result<Found<BatchDecision>, SolveError> {
        let started = Instant::now();
        let context = Context {
            instance,
            shares: Shares::new(instance),
            by_budget: budget_order(instance),
            exchange_rounds: self.exchange_rounds,
            deadline: deadline(started, budget),
        };
        let (uniform, uniform_iterations) = best_uniform(&context);
        let alone = alone_values(&context);
        let (mut best, switch_iterations) = improve_profile(&context, uniform, &alone);
        let iterations = uniform_iterations + switch_iterations + exchanges(&mut best, &context);
        Ok(finish(instance, best.decision(), iterations))
    }
}
