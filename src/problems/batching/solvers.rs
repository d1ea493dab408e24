//! Every solver of the batching problem, by name.

use super::BatchingInstance;
use super::assignment::Assignment;
use super::baselines::{Fcfs, ShortestPromptFirst};
use super::brute_force::BruteForce;
use super::exact::Exact;
use super::greedy::DensityGreedy;
use crate::problems::formulation::SolverInfo;
use crate::solve::Solver;

/// Every solver, exact first, then heuristics, then baselines; `solve-trace` runs the
/// `default` ones when no solvers are named.
pub const SOLVERS: &[SolverInfo] = &[
    SolverInfo {
        name: "exact",
        exact: true,
        default: true,
        help: "certified optimum: MILP over (request, server, precision), proven bound and gap",
    },
    SolverInfo {
        name: "assignment",
        exact: false,
        default: true,
        help: "Martello-Toth construction, Moore-Hodgson per server, precision search, exchanges",
    },
    SolverInfo {
        name: "density",
        exact: false,
        default: true,
        help: "requests by value per KV byte, each on the first server where it fits",
    },
    SolverInfo {
        name: "fcfs",
        exact: false,
        default: true,
        help: "first come, first served, each on the first server where it fits",
    },
    SolverInfo {
        name: "spf",
        exact: false,
        default: true,
        help: "shortest prompt first, each on the first server where it fits",
    },
    SolverInfo {
        name: "brute-force",
        exact: true,
        default: false,
        help: "every precision profile and assignment (a test oracle: epochs of a few requests only)",
    },
];

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
