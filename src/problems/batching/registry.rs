//! Every solver of the batching problem, by name.

use super::BatchingInstance;
use super::assignment::Assignment;
use super::baselines::{Fcfs, ShortestPromptFirst};
use super::brute_force::BruteForce;
use super::exact::Exact;
use super::greedy::DensityGreedy;
use crate::solve::Solver;

/// Names accepted by [`solver`], exact first, then heuristics, then baselines
/// (`brute-force`, for small instances, is accepted too).
pub const SOLVERS: [&str; 5] = ["exact", "assignment", "density", "fcfs", "spf"];

/// The solver called `name` (see [`SOLVERS`]), with default settings.
pub fn solver(name: &str) -> Option<Box<dyn Solver<BatchingInstance> + Send + Sync>> {
    Some(match name {
        "exact" => Box::new(Exact),
        "assignment" => Box::new(Assignment::default()),
        "density" => Box::new(DensityGreedy),
        "fcfs" => Box::new(Fcfs),
        "spf" => Box::new(ShortestPromptFirst),
        "brute-force" => Box::new(BruteForce::default()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves_to_a_solver_of_that_name() {
        for name in SOLVERS.into_iter().chain(["brute-force"]) {
            assert_eq!(
                solver(name).map(|s| s.name().to_string()),
                Some(name.to_string())
            );
        }
        assert!(solver("lifo").is_none());
    }
}
