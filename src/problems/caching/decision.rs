//! A placement: which models each edge server stores.

use serde::{Deserialize, Serialize};

/// `stored[n]`: the models server `n` stores (indices into the library), sorted and distinct.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Per server, the models it stores.
    pub stored: Vec<Vec<usize>>,
}

impl Placement {
    /// Nothing stored on `servers` servers.
    pub fn empty(servers: usize) -> Placement {
        Placement {
            stored: vec![Vec::new(); servers],
        }
    }

    /// Builds a placement from a `servers × models` table of flags.
    pub fn from_flags(flags: &[Vec<bool>]) -> Placement {
        Placement {
            stored: flags
                .iter()
                .map(|row| (0..row.len()).filter(|&i| row[i]).collect())
                .collect(),
        }
    }

    /// Whether server `n` stores model `i`.
    pub fn stores(&self, n: usize, i: usize) -> bool {
        self.stored
            .get(n)
            .is_some_and(|models| models.binary_search(&i).is_ok())
    }

    /// Adds model `i` on server `n` (keeps the list sorted; no effect if already there).
    pub fn insert(&mut self, n: usize, i: usize) {
        if let Some(models) = self.stored.get_mut(n) {
            if let Err(at) = models.binary_search(&i) {
                models.insert(at, i);
            }
        }
    }

    /// Number of (server, model) pairs stored.
    pub fn len(&self) -> usize {
        self.stored.iter().map(Vec::len).sum()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a placement achieves, beyond its objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheMetrics {
    /// Expected fraction of requests that hit (the objective).
    pub hit_ratio: f64,
    /// Per server, bytes used with shared blocks stored once.
    pub storage_used_bytes: Vec<f64>,
    /// Bytes the backhaul carries from the cloud to fill every cache once, shared blocks once
    /// per server (the sum of `storage_used_bytes`).
    pub fill_bytes: f64,
    /// Bytes a sharing-blind cache would fetch for the same placement: every stored model in
    /// full.
    pub fill_bytes_without_sharing: f64,
    /// Expected bytes per request that must come from the cloud over the backhaul because the
    /// request misses: `Σ_k a_k Σ_i p_ki (1 − hit_ki) · bytes_i`.
    pub miss_bytes_per_request: f64,
}
