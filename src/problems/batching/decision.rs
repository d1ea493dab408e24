//! A batching decision: the precision each server serves at and the server each waiting
//! request joins.

use crate::system::Precision;
use serde::{Deserialize, Serialize};

/// Per server a precision, per waiting request a server or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchDecision {
    /// `precisions[j]`: the precision server `j` serves at; `None` when it admits nobody (a
    /// server with running sequences keeps its loaded precision).
    pub precisions: Vec<Option<Precision>>,
    /// `assignments[k]`: the server waiting request `k` joins; `None` when it keeps waiting.
    pub assignments: Vec<Option<usize>>,
}

impl BatchDecision {
    /// Nobody admitted, no precision chosen, on `servers` servers for `requests` requests.
    pub fn empty(servers: usize, requests: usize) -> BatchDecision {
        BatchDecision {
            precisions: vec![None; servers],
            assignments: vec![None; requests],
        }
    }

    /// Number of admitted requests.
    pub fn admitted(&self) -> usize {
        self.assignments.iter().flatten().count()
    }
}

/// What one server does under a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerMetrics {
    /// Its name.
    pub server: String,
    /// The precision it serves at (the loaded one when the decision leaves it unset).
    pub precision: Option<Precision>,
    /// Waiting requests it admits.
    pub admitted: usize,
    /// Sequences already running on it.
    pub running: usize,
    /// Its memory for weights and KV cache.
    pub memory_bytes: f64,
    /// Bytes of the weights at its precision (0 without a precision).
    pub weight_bytes: f64,
    /// KV-cache bytes reserved by the running and admitted sequences.
    pub kv_bytes: f64,
    /// Time to prefill every admitted prompt, earliest TTFT deadline first (0 when none is
    /// admitted).
    pub prefill_s: f64,
    /// The longest decode step of the batch, every sequence at its last context (0 without
    /// a decoding sequence).
    pub decode_step_s: f64,
}

/// What one waiting request experiences under a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestMetrics {
    /// The server it joins (`None`: it keeps waiting).
    pub server: Option<usize>,
    /// Time to first token from arrival: time waited plus the prefill of its server's prompts
    /// up to its own deadline (NaN while waiting).
    pub ttft_s: f64,
    /// The longest decode step of its batch, a bound on its time per output token (0 for a
    /// single output token, NaN while waiting).
    pub tpot_s: f64,
    /// KV-cache bytes it reserves.
    pub kv_bytes: f64,
    /// Its value in the objective when admitted (0 while waiting).
    pub value: f64,
}
