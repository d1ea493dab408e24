//! What `mei4llm plan --problem batching` shows of a batch: the JSON of `plan --json` and its
//! text.

use super::{BatchDecision, BatchingInstance, Objective, RequestMetrics, ServerMetrics};
use crate::problems::formulation::{Check, PlanReport, PlanText, Solved};
use crate::solve::{Outcome, Problem};
use crate::text::{Table, si, time};
use serde::Serialize;

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
    /// The solve, its fields inline.
    #[serde(flatten)]
    solved: Solved,
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
        solved: Solved::of(outcome),
        admitted: outcome.decision.as_ref().map(BatchDecision::admitted),
        check,
        batches,
        plan,
    }
}

impl PlanReport for Report {
    fn text(&self) -> String {
        let mut text = fields(self);
        if let Some(check) = &self.check {
            let feasible = format!(
                "every SLO, memory and precision met, objective {}",
                check.objective
            );
            text.check(check, feasible);
            text.push(&servers_table(&self.batches).render());
            text.push("\n");
            text.push(&requests_table(&self.plan).render());
            if let Some(admitted) = self.admitted {
                text.push(&format!(
                    "\n{admitted} of {} requests admitted; the others wait for a later batch.\n",
                    self.requests
                ));
            }
        }
        text.finish()
    }

    fn failed_check(&self) -> Option<String> {
        self.check.as_ref()?.failed("batch", &self.solved.solver)
    }
}

/// The fields of the report: the instance, the solver and what it found.
fn fields(r: &Report) -> PlanText {
    let number = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
    let instance = format!(
        "{} edge servers, {} waiting requests, {}",
        r.servers, r.requests, r.model
    );
    let s = &r.solved;
    let mut text = PlanText::opening(&r.scenario, "instance", instance, &s.solver);
    text.status(s.status, s.reason.as_deref());
    let unit = match r.maximises {
        Objective::Requests => "weighted admitted requests, maximised",
        Objective::Tokens => "weighted tokens of the admitted requests, maximised",
    };
    text.field("objective", format!("{} ({unit})", number(s.objective)));
    text.field("proven bound", number(s.bound));
    text.search(s.gap, s.time_s, s.nodes);
    text
}

/// One row per server: its precision, batch, memory and times.
fn servers_table(batches: &[ServerMetrics]) -> Table {
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
    for b in batches {
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
    servers
}

/// One row per waiting request: what it needs and what it gets.
fn requests_table(plan: &[Planned]) -> Table {
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
    for p in plan {
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
    requests
}
