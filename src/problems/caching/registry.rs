//! Every solver of the caching problem, by name.

use super::CachingInstance;
use super::baselines::{Popularity, SharingBlind};
use super::brute_force::BruteForce;
use super::exact::Exact;
use super::greedy::Greedy;
use super::trimcaching::TrimCaching;
use crate::solve::Solver;

/// Names accepted by [`solver`], exact first, then heuristics, then baselines
/// (`brute-force`, for small instances, is accepted too).
pub const SOLVERS: [&str; 5] = [
    "exact",
    "greedy",
    "trimcaching",
    "sharing-blind",
    "popularity",
];

/// The solver called `name` (see [`SOLVERS`]), with default settings.
pub fn solver(name: &str) -> Option<Box<dyn Solver<CachingInstance> + Send + Sync>> {
    Some(match name {
        "exact" => Box::new(Exact),
        "greedy" => Box::new(Greedy),
        "trimcaching" => Box::new(TrimCaching::default()),
        "sharing-blind" => Box::new(SharingBlind),
        "popularity" => Box::new(Popularity),
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
        assert!(solver("lru").is_none());
    }
}
