//! Baselines: sharing-blind independent caching, and popularity top-k.

use super::cover::{Accounting, Cover};
use super::decision::Placement;
use super::greedy::{best_of_passes, finish};
use super::instance::CachingInstance;
use crate::solve::{Budget, Outcome, Problem, SolveError, Solver, Stats};
use std::time::Instant;

/// Independent caching as classic content caching does it: every model counted at its full
/// size, blind to shared blocks, placed by the same lazy greedy ([`super::Greedy`]'s density
/// and gain passes, without bundles). Its placement is feasible under the true accounting
/// (shared blocks stored once only ever use less), but it leaves the space sharing frees unused.
#[derive(Debug, Clone, Copy, Default)]
pub struct SharingBlind;

impl Solver<CachingInstance> for SharingBlind {
    fn name(&self) -> &str {
        "sharing-blind"
    }

    fn solve(
        &self,
        instance: &CachingInstance,
        budget: &Budget,
    ) -> Result<Outcome<Placement>, SolveError> {
        best_of_passes(self.name(), instance, Accounting::Blind, budget)
    }
}

/// Popularity top-k: each server stores the models most requested by the users it can serve in
/// time, most requested first, skipping a model that no longer fits (shared blocks counted
/// once). It ignores what other servers store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Popularity;

impl Solver<CachingInstance> for Popularity {
    fn name(&self) -> &str {
        "popularity"
    }

    fn solve(
        &self,
        instance: &CachingInstance,
        budget: &Budget,
    ) -> Result<Outcome<Placement>, SolveError> {
        budget.validate()?;
        let started = Instant::now();
        let models = instance.library.models.len();
        let servers = instance.servers.len();
        let mut demand = vec![vec![0.0; models]; servers];
        for d in instance.demands() {
            for &n in &d.servers {
                demand[n][d.model] += d.weight;
            }
        }
        let mut cover = Cover::new(instance, Accounting::Shared);
        for (n, wanted) in demand.iter().enumerate() {
            let mut order: Vec<usize> = (0..models).filter(|&i| wanted[i] > 0.0).collect();
            order.sort_by(|&a, &b| wanted[b].total_cmp(&wanted[a]).then(a.cmp(&b)));
            for i in order {
                if cover.fits_bytes(n, cover.marginal_bytes(n, i)) {
                    cover.add(n, i);
                }
            }
        }
        let placement = cover.placement;
        let value = instance.evaluate(&placement).objective;
        let stats = Stats {
            time_s: started.elapsed().as_secs_f64(),
            nodes: 0,
            iterations: 1,
        };
        Ok(finish(
            self.name(),
            instance,
            placement,
            value,
            false,
            stats,
        ))
    }
}
