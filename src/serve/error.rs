//! What can go wrong in a serving simulation.

/// An error of the serving simulation: bad input (scenario, trace, policy name), or a planner
/// whose decision breaks the batching instance it was given.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario or the trace is wrong (the message names the file, row and field).
    #[error(transparent)]
    Input(#[from] crate::system::Error),
    /// A batching instance could not be built.
    #[error(transparent)]
    Instance(#[from] crate::problems::Error),
    /// A setting of the simulation is wrong (a missing `[batching]` section, no request left,
    /// a non-positive speed-up, an unknown policy).
    #[error("{0}")]
    Setting(String),
    /// A planner failed or returned a decision that `evaluate` rejects.
    #[error("policy `{policy}` at t = {time_s} s: {message}")]
    Planner {
        /// The policy.
        policy: String,
        /// The simulated time of the call.
        time_s: f64,
        /// What went wrong.
        message: String,
    },
}
