//! One line per policy: how many requests were served, their latency percentiles and the SLO
//! goodput.

use super::record::RequestStatus;
use super::simulate::PolicyRun;
use crate::replay::Quantiles;
use serde::Serialize;

/// What one policy achieved over the workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicySummary {
    /// The policy.
    pub policy: String,
    /// Requests of the workload.
    pub requests: usize,
    /// Requests served (whether within their SLOs or not).
    pub served: usize,
    /// Requests dropped.
    pub dropped: usize,
    /// Requests served within both SLOs.
    pub met: usize,
    /// Median time to first token of the served requests.
    pub ttft_p50_s: Option<f64>,
    /// 99th percentile of the same.
    pub ttft_p99_s: Option<f64>,
    /// Median time per output token of the served requests with at least two output tokens.
    pub tpot_p50_s: Option<f64>,
    /// 99th percentile of the same.
    pub tpot_p99_s: Option<f64>,
    /// From the first arrival to the last token or drop.
    pub span_s: f64,
    /// From the first arrival to the last: the period over which the load is offered, the
    /// same for every policy of a workload.
    pub arrivals_s: f64,
    /// Goodput: requests served within both SLOs per second of [`arrivals_s`](Self::arrivals_s)
    /// (the offered rate times the goodput share, so policies compare at the same load; a
    /// rate over [`span_s`](Self::span_s) would favour a policy that drops work to end early).
    pub goodput_rps: f64,
    /// Share of the requests served within both SLOs.
    pub goodput_share: f64,
    /// Calls of the planner.
    pub planner_calls: u64,
    /// Mean wall time of a planner call (none without calls).
    pub planner_mean_s: Option<f64>,
}

impl PolicySummary {
    /// The summary of a run (percentiles by nearest rank).
    pub fn of(run: &PolicyRun) -> PolicySummary {
        let (mut ttft, mut tpot) = (Quantiles::default(), Quantiles::default());
        let (mut served, mut met, mut end_s) = (0, 0, 0.0_f64);
        let start_s = run
            .records
            .iter()
            .map(|r| r.arrival_s)
            .fold(f64::INFINITY, f64::min);
        let last_arrival_s = run
            .records
            .iter()
            .map(|r| r.arrival_s)
            .fold(f64::NEG_INFINITY, f64::max);
        for r in &run.records {
            end_s = end_s.max(r.finish_s.unwrap_or(r.arrival_s + r.ttft_slo_s));
            if r.status == RequestStatus::Dropped {
                continue;
            }
            served += 1;
            met += usize::from(r.status == RequestStatus::Met);
            ttft.add(r.ttft_s.unwrap_or(f64::NAN));
            if let Some(t) = r.tpot_s {
                tpot.add(t);
            }
        }
        let pick = |q: &Quantiles| {
            let v = q.quantiles(&[0.5, 0.99]);
            if q.count() == 0 {
                (None, None)
            } else {
                (Some(v[0]), Some(v[1]))
            }
        };
        let (ttft_p50_s, ttft_p99_s) = pick(&ttft);
        let (tpot_p50_s, tpot_p99_s) = pick(&tpot);
        let requests = run.records.len();
        let span_s = if requests == 0 { 0.0 } else { end_s - start_s };
        let arrivals_s = if requests == 0 {
            0.0
        } else {
            last_arrival_s - start_s
        };
        PolicySummary {
            policy: run.policy.clone(),
            requests,
            served,
            dropped: requests - served,
            met,
            ttft_p50_s,
            ttft_p99_s,
            tpot_p50_s,
            tpot_p99_s,
            span_s,
            arrivals_s,
            goodput_rps: if arrivals_s > 0.0 {
                met as f64 / arrivals_s
            } else {
                0.0
            },
            goodput_share: if requests > 0 {
                met as f64 / requests as f64
            } else {
                0.0
            },
            planner_calls: run.planner_calls,
            planner_mean_s: (run.planner_calls > 0)
                .then(|| run.planner_time_s / run.planner_calls as f64),
        }
    }
}
