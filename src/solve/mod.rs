//! The one trait every way of answering a problem implements, and the pieces solvers share.
//!
//! An exact solver, a heuristic, a baseline and a trained policy all implement
//! [`Solver`] for the same [`Problem`], so they can be compared on the same instance by the same
//! code. A problem's [`Problem::evaluate`] never trusts the solver: it recomputes the objective
//! and every constraint violation from the instance alone.
//!
//! - [`Solver::search`] is what a solver writes; [`Solver::solve`] runs it through the one
//!   [`executor`], which validates the budget, keeps the clock, decides the status from the
//!   proven bound and re-checks the decision with [`Problem::evaluate`].
//! - [`Outcome`] carries the decision, its objective, a proven bound where the solver has one
//!   (exact solvers must), a [`Status`] and [`Stats`].
//! - [`waterfill`] is the closed-form allocation of a budget over `Σ a_k / x_k` with floors and
//!   caps, used by every formulation that shares bandwidth or compute.
//! - [`milp`] is a thin layer over good_lp and HiGHS that reports status, proven bound, gap and
//!   time honestly and honours the [`Budget`].

mod budget;
mod error;
pub mod executor;
mod interrupt;
pub mod milp;
mod outcome;
mod problem;
mod scheduler;
pub mod waterfill;

pub use budget::{Budget, MAX_THREADS};
pub use error::SolveError;
pub use executor::{Found, Search};
pub use outcome::{Outcome, Stats, Status};
pub use problem::{Evaluation, Problem, Sense, Solver, Violation};
