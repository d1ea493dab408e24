//! A problem from outside the library, through the one extension point: a 0/1 knapsack over
//! the requests of a trace epoch (which requests fit a prefill token budget, maximising the
//! tokens they generate), defined here alone by implementing `Formulation`, `Replays` and
//! `Plays`, and wrapped as `Entry::<Knapsack>::NEW`. It then goes through the generic paths
//! exactly as the CLI's `plan` and `solve-trace`, Python's `solve` (instance, solve by name,
//! evaluate, arrays, save and restore, a callable policy) and a Gymnasium environment call
//! them. Its items are the requests of the bundled Azure trace that the scenario's
//! `[workload]` names: weight the prompt tokens, value the generated tokens.

use mei4llm::env::policy::{PolicySolver, Walk, Walked};
use mei4llm::env::{BoxSpace, Discrete, Env, EnvError, Step};
use mei4llm::problems::Error;
use mei4llm::problems::arrays::{Array, Arrays};
use mei4llm::problems::formulation::{
    BoxedSolver, Check, EnvReport, Formulation, Info, PlanReport, Plays, Policy, Replays,
    SettingInfo, SolverInfo,
};
use mei4llm::problems::registry::{
    self, AnyInstance, Entry, GivenDecision, Registered, TraceRequest,
};
use mei4llm::replay::{EpochInfo, RecordStats, RequestRecord, RunInfo, TraceSource, epoch_rule};
use mei4llm::solve::{
    Budget, Evaluation, Found, Outcome, Problem, Sense, SolveError, Solver, Violation,
};
use mei4llm::system::Scenario;
use mei4llm::system::trace::{Epoch, Epochs, Request, TraceReader};
use mei4llm::text::Table;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// The problem.
// ---------------------------------------------------------------------------------------------

/// One request as an item: its weight (prompt tokens) and value (generated tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    request: u64,
    weight: u64,
    value: u64,
}

/// The items of an epoch and the token budget they share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct KnapsackInstance {
    items: Vec<Item>,
    capacity: u64,
}

impl KnapsackInstance {
    /// The requests as items, with `capacity_share` of their total weight as the budget.
    fn of(requests: &[Request], capacity_share: f64) -> KnapsackInstance {
        let items: Vec<Item> = requests
            .iter()
            .map(|r| Item {
                request: r.id,
                weight: u64::from(r.prompt_tokens),
                value: u64::from(r.output_tokens),
            })
            .collect();
        let total: u64 = items.iter().map(|i| i.weight).sum();
        KnapsackInstance {
            capacity: (capacity_share * total as f64).floor() as u64,
            items,
        }
    }

    fn weight(&self, packing: &Packing) -> u64 {
        self.chosen(packing).map(|i| i.weight).sum()
    }

    fn value(&self, packing: &Packing) -> u64 {
        self.chosen(packing).map(|i| i.value).sum()
    }

    fn chosen<'a>(&'a self, packing: &'a Packing) -> impl Iterator<Item = &'a Item> + 'a {
        self.items
            .iter()
            .zip(&packing.packed)
            .filter(|(_, p)| **p)
            .map(|(i, _)| i)
    }
}

/// Which items are packed, item by item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Packing {
    packed: Vec<bool>,
}

impl Problem for KnapsackInstance {
    type Decision = Packing;

    fn sense(&self) -> Sense {
        Sense::Maximise
    }

    fn evaluate(&self, decision: &Packing) -> Evaluation {
        let mut violations = Vec::new();
        if decision.packed.len() != self.items.len() {
            violations.push(Violation {
                constraint: "one flag per item".into(),
                subject: format!("{} flags", decision.packed.len()),
                excess: (decision.packed.len() as f64 - self.items.len() as f64).abs(),
            });
        }
        let weight = self.weight(decision);
        if weight > self.capacity {
            violations.push(Violation {
                constraint: "capacity".into(),
                subject: format!("{weight} of {} tokens", self.capacity),
                excess: (weight - self.capacity) as f64,
            });
        }
        Evaluation {
            objective: self.value(decision) as f64,
            violations,
        }
    }
}

/// Dynamic programming over the used capacity: the optimum, proven (its bound is itself).
struct Exact;

