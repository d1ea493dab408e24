//! What one waiting request gets under a batching decision: the row of `requests.csv` for the
//! batching problem.

use crate::problems::batching::{BatchDecision, BatchingInstance};
use crate::replay::RequestRecord;
use crate::system::Precision;
use serde::{Deserialize, Serialize};

/// One row of `requests.csv` for the batching problem: whether one waiting request of one
/// epoch joins the next batch under one solver's decision, on which edge server and at which
/// precision, and the TTFT and TPOT the decision predicts for it (from
/// [`BatchingInstance::metrics`], the cost model's roofline).
///
/// A request of an epoch the solver found no (valid) decision for is not planned: not
/// admitted, with empty server, precision and times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchingRecord {
    /// The epoch's index.
    pub epoch: u64,
    /// The solver.
    pub solver: String,
    /// The request's trace id.
    pub request: u64,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Output tokens (at least 1: a trace row with none counts its first token).
    pub output_tokens: u32,
    /// The narrowest weight precision it accepts (drawn with the epoch's seed).
    pub min_precision: Precision,
    /// Time it has waited when the decision is taken (arrival gaps shortened by the
    /// `[batching]` section's `arrival_speedup`).
    pub waited_s: f64,
    /// Whether some edge server could serve it within its SLOs alone; a request that is not
    /// servable is never admitted.
    pub servable: bool,
    /// Whether the solver returned a valid decision for the epoch.
    pub planned: bool,
    /// Whether it joins the next batch.
    pub admitted: bool,
    /// The edge server it joins; empty otherwise.
    pub server: String,
    /// The precision that server serves at; empty when not admitted.
    pub precision: Option<Precision>,
    /// Predicted time to first token from arrival: time waited plus the prefill of its
    /// server's prompts up to its own deadline.
    pub ttft_s: Option<f64>,
    /// Predicted time per output token: the longest decode step of its batch (0 for a single
    /// output token).
    pub tpot_s: Option<f64>,
    /// KV-cache bytes it reserves (prompt and output, fp16 keys and values).
    pub kv_bytes: f64,
    /// Its value in the objective when admitted, 0 otherwise.
    pub value: f64,
}

impl RequestRecord for BatchingRecord {
    const COLUMNS: &'static [&'static str] = &[
        "epoch",
        "solver",
        "request",
        "prompt_tokens",
        "output_tokens",
        "min_precision",
        "waited_s",
        "servable",
        "planned",
        "admitted",
        "server",
        "precision",
        "ttft_s",
        "tpot_s",
        "kv_bytes",
        "value",
    ];

    fn solver(&self) -> &str {
        &self.solver
    }
}

impl BatchingRecord {
    /// The rows of an epoch's waiting requests under `decision`, in request order.
    pub fn decided(
        epoch: u64,
        solver: &str,
        instance: &BatchingInstance,
        decision: &BatchDecision,
    ) -> Vec<Self> {
        let (_, metrics) = instance.metrics(decision);
        metrics
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let mut record = Self::waiting(epoch, solver, instance, k);
                record.planned = true;
                if let Some(j) = m.server {
                    record.admitted = true;
                    record.server = instance.servers[j].name.clone();
                    record.precision = instance.served_precision(decision, j);
                    record.ttft_s = Some(m.ttft_s);
                    record.tpot_s = Some(m.tpot_s);
                    record.value = m.value;
                }
                record
            })
            .collect()
    }

    /// The rows of an epoch's waiting requests without a decision.
    pub fn unplanned(epoch: u64, solver: &str, instance: &BatchingInstance) -> Vec<Self> {
        (0..instance.requests.len())
            .map(|k| Self::waiting(epoch, solver, instance, k))
            .collect()
    }

    /// The row of waiting request `k`, as without a decision.
    fn waiting(epoch: u64, solver: &str, instance: &BatchingInstance, k: usize) -> Self {
        let r = &instance.requests[k];
        BatchingRecord {
            epoch,
            solver: solver.to_string(),
            request: r.id,
            prompt_tokens: r.prompt_tokens,
            output_tokens: r.output_tokens,
            min_precision: r.min_precision,
            waited_s: instance.waited_s(k),
            servable: instance.candidates(k).next().is_some(),
            planned: false,
            admitted: false,
            server: String::new(),
            precision: None,
            ttft_s: None,
            tpot_s: None,
            kv_bytes: instance.kv_bytes(k),
            value: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_match_the_fields_and_rows_read_back() {
        let admitted = BatchingRecord {
            epoch: 3,
            solver: "assignment".into(),
            request: 812,
            prompt_tokens: 1020,
            output_tokens: 129,
            min_precision: Precision::Int8,
            waited_s: 0.041_250_000_000_000_01,
            servable: true,
            planned: true,
            admitted: true,
            server: "edge-a100".into(),
            precision: Some(Precision::Int8),
            ttft_s: Some(0.733_419_071_2),
            tpot_s: Some(0.087_115_3),
            kv_bytes: 150_601_728.0,
            value: 1.0,
        };
        let waiting = BatchingRecord {
            admitted: false,
            server: String::new(),
            precision: None,
            ttft_s: None,
            tpot_s: None,
            value: 0.0,
            ..admitted.clone()
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(&admitted).unwrap();
        w.serialize(&waiting).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        assert_eq!(header, BatchingRecord::COLUMNS);
        assert!(text.contains(",int8,"), "{text}");
        // Every float reads back to the same bits, so `report` recomputes the same summary.
        let back: Vec<BatchingRecord> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back, vec![admitted, waiting]);
    }
}
