//! Joint split point, serving tier, uplink-bandwidth and edge-compute allocation for the
//! requests of one decision epoch. The mathematics is in `formulations/split.md`.

mod allocation;
mod baselines;
mod brute_force;
mod cell_program;
mod choice;
mod decision;
pub mod env;
mod evaluate;
mod exact;
pub mod formulation;
mod heuristics;
mod instance;
mod plan;
mod pricing;
pub mod replay;
mod saved;
mod solvers;
mod state;
mod terms;

pub use allocation::{Allocated, allocate};
pub use baselines::{CloudOnly, DeviceOnly, EdgeOnly, Neurosurgeon, RandomChoice};
pub use brute_force::BruteForce;
pub use choice::{Choice, Locality, Tier};
pub use decision::{Assignment, RequestMetrics, SplitDecision};
pub use evaluate::TOLERANCE;
pub use exact::Exact;
pub use formulation::Split;
pub use heuristics::{CoordinateDescent, Greedy};
pub use instance::{Objective, OptionCost, SplitInstance, SplitRequest, draw_model};
pub use solvers::{SOLVERS, solver};
pub(crate) use state::State;
pub use terms::Terms;

use crate::solve::Found;

/// What a solver that fixed every request's choice found: shares at their optimum for those
/// choices, objective as evaluated, no bound.
pub(crate) fn found_of(instance: &SplitInstance, options: &[&OptionCost]) -> Found<SplitDecision> {
    match allocate(instance, options) {
        Ok(allocated) => Found::decision(allocated.decision, allocated.objective),
        Err(why) => Found::not_found(why),
    }
}