impl Solver<KnapsackInstance> for Exact {
    fn name(&self) -> &str {
        "exact"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn search(&self, p: &KnapsackInstance, _: &Budget) -> Result<Found<Packing>, SolveError> {
        let c = p.capacity as usize;
        let n = p.items.len();
        // best[k][w]: the most value of the first k items within weight w.
        let mut best = vec![vec![0u64; c + 1]; n + 1];
        for (k, item) in p.items.iter().enumerate() {
            let w_k = item.weight as usize;
            for w in 0..=c {
                best[k + 1][w] = best[k][w];
                if w_k <= w {
                    best[k + 1][w] = best[k + 1][w].max(best[k][w - w_k] + item.value);
                }
            }
        }
        let mut packed = vec![false; n];
        let mut w = c;
        for k in (0..n).rev() {
            if best[k + 1][w] != best[k][w] {
                packed[k] = true;
                w -= p.items[k].weight as usize;
            }
        }
        let optimum = best[n][c] as f64;
        Ok(Found::decision(Packing { packed }, optimum)
            .with_bound(optimum)
            .with_work(0, (n * (c + 1)) as u64))
    }
}

/// Every subset: a test oracle for epochs of a few requests.
struct BruteForce;

impl Solver<KnapsackInstance> for BruteForce {
    fn name(&self) -> &str {
        "brute-force"
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn search(&self, p: &KnapsackInstance, _: &Budget) -> Result<Found<Packing>, SolveError> {
        let n = p.items.len();
        if n > 20 {
            return Ok(Found::not_found(format!(
                "{n} items are too many to enumerate"
            )));
        }
        let (value, mask) = best_subset(p);
        let packed = (0..n).map(|k| mask >> k & 1 == 1).collect();
        Ok(Found::decision(Packing { packed }, value as f64)
            .with_bound(value as f64)
            .with_work(0, 1 << n))
    }
}

/// The most valuable subset of `p`'s items that fits, by enumeration: (value, bit mask).
fn best_subset(p: &KnapsackInstance) -> (u64, u64) {
    (0u64..1 << p.items.len())
        .filter_map(|mask| {
            let picked = p
                .items
                .iter()
                .enumerate()
                .filter(|(k, _)| mask >> k & 1 == 1);
            let (w, v) = picked.fold((0, 0), |(w, v), (_, i)| (w + i.weight, v + i.value));
            (w <= p.capacity).then_some((v, mask))
        })
        .max_by_key(|(v, _)| *v)
        .expect("the empty set fits")
}

/// By value per token, each item while it fits.
struct Greedy;

impl Solver<KnapsackInstance> for Greedy {
    fn name(&self) -> &str {
        "greedy"
    }

    fn search(&self, p: &KnapsackInstance, _: &Budget) -> Result<Found<Packing>, SolveError> {
        let mut order: Vec<usize> = (0..p.items.len()).collect();
        let density = |k: usize| p.items[k].value as f64 / p.items[k].weight.max(1) as f64;
        order.sort_by(|&a, &b| density(b).total_cmp(&density(a)));
        let mut packed = vec![false; p.items.len()];
        let mut room = p.capacity;
        for k in order {
            if p.items[k].weight <= room {
                packed[k] = true;
                room -= p.items[k].weight;
            }
        }
        let packing = Packing { packed };
        let value = p.value(&packing) as f64;
        Ok(Found::decision(packing, value).with_work(0, 1))
    }
}

/// A solver that panics on every instance, to show what a failing solver does to a run.
struct Fragile;

impl Solver<KnapsackInstance> for Fragile {
    fn name(&self) -> &str {
        "fragile"
    }

    fn search(&self, p: &KnapsackInstance, _: &Budget) -> Result<Found<Packing>, SolveError> {
        panic!("fragile: {} items are too many", p.items.len())
    }
}

/// The items of an instance in order as the environment shows them, for a policy.
struct Items<'a> {
    instance: &'a KnapsackInstance,
    walker: Walker,
}

impl Walked for KnapsackInstance {
    type Walk<'a> = Items<'a>;

    fn walk(&self) -> Items<'_> {
        Items {
            instance: self,
            walker: Walker::new(Arc::new(self.clone())),
        }
    }
}

impl Walk for Items<'_> {
    type Decision = Packing;

    fn sizes(&self) -> (usize, usize) {
        (3, 2)
    }

    fn requests(&self) -> usize {
        self.instance.items.len()
    }

    fn id(&self, k: usize) -> u64 {
        k as u64
    }

    fn observe(&self, _: usize, observation: &mut [f32], mask: &mut [bool]) {
        observation.copy_from_slice(&self.walker.observation());
        mask.copy_from_slice(&self.walker.mask());
    }

    fn act(&mut self, _: usize, action: usize) -> Result<(), String> {
        self.walker.take(action);
        Ok(())
    }

    fn finish(self) -> Found<Packing> {
        let value = self.instance.value(&self.walker.packing) as f64;
        Found::decision(self.walker.packing, value)
    }
}

/// The settings: the share of an epoch's prompt tokens the budget holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnapsackSettings {
    capacity_share: Option<f64>,
}

/// The problem on a scenario: the items of its workload's epochs.
struct Knapsack {
    scenario: Arc<Scenario>,
    capacity_share: f64,
}

/// What `plan` shows.
#[derive(Debug, Serialize)]
struct KnapsackReport {
    scenario: String,
    items: usize,
    capacity: u64,
    solver: String,
    status: String,
    objective: Option<f64>,
    bound: Option<f64>,
    weight: Option<u64>,
    check: Option<Check>,
}

impl PlanReport for KnapsackReport {
    fn text(&self) -> String {
        format!(
            "knapsack of `{}`: {} items, capacity {} tokens\n{}: {} (value {:?}, weight {:?})\n",
            self.scenario,
            self.items,
            self.capacity,
            self.solver,
            self.status,
            self.objective,
            self.weight
        )
    }

    fn failed_check(&self) -> Option<String> {
        self.check
            .as_ref()
            .filter(|c| !c.feasible)
            .map(|c| format!("the packing breaks {} constraint(s)", c.violations.len()))
    }
}

