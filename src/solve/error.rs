//! Errors of the solving machinery. An infeasible instance is not an error: it is
//! [`super::Status::Infeasible`] with its reason.

/// A solver could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The budget is out of its domain.
    #[error("invalid budget: {0}")]
    InvalidBudget(String),
    /// The instance is malformed for this solver (e.g. too large for brute force).
    #[error("{solver}: cannot solve this instance: {message}")]
    Unsupported {
        /// The solver.
        solver: String,
        /// Why.
        message: String,
    },
    /// The MILP back end failed (model error, numerical trouble, solver crash).
    #[error("HiGHS: {0}")]
    Backend(String),
    /// The solver panicked (a defect of the solver, never of the input); the message says
    /// where.
    #[error("the solver panicked: {0}")]
    Panicked(String),
    /// A policy supplied from outside (e.g. a Python callable) failed or returned nonsense.
    #[error("{solver}: {message}")]
    Policy {
        /// The solver.
        solver: String,
        /// What went wrong.
        message: String,
    },
    /// A model file could not be written whole.
    #[error(transparent)]
    Write(#[from] crate::output::WriteError),
}
