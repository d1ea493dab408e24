//! What a solver may spend.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The most threads a solve, a replay or an environment may ask for: far above any machine's
/// cores for these problems, and low enough that a typo cannot start thousands of threads.
pub const MAX_THREADS: usize = 256;

/// Limits and knobs every solver honours.
///
/// ```
/// use mei4llm::solve::Budget;
/// use std::time::Duration;
///
/// let budget = Budget::default().with_time_limit(Duration::from_secs(5)).with_gap(1e-4);
/// assert_eq!(budget.gap, 1e-4);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    /// Wall-clock limit; `None` runs to the end.
    pub time_limit: Option<Duration>,
    /// Relative optimality gap at which an exact solver may stop and call its result optimal:
    /// `|objective − bound| / max(|objective|, 1e-9) ≤ gap`.
    pub gap: f64,
    /// Threads a solver may use (1 keeps solves independent when many run in parallel).
    pub threads: usize,
    /// Seed of every random choice, so that runs repeat exactly.
    pub seed: u64,
    /// Let the back end print its log.
    pub verbose: bool,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            time_limit: None,
            gap: 1e-6,
            threads: 1,
            seed: 0,
            verbose: false,
        }
    }
}

impl Budget {
    /// Sets the wall-clock limit.
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Sets the relative optimality gap.
    pub fn with_gap(mut self, gap: f64) -> Self {
        self.gap = gap;
        self
    }

    /// Sets the thread count.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks that the gap is in `[0, 1)` and the thread count in `1..=MAX_THREADS`.
    pub fn validate(&self) -> Result<(), super::SolveError> {
        if !(0.0..1.0).contains(&self.gap) {
            return Err(super::SolveError::InvalidBudget(format!(
                "gap must be in [0, 1), got {}",
                self.gap
            )));
        }
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(super::SolveError::InvalidBudget(format!(
                "threads must be in 1..={MAX_THREADS}, got {}",
                self.threads
            )));
        }
        Ok(())
    }
}