/// One item of a packing, for Python's `outcome.plan`.
#[derive(Debug, Serialize)]
struct PackedRow {
    request: u64,
    weight: u64,
    value: u64,
    packed: bool,
}

const SOLVERS: &[SolverInfo] = &[
    SolverInfo {
        name: "exact",
        exact: true,
        default: true,
        help: "dynamic programming over the used capacity",
    },
    SolverInfo {
        name: "greedy",
        exact: false,
        default: true,
        help: "by value per token, each item while it fits",
    },
    SolverInfo {
        name: "brute-force",
        exact: true,
        default: false,
        help: "every subset (a test oracle)",
    },
    SolverInfo {
        name: "fragile",
        exact: false,
        default: false,
        help: "panics on every instance (a test of failing solvers)",
    },
];

impl Knapsack {
    /// The first epoch of the scenario's workload.
    fn first_epoch(&self) -> Result<Epoch, Error> {
        let source = TraceSource::of(&self.scenario, None)
            .ok_or_else(|| Error::Instance("the scenario has no [workload] trace".into()))?;
        let (rule, _) = epoch_rule(&self.scenario, None)?
            .ok_or_else(|| Error::Instance("the [workload] sets no epoch".into()))?;
        let start = source.start_s;
        let stream = TraceReader::open(source.path)?
            .filter(move |r| r.as_ref().map_or(true, |r| r.arrival_s >= start));
        Epochs::new(stream, rule)?
            .next()
            .transpose()?
            .ok_or_else(|| Error::Instance("the trace has no request".into()))
    }
}

impl Formulation for Knapsack {
    const NAME: &'static str = "knapsack";
    const ABOUT: &'static str = "which requests of an epoch fit a prefill token budget";
    const SECTION: Option<&'static str> = None;
    const SOLVERS: &'static [SolverInfo] = SOLVERS;
    const SETTINGS: &'static [SettingInfo] = &[SettingInfo {
        key: "capacity_share",
        help: "the budget as a share of the epoch's prompt tokens, in (0, 1] (default 0.5)",
    }];
    const DECISION_KEY: &'static str = "packed";
    type Instance = KnapsackInstance;
    type Settings = KnapsackSettings;
    type Report = KnapsackReport;
    type Row = PackedRow;

    fn solver(name: &str) -> Option<BoxedSolver<Self>> {
        match name {
            "exact" => Some(Box::new(Exact)),
            "greedy" => Some(Box::new(Greedy)),
            "brute-force" => Some(Box::new(BruteForce)),
            "fragile" => Some(Box::new(Fragile)),
            _ => None,
        }
    }

    fn new(scenario: Arc<Scenario>, settings: KnapsackSettings) -> Result<Knapsack, Error> {
        let capacity_share = settings.capacity_share.unwrap_or(0.5);
        if !(capacity_share > 0.0 && capacity_share <= 1.0) {
            return Err(Error::Setting(format!(
                "capacity_share must be in (0, 1], got {capacity_share}"
            )));
        }
        Ok(Knapsack {
            scenario,
            capacity_share,
        })
    }

    fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    fn settings(&self) -> Value {
        json!({ "capacity_share": self.capacity_share })
    }

    fn instance(&self) -> Result<KnapsackInstance, Error> {
        let epoch = self.first_epoch()?;
        Ok(KnapsackInstance::of(&epoch.requests, self.capacity_share))
    }

    fn size(instance: &KnapsackInstance) -> usize {
        instance.items.len()
    }

    fn facts(instance: &KnapsackInstance) -> Vec<(&'static str, Value)> {
        vec![
            ("items", instance.items.len().into()),
            ("capacity", instance.capacity.into()),
        ]
    }

    fn save(instance: &KnapsackInstance) -> Result<String, Error> {
        serde_json::to_string(instance).map_err(|e| Error::Instance(e.to_string()))
    }

    fn restore(_: &Arc<Scenario>, text: &str) -> Result<KnapsackInstance, Error> {
        serde_json::from_str(text).map_err(|e| Error::Instance(format!("saved knapsack: {e}")))
    }

    fn report(&self, instance: &KnapsackInstance, outcome: &Outcome<Packing>) -> KnapsackReport {
        KnapsackReport {
            scenario: self.scenario.name.clone(),
            items: instance.items.len(),
            capacity: instance.capacity,
            solver: outcome.solver.clone(),
            status: outcome.status.name().into(),
            objective: outcome.objective,
            bound: outcome.bound,
            weight: outcome.decision.as_ref().map(|d| instance.weight(d)),
            check: outcome
                .decision
                .as_ref()
                .map(|d| Check::of(instance.evaluate(d))),
        }
    }

    fn rows(instance: &KnapsackInstance, decision: &Packing) -> Vec<PackedRow> {
        instance
            .items
            .iter()
            .zip(&decision.packed)
            .map(|(i, &packed)| PackedRow {
                request: i.request,
                weight: i.weight,
                value: i.value,
                packed,
            })
            .collect()
    }

    fn arrays(instance: &KnapsackInstance, decision: &Packing) -> Arrays {
        let flags = decision.packed.clone();
        Arrays::Single(Array::flags(1, instance.items.len(), flags))
    }

    fn from_arrays(instance: &KnapsackInstance, arrays: &Arrays) -> Result<Packing, String> {
        let rows = arrays
            .single("a 1 × items flag array")?
            .as_flag_rows("packing")?;
        let packed = rows.into_iter().next().unwrap_or_default();
        if packed.len() != instance.items.len() {
            return Err(format!(
                "packing: {} flags for {} items",
                packed.len(),
                instance.items.len()
            ));
        }
        Ok(Packing { packed })
    }
}

