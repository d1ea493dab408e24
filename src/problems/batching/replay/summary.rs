//! The summary table of a `batching` run.

use crate::replay::summary_text::{epochs_without, gap, seconds, share};
use crate::text::Table;
use serde_json::Value;

/// The table `solve-trace` and `report` print: one row per solver of a run's `summary.json`
/// (`solvers`) and `timings.json`.
pub fn summary_table(solvers: &[Value], timings: &Value) -> Table {
    let mut t = Table::new(&[
        "solver",
        "epochs",
        "unplanned requests (epochs)",
        "admitted",
        "of servable",
        "worst epoch",
        "TTFT mean",
        "TTFT p99",
        "TPOT p99",
        "gap to exact (mean/max)",
        "solve time p50",
        "p99",
        "total",
    ]);
    for (i, s) in solvers.iter().enumerate() {
        let r = &s["requests"];
        let (epochs, unplanned) = epochs_without(&s["epochs"]);
        let times = &timings["solvers"][i];
        let requests = r["requests"].as_u64().unwrap_or(0);
        let planned = r["planned"].as_u64().unwrap_or(0);
        t.row(vec![
            s["solver"].as_str().unwrap_or("?").to_string(),
            epochs.to_string(),
            format!("{} ({unplanned})", requests.saturating_sub(planned)),
            share(&r["admitted_share"]),
            share(&r["admitted_share_of_servable"]),
            share(&r["epoch_admitted_share"]["min"]),
            seconds(&r["ttft_s"]["mean"]),
            seconds(&r["ttft_s"]["p99"]),
            seconds(&r["tpot_s"]["p99"]),
            gap(&s["epochs"]),
            seconds(&times["solve_time_s"]["p50"]),
            seconds(&times["solve_time_s"]["p99"]),
            seconds(&times["total_s"]),
        ]);
    }
    t
}
