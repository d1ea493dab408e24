//! The table `solve-trace` and `report` print: one line per solver of a run directory's
//! `summary.json` and `timings.json`, with the columns of the run's problem.

use crate::table::{Table, si, time};
use mei4llm::replay::files::{SUMMARY_JSON, TIMINGS_JSON};
use serde_json::Value;
use std::error::Error;
use std::path::Path;

/// Prints the summary table of the run directory `dir`.
pub fn print_summary(dir: &Path) -> Result<(), Box<dyn Error>> {
    let read = |name: &str| -> Result<Value, Box<dyn Error>> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let summary = read(SUMMARY_JSON)?;
    let timings = read(TIMINGS_JSON).unwrap_or(Value::Null);
    let empty = Vec::new();
    let solvers = summary["solvers"].as_array().unwrap_or(&empty);
    match summary["run"]["problem"].as_str() {
        Some("caching") => caching(solvers, &timings).print(),
        Some("batching") => batching(solvers, &timings).print(),
        _ => split(solvers, &timings).print(),
    }
    Ok(())
}

fn seconds(v: &Value) -> String {
    v.as_f64().map_or_else(|| "-".into(), time)
}

fn share(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x))
}

/// Mean and largest gap to the exact solver, in percent.
fn gap(epochs: &Value) -> String {
    let gap = &epochs["gap_to_exact"];
    match (gap["mean"].as_f64(), gap["max"].as_f64()) {
        (Some(mean), Some(max)) => format!("{:.2}% / {:.2}%", 100.0 * mean, 100.0 * max),
        _ => "-".into(),
    }
}

/// Epochs, and how many of them had no (valid) decision.
fn epochs_without(epochs: &Value) -> (u64, u64) {
    let total = epochs["epochs"].as_u64().unwrap_or(0);
    let planned = epochs["with_objective"].as_u64().unwrap_or(0);
    (total, total.saturating_sub(planned))
}

fn split(solvers: &[Value], timings: &Value) -> Table {
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

fn caching(solvers: &[Value], timings: &Value) -> Table {
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

fn batching(solvers: &[Value], timings: &Value) -> Table {
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
