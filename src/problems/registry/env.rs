//! The environment of any registered problem, one or many stepped together.

use super::AnyInstance;
use super::instance::Held;
use crate::env::{BoxSpace, Buffers, Env, EnvError, Step, VecEnv};
use crate::problems::formulation::{EnvReport, Info, Plays};
use std::sync::Arc;

/// What an environment reported at the end of an epoch: its `info` entries and the instance
/// the agent just played.
pub struct Reported {
    /// The entries.
    pub info: Vec<(&'static str, Info)>,
    /// The instance, if the report carries it.
    pub instance: Option<Arc<dyn AnyInstance>>,
}

/// What one step did.
pub struct Stepped {
    /// The reward.
    pub reward: f64,
    /// Whether the episode reached its end.
    pub terminated: bool,
    /// Whether it was cut short.
    pub truncated: bool,
    /// Whether the action was outside the mask and replaced.
    pub invalid_action: bool,
    /// The report at the end of an epoch.
    pub report: Option<Reported>,
}

/// The environment of any registered problem.
pub trait AnyEnv: Send + Sync {
    /// The observation space.
    fn observation_space(&self) -> &BoxSpace;
    /// The number of actions.
    fn actions(&self) -> usize;
    /// Starts an episode (see [`Env::reset`]).
    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError>;
    /// Takes `action`.
    fn step(&mut self, action: usize) -> Result<Stepped, EnvError>;
    /// The current observation.
    fn observation(&self) -> &[f32];
    /// The current action mask.
    fn action_mask(&self) -> &[bool];
    /// A copy that steps on its own.
    fn boxed_clone(&self) -> Box<dyn AnyEnv>;
}

/// What a vector step reports: the environments that ended an epoch, with their reports.
pub type VecStep = Vec<(usize, Reported)>;

/// Many environments of one registered problem stepped together, writing into their buffers.
pub trait AnyVecEnv: Send + Sync {
    /// Number of environments.
    fn len(&self) -> usize;
    /// Whether there is none (never).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// One environment's observation space.
    fn observation_space(&self) -> &BoxSpace;
    /// One environment's number of actions.
    fn actions(&self) -> usize;
    /// Whether the environments step in parallel (the results are the same either way).
    fn set_parallel(&mut self, parallel: bool);
    /// Resets every environment (environment `i` with `seed + i`).
    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError>;
    /// Steps environment `i` with `actions[i]` (next-step autoreset).
    fn step(&mut self, actions: &[usize]) -> Result<VecStep, EnvError>;
    /// The buffers the last call wrote.
    fn buffers(&self) -> &Buffers;
}

/// The report `report` of scenario `scenario` as plain entries.
fn reported<F: Plays>(report: &<F::Env as Env>::Report, scenario: &str) -> Reported {
    Reported {
        info: report.info(),
        instance: report.instance().map(|instance| {
            Arc::new(Held::<F>::with_name(Arc::clone(instance), scenario)) as Arc<dyn AnyInstance>
        }),
    }
}

/// The environment of formulation `F`.
pub(crate) struct Played<F: Plays> {
    env: F::Env,
    scenario: String,
}

impl<F: Plays> Played<F> {
    /// `env`, on the scenario called `scenario`.
    pub(crate) fn new(env: F::Env, scenario: String) -> Played<F> {
        Played { env, scenario }
    }
}

impl<F: Plays> AnyEnv for Played<F> {
    fn observation_space(&self) -> &BoxSpace {
        self.env.observation_space()
    }

    fn actions(&self) -> usize {
        self.env.action_space().n
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError> {
        self.env.reset(seed)
    }

    fn step(&mut self, action: usize) -> Result<Stepped, EnvError> {
        let Step {
            reward,
            terminated,
            truncated,
            invalid_action,
            report,
        } = self.env.step(action)?;
        Ok(Stepped {
            reward,
            terminated,
            truncated,
            invalid_action,
            report: report.map(|r| reported::<F>(&r, &self.scenario)),
        })
    }

    fn observation(&self) -> &[f32] {
        self.env.observation()
    }

    fn action_mask(&self) -> &[bool] {
        self.env.action_mask()
    }

    fn boxed_clone(&self) -> Box<dyn AnyEnv> {
        Box::new(Played::<F>::new(self.env.clone(), self.scenario.clone()))
    }
}

/// Many environments of formulation `F`.
pub(crate) struct VecPlayed<F: Plays> {
    envs: VecEnv<F::Env>,
    buffers: Buffers,
    scenario: String,
}

impl<F: Plays> VecPlayed<F> {
    /// `envs`, on the scenario called `scenario`.
    pub(crate) fn new(envs: VecEnv<F::Env>, scenario: String) -> VecPlayed<F> {
        let buffers = Buffers::new(
            envs.len(),
            envs.observation_space().len(),
            envs.action_space().n,
        );
        VecPlayed {
            envs,
            buffers,
            scenario,
        }
    }
}

impl<F: Plays> AnyVecEnv for VecPlayed<F> {
    fn len(&self) -> usize {
        self.envs.len()
    }

    fn observation_space(&self) -> &BoxSpace {
        self.envs.observation_space()
    }

    fn actions(&self) -> usize {
        self.envs.action_space().n
    }

    fn set_parallel(&mut self, parallel: bool) {
        self.envs.set_parallel(parallel);
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError> {
        self.envs.reset(seed, &mut self.buffers)
    }

    fn step(&mut self, actions: &[usize]) -> Result<VecStep, EnvError> {
        let reports = self.envs.step(actions, &mut self.buffers)?;
        Ok(reports
            .iter()
            .map(|(i, r)| (*i, reported::<F>(r, &self.scenario)))
            .collect())
    }

    fn buffers(&self) -> &Buffers {
        &self.buffers
    }
}
