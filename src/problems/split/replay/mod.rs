//! Replaying the `split` problem: each epoch's requests become a
//! [`SplitInstance`](super::SplitInstance) (a device and a model per request, drawn with the
//! epoch's seed), every named solver plans it, and each request's latency, energy and bytes
//! become a [`SplitRecord`], judged by the run's [`Slo`].

mod plots;
mod record;
mod slo;
mod stats;
mod summary;

pub use plots::{CHOICES_SVG, LATENCY_CDF_SVG};
pub use record::{PlannedRequest, SplitRecord, planned_requests};
pub use slo::Slo;
pub use stats::{SPLIT_BIN_LABELS, SPLIT_BINS, SplitReport, SplitStats, TIERS, Total, split_bin};
pub use summary::summary_table;

use crate::replay::Error;
