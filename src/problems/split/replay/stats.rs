//! Per-solver statistics of split records: latency percentiles, SLO goodput, energy, bytes,
//! and where the requests ran.

use super::record::SplitRecord;
use crate::replay::RecordStats;
use crate::replay::files::RunInfo;
use crate::replay::tally::{named, position, share};
use crate::replay::{Distribution, Quantiles};
use serde::{Deserialize, Serialize};

/// Bins of the split histogram: server-only (split 0), ten bins of the share of blocks on the
/// device for inner splits, and device-only.
pub const SPLIT_BINS: usize = 12;

/// The label of each split bin.
pub const SPLIT_BIN_LABELS: [&str; SPLIT_BINS] = [
    "0", "≤10%", "≤20%", "≤30%", "≤40%", "≤50%", "≤60%", "≤70%", "≤80%", "≤90%", "<100%", "all",
];

/// The tiers counted, `none` for requests without a plan.
pub const TIERS: [&str; 4] = ["device", "edge", "cloud", "none"];

/// The bin of split `split` of a model with `layers` blocks.
pub fn split_bin(split: u32, layers: u32) -> usize {
    if split == 0 {
        0
    } else if split >= layers {
        SPLIT_BINS - 1
    } else {
        let tenth = (10.0 * f64::from(split) / f64::from(layers)).ceil() as usize;
        tenth.clamp(1, SPLIT_BINS - 2)
    }
}

/// One solver's statistics of its split records.
#[derive(Debug, Clone, Default)]
pub struct SplitStats {
    requests: u64,
    slo_met: u64,
    pub(super) ttft_s: Quantiles,
    pub(super) e2e_s: Quantiles,
    energy_j: Quantiles,
    upload_bytes: f64,
    download_bytes: f64,
    cost: f64,
    pub(super) tiers: [u64; 4],
    inner_splits: u64,
    pub(super) split_bins: [u64; SPLIT_BINS],
}

impl SplitStats {
    /// Requests counted.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Requests with a plan.
    pub fn planned(&self) -> u64 {
        self.requests - self.tiers[3]
    }
}

/// Totals and means of a quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Total {
    /// Sum over the planned requests.
    pub total: f64,
    /// Mean per planned request (`null` without any).
    pub mean: Option<f64>,
}

/// One solver's request statistics in `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitReport {
    /// Requests replayed.
    pub requests: u64,
    /// Requests with a plan (the others count as missing every SLO).
    pub planned: u64,
    /// Requests meeting both SLOs.
    pub slo_met: u64,
    /// SLO goodput: `slo_met / requests`.
    pub slo_goodput: Option<f64>,
    /// Time to first token of the planned requests.
    pub ttft_s: Distribution,
    /// End-to-end latency of the planned requests.
    pub e2e_s: Distribution,
    /// Device energy of the planned requests with a power figure.
    pub device_energy_j: Distribution,
    /// Total device energy in joules.
    pub device_energy_total_j: f64,
    /// Bytes sent up.
    pub upload_bytes: Total,
    /// Bytes sent down.
    pub download_bytes: Total,
    /// Sum of the requests' objective terms.
    pub cost_total: f64,
    /// Requests per tier: device, edge, cloud, none (no plan).
    pub tiers: std::collections::BTreeMap<String, u64>,
    /// Planned requests split inside the model (neither device-only nor server-only).
    pub inner_splits: u64,
    /// Planned requests per split bin (labels in `split_bins`).
    pub split_histogram: Vec<u64>,
    /// The bins: `0` (server-only), `≤10%` … `<100%` (share of blocks on the device), `all`
    /// (device-only).
    pub split_bins: Vec<String>,
}

impl RecordStats<SplitRecord> for SplitStats {
    type Report = SplitReport;

    const PLOTS: &'static [&'static str] =
        &[super::plots::LATENCY_CDF_SVG, super::plots::CHOICES_SVG];

    fn add(&mut self, r: &SplitRecord) {
        self.requests += 1;
        self.slo_met += u64::from(r.meets_slo);
        let tier = position(&TIERS, &r.tier);
        self.tiers[tier] += 1;
        if tier == 3 {
            return;
        }
        self.ttft_s.add(r.ttft_s.unwrap_or(f64::NAN));
        self.e2e_s.add(r.e2e_s.unwrap_or(f64::NAN));
        self.energy_j.add(r.device_energy_j.unwrap_or(f64::NAN));
        self.upload_bytes += r.upload_bytes.unwrap_or(0.0);
        self.download_bytes += r.download_bytes.unwrap_or(0.0);
        self.cost += r.cost.unwrap_or(0.0);
        if let Some(split) = r.split {
            let bin = split_bin(split, r.layers);
            self.split_bins[bin] += 1;
            if bin != 0 && bin != SPLIT_BINS - 1 {
                self.inner_splits += 1;
            }
        }
    }

    fn report(&self) -> SplitReport {
        let planned = self.planned();
        let mean = |total: f64| (planned > 0).then(|| total / planned as f64);
        SplitReport {
            requests: self.requests,
            planned,
            slo_met: self.slo_met,
            slo_goodput: share(self.slo_met, self.requests),
            ttft_s: self.ttft_s.distribution(),
            e2e_s: self.e2e_s.distribution(),
            device_energy_j: self.energy_j.distribution(),
            device_energy_total_j: self.energy_j.sum(),
            upload_bytes: Total {
                total: self.upload_bytes,
                mean: mean(self.upload_bytes),
            },
            download_bytes: Total {
                total: self.download_bytes,
                mean: mean(self.download_bytes),
            },
            cost_total: self.cost,
            tiers: named(&TIERS, &self.tiers),
            inner_splits: self.inner_splits,
            split_histogram: self.split_bins.to_vec(),
            split_bins: SPLIT_BIN_LABELS.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn plots(solvers: &[(&str, &Self)], run: &RunInfo) -> Vec<(&'static str, String)> {
        vec![
            (
                super::plots::LATENCY_CDF_SVG,
                super::plots::latency_cdf(solvers, run),
            ),
            (super::plots::CHOICES_SVG, super::plots::choices(solvers)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_bins_cover_the_model() {
        assert_eq!(split_bin(0, 32), 0);
        assert_eq!(split_bin(1, 32), 1);
        assert_eq!(split_bin(16, 32), 5);
        assert_eq!(split_bin(31, 32), 10);
        assert_eq!(split_bin(32, 32), 11);
    }
}
