//! The `split` environment: requests of a real trace are placed one at a time (tier, edge
//! server and split point), epoch after epoch, under uplink rates that vary as a measured
//! link does.
//!
//! - **Episode**: `epochs_per_episode` consecutive epochs of the trace (cut by the workload's
//!   rule or the one given), starting at a seeded epoch. Each epoch is a [`SplitInstance`]
//!   built by [`SplitInstance::from_trace`] (devices and models drawn with a seed derived from
//!   the episode's seed and the epoch index, [`crate::replay::instance_seed`]) on the scenario
//!   with each device's uplink scaled by a measured series (below). Requests that no choice can serve (context window, deadlines or memory) are dropped from their epoch
//!   and counted in its report; an epoch left without requests is skipped.
//! - **Step**: the action places the current request (see [`SplitLayout`] for the action and
//!   observation layout). The reward is minus the increase of the epoch objective when the
//!   request joins the plan, with bandwidth and compute shares at their closed form
//!   (`b ∝ √a`, [`crate::solve::waterfill`]). The last request of an epoch also receives the
//!   difference between the closed form and the optimal shares of the whole plan
//!   ([`crate::problems::split::allocate`], which honours deadlines), so that **the rewards of
//!   an epoch sum to minus the objective that [`SplitInstance::evaluate`] gives the agent's
//!   decision** (without deadlines that difference is zero).
//! - **Epoch end**: the step's [`EpochReport`] holds the agent's decision and objective, and,
//!   when the `optimum` option names one, the objective of that reference solver (`exact`, the
//!   certified optimum, or `descent`) on the same instance within its time limit, with the
//!   regret `agent − optimum`.
//! - **Masks and invalid actions**: see [`SplitLayout`]. An action outside the mask is carried
//!   out as the first valid action and flagged ([`Step::invalid_action`]); an action outside
//!   the space is an error.
//! - **Link rates**: the scenario gives each radio a measured percentile (e.g. the NUWINS 5G
//!   static median uplink, 102.8 Mbit/s). Over an episode each device's uplink is that figure
//!   times `series[(offset + t) mod len] / median(series)`, where `series` is a 5Gophers
//!   throughput series (Narayanan et al., WWW 2020; one sample per second; Verizon mmWave to
//!   US-East with one connection by default, [`LinkSeries`]), `t` the whole seconds since the
//!   episode's first epoch began and `offset` a seeded draw per device and episode. The rates
//!   keep the scenario's median and take the measured variation of a real link; a series with
//!   outages (samples of 0) is refused, as a zero rate has no finite latency to plan with.
//! - **Determinism**: `reset(Some(seed))` fixes the whole episode (start epoch, link offsets,
//!   instances); `reset(None)` continues the random stream. A new environment behaves as if
//!   seeded with 0. The reference solver is deterministic unless its time limit stops it.
//!
//! ```
//! use mei4llm::env::Env;
//! use mei4llm::problems::split::env::{SplitEnv, SplitEnvOptions};
//! use mei4llm::system::Scenario;
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! let scenario = Arc::new(Scenario::from_path(Path::new("scenarios/small.toml"))?);
//! let options = SplitEnvOptions {
//!     epochs_per_episode: 1,
//!     optimum: Some("exact".into()),
//!     ..SplitEnvOptions::default()
//! };
//! let mut env = SplitEnv::new(scenario, options)?;
//! env.reset(Some(7))?;
//! let mut rewards = 0.0_f64;
//! loop {
//!     // The valid action with the smallest marginal cost (the greedy policy).
//!     let (observation, mask) = (env.observation(), env.action_mask());
//!     let action = (0..mask.len())
//!         .filter(|&a| mask[a])
//!         .min_by(|&a, &b| observation[a].total_cmp(&observation[b]))
//!         .unwrap();
//!     let step = env.step(action)?;
//!     rewards += step.reward;
//!     if let Some(report) = &step.report {
//!         // The rewards of the epoch add up to minus the agent's objective, and the certified
//!         // optimum is no worse.
//!         assert!((rewards + report.objective).abs() < 1e-9 * report.objective);
//!         let optimum = report.optimum.as_ref().unwrap();
//!         assert!(report.objective >= optimum.bound.unwrap() * (1.0 - 1e-9));
//!     }
//!     if step.terminated {
//!         break;
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod layout;
mod links;
mod options;
mod policy;

pub use layout::SplitLayout;
pub(crate) use layout::state_of;
pub use options::{LinkSeries, SplitEnvArgs, SplitEnvOptions};
pub use policy::SplitPolicy;

