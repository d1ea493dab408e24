//! What a reference solver found on an epoch or window, next to the agent.

use crate::problems::formulation::{DecisionOf, Formulation};
use crate::solve::{Budget, Outcome, SolveError, Status};
use serde::Serialize;
use std::time::Duration;

/// The reference solver's answer on the instance the agent just played, and the regret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimumReport {
    /// The solver (`exact`, `descent`).
    pub solver: String,
    /// Its status (`optimal`, `feasible`, `time_limit`, `infeasible`, `not_found`), or `error`
    /// when it failed.
    pub status: String,
    /// Why there is no objective, if so.
    pub reason: Option<String>,
    /// Objective of its decision, in the units of the agent's (seconds or joules for `split`,
    /// hits for `caching`).
    pub objective: Option<f64>,
    /// Its proven bound on the optimum, in the same units (exact solvers).
    pub bound: Option<f64>,
    /// How much worse the agent did than the reference, in the same units: `agent − optimum`
    /// when minimising, `optimum − agent` when maximising.
    pub regret: Option<f64>,
    /// Wall-clock time of the solve.
    pub time_s: f64,
}

impl OptimumReport {
    /// The report of `solver`'s `result`, its objective and bound multiplied by `scale` (1 for
    /// `split`; the window's request count for `caching`, whose objective is a hit ratio), with
    /// the regret computed by `regret` from the scaled objective.
    pub(crate) fn of<D>(
        solver: &str,
        result: Result<Outcome<D>, SolveError>,
        scale: f64,
        regret: impl Fn(f64) -> f64,
    ) -> OptimumReport {
        match result {
            Ok(outcome) => {
                let objective = outcome.objective.map(|o| o * scale);
                OptimumReport {
                    solver: solver.into(),
                    status: outcome.status.name().into(),
                    reason: match &outcome.status {
                        Status::Infeasible(why) | Status::NotFound(why) => Some(why.clone()),
                        _ => None,
                    },
                    objective,
                    bound: outcome.bound.map(|b| b * scale),
                    regret: objective.map(regret),
                    time_s: outcome.stats.time_s,
                }
            }
            Err(error) => OptimumReport {
                solver: solver.into(),
                status: "error".into(),
                reason: Some(error.to_string()),
                objective: None,
                bound: None,
                regret: None,
                time_s: 0.0,
            },
        }
    }
}

/// The answer of `F`'s solver `name` on `instance` within `time_limit`, seeded with `seed`.
pub(crate) fn reference<F: Formulation>(
    name: &str,
    instance: &F::Instance,
    time_limit: Duration,
    seed: u64,
) -> Result<Outcome<DecisionOf<F>>, SolveError> {
    let budget = Budget::default()
        .with_time_limit(time_limit)
        .with_seed(seed);
    F::solver(name)
        .ok_or_else(|| SolveError::Unsupported {
            solver: name.into(),
            message: format!("no {} solver has this name", F::NAME),
        })
        .and_then(|s| s.solve(instance, &budget))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::{Sense, Stats};

    #[test]
    fn scaled_objective_bound_and_regret() {
        let outcome = Outcome {
            solver: "exact".into(),
            status: Status::Optimal,
            decision: Some(()),
            objective: Some(0.5),
            bound: Some(0.5),
            sense: Sense::Maximise,
            stats: Stats::default(),
        };
        let r = OptimumReport::of("exact", Ok(outcome), 10.0, |o| o - 3.0);
        assert_eq!(r.status, "optimal");
        assert_eq!(
            (r.objective, r.bound, r.regret),
            (Some(5.0), Some(5.0), Some(2.0))
        );
        let failed: Result<Outcome<()>, _> = Err(SolveError::Backend("crash".into()));
        let r = OptimumReport::of("exact", failed, 1.0, |o| o);
        assert_eq!(r.status, "error");
        assert_eq!(r.reason.as_deref(), Some("HiGHS: crash"));
        assert_eq!(r.regret, None);
    }
}
