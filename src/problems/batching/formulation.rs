//! `batching` registered: its solvers, plan report, trace replay and environment.

use super::env::{BatchingEnv, BatchingEnvArgs, DecisionReport};
use super::plan::{Report, report};
use super::replay::{BatchingRecord, BatchingReplay, BatchingStats};
use super::{BatchDecision, BatchingInstance, Exact};
use crate::env::EnvError;
use crate::problems::Error;
use crate::problems::arrays::{Array, Arrays};
use crate::problems::formulation::{
    BoxedSolver, EnvReport, Formulation, Info, Milp, Plays, Policy, Replays, SettingInfo,
    SolverInfo, TraceDefaults, optimum_info, walked_policy,
};
use crate::replay::{EpochInfo, epoch_rule};
use crate::solve::Outcome;
use crate::system::trace::Epoch;
use crate::system::{DataPath, Precision, Scenario};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The `batching` problem of a scenario's `[batching]` section.
#[derive(Debug, Clone)]
pub struct Batching {
    scenario: Arc<Scenario>,
    replay: BatchingReplay,
}

impl Batching {
    /// The problem of `scenario`'s `[batching]` section; an error when it has none.
    pub fn of(scenario: Arc<Scenario>) -> Result<Batching, Error> {
        Batching::new(scenario, BatchingSettings::default())
    }

    /// The scenario's `[batching]` section.
    pub fn section(&self) -> &super::Section {
        self.replay.section()
    }
}

/// The settings of `batching`: none (the `[batching]` section says everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchingSettings {}

/// One waiting request under a batching decision: a row of its plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchRow {
    /// Position among the waiting requests.
    pub request: usize,
    /// Trace id.
    pub id: u64,
    /// The server it joins, if admitted.
    pub server: Option<usize>,
    /// That server's name.
    pub server_name: Option<String>,
    /// The precision it is served at.
    pub precision: Option<&'static str>,
    /// Predicted time to first token.
    pub ttft_s: f64,
    /// Predicted time per output token (the batch's longest decode step).
    pub tpot_s: f64,
    /// KV-cache bytes it reserves.
    pub kv_bytes: f64,
    /// Its value in the objective.
    pub value: f64,
}

/// The precisions in the order of their codes in a decision's `precision` array.
pub const PRECISIONS: [Precision; 3] = Precision::ALL;

impl Formulation for Batching {
    const NAME: &'static str = "batching";
    const ABOUT: &'static str = "which waiting requests join the next batch on which edge server, at which precision ([batching])";
    const SECTION: Option<&'static str> = Some(super::section::SECTION);
    const SOLVERS: &'static [SolverInfo] = super::SOLVERS;
    const SETTINGS: &'static [SettingInfo] = &[];
    const DECISION_KEY: &'static str = "assignments";
    type Instance = BatchingInstance;
    type Settings = BatchingSettings;
    type Report = Report;
    type Row = BatchRow;

    fn solver(name: &str) -> Option<BoxedSolver<Self>> {
        super::solver(name)
    }

    fn new(scenario: Arc<Scenario>, _: BatchingSettings) -> Result<Batching, Error> {
        let replay = BatchingReplay::new(&scenario)?;
        Ok(Batching { scenario, replay })
    }

    fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    fn settings(&self) -> serde_json::Value {
        self.replay.settings()
    }

    fn instance(&self) -> Result<BatchingInstance, Error> {
        BatchingInstance::from_section(&self.scenario, self.replay.section())
    }

    fn size(instance: &BatchingInstance) -> usize {
        instance.requests.len()
    }

    fn facts(instance: &BatchingInstance) -> Vec<(&'static str, serde_json::Value)> {
        vec![
            ("servers", instance.servers.len().into()),
            ("requests", instance.requests.len().into()),
            ("servable_value", instance.servable_value().into()),
        ]
    }

    fn save(instance: &BatchingInstance) -> Result<String, Error> {
        Ok(instance.save())
    }

