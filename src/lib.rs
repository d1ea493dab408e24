//! # mei4llm
//!
//! Plans how large language models are served and tuned at the mobile network edge.
//!
//! The crate models the cloud–edge–device system as optimisation problems and answers each one
//! with exact solvers, fast heuristics and reinforcement-learning environments that all sit
//! behind one [`solve::Solver`] trait:
//!
//! - [`system`] — what exists and what it costs: LLM architectures and their per-layer
//!   parameters, bytes and FLOPs; hardware profiles and the roofline time and energy of running a
//!   layer range on a node; network links; request traces; scenario files.
//! - [`solve`] — the [`solve::Problem`] and [`solve::Solver`] traits, outcomes with honest
//!   status and proven bounds, the closed-form allocation of a budget over `Σ a_k / x_k`, and a
//!   thin layer over HiGHS.
//! - [`env`](mod@env) — reinforcement-learning environments with the Gymnasium conventions: `split`
//!   (place the requests of a trace, regret against the epoch optimum) and `caching` (online
//!   model replacement, hits against the window's offline optimum), a vector environment, and
//!   a policy wrapped as a solver.
//! - [`replay`] — a request trace solved epoch by epoch by several solvers side by side on a
//!   thread pool, in bounded memory and with reproducible output: CSV rows, summary
//!   statistics (latency percentiles, SLO goodput, hit ratios, admitted shares, gap to the
//!   optimum) and SVG plots.
//! - [`serve`] — a request trace served by edge servers with continuous batching, a batching
//!   planner called at every scheduling point: TTFT and TPOT percentiles and SLO goodput per
//!   policy, against a vLLM-like baseline.
//! - [`output`] — output files written whole or not at all.
//!
//! Every constant in the cost model comes from the files under `datasets/` or from a cited
//! published fact; `datasets/README.md` keeps the provenance.
//!
//! ```
//! use mei4llm::system::{Catalogue, Precision};
//!
//! let catalogue = Catalogue::bundled();
//! let llama = catalogue.model("Llama-2-7B").unwrap();
//! assert_eq!(llama.total_params(), 6_738_415_616);
//! let cost = llama.cost(Precision::Fp16);
//! // 32 transformer blocks of 202,383,360 parameters each, stored at two bytes per weight.
//! assert_eq!(cost.block().params, 202_383_360);
//! ```
#![deny(missing_docs)]

pub mod env;
pub mod output;
pub mod problems;
#[cfg(feature = "python")]
mod python;
pub mod replay;
pub mod serve;
pub mod solve;
pub mod system;
pub mod text;

/// The examples of the README, compiled and run as documentation tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
