//! The summary table of a `split` run.

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
        "TTFT mean",
        "TTFT p99",
        "E2E mean",
        "E2E p90",
        "E2E p99",
        "SLO goodput",
        "energy/request",
        "gap to exact (mean/max)",
        "solve time (total)",
    ]);
    for (i, s) in solvers.iter().enumerate() {
        let r = &s["requests"];
        let (epochs, unplanned) = epochs_without(&s["epochs"]);
        let energy = r["device_energy_j"]["mean"]
            .as_f64()
            .map_or_else(|| "-".into(), |j| format!("{j:.3} J"));
        t.row(vec![
            s["solver"].as_str().unwrap_or("?").to_string(),
            epochs.to_string(),
            format!("{} ({unplanned})", r["tiers"]["none"].as_u64().unwrap_or(0)),
            seconds(&r["ttft_s"]["mean"]),
            seconds(&r["ttft_s"]["p99"]),
            seconds(&r["e2e_s"]["mean"]),
            seconds(&r["e2e_s"]["p90"]),
            seconds(&r["e2e_s"]["p99"]),
            share(&r["slo_goodput"]),
            energy,
            gap(&s["epochs"]),
            seconds(&timings["solvers"][i]["total_s"]),
        ]);
    }
    t
}