// ---------------------------------------------------------------------------------------------
// Its trace replay.
// ---------------------------------------------------------------------------------------------

/// One row of `requests.csv`: one item under one solver (`packed` empty when unplanned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct KnapsackRecord {
    epoch: u64,
    solver: String,
    request: u64,
    weight: u64,
    value: u64,
    packed: Option<bool>,
}

impl RequestRecord for KnapsackRecord {
    const COLUMNS: &'static [&'static str] =
        &["epoch", "solver", "request", "weight", "value", "packed"];

    fn solver(&self) -> &str {
        &self.solver
    }
}

/// Items and value packed by one solver.
#[derive(Debug, Default)]
struct KnapsackStats {
    items: u64,
    packed: u64,
    value: u64,
}

#[derive(Debug, Serialize)]
struct KnapsackStatsReport {
    items: u64,
    packed: u64,
    value: u64,
}

impl RecordStats<KnapsackRecord> for KnapsackStats {
    type Report = KnapsackStatsReport;
    const PLOTS: &'static [&'static str] = &[];

    fn add(&mut self, record: &KnapsackRecord) {
        self.items += 1;
        if record.packed == Some(true) {
            self.packed += 1;
            self.value += record.value;
        }
    }

    fn report(&self) -> KnapsackStatsReport {
        KnapsackStatsReport {
            items: self.items,
            packed: self.packed,
            value: self.value,
        }
    }

    fn plots(_: &[(&str, &Self)], _: &RunInfo) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

impl Replays for Knapsack {
    const REPLAY_HELP: &'static str = "each epoch's requests are items (weight: prompt tokens, \
value: generated tokens) under a budget of capacity_share of their prompt tokens.";
    type Epoch = KnapsackInstance;
    type Record = KnapsackRecord;
    type Stats = KnapsackStats;

    fn epoch(&self, epoch: &Epoch, _seed: u64) -> Result<KnapsackInstance, Error> {
        Ok(KnapsackInstance::of(&epoch.requests, self.capacity_share))
    }

    fn instance_of(epoch: &KnapsackInstance) -> &KnapsackInstance {
        epoch
    }

    fn records(
        &self,
        epoch: &KnapsackInstance,
        info: &EpochInfo,
        solver: &str,
        decision: Option<&Packing>,
    ) -> Vec<KnapsackRecord> {
        epoch
            .items
            .iter()
            .enumerate()
            .map(|(k, i)| KnapsackRecord {
                epoch: info.index,
                solver: solver.into(),
                request: i.request,
                weight: i.weight,
                value: i.value,
                packed: decision.map(|d| d.packed[k]),
            })
            .collect()
    }

    fn summary_table(solvers: &[Value], _timings: &Value) -> Table {
        let mut t = Table::new(&["solver", "packed", "value"]);
        for s in solvers {
            t.row(vec![
                s["solver"].as_str().unwrap_or("?").into(),
                s["requests"]["packed"].to_string(),
                s["requests"]["value"].to_string(),
            ]);
        }
        t
    }
}

// ---------------------------------------------------------------------------------------------
// Its environment: one item a step, pack it (1) or not (0).
// ---------------------------------------------------------------------------------------------

/// Where a walk over an instance's items stands.
#[derive(Debug, Clone)]
struct Walker {
    instance: Arc<KnapsackInstance>,
    next: usize,
    room: u64,
    packing: Packing,
}

impl Walker {
    fn new(instance: Arc<KnapsackInstance>) -> Walker {
        Walker {
            next: 0,
            room: instance.capacity,
            packing: Packing {
                packed: vec![false; instance.items.len()],
            },
            instance,
        }
    }

    fn done(&self) -> bool {
        self.next == self.instance.items.len()
    }

    /// The item's weight and value relative to the capacity and the largest value, and the
    /// room left relative to the capacity (zeros once done).
    fn observation(&self) -> Vec<f32> {
        let capacity = self.instance.capacity.max(1) as f32;
        let most = self
            .instance
            .items
            .iter()
            .map(|i| i.value)
            .max()
            .unwrap_or(1)
            .max(1) as f32;
        match self.instance.items.get(self.next) {
            Some(i) => vec![
                (i.weight as f32 / capacity).min(1.0),
                i.value as f32 / most,
                self.room as f32 / capacity,
            ],
            None => vec![0.0, 0.0, self.room as f32 / capacity],
        }
    }

    fn mask(&self) -> Vec<bool> {
        let fits = self
            .instance
            .items
            .get(self.next)
            .is_some_and(|i| i.weight <= self.room);
        vec![true, fits]
    }

