//! Many environments stepped with one call, writing into flat buffers.
//!
//! Environment `i` of a [`VecEnv`] reset with `Some(seed)` is reset with `seed + i`. Autoreset
//! follows Gymnasium's **next-step** mode ([`AUTORESET_MODE`]): the step on which an
//! environment's episode ends returns its terminal observation and `terminated`/`truncated`;
//! the following call ignores that environment's action, resets it (continuing its random
//! stream) and returns the first observation of the new episode with reward 0 and both flags
//! `false`. The environments step in parallel on rayon's pool when
//! [`VecEnv::with_parallel`] is set (the default), which pays when epoch ends run a solver;
//! the results do not depend on it.

use super::space::{BoxSpace, Discrete};
use super::{Env, EnvError};
use rayon::prelude::*;

/// The Gymnasium autoreset mode of [`VecEnv`] (`gymnasium.vector.AutoresetMode.NEXT_STEP`).
pub const AUTORESET_MODE: &str = "next_step";

/// Flat buffers a vector environment writes into: row `i` of each belongs to environment `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct Buffers {
    /// Observations, `n × observation length`, row-major.
    pub observations: Vec<f32>,
    /// Action masks, `n × actions`, row-major.
    pub masks: Vec<bool>,
    /// Rewards.
    pub rewards: Vec<f64>,
    /// `terminated` flags.
    pub terminated: Vec<bool>,
    /// `truncated` flags.
    pub truncated: Vec<bool>,
    /// Whether the action was outside the mask and replaced.
    pub invalid_actions: Vec<bool>,
}

impl Buffers {
    /// Zeroed buffers for `n` environments with observations of `observation_len` components
    /// and `actions` actions.
    pub fn new(n: usize, observation_len: usize, actions: usize) -> Buffers {
        Buffers {
            observations: vec![0.0; n * observation_len],
            masks: vec![false; n * actions],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            invalid_actions: vec![false; n],
        }
    }

    fn check(&self, n: usize, observation_len: usize, actions: usize) -> Result<(), EnvError> {
        for (buffer, len, expected) in [
            ("observations", self.observations.len(), n * observation_len),
            ("masks", self.masks.len(), n * actions),
            ("rewards", self.rewards.len(), n),
            ("terminated", self.terminated.len(), n),
            ("truncated", self.truncated.len(), n),
            ("invalid_actions", self.invalid_actions.len(), n),
        ] {
            if len != expected {
                return Err(EnvError::Buffer {
                    buffer,
                    len,
                    expected,
                });
            }
        }
        Ok(())
    }
}

/// `n` environments of one kind stepped together (see the module documentation).
#[derive(Clone)]
pub struct VecEnv<E> {
    envs: Vec<E>,
    needs_reset: Vec<bool>,
    started: bool,
    space: BoxSpace,
    actions: Discrete,
    parallel: bool,
}

/// One environment's part of a vector step: the environment, its buffer rows and its action.
struct Slot<'a, E> {
    env: &'a mut E,
    needs_reset: &'a mut bool,
    observation: &'a mut [f32],
    mask: &'a mut [bool],
    action: usize,
}

impl<E: Env> Slot<'_, E> {
    /// Steps the environment, or resets it when its episode ended on the previous call.
    fn run(self) -> Result<Done<E::Report>, EnvError> {
        let done = if *self.needs_reset {
            self.env.reset(None)?;
            Done {
                reward: 0.0,
                terminated: false,
                truncated: false,
                invalid_action: false,
                report: None,
            }
        } else {
            let step = self.env.step(self.action)?;
            Done {
                reward: step.reward,
                terminated: step.terminated,
                truncated: step.truncated,
                invalid_action: step.invalid_action,
                report: step.report,
            }
        };
        *self.needs_reset = done.terminated || done.truncated;
        self.observation.copy_from_slice(self.env.observation());
        self.mask.copy_from_slice(self.env.action_mask());
        Ok(done)
    }
}

/// What one environment did in a vector step.
struct Done<R> {
    reward: f64,
    terminated: bool,
    truncated: bool,
    invalid_action: bool,
    report: Option<R>,
}

