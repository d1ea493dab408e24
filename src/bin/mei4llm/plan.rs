//! `mei4llm plan`: one epoch of a scenario's workload, planned by one solver (or, with
//! `--problem caching`, the placement of the scenario's `[caching]` section; with
//! `--problem batching`, the next batch of its `[batching]` section).

use crate::args::{OBJECTIVES_HELP, ObjectiveArgs, parse_duration};
use crate::table::{Table, si, time};
use mei4llm::problems::split::{Objective, SOLVERS, SplitDecision, SplitInstance, solver};
use mei4llm::replay::split::{PlannedRequest, planned_requests};
use mei4llm::solve::{Budget, Outcome, Problem, Status, Violation};
use mei4llm::system::Scenario;
use serde::Serialize;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Exit status when the solver found no plan without proving that none exists (clap uses 2
/// for usage errors).
pub const NOT_FOUND: u8 = 3;

/// One line per solver of [`SOLVERS`], for `--help`.
pub const SOLVER_HELP: [(&str, &str); 8] = [
    (
        "exact",
        "certified optimum: MILP with outer approximation of the share terms, proven bound and gap",
    ),
    (
        "descent",
        "greedy start, then single-request moves with closed-form shares until none improves",
    ),
    (
        "greedy",
        "places requests heaviest first, each where it raises the objective least",
    ),
    (
        "neurosurgeon",
        "each request picks its own best tier and split assuming equal shares (Kang et al., ASPLOS'17)",
    ),
    (
        "device-only",
        "every request runs the whole model on its own device",
    ),
    (
        "edge-only",
        "every request runs the whole model on the first edge server covering its device",
    ),
    (
        "cloud-only",
        "every request runs the whole model in the cloud, through its first cell",
    ),
    (
        "random",
        "a uniformly random candidate per request within memory and deadline floors (--seed)",
    ),
];

fn after_help() -> String {
    let mut text = format!("{OBJECTIVES_HELP}\nSolvers (--problem split):\n");
    for (name, line) in SOLVER_HELP {
        text.push_str(&format!("  {name:<13}{line}\n"));
    }
    text.push_str("\nSolvers (--problem caching; the objective flags do not apply):\n");
    for (name, line) in crate::plan_caching::SOLVER_HELP {
        text.push_str(&format!("  {name:<14}{line}\n"));
    }
    text.push_str("\nSolvers (--problem batching; the objective flags do not apply, the [batching] section\nsays what is maximised):\n");
    for (name, line) in crate::plan_batching::SOLVER_HELP {
        text.push_str(&format!("  {name:<14}{line}\n"));
    }
    text.push_str(
        "\nThe requests are the first epoch of the scenario's [workload] (its trace, `requests` or\n\
         `window`, and its seed for the devices and models of the requests).\n\
         \nExit status: 0 when a plan was found or the epoch was proven infeasible (the reason is\n\
         printed); 3 when the solver found no plan without proving that none exists; 1 on bad\n\
         input (unknown solver, unreadable scenario) or when the plan fails its re-check;\n\
         2 on a malformed command line.\n\
         \nExamples:\n\
         \x20 mei4llm plan --scenario scenarios/small.toml\n\
         \x20 mei4llm plan --scenario scenarios/small.toml --solver descent --objective energy\n\
         \x20 mei4llm plan --problem caching --scenario scenarios/caching-small.toml --solver greedy\n\
         \x20 mei4llm plan --problem batching --scenario scenarios/batching-small.toml --solver assignment\n\
         \x20 mei4llm plan --scenario scenarios/small.toml --objective mixed --per-second 1 --per-joule 0.05 --time-limit 5s --json",
    );
    text
}

#[derive(clap::Args)]
#[command(after_help = after_help(), allow_negative_numbers = true)]
pub struct Args {
    /// What to plan: `split` (an epoch of the [workload]), `caching` (the [caching] section) or
    /// `batching` (the [batching] section).
    #[arg(long, value_enum, default_value = "split")]
    problem: PlanProblem,
    /// A scenario file (.toml or .json) with a [workload] section (or, for caching, a
    /// [caching] section; for batching, a [batching] section).
    #[arg(long)]
    scenario: PathBuf,
    /// Solver (see the list below).
    #[arg(long, default_value = "exact")]
    solver: String,
    #[command(flatten)]
    objective: ObjectiveArgs,
    /// Wall-clock limit of the solve, e.g. 5s, 500ms, 2m (default: none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    time_limit: Option<Duration>,
    /// Relative optimality gap at which the exact solver stops.
    #[arg(long, default_value_t = 1e-6)]
    gap: f64,
    /// Seed of the solver's random choices (the requests' devices and models come from the
    /// workload's own seed).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

/// The problems `plan` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanProblem {
    /// Split point, tier, server, bandwidth and compute shares per request.
    Split,
    /// Which models each edge server stores, shared parameter blocks stored once.
    Caching,
    /// Which waiting requests join the next batch on which edge server, at which precision.
    Batching,
}

#[derive(Serialize, Default)]
struct Totals {
    requests: usize,
    on_device: usize,
    at_edge: usize,
    in_cloud: usize,
    inner_splits: usize,
    cost: f64,
    mean_ttft_s: f64,
    max_ttft_s: f64,
    mean_e2e_s: f64,
    max_e2e_s: f64,
    total_device_energy_j: f64,
    mean_device_energy_j: f64,
    upload_bytes: f64,
    download_bytes: f64,
}

#[derive(Serialize)]
struct Check {
    feasible: bool,
    objective: f64,
    violations: Vec<Violation>,
}

#[derive(Serialize)]
struct Report {
    scenario: String,
    requests: usize,
    solver: String,
    status: &'static str,
    reason: Option<String>,
    minimises: Objective,
    objective: Option<f64>,
    bound: Option<f64>,
    gap: Option<f64>,
    time_s: f64,
    nodes: u64,
    rounds: u64,
    /// `Problem::evaluate` of the decision (absent without a decision).
    check: Option<Check>,
    plan: Vec<PlannedRequest>,
    totals: Option<Totals>,
}

pub fn run(args: &Args) -> Result<ExitCode, Box<dyn Error>> {
    let budget = Budget {
        time_limit: args.time_limit,
        gap: args.gap,
        seed: args.seed,
        ..Budget::default()
    };
    match args.problem {
        PlanProblem::Split => {}
        PlanProblem::Caching => {
            return crate::plan_caching::run(&args.scenario, &args.solver, &budget, args.json);
        }
        PlanProblem::Batching => {
            return crate::plan_batching::run(&args.scenario, &args.solver, &budget, args.json);
        }
    }
    let Some(chosen) = solver(&args.solver) else {
        return Err(format!(
            "unknown solver `{}`; the solvers are: {}",
            args.solver,
            SOLVERS.join(", ")
        )
        .into());
    };
    let objective = args.objective.objective()?;
    budget.validate()?;
    let scenario = Arc::new(Scenario::from_path(&args.scenario)?);
    let instance = SplitInstance::from_scenario(scenario, objective)?;
    let outcome = chosen.solve(&instance, &budget)?;
    let report = report(&instance, &outcome);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&report);
    }
    if let Some(check) = &report.check {
        if !check.feasible {
            return Err(format!(
                "the plan of `{}` breaks {} constraint(s) when re-checked",
                report.solver,
                check.violations.len()
            )
            .into());
        }
        if let Some(claimed) = report.objective {
            let scale = claimed.abs().max(check.objective.abs()).max(1e-9);
            if (claimed - check.objective).abs() > 1e-6 * scale {
                return Err(format!(
                    "`{}` reports objective {claimed} but its plan evaluates to {}",
                    report.solver, check.objective
                )
                .into());
            }
        }
    }
    Ok(match (&outcome.status, &outcome.decision) {
        (_, Some(_)) | (Status::Infeasible(_), _) => ExitCode::SUCCESS,
        _ => ExitCode::from(NOT_FOUND),
    })
}

