//! Judging a placement from the instance alone.

use super::decision::{CacheMetrics, Placement};
use super::instance::CachingInstance;
use crate::problems::formulation::Violations;
use crate::solve::{Evaluation, Problem, Sense};

/// Relative slack allowed on storage and on the least hit ratio (floating-point round-off).
pub const TOLERANCE: f64 = 1e-9;

impl CachingInstance {
    /// Bytes server `n` uses to store `models`, each block once.
    pub fn storage_used_bytes(&self, models: &[usize]) -> f64 {
        self.library.stored_bytes(
            models
                .iter()
                .copied()
                .filter(|&i| i < self.library.models.len()),
        )
    }

    /// Expected hit ratio of `placement` (out-of-range indices ignored).
    pub fn hit_ratio(&self, placement: &Placement) -> f64 {
        self.demands()
            .iter()
            .filter(|d| d.servers.iter().any(|&n| placement.stores(n, d.model)))
            .map(|d| d.weight)
            .sum()
    }

    /// The server that serves a request of user `k` for model `i` under `placement`: of the
    /// servers that store the model and deliver it within the latency bound
    /// ([`servers_in_time`](Self::servers_in_time)), the fastest, the first linked among
    /// equals. `None` is a miss: the model comes from the cloud over the backhaul.
    pub fn serving_server(&self, placement: &Placement, k: usize, i: usize) -> Option<usize> {
        self.servers_in_time(k, i)
            .filter(|&n| placement.stores(n, i))
            .map(|n| (n, self.latency_s(k, n, i)))
            .fold(None, |best: Option<(usize, f64)>, (n, t)| match best {
                Some((_, fastest)) if fastest <= t => best,
                _ => Some((n, t)),
            })
            .map(|(n, _)| n)
    }

    /// Hit ratio, storage, and backhaul traffic of `placement`.
    pub fn metrics(&self, placement: &Placement) -> CacheMetrics {
        let storage_used_bytes: Vec<f64> = (0..self.servers.len())
            .map(|n| {
                placement
                    .stored
                    .get(n)
                    .map_or(0.0, |m| self.storage_used_bytes(m))
            })
            .collect();
        let fill_bytes_without_sharing = placement
            .stored
            .iter()
            .flatten()
            .filter(|&&i| i < self.library.models.len())
            .map(|&i| self.model_bytes(i))
            .sum();
        let mut miss = 0.0;
        for d in self.demands() {
            if !d.servers.iter().any(|&n| placement.stores(n, d.model)) {
                miss += d.weight * self.model_bytes(d.model);
            }
        }
        for i in 0..self.library.models.len() {
            miss += self.unreachable_weight(i) * self.model_bytes(i);
        }
        CacheMetrics {
            hit_ratio: self.hit_ratio(placement),
            fill_bytes: storage_used_bytes.iter().sum(),
            storage_used_bytes,
            fill_bytes_without_sharing,
            miss_bytes_per_request: miss,
        }
    }
}

impl Problem for CachingInstance {
    type Decision = Placement;

    fn sense(&self) -> Sense {
        Sense::Maximise
    }

    fn evaluate(&self, placement: &Placement) -> Evaluation {
        let mut found = Violations::default();
        let servers = self.servers.len();
        let models = self.library.models.len();
        if placement.stored.len() != servers {
            found.add(
                "one list per server",
                format!("{} lists for {servers} servers", placement.stored.len()),
                (placement.stored.len() as f64 - servers as f64).abs(),
            );
        }
        for (n, list) in placement.stored.iter().enumerate().take(servers) {
            let name = &self.servers[n].name;
            for (j, &i) in list.iter().enumerate() {
                if i >= models {
                    found.add(
                        "valid model",
                        format!("server `{name}`: model {i} does not exist ({models} models)"),
                        1.0,
                    );
                } else if j > 0 && list[j - 1] >= i {
                    found.add(
                        "sorted distinct models",
                        format!("server `{name}`: model {i} after model {}", list[j - 1]),
                        1.0,
                    );
                }
            }
            let used = self.storage_used_bytes(list);
            let capacity = self.servers[n].storage_bytes;
            if used > capacity * (1.0 + TOLERANCE) {
                found.add("storage", format!("server `{name}`"), used - capacity);
            }
        }
        let objective = self.hit_ratio(placement);
        if let Some(target) = self.min_hit_ratio {
            if objective < target - TOLERANCE {
                found.add(
                    "least hit ratio",
                    "the placement".into(),
                    target - objective,
                );
            }
        }
        found.evaluation(objective)
    }
}
