//! Per-solver statistics of batching records: admitted share overall, of the servable
//! requests, per epoch and over time, value, predicted TTFT and TPOT of the admitted requests,
//! and where and at which precision they were admitted.

use super::record::BatchingRecord;
use crate::replay::RecordStats;
use crate::replay::files::RunInfo;
use crate::replay::share_series::ShareSeries;
use crate::replay::tally::{count, share};
use crate::replay::{Distribution, Quantiles};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One solver's statistics of its batching records, fed in epoch order.
#[derive(Debug, Clone, Default)]
pub struct BatchingStats {
    requests: u64,
    planned: u64,
    servable: u64,
    admitted: u64,
    value: f64,
    ttft_s: Quantiles,
    tpot_s: Quantiles,
    served_by: BTreeMap<String, u64>,
    precisions: BTreeMap<String, u64>,
    /// Admitted share per epoch and over time.
    admitted_share: ShareSeries,
}

impl BatchingStats {
    /// The admitted share per epoch and over time.
    pub fn admitted_share(&self) -> &ShareSeries {
        &self.admitted_share
    }
}

/// One solver's request statistics in `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchingReport {
    /// Waiting requests replayed.
    pub requests: u64,
    /// Requests of epochs with a valid decision.
    pub planned: u64,
    /// Requests some edge server could serve within their SLOs alone.
    pub servable: u64,
    /// Requests admitted to the next batch.
    pub admitted: u64,
    /// `admitted / requests`: with the `requests` objective, the SLO goodput of the decisions.
    pub admitted_share: Option<f64>,
    /// `admitted / servable`.
    pub admitted_share_of_servable: Option<f64>,
    /// The summed objective of the decisions (admitted requests, or their tokens).
    pub value: f64,
    /// Admitted share of each epoch (one value per epoch).
    pub epoch_admitted_share: Distribution,
    /// Predicted TTFT of the admitted requests.
    pub ttft_s: Distribution,
    /// Predicted TPOT of the admitted requests that decode (more than one output token).
    pub tpot_s: Distribution,
    /// Admitted requests per edge server.
    pub served_by: BTreeMap<String, u64>,
    /// Admitted requests per precision they were served at.
    pub precisions: BTreeMap<String, u64>,
}

impl RecordStats<BatchingRecord> for BatchingStats {
    type Report = BatchingReport;

    const PLOTS: &'static [&'static str] = &[super::plots::ADMITTED_SHARE_SVG];

    fn add(&mut self, r: &BatchingRecord) {
        self.requests += 1;
        self.planned += u64::from(r.planned);
        self.servable += u64::from(r.servable);
        if r.admitted {
            self.admitted += 1;
            self.value += r.value;
            self.ttft_s.add(r.ttft_s.unwrap_or(f64::NAN));
            if r.output_tokens >= 2 {
                self.tpot_s.add(r.tpot_s.unwrap_or(f64::NAN));
            }
            count(&mut self.served_by, &r.server);
            if let Some(p) = r.precision {
                count(&mut self.precisions, p.name());
            }
        }
        self.admitted_share.add(r.epoch, r.admitted);
    }

    fn report(&self) -> BatchingReport {
        BatchingReport {
            requests: self.requests,
            planned: self.planned,
            servable: self.servable,
            admitted: self.admitted,
            admitted_share: share(self.admitted, self.requests),
            admitted_share_of_servable: share(self.admitted, self.servable),
            value: self.value,
            epoch_admitted_share: self.admitted_share.epoch_shares().distribution(),
            ttft_s: self.ttft_s.distribution(),
            tpot_s: self.tpot_s.distribution(),
            served_by: self.served_by.clone(),
            precisions: self.precisions.clone(),
        }
    }

    fn plots(solvers: &[(&str, &Self)], _: &RunInfo) -> Vec<(&'static str, String)> {
        vec![(
            super::plots::ADMITTED_SHARE_SVG,
            super::plots::admitted_share(solvers),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::share_series::MAX_BINS;
    use crate::system::Precision;

    fn record(epoch: u64, admitted: bool) -> BatchingRecord {
        BatchingRecord {
            epoch,
            solver: "fcfs".into(),
            request: epoch,
            prompt_tokens: 100,
            output_tokens: if epoch % 2 == 0 { 1 } else { 50 },
            min_precision: Precision::Int4,
            waited_s: 0.01,
            servable: true,
            planned: true,
            admitted,
            server: if admitted { "edge-l4" } else { "" }.into(),
            precision: admitted.then_some(Precision::Int8),
            ttft_s: admitted.then_some(0.5),
            tpot_s: admitted.then_some(if epoch % 2 == 0 { 0.0 } else { 0.05 }),
            kv_bytes: 1e7,
            value: if admitted { 1.0 } else { 0.0 },
        }
    }

    #[test]
    fn epoch_shares_and_bins_count_every_record() {
        let mut s = BatchingStats::default();
        // Epoch e has e + 1 requests, of which the first ⌈(e + 1) / 2⌉ are admitted.
        let epochs = 2_000u64;
        for e in 0..epochs {
            for j in 0..=e {
                s.add(&record(e, 2 * j <= e));
            }
        }
        let report = s.report();
        assert_eq!(report.requests, epochs * (epochs + 1) / 2);
        assert_eq!(report.value, report.admitted as f64);
        assert_eq!(report.epoch_admitted_share.count, epochs);
        // Epoch 0 admits 1 of 1; epoch 1 admits 1 of 2.
        assert_eq!(report.epoch_admitted_share.max, Some(1.0));
        assert_eq!(report.epoch_admitted_share.min, Some(0.5));
        assert!(s.admitted_share().bins().len() <= MAX_BINS);
        assert_eq!(
            s.admitted_share()
                .bins()
                .iter()
                .map(|b| b.epochs)
                .sum::<u64>(),
            epochs
        );
        assert_eq!(
            s.admitted_share()
                .bins()
                .iter()
                .map(|b| b.requests)
                .sum::<u64>(),
            report.requests
        );
        assert_eq!(
            s.admitted_share()
                .bins()
                .iter()
                .map(|b| b.counted)
                .sum::<u64>(),
            report.admitted
        );
        assert_eq!(
            s.admitted_share().bins().last().unwrap().last_epoch,
            epochs - 1
        );
        assert_eq!(report.served_by["edge-l4"], report.admitted);
        assert_eq!(report.precisions["int8"], report.admitted);
        assert_eq!(report.ttft_s.count, report.admitted);
        // Only the odd epochs' requests decode.
        let decoding: u64 = (1..epochs).step_by(2).map(|e| e.div_ceil(2)).sum();
        assert_eq!(report.tpot_s.count, decoding);
        assert_eq!(report.tpot_s.min, Some(0.05));
    }
}
