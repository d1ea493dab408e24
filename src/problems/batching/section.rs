//! The `[batching]` section of a scenario: which model the edge servers serve, at which
//! precisions, and the waiting requests of one decision (`formulations/batching.md`).
//!
//! ```toml
//! [batching]
//! model = "Llama-3.1-8B"
//! precisions = ["fp16", "int8", "int4"]    # optional: all three
//! memory_utilisation = 0.9                 # optional: vLLM's default
//! trace = "../datasets/traces/azure_llm_2023_conv.csv"
//! start = "600 s"                          # optional
//! requests = 200
//! arrival_speedup = 4.0                    # optional
//! ttft_slo = "2 s"                         # optional: MLPerf's Llama-3.1-8B server SLOs
//! tpot_slo = "100 ms"
//! min_precision = { fp16 = 0.2, int8 = 0.3, int4 = 0.5 }   # optional: all int4
//! objective = "requests"                   # or "tokens"
//! seed = 1
//! ```
//!
//! `requests` is at most [`MAX_EPOCH_REQUESTS`], the most one decision epoch holds.

use crate::problems::Error;
use crate::system::quantity::Seconds;
use crate::system::scenario::Source;
use crate::system::trace::MAX_EPOCH_REQUESTS;
use crate::system::{Architecture, Catalogue, DataPath, Precision, Scenario};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The section's name in a scenario file.
pub const SECTION: &str = "batching";

/// The `[batching]` section as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchingFile {
    model: String,
    #[serde(default)]
    precisions: Option<Vec<Precision>>,
    #[serde(default)]
    memory_utilisation: Option<f64>,
    trace: PathBuf,
    #[serde(default)]
    start: Option<Seconds>,
    requests: u32,
    #[serde(default)]
    arrival_speedup: Option<f64>,
    #[serde(default)]
    ttft_slo: Option<Seconds>,
    #[serde(default)]
    tpot_slo: Option<Seconds>,
    #[serde(default)]
    min_precision: Option<MinPrecisionFile>,
    #[serde(default)]
    objective: Option<Objective>,
    #[serde(default)]
    seed: u64,
}

/// Shares of the waiting requests by the narrowest precision they accept.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinPrecisionFile {
    #[serde(default)]
    fp16: f64,
    #[serde(default)]
    int8: f64,
    #[serde(default)]
    int4: f64,
}

/// What the batching problem maximises over the admitted requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The weighted number of admitted requests. Every admitted request meets its SLOs, so this
    /// is the SLO goodput of the batch.
    Requests,
    /// The weighted number of tokens (prompt and output) of the admitted requests.
    Tokens,
}

/// The resolved `[batching]` section of a scenario: the model every edge server serves, the
/// precisions it may serve at, and where the waiting requests come from.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The served model.
    pub model: Architecture,
    /// Precisions an edge server may serve it at (distinct, in file order).
    pub precisions: Vec<Precision>,
    /// Fraction of each server's memory given to weights and KV cache, when the file sets it.
    pub memory_utilisation: Option<f64>,
    /// Trace of the waiting requests.
    pub trace: DataPath,
    /// Skip requests arriving before this time (on the trace's own clock).
    pub start_s: f64,
    /// Number of waiting requests, taken in arrival order from `start_s`.
    pub requests: u32,
    /// Factor by which the trace's inter-arrival times are shortened (1: as recorded).
    pub arrival_speedup: f64,
    /// Time-to-first-token SLO of every request, when the file sets it.
    pub ttft_slo_s: Option<f64>,
    /// Time-per-output-token SLO of every request, when the file sets it.
    pub tpot_slo_s: Option<f64>,
    /// Shares of the requests by the narrowest precision they accept, widest first; they sum
    /// to 1.
    pub min_precision_shares: Vec<(Precision, f64)>,
    /// What is maximised.
    pub objective: Objective,
    /// Seed of the draw of every request's narrowest precision.
    pub seed: u64,
}

impl Section {
    /// The `[batching]` section of `scenario`, resolved; an error when it has none.
    pub fn of(scenario: &Scenario) -> Result<Section, Error> {
        let raw: BatchingFile = scenario.section(SECTION)?.ok_or_else(|| {
            Error::Instance(format!(
                "scenario `{}` has no [{SECTION}] section",
                scenario.name
            ))
        })?;
        Ok(resolve(scenario, raw)?)
    }

    /// The narrowest precision of a request whose uniform draw in `[0, 1)` is `draw`: the
    /// precision whose share, accumulated widest first, first exceeds the draw (the last one
    /// with a positive share should round-off leave the draw past the total).
    pub fn min_precision(&self, draw: f64) -> Precision {
        let mut acc = 0.0;
        self.min_precision_shares
            .iter()
            .find(|(_, share)| {
                acc += share;
                draw < acc
            })
            .or_else(|| {
                self.min_precision_shares
                    .iter()
                    .rev()
                    .find(|(_, s)| *s > 0.0)
            })
            .map_or(Precision::Int4, |(p, _)| *p)
    }
}