use crate::env::space::{BoxSpace, Discrete};
use crate::env::{Env, EnvError, Frame, OptimumReport, Span, Step, args, reference};
use crate::problems::Split;
use crate::problems::formulation::first_violation;
use crate::problems::split::{SplitDecision, SplitInstance, allocate};
use crate::replay::{instance_seed, solver_seed};
use crate::solve::Problem;
use crate::system::trace::{Epoch, EpochRule, Epochs, TraceReader};
use crate::system::{DataPath, Scenario};
use links::LinkTrace;
use rand::Rng;
use serde::Serialize;
use std::sync::Arc;

/// The end of an epoch: what the agent's plan costs and what the reference solver found.
#[derive(Debug, Clone, Serialize)]
pub struct EpochReport {
    /// The epoch's index in the trace ([`Epoch::index`]).
    pub epoch: u64,
    /// Requests planned in the epoch.
    pub requests: usize,
    /// Requests left out because no choice could serve them (also those of skipped epochs
    /// since the previous report).
    pub dropped_requests: usize,
    /// The agent's objective as [`SplitInstance::evaluate`] computes it (the closed-form
    /// objective when no shares can meet the deadlines of its choices).
    pub objective: f64,
    /// Whether the agent's decision breaks no constraint.
    pub feasible: bool,
    /// The first violated constraint, or why no shares meet the deadlines.
    pub reason: Option<String>,
    /// The reference solver's answer, unless the optimum option is `none`.
    pub optimum: Option<OptimumReport>,
    /// The epoch's instance.
    #[serde(skip)]
    pub instance: Arc<SplitInstance>,
    /// The agent's decision with its optimal shares (absent when no shares meet the deadlines).
    #[serde(skip)]
    pub decision: Option<SplitDecision>,
}

/// The `split` environment (see the module documentation).
#[derive(Clone)]
pub struct SplitEnv {
    scenario: Arc<Scenario>,
    options: SplitEnvOptions,
    epochs: Arc<Vec<Epoch>>,
    links: Arc<LinkTrace>,
    layout: SplitLayout,
    frame: Frame,
    episode: Option<Episode>,
}

/// The episode under way.
#[derive(Clone)]
struct Episode {
    /// Positions in the trace's epochs of the epochs still to load, and the episode's seed.
    span: Span,
    start_s: f64,
    /// Per device, its offset in the throughput series.
    offsets: Vec<usize>,
    /// The epoch being planned; `None` once the episode is over.
    current: Option<EpochPlan>,
}

/// An epoch being planned.
#[derive(Clone)]
struct EpochPlan {
    index: u64,
    instance: Arc<SplitInstance>,
    /// Candidate index of every request placed so far.
    picks: Vec<usize>,
    /// The closed-form objective of those requests.
    objective_so_far: f64,
    dropped: usize,
}

impl SplitEnv {
    /// Reads the trace, cuts it into epochs and checks the options; the first epoch's instance
    /// is built once so that a scenario that cannot be planned fails here.
    pub fn new(scenario: Arc<Scenario>, options: SplitEnvOptions) -> Result<SplitEnv, EnvError> {
        args::check_epochs_per_episode(options.epochs_per_episode)?;
        args::check_reference::<Split>(options.optimum.as_deref())?;
        let trace = args::workload_trace(options.trace.as_ref(), &scenario)?;
        let rule = epoch_rule(options.epoch, &scenario)?;
        let start_s = scenario.workload.as_ref().map_or(0.0, |w| w.start_s);
        let epochs = epochs(&trace, rule, start_s)?;
        if epochs.len() < options.epochs_per_episode {
            return Err(EnvError::option(
                "epochs_per_episode",
                format!(
                    "{} epochs per episode, but {} holds only {} epochs after {start_s} s",
                    options.epochs_per_episode,
                    trace,
                    epochs.len()
                ),
            ));
        }
        let links = LinkTrace::five_gophers(&options.links)?;
        let layout = SplitLayout::of(&scenario);
        let env = SplitEnv {
            frame: Frame::new(layout.observation_space(), layout.action_space()),
            scenario,
            options,
            epochs: Arc::new(epochs),
            links: Arc::new(links),
            layout,
            episode: None,
        };
        let offsets = vec![0; env.scenario.devices.len()];
        env.instance(&env.epochs[0], 0, &offsets, env.epochs[0].start_s)?;
        Ok(env)
    }

