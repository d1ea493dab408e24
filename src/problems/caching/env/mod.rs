//! The `caching` environment: online model replacement in the edge caches of a scenario's
//! `[caching]` section, one request at a time.
//!
//! - **Requests**: the arrivals of a real trace (Azure LLM inference 2023 by default through
//!   the scenario's workload, or any trace given; only arrival times are used), each assigned a
//!   user drawn by the users' request shares `a_k` and a model drawn by that user's
//!   probabilities `p_k` ([`CachingInstance::from_scenario`]: the scenario's Zipf popularity or
//!   request counts), with a seed per episode. A request `(k, i)` is a **hit** when a server that
//!   covers user `k` and can deliver model `i` within the latency bound stores it: the hit rule
//!   of the placement problem ([`CachingInstance`]).
//! - **Episode**: `epochs_per_episode` consecutive windows of the trace (cut by the window
//!   rule), starting at a seeded window, with empty caches.
//! - **Step**: see [`CachingLayout`] for the actions and observation. The reward is 1 on the
//!   step that serves a hit (its action is then *pass*) and 0 otherwise, so the rewards of a
//!   window sum to its hits. Storage is counted in blocks: admitting a LoRA model whose base is
//!   stored costs only the adapter's bytes ([`crate::problems::caching::ModelLibrary`]).
//! - **Window end**: the step serving a window's last request carries a [`WindowReport`]: the
//!   agent's hits and the **offline optimum** of the window, the exact caching MILP on the
//!   window's empirical demand (users weighted by their requests in the window, each user's
//!   models by their counts). That optimum is the most hits that one placement, chosen knowing
//!   the window's requests and held for the whole window, would have scored; it ignores that
//!   the caches must be filled first. It is not a bound on online policies that change the
//!   caches during the window (they can beat it, so the regret `optimum − hits` can be
//!   negative), nor on any other window.
//! - **Invalid actions**: an action outside the mask is carried out as *pass* and flagged
//!   ([`Step::invalid_action`]); an action outside the space is an error.
//! - **Determinism**: `reset(Some(seed))` fixes the start window and every draw;
//!   `reset(None)` continues the random stream; a new environment behaves as if seeded with 0.
//!
//! References: Qu et al., "TrimCaching: parameter-sharing AI model caching in wireless edge
//! networks" (ICDCS 2024) for the hit rule and block sharing; Belady, "A study of replacement
//! algorithms for a virtual-storage computer" (IBM Systems Journal, 1966) for offline
//! replacement as the reference of online policies.

mod caches;
mod layout;
mod options;

pub use layout::{CacheAction, CachingLayout};
pub use options::{CachingEnvArgs, CachingEnvOptions};

use crate::env::space::{BoxSpace, Discrete};
use crate::env::{Env, EnvError, Frame, OptimumReport, Span, Step, args, reference};
use crate::problems::Caching;
use crate::problems::caching::{CachingInstance, CachingParts, Placement};
use crate::replay::solver_seed;
use crate::solve::SolveError;
use crate::system::trace::{EpochRule, Epochs, TraceReader};
use crate::system::{DataPath, Scenario};
use caches::Caches;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::sync::Arc;

/// The end of a window: the agent's hits and the offline optimum.
#[derive(Debug, Clone, Serialize)]
pub struct WindowReport {
    /// The window's index in the trace.
    pub window: u64,
    /// Requests in the window.
    pub requests: usize,
    /// Requests that some server could deliver in time (the others always miss).
    pub reachable: usize,
    /// The agent's hits (the sum of the window's rewards).
    pub hits: usize,
    /// The offline optimum in hits, and the regret `optimum − hits` (absent when the optimum
    /// option is off).
    pub optimum: Option<OptimumReport>,
    /// The placement problem of the window's empirical demand, whose hit ratio times
    /// `requests` is a count of hits (absent when the optimum option is off).
    #[serde(skip)]
    pub instance: Option<Arc<CachingInstance>>,
    /// The caches at the end of the window.
    #[serde(skip)]
    pub placement: Placement,
}

