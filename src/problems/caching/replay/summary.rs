//! The summary table of a `caching` run.

use crate::replay::summary_text::{SolveTimes, seconds, share, solver_table, tier_none};
use crate::text::{Table, si};
use serde_json::Value;

/// The table `solve-trace` and `report` print: one row per solver of a run's `summary.json`
/// (`solvers`) and `timings.json`.
pub fn summary_table(solvers: &[Value], timings: &Value) -> Table {
    let columns = [
        "hit ratio",
        "of reachable",
        "worst epoch",
        "latency mean",
        "latency p90",
        "latency p99",
        "cloud bytes/request",
    ];
    let cells = |r: &Value| {
        vec![
            share(&r["hit_ratio"]),
            share(&r["hit_ratio_of_reachable"]),
            share(&r["epoch_hit_ratio"]["min"]),
            seconds(&r["latency_s"]["mean"]),
            seconds(&r["latency_s"]["p90"]),
            seconds(&r["latency_s"]["p99"]),
            r["cloud_bytes_per_request"]
                .as_f64()
                .map_or_else(|| "-".into(), |b| si(b, "B")),
        ]
    };
    solver_table(
        solvers,
        timings,
        &columns,
        tier_none,
        cells,
        SolveTimes::Percentiles,
    )
}