    /// The action and observation layout.
    pub fn layout(&self) -> SplitLayout {
        self.layout
    }

    /// The options the environment was built with.
    pub fn options(&self) -> &SplitEnvOptions {
        &self.options
    }

    /// Number of epochs the trace was cut into.
    pub fn epoch_count(&self) -> usize {
        self.epochs.len()
    }

    /// The instance of the epoch being planned and the index of the current request in it.
    pub fn current(&self) -> Option<(&SplitInstance, usize)> {
        let plan = self.episode.as_ref()?.current.as_ref()?;
        Some((&plan.instance, plan.picks.len()))
    }

    /// The instance of `epoch` for an episode with `seed`, link `offsets` and start `start_s`,
    /// and the number of requests dropped from it.
    fn instance(
        &self,
        epoch: &Epoch,
        seed: u64,
        offsets: &[usize],
        start_s: f64,
    ) -> Result<(SplitInstance, usize), EnvError> {
        let second = (epoch.start_s - start_s).max(0.0).floor() as u64;
        let scenario = Arc::new(self.links.scaled(&self.scenario, offsets, second));
        let instance = SplitInstance::from_trace(
            Arc::clone(&scenario),
            &epoch.requests,
            self.options.objective,
            instance_seed(seed, epoch.index),
        )?;
        if instance.infeasibility().is_none() {
            return Ok((instance, 0));
        }
        let kept: Vec<_> = (0..instance.requests.len())
            .filter(|&k| !instance.candidates(k).is_empty())
            .map(|k| instance.requests[k].clone())
            .collect();
        let dropped = instance.requests.len() - kept.len();
        let instance = SplitInstance::new(scenario, kept, self.options.objective)?;
        Ok((instance, dropped))
    }

    /// Loads the next epoch of the episode that has a request (`current` stays `None` when
    /// the episode has none left).
    fn load_next_epoch(&mut self) -> Result<(), EnvError> {
        let mut dropped = 0;
        loop {
            let Some(episode) = self.episode.as_ref() else {
                return Err(EnvError::NeedsReset);
            };
            let mut span = episode.span;
            let Some(next) = span.advance() else {
                if let Some(e) = self.episode.as_mut() {
                    e.current = None;
                }
                return Ok(());
            };
            let epoch = &self.epochs[next];
            let (instance, lost) =
                self.instance(epoch, span.seed, &episode.offsets, episode.start_s)?;
            dropped += lost;
            let index = epoch.index;
            let Some(episode) = self.episode.as_mut() else {
                return Err(EnvError::NeedsReset);
            };
            episode.span = span;
            if !instance.requests.is_empty() {
                episode.current = Some(EpochPlan {
                    index,
                    instance: Arc::new(instance),
                    picks: Vec::new(),
                    objective_so_far: 0.0,
                    dropped,
                });
                return Ok(());
            }
        }
    }

    /// Writes the observation and mask of the current request (or the terminal ones).
    fn observe(&mut self) {
        let frame = &mut self.frame;
        match self.episode.as_ref().and_then(|e| e.current.as_ref()) {
            Some(plan) => {
                let state = state_of(&plan.instance, &plan.picks);
                self.layout.observe(
                    &plan.instance,
                    &state,
                    plan.picks.len(),
                    &mut frame.observation,
                    &mut frame.mask,
                );
            }
            None => SplitLayout::terminal(&mut frame.observation, &mut frame.mask),
        }
    }

    /// The report of a finished epoch and the agent's objective.
    fn report(&self, plan: EpochPlan, seed: u64) -> EpochReport {
        let instance = &plan.instance;
        let options: Vec<_> = plan
            .picks
            .iter()
            .enumerate()
            .map(|(k, &i)| &instance.candidates(k)[i])
            .collect();
        let (objective, feasible, reason, decision) = match allocate(instance, &options) {
            Ok(allocated) => {
                let evaluation = instance.evaluate(&allocated.decision);
                (
                    evaluation.objective,
                    evaluation.is_feasible(),
                    first_violation(&evaluation),
                    Some(allocated.decision),
                )
            }
            Err(why) => (
                state_of(instance, &plan.picks).objective(),
                false,
                Some(why),
                None,
            ),
        };
        let optimum = self.options.optimum.as_deref().map(|name| {
            let seed = solver_seed(seed, plan.index);
            let time_limit = self.options.optimum_time_limit;
            let result = reference::<Split>(name, instance, time_limit, seed);
            OptimumReport::of(name, result, 1.0, |o| objective - o)
        });
        EpochReport {
            epoch: plan.index,
            requests: instance.requests.len(),
            dropped_requests: plan.dropped,
            objective,
            feasible,
            reason,
            optimum,
            instance: Arc::clone(&plan.instance),
            decision,
        }
    }
}

