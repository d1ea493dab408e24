//! A plan for the epoch: a choice and shares per request.

use super::choice::Choice;
use serde::{Deserialize, Serialize};

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Tier, server and split.
    pub choice: Choice,
    /// Fraction of the serving cell's uplink (0 for device-only).
    pub bandwidth_share: f64,
    /// Fraction of the edge GPU (0 unless served at the edge).
    pub compute_share: f64,
}

/// One assignment per request, in request order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitDecision {
    /// Assignments, indexed like the instance's requests.
    pub assignments: Vec<Assignment>,
}

/// What one request experiences under a decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RequestMetrics {
    /// Time to first token.
    pub ttft_s: f64,
    /// End-to-end latency.
    pub e2e_s: f64,
    /// Mean time per output token after the first.
    pub tpot_s: f64,
    /// Device energy (NaN when the device has no power figure).
    pub device_energy_j: f64,
    /// Bytes sent up.
    pub upload_bytes: f64,
    /// Bytes sent down.
    pub download_bytes: f64,
    /// The request's weighted objective term.
    pub cost: f64,
}