    fn restore(scenario: &Arc<Scenario>, text: &str) -> Result<BatchingInstance, Error> {
        BatchingInstance::restore(scenario, text)
    }

    fn report(&self, instance: &BatchingInstance, outcome: &Outcome<BatchDecision>) -> Report {
        report(&self.scenario.name, instance, outcome)
    }

    fn rows(instance: &BatchingInstance, decision: &BatchDecision) -> Vec<BatchRow> {
        let (_, requests) = instance.metrics(decision);
        requests
            .into_iter()
            .enumerate()
            .map(|(k, m)| BatchRow {
                request: k,
                id: instance.requests[k].id,
                server_name: m.server.map(|j| instance.servers[j].name.clone()),
                precision: m
                    .server
                    .and_then(|j| instance.served_precision(decision, j))
                    .map(|p| p.name()),
                server: m.server,
                ttft_s: m.ttft_s,
                tpot_s: m.tpot_s,
                kv_bytes: m.kv_bytes,
                value: m.value,
            })
            .collect()
    }

    fn arrays(_: &BatchingInstance, decision: &BatchDecision) -> Arrays {
        arrays(decision)
    }

    fn from_arrays(_: &BatchingInstance, arrays: &Arrays) -> Result<BatchDecision, String> {
        from_arrays(arrays)
    }

    fn milp(instance: &BatchingInstance) -> Result<Milp, Error> {
        if instance.servable_value() <= 0.0 {
            return Err(Error::Instance(
                "no waiting request can be served within its SLOs, so there is no MILP: the empty batch is optimal".into(),
            ));
        }
        let what = format!(
            "the exact solver's admission MILP ({} servers, {} waiting requests)",
            instance.servers.len(),
            instance.requests.len()
        );
        Milp::first_of(&Exact, instance, what)
    }
}

/// `decision` as `server` (per waiting request, −1 while it waits) and `precision` (per
/// server, codes into [`PRECISIONS`], −1 when it admits nobody).
fn arrays(decision: &BatchDecision) -> Arrays {
    let server: Vec<i64> = decision
        .assignments
        .iter()
        .map(|s| s.map_or(-1, |j| j as i64))
        .collect();
    let precision: Vec<i64> = decision
        .precisions
        .iter()
        .map(|p| {
            p.and_then(|p| PRECISIONS.iter().position(|&q| q == p))
                .map_or(-1, |q| q as i64)
        })
        .collect();
    Arrays::Named(vec![
        ("server".into(), Array::ints(server)),
        ("precision".into(), Array::ints(precision)),
    ])
}

/// The decision of [`arrays`].
fn from_arrays(arrays: &Arrays) -> Result<BatchDecision, String> {
    let give =
        "give `precisions` and `assignments` (as Outcome.decision) or the arrays server, precision";
    let get = |key: &str| {
        arrays
            .get(key, give)
            .map_err(|e| format!("batching decision: {e}"))
    };
    let servers = get("server")?.as_ints("server")?;
    let precisions = get("precision")?.as_ints("precision")?;
    let assignments = servers
        .iter()
        .enumerate()
        .map(|(k, &s)| match s {
            -1 => Ok(None),
            s => usize::try_from(s).map(Some).map_err(|_| {
                format!("server[{k}]: {s}; an edge server index, or -1 while waiting")
            }),
        })
        .collect::<Result<_, String>>()?;
    let precisions = precisions
        .iter()
        .enumerate()
        .map(|(j, &q)| match q {
            -1 => Ok(None),
            q => usize::try_from(q)
                .ok()
                .and_then(|q| PRECISIONS.get(q).copied())
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "precision[{j}]: {q}; the codes are 0 (fp16), 1 (int8), 2 (int4), or -1 for none"
                    )
                }),
        })
        .collect::<Result<_, String>>()?;
    Ok(BatchDecision {
        precisions,
        assignments,
    })
}

