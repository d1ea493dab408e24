//! The summary table of a `caching` run.

use crate::replay::summary_text::{epochs_without, gap, seconds, share};
use crate::text::{Table, si};
use serde_json::Value;

/// The table `solve-trace` and `report` print: one row per solver of a run's `summary.json`
/// (`solvers`) and `timings.json`.
pub fn summary_table(solvers: &[Value], timings: &Value) -> Table {
    let mut t = Table::new(&[
        "solver",
        "epochs",
        "unplanned requests (epochs)",
        "hit ratio",
        "of reachable",
        "worst epoch",
        "latency mean",
        "latency p90",
        "latency p99",
        "cloud bytes/request",
        "gap to exact (mean/max)",
        "solve time p50",
        "p99",
        "total",
    ]);
    for (i, s) in solvers.iter().enumerate() {
        let r = &s["requests"];
        let (epochs, unplanned) = epochs_without(&s["epochs"]);
        let times = &timings["solvers"][i];
        t.row(vec![
            s["solver"].as_str().unwrap_or("?").to_string(),
            epochs.to_string(),
            format!("{} ({unplanned})", r["tiers"]["none"].as_u64().unwrap_or(0)),
            share(&r["hit_ratio"]),
            share(&r["hit_ratio_of_reachable"]),
            share(&r["epoch_hit_ratio"]["min"]),
            seconds(&r["latency_s"]["mean"]),
            seconds(&r["latency_s"]["p90"]),
            seconds(&r["latency_s"]["p99"]),
            r["cloud_bytes_per_request"]
                .as_f64()
                .map_or_else(|| "-".into(), |b| si(b, "B")),
            gap(&s["epochs"]),
            seconds(&times["solve_time_s"]["p50"]),
            seconds(&times["solve_time_s"]["p99"]),
            seconds(&times["total_s"]),
        ]);
    }
    t
}
