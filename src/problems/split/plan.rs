//! What `mei4llm plan` shows of a split plan: the JSON of `plan --json` and its text.

use super::replay::{PlannedRequest, planned_requests};
use super::{Objective, SplitDecision, SplitInstance};
use crate::problems::formulation::{Check, PlanReport, PlanText};
use crate::solve::{Outcome, Problem};
use crate::text::{Table, joules, number, si, time};
use serde::Serialize;

/// Totals over a plan's requests.
#[derive(Serialize, Default)]
pub struct Totals {
    /// Requests planned.
    /// Requests of the epoch.
    requests: usize,
    /// Requests run wholly on their device.
    on_device: usize,
    /// Requests served by an edge server.
    at_edge: usize,
    /// Requests served by the cloud.
    in_cloud: usize,
    /// Requests split inside the model (1 <= split < blocks).
    inner_splits: usize,
    /// The objective: the sum of the requests' weighted terms.
    cost: f64,
    /// Mean time to first token.
    mean_ttft_s: f64,
    /// Largest time to first token.
    max_ttft_s: f64,
    /// Mean end-to-end latency.
    mean_e2e_s: f64,
    /// Largest end-to-end latency.
    max_e2e_s: f64,
    /// Device energy of every request.
    total_device_energy_j: f64,
    /// Device energy per request.
    mean_device_energy_j: f64,
    /// Bytes sent up.
    upload_bytes: f64,
    /// Bytes sent down.
    download_bytes: f64,
}

/// The report of one split outcome.
#[derive(Serialize)]
pub struct Report {
    /// The scenario's name.
    scenario: String,
    /// Requests of the epoch.
    requests: usize,
    /// The solver.
    solver: String,
    /// Its status.
    status: &'static str,
    /// Why there is no (valid) plan.
    reason: Option<String>,
    /// What is minimised.
    minimises: Objective,
    /// The plan's objective.
    objective: Option<f64>,
    /// The proven bound.
    bound: Option<f64>,
    /// The relative gap between objective and bound.
    gap: Option<f64>,
    /// Solve time.
    time_s: f64,
    /// Branch-and-bound nodes.
    nodes: u64,
    /// Rounds of the solver's main loop.
    rounds: u64,
    /// `Problem::evaluate` of the decision (absent without a decision).
    check: Option<Check>,
    /// One row per request.
    plan: Vec<PlannedRequest>,
    /// Totals over the requests.
    totals: Option<Totals>,
}

/// The report of `outcome` on `instance`, its decision re-checked by `evaluate`.
pub fn report(instance: &SplitInstance, outcome: &Outcome<SplitDecision>) -> Report {
    let reason = outcome.reason().map(String::from);
    let (check, plan, totals) = match &outcome.decision {
        Some(decision) => {
            let evaluation = instance.evaluate(decision);
            let rows = planned_requests(instance, decision);
            let totals = totals(&rows);
            let check = Check::of(evaluation);
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

/// The totals over the rows of a plan.
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

impl PlanReport for Report {
    fn text(&self) -> String {
        let mut text = fields(self);
        if let Some(check) = &self.check {
            let feasible = format!("feasible, objective {}", number(check.objective));
            text.check(check, feasible);
            text.push(&requests_table(&self.plan).render());
            if let Some(totals) = &self.totals {
                text.push(&totals_text(totals));
            }
        }
        text.finish()
    }

    fn failed_check(&self) -> Option<String> {
        let check = self.check.as_ref()?;
        if let Some(failed) = check.failed("plan", &self.solver) {
            return Some(failed);
        }
        let claimed = self.objective?;
        let scale = claimed.abs().max(check.objective.abs()).max(1e-9);
        ((claimed - check.objective).abs() > 1e-6 * scale).then(|| {
            format!(
                "`{}` reports objective {claimed} but its plan evaluates to {}",
                self.solver, check.objective
            )
        })
    }
}

/// The fields of the report: the epoch, the solver and what it found.
fn fields(r: &Report) -> PlanText {
    let mut text = PlanText::opening(&r.scenario, "requests", r.requests, &r.solver);
    text.status(r.status, r.reason.as_deref());
    text.field(
        "objective",
        r.objective
            .map_or_else(|| "-".into(), |v| value(r.minimises, v)),
    );
    text.field("proven bound", r.bound.map_or_else(|| "-".into(), number));
    text.search(r.gap, r.time_s, r.nodes);
    text.field("rounds", r.rounds);
    text
}

/// One row per request: where it runs, its shares, times, energy and bytes.
fn requests_table(plan: &[PlannedRequest]) -> Table {
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
    for row in plan {
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
    t
}

/// The totals, in three sentences.
fn totals_text(s: &Totals) -> String {
    format!(
        "\n{} requests: {} on device, {} at the edge, {} in the cloud; {} at an inner split.\n\
         TTFT mean {} (max {}); end to end mean {} (max {}).\n\
         Device energy {} in total, {} per request; {} up, {} down in total.\n",
        s.requests,
        s.on_device,
        s.at_edge,
        s.in_cloud,
        s.inner_splits,
        time(s.mean_ttft_s),
        time(s.max_ttft_s),
        time(s.mean_e2e_s),
        time(s.max_e2e_s),
        joules(s.total_device_energy_j),
        joules(s.mean_device_energy_j),
        si(s.upload_bytes, "B"),
        si(s.download_bytes, "B")
    )
}
