//! Baselines: sharing-blind independent caching, and popularity top-k.

use super::cover::{Accounting, Cover};
use super::decision::Placement;
use super::greedy::{best_of_passes, finish};
use super::instance::CachingInstance;
use crate::solve::{Budget, Found, Problem, SolveError, Solver};

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

    fn search(
        &self,
        instance: &CachingInstance,
        budget: &Budget,
    ) -> Result<Found<Placement>, SolveError> {
        Ok(best_of_passes(instance, Accounting::Blind, budget))
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

    fn search(
        &self,
        instance: &CachingInstance,
        _: &Budget,
    ) -> Result<Found<Placement>, SolveError> {
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
        Ok(finish(instance, placement, value, false).with_work(0, 1))
    }
}
