//! Per-solver statistics of caching records: hit ratio overall, per epoch and over time,
//! delivery latency of the hits, bytes fetched from the cloud, and where requests were served.

use super::record::CachingRecord;
use crate::replay::RecordStats;
use crate::replay::files::RunInfo;
use crate::replay::share_series::ShareSeries;
use crate::replay::tally::{count, named, position, share};
use crate::replay::{Distribution, Quantiles};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tiers counted: `edge` (hits), `cloud` (misses), `none` (no placement).
pub const TIERS: [&str; 3] = ["edge", "cloud", "none"];

/// One solver's statistics of its caching records, fed in epoch order.
#[derive(Debug, Clone, Default)]
pub struct CachingStats {
    requests: u64,
    reachable: u64,
    hits: u64,
    tiers: [u64; 3],
    served_by: BTreeMap<String, u64>,
    pub(super) latency_s: Quantiles,
    cloud_bytes: f64,
    /// Hit ratio per epoch and over time.
    hit_ratio: ShareSeries,
}

impl CachingStats {
    /// Requests counted.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Hits among them.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// The hit ratio per epoch and over time.
    pub fn hit_ratio(&self) -> &ShareSeries {
        &self.hit_ratio
    }
}

/// One solver's request statistics in `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachingReport {
    /// Requests replayed.
    pub requests: u64,
    /// Requests with a placement (the others count as misses).
    pub planned: u64,
    /// Requests some covering server could deliver within the latency bound.
    pub reachable: u64,
    /// Requests served by an edge server.
    pub hits: u64,
    /// `hits / requests`.
    pub hit_ratio: Option<f64>,
    /// `hits / reachable`: the share of the requests a cache could serve that it did.
    pub hit_ratio_of_reachable: Option<f64>,
    /// Hit ratio of each epoch (one value per epoch).
    pub epoch_hit_ratio: Distribution,
    /// Delivery latency of the hits.
    pub latency_s: Distribution,
    /// Bytes fetched from the cloud over the backhaul by the planned requests' misses.
    pub cloud_bytes: f64,
    /// `cloud_bytes` per planned request (`null` without any).
    pub cloud_bytes_per_request: Option<f64>,
    /// Requests per tier: edge (hits), cloud (misses), none (no placement).
    pub tiers: BTreeMap<String, u64>,
    /// Hits per edge server.
    pub served_by: BTreeMap<String, u64>,
}

impl RecordStats<CachingRecord> for CachingStats {
    type Report = CachingReport;

    const PLOTS: &'static [&'static str] =
        &[super::plots::HIT_RATIO_SVG, super::plots::LATENCY_CDF_SVG];

    fn add(&mut self, r: &CachingRecord) {
        self.requests += 1;
        self.reachable += u64::from(r.reachable);
        self.hits += u64::from(r.hit);
        let tier = position(&TIERS, &r.tier);
        self.tiers[tier] += 1;
        if r.hit {
            count(&mut self.served_by, &r.server);
            self.latency_s.add(r.latency_s.unwrap_or(f64::NAN));
        }
        self.cloud_bytes += r.cloud_bytes.unwrap_or(0.0);
        self.hit_ratio.add(r.epoch, r.hit);
    }

    fn report(&self) -> CachingReport {
        let planned = self.requests - self.tiers[2];
        CachingReport {
            requests: self.requests,
            planned,
            reachable: self.reachable,
            hits: self.hits,
            hit_ratio: share(self.hits, self.requests),
            hit_ratio_of_reachable: share(self.hits, self.reachable),
            epoch_hit_ratio: self.hit_ratio.epoch_shares().distribution(),
            latency_s: self.latency_s.distribution(),
            cloud_bytes: self.cloud_bytes,
            cloud_bytes_per_request: (planned > 0).then(|| self.cloud_bytes / planned as f64),
            tiers: named(&TIERS, &self.tiers),
            served_by: self.served_by.clone(),
        }
    }

    fn plots(solvers: &[(&str, &Self)], run: &RunInfo) -> Vec<(&'static str, String)> {
        vec![
            (
                super::plots::HIT_RATIO_SVG,
                super::plots::hit_ratio(solvers),
            ),
            (
                super::plots::LATENCY_CDF_SVG,
                super::plots::latency_cdf(solvers, run),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::share_series::MAX_BINS;

    fn record(epoch: u64, hit: bool) -> CachingRecord {
        CachingRecord {
            epoch,
            solver: "greedy".into(),
            request: epoch,
            user: "a-0".into(),
            model: "m".into(),
            model_bytes: 4e9,
            reachable: true,
            tier: if hit { "edge" } else { "cloud" }.into(),
            server: if hit { "edge-a" } else { "" }.into(),
            hit,
            latency_s: hit.then_some(100.0),
            cloud_bytes: Some(if hit { 0.0 } else { 4e9 }),
        }
    }

    #[test]
    fn epoch_ratios_and_bins_count_every_record() {
        let mut s = CachingStats::default();
        // Epoch e has e + 1 requests, of which the first ⌈(e + 1) / 2⌉ hit.
        let epochs = 2_000u64;
        for e in 0..epochs {
            for j in 0..=e {
                s.add(&record(e, 2 * j <= e));
            }
        }
        let report = s.report();
        assert_eq!(report.requests, epochs * (epochs + 1) / 2);
        assert_eq!(report.epoch_hit_ratio.count, epochs);
        // Epoch 0 hits 1 of 1; epoch 1 hits 1 of 2.
        assert_eq!(report.epoch_hit_ratio.max, Some(1.0));
        assert_eq!(report.epoch_hit_ratio.min, Some(0.5));
        assert!(s.hit_ratio().bins().len() <= MAX_BINS);
        assert_eq!(
            s.hit_ratio().bins().iter().map(|b| b.epochs).sum::<u64>(),
            epochs
        );
        assert_eq!(
            s.hit_ratio().bins().iter().map(|b| b.requests).sum::<u64>(),
            report.requests
        );
        assert_eq!(
            s.hit_ratio().bins().iter().map(|b| b.counted).sum::<u64>(),
            report.hits
        );
        assert_eq!(s.hit_ratio().bins().last().unwrap().last_epoch, epochs - 1);
        assert_eq!(
            report.cloud_bytes,
            4e9 * (report.requests - report.hits) as f64
        );
        assert_eq!(report.served_by["edge-a"], report.hits);
        assert_eq!(report.tiers["none"], 0);
    }
}
