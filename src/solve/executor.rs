//! The one run loop every solver goes through, as argmin's `Executor` is for its solvers: the
//! budget is validated, the clock kept, an instance the problem proves infeasible answered as
//! such ([`Problem::known_infeasibility`]), a panic caught, the status decided from the proven
//! bound and the budget's gap, the sense taken from the problem, and the decision re-checked by
//! the problem's own [`Problem::evaluate`] — once, for every solver, baselines included.
//!
//! A solver implements [`Solver::search`](super::Solver::search) and returns what it
//! [`Found`]; callers call [`Solver::solve`](super::Solver::solve), which runs [`run`].

use super::outcome::relative_gap;
use super::{Budget, Outcome, Problem, SolveError, Solver, Stats, Status};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Relative tolerance between the objective a solver claims and the one the problem evaluates.
pub const CLAIM_TOLERANCE: f64 = 1e-6;

/// What a search ended with.
#[derive(Debug, Clone, PartialEq)]
pub enum Search<D> {
    /// A decision and its objective.
    Decision(D, f64),
    /// No decision exists, for the reason given (naming the request or resource).
    Infeasible(String),
    /// No decision was found, without a proof that none exists (where the search got stuck, or
    /// that the time ran out).
    NotFound(String),
}

/// What a solver's search found: its result, a proven bound on the optimum if it has one,
/// whether the time limit stopped it, and the work it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<D> {
    /// The result.
    pub search: Search<D>,
    /// A proven bound on the optimum (a lower bound when minimising), exact solvers only.
    pub bound: Option<f64>,
    /// Whether the search stopped at the time limit.
    pub timed_out: bool,
    /// Branch-and-bound nodes.
    pub nodes: u64,
    /// Iterations of the solver's main loop.
    pub iterations: u64,
}

impl<D> Found<D> {
    /// A decision with objective `objective`, without a bound.
    pub fn decision(decision: D, objective: f64) -> Found<D> {
        Found::of(Search::Decision(decision, objective))
    }

    /// No decision exists, for `reason`.
    pub fn infeasible(reason: impl Into<String>) -> Found<D> {
        Found::of(Search::Infeasible(reason.into()))
    }

    /// No decision was found, for `reason`.
    pub fn not_found(reason: impl Into<String>) -> Found<D> {
        Found::of(Search::NotFound(reason.into()))
    }

    fn of(search: Search<D>) -> Found<D> {
        Found {
            search,
            bound: None,
            timed_out: false,
            nodes: 0,
            iterations: 0,
        }
    }

    /// What an exact solver stopped at its time limit before its back end found a plan
    /// returns: `warm`, its warm start for `problem` (priced by `evaluate`), with the back
    /// end's proven `bound` loosened to hold it; without one, not found with the bound.
    pub fn warm_start<P>(problem: &P, warm: Option<D>, bound: f64) -> Found<D>
    where
        P: Problem<Decision = D>,
    {
        let found = match warm {
            Some(decision) => {
                let objective = problem.evaluate(&decision).objective;
                let bound = match problem.sense() {
                    super::Sense::Maximise => bound.max(objective),
                    super::Sense::Minimise => bound.min(objective),
                };
                Found::decision(decision, objective).with_bound(bound)
            }
            None => Found::not_found("no plan found within the time limit").with_bound(bound),
        };
        found.timed_out(true)
    }

    /// With a proven bound on the optimum.
    pub fn with_bound(mut self, bound: f64) -> Found<D> {
        self.bound = Some(bound);
        self
    }

    /// Marked as stopped by the time limit (when `timed_out`).
    pub fn timed_out(mut self, timed_out: bool) -> Found<D> {
        self.timed_out = timed_out;
        self
    }

    /// With the branch-and-bound nodes and main-loop iterations done.
    pub fn with_work(mut self, nodes: u64, iterations: u64) -> Found<D> {
        self.nodes = nodes;
        self.iterations = iterations;
        self
    }