    /// Takes `action` (a masked-out one counts as 0): the value packed and whether the action
    /// was replaced.
    fn take(&mut self, action: usize) -> (u64, bool) {
        let allowed = action < 2 && self.mask()[action];
        let item = self.instance.items[self.next].clone();
        let packed = allowed && action == 1;
        if packed {
            self.packing.packed[self.next] = true;
            self.room -= item.weight;
        }
        self.next += 1;
        (if packed { item.value } else { 0 }, !allowed)
    }
}

/// What an episode reports at its end.
#[derive(Debug, Clone)]
struct EpisodeReport {
    instance: Arc<KnapsackInstance>,
    packing: Packing,
    value: u64,
}

impl EnvReport<Knapsack> for EpisodeReport {
    fn info(&self) -> Vec<(&'static str, Info)> {
        vec![
            ("value", Info::Int(self.value as i64)),
            ("items", Info::Int(self.instance.items.len() as i64)),
            ("packing", Info::plain(&self.packing)),
        ]
    }

    fn instance(&self) -> Option<&Arc<KnapsackInstance>> {
        Some(&self.instance)
    }
}

/// Episodes over the instances of the first epochs of the workload, in turn.
#[derive(Debug, Clone)]
struct KnapsackEnv {
    instances: Vec<Arc<KnapsackInstance>>,
    episode: usize,
    walk: Option<Walker>,
    space: BoxSpace,
    observation: Vec<f32>,
    mask: Vec<bool>,
}

impl Env for KnapsackEnv {
    type Report = EpisodeReport;

    fn observation_space(&self) -> &BoxSpace {
        &self.space
    }

    fn action_space(&self) -> Discrete {
        Discrete { n: 2 }
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError> {
        if let Some(seed) = seed {
            self.episode = seed as usize % self.instances.len();
        }
        let walk = Walker::new(Arc::clone(&self.instances[self.episode]));
        self.episode = (self.episode + 1) % self.instances.len();
        (self.observation, self.mask) = (walk.observation(), walk.mask());
        self.walk = Some(walk);
        Ok(())
    }

    fn step(&mut self, action: usize) -> Result<Step<EpisodeReport>, EnvError> {
        if action >= 2 {
            return Err(EnvError::ActionOutOfRange { action, n: 2 });
        }
        let walk = self.walk.as_mut().ok_or(EnvError::NeedsReset)?;
        let (value, invalid_action) = walk.take(action);
        (self.observation, self.mask) = (walk.observation(), walk.mask());
        let terminated = walk.done();
        let report = terminated.then(|| EpisodeReport {
            instance: Arc::clone(&walk.instance),
            value: walk.instance.value(&walk.packing),
            packing: walk.packing.clone(),
        });
        if terminated {
            self.walk = None;
        }
        Ok(Step {
            reward: value as f64,
            terminated,
            truncated: false,
            invalid_action,
            report,
        })
    }

    fn observation(&self) -> &[f32] {
        &self.observation
    }

    fn action_mask(&self) -> &[bool] {
        &self.mask
    }
}

/// The keyword arguments of `mei4llm/Knapsack-v0`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct KnapsackEnvArgs {
    /// Epochs of the workload played in turn (default 3).
    epochs: Option<usize>,
    capacity_share: Option<f64>,
}

impl Plays for Knapsack {
    const ENV_ID: &'static str = "Knapsack-v0";
    const DEFAULT_SCENARIO: &'static str = "small";
    type Env = KnapsackEnv;
    type EnvArgs = KnapsackEnvArgs;

    fn env(scenario: Arc<Scenario>, args: KnapsackEnvArgs) -> Result<KnapsackEnv, EnvError> {
        let settings = KnapsackSettings {
            capacity_share: args.capacity_share,
        };
        let f = Knapsack::new(scenario, settings)?;
        let epochs = args.epochs.unwrap_or(3);
        if epochs == 0 {
            return Err(EnvError::Option {
                option: "epochs",
                message: "at least one".into(),
            });
        }
        let defaults = f.defaults(None, None, None)?;
        let source = defaults.source.ok_or(Error::Instance("no trace".into()))?;
        let (rule, _) = defaults
            .rule
            .ok_or(Error::Instance("no epoch rule".into()))?;
        let stream = TraceReader::open(source.path)?;
        let instances = Epochs::new(stream, rule)?
            .take(epochs)
            .map(|e| Ok(Arc::new(f.epoch(&e?, 0)?)))
            .collect::<Result<Vec<_>, EnvError>>()?;
        let space = BoxSpace {
            low: vec![0.0; 3],
            high: vec![1.0; 3],
            names: vec!["weight".into(), "value".into(), "room".into()],
        };
        Ok(KnapsackEnv {
            instances,
            episode: 0,
            walk: None,
            space,
            observation: vec![0.0; 3],
            mask: vec![true, false],
        })
    }

    fn policy(name: &str, policy: Policy) -> Option<BoxedSolver<Self>> {
        let policy = move |o: &[f32], m: &[bool]| policy(o, m);
        Some(Box::new(PolicySolver::new(name, policy)))
    }
}

