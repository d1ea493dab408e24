//! The [`Problem`] and [`Solver`] traits and the [`Evaluation`] of a decision.

use super::{Budget, Found, Outcome, SolveError};
use serde::Serialize;

/// Whether the objective is minimised or maximised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sense {
    /// Smaller is better (latency, energy).
    Minimise,
    /// Larger is better (hit ratio, admitted requests).
    Maximise,
}

impl Sense {
    /// Whether `a` is strictly better than `b` under this sense.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Sense::Minimise => a < b,
            Sense::Maximise => a > b,
        }
    }
}

/// One violated constraint of a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The constraint, as named in the formulation (e.g. `edge memory`).
    pub constraint: String,
    /// What violates it (e.g. `request 3`, `edge server edge-1`).
    pub subject: String,
    /// How much it is exceeded by, in the constraint's own unit (> 0).
    pub excess: f64,
}

/// Objective and every constraint violation of a decision, computed from the instance alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Objective value.
    pub objective: f64,
    /// Violated constraints; empty when the decision is feasible.
    pub violations: Vec<Violation>,
}

impl Evaluation {
    /// Whether no constraint is violated.
    pub fn is_feasible(&self) -> bool {
        self.violations.is_empty()
    }
}

/// An optimisation problem: an instance together with how to judge a decision for it.
pub trait Problem {
    /// What a solver decides.
    type Decision;

    /// Whether the objective is minimised or maximised.
    fn sense(&self) -> Sense;

    /// Objective and every constraint violation of `decision`, computed from the instance alone.
    fn evaluate(&self, decision: &Self::Decision) -> Evaluation;

    /// Why no decision is feasible, when the instance proves it before any solver runs (a
    /// request with no valid choice, say): the executor then answers `Infeasible` with this
    /// reason for every solver.
    fn known_infeasibility(&self) -> Option<String> {
        None
    }
}

/// A way of answering a problem: exact solver, heuristic, baseline or trained policy.
pub trait Solver<P: Problem> {
    /// Short name used in tables and on the command line (e.g. `exact`, `greedy`).
    fn name(&self) -> &str;

    /// Whether a returned `Optimal` status is backed by a proof (exact solvers only).
    fn is_exact(&self) -> bool {
        false
    }

    /// The solver's own work: a decision (with a proven bound, for an exact solver) or why there
    /// is none. Called by [`Solver::solve`] with a validated budget; it honours the budget's
    /// time limit from the moment it is called.
    fn search(&self, problem: &P, budget: &Budget) -> Result<Found<P::Decision>, SolveError>;

    /// Answers `problem` within `budget`, through the [`executor`](super::executor): the
    /// budget validated, the clock kept, the status decided from the bound and the budget's
    /// gap, the decision re-checked by [`Problem::evaluate`].
    fn solve(&self, problem: &P, budget: &Budget) -> Result<Outcome<P::Decision>, SolveError> {
        super::executor::run(self, problem, budget)
    }
}
