//! What `mei4llm plan --problem caching` shows of a placement: the JSON of `plan --json` and
//! its text.

use super::{CacheMetrics, CachingInstance, Placement};
use crate::problems::formulation::{PlanReport, PlanText, Solved};
use crate::solve::{Outcome, Problem};
use crate::text::{Table, si, time};
use serde::Serialize;
use std::fmt::Write;

/// What one server stores.
#[derive(Serialize)]
pub struct Stored {
    server: String,
    storage_bytes: f64,
    used_bytes: f64,
    models: Vec<String>,
}

/// The report of one caching outcome.
#[derive(Serialize)]
pub struct Report {
    scenario: String,
    servers: usize,
    models: usize,
    users: usize,
    /// The solve, its fields inline; the objective is the placement's expected hit ratio
    /// (maximised).
    #[serde(flatten)]
    solved: Solved,
    /// Re-check of the placement by `Problem::evaluate`: whether it fits every server.
    feasible: Option<bool>,
    placement: Vec<Stored>,
    metrics: Option<CacheMetrics>,
}

/// The report of `outcome` on `instance` (of the scenario called `scenario`), its placement
/// re-checked by `evaluate`.
pub fn report(scenario: &str, instance: &CachingInstance, outcome: &Outcome<Placement>) -> Report {
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
        solved: Solved::of(outcome),
        feasible: placement.map(|p| instance.evaluate(p).is_feasible()),
        placement: stored,
        metrics,
    }
}

impl PlanReport for Report {
    fn text(&self) -> String {
        text(self)
    }

    fn failed_check(&self) -> Option<String> {
        (self.feasible == Some(false)).then(|| {
            format!(
                "the placement of `{}` does not fit its servers when re-checked",
                self.solved.solver
            )
        })
    }
}

/// The report as `plan` prints it.
fn text(r: &Report) -> String {
    let number = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.6}"));
    let instance = format!(
        "{} servers, {} models, {} users",
        r.servers, r.models, r.users
    );
    let s = &r.solved;
    let mut text = PlanText::opening(&r.scenario, "instance", instance, &s.solver);
    text.field("status", s.status);
    if let Some(why) = &s.reason {
        text.field("reason", why);
    }
    text.field(
        "objective",
        format!("{} (expected hit ratio, maximised)", number(s.objective)),
    );
    text.field("proven bound", number(s.bound));
    if let Some(gap) = s.gap {
        text.field("gap", format!("{gap:.2e} (relative)"));
    }
    text.field("solve time", time(s.time_s));
    text.field("nodes", s.nodes);
    if let Some(feasible) = r.feasible {
        let verdict = if feasible {
            "fits every server"
        } else {
            "DOES NOT FIT"
        };
        text.field("re-checked", verdict);
    }
    let mut out = text.finish();
    if r.placement.is_empty() {
        return out;
    }
    out.push('\n');
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
    out.push_str(&table.render());
    if let Some(m) = &r.metrics {
        out.push('\n');
        let _ = writeln!(
            out,
            "Filling the caches moves {} over the backhaul ({} if every model were fetched in full); \
             misses still fetch {} per request from the cloud.",
            si(m.fill_bytes, "B"),
            si(m.fill_bytes_without_sharing, "B"),
            si(m.miss_bytes_per_request, "B")
        );
    }
    out
}
