//! Every solver of the split problem, by name.

use super::SplitInstance;
use super::baselines::{CloudOnly, DeviceOnly, EdgeOnly, Neurosurgeon, RandomChoice};
use super::exact::Exact;
use super::heuristics::{CoordinateDescent, Greedy};
use crate::problems::formulation::SolverInfo;
use crate::solve::Solver;

/// Every solver, exact first, then heuristics, then baselines; `solve-trace` runs the
/// `default` ones when no solvers are named.
pub const SOLVERS: &[SolverInfo] = &[
    SolverInfo {
        name: "exact",
        exact: true,
        default: true,
        help: "certified optimum: MILP with outer approximation of the share terms, proven bound and gap",
    },
    SolverInfo {
        name: "descent",
        exact: false,
        default: true,
        help: "greedy start, then single-request moves with closed-form shares until none improves",
    },
    SolverInfo {
        name: "greedy",
        exact: false,
        default: true,
        help: "places requests heaviest first, each where it raises the objective least",
    },
    SolverInfo {
        name: "neurosurgeon",
        exact: false,
        default: true,
        help: "each request picks its own best tier and split assuming equal shares (Kang et al., ASPLOS'17)",
    },
    SolverInfo {
        name: "device-only",
        exact: false,
        default: true,
        help: "every request runs the whole model on its own device",
    },
    SolverInfo {
        name: "edge-only",
        exact: false,
        default: true,
        help: "every request runs the whole model on the first edge server covering its device",
    },
    SolverInfo {
        name: "cloud-only",
        exact: false,
        default: true,
        help: "every request runs the whole model in the cloud, through its first cell",
    },
    SolverInfo {
        name: "random",
        exact: false,
        default: true,
        help: "a uniformly random candidate per request within memory and deadline floors (--seed)",
    },
    SolverInfo {
        name: "brute-force",
        exact: true,
        default: false,
        help: "every combination of the requests' choices (a test oracle: a few requests only)",
    },
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