fn report(instance: &SplitInstance, outcome: &Outcome<SplitDecision>) -> Report {
    let reason = match &outcome.status {
        Status::Infeasible(why) | Status::NotFound(why) => Some(why.clone()),
        _ => None,
    };
    let (check, plan, totals) = match &outcome.decision {
        Some(decision) => {
            let evaluation = instance.evaluate(decision);
            let rows = planned_requests(instance, decision);
            let totals = totals(&rows);
            let check = Check {
                feasible: evaluation.is_feasible(),
                objective: evaluation.objective,
                violations: evaluation.violations,
            };
            (Some(check), rows, Some(totals))
        }
        None => (None, Vec::new(), None),
    };
    Report {
        scenario: instance.scenario.name.clone(),
        requests: instance.requests.len(),
        solver: outcome.solver.clone(),
        status: outcome.status.name(),
        reason,
        minimises: instance.objective,
        objective: outcome.objective,
        bound: outcome.bound,
        gap: outcome.gap(),
        time_s: outcome.stats.time_s,
        nodes: outcome.stats.nodes,
        rounds: outcome.stats.iterations,
        check,
        plan,
        totals,
    }
}

fn totals(rows: &[PlannedRequest]) -> Totals {
    let n = rows.len();
    let count = |tier: &str| rows.iter().filter(|r| r.tier == tier).count();
    let sum = |f: fn(&PlannedRequest) -> f64| rows.iter().map(f).sum::<f64>();
    let max = |f: fn(&PlannedRequest) -> f64| rows.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
    let mean = |total: f64| if n == 0 { 0.0 } else { total / n as f64 };
    let energy = sum(|r| r.device_energy_j);
    Totals {
        requests: n,
        on_device: count("device"),
        at_edge: count("edge"),
        in_cloud: count("cloud"),
        inner_splits: rows
            .iter()
            .filter(|r| r.split > 0 && r.split < r.layers)
            .count(),
        cost: sum(|r| r.cost),
        mean_ttft_s: mean(sum(|r| r.ttft_s)),
        max_ttft_s: max(|r| r.ttft_s),
        mean_e2e_s: mean(sum(|r| r.e2e_s)),
        max_e2e_s: max(|r| r.e2e_s),
        total_device_energy_j: energy,
        mean_device_energy_j: mean(energy),
        upload_bytes: sum(|r| r.upload_bytes),
        download_bytes: sum(|r| r.download_bytes),
    }
}

