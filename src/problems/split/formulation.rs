//! `split` registered: its solvers, settings, plan report, trace replay and environment.

use super::env::{EpochReport, SplitEnv, SplitEnvArgs};
use super::plan::{Report, report};
use super::replay::{PlannedRequest, Slo, SplitRecord, SplitStats, planned_requests};
use super::{Assignment, Choice, Exact, Objective, SplitDecision, SplitInstance, Tier};
use crate::env::EnvError;
use crate::problems::Error;
use crate::problems::arrays::{Array, Arrays};
use crate::problems::formulation::{
    BoxedSolver, EnvReport, Formulation, Info, Milp, Plays, Policy, Replays, SettingInfo,
    SolverInfo, optimum_info, walked_policy,
};
use crate::replay::EpochInfo;
use crate::system::Scenario;
use crate::system::trace::Epoch;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The `split` problem on a scenario: what its plans minimise and the SLOs replayed requests
/// are judged by (they only measure: the solvers plan with the workload's own deadlines).
#[derive(Debug, Clone)]
pub struct Split {
    scenario: Arc<Scenario>,
    objective: Objective,
    slo: Slo,
}

/// The settings of `split`: `--objective`, `--per-second`, `--per-joule` and the SLO flags on
/// the command line, keyword arguments of the same names in Python.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitSettings {
    /// `latency` (the default), `energy` or `mixed`.
    pub objective: Option<String>,
    /// Weight of one second of latency (with `mixed`).
    pub per_second: Option<f64>,
    /// Weight of one joule of device energy (with `mixed`).
    pub per_joule: Option<f64>,
    /// TTFT SLO of replayed requests (default: the workload's, else MLPerf's 2 s).
    pub ttft_slo_s: Option<f64>,
    /// TPOT SLO, which sets each request's end-to-end SLO without `e2e_slo_s` (default:
    /// MLPerf's 100 ms).
    pub tpot_slo_s: Option<f64>,
    /// A fixed end-to-end SLO for every replayed request.
    pub e2e_slo_s: Option<f64>,
}

impl Split {
    /// The problem on `scenario`, minimising `objective`, replayed requests judged by `slo`.
    pub fn with(scenario: Arc<Scenario>, objective: Objective, slo: Slo) -> Result<Split, Error> {
        slo.validate().map_err(|e| Error::Setting(e.to_string()))?;
        Ok(Split {
            scenario,
            objective,
            slo,
        })
    }

    /// The SLOs replayed requests are judged by.
    pub fn slo(&self) -> Slo {
        self.slo
    }
}

impl Objective {
    /// The objective called `name` (`latency`, `energy`, or `mixed` with both weights).
    pub fn named(
        name: &str,
        per_second: Option<f64>,
        per_joule: Option<f64>,
    ) -> Result<Objective, String> {
        match (name, per_second, per_joule) {
            ("mixed", Some(per_second), Some(per_joule)) => Ok(Objective::Mixed {
                per_second,
                per_joule,
            }),
            ("mixed", _, _) => {
                Err("`objective` `mixed` needs both `per_second` and `per_joule`".into())
            }
            ("latency", None, None) => Ok(Objective::Latency),
            ("energy", None, None) => Ok(Objective::Energy),
            ("latency" | "energy", _, _) => {
                Err("`per_second` and `per_joule` only apply to `objective` `mixed`".into())
            }
            (other, _, _) => Err(format!(
                "unknown `objective` `{other}`; the objectives are: latency, energy, mixed"
            )),
        }
    }
}

/// The setting `key` in seconds, refused unless positive and finite.
fn slo_seconds(key: &str, value: Option<f64>) -> Result<Option<f64>, Error> {
    match value {
        Some(v) if !(v.is_finite() && v > 0.0) => Err(Error::Setting(format!(
            "`{key}` must be a positive, finite number of seconds, not {v}"
        ))),
        _ => Ok(value),
    }
}

const SETTINGS: &[SettingInfo] = &[
    SettingInfo {
        key: "objective",
        help: "what the plan minimises: latency (default), energy or mixed",
    },
    SettingInfo {
        key: "per_second",
        help: "weight of one second of latency (objective mixed)",
    },
    SettingInfo {
        key: "per_joule",
        help: "weight of one joule of device energy (objective mixed)",
    },
    SettingInfo {
        key: "ttft_slo_s",
        help: "TTFT SLO of replayed requests in seconds (they only measure)",
    },
    SettingInfo {
        key: "tpot_slo_s",
        help: "TPOT SLO of replayed requests in seconds",
    },
    SettingInfo {
        key: "e2e_slo_s",
        help: "a fixed end-to-end SLO of replayed requests in seconds",
    },
];

impl Formulation for Split {
    const NAME: &'static str = "split";
    const ABOUT: &'static str = "split point, tier, server, bandwidth and compute shares per request of an epoch of the [workload]";
    const SECTION: Option<&'static str> = None;
    const SOLVERS: &'static [SolverInfo] = super::SOLVERS;
    const SETTINGS: &'static [SettingInfo] = SETTINGS;
    const DECISION_KEY: &'static str = "assignments";
    type Instance = SplitInstance;
    type Settings = SplitSettings;
    type Report = Report;
    type Row = PlannedRequest;