// ---------------------------------------------------------------------------------------------
// The generic paths.
// ---------------------------------------------------------------------------------------------

/// The registration, as one line of `registry::ENTRIES` would hold it.
static KNAPSACK: Entry<Knapsack> = Entry::<Knapsack>::NEW;

fn entry() -> &'static dyn Registered {
    &KNAPSACK
}

fn small() -> Arc<Scenario> {
    registry::open_scenario("small").unwrap()
}

/// The first `n` requests of the bundled Azure conversation trace, read here on their own:
/// (prompt tokens, generated tokens).
fn azure_head(n: usize) -> Vec<(u64, u64)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/traces/azure_llm_2023_conv.csv");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .take(n)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[1].parse().unwrap(), cells[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn the_instance_is_the_scenarios_first_epoch_of_the_azure_trace() {
    let f = Knapsack::new(small(), KnapsackSettings::default()).unwrap();
    let instance = f.instance().unwrap();
    let head = azure_head(8); // small.toml: `requests = 8` of azure_llm_2023_conv.csv
    let items: Vec<(u64, u64)> = instance.items.iter().map(|i| (i.weight, i.value)).collect();
    assert_eq!(items, head);
    let total: u64 = head.iter().map(|(w, _)| w).sum();
    assert_eq!(instance.capacity, total / 2);
}

#[test]
fn plan_answers_by_every_solver_and_the_exact_optimum_is_the_brute_force_one() {
    let f = Knapsack::new(small(), KnapsackSettings::default()).unwrap();
    let (optimum, _) = best_subset(&f.instance().unwrap());
    assert!(optimum > 0);
    let mut objectives = Vec::new();
    for solver in entry().solvers() {
        if solver.name == "fragile" {
            let e = entry()
                .plan(small(), &json!({}), solver.name, &Budget::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains("panicked") && e.contains("too many"), "{e}");
            continue;
        }
        let plan = entry()
            .plan(small(), &json!({}), solver.name, &Budget::default())
            .unwrap();
        let report: Value = serde_json::from_str(&plan.json).unwrap();
        assert!(plan.answered, "{}", solver.name);
        assert_eq!(plan.failed_check, None);
        assert!(plan.text.contains(solver.name));
        let objective = report["objective"].as_f64().unwrap();
        assert_eq!(report["check"]["feasible"], true);
        assert_eq!(report["check"]["objective"].as_f64(), Some(objective));
        assert!(report["weight"].as_u64().unwrap() <= report["capacity"].as_u64().unwrap());
        let status = if solver.exact { "optimal" } else { "feasible" };
        assert_eq!(report["status"], status, "{}", solver.name);
        objectives.push((solver.name, objective));
    }
    let of = |name: &str| objectives.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(of("exact"), optimum as f64);
    assert_eq!(of("brute-force"), optimum as f64);
    assert!(of("greedy") <= optimum as f64);
}

#[test]
fn plan_refuses_what_the_problem_does_not_take() {
    let budget = Budget::default();
    let e = entry()
        .plan(small(), &json!({ "objective": "energy" }), "exact", &budget)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`objective` does not apply to the `knapsack` problem"),
        "{e}"
    );
    assert!(e.contains("capacity_share"), "{e}");
    let e = entry()
        .plan(small(), &json!({ "capacity_share": 1.5 }), "exact", &budget)
        .unwrap_err()
        .to_string();
    assert!(e.contains("capacity_share must be in (0, 1]"), "{e}");
    let e = entry()
        .plan(small(), &json!({}), "simplex", &budget)
        .unwrap_err()
        .to_string();
    assert!(e.contains("exact, greedy, brute-force, fragile"), "{e}");
}

