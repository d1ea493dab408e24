//! The caching solvers on 50 seeded instances of the city scenario
//! (`scenarios/caching-city.toml`: 10 edge servers × 100 models × 500 users): how long the exact
//! MILP takes and how often it certifies optimality, and how far each heuristic and baseline is
//! from its optimum and how fast it is.
//!
//! Instance `i` is the scenario with seed `i` (library adapter ranks, link-rate draws and
//! request probabilities all change).
//!
//! ```text
//! cargo run --release --example caching_benchmark -- [instances=50] [threads=2] [scenario]
//! cargo run --release --example caching_benchmark -- export out.json [threads=2] [scenario]
//! ```
//!
//! `export` writes the scenario's instance (its own seed) as JSON for `benches/caching_pulp.py`,
//! solves it with the exact MILP, and prints one JSON line with our build-and-solve time and
//! optimum.

use mei4llm::problems::caching::{CachingInstance, Section, solver};
use mei4llm::solve::Budget;
use mei4llm::system::Scenario;
use std::path::Path;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("export") {
        args.next();
        let out = args.next().ok_or("export needs an output path")?;
        let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
        let path = args
            .next()
            .unwrap_or_else(|| "scenarios/caching-city.toml".into());
        let instance = CachingInstance::from_scenario(&Scenario::from_path(Path::new(&path))?)?;
        std::fs::write(&out, instance.to_json())?;
        let started = std::time::Instant::now();
        // Build and solve from the exported file, as the PuLP script does.
        let again = mei4llm::problems::caching::read_instance(Path::new(&out))?;
        let o = solver("exact")
            .ok_or("exact")?
            .solve(&again, &Budget::default().with_threads(threads))?;
        println!(
            "{{\"objective\": {}, \"bound\": {}, \"status\": \"{}\", \"read_build_solve_s\": {}, \"solve_s\": {}, \"demands\": {}}}",
            o.objective.unwrap_or(f64::NAN),
            o.bound.unwrap_or(f64::NAN),
            o.status.name(),
            started.elapsed().as_secs_f64(),
            o.stats.time_s,
            again.demands().len()
        );
        return Ok(());
    }
    let instances: u64 = args.next().map_or(Ok(50), |a| a.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let path = args
        .next()
        .unwrap_or_else(|| "scenarios/caching-city.toml".into());
    let scenario = Scenario::from_path(Path::new(&path))?;
    let budget = Budget::default()
        .with_threads(threads)
        .with_time_limit(Duration::from_secs(60));
    let others = ["greedy", "trimcaching", "sharing-blind", "popularity"];
    let mut exact_times = Vec::new();
    let mut certified = 0;
    let mut gaps = vec![Vec::new(); others.len()];
    let mut times = vec![Vec::new(); others.len()];
    for seed in 0..instances {
        let mut section = Section::of(&scenario)?;
        section.seed = seed;
        let instance = CachingInstance::from_section(&scenario, &section)?;
        let exact = solver("exact").ok_or("exact")?.solve(&instance, &budget)?;
        exact_times.push(exact.stats.time_s);
        certified += exact.is_optimal() as usize;
        let Some(optimum) = exact.objective else {
            continue;
        };
        let mut line = format!(
            "instance {seed}: {} demands, exact {} {:.4} in {:.2} s (gap {:.1e}, {} nodes)",
            instance.demands().len(),
            exact.status.name(),
            optimum,
            exact.stats.time_s,
            exact.gap().unwrap_or(f64::NAN),
            exact.stats.nodes
        );
        for (h, name) in others.iter().enumerate() {
            let outcome = solver(name).ok_or("solver")?.solve(&instance, &budget)?;
            times[h].push(outcome.stats.time_s);
            if let Some(objective) = outcome.objective {
                let gap = (optimum - objective) / optimum.max(1e-12);
                gaps[h].push(gap);
                line += &format!(", {name} {:.2}%", 100.0 * gap);
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
    println!(
        "exact: {certified}/{} certified optimal; time mean {mean:.3} s, median {median:.3} s, max {worst:.3} s ({threads} threads)",
        exact_times.len()
    );
    println!();
    println!("| solver | mean gap to optimum | worst gap | mean time | max time |");
    println!("|---|---:|---:|---:|---:|");
    for (h, name) in others.iter().enumerate() {
        let (g_mean, _, g_worst) = stats(&gaps[h]);
        let (t_mean, _, t_worst) = stats(&times[h]);
        println!(
            "| {name} | {:.2}% | {:.2}% | {:.1} ms | {:.1} ms |",
            100.0 * g_mean,
            100.0 * g_worst,
            1e3 * t_mean,
            1e3 * t_worst
        );
    }
    Ok(())
}
