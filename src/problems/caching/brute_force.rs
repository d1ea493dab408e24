//! An independent exact oracle for small instances: every combination of every server's
//! feasible model sets, judged by [`Problem::evaluate`]'s hit ratio.
//!
//! Per server it lists the sets of models that fit its storage (shared blocks once), among the
//! models some request could hit there; then it walks every combination, counting per merged
//! request how many stored copies serve it. Nothing is pruned, so the result is the optimum by
//! construction (with ties, the first combination in enumeration order).

use super::decision::Placement;
use super::instance::CachingInstance;
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use std::time::Instant;

/// Exhaustive search; refused ([`SolveError::Unsupported`]) when the number of combinations
/// exceeds `max_combinations` or a server has more than 20 useful models.
#[derive(Debug, Clone, Copy)]
pub struct BruteForce {
    /// Largest product of the servers' feasible-set counts accepted.
    pub max_combinations: u64,
}

impl Default for BruteForce {
    fn default() -> Self {
        BruteForce {
            max_combinations: 5_000_000,
        }
    }
}

struct Walk<'a> {
    /// Per server, its feasible sets as lists of models.
    sets: Vec<Vec<Vec<usize>>>,
    /// `pairs[n][i]`: demands server `n` serves for model `i`.
    pairs: Vec<Vec<Vec<usize>>>,
    weights: &'a [f64],
    count: Vec<u32>,
    value: f64,
    path: Vec<usize>,
    best: Option<(f64, Vec<usize>)>,
    leaves: u64,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl Walk<'_> {
    fn visit(&mut self, n: usize) {
        if self.timed_out {
            return;
        }
        if n == self.sets.len() {
            self.leaves += 1;
            if self.leaves % 4096 == 0 && self.deadline.is_some_and(|d| Instant::now() >= d) {
                self.timed_out = true;
            }
            if self
                .best
                .as_ref()
                .is_none_or(|(v, _)| self.value > *v + 1e-15)
            {
                self.best = Some((self.value, self.path.clone()));
            }
            return;
        }
        for s in 0..self.sets[n].len() {
            for t in 0..self.sets[n][s].len() {
                let i = self.sets[n][s][t];
                for &d in &self.pairs[n][i] {
                    self.count[d] += 1;
                    if self.count[d] == 1 {
                        self.value += self.weights[d];
                    }
                }
            }
            self.path.push(s);
            self.visit(n + 1);
            self.path.pop();
            for t in 0..self.sets[n][s].len() {
                let i = self.sets[n][s][t];
                for &d in &self.pairs[n][i] {
                    self.count[d] -= 1;
                    if self.count[d] == 0 {
                        self.value -= self.weights[d];
                    }
                }
            }
        }
    }
}

impl Solver<CachingInstance> for BruteForce {
    fn name(&self) -> &str {
        "brute-force"
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
        let pairs = demand_pairs(instance);
        let mut sets = Vec::with_capacity(pairs.len());
        let mut combinations: u64 = 1;
        for (n, server) in pairs.iter().enumerate() {
            let feasible = self.feasible_sets(instance, n, server)?;
            combinations = combinations.saturating_mul(feasible.len() as u64);
            sets.push(feasible);
        }
        if combinations > self.max_combinations {
            return Err(SolveError::Unsupported {
                solver: self.name().into(),
                message: format!(
                    "{combinations} combinations (at most {})",
                    self.max_combinations
                ),
            });
        }
        let weights: Vec<f64> = instance.demands().iter().map(|d| d.weight).collect();
        let mut walk = Walk {
            sets,
            pairs,
            weights: &weights,
            count: vec![0; weights.len()],
            value: 0.0,
            path: Vec::new(),
            best: None,
            leaves: 0,
            deadline: deadline(started, budget),
            timed_out: false,
        };
        walk.visit(0);
        let leaves = walk.leaves;
        let Some((_, path)) = walk.best else {
            return Ok(Found::not_found("stopped before the first combination")
                .timed_out(walk.timed_out)
                .with_work(leaves, leaves));
        };
        let placement = Placement {
            stored: path
                .iter()
                .enumerate()
                .map(|(n, &s)| walk.sets[n][s].clone())
                .collect(),
        };
        Ok(verdict(instance, placement, walk.timed_out).with_work(leaves, leaves))
    }
}

impl BruteForce {
    /// Every set of server `n`'s useful models (those with a demand in `server_pairs`, at most
    /// 20) that fits its storage, in the order of their bit masks.
    fn feasible_sets(
        &self,
        instance: &CachingInstance,
        n: usize,
        server_pairs: &[Vec<usize>],
    ) -> Result<Vec<Vec<usize>>, SolveError> {
        let models = server_pairs.len();
        let useful: Vec<usize> = (0..models)
            .filter(|&i| !server_pairs[i].is_empty())
            .collect();
        if useful.len() > 20 {
            return Err(SolveError::Unsupported {
                solver: self.name().into(),
                message: format!(
                    "server `{}` has {} useful models (at most 20)",
                    instance.servers[n].name,
                    useful.len()
                ),
            });
        }
        let mut feasible = Vec::new();
        for mask in 0u32..1 << useful.len() {
            let chosen: Vec<usize> = (0..useful.len())
                .filter(|&t| mask >> t & 1 == 1)
                .map(|t| useful[t])
                .collect();
            if instance.storage_used_bytes(&chosen) <= instance.servers[n].storage_bytes {
                feasible.push(chosen);
            }
        }
        Ok(feasible)
    }
}

/// `pairs[n][i]`: the demands (indices into [`CachingInstance::demands`]) that server `n`
/// serves in time for model `i`.
fn demand_pairs(instance: &CachingInstance) -> Vec<Vec<Vec<usize>>> {
    let servers = instance.servers.len();
    let models = instance.library.models.len();
    let mut pairs = vec![vec![Vec::new(); models]; servers];
    for (d, demand) in instance.demands().iter().enumerate() {
        for &n in &demand.servers {
            pairs[n][demand.model].push(d);
        }
    }
    pairs
}

/// What the best `placement` of the walk says: the optimum with its bound, a decision
/// without a bound when the walk `timed_out`, or infeasible when it misses the least hit
/// ratio.
fn verdict(instance: &CachingInstance, placement: Placement, timed_out: bool) -> Found<Placement> {
    let evaluation = instance.evaluate(&placement);
    if timed_out {
        Found::decision(placement, evaluation.objective).timed_out(true)
    } else if !evaluation.is_feasible() {
        // Only the least hit ratio can be violated: the best placement misses it.
        Found::infeasible(format!(
            "the best placement hits {:.6} of requests, below the least hit ratio {:.6}",
            evaluation.objective,
            instance.min_hit_ratio.unwrap_or(0.0)
        ))
    } else {
        Found::decision(placement, evaluation.objective).with_bound(evaluation.objective)
    }
}
