//! A decision checked by its problem's own `evaluate`: the broken constraints it finds, and
//! the check as a plan report shows it.

use crate::solve::{Evaluation, Found, Problem, Violation};
use serde::Serialize;

/// A decision re-checked by the problem's own `evaluate`, as a plan report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Whether no constraint is broken.
    pub feasible: bool,
    /// The evaluated objective.
    pub objective: f64,
    /// The broken constraints.
    pub violations: Vec<Violation>,
}

impl Check {
    /// The check of `evaluation`.
    pub fn of(evaluation: Evaluation) -> Check {
        Check {
            feasible: evaluation.is_feasible(),
            objective: evaluation.objective,
            violations: evaluation.violations,
        }
    }

    /// Why the `what` (`batch`, `plan`) of `solver` cannot be trusted, when it breaks a
    /// constraint.
    pub fn failed(&self, what: &str, solver: &str) -> Option<String> {
        (!self.feasible).then(|| {
            format!(
                "the {what} of `{solver}` breaks {} constraint(s) when re-checked",
                self.violations.len()
            )
        })
    }
}

/// The broken constraints an `evaluate` finds, in the order it finds them.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Records that `constraint` is broken for `subject`, by `excess` in the constraint's unit.
    pub fn add(&mut self, constraint: &str, subject: String, excess: f64) {
        self.0.push(Violation {
            constraint: constraint.into(),
            subject,
            excess,
        });
    }

    /// The evaluation of a decision of objective `objective` that breaks these constraints.
    pub fn evaluation(self, objective: f64) -> Evaluation {
        Evaluation {
            objective,
            violations: self.0,
        }
    }
}

/// `decision` judged by `instance`'s own `evaluate`, for a solver that proves nothing (a
/// policy, a baseline): the decision with its objective and no bound, or not found with the
/// first broken constraint.
pub fn judged<P: Problem>(instance: &P, decision: P::Decision) -> Found<P::Decision> {
    let evaluation = instance.evaluate(&decision);
    match first_violation(&evaluation) {
        None => Found::decision(decision, evaluation.objective),
        Some(why) => Found::not_found(why),
    }
}

/// The first broken constraint of `evaluation` as a line (`constraint: subject (over by
/// 1.000e-3)`), if any.
pub fn first_violation(evaluation: &Evaluation) -> Option<String> {
    evaluation
        .violations
        .first()
        .map(|v| format!("{}: {} (over by {:.3e})", v.constraint, v.subject, v.excess))
}
