//! `mei4llm plan --problem caching`: which models each edge server of a scenario's `[caching]`
//! section stores, by one solver.

use crate::table::{Table, si, time};
use mei4llm::problems::caching::{CacheMetrics, CachingInstance, Placement, SOLVERS, solver};
use mei4llm::solve::{Budget, Outcome, Problem, Status};
use mei4llm::system::Scenario;
use serde::Serialize;
use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

/// One line per caching solver, for `--help`.
pub const SOLVER_HELP: [(&str, &str); 5] = [
    (
        "exact",
        "certified optimum: MILP with only the placement binary, proven bound and gap",
    ),
    (
        "greedy",
        "lazy greedy on the hit ratio, by gain per byte with shared blocks counted once",
    ),
    (
        "trimcaching",
        "server by server, every subset of shared blocks, knapsack DP for the rest (Qu et al., ICDCS'24)",
    ),
    (
        "sharing-blind",
        "the greedy, charging every model in full as classic content caching would",
    ),
    (
        "popularity",
        "each server stores its most requested models while they fit",
    ),
];

/// What one server stores.
#[derive(Serialize)]
struct Stored {
    server: String,
    storage_bytes: f64,
    used_bytes: f64,
    models: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    scenario: String,
    servers: usize,
    models: usize,
    users: usize,
    solver: String,
    status: &'static str,
    reason: Option<String>,
    /// Expected hit ratio of the placement (the objective, maximised).
    objective: Option<f64>,
    bound: Option<f64>,
    gap: Option<f64>,
    time_s: f64,
    nodes: u64,
    /// Re-check of the placement by `Problem::evaluate`: whether it fits every server.
    feasible: Option<bool>,
    placement: Vec<Stored>,
    metrics: Option<CacheMetrics>,
}

/// Plans the scenario's caching instance with solver `name` and prints the placement.
pub fn run(
    scenario_path: &Path,
    name: &str,
    budget: &Budget,
    json: bool,
) -> Result<ExitCode, Box<dyn Error>> {
    let Some(chosen) = solver(name) else {
        return Err(format!(
            "unknown caching solver `{name}`; the solvers are: {}",
            SOLVERS.join(", ")
        )
        .into());
    };
    budget.validate()?;
    let scenario = Scenario::from_path(scenario_path)?;
    let instance = CachingInstance::from_scenario(&scenario)?;
    let outcome = chosen.solve(&instance, budget)?;
    let report = report(&scenario.name, &instance, &outcome);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&report);
    }
    if report.feasible == Some(false) {
        return Err(format!(
            "the placement of `{}` does not fit its servers when re-checked",
            report.solver
        )
        .into());
    }
    Ok(match (&outcome.status, &outcome.decision) {
        (_, Some(_)) | (Status::Infeasible(_), _) => ExitCode::SUCCESS,
        _ => ExitCode::from(crate::plan::NOT_FOUND),
    })
}

fn report(scenario: &str, instance: &CachingInstance, outcome: &Outcome<Placement>) -> Report {
    let reason = match &outcome.status {
        Status::Infeasible(why) | Status::NotFound(why) => Some(why.clone()),
        _ => None,
    };
    let placement = outcome.decision.as_ref();
    let metrics = placement.map(|p| instance.metrics(p));
    let stored = placement
        .map(|p| {
            instance
                .servers
                .iter()
                .enumerate()
                .map(|(n, server)| Stored {
                    server: server.name.clone(),
                    storage_bytes: server.storage_bytes,
                    used_bytes: metrics.as_ref().map_or(0.0, |m| m.storage_used_bytes[n]),
                    models: p.stored[n]
                        .iter()
                        .map(|&i| instance.library.models[i].name.clone())
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    Report {
        scenario: scenario.to_string(),
        servers: instance.servers.len(),
        models: instance.library.models.len(),
        users: instance.users.len(),
        solver: outcome.solver.clone(),
        status: outcome.status.name(),
        reason,
        objective: outcome.objective,
        bound: outcome.bound,
        gap: outcome.gap(),
        time_s: outcome.stats.time_s,
        nodes: outcome.stats.nodes,
        feasible: placement.map(|p| instance.evaluate(p).is_feasible()),
        placement: stored,
        metrics,
    }
}

fn print(r: &Report) {
    let number = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.6}"));
    println!("scenario:     {}", r.scenario);
    println!(
        "instance:     {} servers, {} models, {} users",
        r.servers, r.models, r.users
    );
    println!("solver:       {}", r.solver);
    println!("status:       {}", r.status);
    if let Some(why) = &r.reason {
        println!("reason:       {why}");
    }
    println!(
        "objective:    {} (expected hit ratio, maximised)",
        number(r.objective)
    );
    println!("proven bound: {}", number(r.bound));
    if let Some(gap) = r.gap {
        println!("gap:          {gap:.2e} (relative)");
    }
    println!("solve time:   {}", time(r.time_s));
    println!("nodes:        {}", r.nodes);
    if let Some(feasible) = r.feasible {
        let verdict = if feasible {
            "fits every server"
        } else {
            "DOES NOT FIT"
        };
        println!("re-checked:   {verdict}");
    }
    if r.placement.is_empty() {
        return;
    }
    println!();
    let mut table = Table::new(&["server", "storage", "used", "models", "stored"]);
    for s in &r.placement {
        table.row(vec![
            s.server.clone(),
            si(s.storage_bytes, "B"),
            si(s.used_bytes, "B"),
            s.models.len().to_string(),
            s.models.join(", "),
        ]);
    }
    table.print();
    if let Some(m) = &r.metrics {
        println!();
        println!(
            "Filling the caches moves {} over the backhaul ({} if every model were fetched in full); \
             misses still fetch {} per request from the cloud.",
            si(m.fill_bytes, "B"),
            si(m.fill_bytes_without_sharing, "B"),
            si(m.miss_bytes_per_request, "B")
        );
    }
}