#[test]
fn solve_trace_writes_the_run_files_with_a_row_per_epoch_and_request() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let request = TraceRequest {
        scenario_file: "scenarios/small.toml".into(),
        epoch: Some("20".into()),
        max_epochs: Some(4),
        threads: 1,
        gap: 1e-6,
        ..TraceRequest::default()
    };
    let replayed = entry()
        .replay(small(), &json!({}), &request, Some(&out), true, &mut |_| {})
        .unwrap();
    assert_eq!(replayed.totals.epochs, 4);
    assert_eq!(replayed.totals.requests, 80);
    assert_eq!(replayed.info.solvers, ["exact", "greedy"]);
    for file in [
        "run.json",
        "epochs.csv",
        "requests.csv",
        "summary.json",
        "timings.csv",
        "timings.json",
        "solve_time.svg",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }

    // epochs.csv: per epoch the exact optimum (the brute force's, on the same 20 requests of
    // the trace) and the greedy below it.
    let head = azure_head(80);
    let mut epochs = csv::Reader::from_path(out.join("epochs.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = epochs.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    for pair in rows.chunks(2) {
        let (exact, greedy) = (&pair[0], &pair[1]);
        assert_eq!((&exact[3], &exact[5]), ("exact", "optimal"));
        assert_eq!((&greedy[3], &greedy[5]), ("greedy", "feasible"));
        let k: usize = exact[0].parse().unwrap();
        let requests: Vec<Request> = head[20 * k..20 * (k + 1)]
            .iter()
            .map(|&(w, v)| Request {
                id: 0,
                arrival_s: 0.0,
                prompt_tokens: w as u32,
                output_tokens: v as u32,
                prefix_blocks: Vec::new(),
            })
            .collect();
        let (optimum, _) = best_subset(&KnapsackInstance::of(&requests, 0.5));
        let objective = |r: &csv::StringRecord| r[6].parse::<f64>().unwrap();
        assert_eq!(objective(exact), optimum as f64, "epoch {k}");
        assert!(objective(greedy) <= optimum as f64);
        let gap_to_exact: f64 = greedy[9].parse().unwrap();
        let expected = (optimum as f64 - objective(greedy)) / optimum as f64;
        assert!((gap_to_exact - expected).abs() < 1e-12, "epoch {k}");
    }

    // requests.csv: one row per request and solver, the packed weight within the budget.
    let mut requests = csv::Reader::from_path(out.join("requests.csv")).unwrap();
    assert_eq!(
        requests.headers().unwrap().iter().collect::<Vec<_>>(),
        KnapsackRecord::COLUMNS
    );
    let records: Vec<KnapsackRecord> = requests.deserialize().map(Result::unwrap).collect();
    assert_eq!(records.len(), 160);
    for k in 0..4u64 {
        let packed: u64 = records
            .iter()
            .filter(|r| r.epoch == k && r.solver == "exact" && r.packed == Some(true))
            .map(|r| r.weight)
            .sum();
        let total: u64 = head[20 * k as usize..20 * (k as usize + 1)]
            .iter()
            .map(|(w, _)| w)
            .sum();
        assert!(packed <= total / 2);
    }
    let weights: Vec<u64> = records
        .iter()
        .filter(|r| r.solver == "exact")
        .map(|r| r.weight)
        .collect();
    assert_eq!(weights, head.iter().map(|(w, _)| *w).collect::<Vec<_>>());

    // summary.json holds the stats; redrawing it from the CSV files gives the same.
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let exact_value = summary["solvers"][0]["requests"]["value"].as_u64().unwrap();
    let from_csv: u64 = records
        .iter()
        .filter(|r| r.solver == "exact" && r.packed == Some(true))
        .map(|r| r.value)
        .sum();
    assert_eq!(exact_value, from_csv);
    let table = entry().summary_table(summary["solvers"].as_array().unwrap(), &json!({}));
    assert_eq!(table.rows()[0][0], "exact");
    assert_eq!(table.rows()[0][2], exact_value.to_string());
    let written = std::fs::read_to_string(out.join("summary.json")).unwrap();
    entry().redraw(&out, &replayed.info).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        written
    );

    // The records kept in memory are the files' rows.
    let kept = replayed.records.unwrap();
    assert_eq!(kept.epochs(), 4);
    let (columns, rows) = kept.rows("requests").unwrap();
    assert_eq!(columns, KnapsackRecord::COLUMNS);
    assert_eq!(rows.len(), 160);
}

/// A solver that panics leaves an `error` row in every epoch, and the run, which goes on to
/// the end, is not complete.
#[test]
fn a_run_in_which_a_solver_panics_goes_on_and_is_not_complete() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let request = TraceRequest {
        scenario_file: "scenarios/small.toml".into(),
        epoch: Some("20".into()),
        max_epochs: Some(3),
        solvers: Some(vec!["exact".into(), "fragile".into()]),
        threads: 2,
        ..TraceRequest::default()
    };
    let replayed = entry()
        .replay(
            small(),
            &json!({}),
            &request,
            Some(&out),
            false,
            &mut |_| {},
        )
        .unwrap();
    let totals = &replayed.totals;
    assert_eq!(totals.epochs, 3);
    assert!(totals.stopped_by.is_none());
    assert_eq!(totals.solver_errors.count, 3);
    let first = totals.solver_errors.first.as_deref().unwrap();
    assert!(first.starts_with("epoch 0, solver fragile:"), "{first}");
    assert!(first.contains("20 items are too many"), "{first}");
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["complete"], false);
    assert_eq!(run["solver_errors"], 3);
    assert_eq!(run["stopped_by"], Value::Null);
    let mut epochs = csv::Reader::from_path(out.join("epochs.csv")).unwrap();
    let statuses: Vec<String> = epochs
        .records()
        .map(|r| r.unwrap()[5].to_string())
        .collect();
    assert_eq!(statuses, ["optimal", "error"].repeat(3));
}

