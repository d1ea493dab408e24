//! Reinforcement-learning environments over the problems, with the Gymnasium conventions.
//!
//! A problem's environment builds a decision for the same [`crate::solve::Problem`] one step at
//! a time, so that a trained policy is judged by the same `evaluate` as every solver
//! ([`policy`] wraps one as a [`crate::solve::Solver`]) and the environment can report the
//! optimum of the same instance for regret.
//!
//! - [`Env`] is the trait: `reset(seed)`, `step(action)` with reward, `terminated`,
//!   `truncated` and a report at the end of an epoch or window, the current observation and
//!   action mask. Observations are fixed-length `float32` vectors in a [`BoxSpace`] and actions
//!   are [`Discrete`], so that one layout serves every problem, the vector environment and
//!   numpy without per-element conversions.
//! - [`SplitEnv`](crate::problems::split::env::SplitEnv) places the requests of a trace epoch by epoch (reward: minus the objective's
//!   increase; report: the epoch optimum and the agent's regret).
//! - [`BatchingEnv`](crate::problems::batching::env::BatchingEnv) admits the waiting requests of a trace window to edge servers at a
//!   precision, one request at a time (reward: the request's value; report: the certified
//!   optimum of the decision).
//! - [`CachingEnv`](crate::problems::caching::env::CachingEnv) replaces models in edge caches online over a request stream (reward: hits;
//!   report: the offline optimum of the window).
//! - [`VecEnv`] steps many environments with one call into flat buffers, with next-step
//!   autoreset.
//!
//! **Masks.** [`Env::action_mask`] marks the valid actions; it is never empty. An action in
//! the space but outside the mask is not an error: the environment carries out a documented
//! replacement and sets [`Step::invalid_action`], so that agents that ignore masks (and
//! Gymnasium's `check_env`, which samples actions at random) can run; an action outside the
//! space is an error.
//!
//! **Determinism.** `reset(Some(seed))` fixes everything random in the episode; `reset(None)`
//! continues from where the previous episode left the random stream; a new environment behaves
//! as if seeded with 0.
//!
//! ```
//! use mei4llm::env::{Buffers, Env, VecEnv};
//! use mei4llm::problems::caching::env::{CachingEnv, CachingEnvOptions};
//! use mei4llm::system::Scenario;
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! let scenario = Arc::new(Scenario::from_path(Path::new("scenarios/caching-small.toml"))?);
//! let options = CachingEnvOptions {
//!     trace: Some("datasets/traces/azure_llm_2023_conv.csv".into()),
//!     window: "50".parse()?,
//!     epochs_per_episode: 1,
//!     optimum: Some("exact".into()),
//!     ..CachingEnvOptions::default()
//! };
//! let env = CachingEnv::new(scenario, options)?;
//! let mut envs = VecEnv::new(vec![env; 4])?;
//! let (n, d, a) = (envs.len(), envs.observation_space().len(), envs.action_space().n);
//! let mut buffers = Buffers::new(n, d, a);
//! envs.reset(Some(0), &mut buffers)?;
//! let mut windows = 0;
//! for _ in 0..50 {
//!     let actions = vec![0; n]; // never admit: every request stays a miss
//!     for (_, report) in envs.step(&actions, &mut buffers)? {
//!         assert_eq!((report.hits, report.requests), (0, 50));
//!         // The window's offline optimum, in hits, is all the regret.
//!         let optimum = report.optimum.unwrap();
//!         assert_eq!(optimum.regret, optimum.objective);
//!         windows += 1;
//!     }
//! }
//! assert_eq!(windows, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! References: Towers et al., "Gymnasium: a standard interface for reinforcement learning
//! environments" (arXiv 2407.17032, 2024) for the API, the autoreset modes and action masks;
//! Huang and Ontañón, "A closer look at invalid action masking in policy gradient algorithms"
//! (FLAIRS 2022) for masking.

pub(crate) mod args;
mod error;
mod frame;
pub mod policy;
mod report;
pub mod space;
mod vector;

pub use error::EnvError;
pub(crate) use frame::{Frame, Span};
pub use report::OptimumReport;
pub(crate) use report::reference;
pub use space::{BoxSpace, Discrete};
pub use vector::{AUTORESET_MODE, Buffers, VecEnv};

/// What one step did.
#[derive(Debug, Clone)]
pub struct Step<R> {
    /// The reward of the step.
    pub reward: f64,
    /// Whether the episode reached its natural end (the observation is then terminal).
    pub terminated: bool,
    /// Whether the episode was cut short by a limit outside the problem (always `false` in this
    /// crate's environments, whose episodes have a fixed number of epochs or windows).
    pub truncated: bool,
    /// Whether the action was outside the mask and replaced (see each environment).
    pub invalid_action: bool,
    /// At the end of an epoch or window: the report with the optimum and the regret.
    pub report: Option<R>,
}

/// A Gymnasium-style environment with a fixed-length `float32` observation and a discrete
/// action with a mask.
pub trait Env {
    /// What a step reports at the end of an epoch or window.
    type Report;

    /// The observation space (its length is that of [`Env::observation`]).
    fn observation_space(&self) -> &BoxSpace;

    /// The action space (its size is that of [`Env::action_mask`]).
    fn action_space(&self) -> Discrete;

    /// Starts an episode: with `Some(seed)` the random stream restarts from `seed`, with `None`
    /// it continues. The first observation is then in [`Env::observation`].
    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError>;

    /// Takes `action`; the next observation is then in [`Env::observation`]. Fails before the
    /// first reset, after the episode ended, and for an action outside the space.
    fn step(&mut self, action: usize) -> Result<Step<Self::Report>, EnvError>;

    /// The current observation.
    fn observation(&self) -> &[f32];

    /// The valid actions of the current observation (never all `false`).
    fn action_mask(&self) -> &[bool];
}
