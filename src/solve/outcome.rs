//! What a solver returns: decision, objective, bound, status and statistics.

use super::Sense;
use serde::Serialize;
use std::fmt;

/// How a solve ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Status {
    /// Proven optimal: the relative gap between objective and bound is within the budget's gap.
    Optimal,
    /// A feasible decision without a proof of optimality (heuristics; or an exact solver that
    /// stopped with a gap above the budget's).
    Feasible,
    /// Stopped by the time limit; the outcome holds the incumbent if one was found.
    TimeLimit,
    /// No feasible decision exists; the reason names the request or resource and the
    /// constraint that cannot be met.
    Infeasible(String),
    /// The solver found no feasible decision, without proving that none exists (a heuristic
    /// that got stuck); the reason says where.
    NotFound(String),
    /// The solver's decision failed the problem's own re-check (it breaks a constraint, or its
    /// claimed objective is not what the decision evaluates to); the reason says which.
    Invalid(String),
}

impl Status {
    /// Every status's [`Status::name`].
    pub const NAMES: [&'static str; 6] = [
        "optimal",
        "feasible",
        "time_limit",
        "infeasible",
        "not_found",
        "invalid",
    ];

    /// Short lower-case name (`optimal`, `feasible`, `time_limit`, `infeasible`, `not_found`,
    /// `invalid`).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Feasible => "feasible",
            Status::TimeLimit => "time_limit",
            Status::Infeasible(_) => "infeasible",
            Status::NotFound(_) => "not_found",
            Status::Invalid(_) => "invalid",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Infeasible(reason) => write!(f, "infeasible: {reason}"),
            Status::NotFound(reason) => write!(f, "no feasible decision found: {reason}"),
            Status::Invalid(reason) => write!(f, "invalid: {reason}"),
            other => f.write_str(other.name()),
        }
    }
}

/// Work a solver did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Wall-clock time of the solve.
    pub time_s: f64,
    /// Branch-and-bound nodes (exact solvers).
    pub nodes: u64,
    /// Iterations of the solver's main loop (cutting-plane rounds, descent sweeps, ...).
    pub iterations: u64,
}

/// The result of one solve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome<D> {
    /// Name of the solver that produced it.
    pub solver: String,
    /// How the solve ended.
    pub status: Status,
    /// The decision (absent when infeasible or when no incumbent was found in time).
    pub decision: Option<D>,
    /// Objective of the decision as the problem evaluates it.
    pub objective: Option<f64>,
    /// Proven bound on the optimum (a lower bound when minimising, an upper bound when
    /// maximising); only exact solvers give one.
    pub bound: Option<f64>,
    /// Whether the objective is minimised or maximised (to read the gap).
    pub sense: Sense,
    /// Work done.
    pub stats: Stats,
}

impl<D> Outcome<D> {
    /// An outcome without a decision: `status` says why (infeasible, not found, time limit).
    pub fn empty(solver: &str, sense: Sense, status: Status, stats: Stats) -> Self {
        Outcome {
            solver: solver.into(),
            status,
            decision: None,
            objective: None,
            bound: None,
            sense,
            stats,
        }
    }

    /// Relative gap between objective and bound, when both are known.
    pub fn gap(&self) -> Option<f64> {
        Some(relative_gap(self.sense, self.objective?, self.bound?))
    }

    /// Why there is no (valid) decision: the reason of an infeasible, not-found or invalid
    /// status.
    pub fn reason(&self) -> Option<&str> {
        match &self.status {
            Status::Infeasible(why) | Status::NotFound(why) | Status::Invalid(why) => Some(why),
            _ => None,
        }
    }

    /// The decision, when the re-check found it valid.
    pub fn valid_decision(&self) -> Option<&D> {
        match self.status {
            Status::Invalid(_) => None,
            _ => self.decision.as_ref(),
        }
    }

    /// Whether the status is `Optimal`.
    pub fn is_optimal(&self) -> bool {
        self.status == Status::Optimal
    }

    /// Replaces the decision type, keeping everything else (used by wrappers).
    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> Outcome<E> {
        Outcome {
            solver: self.solver,
            status: self.status,
            decision: self.decision.map(f),
            objective: self.objective,
            bound: self.bound,
            sense: self.sense,
            stats: self.stats,
        }
    }
}

/// `(objective − bound) / max(|objective|, 1e-9)` oriented by the sense, floored at 0.
pub fn relative_gap(sense: Sense, objective: f64, bound: f64) -> f64 {
    let difference = match sense {
        Sense::Minimise => objective - bound,
        Sense::Maximise => bound - objective,
    };
    (difference / objective.abs().max(1e-9)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_relative_and_oriented_by_the_sense() {
        assert!((relative_gap(Sense::Minimise, 100.0, 99.99) - 1e-4).abs() < 1e-12);
        assert!((relative_gap(Sense::Maximise, 0.5, 0.5 + 1e-8) - 2e-8).abs() < 1e-15);
    }

    #[test]
    fn a_bound_on_the_wrong_side_is_zero_gap() {
        assert_eq!(relative_gap(Sense::Minimise, 10.0, 10.5), 0.0);
        assert_eq!(relative_gap(Sense::Maximise, 10.0, 9.0), 0.0);
    }
}
