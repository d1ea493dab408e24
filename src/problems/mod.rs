//! One folder per formulation; each mirrors `formulations/<name>.md` and holds the instance,
//! the decision, its evaluation, and every solver of the problem.

pub mod batching;
pub mod caching;
mod error;
pub mod split;

pub use error::Error;
