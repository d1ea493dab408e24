//! `caching` registered: its solvers, plan report, trace replay and environment.

use super::env::{CachingEnv, CachingEnvArgs, WindowReport};
use super::plan::{Report, report};
use super::replay::{CachingEpoch, CachingRecord, CachingReplay, CachingStats};
use super::{CachingInstance, Exact, Placement};
use crate::env::EnvError;
use crate::problems::Error;
use crate::problems::arrays::{Array, Arrays};
use crate::problems::formulation::{
    BoxedSolver, EnvReport, Formulation, Info, Milp, Plays, Replays, SettingInfo, SolverInfo,
    optimum_info,
};
use crate::replay::EpochInfo;
use crate::solve::Outcome;
use crate::system::Scenario;
use crate::system::trace::Epoch;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The `caching` problem of a scenario's `[caching]` section: the placement instance of its
/// long-run demand, and the draws that give each replayed request a user and a model.
#[derive(Debug, Clone)]
pub struct Caching {
    scenario: Arc<Scenario>,
    replay: CachingReplay,
}

/// One model stored on one server: a row of a placement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CachedRow {
    /// The server's index.
    pub server: usize,
    /// Its name.
    pub server_name: String,
    /// The model's index in the library.
    pub model: usize,
    /// Its name.
    pub model_name: String,
}

impl Caching {
    /// The problem of `scenario`'s `[caching]` section; an error when it has none.
    pub fn of(scenario: Arc<Scenario>) -> Result<Caching, Error> {
        Caching::new(scenario, CachingSettings::default())
    }

    /// The scenario's caching instance, with the long-run demand of its `[caching]` section.
    pub fn scenario_instance(&self) -> &CachingInstance {
        self.replay.scenario_instance()
    }
}

/// The settings of `caching`: none (the `[caching]` section says everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachingSettings {}

impl Formulation for Caching {
    const NAME: &'static str = "caching";
    const ABOUT: &'static str =
        "which models each edge server stores, shared parameter blocks stored once ([caching])";
    const SECTION: Option<&'static str> = Some(super::section::SECTION);
    const SOLVERS: &'static [SolverInfo] = super::SOLVERS;
    const SETTINGS: &'static [SettingInfo] = &[];
    const DECISION_KEY: &'static str = "stored";
    type Instance = CachingInstance;
    type Settings = CachingSettings;
    type Report = Report;
    type Row = CachedRow;

    fn solver(name: &str) -> Option<BoxedSolver<Self>> {
        super::solver(name)
    }

    fn new(scenario: Arc<Scenario>, _: CachingSettings) -> Result<Caching, Error> {
        let replay = CachingReplay::new(&scenario)?;
        Ok(Caching { scenario, replay })
    }

    fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    fn settings(&self) -> serde_json::Value {
        self.replay.settings()
    }

    fn instance(&self) -> Result<CachingInstance, Error> {
        Ok(self.replay.scenario_instance().clone())
    }

    fn size(instance: &CachingInstance) -> usize {
        instance.users.len()
    }

    fn facts(instance: &CachingInstance) -> Vec<(&'static str, serde_json::Value)> {
        vec![
            ("servers", instance.servers.len().into()),
            ("models", instance.library.models.len().into()),
            ("users", instance.users.len().into()),
        ]
    }

    fn save(instance: &CachingInstance) -> Result<String, Error> {
        Ok(instance.to_json())
    }

    fn restore(_scenario: &Arc<Scenario>, text: &str) -> Result<CachingInstance, Error> {
        CachingInstance::from_json_str("saved caching instance", text)
    }

    fn report(&self, instance: &CachingInstance, outcome: &Outcome<Placement>) -> Report {
        report(&self.scenario.name, instance, outcome)
    }

    fn rows(instance: &CachingInstance, decision: &Placement) -> Vec<CachedRow> {
        decision
            .stored
            .iter()
            .enumerate()
            .flat_map(|(server, models)| {
                models.iter().map(move |&model| CachedRow {
                    server,
                    server_name: instance.servers[server].name.clone(),
                    model,
                    model_name: instance.library.models[model].name.clone(),
                })
            })
            .collect()
    }