type Result<T, E = crate::system::Error> = std::result::Result<T, E>;

/// The section of the scenario's `[batching]` table `b`, checked: its model looked up, its
/// precisions, share of memory, request count, speed-up, start and SLOs within their ranges.
fn resolve(scenario: &Scenario, b: BatchingFile) -> Result<Section> {
    let source = &scenario.source;
    let model = Catalogue::bundled()
        .model(&b.model)
        .map_err(|e| source.value_error(&b.model, "batching.model", e.to_string()))?
        .clone();
    let precisions = section_precisions(source, b.precisions.clone())?;
    if let Some(u) = b.memory_utilisation {
        if !(u > 0.0 && u <= 1.0) {
            return Err(source.field_error(
                "batching.memory_utilisation",
                format!("must be in (0, 1], got {u}"),
            ));
        }
    }
    check_requests(source, b.requests)?;
    let arrival_speedup = b.arrival_speedup.unwrap_or(1.0);
    if !(arrival_speedup.is_finite() && arrival_speedup > 0.0) {
        return Err(source.field_error(
            "batching.arrival_speedup",
            format!("must be positive and finite, got {arrival_speedup}"),
        ));
    }
    let start_s = b.start.map_or(0.0, Seconds::get);
    if !(start_s.is_finite() && start_s >= 0.0) {
        return Err(source.field_error(
            "batching.start",
            format!("must not be negative, got {start_s} s"),
        ));
    }
    Ok(Section {
        model,
        precisions,
        memory_utilisation: b.memory_utilisation,
        trace: scenario.resolve(&b.trace)?,
        start_s,
        requests: b.requests,
        arrival_speedup,
        ttft_slo_s: slo_s(source, b.ttft_slo, "batching.ttft_slo")?,
        tpot_slo_s: slo_s(source, b.tpot_slo, "batching.tpot_slo")?,
        min_precision_shares: min_precision_shares(scenario, b.min_precision)?,
        objective: b.objective.unwrap_or(Objective::Requests),
        seed: b.seed,
    })
}

/// The precisions `given` (every one when not given), refused when empty or when one is
/// listed twice.
fn section_precisions(source: &Source, given: Option<Vec<Precision>>) -> Result<Vec<Precision>> {
    let precisions = given.unwrap_or_else(|| Precision::ALL.to_vec());
    if precisions.is_empty() {
        return Err(source.field_error(
            "batching.precisions",
            "is empty; list at least one of fp16, int8, int4",
        ));
    }
    for (i, p) in precisions.iter().enumerate() {
        if precisions[..i].contains(p) {
            return Err(source.field_error(
                &format!("batching.precisions[{i}]"),
                format!("`{p}` is listed twice"),
            ));
        }
    }
    Ok(precisions)
}

/// Checks the number of waiting requests: at least 1, at most [`MAX_EPOCH_REQUESTS`].
fn check_requests(source: &Source, requests: u32) -> Result<()> {
    if requests == 0 {
        return Err(source.field_error("batching.requests", "must be at least 1, got 0"));
    }
    if requests as usize > MAX_EPOCH_REQUESTS {
        return Err(source.field_error(
            "batching.requests",
            format!("{requests} requests; a decision holds at most {MAX_EPOCH_REQUESTS}"),
        ));
    }
    Ok(())
}

/// An SLO of the field `path`, in seconds when given, refused unless positive and finite.
fn slo_s(source: &Source, v: Option<Seconds>, path: &str) -> Result<Option<f64>> {
    match v.map(Seconds::get) {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            Err(source.field_error(path, format!("must be positive, got {s} s")))
        }
        other => Ok(other),
    }
}

/// The shares of the narrowest precisions, widest first (all int4 when not given).
fn min_precision_shares(
    scenario: &Scenario,
    given: Option<MinPrecisionFile>,
) -> Result<Vec<(Precision, f64)>> {
    let shares = given.unwrap_or(MinPrecisionFile {
        fp16: 0.0,
        int8: 0.0,
        int4: 1.0,
    });
    let shares = vec![
        (Precision::Fp16, shares.fp16),
        (Precision::Int8, shares.int8),
        (Precision::Int4, shares.int4),
    ];
    for (p, share) in &shares {
        if !(share.is_finite() && *share >= 0.0) {
            return Err(scenario.source.field_error(
                &format!("batching.min_precision.{p}"),
                format!("must be a non-negative share, got {share}"),
            ));
        }
    }
    let total: f64 = shares.iter().map(|(_, s)| s).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(scenario.source.field_error(
            "batching.min_precision",
            format!("shares sum to {total}, not 1"),
        ));
    }
    Ok(shares)
}
