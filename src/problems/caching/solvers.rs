//! Every solver of the caching problem, by name.

use super::CachingInstance;
use super::baselines::{Popularity, SharingBlind};
use super::brute_force::BruteForce;
use super::exact::Exact;
use super::greedy::Greedy;
use super::trimcaching::TrimCaching;
use crate::problems::formulation::SolverInfo;
use crate::solve::Solver;

/// Every solver, exact first, then heuristics, then baselines; `solve-trace` runs the
/// `default` ones when no solvers are named.
pub const SOLVERS: &[SolverInfo] = &[
    SolverInfo {
        name: "exact",
        exact: true,
        default: true,
        help: "certified optimum: MILP with only the placement binary, proven bound and gap",
    },
    SolverInfo {
        name: "greedy",
        exact: false,
        default: true,
        help: "lazy greedy on the hit ratio, by gain per byte with shared blocks counted once",
    },
    SolverInfo {
        name: "trimcaching",
        exact: false,
        default: true,
        help: "server by server, every subset of shared blocks, knapsack DP for the rest (Qu et al., ICDCS'24)",
    },
    SolverInfo {
        name: "sharing-blind",
        exact: false,
        default: true,
        help: "the greedy, charging every model in full as classic content caching would",
    },
    SolverInfo {
        name: "popularity",
        exact: false,
        default: true,
        help: "each server stores its most requested models while they fit",
    },
    SolverInfo {
        name: "brute-force",
        exact: true,
        default: false,
        help: "every combination of the servers' feasible model sets (a test oracle: epochs of a few requests only)",
    },
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