impl<E> VecEnv<E>
where
    E: Env + Send,
    E::Report: Send,
{
    /// The vector of `envs`, which must be at least one and share their spaces.
    pub fn new(envs: Vec<E>) -> Result<VecEnv<E>, EnvError> {
        let first = envs
            .first()
            .ok_or_else(|| EnvError::option("num_envs", "must be at least 1, got 0"))?;
        let space = first.observation_space().clone();
        let actions = first.action_space();
        if let Some(i) = envs
            .iter()
            .position(|e| e.observation_space() != &space || e.action_space() != actions)
        {
            return Err(EnvError::option(
                "envs",
                format!("environment {i} has other spaces than environment 0"),
            ));
        }
        Ok(VecEnv {
            needs_reset: vec![false; envs.len()],
            started: false,
            envs,
            space,
            actions,
            parallel: true,
        })
    }

    /// Whether the environments step in parallel (the results are the same either way).
    pub fn with_parallel(mut self, parallel: bool) -> VecEnv<E> {
        self.parallel = parallel;
        self
    }

    /// Sets whether the environments step in parallel (the results are the same either way).
    pub fn set_parallel(&mut self, parallel: bool) {
        self.parallel = parallel;
    }

    /// Number of environments.
    pub fn len(&self) -> usize {
        self.envs.len()
    }

    /// Whether there is no environment (never: [`VecEnv::new`] refuses it).
    pub fn is_empty(&self) -> bool {
        self.envs.is_empty()
    }

    /// The environments.
    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    /// The observation space of one environment.
    pub fn observation_space(&self) -> &BoxSpace {
        &self.space
    }

    /// The action space of one environment.
    pub fn action_space(&self) -> Discrete {
        self.actions
    }

    /// Resets every environment (environment `i` with `seed + i`) and writes the first
    /// observations and masks; rewards and flags are zeroed.
    pub fn reset(&mut self, seed: Option<u64>, buffers: &mut Buffers) -> Result<(), EnvError> {
        let (d, a) = (self.space.len(), self.actions.n);
        buffers.check(self.len(), d, a)?;
        for (i, env) in self.envs.iter_mut().enumerate() {
            env.reset(seed.map(|s| s.wrapping_add(i as u64)))?;
            buffers.observations[i * d..(i + 1) * d].copy_from_slice(env.observation());
            buffers.masks[i * a..(i + 1) * a].copy_from_slice(env.action_mask());
        }
        buffers.rewards.fill(0.0);
        buffers.terminated.fill(false);
        buffers.truncated.fill(false);
        buffers.invalid_actions.fill(false);
        self.needs_reset.fill(false);
        self.started = true;
        Ok(())
    }

    /// Steps environment `i` with `actions[i]` (or resets it, when its episode ended on the
    /// previous call) and writes the results; fails before the first [`VecEnv::reset`]. Returns the reports of the environments that
    /// ended an epoch or window, with their indices.
    pub fn step(
        &mut self,
        actions: &[usize],
        buffers: &mut Buffers,
    ) -> Result<Vec<(usize, E::Report)>, EnvError> {
        let (n, d, a) = (self.len(), self.space.len(), self.actions.n);
        buffers.check(n, d, a)?;
        if actions.len() != n {
            return Err(EnvError::Buffer {
                buffer: "actions",
                len: actions.len(),
                expected: n,
            });
        }
        if !self.started {
            return Err(EnvError::NeedsReset);
        }
        let jobs: Vec<Slot<'_, E>> = self
            .envs
            .iter_mut()
            .zip(self.needs_reset.iter_mut())
            .zip(buffers.observations.chunks_mut(d.max(1)))
            .zip(buffers.masks.chunks_mut(a.max(1)))
            .zip(actions)
            .map(
                |((((env, needs_reset), observation), mask), &action)| Slot {
                    env,
                    needs_reset,
                    observation,
                    mask,
                    action,
                },
            )
            .collect();
        let results: Vec<Result<Done<E::Report>, EnvError>> = if self.parallel {
            jobs.into_par_iter().map(Slot::run).collect()
        } else {
            jobs.into_iter().map(Slot::run).collect()
        };
        let mut reports = Vec::new();
        for (i, result) in results.into_iter().enumerate() {
            let done = result?;
            buffers.rewards[i] = done.reward;
            buffers.terminated[i] = done.terminated;
            buffers.truncated[i] = done.truncated;
            buffers.invalid_actions[i] = done.invalid_action;
            if let Some(report) = done.report {
                reports.push((i, report));
            }
        }
        Ok(reports)
    }
}