    fn arrays(instance: &CachingInstance, decision: &Placement) -> Arrays {
        let servers = instance.servers.len();
        let models = instance.library.models.len();
        let mut flags = vec![false; servers * models];
        for (n, stored) in decision.stored.iter().enumerate().take(servers) {
            for &i in stored.iter().filter(|&&i| i < models) {
                flags[n * models + i] = true;
            }
        }
        Arrays::Single(Array::flags(servers, models, flags))
    }

    fn from_arrays(_: &CachingInstance, arrays: &Arrays) -> Result<Placement, String> {
        let what = "caching placement: a 2-D array (servers × models)";
        let rows = arrays.single(what)?.as_flag_rows("caching placement")?;
        Ok(Placement::from_flags(&rows))
    }

    fn milp(instance: &CachingInstance) -> Result<Milp, Error> {
        if instance.demands().is_empty() {
            return Err(Error::Instance(
                "no request can be served within the latency bound, so there is no MILP: every placement has hit ratio 0".into(),
            ));
        }
        let what = format!(
            "the exact solver's placement MILP ({} servers, {} models, {} users, {} merged demands)",
            instance.servers.len(),
            instance.library.models.len(),
            instance.users.len(),
            instance.demands().len()
        );
        Milp::first_of(&Exact, instance, what)
    }
}

impl Replays for Caching {
    const REPLAY_HELP: &'static str = "each request is drawn a user (a device, by the [caching] section's user\n\
weights) and a model (by that user's popularity). Each solver places models on the edge servers\n\
for exactly the epoch's requests, as if the caches were refilled before every epoch; the epoch's\n\
objective is the fraction of its requests that hit. A request is a hit when an edge server\n\
covering its user stores the model and delivers it within the latency bound (the fastest such\n\
server serves it), else a miss that fetches the whole model from the cloud over the backhaul.\n\
The section's least hit ratio, if any, applies to every epoch. requests.csv: user, model,\n\
reachable, tier (edge/cloud/none), server, hit, latency_s, cloud_bytes; summary.json: hit ratio\n\
overall, of the reachable requests and per epoch, latency percentiles, cloud bytes, hits per\n\
server; plots hit_ratio.svg, latency_cdf.svg.";
    type Epoch = CachingEpoch;
    type Record = CachingRecord;
    type Stats = CachingStats;

    fn epoch(&self, epoch: &Epoch, seed: u64) -> Result<CachingEpoch, Error> {
        self.replay.epoch(epoch, seed)
    }

    fn instance_of(epoch: &CachingEpoch) -> &CachingInstance {
        &epoch.instance
    }

    fn records(
        &self,
        epoch: &CachingEpoch,
        info: &EpochInfo,
        solver: &str,
        decision: Option<&Placement>,
    ) -> Vec<CachingRecord> {
        match decision {
            Some(placement) => CachingRecord::served(info.index, solver, epoch, placement),
            None => CachingRecord::unplanned(info.index, solver, epoch),
        }
    }

    fn summary_table(
        solvers: &[serde_json::Value],
        timings: &serde_json::Value,
    ) -> crate::text::Table {
        super::replay::summary_table(solvers, timings)
    }
}

impl Plays for Caching {
    const ENV_ID: &'static str = "Caching-v0";
    const DEFAULT_SCENARIO: &'static str = "caching-small";
    type Env = CachingEnv;
    type EnvArgs = CachingEnvArgs;

    fn env(scenario: Arc<Scenario>, args: CachingEnvArgs) -> Result<CachingEnv, EnvError> {
        CachingEnv::new(scenario, args.options()?)
    }
}

impl EnvReport<Caching> for WindowReport {
    fn info(&self) -> Vec<(&'static str, Info)> {
        let mut info = vec![
            ("window", Info::Int(self.window as i64)),
            ("requests", Info::Int(self.requests as i64)),
            ("reachable", Info::Int(self.reachable as i64)),
            ("hits", Info::Int(self.hits as i64)),
        ];
        optimum_info(&self.optimum, &mut info);
        info.push(("placement", Info::plain(&self.placement)));
        info
    }

    fn instance(&self) -> Option<&Arc<CachingInstance>> {
        self.instance.as_ref()
    }
}
