//! The `batching` environment: the admission decisions of a continuous-batching scheduler on
//! the edge servers of a scenario's `[batching]` section, one waiting request at a time.
//!
//! - **Decisions**: the trace (the section's, or any given) is cut, from the section's
//!   `start`, into consecutive windows of `requests` arrivals. Each window is one decision: a
//!   [`BatchingInstance`] with every server idle, serving the section's model at one of its
//!   precisions, the window's requests waiting (arrival gaps shortened by the section's
//!   `arrival_speedup`, the decision taken when the last one arrives), SLOs from the section
//!   or MLPerf's, and every request's narrowest accepted precision drawn with the section's
//!   shares from a seed derived from the episode's seed and the window index
//!   ([`crate::replay::instance_seed`]). Requests that no server could serve even alone stay in
//!   the instance and can only be rejected.
//! - **Episode**: `epochs_per_episode` consecutive windows, starting at a seeded window.
//! - **Step**: the waiting requests of a decision are presented one at a time in arrival
//!   order; the action rejects the current request or admits it to a server at a precision
//!   (see [`BatchingLayout`] for the actions, the mask and the observation). The reward is the
//!   request's value in the objective when it is admitted and 0 otherwise, so **the rewards of
//!   a decision sum to the objective that [`BatchingInstance::evaluate`] gives the agent's
//!   decision**.
//! - **Decision end**: the step on a decision's last request carries a [`DecisionReport`]:
//!   the agent's decision and objective and the answer of the reference solver (the certified
//!   `exact` MILP by default, with a time limit) on the same instance, with the regret
//!   `optimum − objective`.
//! - **Masks and invalid actions**: the mask admits only where the whole batch stays feasible
//!   (memory, TTFT, TPOT and the accuracy tier, not memory alone). An action outside the mask
//!   is carried out as *reject* and flagged ([`Step::invalid_action`]); an action outside the
//!   space is an error.
//! - **Determinism**: `reset(Some(seed))` fixes the start window and every draw;
//!   `reset(None)` continues the random stream; a new environment behaves as if seeded with 0.
//!
//! ```
//! use mei4llm::env::Env;
//! use mei4llm::problems::batching::env::{BatchingEnv, BatchingEnvOptions};
//! use mei4llm::system::Scenario;
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! let scenario = Arc::new(Scenario::from_path(Path::new("scenarios/batching-small.toml"))?);
//! let options = BatchingEnvOptions {
//!     epochs_per_episode: 1,
//!     optimum: Some("exact".into()),
//!     ..BatchingEnvOptions::default()
//! };
//! let mut env = BatchingEnv::new(scenario, options)?;
//! env.reset(Some(3))?;
//! let mut rewards = 0.0;
//! loop {
//!     // First fit: the first valid admission, else reject.
//!     let mask = env.action_mask();
//!     let action = (1..mask.len()).find(|&a| mask[a]).unwrap_or(0);
//!     let step = env.step(action)?;
//!     rewards += step.reward;
//!     if let Some(report) = &step.report {
//!         // The rewards add up to the agent's objective; the certified optimum is no smaller.
//!         assert!(report.feasible);
//!         assert_eq!(rewards, report.objective);
//!         let optimum = report.optimum.as_ref().unwrap();
//!         assert_eq!(optimum.status, "optimal");
//!         assert!(optimum.regret.unwrap() >= 0.0);
//!     }
//!     if step.terminated {
//!         break;
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! References: Yu et al., "Orca: a distributed serving system for transformer-based generative
//! models" (OSDI 2022) for iteration-level admission; Zhang et al., "Edge intelligence
//! optimization for large language model inference with batching and quantization" (arXiv
//! 2405.07140, 2024) for the batching decision at the edge.

mod layout;
mod options;
mod policy;

pub use layout::{BatchAction, BatchingLayout};
pub use options::{BatchingEnvArgs, BatchingEnvOptions};
pub use policy::BatchingPolicy;

use crate::env::space::{BoxSpace, Discrete};
use crate::env::{Env, EnvError, Frame, OptimumReport, Span, Step, args, reference};
use crate::problems::Batching;
use crate::problems::batching::{
    self, BatchDecision, BatchingInstance, Packing, TraceWindow, precision_index,
};
use crate::problems::formulation::first_violation;
use crate::replay::{instance_seed, solver_seed};
use crate::solve::Problem;
use crate::system::Scenario;
use crate::system::trace::{Request, TraceReader};
use serde::Serialize;
use std::sync::Arc;

/// The end of a decision: the agent's batch and the reference solver's.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionReport {
    /// The window's index among the trace's windows.
    pub window: u64,
    /// Waiting requests of the decision.
    pub requests: usize,
    /// Requests no server could serve even alone (only rejecting them was valid).
    pub unservable: usize,
    /// Requests the agent admitted.
    pub admitted: usize,
    /// The agent's objective as [`BatchingInstance::evaluate`] computes it (the sum of the
    /// decision's rewards).
    pub objective: f64,
    /// Whether the agent's decision breaks no constraint (always, when it followed the mask).
    pub feasible: bool,
    /// The first violated constraint, if any.
    pub reason: Option<String>,
    /// The reference solver's answer with the regret `optimum − objective`, unless the
    /// optimum option is off.
    pub optimum: Option<OptimumReport>,
    /// The decision's instance.
    #[serde(skip)]
    pub instance: Arc<BatchingInstance>,
    /// The agent's decision.
    #[serde(skip)]
    pub decision: BatchDecision,
}

