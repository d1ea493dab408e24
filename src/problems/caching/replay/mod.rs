//! Replaying the `caching` problem: each epoch's requests are the demand the edge caches are
//! planned for, and each request is then a hit or a miss under every solver's placement.
//!
//! What an epoch is:
//!
//! 1. Each request of the epoch is drawn, with the epoch's seed
//!    ([`instance_seed`](crate::replay::instance_seed)), a user — a device of the scenario, by the user
//!    weights of its `[caching]` section — and then a model, by that user's request
//!    probabilities (the section's Zipf popularity or request counts). The user fixes which edge
//!    servers cover the request and at what download rate. The trace gives the arrivals; its
//!    token counts play no part in caching.
//! 2. The epoch's instance is the scenario's caching instance with exactly that demand
//!    ([`CachingInstance::with_requests`]), so the hit ratio of a placement is the fraction of
//!    the epoch's requests that hit. Every solver places models for it, as if the caches were
//!    refilled before each epoch (the bytes that refill them are not counted). The section's
//!    least hit ratio, if any, applies to every epoch: an epoch that cannot reach it is
//!    recorded as infeasible.
//! 3. Each request is then served under each placement ([`CachingRecord`]): a hit by the edge
//!    server that stores the model and delivers it fastest within the latency bound, a miss by
//!    the cloud, whose backhaul carries the whole model.
//!
//! An epoch therefore measures how well a solver places models for a known demand (the exact
//! solver's hit ratio is the best any placement reaches on it), not how well the demand is
//! predicted. With short epochs the demand is small and storage rarely binds; longer epochs
//! (`--epoch 60s`) make the placements differ.
//!
//! ```
//! use mei4llm::problems::Caching;
//! use mei4llm::replay::{ReplayOptions, replay};
//! use mei4llm::system::{Scenario, trace::TraceReader};
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! let scenario = Scenario::from_path(Path::new("scenarios/caching-small.toml"))?;
//! let problem = Caching::of(Arc::new(scenario))?;
//! let trace = TraceReader::open(Path::new("datasets/traces/azure_llm_2023_conv.csv"))?;
//! let options = ReplayOptions {
//!     rule: "60s".parse()?,
//!     solvers: vec!["exact".into(), "sharing-blind".into()],
//!     max_epochs: Some(3),
//!     ..ReplayOptions::default()
//! };
//! let mut epochs = Vec::new();
//! replay(&problem, trace, &options, &mut epochs, &mut |_| {})?;
//! for e in &epochs {
//!     let (exact, blind) = (&e.epochs[0], &e.epochs[1]);
//!     assert_eq!(exact.status, "optimal");
//!     // An epoch's objective is the share of its requests that hit.
//!     let hits = e.requests.iter().filter(|r| r.solver == "sharing-blind" && r.hit).count();
//!     let ratio = hits as f64 / e.epoch.requests as f64;
//!     assert!((blind.objective.unwrap() - ratio).abs() < 1e-12);
//!     assert!(blind.objective <= exact.objective);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod plots;
mod record;
mod stats;
mod summary;

pub use plots::{HIT_RATIO_SVG, LATENCY_CDF_SVG};
pub use record::CachingRecord;
pub use stats::{CachingReport, CachingStats, TIERS};
pub use summary::summary_table;

use crate::problems::caching::CachingInstance;
use crate::system::Scenario;
use crate::system::trace::Epoch;
use rand::SeedableRng;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;

/// The caching problem, replayed: the scenario's caching instance, and the draws that give each
/// request of a trace a user and a model.
#[derive(Debug, Clone)]
pub struct CachingReplay {
    scenario: CachingInstance,
    users: WeightedIndex<f64>,
    models: Vec<WeightedIndex<f64>>,
}

/// One request of an epoch: its trace id, its user and its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochRequest {
    /// The trace id.
    pub id: u64,
    /// Index of the user in the epoch's instance.
    pub user: usize,
    /// Index of the model in the library.
    pub model: usize,
}

/// An epoch of the caching problem: the instance of its demand and its requests in arrival
/// order.
#[derive(Debug, Clone)]
pub struct CachingEpoch {
    /// The instance whose demand is exactly the epoch's requests.
    pub instance: CachingInstance,
    /// The requests.
    pub requests: Vec<EpochRequest>,
}

impl CachingReplay {
    /// Replays over the `[caching]` section of `scenario`; an error when it has none or the
    /// section does not make an instance.
    pub fn new(scenario: &Scenario) -> Result<Self, crate::problems::Error> {
        let instance = CachingInstance::from_scenario(scenario)?;
        let weights = |what: String, w: &[f64]| {
            WeightedIndex::new(w).map_err(|e| {
                crate::problems::Error::Instance(format!(
                    "scenario `{}`: {what} cannot be drawn from: {e}",
                    scenario.name
                ))
            })
        };
        let user_weights: Vec<f64> = instance.users.iter().map(|u| u.weight).collect();
        let users = weights("the user weights".into(), &user_weights)?;
        let models = instance
            .probabilities
            .iter()
            .zip(&instance.users)
            .map(|(row, u)| weights(format!("the probabilities of user `{}`", u.name), row))
            .collect::<Result<_, _>>()?;
        Ok(CachingReplay {
            scenario: instance,
            users,
            models,
        })
    }

    /// The scenario's caching instance, with the long-run demand of its `[caching]` section.
    pub fn scenario_instance(&self) -> &CachingInstance {
        &self.scenario
    }

    /// The settings recorded in `run.json`: latency bound, least hit ratio, servers and their
    /// storage, and the size of the library and of the user population.
    pub fn settings(&self) -> serde_json::Value {
        let s = &self.scenario;
        serde_json::json!({
            "latency_bound_s": s.latency_bound_s,
            "min_hit_ratio": s.min_hit_ratio,
            "servers": s.servers,
            "models": s.library.models.len(),
            "users": s.users.len(),
        })
    }

    /// What `epoch` becomes, drawn with the epoch's own `seed`.
    pub fn epoch(&self, epoch: &Epoch, seed: u64) -> Result<CachingEpoch, crate::problems::Error> {
        let mut rng = StdRng::seed_from_u64(seed);
        let drawn: Vec<(usize, usize)> = epoch
            .requests
            .iter()
            .map(|_| {
                let k = self.users.sample(&mut rng);
                (k, self.models[k].sample(&mut rng))
            })
            .collect();
        let (instance, users) = self.scenario.with_requests(&drawn)?;
        let requests = epoch
            .requests
            .iter()
            .zip(&drawn)
            .zip(users)
            .map(|((r, &(_, model)), user)| EpochRequest {
                id: r.id,
                user,
                model,
            })
            .collect();
        Ok(CachingEpoch { instance, requests })
    }
}
