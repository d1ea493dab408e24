//! Replaying the `batching` problem: each epoch's requests are the waiting queue of one
//! continuous-batching decision over the scenario's edge servers, and each request is then
//! admitted or not under every solver's decision.
//!
//! What an epoch is:
//!
//! 1. The epoch's requests wait at the edge site of the scenario's `[batching]` section: every
//!    edge server idle, serving the section's model at one of its precisions with the section's
//!    share of its memory; SLOs from the section, else MLPerf's; each request's narrowest
//!    accepted precision drawn with the section's shares from the epoch's seed
//!    ([`instance_seed`](crate::replay::instance_seed)); weight 1. This is
//!    [`BatchingInstance::from_requests`], which `plan --problem batching` uses too.
//! 2. The decision is taken at the **epoch's end**: the end of its window for a time rule
//!    (`--epoch 1s`: requests wait until the window closes), its last arrival for a count rule
//!    (`--epoch 200`, as `plan` does with the section's `requests`). Times are counted from the
//!    epoch's start with the trace's arrival gaps shortened by the section's `arrival_speedup`;
//!    epochs themselves are cut on the trace's own clock. A request that has waited past its
//!    TTFT SLO, or that no server can serve alone, is kept, recorded as not servable, and
//!    never admitted. With idle servers the empty batch is always feasible, so no epoch is
//!    infeasible.
//! 3. Every solver decides; each request's record says whether it joins the batch, on which
//!    server and at which precision, and its predicted TTFT and TPOT ([`BatchingRecord`]).
//!    Epochs are independent: admitted requests do not occupy the servers of later epochs, and
//!    requests left waiting do not carry over. An epoch measures how well a solver packs one
//!    queue (the exact solver's objective is the best any decision reaches on it), not a
//!    scheduler's behaviour over time.
//!
//! The `[batching]` section's `trace`, `start` and `seed` are defaults of the run (the trace
//! when none is given, from `start`; the seed when none is given); its `requests` is the
//! default epoch rule (that many requests per epoch). A trace given to the run is read from
//! its first request.
//!
//! ```
//! use mei4llm::problems::Batching;
//! use mei4llm::replay::{ReplayOptions, replay};
//! use mei4llm::system::{Scenario, trace::{EpochRule, TraceReader}};
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! let scenario = Scenario::from_path(Path::new("scenarios/batching-small.toml"))?;
//! let problem = Batching::of(Arc::new(scenario))?;
//! let trace = TraceReader::open(Path::new("datasets/traces/azure_llm_2023_conv.csv"))?;
//! let options = ReplayOptions {
//!     rule: EpochRule::Count { requests: 12 },
//!     solvers: vec!["exact".into(), "fcfs".into()],
//!     max_epochs: Some(2),
//!     ..ReplayOptions::default()
//! };
//! let mut epochs = Vec::new();
//! replay(&problem, trace, &options, &mut epochs, &mut |_| {})?;
//! for e in &epochs {
//!     let (exact, fcfs) = (&e.epochs[0], &e.epochs[1]);
//!     assert_eq!(exact.status, "optimal");
//!     // With the `requests` objective an epoch's objective is the number of admitted requests.
//!     let admitted = e.requests.iter().filter(|r| r.solver == "fcfs" && r.admitted).count();
//!     assert_eq!(fcfs.objective, Some(admitted as f64));
//!     assert!(fcfs.objective <= exact.objective);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod plots;
mod record;
mod stats;
mod summary;

pub use plots::ADMITTED_SHARE_SVG;
pub use record::BatchingRecord;
pub use stats::{BatchingReport, BatchingStats};
pub use summary::summary_table;

use crate::problems::batching::Section;
use crate::problems::batching::{
    BatchingInstance, MLPERF_TPOT_S, MLPERF_TTFT_S, TraceWindow, VLLM_MEMORY_UTILISATION,
};
use crate::replay::TraceSource;
use crate::system::trace::{Epoch, EpochRule};
use crate::system::{DataPath, Scenario};
use std::sync::Arc;

/// The batching problem, replayed over the `[batching]` section of a scenario.
#[derive(Debug, Clone)]
pub struct BatchingReplay {
    scenario: Arc<Scenario>,
    section: Section,
}

impl BatchingReplay {
    /// Replays over the `[batching]` section of `scenario`; an error when it has none.
    pub fn new(scenario: &Scenario) -> Result<Self, crate::problems::Error> {
        let section = Section::of(scenario)?;
        Ok(BatchingReplay {
            scenario: Arc::new(scenario.clone()),
            section,
        })
    }

    /// The scenario's `[batching]` section.
    pub fn section(&self) -> &Section {
        &self.section
    }

    /// The trace of a run: `trace` from its first request when given, else the section's
    /// trace from its `start`.
    pub fn trace_source(&self, trace: Option<&DataPath>) -> TraceSource {
        let b = self.section();
        match trace {
            Some(path) => TraceSource {
                path: path.clone(),
                start_s: 0.0,
            },
            None => TraceSource {
                path: b.trace.clone(),
                start_s: b.start_s,
            },
        }
    }

    /// The epoch rule of a run without one, and its text for `run.json`: epochs of the
    /// section's `requests` requests.
    pub fn default_rule(&self) -> (EpochRule, String) {
        let n = self.section().requests;
        (
            EpochRule::Count {
                requests: n as usize,
            },
            n.to_string(),
        )
    }

    /// The seed of a run without one: the section's.
    pub fn default_seed(&self) -> u64 {
        self.section().seed
    }

    /// The settings recorded in `run.json`: model, precisions, memory utilisation, SLOs,
    /// arrival speed-up, precision shares, objective and the servers.
    pub fn settings(&self) -> serde_json::Value {
        let b = self.section();
        let shares: serde_json::Map<String, serde_json::Value> = b
            .min_precision_shares
            .iter()
            .map(|(p, s)| (p.name().to_string(), (*s).into()))
            .collect();
        let servers: Vec<serde_json::Value> = self
            .scenario
            .edge_servers
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name,
                    "hardware": e.node.profile.name,
                })
            })
            .collect();
        serde_json::json!({
            "model": b.model.name,
            "precisions": b.precisions,
            "memory_utilisation": b.memory_utilisation.unwrap_or(VLLM_MEMORY_UTILISATION),
            "ttft_slo_s": b.ttft_slo_s.unwrap_or(MLPERF_TTFT_S),
            "tpot_slo_s": b.tpot_slo_s.unwrap_or(MLPERF_TPOT_S),
            "arrival_speedup": b.arrival_speedup,
            "min_precision": shares,
            "objective": b.objective,
            "decision": "epoch end",
            "servers": servers,
        })
    }

    /// What `epoch` becomes, drawn with the epoch's own `seed`.
    pub fn epoch(
        &self,
        epoch: &Epoch,
        seed: u64,
    ) -> Result<BatchingInstance, crate::problems::Error> {
        let window = TraceWindow {
            origin_s: epoch.start_s,
            decision_s: epoch.end_s,
        };
        BatchingInstance::from_requests(
            &self.scenario,
            &self.section,
            &epoch.requests,
            window,
            seed,
            true,
        )
    }
}
