//! Every solver of the split problem, by name.

use super::SplitInstance;
use super::baselines::{CloudOnly, DeviceOnly, EdgeOnly, Neurosurgeon, RandomChoice};
use super::exact::Exact;
use super::heuristics::{CoordinateDescent, Greedy};
use crate::solve::Solver;

/// Names accepted by [`solver`], exact first, then heuristics, then baselines.
pub const SOLVERS: [&str; 8] = [
    "exact",
    "descent",
    "greedy",
    "neurosurgeon",
    "device-only",
    "edge-only",
    "cloud-only",
    "random",
];

/// The solver called `name` (see [`SOLVERS`]), with default settings.
pub fn solver(name: &str) -> Option<Box<dyn Solver<SplitInstance> + Send + Sync>> {
    Some(match name {
        "exact" => Box::new(Exact::default()),
        "descent" => Box::new(CoordinateDescent::default()),
        "greedy" => Box::new(Greedy),
        "neurosurgeon" => Box::new(Neurosurgeon),
        "device-only" => Box::new(DeviceOnly),
        "edge-only" => Box::new(EdgeOnly),
        "cloud-only" => Box::new(CloudOnly),
        "random" => Box::new(RandomChoice),
        "brute-force" => Box::new(super::BruteForce::default()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves_to_a_solver_of_that_name() {
        for name in SOLVERS {
            assert_eq!(
                solver(name).map(|s| s.name().to_string()),
                Some(name.to_string())
            );
        }
        assert!(solver("simplex").is_none());
    }
}
