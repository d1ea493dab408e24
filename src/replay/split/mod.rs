//! Replaying the `split` problem: each epoch's requests become a [`SplitInstance`] (a device
//! and a model per request, drawn with the epoch's seed), every named solver of
//! [`crate::problems::split::SOLVERS`] plans it, and each request's latency, energy and bytes
//! become a [`SplitRecord`].

mod plots;
mod record;
mod stats;

pub use plots::{CHOICES_SVG, LATENCY_CDF_SVG};
pub use record::{PlannedRequest, SplitRecord, planned_requests};
pub use stats::{SPLIT_BIN_LABELS, SPLIT_BINS, SplitReport, SplitStats, TIERS, Total, split_bin};

use super::Error;
use super::epochs::EpochInfo;
use super::problem::{ReplayProblem, SolverRun};
use super::slo::Slo;
use crate::problems::split::{Objective, SOLVERS, SplitInstance, solver};
use crate::solve::{Budget, Sense};
use crate::system::Scenario;
use crate::system::trace::Epoch;
use std::sync::Arc;

/// The split problem, replayed: a scenario, what the plans minimise, and the SLOs the requests
/// are judged by.
///
/// The SLOs only measure: the constraints the solvers plan with are the scenario's own
/// workload deadlines, as in `mei4llm plan`.
#[derive(Debug, Clone)]
pub struct SplitReplay {
    scenario: Arc<Scenario>,
    objective: Objective,
    slo: Slo,
}

impl SplitReplay {
    /// Replays over `scenario`, minimising `objective`, judging requests by `slo`.
    pub fn new(scenario: Arc<Scenario>, objective: Objective, slo: Slo) -> Result<Self, Error> {
        slo.validate()?;
        Ok(SplitReplay {
            scenario,
            objective,
            slo,
        })
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The SLOs.
    pub fn slo(&self) -> Slo {
        self.slo
    }

    /// The settings recorded in `run.json`: objective and SLOs.
    pub fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "objective": self.objective,
            "slo": self.slo,
        })
    }
}

impl ReplayProblem for SplitReplay {
    type Instance = SplitInstance;
    type Record = SplitRecord;
    type Stats = SplitStats;

    fn name(&self) -> &'static str {
        "split"
    }

    fn knows(&self, name: &str) -> bool {
        solver(name).is_some()
    }

    fn solver_names(&self) -> Vec<&'static str> {
        SOLVERS.to_vec()
    }

    fn exact_solver(&self) -> Option<&'static str> {
        Some("exact")
    }

    fn sense(&self) -> Sense {
        Sense::Minimise
    }

    fn instance(&self, epoch: &Epoch, seed: u64) -> Result<SplitInstance, Error> {
        Ok(SplitInstance::from_trace(
            Arc::clone(&self.scenario),
            &epoch.requests,
            self.objective,
            seed,
        )?)
    }

    fn solve(
        &self,
        instance: &SplitInstance,
        epoch: &EpochInfo,
        name: &str,
        budget: &Budget,
    ) -> SolverRun<SplitRecord> {
        let Some(chosen) = solver(name) else {
            return self.failed(instance, epoch, name, format!("unknown solver `{name}`"));
        };
        SolverRun::checked(
            chosen.as_ref(),
            instance,
            budget,
            || SplitRecord::unplanned(epoch.index, name, instance),
            |decision| {
                planned_requests(instance, decision)
                    .iter()
                    .map(|p| SplitRecord::planned(epoch.index, name, p, instance, &self.slo))
                    .collect()
            },
        )
    }

    fn failed(
        &self,
        instance: &SplitInstance,
        epoch: &EpochInfo,
        solver: &str,
        reason: String,
    ) -> SolverRun<SplitRecord> {
        SolverRun::failure(
            reason,
            SplitRecord::unplanned(epoch.index, solver, instance),
        )
    }
}