/// Python's `solve`: the instance, solved by name, evaluated in both decision forms, saved
/// and restored (pickled), and solved by a callable policy.
#[test]
fn the_python_path_solves_evaluates_and_restores_the_instance() {
    let instance: Arc<dyn AnyInstance> = entry().instance(small(), &json!({})).unwrap();
    assert_eq!(instance.problem(), "knapsack");
    assert_eq!(instance.scenario(), "small");
    assert_eq!(instance.size(), 8);
    assert_eq!(instance.facts()[0], ("items", json!(8)));
    assert_eq!(instance.decision_key(), "packed");

    let budget = Budget::default();
    let exact = instance.solve("exact", &budget).unwrap();
    let greedy = instance.solve("greedy", &budget).unwrap();
    assert_eq!((exact.status, exact.sense), ("optimal", Sense::Maximise));
    assert_eq!(exact.bound, exact.objective);
    assert_eq!(exact.gap, Some(0.0));
    assert_eq!(greedy.status, "feasible");
    assert!(greedy.objective <= exact.objective);
    assert_eq!(exact.rows.len(), 8);
    let packed_value: u64 = exact
        .rows
        .iter()
        .filter(|r| r["packed"] == true)
        .map(|r| r["value"].as_u64().unwrap())
        .sum();
    assert_eq!(Some(packed_value as f64), exact.objective);

    let decision = exact.decision.clone().unwrap();
    assert!(decision.get("packed").is_some());
    let json_form = GivenDecision::Json(decision.to_string());
    let evaluation = instance.evaluate(&json_form).unwrap();
    assert!(evaluation.is_feasible());
    assert_eq!(Some(evaluation.objective), exact.objective);
    let arrays = instance.arrays(&json_form).unwrap();
    let again = instance.evaluate(&GivenDecision::Arrays(arrays)).unwrap();
    assert_eq!(again, evaluation);

    // Everything packed breaks the budget, and the re-check says so.
    let all = GivenDecision::Json(json!({ "packed": vec![true; 8] }).to_string());
    let over = instance.evaluate(&all).unwrap();
    assert_eq!(over.violations[0].constraint, "capacity");

    let text = instance.save().unwrap();
    let restored = entry().restore(small(), &text).unwrap();
    assert_eq!(restored.save().unwrap(), text);
    let r = restored.solve("exact", &budget).unwrap();
    assert_eq!((r.status, r.objective), (exact.status, exact.objective));

    // A policy that packs whatever fits walks the items as the environment shows them.
    let policy: Policy = Arc::new(|_: &[f32], mask: &[bool]| Ok(usize::from(mask[1])));
    let walked = instance.solve_policy("first-fit", policy, &budget).unwrap();
    assert_eq!(
        (walked.solver.as_str(), walked.status),
        ("first-fit", "feasible")
    );
    assert!(walked.objective <= exact.objective);
    // One that packs every item answers outside the mask once the budget is full.
    let greedy: Policy = Arc::new(|_: &[f32], _: &[bool]| Ok(1));
    let refused = instance.solve_policy("pack-all", greedy, &budget);
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("action 1 is not valid"), "{message}");
}

/// An environment: reset, then step to the episode's end, checking masks and rewards.
#[test]
fn an_environment_episode_packs_within_the_mask_and_reports_its_instance() {
    let mut env = entry().env(small(), &json!({ "epochs": 2 })).unwrap();
    assert_eq!(env.actions(), 2);
    assert!(matches!(env.step(0), Err(EnvError::NeedsReset)));
    env.reset(Some(0)).unwrap();
    let space = env.observation_space().clone();
    let (mut rewards, mut steps, mut refused) = (0.0, 0, 0);
    let report = loop {
        assert!(space.contains(env.observation()));
        let mask = env.action_mask().to_vec();
        assert!(mask[0], "skipping is always allowed");
        // Try to pack every item: a masked-out one is replaced by a skip.
        let step = env.step(1).unwrap();
        assert_eq!(step.invalid_action, !mask[1]);
        refused += usize::from(step.invalid_action);
        if step.invalid_action {
            assert_eq!(step.reward, 0.0);
        }
        rewards += step.reward;
        steps += 1;
        if step.terminated {
            break step.report.unwrap();
        }
        assert!(step.report.is_none());
    };
    assert_eq!(
        steps, 8,
        "small.toml's epochs are of 8 requests, one item a step"
    );
    assert!(
        refused > 0,
        "the budget is half the prompt tokens: not every item fits"
    );
    let info = |key: &str| {
        report
            .info
            .iter()
            .find(|(k, _)| *k == key)
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(info("value"), Info::Int(rewards as i64));
    let Info::Plain(packing) = info("packing") else {
        panic!("the packing is plain data")
    };
    let played = report.instance.unwrap();
    let evaluation = played
        .evaluate(&GivenDecision::Json(packing.to_string()))
        .unwrap();
    assert!(evaluation.is_feasible());
    assert_eq!(evaluation.objective, rewards);
    let best = played.solve("exact", &Budget::default()).unwrap();
    assert!(rewards <= best.objective.unwrap());
    assert!(matches!(env.step(0), Err(EnvError::NeedsReset)));

    let e = entry()
        .env(small(), &json!({ "horizon": 3 }))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("mei4llm/Knapsack-v0") && e.contains("unknown option"),
        "{e}"
    );
}

#[test]
fn environments_step_together_through_the_vector_path() {
    let mut envs = entry().vec_env(small(), &json!({}), 2).unwrap();
    envs.reset(Some(7)).unwrap();
    let mut ended = 0;
    for _ in 0..8 {
        ended += envs.step(&[0, 1]).unwrap().len();
    }
    assert_eq!(ended, 2, "both episodes of 8 items end on the 8th step");
}
