//! TrimCaching's algorithm for the special case of a few shared blocks (Qu et al.,
//! "TrimCaching: Parameter-sharing AI Model Caching in Wireless Edge Networks", ICDCS 2024;
//! journal version arXiv 2404.14204): a successive greedy over the servers, each server's
//! placement chosen by enumerating which shared blocks it stores and solving the rest as a
//! knapsack by dynamic programming.
//!
//! Given the placements of the servers before it, server `n`'s contribution to the hit ratio is
//! *modular* in its own models: storing `i` adds `w_i`, the weight of the requests for `i` that
//! `n` can serve and no earlier server already serves. For each subset `B` of the shared blocks
//! that fits, the models whose shared blocks all lie in `B` cost only their own bytes, which no
//! other model uses, so the best choice among them is a 0/1 knapsack of capacity `Q_n − |B|`.
//! The knapsack is solved to within `1 − ε` by dynamic programming over profits rounded to
//! multiples of `K = ε·LB/m` (`m` items, `LB ≤ OPT` the better of the largest item and the
//! density-greedy fill; Ibarra and Kim, J. ACM 1975), so each server's step is a
//! `(1 − ε)`-approximation of its subproblem, and the successive greedy over a partition of the
//! ground set by server is within `(1 − ε)/(2 − ε) ≥ (1 − ε)/2` of the optimum (Fisher,
//! Nemhauser and Wolsey, 1978, with approximate steps as in Qu et al.'s Theorem).
//!
//! The enumeration visits `2^s` subsets for `s` shared blocks; with more than
//! [`TrimCaching::max_shared_blocks`] shared blocks the solver refuses the instance
//! ([`SolveError::Unsupported`]): that is the general case, for which Qu et al. give no
//! guarantee and the [`super::Greedy`] applies.

use super::cover::{Accounting, Cover};
use super::decision::Placement;
use super::greedy::finish;
use super::instance::CachingInstance;
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use std::time::Instant;

/// Successive greedy over servers with shared-block enumeration and a knapsack FPTAS.
#[derive(Debug, Clone, Copy)]
pub struct TrimCaching {
    /// Accuracy `ε` of each knapsack (guarantee `(1 − ε)/2`).
    pub epsilon: f64,
    /// Most shared blocks accepted (the enumeration visits `2^s` subsets per server).
    pub max_shared_blocks: usize,
}

impl Default for TrimCaching {
    fn default() -> Self {
        TrimCaching {
            epsilon: 0.05,
            max_shared_blocks: 12,
        }
    }
}

/// A 0/1 knapsack solved to within `1 − epsilon` of its optimum: the indices of the items
/// taken. Items of zero weight are always taken; items heavier than `capacity` never.
pub fn knapsack(values: &[f64], weights: &[f64], capacity: f64, epsilon: f64) -> Vec<usize> {
    let (mut taken, items) = triage(values, weights, capacity);
    if items.is_empty() {
        return taken;
    }
    let order = density_order(values, weights, &items);
    let (lower, upper) = greedy_bounds(values, weights, &items, &order, capacity);
    let m = items.len() as f64;
    let scale = (epsilon.max(1e-6) * lower / m).max(f64::MIN_POSITIVE);
    let profits: Vec<usize> = items
        .iter()
        .map(|&j| (values[j] / scale).floor() as usize)
        .collect();
    let top = ((upper / scale).floor() as usize).min(profits.iter().sum());
    let mut chosen = best_rounded(weights, &items, &profits, top, capacity);
    fill_room(weights, &items, &order, &mut chosen, capacity);
    taken.extend((0..items.len()).filter(|&t| chosen[t]).map(|t| items[t]));
    taken.sort_unstable();
    taken
}

/// The items always taken (worth something and weighing nothing), and those to choose among
/// (worth something and fitting `capacity` alone).
fn triage(values: &[f64], weights: &[f64], capacity: f64) -> (Vec<usize>, Vec<usize>) {
    let mut taken: Vec<usize> = Vec::new();
    let mut items: Vec<usize> = Vec::new();
    for j in 0..values.len() {
        if values[j] <= 0.0 || weights[j] > capacity {
            continue;
        }
        if weights[j] <= 0.0 {
            taken.push(j);
        } else {
            items.push(j);
        }
    }
    (taken, items)
}

/// `items` in decreasing value per unit of weight, ties by index.
fn density_order(values: &[f64], weights: &[f64], items: &[usize]) -> Vec<usize> {
    let mut order = items.to_vec();
    order.sort_by(|&a, &b| {
        (values[b] / weights[b])
            .total_cmp(&(values[a] / weights[a]))
            .then(a.cmp(&b))
    });
    order
}