    fn solver(name: &str) -> Option<BoxedSolver<Self>> {
        super::solver(name)
    }

    fn new(scenario: Arc<Scenario>, settings: SplitSettings) -> Result<Split, Error> {
        let objective = Objective::named(
            settings.objective.as_deref().unwrap_or("latency"),
            settings.per_second,
            settings.per_joule,
        )
        .map_err(Error::Setting)?;
        let mut slo = Slo::for_scenario(&scenario);
        if let Some(t) = slo_seconds("ttft_slo_s", settings.ttft_slo_s)? {
            slo.ttft_s = t;
        }
        if let Some(t) = slo_seconds("tpot_slo_s", settings.tpot_slo_s)? {
            slo.tpot_s = t;
        }
        if let Some(e) = slo_seconds("e2e_slo_s", settings.e2e_slo_s)? {
            slo.e2e_s = Some(e);
        }
        Split::with(scenario, objective, slo)
    }

    fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "objective": self.objective,
            "slo": self.slo,
        })
    }

    fn instance(&self) -> Result<SplitInstance, Error> {
        SplitInstance::from_scenario(Arc::clone(&self.scenario), self.objective)
    }

    fn size(instance: &SplitInstance) -> usize {
        instance.requests.len()
    }

    fn facts(instance: &SplitInstance) -> Vec<(&'static str, serde_json::Value)> {
        vec![("requests", instance.requests.len().into())]
    }

    fn save(instance: &SplitInstance) -> Result<String, Error> {
        Ok(instance.save())
    }

    fn restore(scenario: &Arc<Scenario>, text: &str) -> Result<SplitInstance, Error> {
        SplitInstance::restore(Arc::clone(scenario), text)
    }

    fn report(
        &self,
        instance: &SplitInstance,
        outcome: &crate::solve::Outcome<SplitDecision>,
    ) -> Report {
        report(instance, outcome)
    }

    fn rows(instance: &SplitInstance, decision: &SplitDecision) -> Vec<PlannedRequest> {
        planned_requests(instance, decision)
    }

    fn arrays(_: &SplitInstance, decision: &SplitDecision) -> Arrays {
        arrays(decision)
    }

    fn from_arrays(_: &SplitInstance, arrays: &Arrays) -> Result<SplitDecision, String> {
        from_arrays(arrays)
    }

    fn milp(instance: &SplitInstance) -> Result<Milp, Error> {
        if let Some(why) = instance.infeasibility() {
            return Err(Error::Instance(format!(
                "the first epoch is infeasible, so there is no master MILP: {why}"
            )));
        }
        let what = format!(
            "the exact solver's first master MILP for the first epoch of `{}` ({} requests)",
            instance.scenario.name,
            instance.requests.len()
        );
        Milp::first_of(&Exact { max_rounds: 1 }, instance, what)
    }
}

/// The tiers in the order of their codes in the `tier` array.
pub const TIERS: [Tier; 3] = [Tier::Device, Tier::Edge, Tier::Cloud];

/// The keys of a split decision's arrays.
const KEYS: [&str; 5] = [
    "tier",
    "server",
    "split",
    "bandwidth_share",
    "compute_share",
];

/// `decision` as five per-request arrays: `tier` (codes into [`TIERS`]), `server` (−1 for
/// none), `split`, `bandwidth_share` and `compute_share`.
fn arrays(decision: &SplitDecision) -> Arrays {
    let a = &decision.assignments;
    let code = |t: Tier| TIERS.iter().position(|&u| u == t).unwrap_or(0) as i64;
    let ints = |f: &dyn Fn(&Assignment) -> i64| Array::ints(a.iter().map(f).collect());
    let floats = |f: &dyn Fn(&Assignment) -> f64| Array::floats(a.iter().map(f).collect());
    Arrays::Named(vec![
        ("tier".into(), ints(&|x| code(x.choice.tier))),
        (
            "server".into(),
            ints(&|x| x.choice.server.map_or(-1, |s| s as i64)),
        ),
        ("split".into(), ints(&|x| i64::from(x.choice.split))),
        ("bandwidth_share".into(), floats(&|x| x.bandwidth_share)),
        ("compute_share".into(), floats(&|x| x.compute_share)),
    ])
}

