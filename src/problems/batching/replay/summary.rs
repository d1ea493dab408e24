//! The summary table of a `batching` run.

use crate::replay::summary_text::{SolveTimes, seconds, share, solver_table};
use crate::text::Table;
use serde_json::Value;

/// The table `solve-trace` and `report` print: one row per solver of a run's `summary.json`
/// (`solvers`) and `timings.json`.
pub fn summary_table(solvers: &[Value], timings: &Value) -> Table {
    let columns = [
        "admitted",
        "of servable",
        "worst epoch",
        "TTFT mean",
        "TTFT p99",
        "TPOT p99",
    ];
    let unplanned = |r: &Value| {
        let requests = r["requests"].as_u64().unwrap_or(0);
        requests.saturating_sub(r["planned"].as_u64().unwrap_or(0))
    };
    let cells = |r: &Value| {
        vec![
            share(&r["admitted_share"]),
            share(&r["admitted_share_of_servable"]),
            share(&r["epoch_admitted_share"]["min"]),
            seconds(&r["ttft_s"]["mean"]),
            seconds(&r["ttft_s"]["p99"]),
            seconds(&r["tpot_s"]["p99"]),
        ]
    };
    solver_table(
        solvers,
        timings,
        &columns,
        unplanned,
        cells,
        SolveTimes::Percentiles,
    )
}
