//! The policies a simulation compares: every batching solver as a planner, and a vLLM-like
//! baseline that ignores the SLOs.

use super::error::Error;
use crate::problems::batching::{BatchingInstance, solver};
use crate::solve::Solver;

/// Names accepted by [`Policy::by_name`]: the batching solvers, then `vllm`.
pub const POLICIES: [&str; 6] = ["exact", "assignment", "density", "fcfs", "spf", "vllm"];

/// How a server's next batch is chosen at a scheduling point.
pub enum Policy {
    /// A batching solver on the instance of the scheduling point: it admits only requests that
    /// meet their TTFT and TPOT SLOs, and requests whose TTFT deadline passes while they wait
    /// are dropped.
    Planner(Box<dyn Solver<BatchingInstance> + Send + Sync>),
    /// vLLM's default scheduler as far as admission goes (Kwon et al., SOSP 2023): the waiting
    /// queue in arrival order, each request on the first server where its KV cache fits, the
    /// queue blocked behind a request that fits nowhere yet; SLOs are not looked at and nobody
    /// is dropped for waiting. A server that is idle takes the narrowest precision its first
    /// request accepts and fits at, as the `fcfs` solver sets it.
    Vllm,
}

impl Policy {
    /// The policy called `name` (one of [`POLICIES`]).
    pub fn by_name(name: &str) -> Result<Policy, Error> {
        if name == "vllm" {
            return Ok(Policy::Vllm);
        }
        solver(name).map(Policy::Planner).ok_or_else(|| {
            Error::Setting(format!(
                "unknown policy `{name}`; known: {}",
                POLICIES.join(", ")
            ))
        })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            Policy::Planner(s) => s.name(),
            Policy::Vllm => "vllm",
        }
    }

    /// Whether it admits only requests that meet their SLOs (and drops those whose TTFT
    /// deadline passes while they wait).
    pub fn is_slo_aware(&self) -> bool {
        matches!(self, Policy::Planner(_))
    }
}
