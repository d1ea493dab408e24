//! Replaying request traces: a trace is streamed, cut into epochs, every epoch becomes an
//! instance that several solvers answer side by side on a thread pool, and the answers become
//! rows, statistics and plots.
//!
//! ```text
//! trace ─► Rows (skip/count bad rows) ─► Epochs ─► rayon: one task per epoch (instance, every
//! solver, rows formatted) ─► in epoch order ─► Sink (OutputDir: CSV rows appended per epoch,
//! statistics) ─► summary.json, timings.json, SVG plots
//! ```
//!
//! - [`ReplayProblem`] is what a problem supplies: instance building, solving by name, its
//!   request record and statistics. Every problem that
//!   [`Replays`](crate::problems::formulation::Replays) implements it: `split` (latency, energy
//!   and SLOs per request), `caching` (hits and misses per request), `batching` (admission,
//!   server, precision, TTFT and TPOT per request).
//! - [`replay`] runs the pipeline with bounded memory (at most
//!   [`ReplayOptions::in_flight`] epochs at once) and deterministic output: the same inputs
//!   and seed give the same rows whatever the thread count.
//! - [`OutputDir`] writes a run directory (the files are listed in [`files`]); [`redraw`]
//!   rebuilds its summary and plots from the CSV files.
//! - [`RunRecords`] holds a finished run in memory; the runs of a trace's [`Shard`]s (on
//!   several machines, say) merge into the run of the whole trace.
//! - Statistics ([`Quantiles`]) are exact up to 65,536 values per solver and within 0.1 %
//!   beyond, in bounded memory.
//!
//! ```
//! use mei4llm::problems::Split;
//! use mei4llm::problems::split::{Objective, replay::Slo};
//! use mei4llm::replay::{ReplayOptions, replay};
//! use mei4llm::system::{Scenario, trace::TraceReader};
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! let scenario = Arc::new(Scenario::from_path(Path::new("scenarios/small.toml"))?);
//! let problem = Split::with(scenario, Objective::Latency, Slo::default())?;
//! let trace = TraceReader::open(Path::new("datasets/traces/azure_llm_2023_conv.csv"))?;
//! let options = ReplayOptions {
//!     rule: "1s".parse()?,
//!     solvers: vec!["descent".into(), "device-only".into()],
//!     threads: 2,
//!     max_epochs: Some(100),
//!     ..ReplayOptions::default()
//! };
//! let mut epochs = Vec::new();
//! let totals = replay(&problem, trace, &options, &mut epochs, &mut |_| {})?;
//! assert_eq!(totals.epochs as usize, epochs.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! References: DDSketch (Masson, Rim and Lee, VLDB 2019) for percentiles of long runs;
//! MLPerf Inference's LLM latency constraints for the default SLOs ([`Slo`](crate::problems::split::replay::Slo)).

mod epochs;
mod error;
pub mod files;
mod memory;
pub(crate) mod plots;
mod problem;
mod records;
mod run;
pub mod share_series;
mod summary;
pub mod summary_text;
pub mod svg;
pub mod tally;
mod workload;

pub use epochs::{EpochInfo, RowCounts, instance_seed, solver_seed};
pub use error::Error;
pub use files::{OutputDir, PreparedEpoch, Redrawn, RunInfo, RunInputs, read_csv, redraw};
pub use memory::RunRecords;
pub use plots::SOLVE_TIME_SVG;
pub use problem::{RecordStats, ReplayProblem, ReplaySolver, RequestRecord, SolverRun};
pub use records::{EpochRecord, TimingRecord, gap_to_exact};
pub use run::{
    Progress, ReplayOptions, ReplayTotals, Shard, Sink, SolvedEpoch, SolverErrors, replay,
};
pub use share_series::{ShareBin, ShareSeries};
pub use summary::{
    Distribution, EXACT_LIMIT, EpochReport, EpochStats, Quantiles, RELATIVE_ACCURACY,
    SolverSummary, SolverTimes, Summary, SummaryReport, TimeBin, TimeStats, TimingReport, Timings,
};
pub use workload::{TraceSource, epoch_rule, run_seed};
