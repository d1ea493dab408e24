//! Joint split point, serving tier, uplink-bandwidth and edge-compute allocation for the
//! requests of one decision epoch. The mathematics is in `formulations/split.md`.

mod allocation;
mod baselines;
mod brute_force;
mod choice;
mod decision;
mod evaluate;
mod exact;
mod heuristics;
mod instance;
mod registry;
mod state;
mod terms;

pub use allocation::{Allocated, allocate};
pub use baselines::{CloudOnly, DeviceOnly, EdgeOnly, Neurosurgeon, RandomChoice};
pub use brute_force::BruteForce;
pub use choice::{Choice, Tier};
pub use decision::{Assignment, RequestMetrics, SplitDecision};
pub use evaluate::TOLERANCE;
pub use exact::Exact;
pub use heuristics::{CoordinateDescent, Greedy};
pub use instance::{Objective, OptionCost, SplitInstance, SplitRequest};
pub use registry::{SOLVERS, solver};
pub(crate) use state::State;
pub use terms::Terms;

use crate::solve::{Outcome, Sense, Stats};

/// The outcome of a solver that fixed every request's choice: shares at their optimum for
/// those choices, objective as evaluated, no bound.
pub(crate) fn outcome_of(
    solver: &str,
    instance: &SplitInstance,
    options: &[&OptionCost],
    stats: Stats,
) -> Outcome<SplitDecision> {
    match allocate(instance, options) {
        Ok(allocated) => Outcome::feasible(
            solver,
            Sense::Minimise,
            allocated.decision,
            allocated.objective,
            stats,
        ),
        Err(why) => Outcome::not_found(solver, Sense::Minimise, why, stats),
    }
}