/// The `batching` environment (see the module documentation).
#[derive(Clone)]
pub struct BatchingEnv {
    scenario: Arc<Scenario>,
    section: Arc<batching::Section>,
    options: BatchingEnvOptions,
    /// The trace's windows of waiting requests, in order.
    windows: Arc<Vec<Vec<Request>>>,
    layout: BatchingLayout,
    frame: Frame,
    episode: Option<Episode>,
}

/// The episode under way.
#[derive(Clone)]
struct Episode {
    span: Span,
    /// The decision being taken; `None` once the episode is over.
    current: Option<Decision>,
}

/// A decision being taken.
#[derive(Clone)]
struct Decision {
    window: u64,
    instance: Arc<BatchingInstance>,
    /// The admissions so far: request, server, index in [`Precision::ALL`].
    admitted: Vec<(usize, usize, usize)>,
    /// The request being presented.
    position: usize,
}

impl Decision {
    /// The servers filled with the admissions so far.
    fn packing(&self) -> Packing<'_> {
        let mut packing = Packing::new(&self.instance, &[]);
        for &(k, j, q) in &self.admitted {
            packing.add(k, j, q);
        }
        packing
    }
}

impl BatchingEnv {
    /// Reads the trace, cuts it into windows and checks the options; the first window's
    /// instance is built once so that a scenario that cannot be planned fails here.
    pub fn new(
        scenario: Arc<Scenario>,
        options: BatchingEnvOptions,
    ) -> Result<BatchingEnv, EnvError> {
        let section = batching::Section::of(&scenario)
            .map_err(|e| EnvError::option("scenario", e.to_string()))?;
        args::check_epochs_per_episode(options.epochs_per_episode)?;
        let requests = options.requests.unwrap_or(section.requests as usize);
        if requests == 0 {
            return Err(EnvError::option("requests", "must be at least 1, got 0"));
        }
        args::check_reference::<Batching>(options.optimum.as_deref())?;
        let trace = options
            .trace
            .clone()
            .unwrap_or_else(|| section.trace.clone());
        let windows = windows(&trace, section.start_s, requests)?;
        if windows.len() < options.epochs_per_episode {
            return Err(EnvError::option(
                "epochs_per_episode",
                format!(
                    "{} decisions of {requests} requests per episode, but {} holds only {} such windows after {} s",
                    options.epochs_per_episode,
                    trace,
                    windows.len(),
                    section.start_s
                ),
            ));
        }
        let layout = BatchingLayout {
            servers: scenario.edge_servers.len(),
            precisions: section.precisions.clone(),
        };
        let env = BatchingEnv {
            frame: Frame::new(layout.observation_space(), layout.action_space()),
            scenario: scenario.clone(),
            section: Arc::new(section),
            options,
            windows: Arc::new(windows),
            layout,
            episode: None,
        };
        env.instance(0, 0)?;
        Ok(env)
    }

    /// The action and observation layout.
    pub fn layout(&self) -> &BatchingLayout {
        &self.layout
    }

    /// The options the environment was built with.
    pub fn options(&self) -> &BatchingEnvOptions {
        &self.options
    }

    /// Number of windows (decisions) the trace was cut into.
    pub fn window_count(&self) -> usize {
        self.windows.len()
    }

    /// The instance of the decision being taken and the index of the current request in it.
    pub fn current(&self) -> Option<(&BatchingInstance, usize)> {
        let d = self.episode.as_ref()?.current.as_ref()?;
        Some((&d.instance, d.position))
    }

    /// The instance of window `w` in an episode with `seed`: its first arrival is time 0 and
    /// the decision comes at its last.
    fn instance(&self, w: usize, seed: u64) -> Result<BatchingInstance, EnvError> {
        let rows = &self.windows[w];
        let window = TraceWindow {
            origin_s: rows.first().map_or(0.0, |r| r.arrival_s),
            decision_s: rows.last().map_or(0.0, |r| r.arrival_s),
        };
        let seed = instance_seed(seed, w as u64);
        Ok(BatchingInstance::from_requests(
            &self.scenario,
            &self.section,
            rows,
            window,
            seed,
            true,
        )?)
    }

    /// Loads the next decision of the episode (none once the episode is over).
    fn load_next_decision(&mut self) -> Result<(), EnvError> {
        let mut span = self.episode.as_ref().ok_or(EnvError::NeedsReset)?.span;
        let current = match span.advance() {
            Some(w) => Some(Decision {
                window: w as u64,
                instance: Arc::new(self.instance(w, span.seed)?),
                admitted: Vec::new(),
                position: 0,
            }),
            None => None,
        };
        let episode = self.episode.as_mut().ok_or(EnvError::NeedsReset)?;
        episode.span = span;
        episode.current = current;
        Ok(())
    }

