//! An instance of any registered problem, and what a solver returned for it, as plain values.

use super::RegistryError;
use super::entry::solver_of;
use crate::problems::arrays::Arrays;
use crate::problems::formulation::{BoxedSolver, DecisionOf, Formulation, Plays, Policy};
use crate::solve::{Budget, Evaluation, Outcome, Problem, Sense};
use crate::system::Scenario;
use serde_json::Value;
use std::sync::Arc;

/// What a solver returned, as plain values (the decision in its serde form).
#[derive(Debug, Clone, PartialEq)]
pub struct AnyOutcome {
    /// The problem.
    pub problem: &'static str,
    /// The solver's name.
    pub solver: String,
    /// `optimal`, `feasible`, `time_limit`, `infeasible`, `not_found` or `invalid`.
    pub status: &'static str,
    /// Why there is no (valid) decision.
    pub reason: Option<String>,
    /// Whether the objective is minimised.
    pub sense: Sense,
    /// Objective of the decision.
    pub objective: Option<f64>,
    /// Proven bound.
    pub bound: Option<f64>,
    /// Relative gap between objective and bound.
    pub gap: Option<f64>,
    /// Wall-clock time of the solve.
    pub time_s: f64,
    /// Branch-and-bound nodes.
    pub nodes: u64,
    /// Iterations of the solver's main loop.
    pub iterations: u64,
    /// The decision in its serde form, if any.
    pub decision: Option<Value>,
    /// One row per request (or stored model, …) of the decision.
    pub rows: Vec<Value>,
}

/// A decision given from outside: its serde form as JSON text, or its arrays.
#[derive(Debug, Clone, PartialEq)]
pub enum GivenDecision {
    /// The serde form (`Outcome.decision`), as JSON text.
    Json(String),
    /// The arrays of `decision_arrays`.
    Arrays(Arrays),
}

/// An instance of any registered problem.
pub trait AnyInstance: Send + Sync {
    /// The problem.
    fn problem(&self) -> &'static str;
    /// The scenario's name.
    fn scenario(&self) -> &str;
    /// Its size (requests, users), as Python's `len`.
    fn size(&self) -> usize;
    /// What it holds, by name.
    fn facts(&self) -> Vec<(&'static str, Value)>;
    /// The key that marks a decision's serde form (`assignments`).
    fn decision_key(&self) -> &'static str;
    /// Solved by the solver called `solver` within `budget`.
    fn solve(&self, solver: &str, budget: &Budget) -> Result<AnyOutcome, RegistryError>;
    /// Solved by `policy` (a solver called `name`), walking the instance as the problem's
    /// environment presents it.
    fn solve_policy(
        &self,
        name: &str,
        policy: Policy,
        budget: &Budget,
    ) -> Result<AnyOutcome, RegistryError>;
    /// Objective and every broken constraint of `decision`.
    fn evaluate(&self, decision: &GivenDecision) -> Result<Evaluation, RegistryError>;
    /// `decision` as arrays.
    fn arrays(&self, decision: &GivenDecision) -> Result<Arrays, RegistryError>;
    /// The instance as text that the problem's registry entry restores on the same scenario.
    fn save(&self) -> Result<String, RegistryError>;
}

/// An instance of formulation `F`.
pub(crate) struct Held<F: Formulation> {
    instance: Arc<F::Instance>,
    scenario: String,
}

impl<F: Formulation> Held<F> {
    /// `instance`, of `scenario`.
    pub(crate) fn new(instance: Arc<F::Instance>, scenario: &Scenario) -> Held<F> {
        Held::with_name(instance, &scenario.name)
    }

    /// `instance`, of the scenario called `scenario`.
    pub(crate) fn with_name(instance: Arc<F::Instance>, scenario: &str) -> Held<F> {
        Held {
            instance,
            scenario: scenario.into(),
        }
    }

    /// The decision `given` describes.
    fn decision(&self, given: &GivenDecision) -> Result<DecisionOf<F>, RegistryError> {
        let what = format!("{} decision", F::NAME);
        match given {
            GivenDecision::Json(text) => serde_json::from_str(text)
                .map_err(|e| RegistryError::Decision(format!("{what}: {e}"))),
            GivenDecision::Arrays(arrays) => {
                F::from_arrays(&self.instance, arrays).map_err(RegistryError::Decision)
            }
        }
    }

    /// `solver`'s answer within `budget`, as plain values.
    fn run(&self, solver: BoxedSolver<F>, budget: &Budget) -> Result<AnyOutcome, RegistryError> {
        let outcome = solver.solve(&self.instance, budget)?;
        Ok(plain::<F>(&self.instance, &outcome))
    }
}

/// `outcome` on `instance` as plain values.
fn plain<F: Formulation>(instance: &F::Instance, outcome: &Outcome<DecisionOf<F>>) -> AnyOutcome {
    let to_value = |v: &dyn erased_serde::Serialize| serde_json::to_value(v).unwrap_or(Value::Null);
    let rows = outcome
        .decision
        .as_ref()
        .map(|d| F::rows(instance, d).iter().map(|r| to_value(r)).collect())
        .unwrap_or_default();
    AnyOutcome {
        problem: F::NAME,
        solver: outcome.solver.clone(),
        status: outcome.status.name(),
        reason: outcome.reason().map(String::from),
        sense: outcome.sense,
        objective: outcome.objective,
        bound: outcome.bound,
        gap: outcome.gap(),
        time_s: outcome.stats.time_s,
        nodes: outcome.stats.nodes,
        iterations: outcome.stats.iterations,
        decision: outcome.decision.as_ref().map(|d| to_value(d)),
        rows,
    }
}

impl<F: Formulation + Plays> AnyInstance for Held<F> {
    fn problem(&self) -> &'static str {
        F::NAME
    }

    fn scenario(&self) -> &str {
        &self.scenario
    }

    fn size(&self) -> usize {
        F::size(&self.instance)
    }

    fn facts(&self) -> Vec<(&'static str, Value)> {
        F::facts(&self.instance)
    }

    fn decision_key(&self) -> &'static str {
        F::DECISION_KEY
    }

    fn solve(&self, solver: &str, budget: &Budget) -> Result<AnyOutcome, RegistryError> {
        self.run(solver_of::<F>(solver)?, budget)
    }

    fn solve_policy(
        &self,
        name: &str,
        policy: Policy,
        budget: &Budget,
    ) -> Result<AnyOutcome, RegistryError> {
        let solver = F::policy(name, policy).ok_or_else(|| {
            RegistryError::Decision(format!(
                "a callable policy cannot solve a `{}` instance: its decision is not built one step at a time",
                F::NAME
            ))
        })?;
        self.run(solver, budget)
    }

    fn evaluate(&self, decision: &GivenDecision) -> Result<Evaluation, RegistryError> {
        Ok(self.instance.evaluate(&self.decision(decision)?))
    }

    fn arrays(&self, decision: &GivenDecision) -> Result<Arrays, RegistryError> {
        Ok(F::arrays(&self.instance, &self.decision(decision)?))
    }

    fn save(&self) -> Result<String, RegistryError> {
        Ok(F::save(&self.instance)?)
    }
}
