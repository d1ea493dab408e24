//! What happened to one request in a simulation.

use crate::problems::batching::TOLERANCE;
use crate::system::Precision;
use serde::{Deserialize, Serialize};

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Served within both its TTFT and its TPOT SLO.
    Met,
    /// Served, but its TTFT or its measured TPOT is over the SLO.
    Missed,
    /// Never served (see [`RequestRecord::drop_reason`]).
    Dropped,
}

/// One request of one policy's simulation: where and when it was served, and how it ended.
/// Times are seconds on the simulated clock (the first request arrives at 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The policy.
    pub policy: String,
    /// The request's trace row.
    pub id: u64,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// Narrowest precision it accepts.
    pub min_precision: Precision,
    /// The server that served it.
    pub server: Option<String>,
    /// The precision it was served at.
    pub precision: Option<Precision>,
    /// When it arrived.
    pub arrival_s: f64,
    /// When it was admitted (its prefill began).
    pub admitted_s: Option<f64>,
    /// When its first token came.
    pub first_token_s: Option<f64>,
    /// When its last token came.
    pub finish_s: Option<f64>,
    /// Time to first token: first token minus arrival.
    pub ttft_s: Option<f64>,
    /// Time per output token: (finish − first token) / (output tokens − 1), prefill stalls
    /// included; none for a single output token.
    pub tpot_s: Option<f64>,
    /// The longest decode step it took part in (none for a single output token).
    pub longest_step_s: Option<f64>,
    /// Its TTFT SLO.
    pub ttft_slo_s: f64,
    /// Its TPOT SLO.
    pub tpot_slo_s: f64,
    /// How it ended.
    pub status: RequestStatus,
    /// Why it was dropped.
    pub drop_reason: Option<String>,
}

impl RequestRecord {
    /// Whether it was served within both SLOs (with the batching problem's relative
    /// tolerance for round-off, [`TOLERANCE`]).
    pub fn meets_slos(&self) -> bool {
        let within = |v: Option<f64>, slo: f64| v.is_none_or(|v| v <= slo * (1.0 + TOLERANCE));
        self.ttft_s.is_some()
            && within(self.ttft_s, self.ttft_slo_s)
            && within(self.tpot_s, self.tpot_slo_s)
    }
}
