//! The summary table of a `split` run.

use crate::replay::summary_text::{SolveTimes, seconds, share, solver_table, tier_none};
use crate::text::Table;
use serde_json::Value;

/// The table `solve-trace` and `report` print: one row per solver of a run's `summary.json`
/// (`solvers`) and `timings.json`.
pub fn summary_table(solvers: &[Value], timings: &Value) -> Table {
    let columns = [
        "TTFT mean",
        "TTFT p99",
        "E2E mean",
        "E2E p90",
        "E2E p99",
        "SLO goodput",
        "energy/request",
    ];
    let cells = |r: &Value| {
        let energy = r["device_energy_j"]["mean"]
            .as_f64()
            .map_or_else(|| "-".into(), |j| format!("{j:.3} J"));
        vec![
            seconds(&r["ttft_s"]["mean"]),
            seconds(&r["ttft_s"]["p99"]),
            seconds(&r["e2e_s"]["mean"]),
            seconds(&r["e2e_s"]["p90"]),
            seconds(&r["e2e_s"]["p99"]),
            share(&r["slo_goodput"]),
            energy,
        ]
    };
    solver_table(
        solvers,
        timings,
        &columns,
        tier_none,
        cells,
        SolveTimes::Total,
    )
}
