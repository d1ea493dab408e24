//! A policy (trained agent, rule, or a Python callable) as a [`Solver`] of the `split`
//! problem, so that it is compared with the exact and heuristic solvers on the
//! same instances by the same [`Problem::evaluate`].
//!
//! [`SplitPolicy`] walks the instance's requests in order exactly as [`super::SplitEnv`]
//! presents them: for each request it writes the environment's observation and mask (layout in
//! [`SplitLayout`]), asks the policy for an action and places the request. The shares are then
//! set to their optimum for the chosen placements
//! ([`crate::problems::split::allocate`]) and the plan is judged by `evaluate`. The outcome's
//! status is `feasible` (a policy proves nothing, so never `optimal`) with no bound, or
//! `not_found` with the first broken constraint. A policy that fails, or returns an action
//! outside the mask, is a [`SolveError::Policy`].
//!
//! The caching environment decides online, request by request, while a caching decision
//! ([`crate::problems::caching::Placement`]) is one static placement, so a caching policy is
//! not wrapped as a caching solver.
//!
//! ```
//! use mei4llm::problems::split::env::SplitPolicy;
//! use mei4llm::problems::split::{Objective, SplitInstance};
//! use mei4llm::solve::{Budget, Problem, Solver, Status};
//! use mei4llm::system::Scenario;
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! let scenario = Arc::new(Scenario::from_path(Path::new("scenarios/small.toml"))?);
//! let instance = SplitInstance::from_scenario(scenario, Objective::Latency)?;
//! // The valid action of least marginal cost (observation components 0..n).
//! let greedy = SplitPolicy::new("marginal", |observation: &[f32], mask: &[bool]| {
//!     (0..mask.len())
//!         .filter(|&a| mask[a])
//!         .min_by(|&a, &b| observation[a].total_cmp(&observation[b]))
//!         .ok_or_else(|| "empty mask".to_string())
//! });
//! let outcome = greedy.solve(&instance, &Budget::default())?;
//! assert_eq!(outcome.status, Status::Feasible);
//! assert_eq!(outcome.bound, None);
//! let evaluation = instance.evaluate(outcome.decision.as_ref().unwrap());
//! assert!(evaluation.is_feasible());
//! assert_eq!(evaluation.objective, outcome.objective.unwrap());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::SplitLayout;
use crate::env::policy::{PolicySolver, Walk, Walked};
use crate::problems::formulation::judged;
use crate::problems::split::{SplitDecision, SplitInstance, State, allocate};
use crate::solve::Found;

/// A function from an observation and an action mask to an action, as a `split` solver that
/// asks it for every request's action.
pub type SplitPolicy<F> = PolicySolver<SplitInstance, F>;

impl Walked for SplitInstance {
    type Walk<'a> = Placements<'a>;

    fn walk(&self) -> Placements<'_> {
        Placements {
            layout: SplitLayout::of(&self.scenario),
            instance: self,
            state: State::new(self),
        }
    }
}

/// The requests of an instance as [`super::SplitEnv`] presents them, and the plan they build;
/// the shares are set to their optimum for the chosen placements when the walk ends.
pub struct Placements<'a> {
    layout: SplitLayout,
    instance: &'a SplitInstance,
    state: State<'a>,
}

impl Walk for Placements<'_> {
    type Decision = SplitDecision;

    fn sizes(&self) -> (usize, usize) {
        let layout = &self.layout;
        (layout.observation_space().len(), layout.action_space().n)
    }

    fn requests(&self) -> usize {
        self.instance.requests.len()
    }

    fn id(&self, k: usize) -> u64 {
        self.instance.requests[k].id
    }

    fn observe(&self, k: usize, observation: &mut [f32], mask: &mut [bool]) {
        self.layout
            .observe(self.instance, &self.state, k, observation, mask);
    }

    fn act(&mut self, k: usize, action: usize) -> Result<(), String> {
        let i = self
            .layout
            .candidate(self.instance, k, action)
            .ok_or_else(|| format!("action {action} names no candidate"))?;
        self.state.apply(k, i);
        Ok(())
    }

    fn finish(self) -> Found<SplitDecision> {
        match allocate(self.instance, &self.state.options()) {
            Ok(allocated) => judged(self.instance, allocated.decision),
            Err(why) => Found::not_found(why),
        }
    }
}
