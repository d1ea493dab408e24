//! `mei4llm plan --problem batching`: which waiting requests of a scenario's `[batching]`
//! section join the next batch on which edge server, at which precision, by one solver.

use crate::table::{Table, si, time};
use mei4llm::problems::batching::{
    BatchDecision, BatchingInstance, Objective, RequestMetrics, SOLVERS, ServerMetrics, solver,
};
use mei4llm::solve::{Budget, Outcome, Problem, Status, Violation};
use mei4llm::system::Scenario;
use serde::Serialize;
use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

/// One line per batching solver, for `--help`.
pub const SOLVER_HELP: [(&str, &str); 5] = [
    (
        "exact",
        "certified optimum: MILP over (request, server, precision), proven bound and gap",
    ),
    (
        "assignment",
        "Martello-Toth construction, Moore-Hodgson per server, precision search, exchanges",
    ),
    (
        "density",
        "requests by value per KV byte, each on the first server where it fits",
    ),
    (
        "fcfs",
        "first come, first served, each on the first server where it fits",
    ),
    (
        "spf",
        "shortest prompt first, each on the first server where it fits",
    ),
];

/// What one waiting request gets.
#[derive(Serialize)]
struct Planned {
    id: u64,
    prompt_tokens: u32,
    output_tokens: u32,
    min_precision: String,
    waited_s: f64,
    ttft_slo_s: f64,
    tpot_slo_s: f64,
    server: Option<String>,
    ttft_s: Option<f64>,
    tpot_s: Option<f64>,
    kv_bytes: f64,
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
    model: String,
    servers: usize,
    requests: usize,
    maximises: Objective,
    solver: String,
    status: &'static str,
    reason: Option<String>,
    objective: Option<f64>,
    bound: Option<f64>,
    gap: Option<f64>,
    time_s: f64,
    nodes: u64,
    admitted: Option<usize>,
    /// `Problem::evaluate` of the decision (absent without a decision).
    check: Option<Check>,
    batches: Vec<ServerMetrics>,
    plan: Vec<Planned>,
}

/// Plans the scenario's batching instance with solver `name` and prints the batches.
pub fn run(
    scenario_path: &Path,
    name: &str,
    budget: &Budget,
    json: bool,
) -> Result<ExitCode, Box<dyn Error>> {
    let Some(chosen) = solver(name) else {
        return Err(format!(
            "unknown batching solver `{name}`; the solvers are: {}",
            SOLVERS.join(", ")
        )
        .into());
    };
    budget.validate()?;
    let scenario = Scenario::from_path(scenario_path)?;
    let instance = BatchingInstance::from_scenario(&scenario)?;
    let outcome = chosen.solve(&instance, budget)?;
    let report = report(&scenario.name, &instance, &outcome);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&report);
    }
    if let Some(check) = &report.check {
        if !check.feasible {
            return Err(format!(
                "the batch of `{}` breaks {} constraint(s) when re-checked",
                report.solver,
                check.violations.len()
            )
            .into());
        }
    }
    Ok(match (&outcome.status, &outcome.decision) {
        (_, Some(_)) | (Status::Infeasible(_), _) => ExitCode::SUCCESS,
        _ => ExitCode::from(crate::plan::NOT_FOUND),
    })
}

