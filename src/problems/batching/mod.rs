//! Which waiting requests join the next batch on which edge server, at which precision, under
//! KV-cache memory and TTFT / TPOT SLOs. The mathematics is in `formulations/batching.md`.
//!
//! Every edge server serves one model at one weight precision (fp16, int8 or int4: weights,
//! FLOP rate and accuracy tier change with it). A server prefills its admitted prompts
//! earliest TTFT deadline first, and each request's first token must come within its TTFT SLO
//! (counted from its arrival); the admitted requests then join the server's decode batch,
//! whose longest step — every sequence at its last context, weights and KV caches read once
//! per step — must stay within every member's and every running sequence's TPOT SLO; weights
//! and every sequence's whole KV cache must fit in memory. The objective is the weighted number
//! (or tokens) of admitted requests.
//!
//! Solvers: [`Exact`] (MILP, certified), [`Assignment`] (generalised-assignment heuristic with
//! Moore–Hodgson re-optimisation), [`DensityGreedy`], and the baselines [`Fcfs`] and
//! [`ShortestPromptFirst`]; [`BruteForce`] checks them on small instances.
//!
//! ```
//! use mei4llm::problems::batching::{BatchingInstance, solver};
//! use mei4llm::solve::{Budget, Problem};
//! use mei4llm::system::Scenario;
//! use std::path::Path;
//!
//! let scenario = Scenario::from_path(Path::new("scenarios/batching-small.toml")).unwrap();
//! let instance = BatchingInstance::from_scenario(&scenario).unwrap();
//! let exact = solver("exact").unwrap().solve(&instance, &Budget::default()).unwrap();
//! let fcfs = solver("fcfs").unwrap().solve(&instance, &Budget::default()).unwrap();
//! assert!(exact.is_optimal());
//! assert!(instance.evaluate(fcfs.decision.as_ref().unwrap()).is_feasible());
//! assert!(fcfs.objective.unwrap() <= exact.objective.unwrap());
//! ```

mod assignment;
mod baselines;
mod brute_force;
mod decision;
pub mod env;
mod evaluate;
mod exact;
pub mod formulation;
mod greedy;
mod instance;
mod moore_hodgson;
mod plan;
pub mod replay;
mod saved;
mod section;
mod shares;
mod solvers;
mod state;

pub use assignment::Assignment;
pub use baselines::{Fcfs, ShortestPromptFirst};
pub use brute_force::BruteForce;
pub use decision::{BatchDecision, RequestMetrics, ServerMetrics};
pub use evaluate::TOLERANCE;
pub use exact::Exact;
pub use formulation::Batching;
pub use greedy::DensityGreedy;
pub(crate) use instance::precision_index;
pub use instance::{
    BatchServer, BatchingInstance, BatchingParts, MLPERF_TPOT_S, MLPERF_TTFT_S, RunningRequest,
    ServerOption, TraceWindow, VLLM_MEMORY_UTILISATION, WaitingRequest, accepts,
};
pub use section::{Objective, Section};
pub use solvers::{SOLVERS, solver};
pub(crate) use state::Packing;
