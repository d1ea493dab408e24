//! Service-level objectives that decide whether a request counts towards goodput.

use crate::system::Scenario;
use serde::{Deserialize, Serialize};

/// The latency targets a replayed request is judged by: a time to first token and an
/// end-to-end latency. SLO goodput is the share of requests that meet both.
///
/// The end-to-end target is either fixed ([`Slo::e2e_s`]) or grows with the reply:
/// `ttft_s + tpot_s · (output tokens − 1)`, the latest a request may finish if its first token
/// comes within the TTFT target and every later token within the TPOT target.
///
/// The defaults are MLPerf Inference's server-scenario latency constraints for Llama-3.1-8B
/// (`loadgen/mlperf.conf` of mlcommons/inference, v5.1: `llama3_1-8b.Server.ttft_latency =
/// 2000` ms, `tpot_latency = 100` ms), the model class the bundled scenarios serve.
///
/// ```
/// use mei4llm::problems::split::replay::Slo;
///
/// let slo = Slo::default();
/// assert_eq!(slo.e2e_deadline_s(11), 2.0 + 0.1 * 10.0);
/// assert!(slo.met(1.5, 2.9, 11));
/// assert!(!slo.met(2.5, 2.9, 11));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Time-to-first-token target in seconds.
    pub ttft_s: f64,
    /// Time-per-output-token target in seconds, which sets the end-to-end target of each
    /// request when [`e2e_s`](Self::e2e_s) is not given.
    pub tpot_s: f64,
    /// A fixed end-to-end target in seconds for every request, instead of the per-token one.
    pub e2e_s: Option<f64>,
}

impl Slo {
    /// MLPerf Inference's TTFT constraint for Llama-3.1-8B in the server scenario (2 s), the
    /// batching problem's default TTFT SLO.
    pub const MLPERF_TTFT_S: f64 = crate::problems::batching::MLPERF_TTFT_S;
    /// MLPerf Inference's TPOT constraint for Llama-3.1-8B in the server scenario (100 ms), the
    /// batching problem's default TPOT SLO.
    pub const MLPERF_TPOT_S: f64 = crate::problems::batching::MLPERF_TPOT_S;
    /// Relative slack on both targets, the same as the split problem's feasibility check, so
    /// that a plan that meets a deadline up to round-off counts as meeting it.
    pub const TOLERANCE: f64 = crate::problems::split::TOLERANCE;

    /// The end-to-end target of a request that generates `output_tokens` tokens.
    pub fn e2e_deadline_s(&self, output_tokens: u32) -> f64 {
        self.e2e_s.unwrap_or_else(|| {
            self.ttft_s + self.tpot_s * f64::from(output_tokens.saturating_sub(1))
        })
    }

    /// Whether a request with these latencies meets both targets (NaN meets nothing).
    pub fn met(&self, ttft_s: f64, e2e_s: f64, output_tokens: u32) -> bool {
        let slack = 1.0 + Self::TOLERANCE;
        ttft_s <= self.ttft_s * slack && e2e_s <= self.e2e_deadline_s(output_tokens) * slack
    }

    /// The targets of `scenario`'s `[workload]` (its `ttft_slo` and `e2e_slo`), and the
    /// defaults for what it does not set.
    pub fn for_scenario(scenario: &Scenario) -> Slo {
        let mut slo = Slo::default();
        if let Some(w) = &scenario.workload {
            if let Some(t) = w.ttft_slo_s {
                slo.ttft_s = t;
            }
            if let Some(e) = w.e2e_slo_s {
                slo.e2e_s = Some(e);
            }
        }
        slo
    }

    /// Checks that every target is positive and finite.
    pub fn validate(&self) -> Result<(), super::Error> {
        for (name, value) in [
            ("TTFT SLO", Some(self.ttft_s)),
            ("TPOT SLO", Some(self.tpot_s)),
            ("end-to-end SLO", self.e2e_s),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v > 0.0)
            {
                return Err(super::Error::config(
                    name,
                    format!("{v} s; it must be positive and finite"),
                ));
            }
        }
        Ok(())
    }
}

impl Default for Slo {
    fn default() -> Self {
        Slo {
            ttft_s: Self::MLPERF_TTFT_S,
            tpot_s: Self::MLPERF_TPOT_S,
            e2e_s: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_end_to_end_target_ignores_the_reply_length() {
        let slo = Slo {
            e2e_s: Some(5.0),
            ..Slo::default()
        };
        assert_eq!(slo.e2e_deadline_s(1), 5.0);
        assert_eq!(slo.e2e_deadline_s(1000), 5.0);
        assert!(slo.met(2.0, 5.0, 1000));
        assert!(!slo.met(2.0, 5.01, 1));
        assert!(!slo.met(f64::NAN, 1.0, 1));
    }

    #[test]
    fn targets_must_be_positive() {
        assert!(Slo::default().validate().is_ok());
        let bad = Slo {
            tpot_s: 0.0,
            ..Slo::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("TPOT"));
    }
}
