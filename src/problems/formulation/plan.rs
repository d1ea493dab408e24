//! What `plan` shows of one outcome, and the text every problem's report is written with.

use super::Check;
use crate::solve::Outcome;
use crate::text::time;
use serde::Serialize;
use std::fmt::Write;

/// What `plan` shows of one outcome: it serialises to the JSON of `plan --json` and prints as
/// text.
pub trait PlanReport: Serialize {
    /// The report as `plan` prints it.
    fn text(&self) -> String;

    /// Why the decision cannot be trusted, when its re-check by the problem's `evaluate`
    /// failed.
    fn failed_check(&self) -> Option<String>;
}

/// What a plan report says of the solve, in this order: the solver, its status and why, the
/// objective, the proven bound, the gap, the time and the nodes.
#[derive(Debug, Clone, Serialize)]
pub struct Solved {
    /// The solver.
    pub solver: String,
    /// Its status.
    pub status: &'static str,
    /// Why there is no (valid) decision.
    pub reason: Option<String>,
    /// The decision's objective.
    pub objective: Option<f64>,
    /// The proven bound.
    pub bound: Option<f64>,
    /// The relative gap between objective and bound.
    pub gap: Option<f64>,
    /// Solve time.
    pub time_s: f64,
    /// Branch-and-bound nodes.
    pub nodes: u64,
}

impl Solved {
    /// What `outcome` says of its solve.
    pub fn of<D>(outcome: &Outcome<D>) -> Solved {
        Solved {
            solver: outcome.solver.clone(),
            status: outcome.status.name(),
            reason: outcome.reason().map(String::from),
            objective: outcome.objective,
            bound: outcome.bound,
            gap: outcome.gap(),
            time_s: outcome.stats.time_s,
            nodes: outcome.stats.nodes,
        }
    }
}

/// A plan's text: `name: value` fields, one a line with the values aligned, then whatever the
/// problem adds (tables, sentences).
#[derive(Debug, Default)]
pub struct PlanText {
    out: String,
}

impl PlanText {
    /// The text that opens with the `scenario` field, the field `what` (`instance`,
    /// `requests`) describing the instance as `instance`, and the `solver` field.
    pub fn opening(
        scenario: &str,
        what: &str,
        instance: impl std::fmt::Display,
        solver: &str,
    ) -> PlanText {
        let mut text = PlanText::default();
        text.field("scenario", scenario);
        text.field(what, instance);
        text.field("solver", solver);
        text
    }

    /// The field `name` with its value.
    pub fn field(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.out, "{:<14}{value}", format!("{name}:"));
    }

    /// The `status` field: the status, and why when there is a reason.
    pub fn status(&mut self, status: &str, reason: Option<&str>) {
        match reason {
            Some(why) => self.field("status", format!("{status}: {why}")),
            None => self.field("status", status),
        }
    }

    /// The `gap`, `solve time` and `nodes` fields.
    pub fn search(&mut self, gap: Option<f64>, time_s: f64, nodes: u64) {
        self.field(
            "gap",
            gap.map_or_else(|| "-".into(), |g| format!("{g:.2e} (relative)")),
        );
        self.field("solve time", time(time_s));
        self.field("nodes", nodes);
    }

    /// The `re-checked` field of `check` (`feasible` says what a feasible decision meets),
    /// then a line per broken constraint and a blank line.
    pub fn check(&mut self, check: &Check, feasible: String) {
        self.field(
            "re-checked",
            if check.feasible {
                feasible
            } else {
                format!("{} violated constraint(s)", check.violations.len())
            },
        );
        for v in &check.violations {
            let _ = writeln!(
                self.out,
                "  violated: {} ({}), over by {:.3e}",
                v.constraint, v.subject, v.excess
            );
        }
        self.out.push('\n');
    }

    /// `text` as it is.
    pub fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}
