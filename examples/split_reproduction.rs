//! The split-inference reproduction table of the README: the certified optimum of the `split`
//! problem against the single-tier baselines (device-only, edge-only, cloud-only), the
//! per-request Neurosurgeon split and coordinate descent, over consecutive epochs of the Azure
//! LLM conversation trace (2023) on `scenarios/small.toml`.
//!
//! ```text
//! cargo run --release --example split_reproduction            # the first 100 epochs
//! cargo run --release --example split_reproduction -- 20      # the first 20 epochs
//! ```
//!
//! Each epoch is the next group of the scenario's `requests` (8) requests of its workload trace,
//! built with `SplitInstance::from_trace` and the workload seed plus the epoch number (so epoch
//! 0 is what `mei4llm plan --scenario scenarios/small.toml` plans). Every plan is re-checked
//! with `Problem::evaluate`; every figure below is computed here from the library.
//!
//! What it is compared against: Neurosurgeon (Kang et al., ASPLOS'17) reports a 3.1× mean
//! latency speed-up and 59.5% less mobile energy than the best single tier for CNNs and DNNs;
//! DADS (Hu et al., INFOCOM'19) reports 6.45× and 8.08× speed-ups over edge-only and
//! cloud-only. Those are per-request partitions of feed-forward networks; here the requests
//! share a cell's uplink and an edge GPU, and an inner split of an LLM pays one round trip
//! per generated token.

use mei4llm::problems::split::{Objective, SplitInstance, Tier, solver};
use mei4llm::solve::{Budget, Problem, Status};
use mei4llm::system::Scenario;
use mei4llm::system::trace::{EpochRule, Epochs, TraceReader};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Epochs used unless the first argument says otherwise.
const DEFAULT_EPOCHS: usize = 100;
/// Wall-clock limit of one solve.
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Relative gap at which the exact solver stops under the latency objective (the default).
const LATENCY_GAP: f64 = 1e-6;
/// Relative gap and time limit of the exact solver under the energy objective: its
/// objective is a sum of microjoules of radio energy, and closing the last 0.1% costs
/// seconds per epoch without changing the comparison with device-only (which is 5 orders of
/// magnitude away).
const ENERGY_GAP: f64 = 1e-3;
const ENERGY_TIME_LIMIT: Duration = Duration::from_secs(2);
/// The solvers compared under the latency objective, the optimum first.
const SOLVERS: [&str; 6] = [
    "exact",
    "device-only",
    "edge-only",
    "cloud-only",
    "descent",
    "neurosurgeon",
];
/// The single-tier baselines.
const SINGLE_TIER: [&str; 3] = ["device-only", "edge-only", "cloud-only"];

/// What one request experienced under one plan.
#[derive(Clone)]
struct Served {
    model: String,
    tier: Tier,
    split: u32,
    layers: u32,
    ttft_s: f64,
    e2e_s: f64,
    energy_j: f64,
    upload_bytes: f64,
}

/// One solver on one epoch.
struct Run {
    status: Status,
    time_s: f64,
    gap: Option<f64>,
    /// Empty when the solver found no plan.
    requests: Vec<Served>,
}

impl Run {
    fn found(&self) -> bool {
        !self.requests.is_empty()
    }
}

fn solve(
    instance: &SplitInstance,
    name: &str,
    budget: &Budget,
) -> Result<Run, Box<dyn Error + Send + Sync>> {
    let chosen = solver(name).ok_or_else(|| format!("no solver `{name}`"))?;
    let outcome = chosen.solve(instance, budget)?;
    let mut requests = Vec::new();
    if let Some(decision) = &outcome.decision {
        let evaluation = instance.evaluate(decision);
        if let Some(v) = evaluation.violations.first() {
            return Err(format!(
                "{name}: the plan breaks {} ({}) when re-checked",
                v.constraint, v.subject
            )
            .into());
        }
        for (k, (a, m)) in decision
            .assignments
            .iter()
            .zip(instance.metrics(decision))
            .enumerate()
        {
            let r = &instance.requests[k];
            requests.push(Served {
                model: instance.scenario.models[r.model].architecture.name.clone(),
                tier: a.choice.tier,
                split: a.choice.split,
                layers: instance.layers(k),
                ttft_s: m.ttft_s,
                e2e_s: m.e2e_s,
                energy_j: m.device_energy_j,
                upload_bytes: m.upload_bytes,
            });
        }
    }
    Ok(Run {
        gap: outcome.gap(),
        status: outcome.status,
        time_s: outcome.stats.time_s,
        requests,
    })
}

fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Nearest-rank percentile.
fn percentile(values: impl IntoIterator<Item = f64>, p: f64) -> f64 {
    let mut v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// The requests of the epochs in `epochs` under the runs `runs` (indexed by epoch).
fn served<'a>(runs: &'a [Run], epochs: &'a [usize]) -> impl Iterator<Item = &'a Served> + 'a {
    epochs.iter().flat_map(move |&e| runs[e].requests.iter())
}

fn joules(j: f64) -> String {
    if j.abs() >= 1.0 {
        format!("{j:.2} J")
    } else if j.abs() >= 1e-3 {
        format!("{:.2} mJ", j * 1e3)
    } else {
        format!("{:.1} µJ", j * 1e6)
    }
}

fn bytes(b: f64) -> String {
    if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.2} kB", b / 1e3)
    } else {
        format!("{b:.0} B")
    }
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let wanted: usize = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|_| format!("the argument is a number of epochs, got `{a}`"))?,
        None => DEFAULT_EPOCHS,
    };
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = Arc::new(Scenario::from_path(&root.join("scenarios/small.toml"))?);
    let workload = scenario
        .workload
        .clone()
        .ok_or("small.toml has no [workload]")?;
    let per_epoch = workload.requests.unwrap_or(8) as usize;
    let start = workload.start_s;
    let stream = TraceReader::open(&workload.trace)?
        .filter(move |r| r.as_ref().map_or(true, |r| r.arrival_s >= start));
    let mut epochs = Vec::with_capacity(wanted);
    for epoch in Epochs::new(
        stream,
        EpochRule::Count {
            requests: per_epoch,
        },
    )?
    .take(wanted)
    {
        let epoch = epoch?;
        if epoch.requests.len() == per_epoch {
            epochs.push(epoch);
        }
    }
    let n = epochs.len();
    println!(
        "# Split inference on `{}`: {} epochs of {} requests (trace `{}`, requests {}..{})\n",
        scenario.name,
        n,
        per_epoch,
        workload.trace.file_name().unwrap_or_default(),
        epochs.first().map_or(0, |e| e.requests[0].id),
        epochs
            .last()
            .and_then(|e| e.requests.last())
            .map_or(0, |r| r.id),
    );
    println!(
        "{}. Every plan re-checked with `Problem::evaluate`.\n",
        scenario.description
    );

    // Every epoch under both objectives; solvers run one after the other inside an epoch and
    // epochs in parallel.
    type EpochRuns = (Vec<Run>, Run, Run);
    let latency_budget = Budget::default()
        .with_time_limit(TIME_LIMIT)
        .with_gap(LATENCY_GAP);
    let energy_budget = Budget::default()
        .with_time_limit(ENERGY_TIME_LIMIT)
        .with_gap(ENERGY_GAP);
    let results: Vec<EpochRuns> = epochs
        .par_iter()
        .map(|epoch| -> Result<EpochRuns, Box<dyn Error + Send + Sync>> {
            let seed = workload.seed.wrapping_add(epoch.index);
            let latency = SplitInstance::from_trace(
                scenario.clone(),
                &epoch.requests,
                Objective::Latency,
                seed,
            )?;
            let runs = SOLVERS
                .iter()
                .map(|name| solve(&latency, name, &latency_budget))
                .collect::<Result<Vec<_>, _>>()?;
            let energy = SplitInstance::from_trace(
                scenario.clone(),
                &epoch.requests,
                Objective::Energy,
                seed,
            )?;
            Ok((
                runs,
                solve(&energy, "exact", &energy_budget)?,
                solve(&energy, "device-only", &energy_budget)?,
            ))
        })
        .collect::<Result<_, _>>()?;
    // runs[solver][epoch]
    let mut runs: Vec<Vec<Run>> = SOLVERS.iter().map(|_| Vec::with_capacity(n)).collect();
    let mut energy_exact = Vec::with_capacity(n);
    let mut energy_device = Vec::with_capacity(n);
    for (per_solver, e_exact, e_device) in results {
        for (s, run) in per_solver.into_iter().enumerate() {
            runs[s].push(run);
        }
        energy_exact.push(e_exact);
        energy_device.push(e_device);
    }
    let index = |name: &str| SOLVERS.iter().position(|s| *s == name).unwrap();
    let found = |runs: &[Run]| -> Vec<usize> { (0..n).filter(|&e| runs[e].found()).collect() };
    let both = |a: &[Run], b: &[Run]| -> Vec<usize> {
        (0..n).filter(|&e| a[e].found() && b[e].found()).collect()
    };

    // ------------------------------------------------------------ per-solver table
    println!(
        "## Latency objective (minimise the sum of end-to-end latencies; exact to a relative gap of {LATENCY_GAP:.0e}, {} s per solve at most)\n",
        TIME_LIMIT.as_secs()
    );
    println!("Means and p95 are over the requests of the epochs where the solver found a plan.\n");
    println!(
        "| solver | mean E2E | p95 E2E | mean TTFT | p95 TTFT | mean device energy / request | mean bytes up / request | epochs without a plan | mean solve time |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (s, name) in SOLVERS.iter().enumerate() {
        let ok = found(&runs[s]);
        let reqs: Vec<&Served> = served(&runs[s], &ok).collect();
        println!(
            "| {name} | {:.3} s | {:.3} s | {:.1} ms | {:.1} ms | {} | {} | {} | {:.2} ms |",
            mean(reqs.iter().map(|r| r.e2e_s)),
            percentile(reqs.iter().map(|r| r.e2e_s), 0.95),
            1e3 * mean(reqs.iter().map(|r| r.ttft_s)),
            1e3 * percentile(reqs.iter().map(|r| r.ttft_s), 0.95),
            joules(mean(reqs.iter().map(|r| r.energy_j))),
            bytes(mean(reqs.iter().map(|r| r.upload_bytes))),
            n - ok.len(),
            1e3 * mean(runs[s].iter().map(|r| r.time_s)),
        );
    }
    let exact = &runs[index("exact")];
    let optimal = exact.iter().filter(|r| r.status == Status::Optimal).count();
    let worst_gap = exact.iter().filter_map(|r| r.gap).fold(0.0f64, f64::max);
    println!(
        "\nexact: {optimal} of {n} epochs proven optimal (relative gap ≤ {LATENCY_GAP:.0e}); largest gap {worst_gap:.2e}."
    );
    for (s, name) in SOLVERS.iter().enumerate() {
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for run in runs[s].iter().filter(|r| !r.found()) {
            let text = run.status.to_string();
            // Group by the constraint, not the request.
            let key = text
                .split(':')
                .take(2)
                .collect::<Vec<_>>()
                .join(":")
                .chars()
                .take(90)
                .collect();
            *reasons.entry(key).or_default() += 1;
        }
        for (reason, count) in reasons {
            println!("{name}: no plan in {count} epoch(s): {reason}…");
        }
    }

    // ------------------------------------------------------------ the optimal plan
    let ok = found(exact);
    let reqs: Vec<&Served> = served(exact, &ok).collect();
    let total = reqs.len();
    println!("\n## The optimal plan ({total} requests)\n");
    println!("| tier | requests | share |");
    println!("|---|---:|---:|");
    for tier in [Tier::Device, Tier::Edge, Tier::Cloud] {
        let count = reqs.iter().filter(|r| r.tier == tier).count();
        println!(
            "| {} | {count} | {:.1}% |",
            tier.name(),
            100.0 * count as f64 / total.max(1) as f64
        );
    }
    let inner = reqs
        .iter()
        .filter(|r| r.split > 0 && r.split < r.layers)
        .count();
    println!(
        "\nSplit points (s = blocks on the device; 0 = whole model on the server, L = device-only); {inner} of {total} requests at an inner split (0 < s < L):\n"
    );
    println!("| model | tier | split s / L | requests |");
    println!("|---|---|---:|---:|");
    let mut splits: BTreeMap<(String, &str, u32, u32), usize> = BTreeMap::new();
    for r in &reqs {
        *splits
            .entry((r.model.clone(), r.tier.name(), r.split, r.layers))
            .or_default() += 1;
    }
    for ((model, tier, split, layers), count) in splits {
        println!("| {model} | {tier} | {split}/{layers} | {count} |");
    }

    // ------------------------------------------------------------ ratios
    println!("\n## The optimum against each baseline (epochs where both found a plan)\n");
    println!(
        "Speed-up = baseline mean E2E / optimum mean E2E; energy change = optimum's mean device energy relative to the baseline's.\n"
    );
    println!(
        "| baseline | epochs | baseline mean E2E | optimum mean E2E | speed-up | baseline energy | optimum energy | energy change |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut best: Option<(&str, f64, f64)> = None;
    for name in SOLVERS.iter().skip(1) {
        let base = &runs[index(name)];
        let common = both(base, exact);
        let latency = |runs: &[Run]| mean(served(runs, &common).map(|r| r.e2e_s));
        let energy = |runs: &[Run]| mean(served(runs, &common).map(|r| r.energy_j));
        let (bl, ol) = (latency(base), latency(exact));
        let (be, oe) = (energy(base), energy(exact));
        println!(
            "| {name} | {} | {bl:.3} s | {ol:.3} s | {:.2}× | {} | {} | {:+.1}% |",
            common.len(),
            bl / ol,
            joules(be),
            joules(oe),
            100.0 * (oe - be) / be
        );
        if SINGLE_TIER.contains(name)
            && !common.is_empty()
            && best.is_none_or(|(_, speed_up, _)| bl / ol < speed_up)
        {
            best = Some((name, bl / ol, oe / be));
        }
    }
    if let Some((name, speed_up, energy)) = best {
        println!(
            "\nBest single tier by mean latency: {name}. Against it the optimum has a {speed_up:.2}× mean end-to-end speed-up and uses {:.1}% {} device energy (Neurosurgeon reports 3.1× and −59.5% against the best single tier; DADS 6.45× / 8.08× against edge-only / cloud-only).",
            100.0 * (energy - 1.0).abs(),
            if energy <= 1.0 { "less" } else { "more" }
        );
    }

    // ------------------------------------------------------------ energy objective
    println!(
        "\n## Energy objective (minimise the sum of device energies; exact to a relative gap of {ENERGY_GAP:.0e}, {} s per solve at most)\n",
        ENERGY_TIME_LIMIT.as_secs()
    );
    let common = both(&energy_exact, &energy_device);
    let e_opt = mean(served(&energy_exact, &common).map(|r| r.energy_j));
    let e_dev = mean(served(&energy_device, &common).map(|r| r.energy_j));
    let l_opt = mean(served(&energy_exact, &common).map(|r| r.e2e_s));
    let l_dev = mean(served(&energy_device, &common).map(|r| r.e2e_s));
    let proven = energy_exact
        .iter()
        .filter(|r| r.status == Status::Optimal)
        .count();
    let worst_gap = energy_exact
        .iter()
        .filter_map(|r| r.gap)
        .fold(0.0f64, f64::max);
    println!("| plan | epochs | mean device energy / request | mean E2E | mean solve time |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| energy-optimal (exact) | {} | {} | {l_opt:.3} s | {:.2} ms |",
        common.len(),
        joules(e_opt),
        1e3 * mean(energy_exact.iter().map(|r| r.time_s))
    );
    let latency_optimal = &runs[index("exact")];
    let common_all: Vec<usize> = common
        .iter()
        .copied()
        .filter(|&e| latency_optimal[e].found())
        .collect();
    println!(
        "| latency-optimal (exact, above) | {} | {} | {:.3} s | {:.2} ms |",
        common_all.len(),
        joules(mean(
            served(latency_optimal, &common_all).map(|r| r.energy_j)
        )),
        mean(served(latency_optimal, &common_all).map(|r| r.e2e_s)),
        1e3 * mean(latency_optimal.iter().map(|r| r.time_s))
    );
    println!(
        "| device-only | {} | {} | {l_dev:.3} s | {:.2} ms |",
        common.len(),
        joules(e_dev),
        1e3 * mean(energy_device.iter().map(|r| r.time_s))
    );
    let tiers = |tier: Tier| {
        served(&energy_exact, &common)
            .filter(|r| r.tier == tier)
            .count()
    };
    println!(
        "\nThe energy-optimal plan uses {:.2e} of device-only's device energy ({:.0}× less); it serves {} requests on the device, {} at the edge and {} in the cloud. exact: {proven} of {n} epochs proven optimal (gap ≤ {ENERGY_GAP:.0e}), largest gap {worst_gap:.2e}; epochs without a plan: exact {}, device-only {}.",
        e_opt / e_dev,
        e_dev / e_opt,
        tiers(Tier::Device),
        tiers(Tier::Edge),
        tiers(Tier::Cloud),
        n - found(&energy_exact).len(),
        n - found(&energy_device).len(),
    );
    println!(
        "\n{n} epochs, {} solves, in {:.1} s on {} threads.",
        n * (SOLVERS.len() + 2),
        started.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    Ok(())
}