impl Env for SplitEnv {
    type Report = EpochReport;

    fn observation_space(&self) -> &BoxSpace {
        self.frame.space()
    }

    fn action_space(&self) -> Discrete {
        self.frame.actions()
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError> {
        let count = self.options.epochs_per_episode;
        let span = self.frame.start(seed, self.epochs.len(), count);
        let offsets = (0..self.scenario.devices.len())
            .map(|_| self.frame.rng.gen_range(0..self.links.len()))
            .collect();
        self.episode = Some(Episode {
            span,
            start_s: self.epochs[span.next].start_s,
            offsets,
            current: None,
        });
        self.load_next_epoch()?;
        self.observe();
        Ok(())
    }

    fn step(&mut self, action: usize) -> Result<Step<EpochReport>, EnvError> {
        self.frame.is_invalid(action)?;
        let episode = self.episode.as_mut().ok_or(EnvError::NeedsReset)?;
        let seed = episode.span.seed;
        let plan = episode.current.as_mut().ok_or(EnvError::NeedsReset)?;
        let k = plan.picks.len();
        let mask = &mut self.frame.mask;
        let chosen = mask
            .get(action)
            .copied()
            .unwrap_or(false)
            .then(|| self.layout.candidate(&plan.instance, k, action))
            .flatten();
        let (i, invalid_action) = match chosen {
            Some(i) => (i, false),
            None => {
                let first_valid = plan
                    .instance
                    .candidates(k)
                    .iter()
                    .position(|o| self.layout.action(o.choice).is_some_and(|a| mask[a]));
                (first_valid.unwrap_or(0), true)
            }
        };
        plan.picks.push(i);
        if plan.picks.len() < plan.instance.requests.len() {
            // One plan state gives the reward and the next observation.
            let state = state_of(&plan.instance, &plan.picks);
            let after = state.objective();
            let reward = -(after - plan.objective_so_far);
            plan.objective_so_far = after;
            self.layout.observe(
                &plan.instance,
                &state,
                plan.picks.len(),
                &mut self.frame.observation,
                mask,
            );
            return Ok(Step {
                reward,
                terminated: false,
                truncated: false,
                invalid_action,
                report: None,
            });
        }
        let finished = episode.current.take().ok_or(EnvError::NeedsReset)?;
        let before = finished.objective_so_far;
        let report = self.report(finished, seed);
        let reward = -(report.objective - before);
        self.load_next_epoch()?;
        self.observe();
        let terminated = self.episode.as_ref().is_none_or(|e| e.current.is_none());
        Ok(Step {
            reward,
            terminated,
            truncated: false,
            invalid_action,
            report: Some(report),
        })
    }

    fn observation(&self) -> &[f32] {
        &self.frame.observation
    }

    fn action_mask(&self) -> &[bool] {
        &self.frame.mask
    }
}

/// The epoch rule of the environment: `given`, else the scenario's `[workload]` one (its
/// `window`, else its `requests`, else one request an epoch).
fn epoch_rule(given: Option<EpochRule>, scenario: &Scenario) -> Result<EpochRule, EnvError> {
    match (given, scenario.workload.as_ref()) {
        (Some(rule), _) => Ok(rule),
        (None, Some(w)) => Ok(match (w.window_s, w.requests) {
            (Some(seconds), _) => EpochRule::Window { seconds },
            (None, Some(n)) => EpochRule::Count {
                requests: n as usize,
            },
            (None, None) => EpochRule::Count { requests: 1 },
        }),
        (None, None) => Err(EnvError::option(
            "epoch",
            format!(
                "scenario `{}` has no [workload] epoch rule; give one",
                scenario.name
            ),
        )),
    }
}

/// The epochs `rule` cuts `trace` into, from its arrivals at `start_s` on.
fn epochs(trace: &DataPath, rule: EpochRule, start_s: f64) -> Result<Vec<Epoch>, EnvError> {
    let stream = TraceReader::open(trace)?
        .filter(move |r| r.as_ref().map_or(true, |r| r.arrival_s >= start_s));
    Ok(Epochs::new(stream, rule)?.collect::<Result<_, _>>()?)
}