/// The `caching` environment (see the module documentation).
#[derive(Clone)]
pub struct CachingEnv {
    instance: Arc<CachingInstance>,
    options: CachingEnvOptions,
    /// Per window of the trace: its index and number of requests.
    windows: Arc<Vec<(u64, usize)>>,
    /// `serving[k][i]`: the servers that can deliver model `i` to user `k` in time.
    serving: Arc<Vec<Vec<Vec<usize>>>>,
    /// Cumulative request shares of the users.
    users_cdf: Arc<Vec<f64>>,
    /// Per user, cumulative model probabilities.
    models_cdf: Arc<Vec<Vec<f64>>>,
    layout: CachingLayout,
    frame: Frame,
    episode: Option<Episode>,
}

/// The episode under way.
#[derive(Clone)]
struct Episode {
    span: Span,
    draws: StdRng,
    caches: Caches,
    /// The window being served; `None` once the episode is over.
    window: Option<Window>,
}

/// A window being served.
#[derive(Clone)]
struct Window {
    index: u64,
    /// `(user, model)` of every request.
    requests: Vec<(usize, usize)>,
    position: usize,
    hits: usize,
    reachable: usize,
    /// Requests per model so far.
    counts: Vec<f64>,
}

/// Cumulative sums of `weights`.
fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .map(|w| {
            total += w;
            total
        })
        .collect()
}

/// The index that a uniform draw in `[0, 1)` picks from a cumulative distribution (the last
/// one with positive weight when round-off leaves the total below the draw).
fn pick(cdf: &[f64], draw: f64) -> usize {
    let total = cdf.last().copied().unwrap_or(0.0);
    let at = cdf.partition_point(|&c| c <= draw * total);
    if at < cdf.len() {
        return at;
    }
    (0..cdf.len())
        .rev()
        .find(|&j| cdf[j] > if j == 0 { 0.0 } else { cdf[j - 1] })
        .unwrap_or(0)
}

impl CachingEnv {
    /// Builds the placement problem of the scenario's `[caching]` section, reads the trace and
    /// cuts it into windows, and checks the options.
    pub fn new(
        scenario: Arc<Scenario>,
        options: CachingEnvOptions,
    ) -> Result<CachingEnv, EnvError> {
        args::check_epochs_per_episode(options.epochs_per_episode)?;
        args::check_reference::<Caching>(options.optimum.as_deref())?;
        let instance = CachingInstance::from_scenario(&scenario)?;
        let trace = args::workload_trace(options.trace.as_ref(), &scenario)?;
        let windows = windows(&trace, options.window)?;
        if windows.len() < options.epochs_per_episode {
            return Err(EnvError::option(
                "epochs_per_episode",
                format!(
                    "{} windows per episode, but {} holds only {} windows",
                    options.epochs_per_episode,
                    trace,
                    windows.len()
                ),
            ));
        }
        let serving = serving(&instance);
        let users_cdf = cumulative(instance.users.iter().map(|u| u.weight));
        let models_cdf = instance
            .probabilities
            .iter()
            .map(|row| cumulative(row.iter().copied()))
            .collect();
        let layout = CachingLayout {
            servers: instance.servers.len(),
            models: instance.library.models.len(),
        };
        Ok(CachingEnv {
            frame: Frame::new(layout.observation_space(), layout.action_space()),
            instance: Arc::new(instance),
            options,
            windows: Arc::new(windows),
            serving: Arc::new(serving),
            users_cdf: Arc::new(users_cdf),
            models_cdf: Arc::new(models_cdf),
            layout,
            episode: None,
        })
    }

    /// The action and observation layout.
    pub fn layout(&self) -> CachingLayout {
        self.layout
    }

    /// The placement problem of the scenario (users, links, library, storage).
    pub fn instance(&self) -> &CachingInstance {
        &self.instance
    }

    /// The options the environment was built with.
    pub fn options(&self) -> &CachingEnvOptions {
        &self.options
    }

    /// The current request `(user, model)`, if the episode is under way.
    pub fn request(&self) -> Option<(usize, usize)> {
        let w = self.episode.as_ref()?.window.as_ref()?;
        w.requests.get(w.position).copied()
    }

    /// What the caches hold now, as a placement (empty before the first reset).
    pub fn placement(&self) -> Placement {
        self.episode.as_ref().map_or_else(
            || Placement::empty(self.layout.servers),
            |e| e.caches.placement(),
        )
    }

