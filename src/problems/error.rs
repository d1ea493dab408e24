//! Errors of the problems layer.

/// An instance could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input data (scenario, trace, profiles) is wrong.
    #[error(transparent)]
    Input(#[from] crate::system::Error),
    /// The instance is inconsistent (an index out of range, a missing power figure for an
    /// energy objective, ...).
    #[error("invalid instance: {0}")]
    Instance(String),
}
