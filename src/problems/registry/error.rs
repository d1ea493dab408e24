//! What a generic path of the registry can fail with.

/// An error of a registered problem's generic path: bad input, a bad setting, a solver that
/// failed, a replay that stopped or an environment that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A scenario, trace or data file is wrong.
    #[error(transparent)]
    Input(#[from] crate::system::Error),
    /// An instance cannot be built, a setting is wrong, or a name is unknown.
    #[error(transparent)]
    Problem(#[from] crate::problems::Error),
    /// A solver failed.
    #[error(transparent)]
    Solve(#[from] crate::solve::SolveError),
    /// A replay stopped.
    #[error(transparent)]
    Replay(#[from] crate::replay::Error),
    /// An environment could not be built or stepped.
    #[error(transparent)]
    Env(#[from] crate::env::EnvError),
    /// A decision given from outside is malformed (its arrays, its serde form).
    #[error("{0}")]
    Decision(String),
}
