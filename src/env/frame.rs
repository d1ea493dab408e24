//! What every environment keeps besides its problem: its spaces, its random stream, the
//! observation and mask it writes, and the span of the episode under way.

use super::EnvError;
use super::space::{BoxSpace, Discrete};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use std::sync::Arc;

/// The spaces, random stream, observation and mask of an environment.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    space: Arc<BoxSpace>,
    actions: Discrete,
    /// The random stream episodes start from.
    pub rng: StdRng,
    /// The current observation.
    pub observation: Vec<f32>,
    /// The valid actions of the current observation.
    pub mask: Vec<bool>,
}

impl Frame {
    /// The frame of an environment with observations in `space` and actions in `actions`, its
    /// random stream seeded with 0.
    pub fn new(space: BoxSpace, actions: Discrete) -> Frame {
        Frame {
            observation: vec![0.0; space.len()],
            mask: vec![false; actions.n],
            space: Arc::new(space),
            actions,
            rng: StdRng::seed_from_u64(0),
        }
    }

    /// The observation space.
    pub fn space(&self) -> &BoxSpace {
        &self.space
    }

    /// The action space.
    pub fn actions(&self) -> Discrete {
        self.actions
    }

    /// Whether `action`, which must be in the action space, is outside the mask.
    pub fn is_invalid(&self, action: usize) -> Result<bool, EnvError> {
        let n = self.actions.n;
        if action >= n {
            return Err(EnvError::ActionOutOfRange { action, n });
        }
        Ok(!self.mask[action])
    }

    /// The span of an episode of `count` consecutive units (epochs, windows) out of
    /// `available`: restarts the random stream from `seed` when given, then draws the
    /// episode's own seed and its first unit.
    pub fn start(&mut self, seed: Option<u64>, available: usize, count: usize) -> Span {
        if let Some(seed) = seed {
            self.rng = StdRng::seed_from_u64(seed);
        }
        let episode_seed = self.rng.next_u64();
        let first = self.rng.gen_range(0..=available - count);
        Span {
            seed: episode_seed,
            next: first,
            end: first + count,
        }
    }
}

/// The units (epochs, windows) of an episode not yet loaded, and the episode's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// The episode's seed.
    pub seed: u64,
    /// The next unit to load.
    pub next: usize,
    /// The unit after the episode's last.
    pub end: usize,
}

impl Span {
    /// The units left to load.
    pub fn left(&self) -> usize {
        self.end - self.next
    }

    /// The next unit, which is then loaded; `None` once the episode has none left.
    pub fn advance(&mut self) -> Option<usize> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
}
