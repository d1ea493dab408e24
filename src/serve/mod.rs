//! Serving a request trace with continuous batching: a discrete-event, iteration-level
//! simulation (Orca, Yu et al., OSDI 2022; vLLM, Kwon et al., SOSP 2023) of edge servers that
//! call a batching planner (`formulations/batching.md`) at every scheduling point, reporting
//! per request TTFT and TPOT and per policy their percentiles and the SLO goodput.
//!
//! **Events.** Requests arrive at their trace times (divided by an arrival speed-up, an
//! experiment knob). A server runs one iteration at a time: a *prefill* of the prompts it has
//! just admitted, or a *decode step* of every sequence in its batch. Its scheduling points are
//! the ends of its iterations and, while it is idle, every arrival. At a time `t` where some
//! servers are at a scheduling point and requests wait, the policy is given the
//! [`BatchingInstance`](crate::problems::batching::BatchingInstance) with `now_s = t`, the whole
//! waiting queue, and those servers (a server in the middle of an iteration cannot start a
//! prefill, so it is not offered), each with its running sequences and its loaded precision
//! (none when idle: a precision changes only on an idle server, and the switch is free, as in
//! the formulation). A server that admits nobody and has running sequences starts a decode
//! step; one without any is idle.
//!
//! **Times, and how they relate to the formulation.**
//! - A batch `S` admitted at `t` is prefilled as one iteration ending at `t + T_pre(S)`; request
//!   `k`'s first token comes at `t + T_pre(prefix of S up to k's deadline)`, the earliest-deadline
//!   first times of the formulation, so its simulated TTFT equals the TTFT the planner's
//!   `evaluate` computed. Every decision of a planner is checked by `evaluate` during the
//!   simulation, so an SLO-aware policy's requests all meet their TTFT SLO.
//! - A decode step of a batch takes `Node::batch_decode_step_s` at the sequences' current
//!   contexts (prompt plus tokens generated so far). The planner admitted the batch with its
//!   longest step, every sequence at its last context, within every member's TPOT SLO;
//!   contexts only grow to those, and sequences only leave until the next admission checks the
//!   bound again, so **every decode step an SLO-aware policy's request takes is within its TPOT
//!   SLO** ([`RequestRecord::longest_step_s`]).
//! - The measured TPOT, (finish − first token) / (output tokens − 1), also counts the prefill
//!   iterations of later admissions that pause the server's decodes (vLLM's default scheduler
//!   prioritises prefills this way). The formulation's bound does not charge these stalls, so
//!   the measured TPOT of an admitted request *can* exceed its SLO: the simulation measures by
//!   how much, and the goodput counts a request as met only when its measured TPOT is within
//!   the SLO.
//! - A sequence reserves its whole KV cache (prompt and output) when admitted and frees it when
//!   its last token is generated; a request with one output token ends with its prefill.
//!
//! **Drops.** SLO-aware policies drop a waiting request when its TTFT deadline (arrival plus
//! SLO) passes. The vLLM-like baseline ([`Policy::Vllm`]) drops nobody for waiting (it does not
//! know the SLOs) and drops on arrival a request whose cache fits in no server's memory. A
//! request whose prompt and output exceed the model's context is dropped on arrival by every
//! policy. Every request ends served or dropped exactly once.
//!
//! The simulation is deterministic (the planners are, and the planner's wall time is only
//! reported). A planner whose batch `evaluate` rejects is an error ([`Error::Planner`]).
//!
//! ```
//! use mei4llm::serve::{Policy, PolicySummary, Workload, WorkloadOptions, simulate};
//! use mei4llm::solve::Budget;
//! use mei4llm::system::Scenario;
//! use std::path::Path;
//!
//! let scenario = Scenario::from_path(Path::new("scenarios/batching-serve.toml"))?;
//! let options = WorkloadOptions { requests: Some(40), ..WorkloadOptions::default() };
//! let workload = Workload::from_scenario(&scenario, &options)?;
//! let run = simulate(&workload, &Policy::by_name("assignment")?, &Budget::default(), &mut |_| {})?;
//! let summary = PolicySummary::of(&run);
//! assert_eq!(summary.served + summary.dropped, 40);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! References: Orca (Yu et al., OSDI 2022), vLLM (Kwon et al., SOSP 2023), Sarathi-Serve
//! (Agrawal et al., OSDI 2024) for generation stalls, DistServe (Zhong et al., OSDI 2024) for
//! goodput under TTFT and TPOT SLOs.

mod error;
mod plots;
mod policy;
mod record;
mod simulate;
mod summary;
mod vllm;
mod workload;

pub use error::Error;
pub use plots::{GOODPUT_SVG, TPOT_SVG, TTFT_SVG, goodput, latency_cdf};
pub use policy::{POLICIES, Policy};
pub use record::{RequestRecord, RequestStatus};
pub use simulate::{PolicyRun, simulate};
pub use summary::PolicySummary;
pub use workload::{Workload, WorkloadOptions};