    /// Writes the observation and mask of the current request (or the terminal ones).
    fn observe(&mut self) {
        let current = self
            .episode
            .as_ref()
            .and_then(|e| Some((e.current.as_ref()?, e.span.left())));
        let frame = &mut self.frame;
        match current {
            Some((decision, decisions_left)) => self.layout.observe(
                &decision.packing(),
                decision.position,
                decisions_left,
                &mut frame.observation,
                &mut frame.mask,
            ),
            None => BatchingLayout::terminal(&mut frame.observation, &mut frame.mask),
        }
    }

    /// The report of a finished decision.
    fn report(&self, decision: &Decision, seed: u64) -> DecisionReport {
        let instance = &decision.instance;
        let batch = decision.packing().decision();
        let evaluation = instance.evaluate(&batch);
        let reason = first_violation(&evaluation);
        let objective = evaluation.objective;
        let optimum = self.options.optimum.as_deref().map(|name| {
            let seed = solver_seed(seed, decision.window);
            let time_limit = self.options.optimum_time_limit;
            let result = reference::<Batching>(name, instance, time_limit, seed);
            OptimumReport::of(name, result, 1.0, |o| o - objective)
        });
        DecisionReport {
            window: decision.window,
            requests: instance.requests.len(),
            unservable: instance.unservable().len(),
            admitted: batch.admitted(),
            objective,
            feasible: evaluation.is_feasible(),
            reason,
            optimum,
            instance: Arc::clone(instance),
            decision: batch,
        }
    }
}

impl Env for BatchingEnv {
    type Report = DecisionReport;

    fn observation_space(&self) -> &BoxSpace {
        self.frame.space()
    }

    fn action_space(&self) -> Discrete {
        self.frame.actions()
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError> {
        let count = self.options.epochs_per_episode;
        let span = self.frame.start(seed, self.windows.len(), count);
        self.episode = Some(Episode {
            span,
            current: None,
        });
        self.load_next_decision()?;
        self.observe();
        Ok(())
    }

    fn step(&mut self, action: usize) -> Result<Step<DecisionReport>, EnvError> {
        let invalid_action = self.frame.is_invalid(action)?;
        let admit = match self.layout.decode(action) {
            Some(BatchAction::Admit { server, precision }) if !invalid_action => {
                Some((server, precision_index(precision)))
            }
            _ => None,
        };
        let episode = self.episode.as_mut().ok_or(EnvError::NeedsReset)?;
        let seed = episode.span.seed;
        let decision = episode.current.as_mut().ok_or(EnvError::NeedsReset)?;
        let k = decision.position;
        let mut reward = 0.0;
        if let Some((j, q)) = admit {
            decision.admitted.push((k, j, q));
            reward = decision.instance.value(k);
        }
        decision.position += 1;
        let mut report = None;
        if decision.position == decision.instance.requests.len() {
            let finished = episode.current.take().ok_or(EnvError::NeedsReset)?;
            report = Some(self.report(&finished, seed));
            self.load_next_decision()?;
        }
        self.observe();
        let terminated = self.episode.as_ref().is_none_or(|e| e.current.is_none());
        Ok(Step {
            reward,
            terminated,
            truncated: false,
            invalid_action,
            report,
        })
    }

    fn observation(&self) -> &[f32] {
        &self.frame.observation
    }

    fn action_mask(&self) -> &[bool] {
        &self.frame.mask
    }
}

/// The windows of `requests` consecutive rows of `trace` that arrive from `start_s` on (a
/// last, shorter one left out).
fn windows(
    trace: &crate::system::DataPath,
    start_s: f64,
    requests: usize,
) -> Result<Vec<Vec<Request>>, EnvError> {
    let mut windows = Vec::new();
    let mut window = Vec::with_capacity(requests);
    for row in TraceReader::open(trace)? {
        let row = row?;
        if row.arrival_s < start_s {
            continue;
        }
        window.push(row);
        if window.len() == requests {
            windows.push(std::mem::replace(&mut window, Vec::with_capacity(requests)));
        }
    }
    Ok(windows)
}

#[cfg(test)]
mod tests {
    use crate::system::{Precision, Scenario};
    use std::path::Path;

    #[test]
    fn precisions_follow_the_shares() {
        let scenario = Scenario::from_path(Path::new("scenarios/batching-small.toml")).unwrap();
        let mut section = crate::problems::batching::Section::of(&scenario).unwrap();
        section.min_precision_shares = vec![
            (Precision::Fp16, 0.25),
            (Precision::Int8, 0.25),
            (Precision::Int4, 0.5),
        ];
        assert_eq!(section.min_precision(0.0), Precision::Fp16);
        assert_eq!(section.min_precision(0.2499), Precision::Fp16);
        assert_eq!(section.min_precision(0.25), Precision::Int8);
        assert_eq!(section.min_precision(0.5), Precision::Int4);
        // A draw that round-off leaves above the total takes the last precision with a share.
        section.min_precision_shares = vec![(Precision::Fp16, 0.5), (Precision::Int8, 0.499_999_9)];
        assert_eq!(section.min_precision(0.999_999_95), Precision::Int8);
    }
}
