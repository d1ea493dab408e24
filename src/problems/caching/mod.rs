//! Parameter-sharing model caching at edge servers: which models (built from shared parameter
//! blocks — base weights, LoRA adapters, quantised and fine-tuned copies) each edge server
//! stores so that the most requests can be delivered within a latency bound. The mathematics
//! is in `formulations/caching.md`.
//!
//! ```
//! use mei4llm::problems::caching::{solver, Generator, LibrarySpec, Projection, CachingInstance};
//! use mei4llm::solve::{Budget, Problem};
//! use mei4llm::system::Precision;
//!
//! let generator = Generator {
//!     library: LibrarySpec {
//!         bases: vec![("Llama-3.2-3B".into(), Precision::Fp16), ("Qwen2-0.5B".into(), Precision::Fp16)],
//!         loras_per_base: 2,
//!         lora_ranks: vec![16],
//!         lora_projections: vec![Projection::Q, Projection::V],
//!         finetunes_per_base: 0,
//!         quantised: vec![Precision::Int4],
//!     },
//!     servers: 2,
//!     users: 20,
//!     covering: 2,
//!     storage_bytes: 8e9,
//!     rate_samples_bps: vec![200e6, 400e6],
//!     rtt_s: 0.0143,
//!     latency_bound_s: 600.0,
//!     zipf_exponent: 0.8,
//!     personal: 0.5,
//! };
//! let instance = CachingInstance::generate(&generator, 7).unwrap();
//! let exact = solver("exact").unwrap().solve(&instance, &Budget::default()).unwrap();
//! let greedy = solver("greedy").unwrap().solve(&instance, &Budget::default()).unwrap();
//! assert!(exact.is_optimal());
//! assert!(instance.evaluate(greedy.decision.as_ref().unwrap()).is_feasible());
//! assert!(greedy.objective.unwrap() <= exact.objective.unwrap() + 1e-9);
//! ```

mod baselines;
mod brute_force;
mod cover;
mod decision;
pub mod env;
mod evaluate;
mod exact;
pub mod formulation;
mod greedy;
mod instance;
mod library;
mod plan;
pub mod replay;
mod section;
mod solvers;
mod trimcaching;

pub use baselines::{Popularity, SharingBlind};
pub use brute_force::BruteForce;
pub use decision::{CacheMetrics, Placement};
pub use evaluate::TOLERANCE;
pub use exact::Exact;
pub use formulation::Caching;
pub use greedy::Greedy;
pub use instance::{
    CacheServer, CacheUser, CachingInstance, CachingParts, Demand, Generator, SUM_TOLERANCE,
    UserLink, read_instance, zipf_probabilities,
};
pub use library::{
    Block, BlockKind, LibraryFileFormat, LibraryModel, LibrarySpec, ModelLibrary, Projection,
    lora_params, weights_bytes,
};
pub use section::{LibrarySource, PopularitySource, RateSource, Section};
pub use solvers::{SOLVERS, solver};
pub use trimcaching::{TrimCaching, knapsack};