/// A number with seven significant digits.
fn number(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if (1e-4..1e9).contains(&v.abs()) {
        let decimals = (6 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.6e}")
    }
}

/// The objective's value with its unit.
fn value(objective: Objective, v: f64) -> String {
    let v = number(v);
    match objective {
        Objective::Latency => format!("{v} s (sum of end-to-end latencies)"),
        Objective::Energy => format!("{v} J (sum of device energies)"),
        Objective::Mixed {
            per_second,
            per_joule,
        } => format!(
            "{v} (sum of {per_second} per second of latency + {per_joule} per joule of device energy)"
        ),
    }
}

/// An energy in the most readable unit; `-` when unknown.
fn joules(j: f64) -> String {
    if j.is_nan() {
        "-".into()
    } else if j == 0.0 || j.abs() >= 1.0 {
        format!("{j:.3} J")
    } else if j.abs() >= 1e-3 {
        format!("{:.3} mJ", j * 1e3)
    } else {
        format!("{:.1} µJ", j * 1e6)
    }
}

fn print(r: &Report) {
    let field = |name: &str, text: String| println!("{:<14}{text}", format!("{name}:"));
    field("scenario", r.scenario.clone());
    field("requests", r.requests.to_string());
    field("solver", r.solver.clone());
    field(
        "status",
        match &r.reason {
            Some(why) => format!("{}: {why}", r.status),
            None => r.status.to_string(),
        },
    );
    field(
        "objective",
        r.objective
            .map_or_else(|| "-".into(), |v| value(r.minimises, v)),
    );
    field("proven bound", r.bound.map_or_else(|| "-".into(), number));
    field(
        "gap",
        r.gap
            .map_or_else(|| "-".into(), |g| format!("{g:.2e} (relative)")),
    );
    field("solve time", time(r.time_s));
    field("nodes", r.nodes.to_string());
    field("rounds", r.rounds.to_string());
    let Some(check) = &r.check else {
        return;
    };
    field(
        "re-checked",
        if check.feasible {
            format!("feasible, objective {}", number(check.objective))
        } else {
            format!("{} violated constraint(s)", check.violations.len())
        },
    );
    for v in &check.violations {
        println!(
            "  violated: {} ({}), over by {:.3e}",
            v.constraint, v.subject, v.excess
        );
    }
    println!();
    let mut t = Table::new(&[
        "request",
        "device",
        "model",
        "prompt/output",
        "tier",
        "server",
        "split",
        "bandwidth",
        "compute",
        "TTFT",
        "end to end",
        "device energy",
        "bytes up",
        "bytes down",
    ]);
    for row in &r.plan {
        t.row(vec![
            row.id.to_string(),
            row.device.clone(),
            row.model.clone(),
            format!("{}/{}", row.prompt_tokens, row.output_tokens),
            row.tier.into(),
            row.server_name.clone(),
            format!("{}/{}", row.split, row.layers),
            format!("{:.1}%", 100.0 * row.bandwidth_share),
            format!("{:.1}%", 100.0 * row.compute_share),
            time(row.ttft_s),
            time(row.e2e_s),
            joules(row.device_energy_j),
            si(row.upload_bytes, "B"),
            si(row.download_bytes, "B"),
        ]);
    }
    t.print();
    if let Some(s) = &r.totals {
        println!(
            "\n{} requests: {} on device, {} at the edge, {} in the cloud; {} at an inner split.",
            s.requests, s.on_device, s.at_edge, s.in_cloud, s.inner_splits
        );
        println!(
            "TTFT mean {} (max {}); end to end mean {} (max {}).",
            time(s.mean_ttft_s),
            time(s.max_ttft_s),
            time(s.mean_e2e_s),
            time(s.max_e2e_s)
        );
        println!(
            "Device energy {} in total, {} per request; {} up, {} down in total.",
            joules(s.total_device_energy_j),
            joules(s.mean_device_energy_j),
            si(s.upload_bytes, "B"),
            si(s.download_bytes, "B")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_solver_has_a_help_line() {
        assert_eq!(SOLVER_HELP.len(), SOLVERS.len());
        for (name, (help_name, _)) in SOLVERS.iter().zip(SOLVER_HELP) {
            assert_eq!(*name, help_name);
        }
    }
}