/// Bounds on the optimum from the density greedy: its prefix before the first item that does
/// not fit, plus the largest item, bounds it from above (the LP bound); the better of the two
/// from below. Returns `(lower, upper)`.
fn greedy_bounds(
    values: &[f64],
    weights: &[f64],
    items: &[usize],
    order: &[usize],
    capacity: f64,
) -> (f64, f64) {
    let v_max = items.iter().map(|&j| values[j]).fold(0.0, f64::max);
    let (mut prefix, mut room) = (0.0, capacity);
    for &j in order {
        if weights[j] > room {
            break;
        }
        prefix += values[j];
        room -= weights[j];
    }
    (prefix.max(v_max), prefix + v_max)
}

/// The dynamic programme over the rounded `profits` of `items` (at most `top` in all): per
/// item, whether the lightest choice of the highest profit within `capacity` takes it.
fn best_rounded(
    weights: &[f64],
    items: &[usize],
    profits: &[usize],
    top: usize,
    capacity: f64,
) -> Vec<bool> {
    // best[p]: least weight reaching scaled profit exactly p; took[t][p]: item t was used.
    let mut best = vec![f64::INFINITY; top + 1];
    best[0] = 0.0;
    let mut took = vec![vec![false; top + 1]; items.len()];
    for (t, &j) in items.iter().enumerate() {
        let p = profits[t];
        if p == 0 {
            continue;
        }
        for q in (p..=top).rev() {
            let w = best[q - p] + weights[j];
            if w < best[q] {
                best[q] = w;
                took[t][q] = true;
            }
        }
    }
    let mut q = (0..=top).rev().find(|&q| best[q] <= capacity).unwrap_or(0);
    let mut chosen = vec![false; items.len()];
    for t in (0..items.len()).rev() {
        if q > 0 && took[t][q] {
            chosen[t] = true;
            q -= profits[t];
        }
    }
    chosen
}

/// Fills what room `chosen` leaves within `capacity` with the items not chosen (those whose
/// profit rounding took away), densest first.
fn fill_room(
    weights: &[f64],
    items: &[usize],
    order: &[usize],
    chosen: &mut [bool],
    capacity: f64,
) {
    let mut used: f64 = (0..items.len())
        .filter(|&t| chosen[t])
        .map(|t| weights[items[t]])
        .sum();
    for &j in order {
        let t = items.iter().position(|&x| x == j).unwrap_or(0);
        if !chosen[t] && used + weights[j] <= capacity {
            chosen[t] = true;
            used += weights[j];
        }
    }
}

/// Per model of a library: the bitmask of the shared blocks it uses (bit `b` for
/// `shared[b]`) and the bytes of its own blocks.
struct Masks {
    shared: Vec<usize>,
    mask: Vec<u64>,
    own: Vec<f64>,
}

impl Masks {
    fn of(instance: &CachingInstance, shared: Vec<usize>) -> Masks {
        let library = &instance.library;
        let models = library.models.len();
        let mut mask = vec![0u64; models];
        let mut own = vec![0.0; models];
        for (i, m) in library.models.iter().enumerate() {
            for &b in &m.blocks {
                match shared.iter().position(|&s| s == b) {
                    Some(bit) => mask[i] |= 1 << bit,
                    None => own[i] += library.blocks[b].bytes,
                }
            }
        }
        Masks { shared, mask, own }
    }

    /// Bytes of the shared blocks in `subset`.
    fn bytes(&self, instance: &CachingInstance, subset: u64) -> f64 {
        (0..self.shared.len())
            .filter(|&bit| subset >> bit & 1 == 1)
            .map(|bit| instance.library.blocks[self.shared[bit]].bytes)
            .sum()
    }
}

