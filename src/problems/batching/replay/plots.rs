//! The batching problem's plot: the share of each epoch's waiting requests that every solver
//! admits to the next batch.

use super::stats::BatchingStats;
use crate::replay::plots::{ShareLabels, share_over_epochs};
use crate::replay::share_series::ShareSeries;

/// File name of the admitted share over time.
pub const ADMITTED_SHARE_SVG: &str = "admitted_share.svg";

/// Admitted share over the trace, one line per solver: the share of the waiting requests of
/// each bin of consecutive epochs that join the next batch (one epoch per bin up to 512
/// epochs; a longer trace stays a few hundred points).
pub fn admitted_share(solvers: &[(&str, &BatchingStats)]) -> String {
    let series: Vec<(&str, &ShareSeries)> = solvers
        .iter()
        .map(|(name, s)| (*name, s.admitted_share()))
        .collect();
    share_over_epochs(
        &series,
        &ShareLabels {
            title: "Admitted share over time",
            panel: "Share of the waiting requests of each epoch (or bin of epochs) admitted",
            y: "share of requests admitted within SLOs",
        },
    )
}
