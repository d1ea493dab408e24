//! The split solvers on many epochs of the city-scale scenario: how long the exact solver takes
//! to certify, and how far the heuristics are from its optimum and how fast they are.
//!
//! Epoch `i` is the `i`-th group of 200 consecutive requests of the Azure conversation trace,
//! assigned to devices and models with seed `i`.
//!
//! ```text
//! cargo run --release --example split_benchmark -- [instances=100] [threads=2]
//! ```

use mei4llm::problems::split::{Objective, SplitInstance, solver};
use mei4llm::solve::Budget;
use mei4llm::system::Scenario;
use mei4llm::system::trace::{EpochRule, Epochs, TraceReader};
use std::path::Path;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let instances: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let scenario = Arc::new(Scenario::from_path(Path::new("scenarios/city.toml"))?);
    let trace = scenario
        .workload
        .as_ref()
        .ok_or("no workload")?
        .trace
        .clone();
    let epochs = Epochs::new(
        TraceReader::open(&trace)?,
        EpochRule::Count { requests: 200 },
    )?;
    let budget = Budget::default()
        .with_threads(threads)
        .with_time_limit(std::time::Duration::from_secs(60));
    let heuristics = ["descent", "greedy", "neurosurgeon", "cloud-only"];
    let mut exact_times = Vec::new();
    let mut certified = 0;
    let mut ratios = vec![Vec::new(); heuristics.len()];
    let mut times = vec![Vec::new(); heuristics.len()];
    for (i, epoch) in epochs.take(instances).enumerate() {
        let epoch = epoch?;
        let instance = SplitInstance::from_trace(
            scenario.clone(),
            &epoch.requests,
            Objective::Latency,
            i as u64,
        )?;
        let exact = solver("exact").ok_or("exact")?.solve(&instance, &budget)?;
        exact_times.push(exact.stats.time_s);
        certified += exact.is_optimal() as usize;
        let Some(optimum) = exact.objective else {
            continue;
        };
        for (h, name) in heuristics.iter().enumerate() {
            let outcome = solver(name).ok_or("solver")?.solve(&instance, &budget)?;
            times[h].push(outcome.stats.time_s);
            if let Some(objective) = outcome.objective {
                ratios[h].push(objective / optimum - 1.0);
            }
        }
        eprintln!(
            "epoch {i}: exact {} in {:.2} s (gap {:.1e})",
            exact.status.name(),
            exact.stats.time_s,
            exact.gap().unwrap_or(f64::NAN)
        );
    }
    let n = exact_times.len();
    let stats = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
        (
            mean,
            s.get(s.len() / 2).copied().unwrap_or(f64::NAN),
            s.get(s.len() * 95 / 100).copied().unwrap_or(f64::NAN),
            s.last().copied().unwrap_or(f64::NAN),
        )
    };
    let (mean, median, p95, max) = stats(&exact_times);
    let within_5_s = exact_times.iter().filter(|&&t| t <= 5.0).count();
    println!("city scenario, {n} epochs of 200 requests, HiGHS on {threads} thread(s)\n");
    println!(
        "exact (60 s limit): certified optimal (gap ≤ 1e-6) in {certified}/{n}, {within_5_s}/{n} within 5 s; time median {median:.2} s, mean {mean:.2} s, p95 {p95:.2} s, max {max:.2} s\n"
    );
    println!("| solver | mean excess over optimum | worst excess | mean time | max time |");
    println!("|---|---:|---:|---:|---:|");
    for (h, name) in heuristics.iter().enumerate() {
        let (mean_r, _, _, worst) = stats(&ratios[h]);
        let (mean_t, _, _, max_t) = stats(&times[h]);
        println!(
            "| {name} | {:.4}% | {:.4}% | {:.2} ms | {:.2} ms |",
            100.0 * mean_r,
            100.0 * worst,
            1e3 * mean_t,
            1e3 * max_t
        );
    }
    Ok(())
}