impl TrimCaching {
    /// The models server `n` stores: over every subset of the shared blocks some worthwhile
    /// model uses, the knapsack of the models whose shared blocks are all in the subset; the
    /// best subset's models, and the subsets tried.
    fn server(
        &self,
        instance: &CachingInstance,
        masks: &Masks,
        cover: &mut Cover,
        n: usize,
    ) -> (Vec<usize>, u64) {
        let models = instance.library.models.len();
        let capacity = instance.servers[n].storage_bytes;
        let weights: Vec<f64> = (0..models)
            .map(|i| {
                if cover.useful(n, i) {
                    cover.gain(n, i)
                } else {
                    0.0
                }
            })
            .collect();
        let relevant: u64 = (0..models)
            .filter(|&i| weights[i] > 0.0)
            .fold(0, |acc, i| acc | masks.mask[i]);
        let (mut best, mut tried): ((f64, Vec<usize>), u64) = ((0.0, Vec::new()), 0);
        let mut subset: u64 = 0;
        loop {
            let block_bytes = masks.bytes(instance, subset);
            if block_bytes <= capacity {
                tried += 1;
                let eligible: Vec<usize> = (0..models)
                    .filter(|&i| weights[i] > 0.0 && masks.mask[i] & !subset == 0)
                    .collect();
                let values: Vec<f64> = eligible.iter().map(|&i| weights[i]).collect();
                let costs: Vec<f64> = eligible.iter().map(|&i| masks.own[i]).collect();
                let picked = knapsack(&values, &costs, capacity - block_bytes, self.epsilon);
                let value: f64 = picked.iter().map(|&t| values[t]).sum();
                if value > best.0 {
                    best = (value, picked.iter().map(|&t| eligible[t]).collect());
                }
            }
            // The next subset of `relevant`: s = (s − r) & r.
            subset = subset.wrapping_sub(relevant) & relevant;
            if subset == 0 {
                break;
            }
        }
        (best.1, tried)
    }
}

impl Solver<CachingInstance> for TrimCaching {
    fn name(&self) -> &str {
        "trimcaching"
    }

    fn search(
        &self,
        instance: &CachingInstance,
        budget: &Budget,
    ) -> Result<Found<Placement>, SolveError> {
        if !(self.epsilon > 0.0 && self.epsilon < 1.0) {
            return Err(SolveError::Unsupported {
                solver: self.name().into(),
                message: format!("epsilon must be in (0, 1), got {}", self.epsilon),
            });
        }
        let deadline = deadline(Instant::now(), budget);
        let shared = instance.library.shared_blocks();
        if shared.len() > self.max_shared_blocks {
            return Err(SolveError::Unsupported {
                solver: self.name().into(),
                message: format!(
                    "{} shared blocks (more than {}): the enumeration would visit 2^{} subsets per server; use `greedy` for the general case",
                    shared.len(),
                    self.max_shared_blocks,
                    shared.len()
                ),
            });
        }
        let masks = Masks::of(instance, shared);
        let mut cover = Cover::new(instance, Accounting::Shared);
        let (mut timed_out, mut subsets) = (false, 0u64);
        for n in 0..instance.servers.len() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                timed_out = true;
                break;
            }
            let (models, tried) = self.server(instance, &masks, &mut cover, n);
            subsets += tried;
            for i in models {
                cover.add(n, i);
            }
        }
        let placement = cover.placement;
        let value = instance.evaluate(&placement).objective;
        Ok(finish(instance, placement, value, timed_out)
            .with_work(subsets, instance.servers.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive 0/1 knapsack.
    fn optimum(values: &[f64], weights: &[f64], capacity: f64) -> f64 {
        (0u32..1 << values.len())
            .filter_map(|s| {
                let (mut v, mut w) = (0.0, 0.0);
                for j in 0..values.len() {
                    if s >> j & 1 == 1 {
                        v += values[j];
                        w += weights[j];
                    }
                }
                (w <= capacity).then_some(v)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn knapsack_by_hand_and_against_enumeration() {
        // Values 10, 13, 7, 8; weights 5, 7, 4, 3; capacity 10: items 1 and 3, value 21.
        let picked = knapsack(&[10.0, 13.0, 7.0, 8.0], &[5.0, 7.0, 4.0, 3.0], 10.0, 0.01);
        assert_eq!(picked, vec![1, 3]);
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for _ in 0..200 {
            let n = 1 + (next() * 10.0) as usize;
            let values: Vec<f64> = (0..n).map(|_| next() * 10.0).collect();
            let weights: Vec<f64> = (0..n).map(|_| 0.1 + next() * 5.0).collect();
            let capacity = next() * 12.0;
            for epsilon in [0.5, 0.1] {
                let picked = knapsack(&values, &weights, capacity, epsilon);
                let w: f64 = picked.iter().map(|&j| weights[j]).sum();
                let v: f64 = picked.iter().map(|&j| values[j]).sum();
                let best = optimum(&values, &weights, capacity);
                assert!(w <= capacity + 1e-12);
                assert!(
                    v >= (1.0 - epsilon) * best - 1e-9,
                    "{v} < (1-{epsilon})·{best}"
                );
            }
        }
    }
}
