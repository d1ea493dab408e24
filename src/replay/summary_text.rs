//! What every problem's summary table shows the same way: times, shares, gaps to the exact
//! solver and epochs without a plan, read from a run's `summary.json` and `timings.json`.

use crate::text::time;
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
