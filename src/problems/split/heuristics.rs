//! Fast heuristics: a greedy and closed-form allocation with coordinate descent over choices.

use super::instance::SplitInstance;
use super::state::State;
use super::{SplitDecision, found_of};
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, SolveError, Solver};
use std::time::Instant;

/// Places requests one at a time, heaviest first, each on the choice that raises the
/// objective least given those already placed (shares at their closed form).
#[derive(Debug, Clone, Copy, Default)]
pub struct Greedy;

/// Starts from [`Greedy`] and moves one request at a time to its best choice given all the
/// others, with shares at their closed form, until no move improves (a local optimum of the
/// joint problem; each sweep costs O(requests × choices)).
#[derive(Debug, Clone, Copy)]
pub struct CoordinateDescent {
    /// Upper limit on sweeps over all requests.
    pub max_sweeps: usize,
}

impl Default for CoordinateDescent {
    fn default() -> Self {
        CoordinateDescent { max_sweeps: 50 }
    }
}

/// Greedy placement; `Err` names the request that found no feasible choice.
pub(crate) fn greedy_state(instance: &SplitInstance) -> Result<State<'_>, String> {
    let mut state = State::new(instance);
    let mut order: Vec<usize> = (0..instance.requests.len()).collect();
    let heaviness = |k: usize| {
        instance
            .candidates(k)
            .iter()
            .map(|o| o.cost.at(1.0, 1.0))
            .fold(f64::INFINITY, f64::min)
    };
    let keys: Vec<f64> = order.iter().map(|&k| heaviness(k)).collect();
    order.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]).then(a.cmp(&b)));
    for k in order {
        let best = (0..instance.candidates(k).len())
            .filter_map(|i| state.delta(k, i).map(|d| (i, d)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((i, _)) => state.apply(k, i),
            None => {
                return Err(format!(
                    "request {k} (id {}) fits nowhere once the requests before it are placed",
                    instance.requests[k].id
                ));
            }
        }
    }
    Ok(state)
}

/// Improves `state` by single-request moves; returns the number of sweeps.
pub(crate) fn descend(
    state: &mut State<'_>,
    max_sweeps: usize,
    deadline: Option<Instant>,
) -> usize {
    let instance_len = state.picks.len();
    let mut sweeps = 0;
    while sweeps < max_sweeps {
        sweeps += 1;
        let mut improved = false;
        for k in 0..instance_len {
            let current = state.picks[k];
            let candidates = (0..state.candidate_count(k)).filter(|&i| Some(i) != current);
            let best = candidates
                .filter_map(|i| state.delta(k, i).map(|d| (i, d)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, d)) = best {
                if d < -1e-12 * state.objective().abs().max(1e-12) {
                    state.apply(k, i);
                    improved = true;
                }
            }
        }
        if !improved || deadline.is_some_and(|t| Instant::now() >= t) {
            break;
        }
    }
    sweeps
}

/// Moves two requests at once, the first possibly for the worse, when together they improve:
/// the exchanges that rebalance two cells or GPUs, which single moves cannot find. Returns
/// whether anything improved.
pub(crate) fn pair_moves(state: &mut State<'_>, deadline: Option<Instant>) -> bool {
    let requests = state.picks.len();
    let servers = state.server_count();
    // Requests that have some candidate on each server.
    let mut near: Vec<Vec<usize>> = vec![Vec::new(); servers];
    for k in 0..requests {
        for (e, list) in near.iter_mut().enumerate() {
            if (0..state.candidate_count(k)).any(|i| state.option(k, i).choice.server == Some(e)) {
                list.push(k);
            }
        }
    }
    let mut improved = false;
    for k in 0..requests {
        let Some(current) = state.picks[k] else {
            continue;
        };
        for i in 0..state.candidate_count(k) {
            if i == current || deadline.is_some_and(|t| Instant::now() >= t) {
                continue;
            }
            let Some(first) = state.delta(k, i) else {
                continue;
            };
            let touched = [
                state.option(k, current).choice.server,
                state.option(k, i).choice.server,
            ];
            let tolerance = 1e-12 * state.objective().abs().max(1e-12);
            state.apply(k, i);
            let mut best: Option<(usize, usize, f64)> = None;
            for e in touched.into_iter().flatten() {
                for &j in &near[e] {
                    if j == k {
                        continue;
                    }
                    let Some(now) = state.picks[j] else { continue };
                    for i2 in (0..state.candidate_count(j)).filter(|&x| x != now) {
                        if let Some(second) = state.delta(j, i2) {
                            if best.is_none_or(|b| first + second < b.2) {
                                best = Some((j, i2, first + second));
                            }
                        }
                    }
                }
            }
            match best {
                Some((j, i2, total)) if total < -tolerance => {
                    state.apply(j, i2);
                    improved = true;
                    break;
                }
                _ => state.apply(k, current),
            }
        }
    }
    improved
}

impl Solver<SplitInstance> for Greedy {
    fn name(&self) -> &str {
        "greedy"
    }

    fn search(
        &self,
        instance: &SplitInstance,
        _budget: &Budget,
    ) -> Result<Found<SplitDecision>, SolveError> {
        let found = match greedy_state(instance) {
            Ok(state) => found_of(instance, &state.options()),
            Err(why) => Found::not_found(why),
        };
        Ok(found.with_work(0, 1))
    }
}

impl Solver<SplitInstance> for CoordinateDescent {
    fn name(&self) -> &str {
        "descent"
    }

    fn search(
        &self,
        instance: &SplitInstance,
        budget: &Budget,
    ) -> Result<Found<SplitDecision>, SolveError> {
        let deadline = deadline(Instant::now(), budget);
        let mut state = match greedy_state(instance) {
            Ok(s) => s,
            Err(why) => return Ok(Found::not_found(why)),
        };
        let sweeps = descend(&mut state, self.max_sweeps, deadline);
        Ok(found_of(instance, &state.options()).with_work(0, sweeps as u64))
    }
}