    /// Loads the next window of the episode (none once the episode is over).
    fn load_next_window(&mut self) {
        let Some(episode) = self.episode.as_mut() else {
            return;
        };
        let Some(next) = episode.span.advance() else {
            episode.window = None;
            return;
        };
        let (index, count) = self.windows[next];
        let requests = (0..count)
            .map(|_| {
                let k = pick(&self.users_cdf, episode.draws.r#gen());
                let i = pick(&self.models_cdf[k], episode.draws.r#gen());
                (k, i)
            })
            .collect();
        episode.window = Some(Window {
            index,
            requests,
            position: 0,
            hits: 0,
            reachable: 0,
            counts: vec![0.0; self.layout.models],
        });
    }

    /// Writes the observation and mask of the current request (or the terminal ones).
    fn observe(&mut self) {
        let (obs, mask) = (&mut self.frame.observation, &mut self.frame.mask);
        obs.fill(0.0);
        mask.fill(false);
        mask[0] = true;
        let Some(episode) = self.episode.as_ref() else {
            return;
        };
        let Some(window) = episode.window.as_ref() else {
            return;
        };
        let Some(&(k, i)) = window.requests.get(window.position) else {
            return;
        };
        let [model, serves, hit, stored, free, admit, counts, left] = self.layout.offsets();
        let (m, caches) = (self.layout.models, &episode.caches);
        let library = &self.instance.library;
        let serving = &self.serving[k][i];
        let is_hit = serving.iter().any(|&n| caches.stores(n, i));
        obs[model + i] = 1.0;
        obs[hit] = f32::from(u8::from(is_hit));
        for n in 0..self.layout.servers {
            let capacity = self.instance.servers[n].storage_bytes;
            for j in 0..m {
                obs[stored + n * m + j] = f32::from(u8::from(caches.stores(n, j)));
            }
            obs[free + n] = (1.0 - caches.used_bytes(n) / capacity).clamp(0.0, 1.0) as f32;
            obs[admit + n] = (caches.added_bytes(library, n, i) / capacity) as f32;
        }
        for &n in serving {
            obs[serves + n] = 1.0;
            if is_hit {
                continue;
            }
            let capacity = self.instance.servers[n].storage_bytes;
            if caches.used_bytes(n) + caches.added_bytes(library, n, i) <= capacity {
                mask[self.layout.action(CacheAction::Admit { server: n })] = true;
            }
            for j in (0..m).filter(|&j| caches.stores(n, j)) {
                let evict = CacheAction::Evict {
                    server: n,
                    model: j,
                };
                mask[self.layout.action(evict)] = true;
            }
        }
        for (j, c) in window.counts.iter().enumerate() {
            obs[counts + j] = *c as f32;
        }
        obs[left] = (window.requests.len() - window.position - 1) as f32;
    }

    /// The report of a finished window.
    fn report(&self, window: &Window, caches: &Caches, seed: u64) -> WindowReport {
        let requests = window.requests.len();
        let (optimum, instance) = if let Some(name) = self.options.optimum.as_deref() {
            match self.window_instance(&window.requests) {
                Ok(instance) => {
                    let seed = solver_seed(seed, window.index);
                    let time_limit = self.options.optimum_time_limit;
                    let result = reference::<Caching>(name, &instance, time_limit, seed);
                    let hits = window.hits as f64;
                    let report = OptimumReport::of(name, result, requests as f64, |o| o - hits);
                    (Some(report), Some(Arc::new(instance)))
                }
                Err(error) => (
                    Some(OptimumReport::of::<Placement>(
                        name,
                        Err(SolveError::Unsupported {
                            solver: "exact".into(),
                            message: error.to_string(),
                        }),
                        1.0,
                        |o| o,
                    )),
                    None,
                ),
            }
        } else {
            (None, None)
        };
        WindowReport {
            window: window.index,
            requests,
            reachable: window.reachable,
            hits: window.hits,
            optimum,
            instance,
            placement: caches.placement(),
        }
    }

    /// The placement problem of `requests`' empirical demand.
    fn window_instance(
        &self,
        requests: &[(usize, usize)],
    ) -> Result<CachingInstance, crate::problems::Error> {
        let base = &self.instance;
        let models = self.layout.models;
        let mut counts = vec![vec![0.0; models]; base.users.len()];
        for &(k, i) in requests {
            counts[k][i] += 1.0;
        }
        let total = requests.len() as f64;
        let mut users = base.users.clone();
        let mut probabilities = Vec::with_capacity(users.len());
        for (user, row) in users.iter_mut().zip(&counts) {
            let sum: f64 = row.iter().sum();
            user.weight = sum / total;
            probabilities.push(if sum > 0.0 {
                row.iter().map(|c| c / sum).collect()
            } else {
                vec![1.0 / models as f64; models]
            });
        }
        CachingInstance::new(CachingParts {
            library: base.library.to_file_format(),
            servers: base.servers.clone(),
            users,
            probabilities,
            latency_bound_s: base.latency_bound_s,
            min_hit_ratio: None,
            allow_uncacheable: true,
        })
    }
}

impl Env for CachingEnv {
    type Report = WindowReport;

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
            draws: StdRng::seed_from_u64(span.seed),
            caches: Caches::empty(self.layout.servers, self.layout.models),
            window: None,
        });
        self.load_next_window();
        self.observe();
        Ok(())
    }

    fn step(&mut self, action: usize) -> Result<Step<WindowReport>, EnvError> {
        let invalid_action = self.frame.is_invalid(action)?;
        let decoded = if invalid_action {
            CacheAction::Pass
        } else {
            self.layout.decode(action).unwrap_or(CacheAction::Pass)
        };
        let episode = self.episode.as_mut().ok_or(EnvError::NeedsReset)?;
        let window = episode.window.as_mut().ok_or(EnvError::NeedsReset)?;
        let (k, i) = window.requests[window.position];
        let library = &self.instance.library;
        match decoded {
            CacheAction::Evict { server, model } => {
                episode.caches.evict(library, server, model);
                self.observe();
                return Ok(Step {
                    reward: 0.0,
                    terminated: false,
                    truncated: false,
                    invalid_action,
                    report: None,
                });
            }
            CacheAction::Admit { server } => episode.caches.admit(library, server, i),
            CacheAction::Pass => {}
        }
        // The request is served as the caches stood when it arrived: an admission keeps the
        // model for later requests, this one was a miss.
        let serving = &self.serving[k][i];
        let hit = !matches!(decoded, CacheAction::Admit { .. })
            && serving.iter().any(|&s| episode.caches.stores(s, i));
        window.hits += usize::from(hit);
        window.reachable += usize::from(!serving.is_empty());
        window.counts[i] += 1.0;
        window.position += 1;
        let mut report = None;
        if window.position == window.requests.len() {
            let seed = episode.span.seed;
            let finished = episode.window.take().ok_or(EnvError::NeedsReset)?;
            let caches = episode.caches.clone();
            report = Some(self.report(&finished, &caches, seed));
            self.load_next_window();
        }
        self.observe();
        let terminated = self.episode.as_ref().is_none_or(|e| e.window.is_none());
        Ok(Step {
            reward: if hit { 1.0 } else { 0.0 },
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

/// The index and number of requests of every window `rule` cuts `trace`'s arrivals into.
fn windows(trace: &DataPath, rule: EpochRule) -> Result<Vec<(u64, usize)>, EnvError> {
    Ok(Epochs::new(TraceReader::open(trace)?, rule)?
        .map(|w| w.map(|w| (w.index, w.requests.len())))
        .collect::<Result<_, _>>()?)
}

/// `serving[k][i]`: the servers linked to user `k` that can store model `i` and deliver it
/// within the latency bound.
fn serving(instance: &CachingInstance) -> Vec<Vec<Vec<usize>>> {
    let models = instance.library.models.len();
    (0..instance.users.len())
        .map(|k| {
            (0..models)
                .map(|i| {
                    instance.users[k]
                        .links
                        .iter()
                        .map(|l| l.server)
                        .filter(|&n| {
                            instance.model_bytes(i) <= instance.servers[n].storage_bytes
                                && instance.latency_s(k, n, i) <= instance.latency_bound_s
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_cumulative_weights() {
        let cdf = cumulative([0.25, 0.0, 0.75].into_iter());
        assert_eq!(cdf, [0.25, 0.25, 1.0]);
        assert_eq!(pick(&cdf, 0.0), 0);
        assert_eq!(pick(&cdf, 0.2499), 0);
        assert_eq!(pick(&cdf, 0.25), 2);
        assert_eq!(pick(&cdf, 0.999_999), 2);
        // A draw that rounds onto the total picks the last index with weight.
        assert_eq!(pick(&[0.5, 1.0, 1.0], 1.0), 1);
        assert_eq!(pick(&[0.5, 0.999_999_9], 0.999_999_99), 1);
    }
}
