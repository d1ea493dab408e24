//! The batching solvers on 50 seeded instances of the edge scenario
//! (`scenarios/batching-edge.toml`: 4 edge servers — L4, A10G, Jetson AGX Orin 64GB, A100
//! PCIe 80GB — serving Llama-3.1-8B, 200 waiting requests of the Azure LLM conversation
//! trace): how long the exact MILP takes and how often it certifies optimality, and how far
//! each heuristic and baseline is from its optimum and how fast it is.
//!
//! Instance `i` takes the 200 requests arriving from `70·i` seconds into the trace (so the 50
//! windows cover its hour) and draws their narrowest precisions with seed `i`. A heuristic's
//! time on an instance is the median of 5 runs (its decision is the same every run), so that
//! other work on the machine does not inflate it.
//!
//! ```text
//! cargo run --release --example batching_benchmark -- [instances=50] [threads=2] [scenario]
//! ```

use mei4llm::problems::batching::{BatchingInstance, Section, solver};
use mei4llm::solve::Budget;
use mei4llm::system::Scenario;
use std::path::Path;
use std::time::Duration;

/// Seconds between the starts of consecutive instances' trace windows.
const WINDOW_STRIDE_S: f64 = 70.0;

/// Runs of each heuristic per instance; its time is their median.
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let instances: u64 = args.next().map_or(Ok(50), |a| a.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let path = args
        .next()
        .unwrap_or_else(|| "scenarios/batching-edge.toml".into());
    let scenario = Scenario::from_path(Path::new(&path))?;
    let exact_budget = Budget::default()
        .with_threads(threads)
        .with_time_limit(Duration::from_secs(60));
    let budget = Budget::default();
    let others = ["assignment", "density", "fcfs", "spf"];
    let mut exact_times = Vec::new();
    let mut certified = 0;
    let mut gaps = vec![Vec::new(); others.len()];
    let mut times = vec![Vec::new(); others.len()];
    for seed in 0..instances {
        let mut section = Section::of(&scenario)?;
        section.seed = seed;
        section.start_s = WINDOW_STRIDE_S * seed as f64;
        let instance = BatchingInstance::from_section(&scenario, &section)?;
        let exact = solver("exact")
            .ok_or("exact")?
            .solve(&instance, &exact_budget)?;
        exact_times.push(exact.stats.time_s);
        certified += exact.is_optimal() as usize;
        let Some(optimum) = exact.objective else {
            continue;
        };
        let mut line = format!(
            "instance {seed}: exact {} {optimum} in {:.2} s (gap {:.1e}, {} nodes)",
            exact.status.name(),
            exact.stats.time_s,
            exact.gap().unwrap_or(f64::NAN),
            exact.stats.nodes
        );
        for (h, name) in others.iter().enumerate() {
            let heuristic = solver(name).ok_or("solver")?;
            let mut runs = Vec::with_capacity(RUNS);
            let mut outcome = heuristic.solve(&instance, &budget)?;
            runs.push(outcome.stats.time_s);
            for _ in 1..RUNS {
                outcome = heuristic.solve(&instance, &budget)?;
                runs.push(outcome.stats.time_s);
            }
            runs.sort_by(f64::total_cmp);
            times[h].push(runs[RUNS / 2]);
            if let Some(objective) = outcome.objective {
                let gap = (optimum - objective) / optimum.max(1e-12);
                gaps[h].push(gap);
                line += &format!(", {name} {objective} ({:.2}%)", 100.0 * gap);
            }
        }
        eprintln!("{line}");
    }
    let stats = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
        (
            mean,
            s.get(s.len() / 2).copied().unwrap_or(f64::NAN),
            s.last().copied().unwrap_or(f64::NAN),
        )
    };
    let (mean, median, worst) = stats(&exact_times);
    let within_5_s = exact_times.iter().filter(|&&t| t <= 5.0).count();
    println!(
        "exact: {certified}/{} certified optimal; time mean {mean:.3} s, median {median:.3} s, max {worst:.3} s, {within_5_s} within 5 s ({threads} threads)",
        exact_times.len()
    );
    println!();
    println!("| solver | mean gap to optimum | worst gap | mean time | max time |");
    println!("|---|---:|---:|---:|---:|");
    for (h, name) in others.iter().enumerate() {
        let (g_mean, _, g_worst) = stats(&gaps[h]);
        let (t_mean, _, t_worst) = stats(&times[h]);
        println!(
            "| {name} | {:.2}% | {:.2}% | {:.3} ms | {:.3} ms |",
            100.0 * g_mean,
            100.0 * g_worst,
            1e3 * t_mean,
            1e3 * t_worst
        );
    }
    Ok(())
}
