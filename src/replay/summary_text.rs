//! What every problem's summary table shows the same way: times, shares, gaps to the exact
//! solver and epochs without a plan, read from a run's `summary.json` and `timings.json`, and
//! the table they make with a problem's own columns.

use crate::text::{Table, time};
use serde_json::Value;

/// A time of the summary, or `-`.
pub fn seconds(v: &Value) -> String {
    v.as_f64().map_or_else(|| "-".into(), time)
}

/// A share of the summary in percent, or `-`.
pub fn share(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x))
}

/// Mean and largest gap to the exact solver, in percent.
pub fn gap(epochs: &Value) -> String {
    let gap = &epochs["gap_to_exact"];
    match (gap["mean"].as_f64(), gap["max"].as_f64()) {
        (Some(mean), Some(max)) => format!("{:.2}% / {:.2}%", 100.0 * mean, 100.0 * max),
        _ => "-".into(),
    }
}

/// Epochs, and how many of them had no (valid) decision.
pub fn epochs_without(epochs: &Value) -> (u64, u64) {
    let total = epochs["epochs"].as_u64().unwrap_or(0);
    let planned = epochs["with_objective"].as_u64().unwrap_or(0);
    (total, total.saturating_sub(planned))
}

/// How a summary table shows the solve times of its solvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolveTimes {
    /// The median and 99th percentile of a solve, and the total: three columns.
    Percentiles,
    /// The total alone.
    Total,
}

/// The table `solve-trace` and `report` print: one row per solver of a run's `summary.json`
/// (`solvers`) and `timings.json`. A row holds the solver, its epochs, its unplanned requests
/// (`unplanned` of its `requests` statistics) with the epochs without a plan, the problem's
/// own `columns` (`cells` of its `requests` statistics), the gap to the exact solver and the
/// solve times.
pub fn solver_table(
    solvers: &[Value],
    timings: &Value,
    columns: &[&str],
    unplanned: impl Fn(&Value) -> u64,
    cells: impl Fn(&Value) -> Vec<String>,
    times: SolveTimes,
) -> Table {
    let mut header = vec!["solver", "epochs", "unplanned requests (epochs)"];
    header.extend_from_slice(columns);
    header.push("gap to exact (mean/max)");
    match times {
        SolveTimes::Percentiles => header.extend_from_slice(&["solve time p50", "p99", "total"]),
        SolveTimes::Total => header.push("solve time (total)"),
    }
    let mut t = Table::new(&header);
    for (i, s) in solvers.iter().enumerate() {
        let r = &s["requests"];
        let (epochs, without) = epochs_without(&s["epochs"]);
        let solve = &timings["solvers"][i];
        let mut row = vec![
            s["solver"].as_str().unwrap_or("?").to_string(),
            epochs.to_string(),
            format!("{} ({without})", unplanned(r)),
        ];
        row.extend(cells(r));
        row.push(gap(&s["epochs"]));
        if times == SolveTimes::Percentiles {
            row.push(seconds(&solve["solve_time_s"]["p50"]));
            row.push(seconds(&solve["solve_time_s"]["p99"]));
        }
        row.push(seconds(&solve["total_s"]));
        t.row(row);
    }
    t
}

/// The requests no solver's decision planned, as the `tiers` of the statistics count them.
pub fn tier_none(requests: &Value) -> u64 {
    requests["tiers"]["none"].as_u64().unwrap_or(0)
}
