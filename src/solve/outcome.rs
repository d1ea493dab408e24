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
}

impl Status {
    /// Short lower-case name (`optimal`, `feasible`, `time_limit`, `infeasible`).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Feasible => "feasible",
            Status::TimeLimit => "time_limit",
            Status::Infeasible(_) => "infeasible",
            Status::NotFound(_) => "not_found",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Infeasible(reason) => write!(f, "infeasible: {reason}"),
            Status::NotFound(reason) => write!(f, "no feasible decision found: {reason}"),
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
    /// A decision without a proof: the status of a heuristic or baseline.
    pub fn feasible(solver: &str, sense: Sense, decision: D, objective: f64, stats: Stats) -> Self {
        Outcome {
            solver: solver.into(),
            status: Status::Feasible,
            decision: Some(decision),
            objective: Some(objective),
            bound: None,
            sense,
            stats,
        }
    }

    /// No decision exists, for the given reason.
    pub fn infeasible(solver: &str, sense: Sense, reason: impl Into<String>, stats: Stats) -> Self {
        Outcome {
            solver: solver.into(),
            status: Status::Infeasible(reason.into()),
            decision: None,
            objective: None,
            bound: None,
            sense,
            stats,
        }
    }

    /// No decision found, without a proof that none exists.
    pub fn not_found(solver: &str, sense: Sense, reason: impl Into<String>, stats: Stats) -> Self {
        Outcome {
            solver: solver.into(),
            status: Status::NotFound(reason.into()),
            decision: None,
            objective: None,
            bound: None,
            sense,
            stats,
        }
    }

    /// A decision with a proven bound. The status is `Optimal` only when the relative gap is
    /// within `gap_tolerance`, `TimeLimit` when `timed_out`, and `Feasible` otherwise.
    #[allow(clippy::too_many_arguments)]
    pub fn bounded(
        solver: &str,
        sense: Sense,
        decision: D,
        objective: f64,
        bound: f64,
        gap_tolerance: f64,
        timed_out: bool,
        stats: Stats,
    ) -> Self {
        let gap = relative_gap(sense, objective, bound);
        let status = if gap <= gap_tolerance {
            Status::Optimal
        } else if timed_out {
            Status::TimeLimit
        } else {
            Status::Feasible
        };
        Outcome {
            solver: solver.into(),
            status,
            decision: Some(decision),
            objective: Some(objective),
            bound: Some(bound),
            sense,
            stats,
        }
    }

    /// Relative gap between objective and bound, when both are known.
    pub fn gap(&self) -> Option<f64> {
        Some(relative_gap(self.sense, self.objective?, self.bound?))
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
    fn optimal_only_within_the_gap() {
        let stats = Stats::default();
        let o = Outcome::bounded(
            "x",
            Sense::Minimise,
            (),
            100.0,
            99.99,
            1e-6,
            false,
            stats.clone(),
        );
        assert_eq!(o.status, Status::Feasible);
        assert!((o.gap().unwrap() - 1e-4).abs() < 1e-12);
        let o = Outcome::bounded(
            "x",
            Sense::Minimise,
            (),
            100.0,
            99.99,
            1e-6,
            true,
            stats.clone(),
        );
        assert_eq!(o.status, Status::TimeLimit);
        let o = Outcome::bounded(
            "x",
            Sense::Maximise,
            (),
            0.5,
            0.5 + 1e-8,
            1e-6,
            false,
            stats,
        );
        assert_eq!(o.status, Status::Optimal);
    }

    #[test]
    fn a_bound_on_the_wrong_side_is_zero_gap() {
        assert_eq!(relative_gap(Sense::Minimise, 10.0, 10.5), 0.0);
        assert_eq!(relative_gap(Sense::Maximise, 10.0, 9.0), 0.0);
    }
}
