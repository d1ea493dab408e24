//! What `mei4llm plan --problem batching` shows of a batch: the JSON of `plan --json` and its
//! text.

use super::{BatchDecision, BatchingInstance, Objective, RequestMetrics, ServerMetrics};
use crate::problems::formulation::{Check, PlanReport};
use crate::solve::{Outcome, Problem};
use crate::text::{Table, si, time};
use serde::Serialize;
use std::fmt::Write;

/// What one waiting request gets.
#[derive(Serialize)]
pub struct Planned {
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

/// The report of one batching outcome.
#[derive(Serialize)]
pub struct Report {
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

/// The report of `outcome` on `instance` (of the scenario called `scenario`), its batch
/// re-checked by `evaluate`.
pub fn report(
    scenario: &str,
    instance: &BatchingInstance,
    outcome: &Outcome<BatchDecision>,
) -> Report {
    let reason = outcome.reason().map(String::from);
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
            let check = Check::of(evaluation);
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

impl PlanReport for Report {
    fn text(&self) -> String {
        text(self)
    }

    fn failed_check(&self) -> Option<String> {
        let check = self.check.as_ref()?;
        (!check.feasible).then(|| {
            format!(
                "the batch of `{}` breaks {} constraint(s) when re-checked",
                self.solver,
                check.violations.len()
            )
        })
    }
}

fn text(r: &Report) -> String {
    let mut out = String::new();
    let field = |out: &mut String, name: &str, text: String| {
        let _ = writeln!(out, "{:<14}{text}", format!("{name}:"));
    };
    let number = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
    field(&mut out, "scenario", r.scenario.clone());
    field(
        &mut out,
        "instance",
        format!(
            "{} edge servers, {} waiting requests, {}",
            r.servers, r.requests, r.model
        ),
    );
    field(&mut out, "solver", r.solver.clone());
    field(
        &mut out,
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
    field(
        &mut out,
        "objective",
        format!("{} ({unit})", number(r.objective)),
    );
    field(&mut out, "proven bound", number(r.bound));
    field(
        &mut out,
        "gap",
        r.gap
            .map_or_else(|| "-".into(), |g| format!("{g:.2e} (relative)")),
    );
    field(&mut out, "solve time", time(r.time_s));
    field(&mut out, "nodes", r.nodes.to_string());
    let Some(check) = &r.check else {
        return out;
    };
    field(
        &mut out,
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
        let _ = writeln!(
            out,
            "  violated: {} ({}), over by {:.3e}",
            v.constraint, v.subject, v.excess
        );
    }
    out.push('\n');
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
    out.push_str(&servers.render());
    out.push('\n');
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
    out.push_str(&requests.render());
    if let Some(admitted) = r.admitted {
        let _ = writeln!(
            out,
            "\n{admitted} of {} requests admitted; the others wait for a later batch.",
            r.requests
        );
    }
    out
}