/// The decision of [`arrays`].
fn from_arrays(arrays: &Arrays) -> Result<SplitDecision, String> {
    let give = format!(
        "give `assignments` (as Outcome.decision) or the arrays {}",
        KEYS.join(", ")
    );
    let get = |key: &str| {
        arrays
            .get(key, &give)
            .map_err(|e| format!("split decision: {e}"))
    };
    let tiers = get("tier")?.as_ints("tier")?;
    let servers = get("server")?.as_ints("server")?;
    let splits = get("split")?.as_ints("split")?;
    let bandwidth = get("bandwidth_share")?.as_floats("bandwidth_share")?;
    let compute = get("compute_share")?.as_floats("compute_share")?;
    let n = tiers.len();
    let lengths = [servers.len(), splits.len(), bandwidth.len(), compute.len()];
    if lengths.iter().any(|&l| l != n) {
        return Err(format!(
            "split decision: arrays of different lengths: {}",
            KEYS.iter()
                .zip(std::iter::once(n).chain(lengths))
                .map(|(k, l)| format!("{k} {l}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let assignments = (0..n)
        .map(|k| {
            Ok(Assignment {
                choice: choice(k, tiers[k], servers[k], splits[k])?,
                bandwidth_share: bandwidth[k],
                compute_share: compute[k],
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(SplitDecision { assignments })
}

/// The choice of request `k` from its codes.
fn choice(k: usize, tier: i64, server: i64, split: i64) -> Result<Choice, String> {
    let tier = usize::try_from(tier)
        .ok()
        .and_then(|t| TIERS.get(t).copied())
        .ok_or_else(|| {
            format!("tier[{k}]: {tier}; the codes are 0 (device), 1 (edge), 2 (cloud)")
        })?;
    let server = match server {
        -1 => None,
        s => Some(
            usize::try_from(s)
                .map_err(|_| format!("server[{k}]: {s}; an edge server index, or -1 for none"))?,
        ),
    };
    let split =
        u32::try_from(split).map_err(|_| format!("split[{k}]: {split} is not a split point"))?;
    Ok(Choice {
        tier,
        server,
        split,
    })
}

impl Replays for Split {
    const REPLAY_HELP: &'static str = "the epoch's requests get a device and a model of the scenario's catalogue;\n\
each solver plans split point, tier, server and shares per request. requests.csv: tier,\n\
server, split, shares, TTFT, end-to-end latency, device energy, bytes up and down, meets_slo;\n\
summary.json: TTFT and end-to-end mean/p50/p90/p99, SLO goodput, energy, bytes, tiers, split\n\
histogram; plots latency_cdf.svg, choices.svg. The SLOs only measure (the solvers plan with the\n\
scenario's own deadlines): a request meets them if its TTFT <= --ttft-slo and its end-to-end\n\
latency <= --e2e-slo, or, without one, <= TTFT SLO + TPOT SLO x (output tokens - 1). Defaults:\n\
the scenario's ttft_slo and e2e_slo, else MLPerf Inference's server-scenario constraints for\n\
Llama-3.1-8B (TTFT 2 s, TPOT 100 ms; mlcommons/inference loadgen/mlperf.conf).";
    type Epoch = SplitInstance;
    type Record = SplitRecord;
    type Stats = SplitStats;

    fn epoch(&self, epoch: &Epoch, seed: u64) -> Result<SplitInstance, Error> {
        SplitInstance::from_trace(
            Arc::clone(&self.scenario),
            &epoch.requests,
            self.objective,
            seed,
        )
    }

    fn instance_of(epoch: &SplitInstance) -> &SplitInstance {
        epoch
    }

    fn records(
        &self,
        instance: &SplitInstance,
        epoch: &EpochInfo,
        solver: &str,
        decision: Option<&SplitDecision>,
    ) -> Vec<SplitRecord> {
        match decision {
            Some(decision) => planned_requests(instance, decision)
                .iter()
                .map(|p| SplitRecord::planned(epoch.index, solver, p, instance, &self.slo))
                .collect(),
            None => SplitRecord::unplanned(epoch.index, solver, instance),
        }
    }

    fn summary_table(
        solvers: &[serde_json::Value],
        timings: &serde_json::Value,
    ) -> crate::text::Table {
        super::replay::summary_table(solvers, timings)
    }
}

impl Plays for Split {
    const ENV_ID: &'static str = "Split-v0";
    const DEFAULT_SCENARIO: &'static str = "small";
    type Env = SplitEnv;
    type EnvArgs = SplitEnvArgs;

    fn env(scenario: Arc<Scenario>, args: SplitEnvArgs) -> Result<SplitEnv, EnvError> {
        SplitEnv::new(scenario, args.options()?)
    }

    fn policy(name: &str, policy: Policy) -> Option<BoxedSolver<Self>> {
        Some(walked_policy::<Self>(name, policy))
    }
}

impl EnvReport<Split> for EpochReport {
    fn info(&self) -> Vec<(&'static str, Info)> {
        let mut info = vec![
            ("epoch", Info::Int(self.epoch as i64)),
            ("requests", Info::Int(self.requests as i64)),
            ("dropped_requests", Info::Int(self.dropped_requests as i64)),
            ("objective", Info::Float(self.objective)),
            ("feasible", Info::Bool(self.feasible)),
            ("reason", Info::Text(self.reason.clone())),
        ];
        optimum_info(&self.optimum, &mut info);
        info.push(("decision", Info::plain(&self.decision)));
        info
    }

    fn instance(&self) -> Option<&Arc<SplitInstance>> {
        Some(&self.instance)
    }
}
