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
    /// A setting of the problem is wrong (unknown, of another problem, out of range).
    #[error("{0}")]
    Setting(String),
    /// A name refers to nothing registered (a problem, a solver).
    #[error("unknown {kind} `{name}`; the {kind}s are: {known}")]
    Unknown {
        /// What was looked up (`problem`, `split solver`).
        kind: String,
        /// The name given.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
}