    /// The same result for another decision type (used by wrappers).
    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> Found<E> {
        Found {
            search: match self.search {
                Search::Decision(d, objective) => Search::Decision(f(d), objective),
                Search::Infeasible(why) => Search::Infeasible(why),
                Search::NotFound(why) => Search::NotFound(why),
            },
            bound: self.bound,
            timed_out: self.timed_out,
            nodes: self.nodes,
            iterations: self.iterations,
        }
    }
}

/// The deadline of a search started at `started` under `budget` (`None`: no limit).
pub fn deadline(started: Instant, budget: &Budget) -> Option<Instant> {
    budget
        .time_limit
        .and_then(|limit| started.checked_add(limit))
}

/// The time left until `deadline` (`None`: no limit; zero once it has passed).
pub fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

/// Runs `solver` on `problem` within `budget` (see the module documentation).
///
/// The outcome's status is `Optimal` only when the decision passes the re-check and its gap to
/// the proven bound is within the budget's gap; a decision that breaks a constraint, or whose
/// claimed objective differs from the evaluated one, comes back as [`Status::Invalid`] with the
/// reason, its objective the evaluated one.
pub fn run<P, S>(
    solver: &S,
    problem: &P,
    budget: &Budget,
) -> Result<Outcome<P::Decision>, SolveError>
where
    P: Problem,
    S: Solver<P> + ?Sized,
{
    budget.validate()?;
    let started = Instant::now();
    let found = match problem.known_infeasibility() {
        Some(why) => Found::infeasible(why),
        None => catch_unwind(AssertUnwindSafe(|| solver.search(problem, budget)))
            .map_err(|payload| SolveError::Panicked(panic_message(payload.as_ref())))??,
    };
    let stats = Stats {
        time_s: started.elapsed().as_secs_f64(),
        nodes: found.nodes,
        iterations: found.iterations,
    };
    Ok(outcome(solver.name(), problem, budget, found, stats))
}

/// The outcome of `found`, its decision re-checked by `problem`.
fn outcome<P: Problem>(
    name: &str,
    problem: &P,
    budget: &Budget,
    found: Found<P::Decision>,
    stats: Stats,
) -> Outcome<P::Decision> {
    let sense = problem.sense();
    let (decision, claimed) = match found.search {
        Search::Decision(decision, objective) => (decision, objective),
        Search::Infeasible(why) => {
            return Outcome::empty(name, sense, Status::Infeasible(why), stats);
        }
        Search::NotFound(why) => {
            let status = if found.timed_out {
                Status::TimeLimit
            } else {
                Status::NotFound(why)
            };
            let mut empty = Outcome::empty(name, sense, status, stats);
            empty.bound = found.bound;
            return empty;
        }
    };
    let evaluation = problem.evaluate(&decision);
    let objective = evaluation.objective;
    let judged = if claimed.is_finite() {
        claimed
    } else {
        objective
    };
    let status = if let Some(v) = evaluation.violations.first() {
        Status::Invalid(format!(
            "the decision breaks {} constraint(s), first: {} ({}) by {:.3e}",
            evaluation.violations.len(),
            v.constraint,
            v.subject,
            v.excess
        ))
    } else if !claimed.is_finite() || !objective.is_finite() {
        Status::Invalid(format!(
            "the objective is not finite (claimed {claimed}, evaluated {objective})"
        ))
    } else if (claimed - objective).abs()
        > CLAIM_TOLERANCE * claimed.abs().max(objective.abs()).max(1e-9)
    {
        Status::Invalid(format!(
            "the solver claims objective {claimed}, but its decision evaluates to {objective}"
        ))
    } else {
        match found.bound {
            Some(bound) if relative_gap(sense, judged, bound) <= budget.gap => Status::Optimal,
            _ if found.timed_out => Status::TimeLimit,
            _ => Status::Feasible,
        }
    };
    Outcome {
        solver: name.into(),
        status,
        decision: Some(decision),
        objective: Some(if claimed.is_finite() {
            claimed
        } else {
            objective
        }),
        bound: found.bound,
        sense,
        stats,
    }
}

/// The message of a caught panic.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