impl Replays for Batching {
    const REPLAY_HELP: &'static str = "the epoch's requests are the waiting queue of one batching decision over the\n\
scenario's idle edge servers, serving the [batching] section's model at its precisions, with its\n\
SLOs (else MLPerf's) and memory share; each request's narrowest accepted precision is drawn with\n\
the section's shares. The decision is taken at the epoch's end: the end of its window (--epoch\n\
1s), or its last arrival (--epoch 200). Waiting times are the trace's arrival gaps shortened by\n\
the section's arrival_speedup. A request past its TTFT SLO, or that no server can serve alone,\n\
is recorded as not servable and never admitted. Epochs are independent. Defaults come from the\n\
section: without --trace its trace from its `start`, without --epoch epochs of its `requests`\n\
requests, without --seed its seed. requests.csv: tokens, min_precision, waited_s, servable,\n\
planned, admitted, server, precision, predicted ttft_s and tpot_s, kv_bytes, value;\n\
summary.json: admitted share overall, of the servable requests and per epoch, value, TTFT and\n\
TPOT percentiles, admitted per server and precision; plot admitted_share.svg.";
    type Epoch = BatchingInstance;
    type Record = BatchingRecord;
    type Stats = BatchingStats;

    fn defaults(
        &self,
        trace: Option<&DataPath>,
        rule: Option<&str>,
        seed: Option<u64>,
    ) -> Result<TraceDefaults, Error> {
        let rule = match rule {
            Some(text) => epoch_rule(&self.scenario, Some(text))?,
            None => Some(self.replay.default_rule()),
        };
        Ok(TraceDefaults {
            source: Some(self.replay.trace_source(trace)),
            rule,
            seed: seed.unwrap_or(self.replay.default_seed()),
        })
    }

    fn epoch(&self, epoch: &Epoch, seed: u64) -> Result<BatchingInstance, Error> {
        self.replay.epoch(epoch, seed)
    }

    fn instance_of(epoch: &BatchingInstance) -> &BatchingInstance {
        epoch
    }

    fn records(
        &self,
        instance: &BatchingInstance,
        info: &EpochInfo,
        solver: &str,
        decision: Option<&BatchDecision>,
    ) -> Vec<BatchingRecord> {
        match decision {
            Some(decision) => BatchingRecord::decided(info.index, solver, instance, decision),
            None => BatchingRecord::unplanned(info.index, solver, instance),
        }
    }

    fn summary_table(
        solvers: &[serde_json::Value],
        timings: &serde_json::Value,
    ) -> crate::text::Table {
        super::replay::summary_table(solvers, timings)
    }
}

impl Plays for Batching {
    const ENV_ID: &'static str = "Batching-v0";
    const DEFAULT_SCENARIO: &'static str = "batching-edge";
    type Env = BatchingEnv;
    type EnvArgs = BatchingEnvArgs;

    fn env(scenario: Arc<Scenario>, args: BatchingEnvArgs) -> Result<BatchingEnv, EnvError> {
        BatchingEnv::new(scenario, args.options()?)
    }

    fn policy(name: &str, policy: Policy) -> Option<BoxedSolver<Self>> {
        Some(walked_policy::<Self>(name, policy))
    }
}

impl EnvReport<Batching> for DecisionReport {
    fn info(&self) -> Vec<(&'static str, Info)> {
        let mut info = vec![
            ("window", Info::Int(self.window as i64)),
            ("requests", Info::Int(self.requests as i64)),
            ("unservable", Info::Int(self.unservable as i64)),
            ("admitted", Info::Int(self.admitted as i64)),
            ("objective", Info::Float(self.objective)),
            ("feasible", Info::Bool(self.feasible)),
            ("reason", Info::Text(self.reason.clone())),
        ];
        optimum_info(&self.optimum, &mut info);
        info.push(("decision", Info::Arrays(arrays(&self.decision))));
        info
    }

    fn instance(&self) -> Option<&Arc<BatchingInstance>> {
        Some(&self.instance)
    }
}
