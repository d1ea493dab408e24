//! One folder per formulation; each mirrors `formulations/<name>.md` and holds the instance,
//! the decision, its evaluation, and every solver of the problem.

pub mod arrays;
pub mod batching;
pub mod caching;
mod error;
pub mod formulation;
pub mod registry;
pub mod split;

pub use batching::Batching;
pub use caching::Caching;
pub use error::Error;
pub use split::Split;