fn report(scenario: &str, instance: &BatchingInstance, outcome: &Outcome<BatchDecision>) -> Report {
    let reason = match &outcome.status {
        Status::Infeasible(why) | Status::NotFound(why) => Some(why.clone()),
        _ => None,
    };
    let (check, batches, plan) = match &outcome.decision {
        Some(decision) => {
            let evaluation = instance.evaluate(decision);
            let (batches, requests) = instance.metrics(decision);
            let plan = requests
                .into_iter()
                .enumerate()
                .map(|(k, metrics): (usize, RequestMetrics)| {
                    let r = &instance.requests[k];
                    let admitted = metrics.server.is_some();
                    Planned {
                        id: r.id,
                        prompt_tokens: r.prompt_tokens,
                        output_tokens: r.output_tokens,
                        min_precision: r.min_precision.to_string(),
                        waited_s: instance.waited_s(k),
                        ttft_slo_s: r.ttft_slo_s,
                        tpot_slo_s: r.tpot_slo_s,
                        server: metrics.server.map(|j| instance.servers[j].name.clone()),
                        ttft_s: admitted.then_some(metrics.ttft_s),
                        tpot_s: admitted.then_some(metrics.tpot_s),
                        kv_bytes: metrics.kv_bytes,
                    }
                })
                .collect();
            let check = Check {
                feasible: evaluation.is_feasible(),
                objective: evaluation.objective,
                violations: evaluation.violations,
            };
            (Some(check), batches, plan)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    Report {
        scenario: scenario.to_string(),
        model: instance.model.name.clone(),
        servers: instance.servers.len(),
        requests: instance.requests.len(),
        maximises: instance.objective,
        solver: outcome.solver.clone(),
        status: outcome.status.name(),
        reason,
        objective: outcome.objective,
        bound: outcome.bound,
        gap: outcome.gap(),
        time_s: outcome.stats.time_s,
        nodes: outcome.stats.nodes,
        admitted: outcome.decision.as_ref().map(BatchDecision::admitted),
        check,
        batches,
        plan,
    }
}

fn print(r: &Report) {
    let field = |name: &str, text: String| println!("{:<14}{text}", format!("{name}:"));
    let number = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
    field("scenario", r.scenario.clone());
    field(
        "instance",
        format!(
            "{} edge servers, {} waiting requests, {}",
            r.servers, r.requests, r.model
        ),
    );
    field("solver", r.solver.clone());
    field(
        "status",
        match &r.reason {
            Some(why) => format!("{}: {why}", r.status),
            None => r.status.to_string(),
        },
    );
    let unit = match r.maximises {
        Objective::Requests => "weighted admitted requests, maximised",
        Objective::Tokens => "weighted tokens of the admitted requests, maximised",
    };
    field("objective", format!("{} ({unit})", number(r.objective)));
    field("proven bound", number(r.bound));
    field(
        "gap",
        r.gap
            .map_or_else(|| "-".into(), |g| format!("{g:.2e} (relative)")),
    );
    field("solve time", time(r.time_s));
    field("nodes", r.nodes.to_string());
    let Some(check) = &r.check else {
        return;
    };
    field(
        "re-checked",
        if check.feasible {
            format!(
                "every SLO, memory and precision met, objective {}",
                check.objective
            )
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
    let mut servers = Table::new(&[
        "server",
        "precision",
        "admitted",
        "running",
        "weights",
        "KV cache",
        "memory",
        "prefill",
        "longest decode step",
    ]);
    for b in &r.batches {
        servers.row(vec![
            b.server.clone(),
            b.precision.map_or("-".into(), |p| p.to_string()),
            b.admitted.to_string(),
            b.running.to_string(),
            si(b.weight_bytes, "B"),
            si(b.kv_bytes, "B"),
            si(b.memory_bytes, "B"),
            time(b.prefill_s),
            time(b.decode_step_s),
        ]);
    }
    servers.print();
    println!();
    let mut requests = Table::new(&[
        "request",
        "prompt/output",
        "needs",
        "waited",
        "server",
        "TTFT",
        "TTFT SLO",
        "TPOT bound",
        "TPOT SLO",
    ]);
    let or_dash = |v: Option<f64>| v.map_or("-".into(), time);
    for p in &r.plan {
        requests.row(vec![
            p.id.to_string(),
            format!("{}/{}", p.prompt_tokens, p.output_tokens),
            format!("{}+", p.min_precision),
            time(p.waited_s),
            p.server.clone().unwrap_or_else(|| "waits".into()),
            or_dash(p.ttft_s),
            time(p.ttft_slo_s),
            or_dash(p.tpot_s),
            time(p.tpot_slo_s),
        ]);
    }
    requests.print();
    if let Some(admitted) = r.admitted {
        println!(
            "\n{admitted} of {} requests admitted; the others wait for a later batch.",
            r.requests
        );
    }
}
